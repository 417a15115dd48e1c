/**
 * The hot-path targets (bench/README.md#hot-path-targets): server CPU per request of each path against
 * the project's own unauthenticated route in the same round, and of that route against bare Fastify.
 * Each figure is computed per round (same round, same machine state) and reported min / median / max;
 * a target is met when the median meets it.
 */
import type { ScenarioResult } from './runner.js'
import { rangeOf, type Range } from './util.js'

export interface Target {
  path: string
  /** Scenario measured, and the scenario it is compared with in the same round. */
  scenario: string
  against: string
  kind: 'ratio' | 'delta'
  /** Server CPU: at most `limit` times (ratio) or `limit` µs above (delta) the `against` scenario. */
  limit: number
  /** Redis CPU per request at most this many µs, where the path reads Redis. */
  redisLimit?: number
  text: string
}

export const TARGETS: readonly Target[] = [
  { path: 'no-auth route vs bare Fastify', scenario: 'baseline', against: 'peer-fastify-bare', kind: 'ratio', limit: 1.25, text: '≤ 1.25 ×' },
  { path: 'jwt-none', scenario: 'jwt-none', against: 'baseline', kind: 'delta', limit: 3, text: '≤ no-auth + 3 µs' },
  { path: 'session-memory', scenario: 'session-memory', against: 'baseline', kind: 'delta', limit: 10, text: '≤ no-auth + 10 µs' },
  ...['session-redis', 'jwt-version', 'jwt-denylist'].map(name => ({
    path: name, scenario: name, against: 'baseline', kind: 'delta' as const, limit: 15, redisLimit: 5, text: '≤ no-auth + 15 µs, Redis ≤ 5 µs'
  })),
  // The cached modes: a store read per request replaced by a local copy kept fresh by invalidations.
  ...['session-redis-cached', 'jwt-version-cached', 'jwt-denylist-cached'].map(name => ({
    path: name, scenario: name, against: 'jwt-none', kind: 'delta' as const, limit: 5, text: '≤ jwt-none + 5 µs'
  }))
]

export interface TargetResult {
  target: Target
  /** Per-round server figure: the ratio, or the µs difference. */
  server: Range | null
  redis: Range | null
  met: boolean | null
}

function perRound (a: ScenarioResult, b: ScenarioResult, f: (x: number, y: number) => number): Range | null {
  const values: number[] = []
  for (const run of a.load?.runs ?? []) {
    if (run.round === 0) continue
    const other = b.load?.runs.find(r => r.round === run.round)
    if (other === undefined || run.serverCpuUs === null || other.serverCpuUs === null) continue
    values.push(f(run.serverCpuUs, other.serverCpuUs))
  }
  return values.length === 0 ? null : rangeOf(values)
}

export function evaluateTargets (results: readonly ScenarioResult[]): TargetResult[] {
  const byName = new Map(results.map(r => [r.name, r]))
  const out: TargetResult[] = []
  for (const target of TARGETS) {
    const a = byName.get(target.scenario)
    const b = byName.get(target.against)
    if (a === undefined || b === undefined) continue
    const server = perRound(a, b, target.kind === 'ratio' ? (x, y) => x / y : (x, y) => x - y)
    const redisRuns = (a.load?.runs ?? []).filter(r => r.round !== 0).map(r => r.redisCpuUs)
    const redis = target.redisLimit === undefined || redisRuns.length === 0 ? null : rangeOf(redisRuns)
    const met = server === null
      ? null
      : server.median <= target.limit && (target.redisLimit === undefined || redis === null || redis.median <= target.redisLimit)
    out.push({ target, server, redis, met })
  }
  return out
}

const cell = (r: Range | null, kind: Target['kind'], unit: string): string => {
  if (r === null) return '-'
  const f = (v: number): string => kind === 'ratio' ? `${v.toFixed(2)} ×` : `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(1)}${unit}`
  return r.min === r.max ? f(r.median) : `${f(r.min)} / ${f(r.median)} / ${f(r.max)}`
}

export function targetRows (results: readonly TargetResult[]): string[][] {
  return results.map(({ target, server, redis, met }) => [
    target.path,
    target.text,
    cell(server, target.kind, ' µs'),
    redis === null ? '-' : `${redis.min.toFixed(1)} / ${redis.median.toFixed(1)} / ${redis.max.toFixed(1)} µs`,
    met === null ? '-' : met ? 'met' : 'MISSED'
  ])
}

export const TARGET_HEADER = ['path', 'target', 'server CPU vs reference (min / median / max of per-round figures)', 'Redis µs CPU/req', 'median']
