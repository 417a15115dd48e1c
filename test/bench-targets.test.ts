import t from 'tap'
import { evaluateTargets } from '../bench/targets.js'
import type { ScenarioResult } from '../bench/runner.js'

/** A scenario with the given server (and Redis) µs CPU per request in rounds 1, 2, 3. */
const scenario = (name: string, server: number[], redis: number[] | null = null): ScenarioResult => ({
  name,
  load: { runs: server.map((us, i) => ({ round: i + 1, serverCpuUs: us, redisCpuUs: redis?.[i] ?? null })) }
}) as unknown as ScenarioResult

t.test('hot-path targets: per-round differences against the same round\'s reference, the median decides', async t => {
  const results = evaluateTargets([
    scenario('peer-fastify-bare', [10, 20, 10]),
    scenario('baseline', [12, 30, 13]),
    // 2, 10, 2 µs above the same round's baseline: median 2, met although round 2 alone would miss.
    scenario('jwt-none', [14, 40, 15]),
    scenario('session-memory', [40, 60, 45]),
    scenario('jwt-version', [20, 40, 20], [3, 9, 4]),
    scenario('jwt-version-cached', [16, 41, 16])
  ])
  const by = new Map(results.map(r => [r.target.path, r]))
  t.same(by.get('no-auth route vs bare Fastify')?.server, { min: 1.2, median: 1.3, max: 1.5 }, 'ratio per round')
  t.equal(by.get('no-auth route vs bare Fastify')?.met, false, '1.3 × misses ≤ 1.25 ×')
  t.same(by.get('jwt-none')?.server, { min: 2, median: 2, max: 10 })
  t.equal(by.get('jwt-none')?.met, true)
  t.equal(by.get('session-memory')?.met, false, '+28 µs misses + 10')
  t.same(by.get('jwt-version')?.redis, { min: 3, median: 4, max: 9 })
  t.equal(by.get('jwt-version')?.met, true, '+8 µs server and 4 µs Redis meet +15 / 5')
  t.equal(by.get('jwt-version-cached')?.met, true, 'cached modes are compared with jwt-none: +2, +1, +1')
  t.notOk(by.has('session-redis'), 'a path that was not measured is not reported')
})

t.test('a Redis figure over its limit misses the target even when the server figure meets it', async t => {
  const [r] = evaluateTargets([scenario('baseline', [10, 10, 10]), scenario('jwt-denylist', [12, 12, 12], [6, 7, 8])])
  t.equal(r?.target.path, 'jwt-denylist')
  t.equal(r?.met, false)
})
