import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderChart, renderWaterfall } from './chart.js'
import type { BreakdownChainResult } from './breakdown/compute.js'
import type { StoreRttResult } from './store-rtt.js'
import type { MachineInfo } from './machine.js'
import { EVENTS, type EventObservation, type RevocationResult } from './revocation.js'
import type { BenchSettings, ScenarioResult } from './runner.js'
import { rangeOf, type Range } from './runner.js'
import { fmtInt, fmtNum, median } from './util.js'
import { evaluateTargets, TARGET_HEADER, targetRows } from './targets.js'

export interface BenchReport {
  startedAt: string
  finishedAt: string
  elapsedSec: number
  command: string
  quick: boolean
  settings: BenchSettings
  machine: MachineInfo
  redis: { source: string, url: string, version: string } | null
  notes: string[]
  scenarios: ScenarioResult[]
  revocation: RevocationResult[]
  /** The cost breakdown (bench/breakdown): chains with at least two measured steps. */
  breakdown?: BreakdownChainResult[]
  /** The store at a distance (--store-rtt), or null when it did not run. */
  storeRtt?: StoreRttResult | null
  ok: boolean
  failures: string[]
}

/** Ratio of each scenario's requests/s to the baseline's: per round (same round), and of the medians. */
export function applyRatios (results: ScenarioResult[]): void {
  const baseline = results.find(r => r.kind === 'baseline' && r.load !== null)?.load ?? null
  const base = baseline?.median.rps ?? null
  for (const r of results) {
    r.ratio = base === null || r.load === null ? null : r.load.median.rps / base
    if (r.load === null || baseline === null) continue
    for (const run of r.load.runs) {
      const same = baseline.runs.find(b => b.round === run.round)
      run.ratio = same === undefined || same.rps === 0 ? null : run.rps / same.rps
    }
    r.load.median.ratio = r.load.runs.some(x => x.ratio === null) ? null : median(r.load.runs.map(x => x.ratio!))
    r.load.ranges.ratio = rangeOf(r.load.runs.map(x => x.ratio))
  }
}

/**
 * Store round trips per request as the bench measured them: the server's x-auth-store-ops header where it
 * sends one, else Redis commands per request; an embedded (or no) store makes no round trip.
 */
export function roundTripsOf (r: ScenarioResult): number | null {
  const m = r.load?.median
  if (m === undefined) return null
  // An embedded store makes no round trip; Redis and PostgreSQL count what the server reports (x-auth-store-ops).
  if (r.store === 'memory') return 0
  return m.headerOpsPerRequest ?? m.redisCommandsPerRequest
}

export interface Contradiction {
  /** The scenario with more store round trips per request... */
  more: string
  /** ...measured cheaper (server + store CPU per request) than this one, beyond both spreads. */
  fewer: string
  roundTrips: [number, number]
  cpuUs: [number, number]
  spreadsUs: [number, number]
}

/**
 * Rankings that contradict the store operations: a scenario with at least half a round trip more per
 * request whose median server + store CPU per request is lower than the other's by more than the spread
 * (max - min over the rounds) of either. Only scenarios that differ in nothing but their store operations
 * are compared: the same strategy on the same store (jwt-none / jwt-denylist / jwt-version), never a
 * plugin-defaults reference (it changes more than the store: the verifier cache, rolling cookies) nor a
 * peer. There an extra round trip cannot make a request cheaper: such a ranking is measurement noise.
 */
export function contradictions (results: readonly ScenarioResult[]): Contradiction[] {
  const found: Contradiction[] = []
  const measured = results.filter(r => r.load?.ranges.totalCpuUs != null && roundTripsOf(r) !== null)
  for (const a of measured) {
    for (const b of measured) {
      const rtA = roundTripsOf(a)!
      const rtB = roundTripsOf(b)!
      if (a.kind !== b.kind || a.store !== b.store || a.pluginDefaults || b.pluginDefaults || a.kind === 'peer') continue
      // Breakdown variants do only part of the work: they are compared as steps, not as rivals.
      if (a.variant !== undefined || b.variant !== undefined) continue
      if (rtA < rtB + 0.5) continue
      const ca = a.load!.ranges.totalCpuUs!
      const cb = b.load!.ranges.totalCpuUs!
      const spreadA = ca.max - ca.min
      const spreadB = cb.max - cb.min
      if (cb.median - ca.median > Math.max(spreadA, spreadB)) {
        found.push({ more: a.name, fewer: b.name, roundTrips: [rtA, rtB], cpuUs: [ca.median, cb.median], spreadsUs: [spreadA, spreadB] })
      }
    }
  }
  return found
}

