/**
 * The narrated demo runner for a lecturer: every message has a Korean translation, a Korean run narrates in
 * Korean (and still checks its outcomes), --step waits for a line on stdin before each request, bad
 * options are refused, the stores (PostgreSQL in a schema of the run's own, Redis with AUTH_CACHE=on), and
 * the bytes on the wire in --json. Runs demo/run.ts through tsx against a real server (node dist/server.js,
 * built by `npm test`'s pretest).
 */
import { spawn } from 'node:child_process'
import pg from 'pg'
import t, { type Test } from 'tap'
import { alice } from '../harness/fixtures.js'
import { en } from '../demo/i18n/en.js'
import { wireBytes } from '../demo/wire-bytes.js'
import { ko } from '../demo/i18n/ko.js'
import { postgresSkip, testPostgresUrl } from './helpers/postgres.js'
import { redisSkip } from './helpers/redis.js'

// Each run starts a server and hashes demo passwords: about 2 s on an idle machine, 10-15 s on a busy shared one.
t.setTimeout(300_000)

const HANGUL = /[\uac00-\ud7a3]/
/** Korean strings that rightly have no Hangul: names, a seed's own title, a setting, a store's name in brackets. */
const NO_HANGUL = new Set(['run.storeName', 'actors.alice', 'actors.bob', 'scenarios.login.seed.source', 'scenarios.token-storage.seed.source', 'scenarios.stolen-access.seed.source', 'scenarios.limit.seed.source', 'scenarios.scale-out.seed.source', 'scenarios.limit.needs'])
for (const slug of ['load-balancer', 'fat-token', 'cost-over-time', 'rename', 'browser-close', 'verdict']) NO_HANGUL.add(`scenarios.${slug}.seed.source`)

/** Every leaf of a message table as [dotted key, value]. */
function leaves (table: unknown, prefix = ''): Array<[string, unknown]> {
  if (typeof table !== 'object' || table === null) return [[prefix, table]]
  return Object.entries(table).flatMap(([k, v]) => leaves(v, prefix === '' ? k : `${prefix}.${k}`))
}

/** A message as printed: strings as they are, functions called with sample arguments. */
function render (value: unknown): unknown {
  if (typeof value !== 'function') return value
  return value(...Array.from({ length: value.length }, (_, i) => i % 2 === 0 ? 3 : 'x'))
}

t.test('every English message has a Korean one, in Korean', async t => {
  const enKeys = leaves(en).map(([k]) => k)
  const koLeaves = leaves(ko)
  t.same(koLeaves.map(([k]) => k).sort(), [...enKeys].sort(), 'the same keys in both tables')
  t.ok(enKeys.length > 150, `${enKeys.length} messages`)
  for (const [key, value] of koLeaves) {
    const text = render(value)
    t.equal(typeof text, 'string', `${key} is text`)
    if (typeof text !== 'string') continue
    t.ok(text.trim().length > 0, `${key} is not empty`)
    if (!NO_HANGUL.has(key)) t.match(text, HANGUL, `${key} is Korean: ${text}`)
  }
  for (const [key, value] of leaves(en)) {
    const text = render(value)
    if (typeof text === 'string' && !key.endsWith('.quote') && !key.endsWith('.source')) t.notMatch(text, HANGUL, `${key} is English`)
  }
})

interface Run { code: number | null, stdout: string, stderr: string }

function runDemo (args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/run.ts', ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('close', code => { resolve({ code, stdout, stderr }) })
  })
}

