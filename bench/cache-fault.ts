/**
 * Faults under load with AUTH_CACHE=on (npm run bench:cache-fault): does the cache fail closed while a
 * server is busy, and how long does it take to serve again? Per mode (session, jwt-version,
 * jwt-denylist): a throwaway redis-server of its own (persisting to a temp dir, so a restart keeps its
 * data; never a shared Redis), instances B then A (harness startServer: same secrets, same KEY_PREFIX,
 * AUTH_CACHE=on), a pool of logged-in users, and per fault a run of steady load on B (a small client
 * loop over node:http keep-alive connections that records every request: credential, send and answer
 * times, status, x-auth-store-ops) along a timeline:
 *
 * 1. normal cached serving (NORMAL_MS);
 * 2. the fault, and while it lasts a few of the credentials under load are revoked through A (logout or
 *    admin revoke/disable, retried on 503 until done):
 *    - `kill`: B's invalidation (subscriber) connection is killed with CLIENT KILL ID, found by the name
 *      it sets (`<KEY_PREFIX>auth-cache-sub:<instance>`), and the revocations are sent at once, while B
 *      is reconnecting (ioredis waits 100 ms before its first retry);
 *    - `stall`: the whole Redis is stopped with SIGSTOP for STALL_MS (connections stay open, nothing is
 *      answered) and continued with SIGCONT; the revocations are sent during the stall;
 *    - `restart`: Redis is shut down (SIGTERM: it saves its snapshot), kept down DOWN_MS and started
 *      again on the same port with its data; the revocations are sent while it is down;
 * 3. recovery, until B answers from its cache again (x-auth-store-ops 0), then TAIL_MS more.
 *
 * Reported per run: status counts, cache hits and p50/p99 latency per phase (by send time: before the
 * fault; from the fault until the cache serves again; after), the time from the fault to the first
 * answer that failed (503) or was a 200 read from Redis (x-auth-store-ops >= 1), from the fault's end
 * to the first cache hit, when each revocation completed, what B answered to every revoked credential
 * afterwards, and B's own log lines saying why its cache stopped serving. The cache's stats (AuthCacheStats) live
 * in the server process and are not exposed over HTTP; those log lines stand in for them.
 *
 * Exit status 1 when a revoked credential got a 200 to a request sent after its revocation completed
 * (in this run or a later one of the same mode: a restart must not bring it back), when a revocation
 * never completed, or when the cache did not serve again within RECOVERY_BOUND_MS of the fault's end.
 *
 * Options: --modes session,jwt-version,jwt-denylist --faults kill,stall,restart --connections 10.
 * Writes bench/results/cache-fault/<time>.{json,md} and latest.{json,md}.
 */
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { Agent, request as httpRequest } from 'node:http'
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { adminOf, benchUser } from '../harness/fixtures.js'
import { send, type Reply } from '../harness/http.js'
import { loginJwt, loginSession } from '../harness/login.js'
import { deleteKeys, hasRedisServer, startRedisServer, type RedisServer } from '../harness/redis.js'
import { NON_DEMO_ENV, sleep, startServer, type ServerProcess } from '../harness/server.js'
import { machineInfo } from './machine.js'
import { BENCH_JWT_SECRET, BENCH_SESSION_SECRET } from './scenarios.js'

type Mode = 'session' | 'jwt-version' | 'jwt-denylist'
type Fault = 'kill' | 'stall' | 'restart'
type Event = 'session logout' | 'jwt logout' | 'admin revoke' | 'admin disable'

