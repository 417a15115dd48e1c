/**
 * The stories the page can play: the runner's stories 1–7, 13, 15, 18 and 20 (demo/scenarios.ts,
 * demo/stories/), retold with
 * the browser as the client and the side-by-side mounts as the servers. Each is data (its steps and their
 * narration) plus small step functions that make the requests. A step runs on each mode column, or once
 * for all (the reset, the admin's change). The outcome a story expects per mode is not here: it comes
 * with the words from /story-words.json, computed from the runner's own `expect` (harness/promises.ts).
 */
import { decodeJwt, errorCodeOf, statusOf, type Net } from './net.js'
import { tx, type ColumnResult, type ColumnState, type Exchange, type Mechanism, type MountInfo, type Text } from './types.js'

/** A narration line: the player's own, or (preferred) a string of the runner's story words by key. */
export type Say = Text | { runner: string[], fallback: Text }

export interface StepContext {
  net: Net
  col: ColumnState
  /** Shows a live line in the column while the step waits (polling until a token expires). */
  progress: (t: Text) => void
}

export interface OnceContext {
  net: Net
  cols: ColumnState[]
  /** Every mount of the server, also those without a column now (the admin logs in at /jwt). */
  mounts: MountInfo[]
}

export interface StepDef {
  say: Say
  /** Runs once for every column (reset, the admin's change) instead of once per column. */
  once?: (c: OnceContext) => Promise<ColumnResult>
  each?: (c: StepContext) => Promise<ColumnResult>
  /** Columns this step does not apply to get this note instead of requests. */
  skip?: (m: Mechanism) => Text | null
}

export interface StoryDef {
  id: number
  slug: string
  steps: StepDef[]
  /** The outcome is observed outside the player (the XSS lab in its own tab): the summary says where. */
  observedIn?: Text
}

const ALICE = { username: 'alice', password: 'alice-password' }
const ADMIN = { username: 'admin', password: 'admin-password' }
const NEW_PASSWORD = 'a-brand-new-password'
const NEW_NAME = 'alice-renamed'
/** Group counts the fat-token story issues tokens for (100 and 110 straddle 4096 bytes, as in the runner). */
const GROUP_STEPS = [0, 50, 100, 110, 200] as const
/** The most a browser must keep of one cookie, and the most this server takes of a bearer token. */
const TOKEN_LIMIT = 4096
const isJwt = (c: StepContext): boolean => c.col.mount.kind === 'jwt'
const mount = (c: StepContext): string => `/${c.col.mount.name}`
const result = (exchanges: Exchange[], checks: ColumnResult['checks'] = []): ColumnResult => ({ exchanges, checks })
const sr = (x: Exchange): string => `${statusOf(x)}${errorCodeOf(x) === null ? '' : ` ${errorCodeOf(x) ?? ''}`}`
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

const reset: StepDef = {
  say: tx('Every story starts clean: POST /demo/reset restores the demo accounts (role, enabled, password), ends every login of theirs on every mount and drops what the attacker stole.',
    '모든 이야기는 깨끗한 상태에서 시작합니다. POST /demo/reset이 데모 계정(역할, 활성 상태, 비밀번호)을 되돌리고, 모든 마운트에서 그 계정의 로그인을 끝내고, 공격자가 훔친 것을 버립니다.'),
  async once ({ net, cols }) {
    const x = await net.send('POST', '/demo/reset', { actor: 'page' })
    for (const col of cols) { col.access = null; col.loot = null; col.lootHolds = []; delete col.observed; delete col.memo }
    return result([x], [{ ok: x.status === 200, text: tx(`reset: ${x.status}`, `초기화: ${x.status}`) }])
  }
}

const login: StepDef = {
  say: tx('alice logs in on each mount. The session mount sets a cookie that holds only an id; each JWT mount answers with an access token (kept in this page\'s memory) and sets its refresh token as an HttpOnly cookie on its own path.',
    'alice가 각 마운트에 로그인합니다. 세션 마운트는 id만 담긴 쿠키를 설정하고, 각 JWT 마운트는 액세스 토큰(이 페이지 메모리에 보관)을 돌려주며 리프레시 토큰을 자기 경로의 HttpOnly 쿠키로 설정합니다.'),
  async each (c) {
    const x = await c.net.send('POST', `${mount(c)}/login`, { body: ALICE, actor: 'aliceBrowser' })
    const at = (x.response as { access_token?: unknown } | null)?.access_token
    if (typeof at === 'string') c.col.access = at
    return result([x], [{ ok: x.status === 200, text: tx(`login: ${x.status}`, `로그인: ${x.status}`) }])
  }
}

/** alice's own browser calls a protected route with what it holds (cookie, or bearer). */
async function aliceCalls (c: StepContext, path: string): Promise<Exchange> {
  return await c.net.send('GET', `${mount(c)}${path}`, { bearer: isJwt(c) ? c.col.access : null, actor: 'aliceBrowser' })
}

/** The attacker replays its copy: POST /demo/attack, which the server sends on from another address. */
async function attack (c: StepContext, action: string): Promise<Exchange> {
  const x = await c.net.send('POST', '/demo/attack', { body: { loot: c.col.loot ?? '-', action }, cookies: false, actor: 'attacker' })
  const holds = (x.response as { holds?: unknown } | null)?.holds
  if (Array.isArray(holds)) c.col.lootHolds = holds.map(String)
  return x
}

