/**
 * Soak run (soak/README.md): mixed traffic from many users against `node dist/server.js` as its own
 * process, once per store, for a fixed time. Every request has exactly one expected answer (see the
 * journeys below); anything else (a 5xx, an unexpected 401/403/429, a network error) is an error and
 * the run fails. Reports requests, errors and the server's RSS (VmRSS from /proc/<pid>/status) at
 * start and end, and fails when RSS grew more than --max-rss-growth-mb.
 *
 *   npm run soak -- [--duration 60] [--stores memory,redis] [--users 200] [--concurrency 16]
 *                   [--revocation denylist] [--max-rss-growth-mb 100] [--max-requests 5000000] [--json]
 *
 * Redis, by the harness's policy (harness/redis.ts): REDIS_URL when set (keys under a fresh prefix,
 * deleted afterwards; never FLUSHALL), else a throwaway redis-server on a free loopback port, else the
 * redis store is skipped loudly (an error under CI=true). The server: harness/server.ts NON_DEMO_ENV
 * (no demo users, the admin from ADMIN_PASSWORD, LOGIN_RATE_LIMIT=off for mass logins, plain-http
 * cookies, PASSWORD_HASH_COST=14) and LOG_LEVEL=warn, on loopback.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { BENCH_PASSWORD, COOKIES, benchUser, type Login } from '../harness/fixtures.js'
import { RawClient, cookieValue, type RawReply } from '../harness/http.js'
import { loginAdmin, loginSession } from '../harness/login.js'
import { mechanismOf, promised, type LoginEvent } from '../harness/promises.js'
import { deleteKeys, openRedis } from '../harness/redis.js'
import { NON_DEMO_ENV, startServer } from '../harness/server.js'

type Store = 'memory' | 'redis'
type Mode = 'none' | 'denylist' | 'version'

interface Options {
  durationSec: number
  stores: Store[]
  users: number
  concurrency: number
  revocation: Mode
  maxRssGrowthMb: number
  maxRequests: number
  json: boolean
}

function parseOptions (): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '60' },
      stores: { type: 'string', default: 'memory,redis' },
      users: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '16' },
      revocation: { type: 'string', default: 'denylist' },
      'max-rss-growth-mb': { type: 'string', default: '100' },
      'max-requests': { type: 'string', default: '5000000' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false }
    },
    strict: true
  })
  if (values.help === true) {
    console.log('npm run soak -- [--duration 60] [--stores memory,redis] [--users 200] [--concurrency 16] [--revocation none|denylist|version] [--max-rss-growth-mb 100] [--max-requests 5000000] [--json]')
    process.exit(0)
  }
  const int = (name: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v)
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`--${name}: expected an integer from ${min} to ${max}, got '${v ?? ''}'`)
    return n
  }
  const stores = (values.stores ?? '').split(',').map(s => s.trim()).filter(s => s !== '')
  for (const s of stores) if (s !== 'memory' && s !== 'redis') throw new Error(`--stores: expected memory and/or redis, got '${s}'`)
  const revocation = values.revocation ?? 'denylist'
  if (!['none', 'denylist', 'version'].includes(revocation)) throw new Error(`--revocation: expected none, denylist or version, got '${revocation}'`)
  const concurrency = int('concurrency', values.concurrency, 1, 256)
  const users = int('users', values.users, 2, 100_000)
  if (users < concurrency * 2) throw new Error('--users must be at least twice --concurrency (each client owns its users)')
  return {
    durationSec: int('duration', values.duration, 1, 24 * 3600),
    stores: stores as Store[],
    users,
    concurrency,
    revocation: revocation as Mode,
    maxRssGrowthMb: int('max-rss-growth-mb', values['max-rss-growth-mb'], 1, 100_000),
    maxRequests: int('max-requests', values['max-requests'], 1, 1_000_000_000),
    json: values.json === true
  }
}

function rssMb (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN)
  return kb / 1024
}

type Reply = RawReply

// ---------------------------------------------------------------------------------------------------
// Traffic: journeys in which every request has exactly one expected status (and error code)

interface Stats {
  requests: number
  errors: number
  /** Expected refusals by `status error`: the 401/403 the journeys ask for. */
  expectedRefusals: Map<string, number>
  byStep: Map<string, number>
  firstErrors: string[]
}