const MODES: Record<Mode, { env: Record<string, string>, path: string, kind: 'session' | 'jwt', events: [Event, Event] }> = {
  session: { env: { AUTH_STRATEGIES: 'session' }, path: '/session/api/me', kind: 'session', events: ['session logout', 'admin revoke'] },
  'jwt-version': { env: { AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'version' }, path: '/jwt/api/me', kind: 'jwt', events: ['admin revoke', 'admin disable'] },
  'jwt-denylist': { env: { AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'denylist' }, path: '/jwt/api/me', kind: 'jwt', events: ['jwt logout', 'admin revoke'] }
}
const FAULTS: Record<Fault, string> = {
  kill: 'CLIENT KILL of B\'s invalidation connection; revocations through A sent at once',
  stall: 'Redis stopped (SIGSTOP) for 2 s, then SIGCONT; revocations through A sent 300 ms into the stall',
  restart: 'Redis shut down (SIGTERM, snapshot saved), down 1 s, started again on its port with its data; revocations through A sent 300 ms into the outage'
}

/** Users logged in per mode; each fault revokes REVOKED_PER_FAULT of them (different ones), all stay under load. */
const USERS = 24
const REVOKED_PER_FAULT = 4
const NORMAL_MS = 2000
const TAIL_MS = 1500
const STALL_MS = 2000
const DOWN_MS = 1000
/** Revocations are sent this long after the fault starts (kill: at once). */
const REVOKE_DELAY_MS = 300
/** The cache must answer from its cache again within this long after the fault ended. */
const RECOVERY_BOUND_MS = 10_000
/** A revocation that answered 503 is sent again until this long has passed. */
const REVOKE_GIVE_UP_MS = 10_000
const REQUEST_TIMEOUT_MS = 5000

interface Cred {
  index: number
  username: string
  headers: Record<string, string>
  /** What revokes it through A. */
  revoke: () => Promise<Reply>
  event: Event
}

/** One request of the load: times are performance.now() in this process; status 0 for a network error or timeout. */
interface Rec { cred: number, sent: number, done: number, status: number, ops: number }

interface Revocation { username: string, event: Event, sentMs: number, doneMs: number | null, attempts: number, lastStatus: number }

interface PhaseStats {
  requests: number
  status: Record<string, number>
  /** 200s answered from B's cache (x-auth-store-ops 0), and their share of the 200s. */
  hits: number
  hitShare: number
  latencyMs: Summary
}

interface Summary { p50: number, p99: number, max: number }

interface RunResult {
  mode: Mode
  fault: Fault
  description: string
  /** Offsets in ms from the fault's start. */
  timeline: { loadStart: number, lifted: number, loadEnd: number }
  killed: string | null
  revocations: Revocation[]
  /** First answer after the fault that failed (503, error) or was a 200 read from Redis (x-auth-store-ops >= 1): when it was sent and answered, what it was. */
  firstDegraded: { sentMs: number, doneMs: number, status: number, ops: number } | null
  /** First cache hit (200, x-auth-store-ops 0) sent after the fault ended and after that answer; null: never within the bound. */
  cacheBack: { sentMs: number, doneMs: number, afterLiftMs: number } | null
  revocationsBeforeCacheBack: number
  phases: { normal: PhaseStats, degraded: PhaseStats, recovered: PhaseStats }
  /** Requests to credentials revoked in this run or earlier in the mode, sent after their revocation completed, by status. 200 must be 0. */
  revokedAnswers: Record<string, number>
  acceptedAfterRevocation: number
  /** 200s to credentials whose revocation was in flight (sent before it completed): allowed, shown for scale. */
  acceptedWhileRevoking: number
  rps: number
  /** B's log lines about its cache in this run (LOG_LEVEL=warn shows when it stops serving and why). */
  cacheLog: Array<{ atMs: number, msg: string, reason: string }>
  /** Counts per 100 ms bucket of send time, from the load's start: hit, miss (200 via Redis), 401, 503, other. */
  buckets: Array<[number, number, number, number, number]>
  failures: string[]
}

const round = (n: number): number => Math.round(n * 100) / 100

function summarize (values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number): number => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? NaN) }
}

function phaseStats (recs: Rec[]): PhaseStats {
  const status: Record<string, number> = {}
  let ok = 0
  let hits = 0
  for (const r of recs) {
    const key = r.status === 0 ? 'error' : String(r.status)
    status[key] = (status[key] ?? 0) + 1
    if (r.status === 200) {
      ok++
      if (r.ops === 0) hits++
    }
  }
  return { requests: recs.length, status, hits, hitShare: ok === 0 ? 0 : round(hits / ok), latencyMs: summarize(recs.map(r => r.done - r.sent)) }
}