export const contradictionText = (c: Contradiction): string =>
  `${c.more} (${fmtNum(c.roundTrips[0])} store round trips/req) measured CHEAPER than ${c.fewer} (${fmtNum(c.roundTrips[1])}): ${fmtNum(c.cpuUs[0], 0)} µs vs ${fmtNum(c.cpuUs[1], 0)} µs CPU/req (median), beyond the spreads over the rounds (${fmtNum(c.spreadsUs[0], 0)} µs and ${fmtNum(c.spreadsUs[1], 0)} µs): this ranking contradicts the store operations, distrust it`

const rangeCell = (r: Range | null | undefined, digits = 0): string => r == null
  ? '-'
  : r.min === r.max ? fmtNum(r.median, digits) : `${fmtNum(r.min, digits)} / **${fmtNum(r.median, digits)}** / ${fmtNum(r.max, digits)}`

/** The headline table: CPU time per request, then throughput and latency, each min / median / max over the rounds. */
function cpuRowsOf (report: BenchReport, bold: boolean): { columns: Column[], rows: string[][] } {
  const columns: Column[] = [
    { title: 'scenario', right: false },
    { title: 'rounds', right: true },
    { title: 'server µs CPU/req', right: true },
    { title: 'store µs CPU/req (Redis or PostgreSQL)', right: true },
    { title: 'server+store µs/req', right: true },
    { title: 'store round trips/req', right: true },
    { title: 'req/s', right: true },
    { title: 'x baseline', right: true },
    { title: 'p50 ms', right: true },
    { title: 'p99 ms', right: true },
    { title: 'requests/round', right: true },
    { title: 'CPU', right: false }
  ]
  const cell = (r: Range | null | undefined, digits = 0): string => bold ? rangeCell(r, digits) : rangeCell(r, digits).replace(/\*\*/g, '')
  const rows = report.scenarios.map(r => {
    const x = r.load?.ranges
    return [
      r.name + (r.kind === 'peer' ? ' (peer)' : ''),
      String(r.load?.runs.length ?? 0),
      cell(x?.serverCpuUs),
      cell(x?.redisCpuUs),
      cell(x?.totalCpuUs),
      fmtNum(roundTripsOf(r)),
      cell(x?.rps),
      cell(x?.ratio, 2),
      cell(x?.p50),
      cell(x?.p99),
      fmtInt(r.load?.median.requests),
      r.pinnedCpus === null ? 'shared' : `pinned ${r.pinnedCpus}`
    ]
  })
  return { columns, rows }
}