/** The server copies a credential into the attacker's slot; `what` decides what the request presents. */
async function steal (c: StepContext, what: { cookies: boolean, bearer: boolean }): Promise<ColumnResult> {
  const x = await c.net.send('POST', `${mount(c)}/demo/steal`, { cookies: what.cookies, bearer: what.bearer ? c.col.access : null, actor: 'attacker' })
  const r = x.response as { loot?: unknown, holds?: unknown } | null
  if (typeof r?.loot === 'string') c.col.loot = r.loot
  if (Array.isArray(r?.holds)) c.col.lootHolds = r.holds.map(String)
  return result([x], [{ ok: x.status === 200, text: tx(`copied: ${x.status}`, `복사: ${x.status}`) }])
}

const logout: StepDef = {
  say: { runner: ['logsOut'], fallback: tx('alice logs out.', 'alice가 로그아웃합니다.') },
  async each (c) {
    const x = await c.net.send('POST', `${mount(c)}/logout`, { bearer: isJwt(c) ? c.col.access : null, actor: 'aliceBrowser' })
    return result([x], [{ ok: x.status === 204 || x.status === 200, text: tx(`logout: ${x.status}`, `로그아웃: ${x.status}`) }])
  }
}

/**
 * The judged replay after the event: refused at once, or accepted until exp (asked again every 250 ms
 * until refused, as the runner does; never longer than the mount's access token lifetime plus 2 s).
 */
async function untilRefused (c: StepContext, attempt: () => Promise<Exchange>): Promise<ColumnResult> {
  const first = await attempt()
  const started = performance.now()
  if (statusOf(first) >= 400) {
    // An access token that expired before the replay says nothing about the event: say so (a long pause between steps).
    const late = errorCodeOf(first) === 'token_expired'
      ? tx('; the token had expired before the replay: the pause between steps was longer than its lifetime', '; 토큰이 재전송 전에 이미 만료됨: 단계 사이의 멈춤이 토큰 수명보다 길었음')
      : tx('', '')
    return { exchanges: [first], checks: [], observed: { outcome: 'rejected', detail: tx(`${sr(first)} at once${late.en}`, `즉시 ${sr(first)}${late.ko}`) } }
  }
  const ttl = c.col.mount.accessTtlSec ?? 3
  if (ttl > 90) {
    return { exchanges: [first], checks: [], observed: { outcome: 'until-exp', detail: tx(`still accepted; it stops at exp, ${ttl} s from issue (not waited: the access token lifetime is long)`, `아직 받아들여짐. 발급 뒤 ${ttl}초인 exp에 멈춤 (수명이 길어 기다리지 않음)`) } }
  }
  let last = first
  let polls = 0
  while (statusOf(last) < 400 && performance.now() - started < (ttl + 2) * 1000) {
    const s = ((performance.now() - started) / 1000).toFixed(1)
    c.progress(tx(`still accepted ${s} s after the event; asking again every 250 ms until it stops…`, `사건 ${s}초 뒤에도 받아들여짐. 멈출 때까지 250ms마다 다시 요청합니다…`))
    await sleep(250)
    last = await attempt()
    polls++
  }
  const s = ((performance.now() - started) / 1000).toFixed(1)
  if (statusOf(last) < 400) {
    return { exchanges: [first, last], checks: [], observed: { outcome: 'works', detail: tx(`still accepted after ${s} s`, `${s}초 뒤에도 받아들여짐`) } }
  }
  return {
    exchanges: [first, last],
    checks: [],
    observed: { outcome: 'until-exp', detail: tx(`accepted ${s} s more (${polls} requests), then ${sr(last)}`, `${s}초 더 받아들여진 뒤 (${polls}번 요청) ${sr(last)}`) }
  }
}

/**
 * The admin logs in (a fresh login each time: a short-lived token may have expired between steps) and
 * makes one change. It uses its own JWT with the refresh token in the body and no cookies, so alice's
 * cookies stay untouched; at the default JWT mount (/jwt), the one the admin routes accept, as on the
 * page's admin strip.
 */
async function asAdmin (net: Net, mounts: MountInfo[], path: string, body?: object): Promise<[Exchange, Exchange]> {
  const jwtMount = mounts.find(m => m.name === 'jwt') ?? mounts.find(m => m.kind === 'jwt')
  const l = await net.send('POST', `/${jwtMount?.name ?? 'jwt'}/login`, { body: { ...ADMIN, transport: 'body' }, cookies: false, actor: 'admin' })
  const token = (l.response as { access_token?: unknown } | null)?.access_token
  const x = await net.send('POST', path, { ...(body === undefined ? {} : { body }), bearer: typeof token === 'string' ? token : null, cookies: false, actor: 'admin' })
  return [l, x]
}

const memo = (c: StepContext): Record<string, unknown> => (c.col.memo ??= {})
const accessOf = (x: Exchange): string | null => {
  const at = (x.response as { access_token?: unknown } | null)?.access_token
  return typeof at === 'string' ? at : null
}
/** alice's browser refreshes on this column's mount; a granted access token replaces the one the column holds. */
async function aliceRefreshes (c: StepContext): Promise<Exchange> {
  const r = await c.net.send('POST', `${mount(c)}/refresh`, { actor: 'aliceBrowser' })
  c.col.access = accessOf(r) ?? c.col.access
  return r
}
const usernameOf = (x: Exchange): string => String((x.response as { username?: unknown } | null)?.username ?? sr(x))

