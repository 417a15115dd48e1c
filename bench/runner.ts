import { backendTicks, cpuPerRequest, measurePostgresFootprint, type PostgresFootprint } from './postgres.js'
import type { Redis } from 'ioredis'
import { BENCH_PASSWORD, benchUser } from '../harness/fixtures.js'
import { loginUsers } from './credentials.js'
import { keyPattern, measureLoginFootprint, type FootprintKey, type LoginFootprint } from './footprint.js'
import { postgresGrowthStore, redisGrowthStore, runGrowth, type GrowthPoint, type GrowthStore } from './growth.js'
import { freePort } from '../harness/redis.js'
import { clockTicks, pin, processTicks, type CpuPlan } from './affinity.js'
import { authOf, call, headerBytes, login, loginJwt, type Credential } from './http.js'
import { runLoad, runRefreshLoad, type LoadResult, type RefreshChain } from './load.js'
import type { Output } from './progress.js'
import type { Peer } from './peers/index.js'
import { commandDelta, commandStats, redisCpuSeconds, type CommandDelta } from './redis.js'
import { serverEnv, type Scenario } from './scenarios.js'
import { startBreakdownServer, startServer } from './server-process.js'
import { mapLimit, median, rangeOf, spread, type Range } from './util.js'

export interface BenchSettings {
  users: number
  connections: number
  durationSec: number
  warmupSec: number
  /** Measured rounds: each round measures every scenario once, in the same order (A B C, A B C, ...). */
  runs: number
  growth: boolean
  growthLevels: number[]
  growthDurationSec: number
  loginConcurrency: number
  /** Extra node flags for the server processes (profiling). */
  serverNodeArgs: string[]
}

/** One measured run (one scenario in one round), as figures. */
export interface RunFigures {
  /** The round this run belongs to (1-based); 0 for runs outside the rounds (refresh path). */
  round: number
  rps: number
  requests: number
  durationSec: number
  p50: number
  p97_5: number
  p99: number
  errors: number
  timeouts: number
  non2xx: number
  statusCodes: Record<string, number>
  /** Mean of x-auth-store-ops over the run's responses (null: the route does not send it). */
  headerOpsPerRequest: number | null
  /** Redis INFO commandstats delta / requests (null: the scenario does not use Redis). */
  redisCommandsPerRequest: number | null
  redisCommands: Record<string, number> | null
  /** Server process CPU (utime + stime from /proc/<pid>/stat over the measured window) per completed request, µs. */
  serverCpuUs: number | null
  /** The window's server CPU in clock ticks: the resolution is one tick (1/CLK_TCK s) over the whole window. */
  serverCpuTicks: number | null
  /** Store CPU per completed request, µs: Redis (INFO cpu used_cpu_user + used_cpu_sys delta) or, for the PostgreSQL scenarios, the backends serving the scenario (/proc of the pids pg_stat_activity lists); null without either. */
  redisCpuUs: number | null
  /** serverCpuUs + redisCpuUs (Redis counted as 0 where the scenario has no Redis). */
  totalCpuUs: number | null
  /** rps / baseline's rps in the same round. */
  ratio: number | null
}

export { rangeOf, type Range } from './util.js'

export interface Summary {
  runs: RunFigures[]
  /** Median of each figure over the runs. */
  median: RunFigures
  /** min / median / max over the runs of the figures the CPU table reports. */
  ranges: Record<'rps' | 'p50' | 'p99' | 'serverCpuUs' | 'redisCpuUs' | 'totalCpuUs' | 'ratio', Range | null>
  /** (max - min) / median of requests/s. */
  spread: number
  spreadWarning: boolean
}

export type ScenarioStore = Scenario['store'] | 'none'

