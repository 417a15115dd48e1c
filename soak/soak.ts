/**
 * Soak run (issue 6 item 6): mixed traffic from many users against `node dist/server.js` as its own
 * process, once per store, for a fixed time. Every request has exactly one expected answer (see the
 * journeys below); anything else (a 5xx, an unexpected 401/403/429, a network error) is an error and
 * the run fails. Reports requests, errors and the server's RSS (VmRSS from /proc/<pid>/status) at
 * start and end, and fails when RSS grew more than --max-rss-growth-mb.
 *
 *   npm run soak -- [--duration 60] [--stores memory,redis] [--users 200] [--concurrency 16]
 *                   [--revocation denylist] [--max-rss-growth-mb 100] [--max-requests 5000000] [--json]
 *
 * Redis: REDIS_URL when set (keys under a fresh prefix, deleted afterwards; never FLUSHALL), else a
 * throwaway redis-server on a free loopback port. Loopback only; LOGIN_RATE_LIMIT=off (mass logins),
 * PASSWORD_HASH_COST=14, COOKIE_SECURE=false, LOG_LEVEL=warn.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { deleteKeys, freePort, hasRedisServer, startRedisServer } from '../tools/redis-server.js'

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

const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

function rssMb (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN)
  return kb / 1024
}

// ---------------------------------------------------------------------------------------------------
// Redis and the server process

interface RedisHandle { url: string, cleanup: (prefix: string) => Promise<void> }

async function redisFor (): Promise<RedisHandle> {
  const fromEnv = process.env.REDIS_URL
  if (fromEnv !== undefined && fromEnv !== '') {
    return { url: fromEnv, cleanup: async prefix => { await deleteKeys(fromEnv, prefix) } }
  }
  if (!hasRedisServer()) {
    throw new Error('STORE=redis needs REDIS_URL or redis-server on PATH (or run with --stores memory)')
  }
  const own = await startRedisServer()
  return { url: own.url, cleanup: async () => { await own.dispose() } }
}

interface Server { url: string, pid: number, child: ChildProcess, output: () => string, stop: () => Promise<number | null> }

async function startServer (env: Record<string, string>): Promise<Server> {
  const entry = resolve('dist/server.js')
  if (!existsSync(entry)) throw new Error('dist/server.js is missing: run npm run build first')
  const port = await freePort()
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const lines: string[] = []
  const keep = (c: Buffer): void => { lines.push(...c.toString().split('\n').filter(l => l !== '')); if (lines.length > 50) lines.splice(0, lines.length - 50) }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const kill = (): void => { child.kill('SIGKILL') }
  process.once('exit', kill)
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 60_000
  while (true) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}:\n${lines.join('\n')}`)
    try {
      const res = await fetch(`${url}/ready`)
      await res.arrayBuffer()
      if (res.status === 200) break
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`server not ready:\n${lines.join('\n')}`) }
    await sleep(100)
  }
  return {
    url,
    pid: child.pid ?? -1,
    child,
    output: () => lines.join('\n'),
    async stop () {
      process.off('exit', kill)
      if (child.exitCode !== null) return child.exitCode
      const exited = new Promise<number | null>(resolve => child.once('exit', code => { resolve(code) }))
      child.kill('SIGTERM')
      return await exited
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// HTTP

interface Reply { status: number, body: any, setCookies: string[] }

class Http {
  private readonly agent: Agent
  private readonly host: string
  private readonly port: number
  constructor (baseUrl: string, sockets: number) {
    const u = new URL(baseUrl)
    this.host = u.hostname
    this.port = Number(u.port)
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets })
  }

  async send (method: string, path: string, opts: { json?: unknown, bearer?: string, cookie?: string } = {}): Promise<Reply> {
    const headers: Record<string, string | number> = {}
    let body: string | undefined
    if (opts.json !== undefined) { body = JSON.stringify(opts.json); headers['content-type'] = 'application/json'; headers['content-length'] = Buffer.byteLength(body) }
    if (opts.bearer !== undefined) headers.authorization = `Bearer ${opts.bearer}`
    if (opts.cookie !== undefined) headers.cookie = opts.cookie
    headers['user-agent'] = 'svj-soak'
    return await new Promise((resolve, reject) => {
      const req = httpRequest({ agent: this.agent, host: this.host, port: this.port, method, path, headers }, res => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          let parsed: any = text
          if (text !== '' && String(res.headers['content-type'] ?? '').includes('json')) { try { parsed = JSON.parse(text) } catch { parsed = text } }
          resolve({ status: res.statusCode ?? 0, body: parsed, setCookies: res.headers['set-cookie'] ?? [] })
        })
      })
      req.on('error', reject)
      if (body !== undefined) req.write(body)
      req.end()
    })
  }

  close (): void { this.agent.destroy() }
}

const cookieFrom = (r: Reply, name: string): string | undefined => {
  for (const line of r.setCookies) {
    const m = new RegExp(`^${name}=([^;]*)`).exec(line)
    if (m !== null && m[1] !== '') return m[1]
  }
  return undefined
}

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

/** The soak server runs without demo mode: its admin comes from ADMIN_PASSWORD, fresh per run. */
const ADMIN_PASSWORD = randomBytes(18).toString('base64url')

