import type { Redis } from 'ioredis'
import { BENCH_PASSWORD, benchUser } from '../harness/fixtures.js'
import { loginUsers } from './credentials.js'
import { measureLoginFootprint, type FootprintKey, type LoginFootprint } from './footprint.js'
import { runGrowth, type GrowthPoint } from './growth.js'
import { authOf, call, login, loginJwt, type Credential } from './http.js'
import { runLoad, runRefreshLoad, type LoadResult, type RefreshChain } from './load.js'
import type { Output } from './progress.js'
import { commandDelta, commandStats, type CommandDelta } from './redis.js'
import { serverEnv, type Scenario } from './scenarios.js'
import { startServer, type ServerProcess } from './server-process.js'
import { mapLimit, median, spread } from './util.js'

export interface BenchSettings {
  users: number
  connections: number
  durationSec: number
  warmupSec: number
  runs: number
  growth: boolean
  growthLevels: number[]
  growthDurationSec: number
  loginConcurrency: number
  /** Extra node flags for the server processes (profiling). */
  serverNodeArgs: string[]
}

/** One measured run, as figures. */
export interface RunFigures {
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
}

export interface Summary {
  runs: RunFigures[]
  /** Median of each figure over the runs. */
  median: RunFigures
  /** (max - min) / median of requests/s. */
  spread: number
  spreadWarning: boolean
}

export interface ScenarioResult {
  name: string
  kind: Scenario['kind']
  store: Scenario['store']
  description: string
  pluginDefaults: boolean
  path: string
  /** The server's environment, exactly as it was started (secrets included: they are bench-only values). */
  config: Record<string, string>
  ignoredSettings: string[]
  serverStartupMs: number | null
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
}

function figures (r: LoadResult, delta: CommandDelta | null): RunFigures {
  return {
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
    redisCommands: delta === null ? null : Object.fromEntries(Object.entries(delta.byCommand).map(([k, v]) => [k, r.sent === 0 ? 0 : v / r.sent]))
  }
}

const medianOrNull = (values: Array<number | null>): number | null => values.some(v => v === null) ? null : median(values as number[])

export function summarise (runs: RunFigures[]): Summary {
  const rps = runs.map(r => r.rps)
  const commands: Record<string, number> = {}
  const names = new Set(runs.flatMap(r => Object.keys(r.redisCommands ?? {})))
  for (const name of names) commands[name] = median(runs.map(r => r.redisCommands?.[name] ?? 0))
  const m: RunFigures = {
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
    redisCommands: runs.some(r => r.redisCommands === null) ? null : commands
  }
  const s = spread(rps)
  return { runs, median: m, spread: s, spreadWarning: s > 0.1 }
}

export interface ScenarioContext {
  settings: BenchSettings
  redis: Redis | null
  redisUrl: string | null
  prefix: string
  knownSettings: Set<string> | null
  output: Output
  cleanup: (prefix: string) => Promise<void>
}

function failuresOf (label: string, r: LoadResult): string[] {
  const out: string[] = []
  if (r.errors > 0) out.push(`${label}: ${r.errors} connection errors`)
  if (r.timeouts > 0) out.push(`${label}: ${r.timeouts} timeouts`)
  if (r.non2xx > 0) out.push(`${label}: ${r.non2xx} non-2xx (${JSON.stringify(r.statusCodes)})`)
  return out
}