export interface ScenarioResult {
  name: string
  kind: Scenario['kind'] | 'peer'
  store: ScenarioStore
  description: string
  pluginDefaults: boolean
  path: string
  /** The server's environment, exactly as it was started (secrets included: they are bench-only values). Peers: their start options. */
  config: Record<string, string>
  ignoredSettings: string[]
  serverStartupMs: number | null
  /** CPUs the server was pinned to (taskset), or null when it was not pinned. */
  pinnedCpus: string | null
  status: 'ok' | 'failed'
  failures: string[]
  logins: { count: number, ms: number, concurrency: number, msPerLogin: number } | null
  credentialBytes: number
  loginFootprint: { keys: FootprintKey[], totalBytes: number } | null
  load: Summary | null
  ratio: number | null
  targetRatio: number | null
  refresh: Summary | null
  growth: GrowthPoint[] | null
  /** The breakdown variant a bench-only server ran (bench/breakdown/server.ts); absent for the project's scenarios and peers. */
  variant?: string
}

interface CpuWindow { serverTicks: number | null, redisSec: number | null }

function figures (round: number, r: LoadResult, delta: CommandDelta | null, cpu: CpuWindow | null): RunFigures {
  const perRequestUs = (seconds: number | null): number | null => seconds === null || r.requests === 0 ? null : seconds * 1e6 / r.requests
  const serverCpuUs = perRequestUs(cpu?.serverTicks == null ? null : cpu.serverTicks / clockTicks())
  const redisCpuUs = perRequestUs(cpu?.redisSec ?? null)
  return {
    round,
    rps: r.rps,
    requests: r.requests,
    durationSec: r.durationSec,
    p50: r.latencyMs.p50,
    p97_5: r.latencyMs.p97_5,
    p99: r.latencyMs.p99,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    statusCodes: r.statusCodes,
    headerOpsPerRequest: r.headerOps.count === 0 ? null : r.headerOps.sum / r.headerOps.count,
    // Divided by requests sent: the ones in flight when autocannon stopped reached the store too.
    redisCommandsPerRequest: delta === null || r.sent === 0 ? null : delta.total / r.sent,
    redisCommands: delta === null ? null : Object.fromEntries(Object.entries(delta.byCommand).map(([k, v]) => [k, r.sent === 0 ? 0 : v / r.sent])),
    serverCpuUs,
    serverCpuTicks: cpu?.serverTicks ?? null,
    redisCpuUs,
    totalCpuUs: serverCpuUs === null ? null : serverCpuUs + (redisCpuUs ?? 0),
    ratio: null
  }
}

const medianOrNull = (values: Array<number | null>): number | null => values.some(v => v === null) ? null : median(values as number[])

export function summarise (runs: RunFigures[]): Summary {
  const rps = runs.map(r => r.rps)
  const commands: Record<string, number> = {}
  const names = new Set(runs.flatMap(r => Object.keys(r.redisCommands ?? {})))
  for (const name of names) commands[name] = median(runs.map(r => r.redisCommands?.[name] ?? 0))
  const m: RunFigures = {
    round: 0,
    rps: median(rps),
    requests: median(runs.map(r => r.requests)),
    durationSec: median(runs.map(r => r.durationSec)),
    p50: median(runs.map(r => r.p50)),
    p97_5: median(runs.map(r => r.p97_5)),
    p99: median(runs.map(r => r.p99)),
    // Failures are added up, never medianed away.
    errors: runs.reduce((s, r) => s + r.errors, 0),
    timeouts: runs.reduce((s, r) => s + r.timeouts, 0),
    non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
    statusCodes: runs.reduce<Record<string, number>>((acc, r) => {
      for (const [k, v] of Object.entries(r.statusCodes)) acc[k] = (acc[k] ?? 0) + v
      return acc
    }, {}),
    headerOpsPerRequest: medianOrNull(runs.map(r => r.headerOpsPerRequest)),
    redisCommandsPerRequest: medianOrNull(runs.map(r => r.redisCommandsPerRequest)),
    redisCommands: runs.some(r => r.redisCommands === null) ? null : commands,
    serverCpuUs: medianOrNull(runs.map(r => r.serverCpuUs)),
    serverCpuTicks: medianOrNull(runs.map(r => r.serverCpuTicks)),
    redisCpuUs: medianOrNull(runs.map(r => r.redisCpuUs)),
    totalCpuUs: medianOrNull(runs.map(r => r.totalCpuUs)),
    ratio: medianOrNull(runs.map(r => r.ratio))
  }
  const s = spread(rps)
  return {
    runs,
    median: m,
    ranges: {
      rps: rangeOf(rps),
      p50: rangeOf(runs.map(r => r.p50)),
      p99: rangeOf(runs.map(r => r.p99)),
      serverCpuUs: rangeOf(runs.map(r => r.serverCpuUs)),
      redisCpuUs: rangeOf(runs.map(r => r.redisCpuUs)),
      totalCpuUs: rangeOf(runs.map(r => r.totalCpuUs)),
      ratio: rangeOf(runs.map(r => r.ratio))
    },
    spread: s,
    spreadWarning: s > 0.1
  }
}

