/**
 * `npm run demo`: the narrated scenario runner. Each scenario of ./scenarios.ts runs against a fresh real
 * server (node dist/server.js) per strategy, prints what crossed the wire and what the server stored, and
 * compares the observed outcome with the one the strategy promises. Exit code 1 when any differs.
 */
import { parseArgs } from 'node:util'
import { SCENARIOS, type Expected, type Scenario } from './scenarios.js'
import { openRedis, type HarnessRedis } from '../harness/redis.js'
import { OUTCOME_LABEL, STRATEGIES, Story, type Observation, type Printer, type Step, type StoreKind, type StrategyId, type Target } from './story.js'

const HELP = `Usage: npm run demo -- [options]

Tells eleven stories about sessions and JWTs against the real server and checks each outcome.

  --scenario LIST   scenarios to run, by number or name (comma list); default: all
                    ${SCENARIOS.map(s => `${s.id} ${s.slug}`).join(', ')}
  --strategy LIST   ${STRATEGIES.join(', ')} (comma list); default: all
  --store KIND      memory (default) or redis (REDIS_URL, else a throwaway redis-server)
  --url URL         use a running server (DEMO_MODE on) instead of starting one per story;
                    stories that need special settings or two servers are skipped
  --json            print only JSON (every step, the matrix, the verdict) on stdout
  --quiet           one line per story (expected, observed) and the matrix, no steps
  --jobs N          stories run at once (default 4; output stays in order); 1 = one after the other
  --help            this text

Exit code: 0 when every observed outcome is the expected one, 1 otherwise, 2 for bad options.`

interface Result {
  scenario: number
  strategy: StrategyId
  store: StoreKind
  expected: Expected & { label: string }
  observed: Observation & { label: string }
  match: boolean
  checksFailed: string[]
  steps: Step[]
  seconds: number
}

function parse (): { scenarios: Scenario[], strategies: StrategyId[], store: StoreKind, url: string | null, json: boolean, quiet: boolean, jobs: number } {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      strategy: { type: 'string' },
      store: { type: 'string', default: 'memory' },
      url: { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      jobs: { type: 'string', default: '4' },
      help: { type: 'boolean', default: false }
    },
    strict: true
  })
  if (values.help === true) {
    console.log(HELP)
    process.exit(0)
  }
  const list = (s: string | undefined): string[] => (s ?? '').split(',').map(x => x.trim()).filter(x => x !== '')
  const wanted = list(values.scenario)
  const scenarios = wanted.length === 0
    ? SCENARIOS
    : wanted.map(w => {
      const found = SCENARIOS.find(s => String(s.id) === w || s.slug === w)
      if (found === undefined) usage(`unknown scenario '${w}'; choose from ${SCENARIOS.map(s => `${s.id}/${s.slug}`).join(', ')}`)
      return found
    })
  const strategies = list(values.strategy)
  for (const s of strategies) if (!(STRATEGIES as readonly string[]).includes(s)) usage(`unknown strategy '${s}'; choose from ${STRATEGIES.join(', ')}`)
  const store = values.store as StoreKind
  if (store !== 'memory' && store !== 'redis') usage(`--store: expected memory or redis; got '${String(values.store)}'`)
  return {
    scenarios,
    strategies: strategies.length === 0 ? [...STRATEGIES] : strategies as StrategyId[],
    store,
    url: values.url === undefined ? null : values.url.replace(/\/+$/, ''),
    json: values.json === true,
    quiet: values.quiet === true,
    jobs: /^[1-9]\d?$/.test(values.jobs ?? '') ? Number(values.jobs) : usage(`--jobs: expected 1 to 99; got '${String(values.jobs)}'`)
  }
}

function usage (message: string): never {
  console.error(`demo: ${message}\n\n${HELP}`)
  process.exit(2)
}

function colours (on: boolean): Record<'dim' | 'bold' | 'green' | 'red' | 'yellow' | 'cyan' | 'magenta', (s: string) => string> {
  const wrap = (code: string) => (s: string) => on ? `\x1b[${code}m${s}\x1b[0m` : s
  return { dim: wrap('2'), bold: wrap('1'), green: wrap('32'), red: wrap('31'), yellow: wrap('33'), cyan: wrap('36'), magenta: wrap('35') }
}

