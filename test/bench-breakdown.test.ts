import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import t from 'tap'
import { computeBreakdown } from '../bench/breakdown/compute.js'
import { BREAKDOWN_SCENARIOS, type BreakdownChain } from '../bench/breakdown/variants.js'
import { login, type Credential } from '../bench/http.js'
import type { RunFigures, ScenarioResult, Summary } from '../bench/runner.js'
import { rangeOf } from '../bench/util.js'
import { serverEnv, type Scenario } from '../bench/scenarios.js'
import { startBreakdownServer } from '../bench/server-process.js'
import { benchUser } from '../harness/fixtures.js'
import { send } from '../harness/http.js'
import { redisTest } from './helpers/app.js'
import { deleteKeys, testRedisUrl } from './helpers/redis.js'

const scenario = (name: string): Scenario => {
  const found = BREAKDOWN_SCENARIOS.find(s => s.name === name)
  if (found === undefined) throw new Error(`no breakdown scenario ${name}`)
  return found
}

/** Starts a variant's server as the runner does (users bench0 and bench1) and logs bench0 in. */
async function startVariant (t: Test, s: Scenario, redisUrl: string | null): Promise<{ url: string, credential: Credential }> {
  const keyPrefix = `test:breakdown:${randomBytes(6).toString('hex')}:`
  if (redisUrl !== null) t.teardown(async () => { await deleteKeys(redisUrl, keyPrefix) })
  const server = await startBreakdownServer(s.variant!, { env: serverEnv(s, { users: 2, redisUrl, keyPrefix }) })
  t.teardown(server.stop)
  const kind = s.kind === 'jwt' ? 'jwt' : 'session'
  return { url: server.url, credential: await login(server.url, kind, benchUser(0)) }
}

const headersOf = (c: Credential): Record<string, string> => c.header === null ? {} : { [c.header.name]: c.header.value }

/** The credential with its last two characters changed (a bad signature). */
function tampered (c: Credential): Record<string, string> {
  const value = c.header!.value
  return { [c.header!.name]: value.slice(0, -2) + (value.endsWith('AA') ? 'BB' : 'AA') }
}

async function checkRefusals (t: Test, url: string, s: Scenario, credential: Credential): Promise<void> {
  const none = await send(`${url}${s.path}`, 'GET')
  t.equal(none.status, 401, `without a credential: ${none.text}`)
  t.equal(none.body?.error, 'missing_credentials')
  const bad = await send(`${url}${s.path}`, 'GET', { headers: tampered(credential) })
  t.equal(bad.status, 401, `with a tampered credential: ${bad.text}`)
  t.equal(bad.body?.error, s.kind === 'jwt' ? 'invalid_token' : 'invalid_credentials')
}

for (const name of ['breakdown-session-hmac', 'breakdown-session-memo']) {
  t.test(`${name}: checks the cookie's signature and nothing else`, async t => {
    const s = scenario(name)
    const { url, credential } = await startVariant(t, s, null)
    const me = await send(`${url}${s.path}`, 'GET', { headers: headersOf(credential) })
    t.equal(me.status, 200, me.text)
    t.same(me.body, { id: 'anonymous', username: 'anonymous', role: 'user', strategy: 'none' }, 'the baseline\'s answer: no record was read')
    t.equal(me.headers.get('x-auth-store-ops'), null, 'none of the project\'s auth hooks ran')
    await checkRefusals(t, url, s, credential)
    // The signature alone decides: a logged-out session's cookie still passes this step.
    await send(`${url}/session/logout`, 'POST', { headers: headersOf(credential) })
    t.equal((await send(`${url}${s.path}`, 'GET', { headers: headersOf(credential) })).status, 200, 'no store lookup')
  })
}

async function checkSessionGet (t: Test, s: Scenario, redisUrl: string | null): Promise<void> {
  const { url, credential } = await startVariant(t, s, redisUrl)
  const me = await send(`${url}${s.path}`, 'GET', { headers: headersOf(credential) })
  t.equal(me.status, 200, me.text)
  t.equal(me.body.username, 'bench0', 'the principal comes from the session record')
  t.equal(me.body.strategy, 'breakdown')
  t.equal(me.headers.get('x-auth-store-ops'), null, 'none of the project\'s auth hooks ran')
  await checkRefusals(t, url, s, credential)
  await send(`${url}/session/logout`, 'POST', { headers: headersOf(credential) })
  const after = await send(`${url}${s.path}`, 'GET', { headers: headersOf(credential) })
  t.equal(after.status, 401, `the record is read on every request: gone after logout (${after.text})`)
}