export interface ScenarioContext {
  settings: BenchSettings
  redis: Redis | null
  redisUrl: string | null
  prefix: string
  knownSettings: Set<string> | null
  output: Output
  cleanup: (prefix: string) => Promise<void>
  /** Where the measured servers run (taskset), when pinning is on. */
  cpus: CpuPlan
}

function failuresOf (label: string, r: LoadResult): string[] {
  const out: string[] = []
  if (r.errors > 0) out.push(`${label}: ${r.errors} connection errors`)
  if (r.timeouts > 0) out.push(`${label}: ${r.timeouts} timeouts`)
  if (r.non2xx > 0) out.push(`${label}: ${r.non2xx} non-2xx (${JSON.stringify(r.statusCodes)})`)
  return out
}

/** A measured server, project or peer. */
export interface Running {
  url: string
  pid: number
  stop: () => Promise<void>
  output: () => string
}

/** A scenario whose server is up and whose users are logged in, between rounds. */
export interface PreparedScenario {
  result: ScenarioResult
  /** The project's scenario (refresh path, growth), or null for a peer. */
  scenario: Scenario | null
  /** The peer, or null for a project scenario. */
  peer: Peer | null
  ctx: ScenarioContext
  server: Running | null
  credentials: Credential[]
  footprint: LoginFootprint | null
  /** PostgreSQL scenarios: the rows one login wrote (the growth step's template). */
  pgFootprint: PostgresFootprint | null
  runs: RunFigures[]
}

function emptyResult (fields: Pick<ScenarioResult, 'name' | 'kind' | 'store' | 'description' | 'pluginDefaults' | 'path' | 'config' | 'ignoredSettings' | 'targetRatio'>): ScenarioResult {
  return { ...fields, serverStartupMs: null, pinnedCpus: null, status: 'ok', failures: [], logins: null, credentialBytes: 0, loginFootprint: null, load: null, ratio: null, refresh: null, growth: null }
}

/**
 * Pins every thread of the server (threads it creates later inherit the mask). Done after the logins: the
 * scrypt logins run in libuv's thread pool and are not measured, so they may use every core.
 */
function pinServer (prepared: PreparedScenario): void {
  const { cpus, output } = prepared.ctx
  if (!cpus.enabled || prepared.server === null) return
  const problem = pin(prepared.server.pid, cpus.serverCpus)
  if (problem === null) prepared.result.pinnedCpus = cpus.serverCpus
  else output.log(`  ${prepared.result.name}: warning: not pinned (${problem})`)
}

/** A new server inherits the bench's CPUs: its logins may use every core until pinServer. */
function unpinServer (prepared: PreparedScenario): void {
  const { cpus } = prepared.ctx
  if (cpus.enabled && prepared.server !== null) pin(prepared.server.pid, cpus.allCpus)
}