class Halt extends Error {}

class Worker {
  constructor (
    private readonly http: RawClient,
    private readonly stats: Stats,
    private readonly mode: Mode,
    private readonly adminLogin: Login,
    private readonly users: string[],
    private readonly shouldStop: () => boolean
  ) {}

  private steady!: { sid: string, access: string, refresh: string }
  private admin!: string

  /** One request and its check. Returns the reply; an unexpected answer counts as an error. */
  private async step (name: string, expect: number, expectError: string | undefined, send: () => Promise<Reply>): Promise<Reply | null> {
    if (this.shouldStop()) throw new Halt()
    this.stats.requests++
    this.stats.byStep.set(name, (this.stats.byStep.get(name) ?? 0) + 1)
    let r: Reply
    try {
      r = await send()
    } catch (err) {
      this.error(`${name}: network error ${(err as Error).message}`)
      return null
    }
    const code = typeof r.body === 'object' && r.body !== null ? r.body.error as string | undefined : undefined
    if (r.status !== expect || (expectError !== undefined && code !== expectError)) {
      this.error(`${name}: expected ${expect}${expectError === undefined ? '' : ` ${expectError}`}, got ${r.status} ${code ?? ''}`)
      return null
    }
    if (r.status >= 400) {
      const key = `${r.status} ${code ?? ''}`
      this.stats.expectedRefusals.set(key, (this.stats.expectedRefusals.get(key) ?? 0) + 1)
    }
    return r
  }

  private error (message: string): void {
    this.stats.errors++
    if (this.stats.firstErrors.length < 20) this.stats.firstErrors.push(message)
  }

  private pick (): string { return this.users[1 + Math.floor(Math.random() * (this.users.length - 1))]! }
  private cred (username: string): Login { return { username, password: BENCH_PASSWORD } }
  /** What the access token of a login gets after `event`, as harness/promises.ts says the mode promises. */
  private accessAfter (event: LoginEvent): { status: number, error: string | undefined } {
    return promised(mechanismOf('jwt', this.mode), event) === 'immediate' ? { status: 401, error: 'token_revoked' } : { status: 200, error: undefined }
  }

  async setup (): Promise<void> {
    const steadyUser = this.users[0]!
    const s = await this.step('setup session login', 200, undefined, async () => await this.http.call('POST', '/session/login', { json: this.cred(steadyUser) }))
    const j = await this.step('setup jwt login', 200, undefined, async () => await this.http.call('POST', '/jwt/login', { json: { ...this.cred(steadyUser), transport: 'body' } }))
    const a = await this.step('setup admin login', 200, undefined, async () => await this.http.call('POST', '/session/login', { json: this.adminLogin }))
    if (s === null || j === null || a === null) throw new Error('setup failed')
    this.steady = { sid: cookieValue(s.setCookies, COOKIES.session)!, access: j.body.access_token, refresh: j.body.refresh_token }
    this.admin = cookieValue(a.setCookies, COOKIES.session)!
  }

  async run (): Promise<void> {
    const journeys: Array<[number, () => Promise<void>]> = [
      [4, async () => { await this.burst() }],
      [2, async () => { await this.sessionJourney() }],
      [2, async () => { await this.jwtBodyJourney() }],
      [1, async () => { await this.jwtCookieJourney() }],
      [1, async () => { await this.revocationJourney() }]
    ]
    const total = journeys.reduce((n, [w]) => n + w, 0)
    try {
      while (!this.shouldStop()) {
        let roll = Math.random() * total
        const journey = journeys.find(([w]) => (roll -= w) < 0) ?? journeys[0]!
        await journey[1]()
      }
    } catch (err) {
      if (!(err instanceof Halt)) throw err
    }
  }

