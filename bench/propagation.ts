/**
 * How long a revocation on one instance takes to reach the others with AUTH_CACHE=on (npm run
 * bench:propagation). For each mode and instance count: N servers (harness startServer) on one Redis
 * and one key prefix; per round a fresh login, a cache hit on every other instance (x-auth-store-ops 0,
 * so the measured path is the cached one), the revocation on instance 0, then every other instance is
 * polled back to back until its first 401, and a few times more.
 *
 * Per instance, the figure is the time from the revocation's response reaching this script (the write
 * is done in Redis) to the first 401 reaching it: an upper bound of the propagation, one poll round
 * trip included. Two counts: `acceptedAfterRevoke`, 200s to polls sent after the revocation completed
 * (the message still in flight: the window this measures), and `acceptedAfterRefusal`, 200s after that
 * instance had already refused once, i.e. after the invalidation had reached it (must be 0).
 *
 * Options: --rounds N (default 100), --instances 2,4, --modes session,jwt-version,jwt-denylist.
 * Writes bench/results/propagation/<time>.{json,md} and latest.{json,md}.
 */
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { benchUser } from '../harness/fixtures.js'
import { send, type Reply } from '../harness/http.js'
import { loginAdmin, loginJwt, loginSession } from '../harness/login.js'
import { deleteKeys, openRedis } from '../harness/redis.js'
import { NON_DEMO_ENV, startServer, type ServerProcess } from '../harness/server.js'
import { machineInfo } from './machine.js'
import { BENCH_JWT_SECRET, BENCH_SESSION_SECRET } from './scenarios.js'

type Mode = 'session' | 'jwt-version' | 'jwt-denylist'
const MODES: Record<Mode, { env: Record<string, string>, path: string, event: string }> = {
  session: { env: { AUTH_STRATEGIES: 'session' }, path: '/session/api/me', event: 'POST /session/logout on instance 0' },
  'jwt-version': { env: { AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'version' }, path: '/jwt/api/me', event: 'POST /admin/users/bench0/revoke on instance 0 (version bump)' },
  'jwt-denylist': { env: { AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'denylist' }, path: '/jwt/api/me', event: 'POST /jwt/logout on instance 0 (deny:<jti>, deny-sid:<family>)' }
}
/** Polls after the first refusal, each of which must be refused too. */
const CONFIRMATIONS = 3
/** A poller that has not seen a 401 after this long counts the round as lost (reported, never hidden). */
const GIVE_UP_MS = 5000

type Credential = { cookie: string } | { bearer: string }

interface InstanceResult {
  instance: number
  latenciesMs: number[]
  /** Round trips of the cached request before each revocation: what one poll costs on this machine. */
  hitRoundTripsMs: number[]
  acceptedAfterRevoke: number
  acceptedAfterRefusal: number
  /** Rounds in which the warm-up request was not a cache hit (x-auth-store-ops was not 0). */
  warmMisses: number
  /** Rounds with no 401 within GIVE_UP_MS. */
  neverRefused: number
}

interface RunResult {
  mode: Mode
  instances: number
  rounds: number
  event: string
  perInstance: Array<InstanceResult & Summary & { hitRoundTrip: Summary }>
  all: Summary
  hitRoundTrip: Summary
}

interface Summary { p50: number, p99: number, max: number, count: number }

function summarize (values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (q: number): number => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? NaN), count: sorted.length }
}

const round = (n: number): number => Math.round(n * 100) / 100

async function get (server: ServerProcess, path: string, credential: Credential): Promise<Reply> {
  return await send(`${server.url}${path}`, 'GET', credential)
}