t.test('--lang ko: the story, narration and verdict in Korean, outcomes still checked', async t => {
  const r = await runDemo(['--lang', 'ko', '--scenario', 'logout', '--strategy', 'session,jwt-denylist'])
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr.slice(0, 500)})`)
  t.match(r.stdout, ko.scenarios.logout.title, 'the Korean title')
  t.match(r.stdout, ko.scenarios.logout.seed.quote, 'the seed\'s own words')
  t.match(r.stdout, `· ${ko.scenarios.logout.logsOut}`, 'Korean narration')
  t.match(r.stdout, `${ko.actors.aliceBrowser}: POST /session/login → 200`, 'Korean actor names on the requests')
  t.match(r.stdout, `${ko.run.observed} ${ko.outcome.rejected}`, 'the Korean verdict line')
  t.match(r.stdout, ko.run.allOk(2, 0).replace(/\(.*$/, ''), 'the Korean closing line')
  t.notMatch(r.stdout, en.scenarios.logout.logsOut, 'no English narration')
})

t.test('DEMO_LANG=ko picks Korean; --lang wins over it', async t => {
  const [viaEnv, override] = await Promise.all([
    runDemo(['--quiet', '--scenario', '1', '--strategy', 'jwt-none'], { DEMO_LANG: 'ko' }),
    runDemo(['--quiet', '--lang', 'en', '--scenario', '1', '--strategy', 'jwt-none'], { DEMO_LANG: 'ko' })
  ])
  t.equal(viaEnv.code, 0)
  t.match(viaEnv.stdout, ko.run.matrixTitle('memory'))
  t.equal(override.code, 0)
  t.match(override.stdout, en.run.matrixTitle('memory'))
})

t.test('--story picks a story by name, like --scenario', async t => {
  const r = await runDemo(['--quiet', '--story', 'stolen-refresh', '--strategy', 'jwt-denylist'])
  t.equal(r.code, 0)
  t.match(r.stdout, /7 stolen-refresh\s+✔/)
  t.notMatch(r.stdout, /1 login/)
})

t.test('--step waits for a line on stdin before each request, and finishes once every step got one', async t => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'demo/run.ts', '--step', '--scenario', 'login', '--strategy', 'session'], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  let exited: number | null | undefined
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const closed = new Promise<void>(resolve => child.on('close', code => { exited = code; resolve() }))
  const prompts = (): number => stderr.split(/\[Enter: /).length - 1
  const until = async (ok: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 30_000
    while (!ok()) {
      if (Date.now() > deadline || exited !== undefined) throw new Error(`gave up waiting for ${what}; stdout: ${stdout.slice(-800)} stderr: ${stderr}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
  await until(() => prompts() === 1, 'the story prompt')
  t.match(stderr, en.run.stepPromptStory)
  child.stdin.write('\n')
  await until(() => prompts() === 2, 'the first step prompt')
  t.notMatch(stdout, /POST \/session\/login/, 'the login has not been sent yet')
  // A deliberate wait: nothing may happen while no line comes (there is no event to poll for "nothing").
  const shown = stdout.length
  await new Promise(resolve => setTimeout(resolve, 700))
  t.equal(stdout.length, shown, 'nothing printed while the runner waits')
  t.equal(exited, undefined, 'still waiting')
  child.stdin.write('\n')
  await until(() => /POST \/session\/login → 200/.test(stdout), 'the login after Enter')
  // Answer every further prompt as it appears, until the run ends.
  let answered = 2
  const running = (): boolean => exited === undefined
  while (running()) {
    await until(() => prompts() > answered || !running() || /All 1 outcomes/.test(stdout), 'the next prompt or the end')
    if (prompts() > answered) {
      child.stdin.write('\n')
      answered++
    } else break
  }
  await closed
  t.equal(exited, 0, 'exit 0')
  t.equal(prompts(), 5, 'a prompt before the story and before each of its four requests (login, inspect, /api/me, /api/admin)')
  t.match(stdout, /All 1 outcomes as expected/)
})