  /** Protected calls on a login that is never revoked, both strategies, plus a refresh. */
  private async burst (): Promise<void> {
    for (let i = 0; i < 10; i++) {
      await this.step('steady session me', 200, undefined, async () => await this.http.call('GET', '/session/api/me', { cookie: `${COOKIES.session}=${this.steady.sid}` }))
      await this.step('steady jwt me', 200, undefined, async () => await this.http.call('GET', '/jwt/api/me', { bearer: this.steady.access }))
    }
    await this.step('steady session notes', 201, undefined, async () => await this.http.call('POST', '/session/api/notes', { cookie: `${COOKIES.session}=${this.steady.sid}`, json: { text: 'soak' } }))
    await this.step('steady jwt notes', 201, undefined, async () => await this.http.call('POST', '/jwt/api/notes', { bearer: this.steady.access, json: { text: 'soak' } }))
    const r = await this.step('steady refresh', 200, undefined, async () => await this.http.call('POST', '/jwt/refresh', { json: { refresh_token: this.steady.refresh } }))
    if (r !== null) this.steady = { ...this.steady, access: r.body.access_token, refresh: r.body.refresh_token }
  }

  /** login → me ×3 → notes → admin (403) → devices → logout → replay (401 session_revoked). */
  private async sessionJourney (): Promise<void> {
    const login = await this.step('session login', 200, undefined, async () => await this.http.call('POST', '/session/login', { json: this.cred(this.pick()) }))
    const sid = login === null ? undefined : cookieValue(login.setCookies, COOKIES.session)
    if (sid === undefined) return
    const cookie = `${COOKIES.session}=${sid}`
    for (let i = 0; i < 3; i++) await this.step('session me', 200, undefined, async () => await this.http.call('GET', '/session/api/me', { cookie }))
    await this.step('session notes', 201, undefined, async () => await this.http.call('POST', '/session/api/notes', { cookie, json: { text: 'soak' } }))
    await this.step('session admin route as user', 403, 'forbidden', async () => await this.http.call('GET', '/session/api/admin', { cookie }))
    await this.step('session devices', 200, undefined, async () => await this.http.call('GET', '/session/devices', { cookie }))
    await this.step('session logout', 204, undefined, async () => await this.http.call('POST', '/session/logout', { cookie }))
    await this.step('session replay after logout', 401, 'session_revoked', async () => await this.http.call('GET', '/session/api/me', { cookie }))
  }

  /** login → me ×3 → refresh → me → replay the spent token (reuse) → newest token dead → its access token. */
  private async jwtBodyJourney (): Promise<void> {
    const login = await this.step('jwt login', 200, undefined, async () => await this.http.call('POST', '/jwt/login', { json: { ...this.cred(this.pick()), transport: 'body' } }))
    if (login === null) return
    for (let i = 0; i < 3; i++) await this.step('jwt me', 200, undefined, async () => await this.http.call('GET', '/jwt/api/me', { bearer: login.body.access_token }))
    const next = await this.step('jwt refresh', 200, undefined, async () => await this.http.call('POST', '/jwt/refresh', { json: { refresh_token: login.body.refresh_token } }))
    if (next === null) return
    await this.step('jwt me after refresh', 200, undefined, async () => await this.http.call('GET', '/jwt/api/me', { bearer: next.body.access_token }))
    await this.step('jwt replay spent refresh token', 401, 'refresh_token_reused', async () => await this.http.call('POST', '/jwt/refresh', { json: { refresh_token: login.body.refresh_token } }))
    await this.step('jwt newest token after reuse', 401, 'invalid_refresh_token', async () => await this.http.call('POST', '/jwt/refresh', { json: { refresh_token: next.body.refresh_token } }))
    const after = this.accessAfter('reuse')
    await this.step(`jwt access token after reuse (${this.mode})`, after.status, after.error, async () => await this.http.call('GET', '/jwt/api/me', { bearer: next.body.access_token }))
  }