class Worker {
  constructor (
    private readonly http: Http,
    private readonly stats: Stats,
    private readonly mode: Mode,
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
  private cred (username: string): { username: string, password: string } { return { username, password: 'bench-password' } }
  private stolenAccessAfterFamilyEnd (): { status: number, error: string | undefined } {
    // Reuse detection, logout and device removal end the family: only the denylist refuses its access token at once.
    return this.mode === 'denylist' ? { status: 401, error: 'token_revoked' } : { status: 200, error: undefined }
  }

  async setup (): Promise<void> {
    const steadyUser = this.users[0]!
    const s = await this.step('setup session login', 200, undefined, async () => await this.http.send('POST', '/session/login', { json: this.cred(steadyUser) }))
    const j = await this.step('setup jwt login', 200, undefined, async () => await this.http.send('POST', '/jwt/login', { json: { ...this.cred(steadyUser), transport: 'body' } }))
    const a = await this.step('setup admin login', 200, undefined, async () => await this.http.send('POST', '/session/login', { json: { username: 'admin', password: ADMIN_PASSWORD } }))
    if (s === null || j === null || a === null) throw new Error('setup failed')
    this.steady = { sid: cookieFrom(s, 'sid')!, access: j.body.access_token, refresh: j.body.refresh_token }
    this.admin = cookieFrom(a, 'sid')!
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
      await this.step('steady session me', 200, undefined, async () => await this.http.send('GET', '/session/api/me', { cookie: `sid=${this.steady.sid}` }))
      await this.step('steady jwt me', 200, undefined, async () => await this.http.send('GET', '/jwt/api/me', { bearer: this.steady.access }))
    }
    await this.step('steady session notes', 201, undefined, async () => await this.http.send('POST', '/session/api/notes', { cookie: `sid=${this.steady.sid}`, json: { text: 'soak' } }))
    await this.step('steady jwt notes', 201, undefined, async () => await this.http.send('POST', '/jwt/api/notes', { bearer: this.steady.access, json: { text: 'soak' } }))
    const r = await this.step('steady refresh', 200, undefined, async () => await this.http.send('POST', '/jwt/refresh', { json: { refresh_token: this.steady.refresh } }))
    if (r !== null) this.steady = { ...this.steady, access: r.body.access_token, refresh: r.body.refresh_token }
  }