t.test('bad options: exit 2 with a message', async t => {
  const cases: Array<[string[], RegExp]> = [
    [['--lang', 'fr'], /--lang: expected en or ko; got 'fr'/],
    [['--story', 'nope'], /unknown scenario 'nope'/],
    [['--story', '1', '--scenario', '2'], /--story and --scenario are the same option/],
    [['--step', '--pace', '1'], /--step and --pace exclude each other/],
    [['--step', '--jobs', '4'], /--step runs one story at a time/],
    [['--pace', 'fast'], /--pace: expected seconds/],
    [['--store', 'mongo'], /--store: expected memory, redis, redis-cached, postgres; got 'mongo'/]
  ]
  const runs = await Promise.all(cases.map(async ([args]) => await runDemo(args)))
  cases.forEach(([args, message], i) => {
    t.equal(runs[i]!.code, 2, `${args.join(' ')}: exit 2`)
    t.match(runs[i]!.stderr, message, `${args.join(' ')}: says why`)
    t.match(runs[i]!.stderr, /Usage: npm run demo/, `${args.join(' ')}: shows the usage`)
  })
})

t.test('--help names every store', async t => {
  const r = await runDemo(['--help'])
  t.equal(r.code, 0)
  for (const store of ['memory', 'redis', 'redis-cached', 'postgres']) t.match(r.stdout, new RegExp(`\\b${store}\\b`), store)
})

t.test('bytes on the wire are counted as the page counts them', async t => {
  const exchange = {
    method: 'POST',
    path: '/jwt/login',
    host: '127.0.0.1:3000',
    origin: 'http://127.0.0.1:3000',
    headers: [['user-agent', 'aliceBrowser/1.0'], ['content-type', 'application/json'], ['cookie', 'rt=abc']] as Array<[string, string]>,
    body: '{"username":"alice"}',
    status: 200,
    statusText: 'OK',
    responseHeaders: [['content-type', 'application/json'], ['set-cookie', 'rt=new; Path=/jwt'], ['x-demo-set-cookie', 'rt=ne…(3 chars); Path=/jwt']] as Array<[string, string]>,
    setCookies: ['rt=new; Path=/jwt'],
    responseText: '{"ok":"é"}'
  }
  const head = 'POST /jwt/login HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nOrigin: http://127.0.0.1:3000\r\ncontent-type: application/json\r\ncookie: rt=abc\r\ncontent-length: 20\r\n\r\n'
  const resHead = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nset-cookie: rt=new; Path=/jwt\r\n\r\n'
  t.same(wireBytes(exchange), { reqHead: head.length, reqBody: 20, resHead: resHead.length, resBody: 11 }, 'request line, Host, Origin, the client\'s headers but User-Agent, Content-Length; one Set-Cookie, no x-demo-set-cookie; UTF-8 bytes')
  t.equal(wireBytes({ ...exchange, origin: null }).reqHead, head.length - 'Origin: http://127.0.0.1:3000\r\n'.length, 'no Origin when the request was sent without one')
  t.equal(wireBytes({ ...exchange, method: 'GET', path: '/jwt/login', body: '' }).reqHead, head.length - 'Origin: http://127.0.0.1:3000\r\n'.length - 'content-length: 20\r\n'.length - 1, 'a GET carries no Origin and no body')
})

interface Bytes { reqHead: number, reqBody: number, resHead: number, resBody: number }
interface Report {
  ok: boolean
  store: string
  databaseSchema?: string
  matrix: Array<{ scenario: number, cells: Record<string, { expected: string, observed: string, match: boolean }> }>
  results: Array<{ scenario: number, strategy: string, checksFailed: string[], steps: Array<{ kind: string, text: string, data?: any }> }>
}