/**
 * An answer that shows the cache not serving: a failure, or a 200 that went to Redis. Refusals are left
 * out: refusing an ended session also reads its end marker (sess-end:), which is never cached.
 */
const degraded = (r: Rec): boolean => r.status === 0 || r.status === 503 || (r.status === 200 && r.ops >= 1)

/**
 * The first degraded answer after the fault and the first cache hit after it (and after the fault
 * ended), in answer order, among the credentials that stay valid throughout the run (`valid`): a
 * revoked one reads uncached keys or waits for Redis whatever the cache does.
 */
function recovery (recs: Rec[], faultAt: number, liftedAt: number, valid: Set<number>): { first: Rec | null, back: Rec | null } {
  let first: Rec | null = null
  let back: Rec | null = null
  for (const r of recs) {
    if (!valid.has(r.cred)) continue
    if (first === null) {
      if (r.sent >= faultAt && degraded(r)) first = r
      continue
    }
    if (r.status === 200 && r.ops === 0 && r.sent >= liftedAt && r.sent >= first.done) {
      back = r
      break
    }
  }
  return { first, back }
}

/** Steady load on one instance: `connections` loops, loop i cycling through credentials i, i+C, i+2C... */
function startLoad (base: string, path: string, creds: Cred[], connections: number): { recs: Rec[], stop: () => Promise<void> } {
  const url = new URL(base)
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const recs: Rec[] = []
  let running = true
  const once = async (headers: Record<string, string>): Promise<{ status: number, ops: number }> => await new Promise(resolve => {
    const req = httpRequest({ agent, host: url.hostname, port: Number(url.port), method: 'GET', path, headers }, res => {
      const ops = res.headers['x-auth-store-ops']
      res.resume()
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, ops: typeof ops === 'string' ? Number(ops) : -1 }) })
      res.on('error', () => { resolve({ status: 0, ops: -1 }) })
    })
    req.setTimeout(REQUEST_TIMEOUT_MS, () => { req.destroy(new Error('timeout')) })
    // No retry: a request that failed is recorded as failed, and its send time stays the real one.
    req.on('error', () => { resolve({ status: 0, ops: -1 }) })
    req.end()
  })
  const loops = Array.from({ length: connections }, async (_, i) => {
    const mine = creds.filter((_c, j) => j % connections === i)
    let n = 0
    // `running` is cleared by stop() while these loops await.
    // eslint-disable-next-line no-unmodified-loop-condition
    while (running && mine.length > 0) {
      const cred = mine[n++ % mine.length]!
      const sent = performance.now()
      const { status, ops } = await once(cred.headers)
      recs.push({ cred: cred.index, sent, done: performance.now(), status, ops })
    }
  })
  return {
    recs,
    async stop () {
      running = false
      await Promise.all(loops)
      agent.destroy()
    }
  }
}

/** A client of this script's own on the throwaway Redis, for one command sequence. */
async function withRedis<T> (url: string, run: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  redis.on('error', () => {})
  try {
    await redis.connect()
    return await run(redis)
  } finally {
    redis.disconnect()
  }
}

async function clientNames (url: string, prefix: string): Promise<string[]> {
  return await withRedis(url, async redis => String(await redis.call('CLIENT', 'LIST')).split('\n')
    .map(l => / name=(\S+)/.exec(l)?.[1] ?? '')
    .filter(n => n.startsWith(`${prefix}auth-cache-sub:`)))
}

/** CLIENT KILL ID of the connection named `name` (as the tests do). */
async function killByName (url: string, name: string): Promise<void> {
  await withRedis(url, async redis => {
    const line = String(await redis.call('CLIENT', 'LIST')).split('\n').find(l => l.includes(` name=${name} `))
    const id = line === undefined ? undefined : /(?:^|\s)id=(\d+)/.exec(line)?.[1]
    if (id === undefined) throw new Error(`no connection named ${name}`)
    await redis.call('CLIENT', 'KILL', 'ID', id)
  })
}