/** One round: login on 0, warm the others, revoke on 0, poll the others until refused. */
async function roundOf (mode: Mode, servers: ServerProcess[], admin: string | null, results: InstanceResult[]): Promise<void> {
  const [first] = servers as [ServerProcess]
  const { path } = MODES[mode]
  let credential: Credential
  let revoke: () => Promise<Reply>
  if (mode === 'session') {
    const login = await loginSession(first.url, benchUser(0))
    credential = { cookie: login.cookie }
    revoke = async () => await send(`${first.url}/session/logout`, 'POST', { cookie: login.cookie })
  } else {
    const login = await loginJwt(first.url, benchUser(0))
    credential = { bearer: login.access }
    revoke = mode === 'jwt-version'
      ? async () => await send(`${first.url}/admin/users/bench0/revoke`, 'POST', { bearer: admin ?? '' })
      : async () => await send(`${first.url}/jwt/logout`, 'POST', { bearer: login.access, json: { refresh_token: login.refresh } })
  }
  const others = servers.slice(1)
  await Promise.all(others.map(async (server, i) => {
    await get(server, path, credential)
    const started = performance.now()
    const hit = await get(server, path, credential)
    results[i]!.hitRoundTripsMs.push(performance.now() - started)
    if (hit.status !== 200) throw new Error(`instance ${i + 1}: warm-up answered ${hit.status} ${hit.text}`)
    if (hit.storeOps !== '0') results[i]!.warmMisses++
  }))
  const done = await revoke()
  const revokedAt = performance.now()
  if (done.status !== 200 && done.status !== 204) throw new Error(`revocation answered ${done.status} ${done.text}`)
  await Promise.all(others.map(async (server, i) => {
    const result = results[i]!
    let refusedAt: number | null = null
    let confirmations = 0
    while (confirmations < CONFIRMATIONS) {
      const r = await get(server, path, credential)
      const now = performance.now()
      if (r.status === 401) {
        if (refusedAt === null) refusedAt = now
        confirmations++
      } else if (r.status === 200) {
        if (refusedAt === null) result.acceptedAfterRevoke++
        else result.acceptedAfterRefusal++
      } else {
        throw new Error(`instance ${i + 1}: poll answered ${r.status} ${r.text}`)
      }
      if (refusedAt === null && now - revokedAt > GIVE_UP_MS) {
        result.neverRefused++
        return
      }
    }
    result.latenciesMs.push((refusedAt as number) - revokedAt)
  }))
}

async function run (mode: Mode, count: number, rounds: number, redisUrl: string): Promise<RunResult> {
  const keyPrefix = `bench-propagation:${randomBytes(4).toString('hex')}:`
  const env: Record<string, string> = {
    ...NON_DEMO_ENV,
    LOG_LEVEL: 'warn',
    STORE: 'redis',
    REDIS_URL: redisUrl,
    KEY_PREFIX: keyPrefix,
    AUTH_CACHE: 'on',
    BENCH_USERS: '1',
    SESSION_SECRET: BENCH_SESSION_SECRET,
    JWT_SECRET: BENCH_JWT_SECRET,
    ...MODES[mode].env
  }
  const servers: ServerProcess[] = []
  try {
    // One at a time: every start seeds the same users under the same prefix.
    for (let i = 0; i < count; i++) servers.push(await startServer({ env }))
    const admin = mode === 'jwt-version' ? (await loginAdmin(env, async who => await loginJwt(servers[0]!.url, who))).access : null
    const results: InstanceResult[] = servers.slice(1).map((_, i) => ({ instance: i + 1, latenciesMs: [], hitRoundTripsMs: [], acceptedAfterRevoke: 0, acceptedAfterRefusal: 0, warmMisses: 0, neverRefused: 0 }))
    for (let r = 0; r < rounds; r++) {
      await roundOf(mode, servers, admin, results)
      if ((r + 1) % 25 === 0) process.stderr.write(`  ${mode} x${count}: ${r + 1}/${rounds} rounds\n`)
    }
    return {
      mode,
      instances: count,
      rounds,
      event: MODES[mode].event,
      perInstance: results.map(r => ({ ...r, latenciesMs: r.latenciesMs.map(round), hitRoundTripsMs: r.hitRoundTripsMs.map(round), ...summarize(r.latenciesMs), hitRoundTrip: summarize(r.hitRoundTripsMs) })),
      all: summarize(results.flatMap(r => r.latenciesMs)),
      hitRoundTrip: summarize(results.flatMap(r => r.hitRoundTripsMs))
    }
  } finally {
    await Promise.all(servers.map(async s => await s.stop()))
    await deleteKeys(redisUrl, keyPrefix)
  }
}