t.test('breakdown-session-memory-get: signature, then the record from the memory store', async t => {
  await checkSessionGet(t, scenario('breakdown-session-memory-get'), null)
})

redisTest(t, 'breakdown-session-redis-get: signature, then the record from Redis', async t => {
  await checkSessionGet(t, scenario('breakdown-session-redis-get'), await testRedisUrl())
})

for (const name of ['breakdown-jwt-verify-nocache', 'breakdown-jwt-verify']) {
  t.test(`${name}: the project's token verification alone`, async t => {
    const s = scenario(name)
    const { url, credential } = await startVariant(t, s, null)
    const me = await send(`${url}${s.path}`, 'GET', { headers: headersOf(credential) })
    t.equal(me.status, 200, me.text)
    t.equal(me.body.username, 'bench0', 'the principal comes from the token')
    t.equal(me.headers.get('x-auth-store-ops'), null, 'none of the project\'s auth hooks ran')
    t.equal(me.headers.get('cache-control'), null, 'no no-store hook either')
    await checkRefusals(t, url, s, credential)
  })
}

function run (round: number, serverCpuUs: number | null): RunFigures {
  return {
    round,
    rps: 1000,
    requests: 1000,
    durationSec: 1,
    p50: 1,
    p97_5: 1,
    p99: 1,
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    statusCodes: {},
    headerOpsPerRequest: null,
    redisCommandsPerRequest: null,
    redisCommands: null,
    serverCpuUs,
    serverCpuTicks: null,
    redisCpuUs: null,
    totalCpuUs: serverCpuUs,
    ratio: null
  }
}

/** The parts of a Summary the breakdown reads: the runs and the server/Redis CPU ranges. */
const loadOf = (runs: RunFigures[]): Summary => ({
  runs,
  median: runs[0]!,
  ranges: { rps: null, p50: null, p99: null, serverCpuUs: rangeOf(runs.map(r => r.serverCpuUs)), redisCpuUs: null, totalCpuUs: null, ratio: null },
  spread: 0,
  spreadWarning: false
})

function result (name: string, cpu: Array<number | null>, status: ScenarioResult['status'] = 'ok'): ScenarioResult {
  return {
    name,
    kind: 'session',
    store: 'memory',
    description: '',
    pluginDefaults: false,
    path: '/',
    config: {},
    ignoredSettings: [],
    serverStartupMs: null,
    pinnedCpus: null,
    status,
    failures: [],
    logins: null,
    credentialBytes: 0,
    loginFootprint: null,
    load: loadOf(cpu.map((c, i) => run(i + 1, c))),
    ratio: null,
    targetRatio: null,
    refresh: null,
    growth: null
  }
}

t.test('computeBreakdown: steps are differences in the same round; missing steps fold into the next', async t => {
  const chain: BreakdownChain = {
    name: 'c',
    title: 'chain',
    steps: ['a', 'b', 'c', 'd'].map(scenario => ({ scenario, label: scenario, adds: scenario, tag: 'inherent' as const }))
  }
  const [c] = computeBreakdown([
    result('a', [100, 120, 110]),
    result('b', [130, 140, 160]),
    result('c', [1, 1, 1], 'failed'),
    result('d', [125, 150, 150])
  ], [chain])
  t.ok(c !== undefined)
  t.same(c!.steps.map(s => s.scenario), ['a', 'b', 'd'])
  t.same(c!.steps[0]!.stepUs, { min: 100, median: 110, max: 120 }, 'the first step is its own total')
  t.same(c!.steps[1]!.stepUs, { min: 20, median: 30, max: 50 }, 'b - a per round: 30, 20, 50')
  t.same(c!.steps[2]!.stepUs, { min: -10, median: -5, max: 10 }, 'd - b per round: -5, 10, -10 (a step may be negative)')
  t.same(c!.steps[2]!.includes, ['c'], 'the failed step is folded into the next one')
  t.same(c!.missing, ['c'])
  t.equal(c!.steps[1]!.rounds, 3)

  t.same(computeBreakdown([result('a', [1]), result('b', [null])], [chain]), [], 'a chain needs two measured steps')
  const partial = computeBreakdown([result('a', [10, 20]), result('b', [15])], [chain])[0]!
  t.same(partial.steps[1]!.stepUs, { min: 5, median: 5, max: 5 }, 'only rounds measured by both steps count')
  t.equal(partial.steps[1]!.rounds, 1)
})