async function redisPid (url: string): Promise<number> {
  return await withRedis(url, async redis => Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]))
}

/** Sends the revocation, again after a 503 or a network error (the store may be down), until it answers 2xx. */
async function revokeUntilDone (cred: Cred, faultAt: number): Promise<Revocation> {
  const result: Revocation = { username: cred.username, event: cred.event, sentMs: round(performance.now() - faultAt), doneMs: null, attempts: 0, lastStatus: 0 }
  const started = performance.now()
  while (performance.now() - started < REVOKE_GIVE_UP_MS) {
    result.attempts++
    let status = 0
    try {
      status = (await cred.revoke()).status
    } catch {
      status = 0
    }
    result.lastStatus = status
    if (status >= 200 && status < 300) {
      result.doneMs = round(performance.now() - faultAt)
      return result
    }
    if (status !== 503 && status !== 0) return result
    await sleep(50)
  }
  return result
}

interface ModeSetup {
  mode: Mode
  redis: RedisServer
  a: ServerProcess
  b: ServerProcess
  bSubscriber: string
  creds: Cred[]
  /** performance.now() at which each revoked credential's revocation completed, across the mode's runs. */
  revokedAt: Map<number, { at: number, startedAt: number }>
  cacheLog: Array<{ time: number, msg: string, reason: string }>
}

async function waitServing (b: ServerProcess, path: string, cred: Cred): Promise<boolean> {
  const deadline = Date.now() + RECOVERY_BOUND_MS
  let hits = 0
  while (Date.now() < deadline) {
    const r = await send(`${b.url}${path}`, 'GET', { headers: cred.headers })
    hits = r.status === 200 && r.storeOps === '0' ? hits + 1 : 0
    if (hits >= 2) return true
    await sleep(20)
  }
  return false
}