async function failPrepare (prepared: PreparedScenario, err: unknown): Promise<PreparedScenario> {
  prepared.ctx.output.done()
  prepared.result.failures.push(`${(err as Error).message}${prepared.server === null ? '' : `\nserver output:\n${prepared.server.output()}`}`)
  prepared.result.status = 'failed'
  await prepared.server?.stop()
  prepared.server = null
  if (prepared.result.store === 'redis' && prepared.ctx.redis !== null) await prepared.ctx.cleanup(prepared.ctx.prefix)
  return prepared
}

/** Starts one scenario's server (pinned), measures its login footprint and logs its users in. Never throws. */
export async function prepareScenario (scenario: Scenario, ctx: ScenarioContext): Promise<PreparedScenario> {
  const { settings, output } = ctx
  const usesRedis = scenario.store === 'redis'
  const users = scenario.kind === 'baseline' ? 0 : settings.users
  // One more bench user than the load uses: its login is the one whose keys are measured.
  const probeUser = benchUser(users)
  const env = serverEnv(scenario, {
    users: scenario.kind === 'baseline' ? 0 : users + 1,
    redisUrl: ctx.redisUrl,
    keyPrefix: ctx.prefix
  })
  const prepared: PreparedScenario = {
    result: emptyResult({
      name: scenario.name,
      kind: scenario.kind,
      store: scenario.store,
      description: scenario.description,
      pluginDefaults: scenario.pluginDefaults,
      path: scenario.path,
      config: scenario.variant === undefined ? env : { ...env, BENCH_BREAKDOWN_VARIANT: scenario.variant },
      ignoredSettings: ctx.knownSettings === null ? [] : Object.keys(scenario.env).filter(k => !ctx.knownSettings!.has(k)),
      targetRatio: scenario.targetRatio
    }),
    scenario,
    peer: null,
    ctx,
    server: null,
    credentials: [],
    footprint: null,
    pgFootprint: null,
    runs: []
  }
  const { result } = prepared
  if (scenario.variant !== undefined) result.variant = scenario.variant
  const label = scenario.name
  try {
    if (usesRedis && ctx.redis === null) throw new Error('no Redis: set REDIS_URL or put redis-server on PATH')
    output.status(`${label}: starting the server`)
    const server = scenario.variant === undefined
      ? await startServer({ env, nodeArgs: settings.serverNodeArgs })
      : await startBreakdownServer(scenario.variant, { env, nodeArgs: settings.serverNodeArgs })
    prepared.server = { url: server.url, pid: server.pid, stop: async () => { await server.stop() }, output: server.output }
    result.serverStartupMs = server.startupMs
    unpinServer(prepared)
    const url = server.url

    if (usesRedis && scenario.kind !== 'baseline') {
      const kind = scenario.kind
      prepared.footprint = await measureLoginFootprint(ctx.redis!, ctx.prefix, async () => { await login(url, kind, probeUser) })
      result.loginFootprint = { keys: prepared.footprint.keys, totalBytes: prepared.footprint.totalBytes }
    }
    if (scenario.store === 'postgres' && scenario.kind !== 'baseline') {
      const kind = scenario.kind
      prepared.pgFootprint = await measurePostgresFootprint(ctx.prefix, async () => { await login(url, kind, probeUser) })
      result.loginFootprint = {
        keys: prepared.pgFootprint.rows.map(r => ({ pattern: `${r.table}: ${keyPattern(r.key.slice(ctx.prefix.length))}`, type: 'row', bytes: r.bytes, ttlMs: r.ttlMs ?? -1 })),
        totalBytes: prepared.pgFootprint.totalBytes
      }
    }

    output.status(`${label}: logging in ${users} users (${settings.loginConcurrency} in flight)`)
    const logins = await loginUsers(url, scenario, users, settings.loginConcurrency)
    if (scenario.kind !== 'baseline') {
      result.logins = { count: users, ms: logins.ms, concurrency: logins.concurrency, msPerLogin: users === 0 ? 0 : logins.ms / users }
      output.log(`  ${label}: ${users} logins in ${(logins.ms / 1000).toFixed(1)} s (${(logins.ms / Math.max(1, users)).toFixed(1)} ms each, ${logins.concurrency} in flight)`)
    }
    prepared.credentials = logins.credentials
    result.credentialBytes = prepared.credentials.reduce((s, c) => s + c.bytes, 0) / prepared.credentials.length
    const probe = await call(url, 'GET', scenario.path, authOf(prepared.credentials[0]!))
    if (probe.status !== 200) throw new Error(`a fresh credential gets ${probe.status} on ${scenario.path}: ${JSON.stringify(probe.body)}`)
    if (settings.connections > prepared.credentials.length && scenario.kind !== 'baseline') {
      output.log(`  ${label}: warning: ${settings.connections} connections but ${prepared.credentials.length} users; connections share credentials`)
    }
    pinServer(prepared)
    output.done()
    return prepared
  } catch (err) {
    return await failPrepare(prepared, err)
  }
}