  /** login → me ×3 → notes → admin (403) → devices → logout → replay (401 session_revoked). */
  private async sessionJourney (): Promise<void> {
    const login = await this.step('session login', 200, undefined, async () => await this.http.send('POST', '/session/login', { json: this.cred(this.pick()) }))
    const sid = login === null ? undefined : cookieFrom(login, 'sid')
    if (sid === undefined) return
    const cookie = `sid=${sid}`
    for (let i = 0; i < 3; i++) await this.step('session me', 200, undefined, async () => await this.http.send('GET', '/session/api/me', { cookie }))
    await this.step('session notes', 201, undefined, async () => await this.http.send('POST', '/session/api/notes', { cookie, json: { text: 'soak' } }))
    await this.step('session admin route as user', 403, 'forbidden', async () => await this.http.send('GET', '/session/api/admin', { cookie }))
    await this.step('session devices', 200, undefined, async () => await this.http.send('GET', '/session/devices', { cookie }))
    await this.step('session logout', 204, undefined, async () => await this.http.send('POST', '/session/logout', { cookie }))
    await this.step('session replay after logout', 401, 'session_revoked', async () => await this.http.send('GET', '/session/api/me', { cookie }))
  }

  /** login → me ×3 → refresh → me → replay the spent token (reuse) → newest token dead → its access token. */
  private async jwtBodyJourney (): Promise<void> {
    const login = await this.step('jwt login', 200, undefined, async () => await this.http.send('POST', '/jwt/login', { json: { ...this.cred(this.pick()), transport: 'body' } }))
    if (login === null) return
    for (let i = 0; i < 3; i++) await this.step('jwt me', 200, undefined, async () => await this.http.send('GET', '/jwt/api/me', { bearer: login.body.access_token }))
    const next = await this.step('jwt refresh', 200, undefined, async () => await this.http.send('POST', '/jwt/refresh', { json: { refresh_token: login.body.refresh_token } }))
    if (next === null) return
    await this.step('jwt me after refresh', 200, undefined, async () => await this.http.send('GET', '/jwt/api/me', { bearer: next.body.access_token }))
    await this.step('jwt replay spent refresh token', 401, 'refresh_token_reused', async () => await this.http.send('POST', '/jwt/refresh', { json: { refresh_token: login.body.refresh_token } }))
    await this.step('jwt newest token after reuse', 401, 'invalid_refresh_token', async () => await this.http.send('POST', '/jwt/refresh', { json: { refresh_token: next.body.refresh_token } }))
    const after = this.stolenAccessAfterFamilyEnd()
    await this.step(`jwt access token after reuse (${this.mode})`, after.status, after.error, async () => await this.http.send('GET', '/jwt/api/me', { bearer: next.body.access_token }))
  }

  /** Cookie transport: login → refresh ×2 → devices → logout → old cookie (401) → access token after logout. */
  private async jwtCookieJourney (): Promise<void> {
    const login = await this.step('jwt cookie login', 200, undefined, async () => await this.http.send('POST', '/jwt/login', { json: this.cred(this.pick()) }))
    let rt = login === null ? undefined : cookieFrom(login, 'rt')
    if (login === null || rt === undefined) return
    let access: string = login.body.access_token
    for (let i = 0; i < 2; i++) {
      const r = await this.step('jwt cookie refresh', 200, undefined, async () => await this.http.send('POST', '/jwt/refresh', { cookie: `rt=${rt!}` }))
      if (r === null) return
      rt = cookieFrom(r, 'rt') ?? rt
      access = r.body.access_token
    }
    await this.step('jwt devices', 200, undefined, async () => await this.http.send('GET', '/jwt/devices', { bearer: access }))
    await this.step('jwt cookie logout', 204, undefined, async () => await this.http.send('POST', '/jwt/logout', { cookie: `rt=${rt!}`, bearer: access }))
    await this.step('jwt refresh after logout', 401, 'invalid_refresh_token', async () => await this.http.send('POST', '/jwt/refresh', { cookie: `rt=${rt!}` }))
    const after = this.stolenAccessAfterFamilyEnd()
    await this.step(`jwt access token after logout (${this.mode})`, after.status, after.error, async () => await this.http.send('GET', '/jwt/api/me', { bearer: access }))
  }