  /** Cookie transport: login → refresh ×2 → devices → logout → old cookie (401) → access token after logout. */
  private async jwtCookieJourney (): Promise<void> {
    const login = await this.step('jwt cookie login', 200, undefined, async () => await this.http.call('POST', '/jwt/login', { json: this.cred(this.pick()) }))
    let rt = login === null ? undefined : cookieValue(login.setCookies, COOKIES.refresh)
    if (login === null || rt === undefined) return
    let access: string = login.body.access_token
    for (let i = 0; i < 2; i++) {
      const r = await this.step('jwt cookie refresh', 200, undefined, async () => await this.http.call('POST', '/jwt/refresh', { cookie: `${COOKIES.refresh}=${rt!}` }))
      if (r === null) return
      rt = cookieValue(r.setCookies, COOKIES.refresh) ?? rt
      access = r.body.access_token
    }
    await this.step('jwt devices', 200, undefined, async () => await this.http.call('GET', '/jwt/devices', { bearer: access }))
    await this.step('jwt cookie logout', 204, undefined, async () => await this.http.call('POST', '/jwt/logout', { cookie: `${COOKIES.refresh}=${rt!}`, bearer: access }))
    await this.step('jwt refresh after logout', 401, 'invalid_refresh_token', async () => await this.http.call('POST', '/jwt/refresh', { cookie: `${COOKIES.refresh}=${rt!}` }))
    const after = this.accessAfter('logout')
    await this.step(`jwt access token after logout (${this.mode})`, after.status, after.error, async () => await this.http.call('GET', '/jwt/api/me', { bearer: access }))
  }

  /** Both strategies logged in → admin revoke-all → session 401, refresh 401, access token per mode. */
  private async revocationJourney (): Promise<void> {
    const user = this.pick()
    const s = await this.step('revocation session login', 200, undefined, async () => await this.http.call('POST', '/session/login', { json: this.cred(user) }))
    const j = await this.step('revocation jwt login', 200, undefined, async () => await this.http.call('POST', '/jwt/login', { json: { ...this.cred(user), transport: 'body' } }))
    if (s === null || j === null) return
    await this.step('admin revoke-all', 200, undefined, async () => await this.http.call('POST', `/admin/users/${user}/revoke`, { cookie: `${COOKIES.session}=${this.admin}` }))
    await this.step('session after revoke-all', 401, 'session_revoked', async () => await this.http.call('GET', '/session/api/me', { cookie: `${COOKIES.session}=${cookieValue(s.setCookies, COOKIES.session)!}` }))
    await this.step('jwt refresh after revoke-all', 401, 'invalid_refresh_token', async () => await this.http.call('POST', '/jwt/refresh', { json: { refresh_token: j.body.refresh_token } }))
    const expect = this.accessAfter('revoke')
    await this.step(`jwt access token after revoke-all (${this.mode})`, expect.status, expect.error, async () => await this.http.call('GET', '/jwt/api/me', { bearer: j.body.access_token }))
  }
}

// ---------------------------------------------------------------------------------------------------

interface StoreResult {
  store: Store
  durationSec: number
  requests: number
  requestsPerSec: number
  errors: number
  expectedRefusals: Record<string, number>
  rssStartMb: number
  rssPeakMb: number
  rssEndMb: number
  rssGrowthMb: number
  serverAlive: boolean
  firstErrors: string[]
  ok: boolean
}

