import { missingPostgres } from '../harness/postgres.js'
import { redactUrl } from '../src/stores/index.js'
import { BENCH_SCHEMA, benchDatabaseUrl, dropBenchSchema } from './postgres.js'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { machineInfo } from './machine.js'
import { Output } from './progress.js'
import { deletePrefix, openBenchRedis, redisPid, type BenchRedis } from './redis.js'
import { applyRatios, breakdownText, targetText, contradictions, contradictionText, cpuTextTable, revocationTable, textTable, writeResults, type BenchReport } from './report.js'
import { REVOCATION_TARGETS, runRevocation, type RevocationResult } from './revocation.js'
import { cpuPlan, clockTicks, pin } from './affinity.js'
import { PEERS } from './peers/index.js'
import { finishScenario, measureRound, preparePeer, prepareScenario, type BenchSettings, type PreparedScenario, type ScenarioResult } from './runner.js'
import { allScenarios, selectScenarios } from './scenarios.js'
import { SNAPSHOT_DIR, snapshotServerBuild } from './server-process.js'
import { computeBreakdown } from './breakdown/compute.js'
import { runStoreRtt, type StoreRttResult, type StoreRttSettings } from './store-rtt.js'

const HELP = `Usage: npm run bench -- [options]

Starts one server process per scenario (node dist/server.js) and per peer (bench/peers), each pinned to a
CPU of its own, logs in distinct users, and loads GET /{strategy}/api/me with autocannon from this process,
round by round; reports the server's and Redis's CPU time per request. Then checks revocation behaviour.

  --scenarios a,b        scenarios to run (default: all): ${allScenarios().map(s => s.name).join(', ')}
  --no-breakdown         skip the breakdown's bench-only variants (breakdown-*) unless --scenarios names them
  --rounds N             measured rounds; each round runs every scenario once, interleaved (A B C, A B C, ...);
                         min / median / max over the rounds are reported (default 3; --runs is the same)
  --users N              distinct users logged in per scenario (default 1000)
  --connections N        autocannon connections, each with its own credentials (default 50)
  --duration S           seconds per measured run (default 10)
  --warmup S             seconds of warm-up before each measured run (default 3)
  --growth-levels a,b,c  active logins seeded in Redis for the growth step (default 1000,10000,100000)
  --growth-duration S    seconds per growth level (default: half of --duration, at least 3)
  --no-growth            skip the growth step
  --no-revocation        skip the revocation matrix
  --revocation-ttl S     JWT_ACCESS_TTL of the revocation servers (default 5)
  --login-concurrency N  logins in flight (default 8; scrypt is deliberately slow)
  --out DIR              results directory (default bench/results, bench/results/quick for --quick)
  --cpu-prof             run the servers with --cpu-prof (profiles in bench/results/profiles)
  --no-peers             skip the peers (bench/peers), which otherwise run as extra scenarios
  --store-rtt a,b        added Redis round-trip times in ms (delaying proxy) for the store-at-a-distance step
                         (default 0,0.5,2; --quick: 2)
  --no-store-rtt         skip that step
  --store-rtt-connections N  connections in that step (default 10)
  --store-rtt-duration S seconds per point in that step (default: --duration, at most 5; warm-up: --warmup, at most 2)
  --quick                smoke run: about 1 s per scenario, 1 round, one user per connection (50), no growth,
                         store RTT +2 ms only (0.5 s per point)
  --help                 this text

Redis: REDIS_URL when set (only the bench's own svjbench:* keys are touched), else a throwaway
redis-server on a free port. Exit status 1 when a scenario fails (errors, non-2xx) or the revocation
behaviour differs from what each strategy promises.`

function positive (name: string, value: string | undefined, fallback: number, integer = true): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new Error(`--${name}: expected a positive ${integer ? 'integer' : 'number'}, got '${value}'`)
  return n
}

function nonNegative (name: string, value: string): number {
  const n = Number(value)
  if (value === '' || !Number.isFinite(n) || n < 0) throw new Error(`--${name}: expected milliseconds >= 0, got '${value}'`)
  return n
}