/** Starts a peer (bench/peers) as an extra scenario, pinned like the project's servers. Never throws. */
export async function preparePeer (peer: Peer, ctx: ScenarioContext): Promise<PreparedScenario> {
  const { settings, output } = ctx
  const options = { port: 0, redisUrl: peer.store === 'redis' ? ctx.redisUrl : null, users: settings.users, keyPrefix: ctx.prefix }
  const prepared: PreparedScenario = {
    result: emptyResult({
      name: peer.name,
      kind: 'peer',
      store: peer.store,
      description: peer.description,
      pluginDefaults: false,
      path: peer.path,
      config: {},
      ignoredSettings: [],
      targetRatio: null
    }),
    scenario: null,
    peer,
    ctx,
    server: null,
    credentials: [],
    footprint: null,
    pgFootprint: null,
    runs: []
  }
  const { result } = prepared
  try {
    if (peer.store === 'redis' && ctx.redis === null) throw new Error('no Redis: set REDIS_URL or put redis-server on PATH')
    options.port = await freePort()
    result.config = { port: String(options.port), redisUrl: options.redisUrl ?? '', users: String(options.users), keyPrefix: options.keyPrefix }
    output.status(`${peer.name}: starting the peer`)
    const started = Date.now()
    const server = await peer.start(options)
    result.serverStartupMs = Date.now() - started
    prepared.server = { url: server.url, pid: server.pid, stop: server.stop, output: () => '(peer output is not captured)' }
    unpinServer(prepared)
    output.status(`${peer.name}: logging in ${settings.users} users (${settings.loginConcurrency} in flight)`)
    const loginStarted = Date.now()
    prepared.credentials = await mapLimit(Array.from({ length: settings.users }, (_, i) => i), settings.loginConcurrency, async i => {
      const headers = await peer.login(server.url, i)
      const bytes = Object.entries(headers).reduce((sum, [k, v]) => sum + headerBytes(k, v), 0)
      return { username: benchUser(i).username, header: null, headers, bytes }
    })
    const ms = Date.now() - loginStarted
    if (prepared.credentials.some(c => c.bytes > 0)) result.logins = { count: settings.users, ms, concurrency: settings.loginConcurrency, msPerLogin: ms / Math.max(1, settings.users) }
    result.credentialBytes = prepared.credentials.reduce((s, c) => s + c.bytes, 0) / Math.max(1, prepared.credentials.length)
    if (prepared.credentials.length === 0) prepared.credentials = [{ username: 'anonymous', header: null, bytes: 0 }]
    const probe = await fetch(server.url + peer.path, { headers: prepared.credentials[0]!.headers ?? {} })
    await probe.arrayBuffer()
    if (probe.status !== 200) throw new Error(`a fresh credential gets ${probe.status} on ${peer.path}`)
    pinServer(prepared)
    output.done()
    return prepared
  } catch (err) {
    return await failPrepare(prepared, err)
  }
}

/**
 * A second server of a prepared Redis scenario or peer, on another port, whose Redis is `redisUrl` (the
 * delaying proxy of the store-RTT step). It shares the first one's settings, secrets, key prefix and Redis
 * data, so the credentials the bench logged in with work on it too. Pinned like the first one.
 */