function report (t: Test, r: Run): Report {
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr.slice(0, 800)})`)
  return JSON.parse(r.stdout) as Report
}

/** Each scenario's cells as `strategy: expected → observed`. */
const cells = (rep: Report): Record<number, Record<string, string>> => Object.fromEntries(rep.matrix.map(row => [row.scenario, Object.fromEntries(Object.entries(row.cells).map(([k, c]) => [k, `${c.expected} → ${c.observed}`]))]))

t.test('--store postgres: shared like Redis, story 11 not run, the run\'s schema dropped afterwards', { skip: postgresSkip() }, async t => {
  // One story at a time: a busy shared machine starts four servers at once too slowly for their 15 s start window.
  const rep = report(t, await runDemo(['--json', '--jobs', '1', '--store', 'postgres', '--story', 'logout,scale-out,redis-down', '--strategy', 'session,jwt-none']))
  t.equal(rep.store, 'postgres')
  t.ok(rep.ok, `every outcome as expected: ${JSON.stringify(rep.results.map(x => x.checksFailed))}`)
  t.same(cells(rep), {
    2: { session: 'rejected → rejected', 'jwt-none': 'until-exp → until-exp' },
    // On memory stores instance B has no session record: works only through the shared database.
    10: { session: 'works → works', 'jwt-none': 'works → works' },
    11: { session: 'skipped → skipped', 'jwt-none': 'skipped → skipped' }
  })
  const schema = rep.databaseSchema ?? ''
  t.match(schema, /^demo_[0-9a-f]{12}$/, 'the run names its own schema')
  const client = new pg.Client({ connectionString: testPostgresUrl() })
  await client.connect()
  try {
    const { rows } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])
    t.equal(rows.length, 0, `${schema} is gone after the run`)
  } finally {
    await client.end()
  }
  t.test('the request steps carry their bytes on the wire', async t => {
    const requests = rep.results.flatMap(x => x.steps).filter(s => s.kind === 'request')
    t.ok(requests.length > 10, `${requests.length} requests`)
    for (const step of requests) {
      const b = step.data.bytes as Bytes
      t.ok(b.reqHead > 40 && b.resHead > 40, `${step.data.method} ${step.data.path}: heads ${b.reqHead}, ${b.resHead}`)
      if (step.data.method === 'GET') t.equal(b.reqBody, 0, `${step.data.path}: a GET has no body`)
      if (step.data.status === 200 || step.data.status === 401) t.ok(b.resBody > 0, `${step.data.method} ${step.data.path} ${step.data.status}: a body of ${b.resBody} bytes`)
    }
    const login = requests.find(s => s.data.path === '/session/login')!
    t.equal(login.data.bytes.reqBody, Buffer.byteLength(JSON.stringify(alice)), 'the login body, byte for byte')
    const sessionMe = requests.find(s => s.data.path === '/session/api/me')!
    const jwtMe = requests.find(s => s.data.path === '/jwt/api/me' && s.data.status === 200)!
    t.ok(jwtMe.data.bytes.reqHead > sessionMe.data.bytes.reqHead + 200, `a bearer JWT (${jwtMe.data.bytes.reqHead}) costs more than a session cookie (${sessionMe.data.bytes.reqHead})`)
  })
})

t.test('--store redis-cached: the cache answers with 0 store round trips once warm, and logout still ends a session at once', { skip: redisSkip() }, async t => {
  const rep = report(t, await runDemo(['--json', '--jobs', '1', '--store', 'redis-cached', '--story', 'login,logout', '--strategy', 'session,jwt-denylist']))
  t.equal(rep.store, 'redis-cached')
  t.ok(rep.ok, `every outcome and check as expected: ${JSON.stringify(rep.results.map(x => x.checksFailed))}`)
  t.same(cells(rep), {
    1: { session: 'works → works', 'jwt-denylist': 'works → works' },
    2: { session: 'rejected → rejected', 'jwt-denylist': 'rejected → rejected' }
  })
  for (const x of rep.results.filter(x => x.scenario === 1)) {
    const calls = x.steps.filter(s => s.kind === 'request' && /\/api\//.test(s.data.path))
    t.ok(calls.some(s => s.data.storeOps === 0), `${x.strategy}: a protected request answered from the cache (0 store ops)`)
  }
})

t.test('--pace: runs paced with longer access tokens, outcomes still as expected', async t => {
  const r = await runDemo(['--pace', '0.2', '--scenario', 'stolen-access', '--strategy', 'jwt-none'])
  t.equal(r.code, 0, r.stderr.slice(0, 500))
  t.match(r.stdout, en.run.paceMode(0.2, '6s'), 'says what it does')
  t.match(r.stdout, /"expires_in":6/, 'the server issues 6 s access tokens (4 s + 8 × pace)')
  t.match(r.stdout, /✔ observed: works [\d.]+ s more/)
})