/** Runs one scenario end to end in its own server process. Never throws: failures are recorded. */
export async function runScenario (scenario: Scenario, ctx: ScenarioContext): Promise<ScenarioResult> {
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
  const result: ScenarioResult = {
    name: scenario.name,
    kind: scenario.kind,
    store: scenario.store,
    description: scenario.description,
    pluginDefaults: scenario.pluginDefaults,
    path: scenario.path,
    config: env,
    ignoredSettings: ctx.knownSettings === null ? [] : Object.keys(scenario.env).filter(k => !ctx.knownSettings!.has(k)),
    serverStartupMs: null,
    status: 'ok',
    failures: [],
    logins: null,
    credentialBytes: 0,
    loginFootprint: null,
    load: null,
    ratio: null,
    targetRatio: scenario.targetRatio,
    refresh: null,
    growth: null
  }
  const label = scenario.name
  let server: ServerProcess | undefined
  let footprint: LoginFootprint | null = null
  try {
    if (usesRedis && ctx.redis === null) throw new Error('no Redis: set REDIS_URL or put redis-server on PATH')
    output.status(`${label}: starting the server`)
    server = await startServer({ env, nodeArgs: settings.serverNodeArgs })
    result.serverStartupMs = server.startupMs
    const url = server.url

    if (usesRedis && scenario.kind !== 'baseline') {
      const kind = scenario.kind
      footprint = await measureLoginFootprint(ctx.redis!, ctx.prefix, async () => { await login(url, kind, probeUser) })
      result.loginFootprint = { keys: footprint.keys, totalBytes: footprint.totalBytes }
    }

    output.status(`${label}: logging in ${users} users (${settings.loginConcurrency} in flight)`)
    const logins = await loginUsers(url, scenario, users, settings.loginConcurrency)
    if (scenario.kind !== 'baseline') {
      result.logins = { count: users, ms: logins.ms, concurrency: logins.concurrency, msPerLogin: users === 0 ? 0 : logins.ms / users }
      output.log(`  ${label}: ${users} logins in ${(logins.ms / 1000).toFixed(1)} s (${(logins.ms / Math.max(1, users)).toFixed(1)} ms each, ${logins.concurrency} in flight)`)
    }
    const credentials = logins.credentials
    result.credentialBytes = credentials.reduce((s, c) => s + c.bytes, 0) / credentials.length
    const probe = await call(url, 'GET', scenario.path, authOf(credentials[0]!))
    if (probe.status !== 200) throw new Error(`a fresh credential gets ${probe.status} on ${scenario.path}: ${JSON.stringify(probe.body)}`)
    if (settings.connections > credentials.length && scenario.kind !== 'baseline') {
      output.log(`  ${label}: warning: ${settings.connections} connections but ${credentials.length} users; connections share credentials`)
    }

    const runs: RunFigures[] = []
    for (let run = 1; run <= settings.runs; run++) {
      output.progress(`${label}  run ${run}/${settings.runs}`, settings.warmupSec + settings.durationSec)
      const warm = await runLoad({ url, path: scenario.path, connections: settings.connections, durationSec: settings.warmupSec, credentials })
      result.failures.push(...failuresOf(`warm-up ${run}`, warm))
      const before = usesRedis ? await commandStats(ctx.redis!) : null
      const r = await runLoad({ url, path: scenario.path, connections: settings.connections, durationSec: settings.durationSec, credentials })
      const delta = before === null ? null : commandDelta(before, await commandStats(ctx.redis!))
      output.done()
      result.failures.push(...failuresOf(`run ${run}`, r))
      const f = figures(r, delta)
      runs.push(f)
      output.log(`  ${label} run ${run}/${settings.runs}: ${Math.round(f.rps)} req/s, p50 ${f.p50} ms, p99 ${f.p99} ms, ops ${f.headerOpsPerRequest?.toFixed(2) ?? '-'} (header) ${f.redisCommandsPerRequest?.toFixed(2) ?? '-'} (redis)`)
    }
    result.load = summarise(runs)

    if (scenario.refresh) result.refresh = await refreshRuns(url, credentials, ctx, label, result.failures)

    if (scenario.growth && settings.growth && usesRedis) {
      if (footprint !== null) {
        result.growth = await runGrowth({
          redis: ctx.redis!,
          prefix: ctx.prefix,
          footprint,
          realLogins: users + 1,
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
    output.done()
    result.failures.push(`${(err as Error).message}${server === undefined ? '' : `\nserver output:\n${server.output()}`}`)
  } finally {
    output.done()
    await server?.stop()
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
    const f = figures(r, delta)
    runs.push(f)
    output.log(`  ${label} refresh run ${run}/${settings.runs}: ${Math.round(f.rps)} refreshes/s, p99 ${f.p99} ms, ${f.redisCommandsPerRequest?.toFixed(2) ?? '-'} Redis commands/refresh`)
  }
  return summarise(runs)
}
