/**
 * Stories 12 to 17 of the demo runner (demo/stories/measured.ts) run against real servers: every cell of
 * their matrix is the outcome this file expects (its own statement of it, not the runner's), the fat-token
 * figures are concrete (the JWT request is larger than the session's and grows with its claims), and the
 * demo-only fat-token route exists only in demo mode. Runs demo/run.ts through tsx against node
 * dist/server.js (built by `npm test`'s pretest).
 */
import { spawn } from 'node:child_process'
import t from 'tap'
import { startApp } from './helpers/app.js'
import { alice, benchUser, jwtLogin } from './helpers/jwt.js'

// Up to six servers per story and strategy, on a machine shared with other jobs.
t.setTimeout(600_000)

const EXPECTED: Record<string, Record<string, string>> = {
  'load-balancer': { session: 'shared-store', 'jwt-none': 'any-instance', 'jwt-denylist': 'any-instance', 'jwt-version': 'shared-store' },
  'fat-token': { session: 'same-size', 'jwt-none': 'grows', 'jwt-denylist': 'grows', 'jwt-version': 'grows' },
  'cost-over-time': { session: 'per-request', 'jwt-none': 'per-refresh', 'jwt-denylist': 'per-request', 'jwt-version': 'per-request' },
  rename: { session: 'renamed', 'jwt-none': 'until-refresh', 'jwt-denylist': 'until-refresh', 'jwt-version': 'until-refresh' },
  'browser-close': { session: 'by-setting', 'jwt-none': 'survives-restart', 'jwt-denylist': 'survives-restart', 'jwt-version': 'survives-restart' },
  verdict: { session: 'rejected', 'jwt-none': 'until-exp', 'jwt-denylist': 'rejected', 'jwt-version': 'until-exp' }
}

interface Run { code: number | null, stdout: string, stderr: string }

function runDemo (args: string[]): Promise<Run> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/run.ts', ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('close', code => { resolve({ code, stdout, stderr }) })
  })
}

t.test('stories 12-17: every strategy ends as this test expects, with concrete figures', async t => {
  const r = await runDemo(['--json', '--scenario', Object.keys(EXPECTED).join(',')])
  t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr.slice(-1500)})`)
  const report = JSON.parse(r.stdout) as { ok: boolean, matrix: Array<{ scenario: number, cells: Record<string, { observed: string, match: boolean }> }>, results: Array<{ scenario: number, strategy: string, observed: { outcome: string, detail: string }, checksFailed: string[], steps: Array<{ kind: string, text: string }> }> }
  t.ok(report.ok, 'the runner agrees')
  const slugs = Object.keys(EXPECTED)
  t.same(report.matrix.map(row => row.scenario), [12, 13, 14, 15, 16, 17], 'numbered 12 to 17')
  report.matrix.forEach((row, i) => {
    const slug = slugs[i]!
    for (const [strategy, outcome] of Object.entries(EXPECTED[slug]!)) {
      t.equal(row.cells[strategy]?.observed, outcome, `${slug} × ${strategy}: ${outcome}`)
      t.equal(row.cells[strategy]?.match, true, `${slug} × ${strategy}: as expected`)
    }
  })
  for (const result of report.results) t.same(result.checksFailed, [], `${result.scenario} × ${result.strategy}: no failed check`)

  // Fat tokens: the session request's bytes, and the JWT request's at the first and the last claim size.
  const fat = report.results.filter(x => x.scenario === 13)
  const sessionBytes = Number(/^(\d+) bytes/.exec(fat.find(x => x.strategy === 'session')!.observed.detail)?.[1])
  const [first, last] = (/^(\d+) → (\d+) bytes/.exec(fat.find(x => x.strategy === 'jwt-none')!.observed.detail) ?? []).slice(1).map(Number)
  t.ok(sessionBytes > 0 && sessionBytes < 300, `a session request is a few hundred bytes at most (${sessionBytes})`)
  t.ok(first! > sessionBytes, `the plain JWT request is larger than the session's (${first} > ${sessionBytes})`)
  t.ok(last! > first! + 4096, `and grows with the claims past a cookie's 4096 bytes (${first} → ${last})`)

  // Cost over time: the session's figure per request is one store command (x-auth-store-ops and Redis agree).
  const cost = report.results.find(x => x.scenario === 14 && x.strategy === 'session')!
  t.match(cost.observed.detail, /^1\.00 per request/, 'a session costs one store command per request')

  // The closing story prints the critique and the counter-arguments.
  const closing = report.results.find(x => x.scenario === 17 && x.strategy === 'session')!
  t.ok(closing.steps.some(step => step.text.startsWith('critique:')), 'the critique')
  t.ok(closing.steps.some(step => step.text.startsWith('counter:')), 'the counter-arguments')
})

t.test('--lang ko: the closing story in Korean', async t => {
  const r = await runDemo(['--lang', 'ko', '--scenario', 'verdict', '--strategy', 'jwt-denylist'])
  t.equal(r.code, 0, r.stderr.slice(-800))
  t.match(r.stdout, 'JWT는 나쁜 기본값인가?')
  t.match(r.stdout, '기본 값으로 JWT를 채택해서는 안된다', 'the note\'s own words')
  t.match(r.stdout, /반론:/)
})

t.test('the fat-token route: demo mode only, the caller\'s own token with N groups, bounded', async t => {
  const demo = await startApp(t, { AUTH_STRATEGIES: 'jwt' })
  const { access } = await jwtLogin(demo, alice)
  const c = demo.client()
  const fat = await c.post('/jwt/demo/fat-token', { groups: 50 }, { bearer: access })
  t.equal(fat.status, 200)
  const payload = JSON.parse(Buffer.from(String(fat.body.access_token).split('.')[1]!, 'base64url').toString())
  t.equal(payload.groups.length, 50, '50 groups')
  t.equal(payload.preferred_username, 'alice', 'the caller\'s own identity')
  t.ok(String(fat.body.access_token).length > access.length + 50 * 30, 'a much larger token')
  t.equal((await c.get('/jwt/api/me', { bearer: fat.body.access_token })).status, 200, 'and a valid one')
  t.equal((await c.post('/jwt/demo/fat-token', { groups: 50 })).status, 401, 'needs the caller\'s token')
  t.equal((await c.post('/jwt/demo/fat-token', { groups: 1001 }, { bearer: access })).status, 400, 'at most 1000 groups')
  t.equal((await c.post('/jwt/demo/fat-token', { groups: -1 }, { bearer: access })).status, 400)

  const plain = await startApp(t, { AUTH_STRATEGIES: 'jwt', DEMO_MODE: 'false', BENCH_USERS: '1' })
  const login = await jwtLogin(plain, benchUser(0))
  const none = await plain.client().post('/jwt/demo/fat-token', { groups: 5 }, { bearer: login.access })
  t.equal(none.status, 404, 'outside demo mode the route does not exist')
})