async function runFault (setup: ModeSetup, fault: Fault, faultIndex: number, connections: number): Promise<RunResult> {
  const { mode, redis, b, creds, revokedAt } = setup
  const { path } = MODES[mode]
  const failures: string[] = []
  const live = creds.filter(c => !revokedAt.has(c.index))
  const victims = live.slice(0, REVOKED_PER_FAULT)
  if (victims.length < REVOKED_PER_FAULT) throw new Error('not enough live credentials left')
  const canary = live.at(-1)!
  const valid = new Set(live.slice(REVOKED_PER_FAULT).map(c => c.index))
  if (!await waitServing(b, path, canary)) failures.push('B was not serving from its cache before the run')
  const logFrom = setup.cacheLog.length

  const loadStart = performance.now()
  const load = startLoad(b.url, path, creds, connections)
  await sleep(NORMAL_MS)

  const faultAt = performance.now()
  let liftedAt = faultAt
  let killed: string | null = null
  let revoking: Promise<Revocation[]> = Promise.resolve([])
  const revokeAll = async (): Promise<Revocation[]> => await Promise.all(victims.map(async cred => {
    const startedAt = performance.now()
    const r = await revokeUntilDone(cred, faultAt)
    if (r.doneMs !== null) revokedAt.set(cred.index, { at: faultAt + r.doneMs, startedAt })
    return r
  }))
  if (fault === 'kill') {
    await killByName(redis.url, setup.bSubscriber)
    killed = setup.bSubscriber
    liftedAt = performance.now()
    revoking = revokeAll()
  } else if (fault === 'stall') {
    const pid = await redisPid(redis.url)
    process.kill(pid, 'SIGSTOP')
    try {
      await sleep(REVOKE_DELAY_MS)
      revoking = revokeAll()
      await sleep(STALL_MS - REVOKE_DELAY_MS)
    } finally {
      process.kill(pid, 'SIGCONT')
    }
    liftedAt = performance.now()
  } else {
    await redis.stop(true)
    await sleep(REVOKE_DELAY_MS)
    revoking = revokeAll()
    await sleep(Math.max(0, DOWN_MS - (performance.now() - faultAt)))
    await redis.restart()
    liftedAt = performance.now()
  }

  // Recovery: until a cache hit sent after the fault ended (and after B went to Redis), within the bound.
  let back: Rec | null = null
  while (performance.now() - liftedAt < RECOVERY_BOUND_MS) {
    back = recovery(load.recs, faultAt, liftedAt, valid).back
    if (back !== null) break
    await sleep(25)
  }
  const revocations = await revoking
  await sleep(TAIL_MS)
  await load.stop()
  const loadEnd = performance.now()
  const recs = load.recs
  const { first, back: cacheBack } = recovery(recs, faultAt, liftedAt, valid)

  for (const r of revocations) if (r.doneMs === null) failures.push(`the revocation of ${r.username} (${r.event}) never completed (last answer ${r.lastStatus})`)
  if (cacheBack === null) failures.push(`B's cache did not serve again within ${RECOVERY_BOUND_MS} ms of the fault's end`)

  const boundary = cacheBack?.sent ?? Infinity
  const revokedAnswers: Record<string, number> = {}
  let acceptedAfterRevocation = 0
  let acceptedWhileRevoking = 0
  for (const r of recs) {
    const revoked = revokedAt.get(r.cred)
    if (revoked === undefined) continue
    if (r.sent > revoked.at) {
      const key = r.status === 0 ? 'error' : String(r.status)
      revokedAnswers[key] = (revokedAnswers[key] ?? 0) + 1
      if (r.status === 200) acceptedAfterRevocation++
    } else if (r.sent >= revoked.startedAt && r.status === 200) {
      acceptedWhileRevoking++
    }
  }
  if (acceptedAfterRevocation > 0) failures.push(`${acceptedAfterRevocation} requests with a revoked credential, sent after its revocation completed, were accepted (200)`)

  const buckets: Array<[number, number, number, number, number]> = []
  for (const r of recs) {
    const i = Math.floor((r.sent - loadStart) / 100)
    while (buckets.length <= i) buckets.push([0, 0, 0, 0, 0])
    const bucket = buckets[i]!
    const slot = r.status === 200 ? (r.ops === 0 ? 0 : 1) : r.status === 401 ? 2 : r.status === 503 ? 3 : 4
    bucket[slot]++
  }
  const rel = (t: number): number => round(t - faultAt)
  const epochOfFault = performance.timeOrigin + faultAt
  return {
    mode,
    fault,
    description: FAULTS[fault],
    timeline: { loadStart: rel(loadStart), lifted: rel(liftedAt), loadEnd: rel(loadEnd) },
    killed,
    revocations,
    firstDegraded: first === null ? null : { sentMs: rel(first.sent), doneMs: rel(first.done), status: first.status, ops: first.ops },
    cacheBack: cacheBack === null ? null : { sentMs: rel(cacheBack.sent), doneMs: rel(cacheBack.done), afterLiftMs: round(cacheBack.done - liftedAt) },
    revocationsBeforeCacheBack: cacheBack === null ? 0 : revocations.filter(r => r.doneMs !== null && r.doneMs <= rel(cacheBack.done)).length,
    phases: {
      normal: phaseStats(recs.filter(r => r.sent < faultAt)),
      degraded: phaseStats(recs.filter(r => r.sent >= faultAt && r.sent < boundary)),
      recovered: phaseStats(recs.filter(r => r.sent >= boundary))
    },
    revokedAnswers,
    acceptedAfterRevocation,
    acceptedWhileRevoking,
    rps: round(recs.length / ((loadEnd - loadStart) / 1000)),
    cacheLog: setup.cacheLog.slice(logFrom).map(l => ({ atMs: Math.round(l.time - epochOfFault), msg: l.msg, reason: l.reason })),
    buckets,
    failures: failures.map(f => `${mode} / ${fault} (run ${faultIndex + 1}): ${f}`)
  }
}

