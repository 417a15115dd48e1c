/**
 * The stories the page can play: the runner's stories 1, 2, 3, 6 and 7 (demo/scenarios.ts), retold with
 * the browser as the client and the side-by-side mounts as the servers. Each is data (its steps and their
 * narration) plus small step functions that make the requests. A step runs on each mode column, or once
 * for all (the reset, the admin's change). The outcome a story expects per mode is not here: it comes
 * with the words from /story-words.json, computed from the runner's own `expect` (harness/promises.ts).
 */
import { errorCodeOf, statusOf, type Net } from './net.js'
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

export interface StoryDef { id: number, slug: string, steps: StepDef[] }

const ALICE = { username: 'alice', password: 'alice-password' }
const ADMIN = { username: 'admin', password: 'admin-password' }
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
    for (const col of cols) { col.access = null; col.loot = null; col.lootHolds = []; delete col.observed }
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

const jwtOnly = (m: Mechanism): Text | null => m === 'session' ? tx('sessions have no refresh token', '세션에는 리프레시 토큰이 없음') : null

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
          // The default JWT mount (/jwt) is the one the admin routes accept, as on the page's admin strip.
          const jwtMount = mounts.find(m => m.name === 'jwt') ?? mounts.find(m => m.kind === 'jwt')
          const loginPath = `/${jwtMount?.name ?? 'jwt'}/login`
          const l = await net.send('POST', loginPath, { body: { ...ADMIN, transport: 'body' }, cookies: false, actor: 'admin' })
          const token = (l.response as { access_token?: unknown } | null)?.access_token
          const x = await net.send('POST', '/admin/users/alice/role', { body: { role: 'admin' }, bearer: typeof token === 'string' ? token : null, cookies: false, actor: 'admin' })
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
          const r = await c.net.send('POST', `${mount(c)}/refresh`, { actor: 'aliceBrowser' })
          const at = (r.response as { access_token?: unknown } | null)?.access_token
          if (typeof at === 'string') c.col.access = at
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
  }
]