const jwtOnly = (m: Mechanism): Text | null => m === 'session' ? tx('sessions have no refresh token', '세션에는 리프레시 토큰이 없음') : null

interface ListedDevice { id: string, current: boolean, ip: string, userAgent: string, flags?: Array<{ kind: string, ip: string, userAgent: string }> }

/**
 * One row of the fat-token story on one column: the session calls GET /api/me with its cookie (the same
 * bytes whatever the server knows); a JWT mount re-issues alice's token with `groups` group names and
 * sends it. The request bytes are kept per column; the last row judges them.
 */
async function fatStep (c: StepContext, groups: number, last: boolean): Promise<ColumnResult> {
  const m = memo(c)
  const bytes = (m.bytes ??= []) as number[]
  const exchanges: Exchange[] = []
  const checks: ColumnResult['checks'] = []
  let x: Exchange
  if (!isJwt(c)) {
    x = await aliceCalls(c, '/api/me')
    checks.push({ ok: x.status === 200, text: tx(`the session request: ${x.bytes.reqHead + x.bytes.reqBody} B (${sr(x)}); the cookie is an id, the claims stay in the record`, `세션 요청: ${x.bytes.reqHead + x.bytes.reqBody}B (${sr(x)}). 쿠키는 id일 뿐이고 클레임은 레코드에 남음`) })
  } else {
    // The fat-token route wants a live access token: refresh first when the login's is about to expire.
    const exp = c.col.access === null ? 0 : decodeJwt(c.col.access)?.payload.exp ?? 0
    if (exp - Date.now() / 1000 < 1.5) {
      exchanges.push(await aliceRefreshes(c))
    }
    const f = await c.net.send('POST', `${mount(c)}/demo/fat-token`, { body: { groups }, bearer: c.col.access, cookies: false, actor: 'aliceBrowser' })
    exchanges.push(f)
    const token = accessOf(f) ?? ''
    x = await c.net.send('GET', `${mount(c)}/api/me`, { bearer: token, cookies: false, actor: 'aliceBrowser' })
    const size = new TextEncoder().encode(token).length
    const over = size > TOKEN_LIMIT
    const cookie = `at=${token}`.length <= TOKEN_LIMIT
    checks.push({
      ok: f.status === 200 && (x.status === 200) === !over,
      text: over
        ? tx(`token ${size} B: past 4096 bytes it fits no cookie and this server refuses it (${sr(x)})`, `토큰 ${size}B: 4096바이트를 넘어 어떤 쿠키에도 들어가지 않고 이 서버도 거부함 (${sr(x)})`)
        : tx(`token ${size} B (${cookie ? 'fits a cookie' : 'as a cookie, at=… is over 4096 bytes'}); GET /api/me ${sr(x)}`, `토큰 ${size}B (${cookie ? '쿠키에 들어감' : '쿠키라면 at=…이 4096바이트를 넘음'}); GET /api/me ${sr(x)}`)
    })
  }
  exchanges.push(x)
  bytes.push(x.bytes.reqHead + x.bytes.reqBody)
  const trail = bytes.join(' → ')
  const note = tx(`request bytes so far: ${trail}`, `지금까지 요청 바이트: ${trail}`)
  if (!last) return { exchanges, checks, note }
  const first = bytes[0] ?? 0
  const end = bytes.at(-1) ?? 0
  const same = bytes.every(b => b === first)
  const grows = bytes.every((b, i) => i === 0 || b > (bytes[i - 1] ?? 0))
  const observed = same
    ? { outcome: 'same-size', detail: tx(`${first} B per request at every claim size`, `클레임 크기와 상관없이 요청당 ${first}B`) }
    : { outcome: grows ? 'grows' : 'works', detail: tx(`${first} → ${end} B per request`, `요청당 ${first} → ${end}B`) }
  return { exchanges, checks, note, observed }
}