/** One store's soak; null when the store is redis and there is no Redis (skipped loudly by openRedis). */
async function soakStore (store: Store, opts: Options): Promise<StoreResult | null> {
  const prefix = `soak:${randomBytes(4).toString('hex')}:`
  const redis = store === 'redis' ? await openRedis('the soak of the redis store') : null
  if (store === 'redis' && redis === null) return null
  const server = await startServer({
    env: {
      ...NON_DEMO_ENV,
      STORE: store,
      ...(redis === null ? {} : { REDIS_URL: redis.url }),
      KEY_PREFIX: prefix,
      BENCH_USERS: String(opts.users),
      LOG_LEVEL: 'warn',
      JWT_REVOCATION: opts.revocation,
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      JWT_SECRET: randomBytes(32).toString('base64url')
    }
  })
  const adminLogin = await loginAdmin(server.env, async who => { await loginSession(server.url, who); return who })
  const http = new RawClient(server.url, { sockets: opts.concurrency, headers: { 'user-agent': 'svj-soak' } })
  const stats: Stats = { requests: 0, errors: 0, expectedRefusals: new Map(), byStep: new Map(), firstErrors: [] }
  try {
    const rssStartMb = rssMb(server.pid)
    let rssPeakMb = rssStartMb
    const started = Date.now()
    const deadline = started + opts.durationSec * 1000
    const stop = (): boolean => Date.now() >= deadline || stats.requests >= opts.maxRequests || !server.alive()
    const workers = Array.from({ length: opts.concurrency }, (_, w) => {
      const owned: string[] = []
      for (let u = w; u < opts.users; u += opts.concurrency) owned.push(benchUser(u).username)
      return new Worker(http, stats, opts.revocation, adminLogin, owned, stop)
    })
    await Promise.all(workers.map(async w => { await w.setup() }))
    const sampler = setInterval(() => {
      try { rssPeakMb = Math.max(rssPeakMb, rssMb(server.pid)) } catch { /* exited: reported below */ }
      const seconds = Math.round((Date.now() - started) / 1000)
      const line = `  ${store}: ${seconds} s, ${stats.requests} requests, ${stats.errors} errors`
      // A live line on a terminal; one line every 10 s in CI logs.
      if (!opts.json && process.stderr.isTTY) process.stderr.write(`\r${line}   `)
      else if (!opts.json && seconds % 10 === 0) process.stderr.write(`${line}\n`)
    }, 1000)
    await Promise.all(workers.map(async w => { await w.run() }))
    clearInterval(sampler)
    if (!opts.json && process.stderr.isTTY) process.stderr.write('\n')
    const elapsed = (Date.now() - started) / 1000
    const serverAlive = server.alive()
    const rssEndMb = serverAlive ? rssMb(server.pid) : NaN
    rssPeakMb = Math.max(rssPeakMb, rssEndMb)
    if (serverAlive) {
      const ready = await http.call('GET', '/ready')
      if (ready.status !== 200) { stats.errors++; stats.firstErrors.push(`/ready after the run: ${ready.status}`) }
    } else {
      stats.firstErrors.push(`the server died: ${server.output()}`)
    }
    const rssGrowthMb = rssEndMb - rssStartMb
    return {
      store,
      durationSec: Math.round(elapsed * 10) / 10,
      requests: stats.requests,
      requestsPerSec: Math.round(stats.requests / elapsed),
      errors: stats.errors,
      expectedRefusals: Object.fromEntries([...stats.expectedRefusals].sort()),
      rssStartMb: Math.round(rssStartMb * 10) / 10,
      rssPeakMb: Math.round(rssPeakMb * 10) / 10,
      rssEndMb: Math.round(rssEndMb * 10) / 10,
      rssGrowthMb: Math.round(rssGrowthMb * 10) / 10,
      serverAlive,
      firstErrors: stats.firstErrors,
      ok: serverAlive && stats.errors === 0 && rssGrowthMb <= opts.maxRssGrowthMb
    }
  } finally {
    http.close()
    const code = await server.stop()
    if (code !== 0 && code !== null) console.error(`server exited ${code}:\n${server.output()}`)
    if (redis !== null) {
      await deleteKeys(redis.url, prefix)
      await redis.dispose()
    }
  }
}

async function main (): Promise<void> {
  const opts = parseOptions()
  const results: StoreResult[] = []
  for (const store of opts.stores) {
    if (!opts.json) console.error(`soak: store=${store}, ${opts.durationSec} s, ${opts.concurrency} clients, ${opts.users} users, JWT_REVOCATION=${opts.revocation}`)
    const result = await soakStore(store, opts)
    if (result !== null) results.push(result)
  }
  if (opts.json) {
    console.log(JSON.stringify({ options: opts, results }, null, 2))
  } else {
    for (const r of results) {
      console.log(`\nstore=${r.store}: ${r.ok ? 'PASS' : 'FAIL'}`)
      console.log(`  requests      ${r.requests} in ${r.durationSec} s (${r.requestsPerSec}/s)`)
      console.log(`  errors        ${r.errors}`)
      console.log(`  expected 4xx  ${Object.entries(r.expectedRefusals).map(([k, n]) => `${k}×${n}`).join(', ')}`)
      console.log(`  server RSS    start ${r.rssStartMb} MB, peak ${r.rssPeakMb} MB, end ${r.rssEndMb} MB, growth ${r.rssGrowthMb} MB (bound ${opts.maxRssGrowthMb} MB)`)
      for (const e of r.firstErrors) console.log(`  ! ${e}`)
    }
  }
  process.exitCode = results.every(r => r.ok) ? 0 : 1
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