function observedLabel (o: Observation): string {
  if (o.outcome === 'until-exp' && o.seconds !== undefined) return `works ${o.seconds} s more`
  if (o.outcome === 'until-refresh' && o.seconds !== undefined) return `stale ${o.seconds} s, refresh`
  return OUTCOME_LABEL[o.outcome]
}

/** Which strategies a running server offers, from GET /demo/info. */
async function strategiesOf (url: string): Promise<{ strategies: StrategyId[], store: StoreKind }> {
  const res = await fetch(`${url}/demo/info`).catch((err: Error) => usage(`--url: cannot reach ${url} (${err.message})`))
  if (res.status !== 200) usage(`--url: ${url}/demo/info answered ${res.status}; is DEMO_MODE on?`)
  const info = await res.json() as { strategies: string[], store: StoreKind, jwtRevocation: string }
  const offered: StrategyId[] = []
  if (info.strategies.includes('session')) offered.push('session')
  if (info.strategies.includes('jwt')) offered.push(`jwt-${info.jwtRevocation}` as StrategyId)
  return { strategies: offered, store: info.store }
}

async function main (): Promise<void> {
  const opts = parse()
  const tty = process.stdout.isTTY && !opts.json && process.env.NO_COLOR === undefined
  const c = colours(tty)
  const out = (s: string): void => { if (!opts.json) process.stdout.write(`${s}\n`) }
  let redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  let redis: HarnessRedis | null = null
  let store = opts.store
  let strategies = opts.strategies
  if (opts.url !== null) {
    const info = await strategiesOf(opts.url)
    store = info.store
    strategies = strategies.filter(s => info.strategies.includes(s))
    if (strategies.length === 0) usage(`--url: the server offers ${info.strategies.join(', ')}, none of --strategy`)
  } else if (store === 'redis') {
    // The harness's Redis policy: REDIS_URL, else a throwaway redis-server, else every story is skipped loudly (an error under CI=true).
    redis = await openRedis('every story of the demo with --store redis')
    if (redis === null) opts.scenarios = []
    else redisUrl = redis.url
  }

  // Stories run concurrently (--jobs), but their output appears in order: the oldest unfinished story
  // streams live, the others buffer until it is their turn.
  interface Job { scenario: Scenario, strategy: StrategyId, first: boolean, lines: string[], done: boolean, result?: Result }
  const jobs: Job[] = opts.scenarios.flatMap(scenario => strategies.map((strategy, i) => ({ scenario, strategy, first: i === 0, lines: [], done: false })))
  let head = 0
  const write = (index: number, line: string): void => {
    if (index === head) out(line)
    else jobs[index]!.lines.push(line)
  }
  const finish = (index: number): void => {
    jobs[index]!.done = true
    while (head < jobs.length && jobs[head]!.done) {
      head++
      const next = jobs[head]
      if (next !== undefined) { for (const line of next.lines) out(line); next.lines = [] }
    }
  }

  const printer = (index: number): Printer => ({
    line (kind, text) {
      if (opts.quiet || opts.json) return
      const indent = '     '
      const body = text.split('\n').join(`\n${indent}  `)
      if (kind === 'request') write(index, `${indent}${c.cyan('→')} ${body}`)
      else if (kind === 'holds') write(index, `${indent}${c.magenta('holds')} ${body}`)
      else if (kind === 'server') write(index, `${indent}${c.yellow('server')} ${body}`)
      else if (kind === 'check') write(index, `${indent}${text.startsWith('ok') ? c.green('✔') : c.red('✘')} ${c.dim(text.replace(/^(ok|NOT OK): /, ''))}`)
      else write(index, `${indent}${c.bold('·')} ${body}`)
    }
  })

  const started = Date.now()
  out(c.bold(`session-vs-jwt demo: ${opts.scenarios.length} scenario(s) × ${strategies.join(', ')} · store ${store}${opts.url === null ? ' · a fresh server per story' : ` · server ${opts.url}`}`))
  out(c.dim('Each story states what the strategy promises, then shows what crossed the wire, what the client holds and what the server keeps.'))

  async function runJob (index: number): Promise<void> {
    const job = jobs[index]!
    const { scenario, strategy } = job
    const say = (line: string): void => { write(index, line) }
    if (job.first) {
      say('')
      say(c.bold(`━━ ${scenario.id}. ${scenario.title}`))
      say(`   ${c.dim('The claim:')} ${scenario.claim}`)
    }
    const target: Target = { strategy, store, redisUrl, url: opts.url }
    const expected = scenario.expect(target)
    say('')
    say(`   ${c.bold(`▸ ${strategy}`)} ${c.dim(`(${store} store)`)} · expected: ${c.bold(OUTCOME_LABEL[expected.outcome])}: ${expected.why}`)
    const story = new Story(target, printer(index))
    const t0 = Date.now()
    let observed: Observation
    if (opts.url !== null && scenario.needsOwnServers !== undefined) {
      observed = { outcome: 'skipped', detail: `needs ${scenario.needsOwnServers}: run without --url` }
    } else {
      try {
        observed = await scenario.run(story)
      } catch (err) {
        observed = { outcome: 'rejected', detail: `the story crashed: ${(err as Error).message}` }
        story.failures.push(`crash: ${(err as Error).message}`)
      } finally {
        await story.cleanup()
      }
    }
    const match = observed.outcome === 'skipped' || (observed.outcome === expected.outcome && story.failures.length === 0)
    const label = observedLabel(observed)
    say(`   ${match ? c.green('✔') : c.red('✘')} observed: ${c.bold(label)} (${observed.detail})${match ? '' : c.red(` · expected ${OUTCOME_LABEL[expected.outcome]}${story.failures.length > 0 ? `; failed checks: ${story.failures.join('; ')}` : ''}`)}`)
    job.result = {
      scenario: scenario.id,
      strategy,
      store,
      expected: { ...expected, label: OUTCOME_LABEL[expected.outcome] },
      observed: { ...observed, label },
      match,
      checksFailed: story.failures,
      steps: story.steps,
      seconds: Math.round((Date.now() - t0) / 100) / 10
    }
    finish(index)
  }

  let nextJob = 0
  await Promise.all(Array.from({ length: Math.min(opts.jobs, jobs.length) }, async () => {
    while (nextJob < jobs.length) await runJob(nextJob++)
  }))
  const results = jobs.map(j => j.result!)

  const ok = results.every(r => r.match)
  const mismatches = results.filter(r => !r.match).length
  if (opts.json) {
    const matrix = opts.scenarios.map(s => ({
      scenario: s.id,
      title: s.title,
      cells: Object.fromEntries(results.filter(r => r.scenario === s.id).map(r => [r.strategy, { expected: r.expected.outcome, observed: r.observed.outcome, label: r.observed.label, seconds: r.observed.seconds ?? null, match: r.match }]))
    }))
    process.stdout.write(JSON.stringify({ ok, store, strategies, seconds: Math.round((Date.now() - started) / 1000), mismatches, matrix, results }, null, 2) + '\n')
  } else {
    out('')
    out(c.bold(`Outcome matrix (store: ${store}; ✔ = as the strategy promises)`))
    const first = 26
    const width = 24
    out(c.bold('scenario'.padEnd(first) + strategies.map(s => s.padEnd(width)).join('')))
    for (const s of opts.scenarios) {
      const cells = strategies.map(st => {
        const r = results.find(x => x.scenario === s.id && x.strategy === st)
        if (r === undefined) return ''.padEnd(width)
        const text = `${r.match ? '✔' : '✘'} ${r.observed.label}`.slice(0, width - 1).padEnd(width)
        return r.observed.outcome === 'skipped' ? c.dim(text) : r.match ? c.green(text) : c.red(text)
      })
      out(`${`${s.id} ${s.slug}`.padEnd(first)}${cells.join('')}`)
    }
    out(c.dim('Each cell: what the credential under test did after the event (2, 6: the old/stolen copy after logout;'))
    out(c.dim('7: the attacker\'s access token once reuse was detected; 9: the oldest device; 10: the call on instance B).'))
    out('')
    out(ok
      ? c.green(`All ${results.length} outcomes as expected (${Math.round((Date.now() - started) / 1000)} s).`)
      : c.red(`${mismatches} of ${results.length} outcomes differ from what the strategy promises (see ✘ above).`))
  }
  await redis?.dispose()
  process.exitCode = ok ? 0 : 1
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
