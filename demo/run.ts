/**
 * `npm run demo`: the narrated scenario runner. Each scenario of ./scenarios.ts runs against a fresh real
 * server (node dist/server.js) per strategy, prints what crossed the wire and what the server stored, and
 * compares the observed outcome with the one the strategy promises. Exit code 1 when any differs.
 */
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { SCENARIOS, needs, words, type Expected, type Scenario } from './scenarios.js'
import { openRedis, type HarnessRedis } from '../harness/redis.js'
import { dropSchema, missingPostgres, ownSchema, postgresUrl } from '../harness/postgres.js'
import { isLang, LANGS, m, setLang, type Lang } from './i18n/index.js'
import { outcomeLabel, sleep, STORE_KINDS, STRATEGIES, Story, type Observation, type Pacer, type Printer, type Step, type StoreKind, type StrategyId, type Target } from './story.js'

const HELP = `Usage: npm run demo -- [options]

Tells ${SCENARIOS.length} stories about sessions and JWTs against the real server and checks each outcome.

  --scenario LIST   scenarios to run, by number or name (comma list); default: all
                    ${SCENARIOS.map(s => `${s.id} ${s.slug}`).join(', ')}
  --story LIST      the same as --scenario
  --lang LANG       ${Object.keys(LANGS).join(' or ')}: the language of every narration, label and verdict
                    (default: DEMO_LANG, else en)
  --step            for a lecturer: wait for Enter before each request (a line on stdin when it is not a
                    terminal; at its end the run goes on without pauses); stories run one at a time
  --pace SECONDS    pause SECONDS between steps instead (stories run one at a time unless --jobs is given)
  --access-ttl DUR  JWT_ACCESS_TTL of the servers the stories start (default 4s; 30s with --step,
                    4 s + 8 × pace with --pace, so a pause before the event does not expire the token)
  --strategy LIST   ${STRATEGIES.join(', ')} (comma list); default: all
  --store KIND      memory (default); redis (REDIS_URL, else a throwaway redis-server); redis-cached
                    (the same Redis with AUTH_CACHE=on); postgres (DATABASE_URL, else the local test
                    database, in a schema of the run's own, dropped at the end; story 11 is not run)
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

interface Options { scenarios: Scenario[], strategies: StrategyId[], store: StoreKind, url: string | null, json: boolean, quiet: boolean, jobs: number, lang: Lang, step: boolean, pace: number, accessTtl: string | undefined }

function parse (): Options {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      story: { type: 'string' },
      lang: { type: 'string' },
      step: { type: 'boolean', default: false },
      pace: { type: 'string' },
      'access-ttl': { type: 'string' },
      strategy: { type: 'string' },
      store: { type: 'string', default: 'memory' },
      url: { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      jobs: { type: 'string' },
      help: { type: 'boolean', default: false }
    },
    strict: true
  })
  if (values.help === true) {
    console.log(HELP)
    process.exit(0)
  }
  const list = (s: string | undefined): string[] => (s ?? '').split(',').map(x => x.trim()).filter(x => x !== '')
  if (values.scenario !== undefined && values.story !== undefined) usage('--story and --scenario are the same option; give one')
  const wanted = list(values.scenario ?? values.story)
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
  if (!(STORE_KINDS as readonly string[]).includes(store)) usage(`--store: expected ${STORE_KINDS.join(', ')}; got '${String(values.store)}'`)
  const lang = values.lang ?? process.env.DEMO_LANG ?? 'en'
  if (!isLang(lang)) usage(`${values.lang === undefined ? 'DEMO_LANG' : '--lang'}: expected ${Object.keys(LANGS).join(' or ')}; got '${lang}'`)
  const step = values.step === true
  if (step && values.pace !== undefined) usage('--step and --pace exclude each other')
  const pace = values.pace === undefined ? 0 : /^\d+(\.\d+)?$/.test(values.pace) && Number(values.pace) > 0 && Number(values.pace) <= 60 ? Number(values.pace) : usage(`--pace: expected seconds between 0 and 60; got '${values.pace}'`)
  const ttl = values['access-ttl']
  if (ttl !== undefined && !/^[1-9]\d{0,4}s$/.test(ttl)) usage(`--access-ttl: expected seconds like 30s; got '${ttl}'`)
  // A paused story must not see its access token expire before the event, so pacing lengthens it.
  const accessTtl = ttl ?? (step ? '30s' : pace > 0 ? `${Math.ceil(4 + 8 * pace)}s` : undefined)
  const jobs = values.jobs === undefined ? (step || pace > 0 ? 1 : 4) : /^[1-9]\d?$/.test(values.jobs) ? Number(values.jobs) : usage(`--jobs: expected 1 to 99; got '${values.jobs}'`)
  if (step && jobs !== 1) usage('--step runs one story at a time; leave out --jobs')
  return {
    scenarios,
    strategies: strategies.length === 0 ? [...STRATEGIES] : strategies as StrategyId[],
    store,
    url: values.url === undefined ? null : values.url.replace(/\/+$/, ''),
    json: values.json === true,
    quiet: values.quiet === true,
    jobs,
    lang,
    step,
    pace,
    accessTtl
  }
}

/** Terminal columns a string takes: Hangul and other wide characters take two. */
const columns = (s: string): number => [...s].reduce((n, ch) => n + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60]/.test(ch) ? 2 : 1), 0)
const padCells = (s: string, width: number): string => s + ' '.repeat(Math.max(1, width - columns(s)))
function cut (s: string, width: number): string {
  let out = ''
  for (const ch of s) {
    if (columns(out + ch) > width) break
    out += ch
  }
  return out
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
  if (o.outcome === 'until-exp' && o.seconds !== undefined) return m().observedUntilExp(o.seconds)
  if (o.outcome === 'until-refresh' && o.seconds !== undefined) return m().observedUntilRefresh(o.seconds)
  return outcomeLabel(o.outcome)
}

/**
 * --step: waits for a line on stdin (Enter on a terminal; piped input works the same, line by line). When
 * stdin ends, the run goes on without pauses. Prompts go to stderr so --json output stays clean.
 */
function stepper (tty: boolean): { pause: (prompt: string) => Promise<void>, close: () => void } {
  const rl = createInterface({ input: process.stdin, terminal: false })
  const lines: string[] = []
  const waiting: Array<() => void> = []
  let ended = false
  rl.on('line', line => {
    const next = waiting.shift()
    if (next !== undefined) { next(); return }
    lines.push(line)
    // Read no further ahead than the chunk at hand: `yes '' | npm run demo -- --step` would fill memory.
    rl.pause()
  })
  rl.on('close', () => {
    if (!ended) process.stderr.write(`${m().run.stepInputEnded}\n`)
    ended = true
    for (const next of waiting.splice(0)) next()
  })
  return {
    async pause (prompt) {
      if (ended && lines.length === 0) return
      process.stderr.write(tty ? `${prompt} ` : `${prompt}\n`)
      if (lines.shift() !== undefined) return
      if (ended) return
      rl.resume()
      await new Promise<void>(resolve => { waiting.push(resolve) })
    },
    close () {
      ended = true
      rl.close()
    }
  }
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
  setLang(opts.lang)
  const t = m().run
  const tty = process.stdout.isTTY && !opts.json && process.env.NO_COLOR === undefined
  const c = colours(tty)
  const out = (s: string): void => { if (!opts.json) process.stdout.write(`${s}\n`) }
  let redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  let redis: HarnessRedis | null = null
  let database: { url: string, schema: string } | undefined
  let store = opts.store
  let strategies = opts.strategies
  if (opts.url !== null) {
    const info = await strategiesOf(opts.url)
    store = info.store
    strategies = strategies.filter(s => info.strategies.includes(s))
    if (strategies.length === 0) usage(`--url: the server offers ${info.strategies.join(', ')}, none of --strategy`)
  } else if (store === 'redis' || store === 'redis-cached') {
    // The harness's Redis policy: REDIS_URL, else a throwaway redis-server, else every story is skipped loudly (an error under CI=true).
    redis = await openRedis(`every story of the demo with --store ${store}`)
    if (redis === null) opts.scenarios = []
    else redisUrl = redis.url
  } else if (store === 'postgres') {
    // The harness's PostgreSQL policy: DATABASE_URL, else the local test database, else every story is skipped
    // loudly (an error under CI=true). The run's schema is its own: the servers create it, the run drops it.
    const url = missingPostgres('every story of the demo with --store postgres') === null ? postgresUrl('the demo') : null
    if (url === null) opts.scenarios = []
    else database = { url, schema: ownSchema('demo') }
  }
  const run = database
  release = async () => {
    await redis?.dispose()
    if (run !== undefined) await dropSchema(run.url, run.schema)
  }
  // Ctrl-C (a lecturer stopping the run): the servers die with this process, the run's schema must not stay.
  if (run !== undefined) process.once('SIGINT', () => { release().catch(() => {}).finally(() => process.exit(130)) })

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

  const steps = opts.step ? stepper(process.stdin.isTTY) : null
  const pacer: Pacer | null = steps !== null
    ? { pause: async () => { await steps.pause(c.dim(t.stepPrompt)) } }
    : opts.pace > 0 ? { pause: async () => { await sleep(opts.pace * 1000) } } : null

  const printer = (index: number): Printer => ({
    line (kind, text, data) {
      if (opts.quiet || opts.json) return
      const indent = '     '
      const body = text.split('\n').join(`\n${indent}  `)
      if (kind === 'request') write(index, `${indent}${c.cyan('→')} ${body}`)
      else if (kind === 'holds') write(index, `${indent}${c.magenta(t.holdsTag)} ${body}`)
      else if (kind === 'server') write(index, `${indent}${c.yellow(t.serverTag)} ${body}`)
      else if (kind === 'check') write(index, `${indent}${(data as { ok?: boolean } | undefined)?.ok === true ? c.green('✔') : c.red('✘')} ${c.dim(text.slice(text.indexOf(': ') + 2))}`)
      else write(index, `${indent}${c.bold('·')} ${body}`)
    }
  })

  const started = Date.now()
  out(c.bold(t.header(opts.scenarios.length, strategies.join(', '), store, opts.url === null ? t.freshServer : t.atServer(opts.url))))
  out(c.dim(t.intro))
  if (database !== undefined) out(c.dim(t.database(database.schema)))
  const ttlShown = opts.accessTtl ?? '4s'
  if (opts.step) out(c.dim(t.stepMode(ttlShown)))
  else if (opts.pace > 0) out(c.dim(t.paceMode(opts.pace, ttlShown)))

  async function runJob (index: number): Promise<void> {
    const job = jobs[index]!
    const { scenario, strategy } = job
    const say = (line: string): void => { write(index, line) }
    const w = words(scenario.slug)
    if (job.first) {
      say('')
      say(c.bold(`━━ ${scenario.id}. ${w.title}`))
      say(`   ${c.dim(t.claim)} ${w.claim}`)
      say(`   ${c.dim(t.seed(w.seed.source))} ${w.seed.quote}`)
    }
    const target: Target = {
      strategy,
      store,
      redisUrl,
      ...(database === undefined ? {} : { database }),
      url: opts.url,
      ...(opts.accessTtl === undefined ? {} : { accessTtl: opts.accessTtl, maxWaitSec: Math.max(20, Number(opts.accessTtl.slice(0, -1)) + 5) })
    }
    const expected = scenario.expect(target)
    say('')
    say(`   ${c.bold(`▸ ${strategy}`)} ${c.dim(t.storeName(m().stores[store]))} · ${t.expected} ${c.bold(outcomeLabel(expected.outcome))}: ${expected.why}`)
    if (steps !== null) await steps.pause(c.dim(t.stepPromptStory))
    const story = new Story(target, printer(index), pacer)
    const t0 = Date.now()
    let observed: Observation
    if (opts.url !== null && scenario.needsOwnServers !== undefined) {
      observed = { outcome: 'skipped', detail: t.needsOwnServers(needs(scenario.slug)) }
    } else {
      try {
        observed = await scenario.run(story)
      } catch (err) {
        observed = { outcome: 'rejected', detail: t.crashed((err as Error).message) }
        story.failures.push(`crash: ${(err as Error).message}`)
      } finally {
        await story.cleanup()
      }
    }
    const match = observed.outcome === 'skipped' || (observed.outcome === expected.outcome && story.failures.length === 0)
    const label = observedLabel(observed)
    say(`   ${match ? c.green('✔') : c.red('✘')} ${t.observed} ${c.bold(label)} (${observed.detail})${match ? '' : c.red(` · ${t.expectedInstead(outcomeLabel(expected.outcome))}${story.failures.length > 0 ? t.failedChecks(story.failures.join('; ')) : ''}`)}`)
    job.result = {
      scenario: scenario.id,
      strategy,
      store,
      expected: { ...expected, label: outcomeLabel(expected.outcome) },
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
      title: words(s.slug).title,
      cells: Object.fromEntries(results.filter(r => r.scenario === s.id).map(r => [r.strategy, { expected: r.expected.outcome, observed: r.observed.outcome, label: r.observed.label, seconds: r.observed.seconds ?? null, match: r.match }]))
    }))
    process.stdout.write(JSON.stringify({ ok, lang: opts.lang, store, ...(database === undefined ? {} : { databaseSchema: database.schema }), strategies, seconds: Math.round((Date.now() - started) / 1000), mismatches, matrix, results }, null, 2) + '\n')
  } else {
    out('')
    out(c.bold(t.matrixTitle(store)))
    const first = 26
    const width = 24
    out(c.bold(padCells(t.matrixScenario, first) + strategies.map(s => s.padEnd(width)).join('')))
    for (const s of opts.scenarios) {
      const cells = strategies.map(st => {
        const r = results.find(x => x.scenario === s.id && x.strategy === st)
        if (r === undefined) return ''.padEnd(width)
        const text = padCells(cut(`${r.match ? '✔' : '✘'} ${r.observed.label}`, width - 1), width)
        return r.observed.outcome === 'skipped' ? c.dim(text) : r.match ? c.green(text) : c.red(text)
      })
      out(`${`${s.id} ${s.slug}`.padEnd(first)}${cells.join('')}`)
    }
    out(c.dim(t.matrixNote1))
    out(c.dim(t.matrixNote2))
    out('')
    out(ok
      ? c.green(t.allOk(results.length, Math.round((Date.now() - started) / 1000)))
      : c.red(t.someBad(mismatches, results.length)))
  }
  steps?.close()
  await release()
  process.exitCode = ok ? 0 : 1
}

/** Gives back what the run opened: a throwaway Redis, the run's PostgreSQL schema. */
let release = async (): Promise<void> => {}

main().catch(async (err: unknown) => {
  console.error(err)
  await release().catch(() => {})
  process.exit(1)
})