export async function startTwin (prepared: PreparedScenario, redisUrl: string): Promise<Running> {
  const { ctx, scenario, peer, result } = prepared
  let twin: Running
  if (peer !== null) {
    const port = await freePort()
    const server = await peer.start({ port, redisUrl, users: ctx.settings.users, keyPrefix: ctx.prefix })
    twin = { url: server.url, pid: server.pid, stop: server.stop, output: () => '(peer output is not captured)' }
  } else if (scenario !== null) {
    const env = { ...result.config, REDIS_URL: redisUrl }
    const server = scenario.variant === undefined ? await startServer({ env }) : await startBreakdownServer(scenario.variant, { env })
    twin = { url: server.url, pid: server.pid, stop: async () => { await server.stop() }, output: server.output }
  } else {
    throw new Error(`${result.name}: nothing to start`)
  }
  if (ctx.cpus.enabled) {
    const problem = pin(twin.pid, ctx.cpus.serverCpus)
    if (problem !== null) ctx.output.log(`  ${result.name} (store RTT): warning: not pinned (${problem})`)
  }
  return twin
}

/** One round of one scenario: a warm-up, then a measured run with the server's and Redis's CPU over it. */
export async function measureRound (prepared: PreparedScenario, round: number, rounds: number): Promise<void> {
  const { ctx, result, server } = prepared
  if (server === null) return
  const { settings, output } = ctx
  const label = result.name
  const redis = result.store === 'redis' ? ctx.redis : null
  try {
    output.progress(`${label}  round ${round}/${rounds}`, settings.warmupSec + settings.durationSec)
    const load = { url: server.url, path: result.path, connections: settings.connections, credentials: prepared.credentials }
    const warm = await runLoad({ ...load, durationSec: settings.warmupSec })
    result.failures.push(...failuresOf(`warm-up ${round}`, warm))
    const before = redis === null ? null : await commandStats(redis)
    const redisCpuBefore = redis === null ? null : await redisCpuSeconds(redis)
    // PostgreSQL: the CPU of the backends serving this scenario's connections (its store column).
    const dbBefore = result.store === 'postgres' ? await backendTicks(result.name) : null
    const ticksBefore = processTicks(server.pid)
    const r = await runLoad({ ...load, durationSec: settings.durationSec })
    const ticksAfter = processTicks(server.pid)
    const redisCpuAfter = redis === null ? null : await redisCpuSeconds(redis)
    const dbAfter = result.store === 'postgres' ? await backendTicks(result.name) : null
    const dbSec = dbBefore === null || dbAfter === null ? null : (cpuPerRequest(dbBefore, dbAfter, 1) ?? null)
    const delta = before === null ? null : commandDelta(before, await commandStats(redis!))
    output.done()
    result.failures.push(...failuresOf(`round ${round}`, r))
    const f = figures(round, r, delta, {
      serverTicks: ticksBefore === null || ticksAfter === null ? null : ticksAfter - ticksBefore,
      redisSec: dbSec ?? (redisCpuBefore === null || redisCpuAfter === null ? null : redisCpuAfter - redisCpuBefore)
    })
    prepared.runs.push(f)
    const us = (v: number | null): string => v === null ? '-' : v.toFixed(0)
    output.log(`  ${label} round ${round}/${rounds}: ${Math.round(f.rps)} req/s, p50 ${f.p50} ms, p99 ${f.p99} ms, CPU/req server ${us(f.serverCpuUs)} µs + ${result.store === 'postgres' ? 'PostgreSQL' : 'Redis'} ${us(f.redisCpuUs)} µs, ops ${f.headerOpsPerRequest?.toFixed(2) ?? '-'} (header) ${f.redisCommandsPerRequest?.toFixed(2) ?? '-'} (redis)`)
  } catch (err) {
    output.done()
    result.failures.push(`round ${round}: ${(err as Error).message}`)
  }
}