async function knownSettings (): Promise<Set<string> | null> {
  try {
    const mod = await import(pathToFileURL(resolve(SNAPSHOT_DIR, 'config/config.js')).href) as { OPTIONS?: ReadonlyArray<{ env: string }> }
    return mod.OPTIONS === undefined ? null : new Set(mod.OPTIONS.map(o => o.env))
  } catch {
    return null
  }
}

async function main (): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenarios: { type: 'string' },
      runs: { type: 'string' },
      rounds: { type: 'string' },
      'no-peers': { type: 'boolean' },
      'no-breakdown': { type: 'boolean' },
      'store-rtt': { type: 'string' },
      'no-store-rtt': { type: 'boolean' },
      'store-rtt-connections': { type: 'string' },
      'store-rtt-duration': { type: 'string' },
      users: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      'growth-levels': { type: 'string' },
      'growth-duration': { type: 'string' },
      'no-growth': { type: 'boolean' },
      'no-revocation': { type: 'boolean' },
      'revocation-ttl': { type: 'string' },
      'login-concurrency': { type: 'string' },
      out: { type: 'string' },
      'cpu-prof': { type: 'boolean' },
      quick: { type: 'boolean' },
      help: { type: 'boolean' }
    },
    strict: true,
    allowPositionals: false
  })
  if (values.help === true) {
    console.log(HELP)
    return 0
  }
  const quick = values.quick === true
  const durationSec = positive('duration', values.duration, quick ? 1 : 10, false)
  const connections = positive('connections', values.connections, 50)
  const settings: BenchSettings = {
    // --quick: one user per connection. The scrypt logins were most of a smoke run's time.
    users: positive('users', values.users, quick ? connections : 1000),
    connections,
    durationSec,
    warmupSec: positive('warmup', values.warmup, quick ? 0.5 : 3, false),
    runs: positive(values.rounds === undefined ? 'runs' : 'rounds', values.rounds ?? values.runs, quick ? 1 : 3),
    growth: !quick && values['no-growth'] !== true,
    growthLevels: (values['growth-levels'] ?? '1000,10000,100000').split(',').map(v => positive('growth-levels', v.trim(), 1)),
    growthDurationSec: positive('growth-duration', values['growth-duration'], Math.max(3, durationSec / 2), false),
    loginConcurrency: positive('login-concurrency', values['login-concurrency'], 8),
    serverNodeArgs: values['cpu-prof'] === true ? ['--cpu-prof', '--cpu-prof-dir', resolve('bench/results/profiles')] : []
  }
  let scenarios = selectScenarios(values.scenarios === undefined ? null : values.scenarios.split(',').map(s => s.trim()).filter(s => s !== ''), { breakdown: values['no-breakdown'] !== true })
  const storeRtt: StoreRttSettings | null = values['no-store-rtt'] === true
    ? null
    : {
        rttsMs: (values['store-rtt'] ?? (quick ? '2' : '0,0.5,2')).split(',').map(v => nonNegative('store-rtt', v.trim())),
        connections: positive('store-rtt-connections', values['store-rtt-connections'], 10),
        durationSec: positive('store-rtt-duration', values['store-rtt-duration'], quick ? 0.5 : Math.min(5, durationSec), false),
        warmupSec: quick ? 0.25 : Math.min(2, settings.warmupSec)
      }
  const peers = values['no-peers'] === true ? [] : PEERS
  let revocationTargets = values['no-revocation'] === true ? [] : REVOCATION_TARGETS.filter(t => scenarios.some(s => s.name === t.name))
  const outDir = resolve(values.out ?? (quick ? 'bench/results/quick' : 'bench/results'))
  const revocationTtl = positive('revocation-ttl', values['revocation-ttl'], 5)

  const output = new Output()
  const started = new Date()
  const machine = machineInfo()
  snapshotServerBuild()
  output.log(`session-vs-jwt bench: ${[...scenarios.map(s => s.name), ...peers.map(p => p.name)].join(', ')}${quick ? ' (quick)' : ''}`)
  output.log(`${machine.cpuCount}x ${machine.cpuModel}, Node ${machine.node}, commit ${machine.gitCommit}${machine.gitDirty ? '+dirty' : ''}; ${settings.users} users, ${settings.connections} connections, ${settings.runs} round(s) x ${settings.durationSec} s per scenario (+${settings.warmupSec} s warm-up each)`)

  const notes: string[] = []
  const load1 = machine.loadAverageAtStart[0] ?? 0
  const busy = load1 / Math.max(1, machine.cpuCount) > 0.5
  if (busy) {
    const msg = `BUSY MACHINE: load average ${machine.loadAverageAtStart.join(' ')} at start on ${machine.cpuCount} CPUs (over 0.5 per CPU): other processes compete with the server, autocannon and Redis, so every figure is noisier than on an idle machine (CPU time per request least so, requests/s most); do not publish these figures`
    notes.push(msg)
    output.log(`warning: ${msg}`)
  }
  // CPU placement: the measured server alone on one core, this process (autocannon) and the bench's Redis on the rest.
  const cpus = cpuPlan()
  if (cpus.enabled) {
    const problem = pin(process.pid, cpus.otherCpus)
    if (problem === null) {
      output.log(`CPUs: each measured server on CPU ${cpus.serverCpus}; autocannon (this process) and the bench's Redis on CPU ${cpus.otherCpus}`)
      notes.push(`CPU placement (taskset): each measured server pinned to CPU ${cpus.serverCpus}, autocannon (in the bench process) and the bench's Redis to CPU ${cpus.otherCpus}; scenarios interleaved round by round (the same order each round)`)
    } else {
      cpus.enabled = false
      cpus.reason = problem
    }
  }
  if (!cpus.enabled) {
    const msg = `servers NOT pinned to a core of their own (${cpus.reason ?? 'unknown'}): server, autocannon and Redis share every CPU, which adds to the spread`
    notes.push(msg)
    output.log(`warning: ${msg}`)
  }
  notes.push(`CPU time per request: the server's utime + stime from /proc/<pid>/stat over each measured window (resolution 1/${clockTicks()} s per window, i.e. ${(1e6 / clockTicks() / (settings.durationSec * 1000)).toFixed(1)} µs per request at 1000 requests/s over ${settings.durationSec} s), and Redis's used_cpu_user + used_cpu_sys (INFO cpu) deltas over the same window, each divided by the requests completed`)
  const needsRedis = scenarios.some(s => s.store === 'redis') || revocationTargets.some(t => t.store === 'redis')
  let redis: BenchRedis | null = null
  if (needsRedis) {
    redis = await openBenchRedis()
    if (redis === null) {
      // The harness's Redis policy (harness/redis.ts): skipped loudly here, an error under CI=true.
      const skipped = [...scenarios.filter(s => s.store === 'redis').map(s => s.name), ...revocationTargets.filter(t => t.store === 'redis').map(t => `revocation ${t.name}`)]
      notes.push(`no Redis: REDIS_URL is unset and redis-server is not on PATH, so every Redis scenario was SKIPPED: ${skipped.join(', ')}`)
      output.log('Redis: none available (set REDIS_URL or install redis-server): SKIPPING every Redis scenario')
      scenarios = scenarios.filter(s => s.store !== 'redis')
      revocationTargets = revocationTargets.filter(t => t.store !== 'redis')
    } else {
      const which = redis.source === 'throwaway' ? 'a throwaway redis-server started by the bench' : 'REDIS_URL (shared: INFO commandstats also counts other clients\' commands)'
      output.log(`Redis: ${redis.url} ${redis.version}, ${which}`)
      notes.push(`Redis ${redis.version} at ${redis.url}: ${which}; keys under svjbench:<run>:<scenario>: only, deleted after each scenario`)
      if (redis.source === 'throwaway' && cpus.enabled) {
        const pid = await redisPid(redis.client)
        const problem = pid === null ? 'no process_id in INFO server' : pin(pid, cpus.otherCpus)
        if (problem !== null) output.log(`warning: the bench's Redis is not pinned (${problem})`)
      } else if (redis.source !== 'throwaway') {
        notes.push('Redis is the shared REDIS_URL: the bench cannot pin it to a CPU (it is not the bench\'s process) and its INFO cpu and commandstats deltas include every other client\'s work during a run')
      }
    }
  }

  // The harness's PostgreSQL policy (harness/postgres.ts): DATABASE_URL, else the local `test` database;
  // with neither, the PostgreSQL scenarios are skipped loudly (an error under CI=true).
  const postgresScenarios = scenarios.filter(s => s.store === 'postgres')
  if (postgresScenarios.length > 0) {
    const missing = missingPostgres('the bench\'s PostgreSQL scenarios')
    if (missing !== null) {
      notes.push(`${missing}, so every PostgreSQL scenario was SKIPPED: ${postgresScenarios.map(s => s.name).join(', ')}`)
      output.log('PostgreSQL: none available (set DATABASE_URL or run one on 127.0.0.1:5432): SKIPPING every PostgreSQL scenario')
      scenarios = scenarios.filter(s => s.store !== 'postgres')
      revocationTargets = revocationTargets.filter(t => t.store !== 'postgres')
    } else {
      output.log(`PostgreSQL: ${redactUrl(benchDatabaseUrl())}, schema ${BENCH_SCHEMA} (dropped after the run)`)
      notes.push(`PostgreSQL at ${redactUrl(benchDatabaseUrl())}, schema ${BENCH_SCHEMA}, dropped after the run; its backends are not pinned and share both CPUs`)
    }
  }

  const known = await knownSettings()
  for (const s of scenarios) {
    const ignored = known === null ? [] : Object.keys(s.env).filter(k => !known.has(k))
    if (ignored.length > 0) {
      const msg = `${s.name}: ${ignored.join(', ')} is not a setting of this build (src/config/config.ts), so it was ignored${ignored.includes('JWT_VERIFY_CACHE') ? ': this scenario then measures the same configuration as jwt-none' : ''}`
      notes.push(msg)
      output.log(`note: ${msg}`)
    }
  }

  const runId = started.getTime().toString(36)
  const prefixFor = (name: string): string => `svjbench:${runId}:${name}:`
  const cleanup = async (prefix: string): Promise<void> => { if (redis !== null) await deletePrefix(redis.url, prefix) }

  const contextFor = (name: string): Parameters<typeof prepareScenario>[1] =>
    ({ settings, redis: redis?.client ?? null, redisUrl: redis?.url ?? null, prefix: prefixFor(name), knownSettings: known, output, cleanup, cpus })
  // Every server stays up (idle) between its rounds, so a round measures each scenario once, in the
  // same order: a slow minute on the machine then lands on every scenario instead of on one.
  const prepared: PreparedScenario[] = []
  for (const scenario of scenarios) {
    output.log(`${scenario.name}: ${scenario.description}`)
    prepared.push(await prepareScenario(scenario, contextFor(scenario.name)))
  }
  for (const peer of peers) {
    if (peer.store === 'redis' && redis === null) {
      notes.push(`${peer.name}: SKIPPED (no Redis)`)
      continue
    }
    output.log(`${peer.name} (peer): ${peer.description}`)
    prepared.push(await preparePeer(peer, contextFor(peer.name)))
  }
  for (const p of prepared) {
    if (p.result.status === 'failed') output.log(`  ${p.result.name} FAILED to start: ${p.result.failures.map(f => f.split('\n')[0]).join('; ')}`)
  }
  for (let round = 1; round <= settings.runs; round++) {
    for (const p of prepared) await measureRound(p, round, settings.runs)
  }
  // The store at a distance, while every server is still up (before the refresh path and growth).
  let storeRttResult: StoreRttResult | null = null
  const rttTargets = prepared.filter(p => p.server !== null && p.result.store === 'redis')
  if (storeRtt !== null && storeRtt.rttsMs.length > 0 && rttTargets.length > 0) {
    if (redis === null) {
      notes.push('store RTT: SKIPPED (no Redis)')
    } else {
      output.log(`store at a distance: +${storeRtt.rttsMs.join(', +')} ms RTT to Redis through a delaying proxy, ${storeRtt.connections} connections, ${storeRtt.durationSec} s per point (+${storeRtt.warmupSec} s warm-up)`)
      storeRttResult = await runStoreRtt(prepared, { settings: storeRtt, redisUrl: redis.url, output })
    }
  }
  const results: ScenarioResult[] = []
  for (const p of prepared) {
    const r = await finishScenario(p)
    results.push(r)
    if (r.status === 'failed') output.log(`  ${r.name} FAILED: ${r.failures.map(f => f.split('\n')[0]).join('; ')}`)
  }
  applyRatios(results)
  const breakdown = computeBreakdown(results)

  let revocation: RevocationResult[] = []
  if (revocationTargets.length > 0) {
    output.log(`revocation matrix: ${revocationTargets.map(t => t.name).join(', ')} (JWT_ACCESS_TTL=${revocationTtl}s)`)
    output.status('revocation: observing')
    revocation = await runRevocation(revocationTargets, {
      redisUrl: redis?.url ?? null,
      prefixFor,
      cleanup,
      accessTtlSec: revocationTtl,
      log: line => { output.log(`  ${line}`) }
    })
    output.done()
  }
  await redis?.close()
  if (scenarios.some(s => s.store === 'postgres') || revocationTargets.some(t => t.store === 'postgres')) await dropBenchSchema()

  const failures = [
    ...results.filter(r => r.status === 'failed').map(r => `${r.name}: ${r.failures.join('; ')}`),
    ...(storeRttResult?.rows ?? []).filter(r => r.failures.length > 0).map(r => `${r.name}: ${r.failures.join('; ')}`),
    ...revocation.filter(r => !r.ok).map(r => `revocation ${r.target}: ${r.error ?? r.events.filter(e => !e.ok).map(e => `${e.event}: ${e.problem ?? ''}`).join('; ')}${r.theft !== null && !r.theft.detected ? '; stolen refresh token not detected' : ''}`)
  ]
  for (const r of results) {
    if (r.load?.spreadWarning === true) notes.push(`${r.name}: requests/s spread ${(r.load.spread * 100).toFixed(0)}% between rounds (over 10%): ${r.load.runs.map(x => Math.round(x.rps)).join(', ')}`)
  }
  if (quick) notes.push(`--quick: 1 short round, ${settings.users} users, no growth; a smoke test, not a measurement`)
  if (breakdown.some(c => c.steps.some(s => s.rounds < 2))) notes.push('cost breakdown: with fewer than 2 rounds a step has no spread to read it against; steps of a few µs are noise at this resolution')

  const finished = new Date()
  const report: BenchReport = {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    elapsedSec: (finished.getTime() - started.getTime()) / 1000,
    command: `npm run bench --${process.argv.slice(2).map(a => ` ${a}`).join('')}`.replace(/ --$/, ''),
    quick,
    settings,
    machine,
    redis: redis === null ? null : { source: redis.source, url: redis.url, version: redis.version },
    notes,
    scenarios: results,
    revocation,
    breakdown,
    storeRtt: storeRttResult,
    ok: failures.length === 0,
    failures
  }
  const written = writeResults(outDir, report)

  output.log('')
  output.log('CPU time per request, min / median / max over the rounds (one value where they agree):')
  output.log(cpuTextTable(report))
  output.log('')
  output.log(textTable(report))
  const targets = targetText(report)
  if (targets !== '') {
    output.log('')
    output.log('Hot-path targets (server CPU per request against the same round\'s reference; median decides):')
    output.log(targets)
  }
  if (breakdown.length > 0) {
    output.log('')
    output.log('Where the microseconds go (server µs CPU/req; step = minus the previous step in the same round, median (min … max)):')
    output.log(breakdownText(breakdown))
  }
  if (revocation.length > 0) {
    output.log('')
    output.log(revocationTable(revocation))
  }
  for (const n of notes) output.log(`note: ${n}`)
  for (const c of contradictions(results)) output.log(`warning: ${contradictionText(c)}`)
  if (busy) output.log(`warning: BUSY MACHINE (load average ${machine.loadAverageAtStart.join(' ')} at start on ${machine.cpuCount} CPUs): these figures are not fit to publish`)
  output.log('')
  output.log(`results: ${written.filter(p => p.includes('latest')).join(', ')} (and ${report.startedAt.replace(/[:.]/g, '-')}.*) in ${Math.round(report.elapsedSec)} s`)
  if (failures.length > 0) {
    output.log(`FAILED (${failures.length}):`)
    for (const f of failures) output.log(`  - ${f.split('\n')[0]}`)
    return 1
  }
  output.log('all scenarios ran with zero errors and the revocation matrix matches what each strategy promises')
  return 0
}

process.once('SIGINT', () => { process.exit(130) })
process.once('SIGTERM', () => { process.exit(143) })

main().then(code => { process.exit(code) }, (err: unknown) => {
  console.error(`bench: ${(err as Error).message}`)
  process.exit(2)
})