async function runMode (mode: Mode, faults: Fault[], connections: number, redis: RedisServer): Promise<RunResult[]> {
  const { path, kind, events } = MODES[mode]
  const keyPrefix = `bench-cache-fault:${randomBytes(4).toString('hex')}:`
  const env: Record<string, string> = {
    ...NON_DEMO_ENV,
    LOG_LEVEL: 'warn',
    STORE: 'redis',
    REDIS_URL: redis.url,
    KEY_PREFIX: keyPrefix,
    AUTH_CACHE: 'on',
    BENCH_USERS: String(USERS),
    SESSION_SECRET: BENCH_SESSION_SECRET,
    JWT_SECRET: BENCH_JWT_SECRET,
    ...MODES[mode].env
  }
  const cacheLog: ModeSetup['cacheLog'] = []
  const onLine = (line: string): void => {
    if (!line.includes('auth cache')) return
    try {
      const parsed = JSON.parse(line) as { time?: number, msg?: string, reason?: string }
      cacheLog.push({ time: parsed.time ?? Date.now(), msg: parsed.msg ?? '', reason: parsed.reason ?? '' })
    } catch {
      cacheLog.push({ time: Date.now(), msg: line.slice(0, 200), reason: '' })
    }
  }
  const servers: ServerProcess[] = []
  try {
    // B first, alone: the one invalidation connection under the prefix is then B's.
    const b = await startServer({ env, onLine })
    servers.push(b)
    const [bSubscriber, ...extra] = await clientNames(redis.url, keyPrefix)
    if (bSubscriber === undefined || extra.length > 0) throw new Error(`expected one invalidation connection for B, found ${extra.length + (bSubscriber === undefined ? 0 : 1)}`)
    const a = await startServer({ env })
    servers.push(a)

    const admin = kind === 'session'
      ? { cookie: (await loginSession(a.url, adminOf(env))).cookie }
      : { bearer: (await loginJwt(a.url, adminOf(env))).access }
    const adminChange = (username: string, change: string) => async () => await send(`${a.url}/admin/users/${username}/${change}`, 'POST', admin)
    const creds: Cred[] = []
    for (let i = 0; i < USERS; i += 4) {
      creds.push(...await Promise.all([i, i + 1, i + 2, i + 3].map(async (index): Promise<Cred> => {
        const who = benchUser(index)
        const event = events[index % 2]!
        if (kind === 'session') {
          const { cookie } = await loginSession(a.url, who)
          const revoke = event === 'session logout' ? async () => await send(`${a.url}/session/logout`, 'POST', { cookie }) : adminChange(who.username, 'revoke')
          return { index, username: who.username, headers: { cookie }, revoke, event }
        }
        const { access, refresh } = await loginJwt(a.url, who)
        const revoke = event === 'jwt logout'
          ? async () => await send(`${a.url}/jwt/logout`, 'POST', { bearer: access, json: { refresh_token: refresh } })
          : adminChange(who.username, event === 'admin disable' ? 'disable' : 'revoke')
        return { index, username: who.username, headers: { authorization: `Bearer ${access}` }, revoke, event }
      })))
    }
    const setup: ModeSetup = { mode, redis, a, b, bSubscriber, creds, revokedAt: new Map(), cacheLog }
    const runs: RunResult[] = []
    for (const [i, fault] of faults.entries()) {
      process.stderr.write(`  ${mode}: ${fault}\n`)
      runs.push(await runFault(setup, fault, i, connections))
    }
    process.stderr.write(`  (${path} on B, ${creds.length} credentials)\n`)
    return runs
  } finally {
    await Promise.all(servers.map(async s => await s.stop()))
    await deleteKeys(redis.url, keyPrefix)
  }
}

const statusCell = (p: PhaseStats, code: string): string => String(p.status[code] ?? 0)

