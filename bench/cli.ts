import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { machineInfo } from './machine.js'
import { Output } from './progress.js'
import { deletePrefix, openBenchRedis, type BenchRedis } from './redis.js'
import { applyRatios, revocationTable, textTable, writeResults, type BenchReport } from './report.js'
import { REVOCATION_TARGETS, runRevocation, type RevocationResult } from './revocation.js'
import { runScenario, type BenchSettings, type ScenarioResult } from './runner.js'
import { SCENARIOS, selectScenarios } from './scenarios.js'
import { SNAPSHOT_DIR, snapshotServerBuild } from './server-process.js'

const HELP = `Usage: npm run bench -- [options]

Starts one server process per scenario (node dist/server.js), logs in distinct users, and loads
GET /{strategy}/api/me with autocannon from this process; then checks revocation behaviour.

  --scenarios a,b        scenarios to run (default: all): ${SCENARIOS.map(s => s.name).join(', ')}
  --runs N               measured runs per scenario; the median is reported (default 3)
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
  --quick                smoke run: about 1 s per scenario, 1 run, 100 users, no growth
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
  const settings: BenchSettings = {
    users: positive('users', values.users, quick ? 100 : 1000),
    connections: positive('connections', values.connections, 50),
    durationSec,
    warmupSec: positive('warmup', values.warmup, quick ? 0.5 : 3, false),
    runs: positive('runs', values.runs, quick ? 1 : 3),
    growth: !quick && values['no-growth'] !== true,
    growthLevels: (values['growth-levels'] ?? '1000,10000,100000').split(',').map(v => positive('growth-levels', v.trim(), 1)),
    growthDurationSec: positive('growth-duration', values['growth-duration'], Math.max(3, durationSec / 2), false),
    loginConcurrency: positive('login-concurrency', values['login-concurrency'], 8),
    serverNodeArgs: values['cpu-prof'] === true ? ['--cpu-prof', '--cpu-prof-dir', resolve('bench/results/profiles')] : []
  }
  let scenarios = selectScenarios(values.scenarios === undefined ? null : values.scenarios.split(',').map(s => s.trim()).filter(s => s !== ''))
  let revocationTargets = values['no-revocation'] === true ? [] : REVOCATION_TARGETS.filter(t => scenarios.some(s => s.name === t.name))
  const outDir = resolve(values.out ?? (quick ? 'bench/results/quick' : 'bench/results'))
  const revocationTtl = positive('revocation-ttl', values['revocation-ttl'], 5)

  const output = new Output()
  const started = new Date()
  const machine = machineInfo()
  snapshotServerBuild()
  output.log(`session-vs-jwt bench: ${scenarios.map(s => s.name).join(', ')}${quick ? ' (quick)' : ''}`)
  output.log(`${machine.cpuCount}x ${machine.cpuModel}, Node ${machine.node}, commit ${machine.gitCommit}${machine.gitDirty ? '+dirty' : ''}; ${settings.users} users, ${settings.connections} connections, ${settings.runs} x ${settings.durationSec} s (+${settings.warmupSec} s warm-up)`)

  const notes: string[] = []
  const load1 = machine.loadAverageAtStart[0] ?? 0
  if (load1 > 1) {
    const msg = `the machine was busy when the bench started (load average ${machine.loadAverageAtStart.join(' ')} on ${machine.cpuCount} CPUs): other processes compete with the server and autocannon, so the figures are lower and noisier than on an idle machine`
    notes.push(msg)
    output.log(`warning: ${msg}`)
  }
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

  const results: ScenarioResult[] = []
  for (const scenario of scenarios) {
    output.log(`${scenario.name}: ${scenario.description}`)
    const r = await runScenario(scenario, { settings, redis: redis?.client ?? null, redisUrl: redis?.url ?? null, prefix: prefixFor(scenario.name), knownSettings: known, output, cleanup })
    results.push(r)
    if (r.status === 'failed') output.log(`  ${scenario.name} FAILED: ${r.failures.map(f => f.split('\n')[0]).join('; ')}`)
  }
  applyRatios(results)

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

  const failures = [
    ...results.filter(r => r.status === 'failed').map(r => `${r.name}: ${r.failures.join('; ')}`),
    ...revocation.filter(r => !r.ok).map(r => `revocation ${r.target}: ${r.error ?? r.events.filter(e => !e.ok).map(e => `${e.event}: ${e.problem ?? ''}`).join('; ')}${r.theft !== null && !r.theft.detected ? '; stolen refresh token not detected' : ''}`)
  ]
  for (const r of results) {
    if (r.load?.spreadWarning === true) notes.push(`${r.name}: requests/s spread ${(r.load.spread * 100).toFixed(0)}% between runs (over 10%): ${r.load.runs.map(x => Math.round(x.rps)).join(', ')}`)
  }
  if (quick) notes.push('--quick: 1 short run per scenario, 100 users, no growth; a smoke test, not a measurement')

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
    ok: failures.length === 0,
    failures
  }
  const written = writeResults(outDir, report)

  output.log('')
  output.log(textTable(report))
  if (revocation.length > 0) {
    output.log('')
    output.log(revocationTable(revocation))
  }
  for (const n of notes) output.log(`note: ${n}`)
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