  /** Both strategies logged in → admin revoke-all → session 401, refresh 401, access token per mode. */
  private async revocationJourney (): Promise<void> {
    const user = this.pick()
    const s = await this.step('revocation session login', 200, undefined, async () => await this.http.send('POST', '/session/login', { json: this.cred(user) }))
    const j = await this.step('revocation jwt login', 200, undefined, async () => await this.http.send('POST', '/jwt/login', { json: { ...this.cred(user), transport: 'body' } }))
    if (s === null || j === null) return
    await this.step('admin revoke-all', 200, undefined, async () => await this.http.send('POST', `/admin/users/${user}/revoke`, { cookie: `sid=${this.admin}` }))
    await this.step('session after revoke-all', 401, 'session_revoked', async () => await this.http.send('GET', '/session/api/me', { cookie: `sid=${cookieFrom(s, 'sid')!}` }))
    await this.step('jwt refresh after revoke-all', 401, 'invalid_refresh_token', async () => await this.http.send('POST', '/jwt/refresh', { json: { refresh_token: j.body.refresh_token } }))
    // revoke-all bumps the user's version: denylist and version modes refuse the access token at once.
    const expect = this.mode === 'none' ? { status: 200, error: undefined } : { status: 401, error: 'token_revoked' }
    await this.step(`jwt access token after revoke-all (${this.mode})`, expect.status, expect.error, async () => await this.http.send('GET', '/jwt/api/me', { bearer: j.body.access_token }))
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

async function soakStore (store: Store, opts: Options): Promise<StoreResult> {
  const prefix = `soak:${randomBytes(4).toString('hex')}:`
  const redis = store === 'redis' ? await redisFor() : null
  const server = await startServer({
    STORE: store,
    ...(redis === null ? {} : { REDIS_URL: redis.url }),
    KEY_PREFIX: prefix,
    LOGIN_RATE_LIMIT: 'off',
    BENCH_USERS: String(opts.users),
    PASSWORD_HASH_COST: '14',
    COOKIE_SECURE: 'false',
    LOG_LEVEL: 'warn',
    DEMO_MODE: 'false',
    ADMIN_PASSWORD,
    JWT_REVOCATION: opts.revocation,
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    JWT_SECRET: randomBytes(32).toString('base64url')
  })
  const http = new Http(server.url, opts.concurrency)
  const stats: Stats = { requests: 0, errors: 0, expectedRefusals: new Map(), byStep: new Map(), firstErrors: [] }
  try {
    const rssStartMb = rssMb(server.pid)
    let rssPeakMb = rssStartMb
    const started = Date.now()
    const deadline = started + opts.durationSec * 1000
    const stop = (): boolean => Date.now() >= deadline || stats.requests >= opts.maxRequests || server.child.exitCode !== null
    const workers = Array.from({ length: opts.concurrency }, (_, w) => {
      const owned: string[] = []
      for (let u = w; u < opts.users; u += opts.concurrency) owned.push(`bench${u}`)
      return new Worker(http, stats, opts.revocation, owned, stop)
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
    const serverAlive = server.child.exitCode === null
    const rssEndMb = serverAlive ? rssMb(server.pid) : NaN
    rssPeakMb = Math.max(rssPeakMb, rssEndMb)
    if (serverAlive) {
      const ready = await http.send('GET', '/ready')
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
    if (redis !== null) await redis.cleanup(prefix)
  }
}

async function main (): Promise<void> {
  const opts = parseOptions()
  const results: StoreResult[] = []
  for (const store of opts.stores) {
    if (!opts.json) console.error(`soak: store=${store}, ${opts.durationSec} s, ${opts.concurrency} clients, ${opts.users} users, JWT_REVOCATION=${opts.revocation}`)
    results.push(await soakStore(store, opts))
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