export const STORIES: StoryDef[] = [
  {
    id: 1,
    slug: 'login',
    steps: [
      reset,
      login,
      {
        say: tx('alice calls GET /api/me with what her browser holds. Watch x-auth-store-ops: the store round trips this one request cost.',
          'alice가 브라우저가 가진 것으로 GET /api/me를 호출합니다. x-auth-store-ops를 보세요: 이 요청 하나에 든 저장소 왕복 횟수입니다.'),
        async each (c) {
          const x = await aliceCalls(c, '/api/me')
          const want = c.col.mechanism === 'jwt-none' ? '0' : '1'
          return {
            exchanges: [x],
            checks: [{ ok: x.storeOps === want, text: tx(`x-auth-store-ops is ${x.storeOps ?? 'missing'} (expected ${want})`, `x-auth-store-ops는 ${x.storeOps ?? '없음'} (예상 ${want})`) }],
            observed: x.status === 200
              ? { outcome: 'works', detail: tx(`200, ${x.storeOps ?? '?'} store op(s)`, `200, 저장소 조회 ${x.storeOps ?? '?'}회`) }
              : { outcome: 'rejected', detail: tx(sr(x), sr(x)) }
          }
        }
      }
    ]
  },
  {
    id: 2,
    slug: 'logout',
    steps: [
      reset,
      login,
      {
        say: tx('Before she logs out we keep a copy of what her browser holds: the server copies the cookie into the demo\'s attacker slot (script cannot read an HttpOnly cookie); the access token is already in this page\'s memory.',
          '로그아웃하기 전에 브라우저가 가진 것의 사본을 남깁니다. 쿠키는 서버가 데모의 공격자 슬롯에 복사하고(HttpOnly 쿠키는 스크립트가 읽을 수 없음), 액세스 토큰은 이미 이 페이지 메모리에 있습니다.'),
        async each (c) { return await steal(c, { cookies: true, bearer: isJwt(c) }) }
      },
      logout,
      {
        say: tx('The old copy is replayed: GET /api/me with the old cookie (session) or the old access token (JWT).',
          '예전 사본을 다시 보냅니다. 옛 쿠키(세션)나 옛 액세스 토큰(JWT)으로 GET /api/me를 호출합니다.'),
        async each (c) {
          if (!isJwt(c)) return await untilRefused(c, async () => await attack(c, 'me'))
          return await untilRefused(c, async () => await c.net.send('GET', `${mount(c)}/api/me`, { bearer: c.col.access, cookies: false, actor: 'aliceBrowser' }))
        }
      },
      {
        say: tx('And the old refresh token: can the copy still get a new access token?', '옛 리프레시 토큰은 어떨까요? 사본으로 새 액세스 토큰을 받을 수 있을까요?'),
        skip: jwtOnly,
        async each (c) {
          const x = await attack(c, 'refresh')
          return result([x], [{ ok: statusOf(x) === 401, text: tx(`the old refresh token is refused at once (${sr(x)})`, `옛 리프레시 토큰은 즉시 거부됨 (${sr(x)})`) }])
        }
      }
    ]
  },
  {
    id: 3,
    slug: 'role',
    steps: [
      reset,
      login,
      {
        say: tx('alice is a user: GET /api/admin is forbidden to her.', 'alice는 일반 사용자라서 GET /api/admin은 금지됩니다.'),
        async each (c) {
          const x = await aliceCalls(c, '/api/admin')
          return result([x], [{ ok: x.status === 403, text: tx(`403 for a user (${sr(x)})`, `일반 사용자에게 403 (${sr(x)})`) }])
        }
      },
      {
        say: { runner: ['promotes'], fallback: tx('The admin promotes alice to admin.', '관리자가 alice를 admin으로 올립니다.') },
        // The admin uses its own JWT with the refresh token in the body and no cookies, so alice's cookies stay untouched.
        async once ({ net, mounts }) {
          const [l, x] = await asAdmin(net, mounts, '/admin/users/alice/role', { role: 'admin' })
          return result([l, x], [{ ok: x.status === 200, text: tx(`role changed: ${x.status}`, `역할 변경: ${x.status}`) }])
        }
      },
      {
        say: tx('alice calls GET /api/admin again with the credential she already holds.', 'alice가 이미 가진 자격 증명으로 GET /api/admin을 다시 호출합니다.'),
        async each (c) {
          const x = await aliceCalls(c, '/api/admin')
          const observed = x.status === 200
            ? { outcome: 'at-once', detail: tx('200 on the very next request', '바로 다음 요청에서 200') }
            : x.status === 403
              ? { outcome: 'until-refresh', detail: tx('403: the token still says role "user"', '403: 토큰에는 아직 역할이 "user"') }
              : { outcome: 'old-token-rejected', detail: tx(`${sr(x)}: the old token is refused`, `${sr(x)}: 옛 토큰이 거부됨`) }
          c.col.observed = observed
          return { exchanges: [x], checks: [], observed }
        }
      },
      {
        say: { runner: ['clientRefreshes'], fallback: tx('The client refreshes.', '클라이언트가 갱신합니다.') },
        skip: jwtOnly,
        async each (c) {
          const r = await aliceRefreshes(c)
          const x = await aliceCalls(c, '/api/admin')
          const ok = r.status === 200 && x.status === 200
          return {
            exchanges: [r, x],
            checks: [{ ok, text: tx(`after the refresh the new role works (${x.status})`, `갱신 뒤에는 새 역할이 동작함 (${x.status})`) }],
            ...(c.col.observed === undefined ? {} : { observed: ok ? c.col.observed : { outcome: 'works', detail: tx(`the old role stayed: ${sr(x)}`, `옛 역할이 남음: ${sr(x)}`) } })
          }
        }
      }
    ]
  },
  {
    id: 4,
    slug: 'disable',
    steps: [
      reset,
      login,
      {
        say: tx('The admin disables alice\'s account (POST /admin/users/alice/disable).', '관리자가 alice의 계정을 비활성화합니다 (POST /admin/users/alice/disable).'),
        async once ({ net, mounts }) {
          const [l, x] = await asAdmin(net, mounts, '/admin/users/alice/disable')
          return result([l, x], [{ ok: x.status === 200, text: tx(`disabled: ${x.status}`, `비활성화: ${x.status}`) }])
        }
      },
      {
        say: tx('alice\'s browser calls GET /api/me with the credential it already holds.', 'alice의 브라우저가 이미 가진 자격 증명으로 GET /api/me를 호출합니다.'),
        async each (c) { return await untilRefused(c, async () => await aliceCalls(c, '/api/me')) }
      },
      {
        say: tx('Her client tries to refresh.', '클라이언트가 갱신을 시도합니다.'),
        skip: jwtOnly,
        async each (c) {
          const x = await c.net.send('POST', `${mount(c)}/refresh`, { actor: 'aliceBrowser' })
          return result([x], [{ ok: x.status === 401, text: tx(`refresh is refused at once (${sr(x)})`, `갱신이 즉시 거부됨 (${sr(x)})`) }])
        }
      },
      {
        say: tx('alice tries to log in again.', 'alice가 다시 로그인하려 합니다.'),
        async each (c) {
          // A refused login leaves the browser's cookies as they were (it fails before any session is made).
          const x = await c.net.send('POST', `${mount(c)}/login`, { body: isJwt(c) ? { ...ALICE, transport: 'body' } : ALICE, cookies: !isJwt(c), actor: 'aliceLoggingInAgain' })
          return result([x], [{ ok: x.status === 403 && x.error === 'account_disabled', text: tx(`a new login is refused (${sr(x)})`, `새 로그인이 거부됨 (${sr(x)})`) }])
        }
      },
      {
        say: tx('The admin enables alice again (Start\'s reset would too).', '관리자가 alice를 다시 활성화합니다 (시작의 초기화도 그렇게 합니다).'),
        async once ({ net, mounts }) {
          const [l, x] = await asAdmin(net, mounts, '/admin/users/alice/enable')
          return result([l, x], [{ ok: x.status === 200, text: tx(`enabled: ${x.status}`, `활성화: ${x.status}`) }])
        }
      }
    ]
  },
  {
    id: 5,
    slug: 'password',
    steps: [
      reset,
      { ...login, say: tx('alice logs in on her laptop (this browser) on each mount.', 'alice가 노트북(이 브라우저)으로 각 마운트에 로그인합니다.') },
      {
        say: tx('And on her phone. A browser keeps one session cookie per site, so for /session this page does not keep the phone\'s cookie (its session lives on the server and shows on the device list); on the JWT mounts the phone keeps its tokens from the response body.',
          '휴대폰으로도 로그인합니다. 브라우저는 사이트마다 세션 쿠키를 하나만 가지므로 /session에서는 이 페이지가 휴대폰의 쿠키를 보관하지 않습니다 (세션은 서버에 있고 기기 목록에 보입니다). JWT 마운트에서는 휴대폰이 응답 본문의 토큰을 보관합니다.'),
        async each (c) {
          const x = await c.net.send('POST', `${mount(c)}/login`, { body: isJwt(c) ? { ...ALICE, transport: 'body' } : ALICE, cookies: false, actor: 'alicePhone' })
          memo(c).phone = accessOf(x)
          const d = await aliceCalls(c, '/devices')
          const n = Array.isArray(d.response) ? d.response.length : -1
          return result([x, d], [
            { ok: x.status === 200, text: tx(`the phone logs in: ${x.status}`, `휴대폰 로그인: ${x.status}`) },
            { ok: n === 2, text: tx(`alice's device list shows ${n} logins (laptop and phone)`, `alice의 기기 목록에 로그인 ${n}개 (노트북과 휴대폰)`) }
          ])
        }
      },
      {
        say: tx('The admin changes alice\'s password (POST /admin/users/alice/password).', '관리자가 alice의 비밀번호를 바꿉니다 (POST /admin/users/alice/password).'),
        async once ({ net, mounts }) {
          const [l, x] = await asAdmin(net, mounts, '/admin/users/alice/password', { password: NEW_PASSWORD })
          return result([l, x], [{ ok: x.status === 200, text: tx(`password changed: ${x.status}`, `비밀번호 변경: ${x.status}`) }])
        }
      },
      {
        say: tx('The phone and the laptop call GET /api/me with what they already hold.', '휴대폰과 노트북이 이미 가진 것으로 GET /api/me를 호출합니다.'),
        async each (c) {
          const phoneToken = memo(c).phone
          const phone = isJwt(c) && typeof phoneToken === 'string'
            ? await c.net.send('GET', `${mount(c)}/api/me`, { bearer: phoneToken, cookies: false, actor: 'alicePhone' })
            : null
          const seen = await untilRefused(c, async () => await aliceCalls(c, '/api/me'))
          if (phone === null) return seen
          const same = (phone.status === 200) === (seen.observed?.outcome !== 'rejected')
          return { ...seen, exchanges: [phone, ...seen.exchanges], checks: [{ ok: same, text: tx(`the phone fares like the laptop (${sr(phone)})`, `휴대폰도 노트북과 같음 (${sr(phone)})`) }] }
        }
      },
      {
        say: tx('The old password no longer logs in; the new one does, and alice\'s device list shows only that new login.', '옛 비밀번호로는 더 이상 로그인되지 않고 새 비밀번호로는 됩니다. alice의 기기 목록에는 그 새 로그인만 남습니다.'),
        async each (c) {
          const old = await c.net.send('POST', `${mount(c)}/login`, { body: isJwt(c) ? { ...ALICE, transport: 'body' } : ALICE, cookies: false, actor: 'aliceLaptop' })
          const fresh = await c.net.send('POST', `${mount(c)}/login`, { body: { username: ALICE.username, password: NEW_PASSWORD }, actor: 'aliceLaptop' })
          const at = accessOf(fresh)
          if (at !== null) c.col.access = at
          const d = await aliceCalls(c, '/devices')
          const n = Array.isArray(d.response) ? d.response.length : -1
          return result([old, fresh, d], [
            { ok: old.status === 401, text: tx(`the old password no longer logs in (${old.status})`, `옛 비밀번호로는 로그인되지 않음 (${old.status})`) },
            { ok: fresh.status === 200, text: tx(`the new password does (${fresh.status})`, `새 비밀번호로는 됨 (${fresh.status})`) },
            { ok: n === 1, text: tx(`the device list shows ${n} login: the laptop's and the phone's logins ended`, `기기 목록의 로그인 ${n}개: 노트북과 휴대폰의 로그인은 끝남`) }
          ])
        }
      }
    ]
  },
  {
    id: 6,
    slug: 'stolen-access',
    steps: [
      reset,
      login,
      {
        say: { runner: ['copiesCookie', 'copiesToken'], fallback: tx('The thief copies the credential.', '도둑이 자격 증명을 복사합니다.') },
        // JWT: only the access token (the bearer), without the refresh cookie.
        async each (c) { return await steal(c, isJwt(c) ? { cookies: false, bearer: true } : { cookies: true, bearer: false }) }
      },
      {
        say: { runner: ['cannotTell'], fallback: tx('Before logout the server cannot tell the thief from alice.', '로그아웃 전에는 서버가 도둑과 alice를 구별할 수 없습니다.') },
        async each (c) {
          const x = await attack(c, 'me')
          return result([x], [{ ok: statusOf(x) === 200, text: tx(`the thief's copy works (${sr(x)})`, `도둑의 사본이 동작함 (${sr(x)})`) }])
        }
      },
      logout,
      {
        say: tx('The thief replays the copy after alice\'s logout.', 'alice가 로그아웃한 뒤 도둑이 사본을 다시 보냅니다.'),
        async each (c) { return await untilRefused(c, async () => await attack(c, 'me')) }
      }
    ]
  },
  {
    id: 7,
    slug: 'stolen-refresh',
    steps: [
      reset,
      login,
      {
        say: { runner: ['copiesRefresh', 'sessionCopies'], fallback: tx('The attacker copies the refresh token.', '공격자가 리프레시 토큰을 복사합니다.') },
        // JWT: the refresh cookie only (no bearer); session: the cookie, the only credential it has.
        async each (c) { return await steal(c, { cookies: true, bearer: false }) }
      },
      {
        say: { runner: ['refreshesFirst'], fallback: tx('The attacker refreshes first.', '공격자가 먼저 갱신합니다.') },
        async each (c) {
          const x = await attack(c, isJwt(c) ? 'refresh' : 'me')
          return result([x], [{ ok: statusOf(x) === 200, text: isJwt(c) ? tx(`the attacker's refresh succeeds (${sr(x)})`, `공격자의 갱신이 성공함 (${sr(x)})`) : tx(`the attacker's copy works (${sr(x)})`, `공격자의 사본이 동작함 (${sr(x)})`) }])
        }
      },
      {
        say: { runner: ['victimLater'], fallback: tx('Later the victim\'s client refreshes.', '나중에 피해자의 클라이언트가 갱신합니다.') },
        async each (c) {
          if (!isJwt(c)) {
            const x = await aliceCalls(c, '/api/me')
            const both = x.status === 200
            return {
              exchanges: [x],
              checks: [],
              observed: both ? { outcome: 'undetected', detail: tx('both copies get 200; nothing flags the copy', '두 사본 모두 200, 아무것도 사본을 알아채지 못함') } : { outcome: 'rejected', detail: tx(sr(x), sr(x)) }
            }
          }
          const x = await c.net.send('POST', `${mount(c)}/refresh`, { actor: 'aliceBrowser' })
          return result([x], [{ ok: x.status === 401 && x.error === 'refresh_token_reused', text: tx(`reuse detected: ${sr(x)}`, `재사용 탐지: ${sr(x)}`) }])
        }
      },
      {
        say: tx('The attacker tries its newer refresh token.', '공격자가 새로 받은 리프레시 토큰을 써 봅니다.'),
        skip: jwtOnly,
        async each (c) {
          const x = await attack(c, 'refresh')
          return result([x], [{ ok: statusOf(x) === 401, text: tx(`the attacker's newer refresh token is dead too (${sr(x)})`, `공격자의 새 리프레시 토큰도 죽음 (${sr(x)})`) }])
        }
      },
      {
        say: { runner: ['whatIsLeft'], fallback: tx('What is left: the attacker\'s access token.', '남은 것: 공격자의 액세스 토큰.') },
        skip: jwtOnly,
        async each (c) { return await untilRefused(c, async () => await attack(c, 'me')) }
      }
    ]
  },
  {
    id: 13,
    slug: 'fat-token',
    steps: [
      reset,
      login,
      ...GROUP_STEPS.map((groups, i): StepDef => ({
        say: i === 0
          ? { runner: ['how'], fallback: tx('The server re-issues alice\'s access token with N made-up group names (POST /{mount}/demo/fat-token, demo mode only); each step is one GET /api/me, its bytes counted.', '서버가 alice의 액세스 토큰에 지어낸 그룹 이름 N개를 넣어 다시 발급합니다 (POST /{mount}/demo/fat-token, 데모 모드 전용). 각 단계는 GET /api/me 한 번이며 그 바이트를 셉니다.') }
          : tx(`${groups} groups in the token${groups === 110 ? ': 100 and 110 groups straddle 4096 bytes, the most a browser must keep of one cookie and the most this server takes of a bearer token' : ''}. The JWT requests carry only the bearer token here (no cookies), the session's only its cookie.`,
            `토큰에 그룹 ${groups}개${groups === 110 ? '. 그룹 100개와 110개 사이에서 4096바이트를 넘습니다. 브라우저가 쿠키 하나에 대해 반드시 보관해야 하는 크기이자 이 서버가 받아들이는 bearer 토큰의 최대 크기입니다' : ''}. 여기서 JWT 요청은 bearer 토큰만 (쿠키 없이), 세션 요청은 쿠키만 싣습니다.`),
        async each (c) { return await fatStep(c, groups, i === GROUP_STEPS.length - 1) }
      }))
    ]
  },
  {
    id: 15,
    slug: 'rename',
    steps: [
      reset,
      login,
      {
        say: tx('Before: GET /api/me says alice.', '이전: GET /api/me는 alice라고 답합니다.'),
        async each (c) {
          const x = await aliceCalls(c, '/api/me')
          return result([x], [{ ok: usernameOf(x) === 'alice', text: tx(`before: /api/me says ${usernameOf(x)}`, `이전: /api/me는 ${usernameOf(x)}`) }])
        }
      },
      {
        say: tx(`The admin renames alice to ${NEW_NAME} (POST /admin/users/alice/username); the new name logs in with the same password.`, `관리자가 alice의 이름을 ${NEW_NAME}(으)로 바꿉니다 (POST /admin/users/alice/username). 새 이름은 같은 비밀번호로 로그인됩니다.`),
        async once ({ net, mounts, cols }) {
          const [l, x] = await asAdmin(net, mounts, '/admin/users/alice/username', { username: NEW_NAME })
          const version = (x.response as { user?: { version?: unknown } } | null)?.user?.version
          const checks: ColumnResult['checks'] = [{ ok: x.status === 200, text: tx(`renamed: ${x.status}`, `이름 변경: ${x.status}`) }]
          for (const col of cols) {
            const ver = col.access === null ? undefined : decodeJwt(col.access)?.payload.ver
            if (ver !== undefined) checks.push({ ok: ver === version, text: tx(`/${col.mount.name}: the rename bumped no version (token ver ${String(ver)}, user version ${String(version)})`, `/${col.mount.name}: 이름 변경은 버전을 올리지 않음 (토큰 ver ${String(ver)}, 사용자 version ${String(version)})`) })
          }
          const jwtMount = mounts.find(m => m.name === 'jwt') ?? mounts.find(m => m.kind === 'jwt')
          const n = await net.send('POST', `/${jwtMount?.name ?? 'jwt'}/login`, { body: { username: NEW_NAME, password: ALICE.password, transport: 'body' }, cookies: false, actor: 'newName' })
          checks.push({ ok: n.status === 200, text: tx(`the new name logs in with the same password (${n.status})`, `새 이름이 같은 비밀번호로 로그인됨 (${n.status})`) })
          return result([l, x, n], checks)
        }
      },
      {
        say: tx('alice calls GET /api/me again with the credential she already holds.', 'alice가 이미 가진 자격 증명으로 GET /api/me를 다시 호출합니다.'),
        async each (c) {
          const x = await aliceCalls(c, '/api/me')
          const name = usernameOf(x)
          const observed = x.status !== 200
            ? { outcome: 'rejected', detail: tx(sr(x), sr(x)) }
            : name === NEW_NAME
              ? { outcome: 'renamed', detail: tx(`the next request says ${name}`, `바로 다음 요청이 ${name}`) }
              : { outcome: 'until-refresh', detail: tx(`still ${name}: the token's preferred_username is a copy from its issue`, `아직 ${name}: 토큰의 preferred_username은 발급 때의 사본`) }
          c.col.observed = observed
          return { exchanges: [x], checks: [], observed }
        }
      },
      {
        say: { runner: ['refreshes'], fallback: tx('The client refreshes.', '클라이언트가 갱신합니다.') },
        skip: jwtOnly,
        async each (c) {
          const r = await aliceRefreshes(c)
          const x = await aliceCalls(c, '/api/me')
          const ok = r.status === 200 && usernameOf(x) === NEW_NAME
          return {
            exchanges: [r, x],
            checks: [{ ok, text: tx(`after the refresh /api/me says ${usernameOf(x)}`, `갱신 뒤 /api/me는 ${usernameOf(x)}`) }],
            ...(c.col.observed === undefined ? {} : { observed: ok ? c.col.observed : { outcome: 'works', detail: tx(`the old name stayed: ${usernameOf(x)}`, `옛 이름이 남음: ${usernameOf(x)}`) } })
          }
        }
      },
      {
        say: tx(`The admin renames ${NEW_NAME} back to alice (Start's reset would too).`, `관리자가 ${NEW_NAME}을(를) 다시 alice로 바꿉니다 (시작의 초기화도 그렇게 합니다).`),
        async once ({ net, mounts }) {
          const [l, x] = await asAdmin(net, mounts, `/admin/users/${NEW_NAME}/username`, { username: 'alice' })
          return result([l, x], [{ ok: x.status === 200, text: tx(`renamed back: ${x.status}`, `이름 되돌림: ${x.status}`) }])
        }
      }
    ]
  },
  {
    id: 18,
    slug: 'token-storage',
    observedIn: tx('in the lab\'s tab (its injected script reports what it read and did)', '실험실 탭에서 (주입된 스크립트가 읽고 한 일을 보고함)'),
    steps: [
      reset,
      {
        say: tx('The XSS lab is a page of its own (/xss-lab.html): an app that logs alice in and keeps its token where a typical client does, and, loaded on purpose, the "injected" script that reports what page script can read and do. Its pages, like this one, refuse to be framed (frame-ancestors \'none\'), so it opens in a new tab; the player cannot see that tab, so the verdict is read there.',
          'XSS 실험실은 별도 페이지입니다 (/xss-lab.html). alice를 로그인시키고 흔한 클라이언트처럼 토큰을 보관하는 앱과, 일부러 불러온 "주입된" 스크립트가 있어 페이지 스크립트가 무엇을 읽고 할 수 있는지 보고합니다. 이 페이지처럼 실험실도 프레임에 넣을 수 없으므로 (frame-ancestors \'none\') 새 탭에서 열립니다. 플레이어는 그 탭을 볼 수 없으니 판정은 그 탭에서 읽습니다.'),
        async each (c) {
          const name = `/${c.col.mount.name}`
          return { exchanges: [], checks: [], link: { href: `/xss-lab.html?mount=${encodeURIComponent(name)}`, text: tx(`Open the XSS lab for ${name} in a new tab ↗`, `${name}용 XSS 실험실을 새 탭에서 열기 ↗`) } }
        }
      }
    ]
  },
  {
    id: 20,
    slug: 'new-device',
    steps: [
      reset,
      login,
      {
        say: { runner: ['stealsCookie', 'stealsRefresh'], fallback: tx('Malware copies alice\'s credential to the attacker.', '악성 코드가 alice의 자격 증명을 공격자에게 복사합니다.') },
        // JWT: the refresh cookie (it rides under the mount's path); session: the cookie, the only credential it has.
        async each (c) { return await steal(c, { cookies: true, bearer: false }) }
      },
      {
        say: { runner: ['attackerCalls', 'attackerRefreshes'], fallback: tx('The attacker uses it from his own machine (203.0.113.66).', '공격자가 자기 기계(203.0.113.66)에서 그것을 씁니다.') },
        async each (c) {
          const x = await attack(c, isJwt(c) ? 'refresh' : 'me')
          const r = x.replayed
          return result([x], [{ ok: statusOf(x) === 200, text: tx(`not blocked: ${r?.path ?? ''} → ${statusOf(x)}`, `막지 않음: ${r?.path ?? ''} → ${statusOf(x)}`) }])
        }
      },
      {
        say: { runner: ['victimLooks'], fallback: tx('Later alice opens her device list.', '나중에 alice가 기기 목록을 엽니다.') },
        async each (c) {
          const x = await aliceCalls(c, '/devices')
          const devices = Array.isArray(x.response) ? x.response as ListedDevice[] : []
          const own = devices.find(d => d.current)
          if (own !== undefined) memo(c).device = own.id
          const flag = own?.flags?.find(f => f.kind === 'new_address' && f.ip === '203.0.113.66')
          const observed = flag === undefined
            ? { outcome: 'not-flagged', detail: tx(`the device list shows no flag (${devices.length} login${devices.length === 1 ? '' : 's'})`, `기기 목록에 표시 없음 (로그인 ${devices.length}개)`) }
            : { outcome: 'flagged', detail: tx(`the attacker's refresh worked; the device list flags new_address ${flag.ip} (${flag.userAgent})`, `공격자의 갱신은 성공했고 기기 목록이 new_address ${flag.ip} (${flag.userAgent})를 표시함`) }
          return { exchanges: [x], checks: [{ ok: x.status === 200 && own !== undefined, text: tx(`GET /devices: ${sr(x)}, ${devices.length} login(s), this one marked current`, `GET /devices: ${sr(x)}, 로그인 ${devices.length}개, 이 로그인이 current`) }], observed }
        }
      },
      {
        say: { runner: ['endsIt', 'nothingToSee'], fallback: tx('alice ends that login.', 'alice가 그 로그인을 끝냅니다.') },
        async each (c) {
          const id = memo(c).device
          const x = await c.net.send('DELETE', `${mount(c)}/devices/${encodeURIComponent(typeof id === 'string' ? id : '-')}`, { bearer: isJwt(c) ? c.col.access : null, actor: 'aliceBrowser' })
          const a = await attack(c, isJwt(c) ? 'refresh' : 'me')
          return result([x, a], [
            { ok: x.status === 204, text: tx(`the login is ended (${x.status})`, `로그인이 끝남 (${x.status})`) },
            { ok: statusOf(a) === 401, text: tx(`the attacker's copy is dead (${sr(a)})`, `공격자의 사본은 죽음 (${sr(a)})`) }
          ])
        }
      }
    ]
  }
]