function markdown (runs: RunResult[], meta: Record<string, unknown>): string {
  const lines = [
    '# Cache faults under load (AUTH_CACHE=on)',
    '',
    `Measured ${String(meta.date)} on ${String(meta.cpu)} (${String(meta.cpus)} cores, **shared with other work**: load average ${JSON.stringify(meta.loadAverageAtStart)} at the start, ${JSON.stringify(meta.loadAverageAtEnd)} at the end; latencies and rates are indicative, not a quiet-machine benchmark), Node ${String(meta.node)}, Redis ${String(meta.redis)} (a throwaway redis-server of this run, persisting to a temp dir) on loopback, commit ${String(meta.commit)}${meta.dirty === true ? ' with uncommitted changes under src/' : ''}.`,
    '',
    `Per mode: instance B then instance A (same secrets and KEY_PREFIX, AUTH_CACHE=on), ${USERS} users logged in through A, and per fault a run of steady load on B (${String(meta.connections)} keep-alive connections, each cycling through its share of the ${USERS} credentials; every request recorded): ${NORMAL_MS} ms of normal serving, the fault, ${REVOKED_PER_FAULT} credentials under load revoked through A during it (retried on 503 until done), recovery until B answers from its cache again, then ${TAIL_MS} ms more. Faults:`,
    '',
    ...Object.entries(FAULTS).map(([name, what]) => `- \`${name}\`: ${what}.`),
    '',
    'Times are in ms from the start of the fault. **first degraded**: the first answer to a request sent after the fault, with a credential that stays valid throughout the run, that failed (503, network error) or was a 200 read from Redis (x-auth-store-ops >= 1): when it was sent / answered (revoked credentials are left out: refusing an ended session reads its uncached end marker, so their answers go to Redis whatever the cache does). **cache back**: the first cache hit (200 with x-auth-store-ops 0, valid credential) sent after the fault ended and after that answer, in ms after the fault ended (for `kill`, the fault ends with the kill). **revoked**: when the revocations completed (their answer reached this script), and how many of them before the cache was back. **200 while revoking**: 200s to a credential whose revocation was sent but not yet answered (allowed: the revocation had not completed; in a stall it waits for Redis). **revoked creds after revocation**: B\'s answers to requests with any credential revoked so far in this mode, sent after its revocation completed; **200 must be 0** (exit status 1 otherwise). Phases by send time: *normal* before the fault, *degraded* from the fault to the first cache hit after it, *recovered* after. hits: share of the 200s answered from the cache.',
    '',
    '| mode | fault | first degraded sent / answered | cache back after fault end | revoked at | revoked before cache back | revoked creds after revocation | 200 to revoked (must be 0) | 200 while revoking | req/s | B\'s log (cache stopped serving) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |'
  ]
  for (const r of runs) {
    const degradedCell = r.firstDegraded === null ? 'none' : `+${r.firstDegraded.sentMs} / +${r.firstDegraded.doneMs} (${r.firstDegraded.status}, ops ${r.firstDegraded.ops})`
    const backCell = r.cacheBack === null ? `**NEVER** (> ${RECOVERY_BOUND_MS})` : String(r.cacheBack.afterLiftMs)
    const revokedCell = r.revocations.map(v => v.doneMs === null ? 'FAILED' : `+${v.doneMs}`).join(', ')
    const answers = Object.entries(r.revokedAnswers).map(([k, v]) => `${k}: ${v}`).join(', ') || '-'
    const log = r.cacheLog.map(l => `+${l.atMs} ${l.reason.replace(/(\d+)\.\d+ ms/g, '$1 ms')}`).join('; ') || '-'
    lines.push(`| ${r.mode} | ${r.fault} | ${degradedCell} | ${backCell} | ${revokedCell} | ${r.revocationsBeforeCacheBack}/${r.revocations.length} | ${answers} | **${r.acceptedAfterRevocation}** | ${r.acceptedWhileRevoking} | ${r.rps} | ${log} |`)
  }
  lines.push('', '## Phases', '', '| mode | fault | phase | requests | 200 | hits | 401 | 503 | other | p50 ms | p99 ms | max ms |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  for (const r of runs) {
    for (const [name, p] of Object.entries(r.phases)) {
      const other = p.requests - ['200', '401', '503'].reduce((n, c) => n + (p.status[c] ?? 0), 0)
      lines.push(`| ${r.mode} | ${r.fault} | ${name} | ${p.requests} | ${statusCell(p, '200')} | ${Math.round(p.hitShare * 100)}% | ${statusCell(p, '401')} | ${statusCell(p, '503')} | ${other} | ${p.latencyMs.p50} | ${p.latencyMs.p99} | ${p.latencyMs.max} |`)
    }
  }
  const failures = runs.flatMap(r => r.failures)
  lines.push('', failures.length === 0 ? '**Result: no revoked credential accepted after its revocation completed; the cache served again after every fault.**' : `**FAILED:**\n\n${failures.map(f => `- ${f}`).join('\n')}`)
  lines.push('', 'The JSON has every revocation (attempts, send and completion times), B\'s log lines and the answers per 100 ms of send time (`buckets`: hit, 200 via Redis, 401, 503, other).')
  return lines.join('\n') + '\n'
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { modes: { type: 'string' }, faults: { type: 'string' }, connections: { type: 'string' } } })
  const modes = (values.modes ?? Object.keys(MODES).join(',')).split(',') as Mode[]
  const faults = (values.faults ?? Object.keys(FAULTS).join(',')).split(',') as Fault[]
  const connections = Number(values.connections ?? 10)
  if (modes.some(m => !(m in MODES)) || faults.some(f => !(f in FAULTS)) || !Number.isInteger(connections) || connections < 1) {
    throw new Error(`usage: --modes ${Object.keys(MODES).join(',')} --faults ${Object.keys(FAULTS).join(',')} --connections N`)
  }
  if (faults.length * REVOKED_PER_FAULT >= USERS) throw new Error(`at most ${Math.floor((USERS - 1) / REVOKED_PER_FAULT)} faults per mode`)
  // Faults stop and kill Redis: always a redis-server of this run's own, never REDIS_URL.
  if (!hasRedisServer()) throw new Error('bench:cache-fault stops and restarts a Redis of its own: put redis-server on PATH')
  const machine = machineInfo()
  const redis = await startRedisServer({ persist: true })
  try {
    const version = await withRedis(redis.url, async client => /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? 'unknown')
    const runs: RunResult[] = []
    for (const mode of modes) {
      process.stderr.write(`${mode}\n`)
      runs.push(...await runMode(mode, faults, connections, redis))
    }
    const meta = { date: new Date().toISOString(), cpu: machine.cpuModel, cpus: machine.cpuCount, node: machine.node, redis: version, commit: machine.gitCommit, dirty: machine.gitDirty, loadAverageAtStart: machine.loadAverageAtStart, loadAverageAtEnd: loadavg().map(v => Number(v.toFixed(2))), connections, users: USERS, revokedPerFault: REVOKED_PER_FAULT, normalMs: NORMAL_MS, tailMs: TAIL_MS, stallMs: STALL_MS, downMs: DOWN_MS, recoveryBoundMs: RECOVERY_BOUND_MS }
    const dir = 'bench/results/cache-fault'
    mkdirSync(dir, { recursive: true })
    const stamp = meta.date.replace(/[:.]/g, '-')
    writeFileSync(`${dir}/${stamp}.json`, JSON.stringify({ meta, runs }, null, 2) + '\n')
    writeFileSync(`${dir}/${stamp}.md`, markdown(runs, meta))
    copyFileSync(`${dir}/${stamp}.json`, `${dir}/latest.json`)
    copyFileSync(`${dir}/${stamp}.md`, `${dir}/latest.md`)
    process.stdout.write(markdown(runs, meta))
    if (runs.some(r => r.failures.length > 0)) process.exitCode = 1
  } finally {
    await redis.dispose()
  }
}

main().catch(err => {
  console.error(err)
  process.exitCode = 1
})