function alignedTable ({ columns, rows }: { columns: Column[], rows: string[][] }): string {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map(r => r[i]!.length)))
  const line = (cells: string[]): string => cells.map((cell, i) => columns[i]!.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(columns.map(c => c.title)), line(widths.map(w => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

/** The CPU-per-request table for stdout (min / median / max over the rounds). */
export function cpuTextTable (report: BenchReport): string {
  return alignedTable(cpuRowsOf(report, false))
}

const baselineP99 = (report: BenchReport): number | null => report.scenarios.find(s => s.kind === 'baseline')?.load?.median.p99 ?? null

function targetCell (r: ScenarioResult, baseP99: number | null): string {
  if (r.targetRatio === null) return r.pluginDefaults ? '(reference)' : ''
  const parts: string[] = []
  if (r.ratio !== null) parts.push(`${r.ratio >= r.targetRatio ? 'met' : 'MISSED'} ≥${r.targetRatio.toFixed(2)}`)
  if (baseP99 !== null && baseP99 > 0 && r.load !== null) parts.push(`p99 ${r.load.median.p99 <= 3 * baseP99 ? 'met' : 'MISSED'} ≤3x`)
  return parts.join(', ')
}

interface Column { title: string, right: boolean }

function rowsOf (report: BenchReport): { columns: Column[], rows: string[][] } {
  const baseP99 = baselineP99(report)
  const columns: Column[] = [
    { title: 'scenario', right: false },
    { title: 'req/s', right: true },
    { title: 'x baseline', right: true },
    { title: 'p50 ms', right: true },
    { title: 'p97.5 ms', right: true },
    { title: 'p99 ms', right: true },
    { title: 'store ops/req (header)', right: true },
    { title: 'Redis cmds/req', right: true },
    { title: 'credential B/req', right: true },
    { title: 'store B/login', right: true },
    { title: 'errors', right: true },
    { title: 'non-2xx', right: true },
    { title: 'spread', right: true },
    { title: 'status', right: false },
    { title: 'target', right: false }
  ]
  const rows = report.scenarios.map(r => {
    const m = r.load?.median
    return [
      r.name,
      fmtInt(m?.rps),
      r.ratio === null ? 'n/a' : fmtNum(r.ratio),
      fmtNum(m?.p50, 0),
      fmtNum(m?.p97_5, 0),
      fmtNum(m?.p99, 0),
      m?.headerOpsPerRequest === null || m === undefined ? '-' : fmtNum(m.headerOpsPerRequest),
      m?.redisCommandsPerRequest === null || m === undefined ? '-' : fmtNum(m.redisCommandsPerRequest),
      fmtInt(r.credentialBytes),
      r.loginFootprint === null ? '-' : fmtInt(r.loginFootprint.totalBytes),
      m === undefined ? '-' : fmtInt(m.errors + m.timeouts),
      m === undefined ? '-' : fmtInt(m.non2xx),
      r.load === null ? '-' : `${(r.load.spread * 100).toFixed(0)}%${r.load.spreadWarning ? ' !' : ''}`,
      r.status === 'ok' ? 'ok' : 'FAILED',
      targetCell(r, baseP99)
    ]
  })
  return { columns, rows }
}

/** Plain aligned table for stdout. */
export function textTable (report: BenchReport): string {
  const { columns, rows } = rowsOf(report)
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map(r => r[i]!.length)))
  const line = (cells: string[]): string => cells.map((cell, i) => columns[i]!.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(columns.map(c => c.title)), line(widths.map(w => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

function mdTable (header: string[], rows: string[][], right: boolean[] = []): string {
  const sep = header.map((_, i) => right[i] === true ? '---:' : '---')
  return [header, sep, ...rows].map(r => `| ${r.map(c => c.replace(/\|/g, '\\|')).join(' | ')} |`).join('\n')
}

export function eventCell (e: EventObservation | undefined): string {
  if (e === undefined) return 'n/a'
  let cell = e.effect === 'immediate'
    ? 'immediate'
    : e.effect === 'window'
      ? `works ${fmtNum(e.windowSec, 1)} s more (until exp)`
      : 'still works at the bound'
  if (e.firstChange !== null) cell += ` → ${e.firstChange}`
  if (e.familyEnded !== null) cell += e.familyEnded ? '; refresh token dead' : `; refresh works${e.roleAfterRefresh === null ? '' : ` (role ${e.roleAfterRefresh})`}`
  return `${e.ok ? '' : '✗ '}${cell}`
}

export function revocationTable (results: readonly RevocationResult[]): string {
  const header = ['strategy / mode', ...EVENTS.map(e => e === 'revoke' ? 'admin revoke-all' : e === 'role' ? 'role change' : e === 'password' ? 'password change' : e), 'as promised']
  const rows = results.map(r => [
    r.target + (r.accessTtlSec === null ? '' : ` (access TTL ${r.accessTtlSec}s)`),
    ...EVENTS.map(ev => r.error !== undefined ? 'error' : eventCell(r.events.find(e => e.event === ev))),
    r.ok ? 'yes' : `NO${r.error === undefined ? '' : `: ${r.error.split('\n')[0]}`}`
  ])
  return mdTable(header, rows)
}

function roleAndTheftTable (results: readonly RevocationResult[]): string {
  const rows = results.map(r => {
    const role = r.events.find(e => e.event === 'role')
    let roleCell = 'n/a'
    if (role !== undefined) {
      if (role.newRoleOnOldCredential === true) roleCell = role.effect === 'immediate' ? 'yes' : `after ${fmtNum(role.windowSec, 1)} s`
      else if (role.firstChange?.startsWith('401') === true && role.effect === 'immediate') roleCell = `no: old token rejected at once (${role.firstChange}); refresh gives role ${role.roleAfterRefresh ?? '?'}`
      else roleCell = `no: old role until exp${role.roleAfterRefresh === null ? '' : `; refresh gives role ${role.roleAfterRefresh}`}`
    }
    const t = r.theft
    const theftCell = t === null ? 'n/a (no refresh tokens)' : `${t.detected ? 'detected' : 'NOT detected'}: replay → ${t.reuseAnswer}; newest token → ${t.newestTokenAnswer}; family's access token → ${t.accessTokenAfter}`
    return [r.target, roleCell, theftCell]
  })
  return mdTable(['strategy / mode', 'role change visible on the next request', 'stolen refresh token (replayed after the owner refreshed)'], rows)
}

const commandsCell = (c: Record<string, number> | null): string => c === null
  ? '-'
  : Object.entries(c).sort((a, b) => b[1] - a[1]).filter(([, v]) => v >= 0.005).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ') || '0'

const clockTicksOf = (report: BenchReport): number => report.machine.clockTicks ?? 100

export function markdown (report: BenchReport): string {
  const m = report.machine
  const s = report.settings
  const out: string[] = []
  out.push(`# Benchmark results, ${report.startedAt}${report.quick ? ' (quick smoke run: not representative)' : ''}`)
  out.push('')
  out.push(`Machine: ${m.cpuModel}, ${m.cpuCount} CPUs, ${m.memoryGiB} GiB, ${m.platform}; Node ${m.node}; autocannon ${m.autocannon}; commit ${m.gitCommit}${m.gitDirty ? ' (with uncommitted changes under src/)' : ''}; load average at start ${m.loadAverageAtStart.join(' ')}.`)
  out.push(`Redis: ${report.redis === null ? 'none' : `${report.redis.source === 'throwaway' ? 'throwaway redis-server started by the bench' : 'REDIS_URL'} (${report.redis.url}), version ${report.redis.version}`}.`)
  out.push(`Settings: ${s.users} users, ${s.connections} connections, ${s.durationSec} s per measured run after ${s.warmupSec} s warm-up, ${s.runs} interleaved round(s) (medians, min / max in the CPU table), logins ${s.loginConcurrency} in flight, growth ${s.growth ? s.growthLevels.join('/') + ` logins (${s.growthDurationSec} s each)` : 'off'}. Command: \`${report.command}\`. Took ${Math.round(report.elapsedSec)} s.`)
  out.push('')
  const flags = [
    ...report.notes.filter(n => n.startsWith('BUSY MACHINE')),
    ...contradictions(report.scenarios).map(contradictionText)
  ]
  if (flags.length > 0) {
    out.push(flags.map(f => `> **Warning**: ${f}.`).join('\n>\n'))
    out.push('')
  }
  out.push('## CPU time per request (min / **median** / max over the rounds)')
  out.push('')
  out.push(`Each round measures every scenario once, in the same order (interleaved, never all rounds of one scenario in a row). Server: utime + stime of the server process (/proc/<pid>/stat) over the measured window / requests completed (resolution: one clock tick, 1/${clockTicksOf(report)} s, per window). Store: Redis's INFO cpu (used_cpu_user + used_cpu_sys) delta over the same window / requests for the Redis scenarios; for the PostgreSQL scenarios, utime + stime of the backend processes serving the scenario's connections (pids from pg_stat_activity by application_name, /proc/<pid>/stat; the database is not pinned and shares both CPUs). Store round trips: x-auth-store-ops where the server sends it, else Redis commands per request; 0 for an embedded store. "x baseline" is per round against the baseline of the same round.`)
  out.push('')
  {
    const t = cpuRowsOf(report, true)
    out.push(mdTable(t.columns.map(c => c.title), t.rows, t.columns.map(c => c.right)))
  }
  out.push('')
  out.push('Per round (server µs + store µs CPU per request (Redis, or the PostgreSQL backends), req/s):')
  out.push('')
  {
    const rounds = Math.max(0, ...report.scenarios.map(r => r.load?.runs.length ?? 0))
    out.push(mdTable(['scenario', ...Array.from({ length: rounds }, (_, i) => `round ${i + 1}`)], report.scenarios.map(r => [
      r.name,
      ...Array.from({ length: rounds }, (_, i) => {
        const x = r.load?.runs.find(run => run.round === i + 1)
        return x === undefined ? '-' : `${fmtNum(x.serverCpuUs, 0)}${x.redisCpuUs === null ? '' : ` + ${fmtNum(x.redisCpuUs, 0)}`} µs, ${fmtInt(x.rps)}/s`
      })
    ])))
  }
  out.push('')
  out.push('![requests/s and p99 per scenario](latest.svg)')
  out.push('')
  const targets = evaluateTargets(report.scenarios)
  if (targets.length > 0) {
    out.push('## Hot-path targets (server CPU per request, same round)')
    out.push('')
    out.push('Each path against the project\'s own unauthenticated route (`baseline`) measured in the same round, the cached modes against `jwt-none`, and that route against bare Fastify; met when the median of the per-round figures meets the target ([bench/README.md](../README.md#hot-path-targets)).')
    out.push('')
    out.push(mdTable(TARGET_HEADER, targetRows(targets), [false, false, true, true, false]))
    out.push('')
  }
  out.push(...breakdownMarkdown(report))
  out.push('## Protected route: GET /{strategy}/api/me')
  out.push('')
  const { columns, rows } = rowsOf(report)
  out.push(mdTable(columns.map(c => c.title), rows, columns.map(c => c.right)))
  out.push('')
  const warnings = report.scenarios.filter(r => r.load?.spreadWarning === true)
  if (warnings.length > 0) out.push(`Spread over 10% between rounds (req/s): ${warnings.map(r => `${r.name} ${((r.load!.spread) * 100).toFixed(0)}% (${r.load!.runs.map(x => Math.round(x.rps)).join(', ')})`).join('; ')}.\n`)
  out.push('Redis commands per request by command (INFO commandstats delta / requests; commands run inside Lua scripts are counted too):')
  out.push('')
  out.push(mdTable(['scenario', 'commands/request'], report.scenarios.filter(r => r.store === 'redis').map(r => [r.name, commandsCell(r.load?.median.redisCommands ?? null)])))
  out.push('')

  out.push(...storeRttMarkdown(report))

  const refresh = report.scenarios.filter(r => r.refresh !== null)
  if (refresh.length > 0) {
    out.push('## Refresh path: POST /jwt/refresh (one rotating chain per connection)')
    out.push('')
    out.push(mdTable(['scenario', 'refreshes/s', 'p50 ms', 'p99 ms', 'Redis cmds/refresh', 'by command', 'errors', 'non-2xx', 'spread'],
      refresh.map(r => {
        const x = r.refresh!.median
        return [r.name, fmtInt(x.rps), fmtNum(x.p50, 0), fmtNum(x.p99, 0), fmtNum(x.redisCommandsPerRequest), commandsCell(x.redisCommands), fmtInt(x.errors + x.timeouts), fmtInt(x.non2xx), `${(r.refresh!.spread * 100).toFixed(0)}%`]
      }), [false, true, true, true, true, false, true, true, true]))
    out.push('')
  }

  const growth = report.scenarios.filter(r => r.growth !== null && r.growth.length > 0)
  if (growth.length > 0) {
    out.push('## Growth: the same load with more active logins in the store')
    out.push('')
    out.push('Store CPU: Redis INFO cpu, or the CPU of the PostgreSQL backends serving the scenario (/proc), per request over the window. Store MB: Redis used_memory, or the PostgreSQL schema on disk (tables, indexes, TOAST; every scenario shares the schema, so it includes the other PostgreSQL scenarios\' rows).')
    out.push('')
    out.push(mdTable(['scenario', 'active logins', 'req/s', 'p99 ms', 'store ops/req (header)', 'Redis cmds/req', 'store CPU µs/req', 'store MB', 'errors + non-2xx'],
      growth.flatMap(r => r.growth!.map(p => [r.name, fmtInt(p.activeLogins), fmtInt(p.rps), fmtNum(p.p99, 0), fmtNum(p.headerOpsPerRequest), p.redisCommandsPerRequest === null ? '-' : fmtNum(p.redisCommandsPerRequest), p.storeCpuUsPerRequest === null ? '-' : fmtNum(p.storeCpuUsPerRequest, 0), fmtNum(p.storeMB, 1), fmtInt(p.errors + p.non2xx)])),
      [false, true, true, true, true, true, true, true, true]))
    out.push('')
  }

  out.push('## Revocation: does the old credential still work after the event, and for how long?')
  out.push('')
  const ttl = report.revocation.find(r => r.accessTtlSec !== null)?.accessTtlSec
  out.push(`Each event is applied to a fresh login, then the old credential is polled every 100 ms until the first 401/403 (or, for a role change, the new role), bounded by the access TTL${ttl === undefined ? '' : ` (JWT_ACCESS_TTL=${ttl}s, JWT_CLOCK_TOLERANCE=0s in this part)`}. "refresh token dead" = the login's refresh token was refused right after the event.`)
  out.push('')
  out.push(revocationTable(report.revocation))
  out.push('')
  out.push(roleAndTheftTable(report.revocation))
  out.push('')
  const problems = report.revocation.flatMap(r => r.events.filter(e => !e.ok).map(e => `${r.target} ${e.event}: ${e.problem ?? ''}`))
  if (problems.length > 0) out.push(`Differences from the promised behaviour:\n\n${problems.map(p => `- ${p}`).join('\n')}\n`)

  out.push('## Logins and server-side state per login')
  out.push('')
  out.push(mdTable(['scenario', 'logins', 'time', 'ms per login', 'keys (Redis MEMORY USAGE) or rows (PostgreSQL pg_column_size) one login creates, bytes'],
    report.scenarios.filter(r => r.logins !== null).map(r => [
      r.name,
      fmtInt(r.logins!.count),
      `${(r.logins!.ms / 1000).toFixed(1)} s (${r.logins!.concurrency} in flight)`,
      fmtNum(r.logins!.msPerLogin, 1),
      r.loginFootprint === null ? '- (embedded memory store)' : r.loginFootprint.keys.map(k => `${k.pattern} ${k.type} ${k.bytes} B`).join(', ')
    ])))
  out.push('')
  if (report.notes.length > 0 || report.failures.length > 0) {
    out.push('## Notes')
    out.push('')
    for (const n of report.notes) out.push(`- ${n}`)
    for (const f of report.failures) out.push(`- FAILURE: ${f.split('\n')[0]}`)
    out.push('')
  }
  out.push('## Scenario configuration (server environment)')
  out.push('')
  for (const r of report.scenarios) {
    const env = Object.entries(r.config).map(([k, v]) => `${k}=${v}`).join(' ')
    out.push(`- **${r.name}**: ${r.description}. \`${env}\`${r.ignoredSettings.length > 0 ? ` (ignored by this build: ${r.ignoredSettings.join(', ')})` : ''}`)
  }
  out.push('')
  return out.join('\n')
}

const TAG_TEXT: Record<string, string> = {
  framework: 'framework',
  app: 'app',
  inherent: 'inherent',
  cache: 'cache',
  library: 'library',
  project: 'project'
}

/** The cost breakdown: one table per chain and the waterfall (<name>.breakdown.svg beside the report). */
function breakdownMarkdown (report: BenchReport): string[] {
  const chains = report.breakdown ?? []
  if (chains.length === 0) return []
  const out: string[] = []
  out.push('## Where the microseconds go: the cost breakdown')
  out.push('')
  out.push('Each chain runs from bare Fastify to the real path, one measured variant per step (bench-only variants are served by `bench/breakdown/server.ts`; see bench/README.md). A step is its variant\'s server CPU per request minus the previous step\'s **in the same round**, min / **median** / max over the rounds. Kinds: *inherent* is what the credential itself needs (a signature check, a store lookup), *cache* a memo that saves inherent work (negative), *library* what the plugin adds on top, *project* the project\'s own hooks, *app* what every request of this app pays. Redis CPU is shown for reference and is not part of the step. Differences of a few µs are within the noise of one run (CPU time has one clock tick of resolution per window, and the machine may be shared).')
  out.push('')
  out.push('![server CPU per request, step by step](latest.breakdown.svg)')
  out.push('')
  for (const chain of chains) {
    out.push(`**${chain.title}**${chain.missing.length > 0 ? ` (not measured in this run: ${chain.missing.join(', ')})` : ''}`)
    out.push('')
    out.push(mdTable(['step', 'kind', 'scenario', 'what it adds', 'server µs CPU/req', 'step µs', 'Redis µs/req'], chain.steps.map((s, i) => [
      s.label,
      TAG_TEXT[s.tag] ?? s.tag,
      `\`${s.scenario}\``,
      s.adds + (s.includes.length > 0 ? ` (also includes the steps not measured: ${s.includes.join(', ')})` : ''),
      rangeCell(s.serverCpuUs, 1),
      i === 0 ? rangeCell(s.stepUs, 1) : signedRangeCell(s.stepUs),
      rangeCell(s.redisCpuUs, 1)
    ]), [false, false, false, false, true, true, true]))
    out.push('')
  }
  return out
}

/** The breakdown for stdout: one aligned block per chain. */
export function targetText (report: BenchReport): string {
  const rows = targetRows(evaluateTargets(report.scenarios))
  if (rows.length === 0) return ''
  const all = [TARGET_HEADER, ...rows]
  const widths = TARGET_HEADER.map((_, i) => Math.max(...all.map(r => r[i]!.length)))
  return all.map(r => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n')
}

export function breakdownText (chains: readonly BreakdownChainResult[]): string {
  const out: string[] = []
  for (const chain of chains) {
    out.push(`${chain.title}:`)
    const rows = chain.steps.map((s, i) => {
      const r = s.stepUs
      const step = r === null ? '-' : i === 0 ? `${r.median.toFixed(1)} µs` : `${signedNum(r.median)} µs${r.min === r.max ? '' : ` (${signedNum(r.min)} … ${signedNum(r.max)})`}`
      return [`  ${s.label}${s.includes.length > 0 ? ` (+ ${s.includes.join(', ')}, not run)` : ''}`, step, `= ${fmtNum(s.serverCpuUs?.median, 1)} µs`, s.scenario]
    })
    const widths = [0, 1, 2].map(i => Math.max(...rows.map(r => r[i]!.length)))
    for (const r of rows) out.push(`${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padStart(widths[1]!)}  ${r[2]!.padStart(widths[2]!)}  ${r[3]}`)
  }
  return out.join('\n')
}

const signedNum = (v: number): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}`
const signedRangeCell = (r: Range | null): string => r === null
  ? '-'
  : r.min === r.max ? signedNum(r.median) : `${signedNum(r.min)} / **${signedNum(r.median)}** / ${signedNum(r.max)}`

/** The store at a distance: latency and throughput of each Redis scenario at each added RTT. */
function storeRttMarkdown (report: BenchReport): string[] {
  const rtt = report.storeRtt
  if (rtt === null || rtt === undefined) return []
  const s = rtt.settings
  const out: string[] = []
  out.push('## A store at a distance: Redis behind a delaying proxy (`--store-rtt`)')
  out.push('')
  out.push(`Each Redis-backed scenario (and peer) gets a second server whose Redis connection goes through a TCP proxy in the bench process that delays every chunk by RTT/2 in each direction (order kept), so each Redis round trip costs the added RTT; the same credentials are used. Baseline and the memory-store scenarios are measured beside them on their own servers, for reference (via: direct). Settings: ${s.connections} connections, ${s.durationSec} s per point after ${s.warmupSec} s warm-up, one point per RTT, RTTs interleaved like the rounds (every scenario at one RTT, then the next RTT). The +0 ms point still goes through the proxy: compare it with the rounds above to see the proxy's own cost. Latency percentiles are autocannon's (ms resolution); the mean is finer.`)
  out.push('')
  const cal = rtt.calibration
  out.push(`Redis PING round trip (median of 30, sequential): ${fmtNum(cal.directPingMs, 3)} ms direct; through the proxy ${cal.viaProxy.map(c => `${fmtNum(c.pingMs, 3)} ms at +${c.rttMs} ms`).join(', ')}.`)
  out.push('')
  const rtts = s.rttsMs
  const point = (row: StoreRttResult['rows'][number], r: number): StoreRttResult['rows'][number]['points'][number] | undefined => row.points.find(p => p.rttMs === r)
  // One table per figure: a row per scenario, a column per added RTT.
  const byRtt = (cell: (p: StoreRttResult['rows'][number]['points'][number]) => string, absent: (row: StoreRttResult['rows'][number]) => string): string =>
    mdTable(['scenario', 'via', ...rtts.map(r => `+${r} ms RTT`)], rtt.rows.map(row => [
      row.name,
      row.via,
      ...rtts.map(r => {
        const p = point(row, r)
        return p === undefined ? absent(row) : cell(p)
      })
    ]), [false, false, ...rtts.map(() => true)])
  out.push('Latency, mean / p50 / p99 ms:')
  out.push('')
  out.push(byRtt(p => `${fmtNum(p.meanMs, 2)} / ${fmtNum(p.p50, 0)} / ${fmtNum(p.p99, 0)}`, row => row.failures.length > 0 ? 'failed' : '-'))
  out.push('')
  out.push('Requests/s (server µs CPU/req):')
  out.push('')
  out.push(byRtt(p => `${fmtInt(p.rps)} (${fmtNum(p.serverCpuUs, 0)} µs)`, () => '-'))
  out.push('')
  const failed = rtt.rows.filter(r => r.failures.length > 0)
  if (failed.length > 0) out.push(`Failures: ${failed.map(r => `${r.name}: ${r.failures.join('; ')}`).join('. ')}.\n`)
  return out
}

/** Writes <stamp>.json/.md/.svg and latest.json/.md/.svg (same content) into `dir`. */
export function writeResults (dir: string, report: BenchReport): string[] {
  mkdirSync(dir, { recursive: true })
  const stamp = report.startedAt.replace(/[:.]/g, '-')
  const json = JSON.stringify(report, null, 2) + '\n'
  const md = markdown(report)
  const m = report.machine
  const svg = renderChart(report.scenarios, `${report.startedAt.slice(0, 10)} · ${m.cpuCount}x ${m.cpuModel} · Node ${m.node} · ${report.settings.connections} connections · median of ${report.settings.runs} run(s)`)
  const chains = report.breakdown ?? []
  const waterfall = chains.length === 0 ? null : renderWaterfall(chains, `${report.startedAt.slice(0, 10)} · ${m.cpuCount}x ${m.cpuModel} · Node ${m.node} · ${report.settings.connections} connections · ${report.settings.runs} round(s)${report.quick ? ' · quick smoke run: not representative' : ''}`)
  const written: string[] = []
  for (const name of [stamp, 'latest']) {
    writeFileSync(join(dir, `${name}.json`), json)
    // Each .md embeds the charts written next to it.
    writeFileSync(join(dir, `${name}.md`), name === 'latest' ? md : md.replace('(latest.svg)', `(${stamp}.svg)`).replace('(latest.breakdown.svg)', `(${stamp}.breakdown.svg)`))
    writeFileSync(join(dir, `${name}.svg`), svg)
    written.push(join(dir, `${name}.json`), join(dir, `${name}.md`), join(dir, `${name}.svg`))
    if (waterfall !== null) {
      writeFileSync(join(dir, `${name}.breakdown.svg`), waterfall)
      written.push(join(dir, `${name}.breakdown.svg`))
    }
  }
  return written
}