/** After the rounds: the refresh path and growth (project scenarios), then stops the server and deletes its keys. */
export async function finishScenario (prepared: PreparedScenario): Promise<ScenarioResult> {
  const { ctx, result, scenario, server } = prepared
  const { settings, output } = ctx
  const usesRedis = result.store === 'redis'
  const label = result.name
  if (prepared.runs.length > 0) result.load = summarise(prepared.runs)
  try {
    if (server !== null && scenario !== null && result.failures.length === 0) {
      const url = server.url
      const credentials = prepared.credentials
      if (scenario.refresh) result.refresh = await refreshRuns(url, credentials, ctx, label, result.failures)
      const growthStore: GrowthStore | null = usesRedis && prepared.footprint !== null
        ? redisGrowthStore(ctx.redis!, ctx.prefix, prepared.footprint)
        : result.store === 'postgres' && prepared.pgFootprint !== null ? postgresGrowthStore(result.name, prepared.pgFootprint) : null
      if (scenario.growth && settings.growth && growthStore !== null) {
        result.growth = await runGrowth({
          store: growthStore,
          realLogins: settings.users + 1,
          levels: settings.growthLevels,
          url,
          path: scenario.path,
          credentials,
          connections: settings.connections,
          durationSec: settings.growthDurationSec,
          warmupSec: Math.min(settings.warmupSec, 2),
          output,
          label
        })
        for (const p of result.growth) {
          if (p.errors + p.non2xx > 0) result.failures.push(`growth ${p.activeLogins}: ${p.errors} errors, ${p.non2xx} non-2xx`)
        }
      }
    }
  } catch (err) {
    result.failures.push(`${(err as Error).message}${server === null ? '' : `\nserver output:\n${server.output()}`}`)
  } finally {
    output.done()
    await server?.stop()
    prepared.server = null
    if (usesRedis && ctx.redis !== null) await ctx.cleanup(ctx.prefix)
  }
  if (result.failures.length > 0) result.status = 'failed'
  return result
}

/** POST /jwt/refresh throughput: one refresh chain per connection, each walking its own tokens. */
async function refreshRuns (url: string, credentials: readonly Credential[], ctx: ScenarioContext, label: string, failures: string[]): Promise<Summary> {
  const { settings, output } = ctx
  const count = Math.min(settings.connections, credentials.length)
  const chains: RefreshChain[] = credentials.slice(0, count).map(c => ({ username: c.username, refreshToken: c.refreshToken!, pending: false, broken: false }))
  const relogin = async (): Promise<void> => {
    // A run stops with requests in flight: their tokens may be spent, so those chains start over.
    const stale = chains.filter(c => c.pending || c.broken)
    await mapLimit(stale, settings.loginConcurrency, async chain => {
      const fresh = await loginJwt(url, { username: chain.username, password: BENCH_PASSWORD })
      chain.refreshToken = fresh.refreshToken
      chain.pending = false
      chain.broken = false
    })
  }
  const runs: RunFigures[] = []
  for (let run = 1; run <= settings.runs; run++) {
    output.progress(`${label}  refresh run ${run}/${settings.runs}`, settings.warmupSec + settings.durationSec)
    await relogin()
    const warm = await runRefreshLoad({ url, chains, durationSec: settings.warmupSec })
    failures.push(...failuresOf(`refresh warm-up ${run}`, warm))
    await relogin()
    const before = ctx.redis === null ? null : await commandStats(ctx.redis)
    const r = await runRefreshLoad({ url, chains, durationSec: settings.durationSec })
    const delta = before === null ? null : commandDelta(before, await commandStats(ctx.redis!))
    output.done()
    failures.push(...failuresOf(`refresh run ${run}`, r))
    const f = figures(0, r, delta, null)
    runs.push(f)
    output.log(`  ${label} refresh run ${run}/${settings.runs}: ${Math.round(f.rps)} refreshes/s, p99 ${f.p99} ms, ${f.redisCommandsPerRequest?.toFixed(2) ?? '-'} Redis commands/refresh`)
  }
  return summarise(runs)
}