function markdown (runs: RunResult[], meta: Record<string, unknown>): string {
  const lines = [
    '# Revocation propagation with AUTH_CACHE=on',
    '',
    `Measured ${String(meta.date)} on ${String(meta.cpu)} (${String(meta.cpus)} cores, **shared with other work**: load average ${JSON.stringify(meta.loadAverageAtStart)} at the start, ${JSON.stringify(meta.loadAverageAtEnd)} at the end; figures are indicative, not a quiet-machine benchmark), Node ${String(meta.node)}, Redis ${String(meta.redis)} (${String(meta.redisSource)}) on loopback, commit ${String(meta.commit)}${meta.dirty === true ? ' with uncommitted changes under src/' : ''}.`,
    '',
    'Per round: a fresh login on instance 0, a cache hit on every other instance (x-auth-store-ops 0), the revocation on instance 0, then each other instance polled back to back until its first 401 and ' + `${CONFIRMATIONS} more times. Latency: from the revocation's response to the first 401's response (an upper bound: one poll round trip included). ` +
      '`after revoke`: 200s to polls sent after the revocation completed (invalidation still in flight); 0 means the invalidation had reached that instance before the revoking client had its answer, and the latency is then one poll round trip. ' +
      '`hit RTT`: the round trip of a cached request on the same instance just before the revocation, for comparison. `after refusal`: 200s after that instance had refused once (must be 0).',
    '',
    '| mode | instances | event | instance | rounds | p50 ms | p99 ms | max ms | hit RTT p50/p99 ms | after revoke | after refusal | warm misses | never refused |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |'
  ]
  for (const run of runs) {
    for (const i of run.perInstance) {
      lines.push(`| ${run.mode} | ${run.instances} | ${run.event} | ${i.instance} | ${i.count} | ${i.p50} | ${i.p99} | ${i.max} | ${i.hitRoundTrip.p50}/${i.hitRoundTrip.p99} | ${i.acceptedAfterRevoke} | ${i.acceptedAfterRefusal} | ${i.warmMisses} | ${i.neverRefused} |`)
    }
    lines.push(`| ${run.mode} | ${run.instances} | all | all | ${run.all.count} | **${run.all.p50}** | **${run.all.p99}** | **${run.all.max}** | ${run.hitRoundTrip.p50}/${run.hitRoundTrip.p99} | ${run.perInstance.reduce((n, i) => n + i.acceptedAfterRevoke, 0)} | ${run.perInstance.reduce((n, i) => n + i.acceptedAfterRefusal, 0)} | ${run.perInstance.reduce((n, i) => n + i.warmMisses, 0)} | ${run.perInstance.reduce((n, i) => n + i.neverRefused, 0)} |`)
  }
  return lines.join('\n') + '\n'
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string' }, instances: { type: 'string' }, modes: { type: 'string' } } })
  const rounds = Number(values.rounds ?? 100)
  const counts = (values.instances ?? '2,4').split(',').map(Number)
  const modes = (values.modes ?? Object.keys(MODES).join(',')).split(',') as Mode[]
  if (!Number.isInteger(rounds) || rounds < 1 || counts.some(n => !Number.isInteger(n) || n < 2) || modes.some(m => !(m in MODES))) {
    throw new Error(`usage: --rounds N (>= 1) --instances 2,4 (each >= 2) --modes ${Object.keys(MODES).join(',')}`)
  }
  const redis = await openRedis('the propagation measurement')
  if (redis === null) return
  try {
    const machine = machineInfo()
    const info = await (async () => {
      const { Redis } = await import('ioredis')
      const client = new Redis(redis.url)
      try { return /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? 'unknown' } finally { client.disconnect() }
    })()
    const runs: RunResult[] = []
    for (const mode of modes) {
      for (const count of counts) {
        process.stderr.write(`${mode} with ${count} instances, ${rounds} revocations\n`)
        runs.push(await run(mode, count, rounds, redis.url))
      }
    }
    const meta = { date: new Date().toISOString(), cpu: machine.cpuModel, cpus: machine.cpuCount, node: machine.node, redis: info, commit: machine.gitCommit, dirty: machine.gitDirty, loadAverageAtStart: machine.loadAverageAtStart, loadAverageAtEnd: loadavg().map(v => Number(v.toFixed(2))), redisSource: redis.source }
    const dir = 'bench/results/propagation'
    mkdirSync(dir, { recursive: true })
    const stamp = String(meta.date).replace(/[:.]/g, '-')
    writeFileSync(`${dir}/${stamp}.json`, JSON.stringify({ meta, runs }, null, 2) + '\n')
    writeFileSync(`${dir}/${stamp}.md`, markdown(runs, meta))
    copyFileSync(`${dir}/${stamp}.json`, `${dir}/latest.json`)
    copyFileSync(`${dir}/${stamp}.md`, `${dir}/latest.md`)
    process.stdout.write(markdown(runs, meta))
  } finally {
    await redis.dispose()
  }
}

main().catch(err => {
  console.error(err)
  process.exitCode = 1
})
