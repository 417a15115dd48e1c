/**
 * The page's story runs (src/routes/demo-story-runs.ts), over real HTTP: POST /demo/stories/:id/runs starts
 * the runner (demo/run.ts) as a child process and GET /demo/stories/runs/:runId reports it. Story 9 runs
 * in the real runner (its own servers, ~10 s); a stand-in runner (test/fixtures/story-runner-stand-in.ts)
 * shows what the child's environment holds, the time limit, a run without a report, and the server's close
 * ending the run and what it started. Bad input is a 400, a second run a 409, a cross-site start a 403, a
 * missing runner a 501, and none of it exists outside demo mode.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/config.js'
import { PACKAGE_ROOT, runnerEnv, type StoryRunnerSettings } from '../src/routes/demo-story-runs.js'
import { Client } from './helpers/http.js'
import { startApp, testEnv, waitFor } from './helpers/app.js'

const STAND_IN = join('test', 'fixtures', 'story-runner-stand-in.ts')

/** Polls a run until it is no longer running; returns its last answer. */
async function settled (c: Client, runId: string, timeoutMs: number): Promise<any> {
  let last: any
  await waitFor(async () => {
    last = (await c.get(`/demo/stories/runs/${runId}`)).body
    return last.state !== 'running'
  }, timeoutMs, 250)
  return last
}

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true } catch { return false }
}

/** The app in demo mode with its story runs pointed at `runner`, logs collected. */
async function standInApp (t: Test, runner: Partial<StoryRunnerSettings>): Promise<{ c: Client, logs: string[], close: () => Promise<void> }> {
  const logs: string[] = []
  const app = await buildApp(loadConfig(testEnv({ DEMO_MODE: 'true', LOG_LEVEL: 'info' })), { logStream: { write: line => { logs.push(line) } }, storyRunner: runner })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  const c = new Client(`http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`)
  let closed = false
  const close = async (): Promise<void> => { if (!closed) { closed = true; await app.close() } }
  t.teardown(close)
  return { c, logs, close }
}

t.test('the child\'s environment: only PATH, HOME, TMPDIR, CI, CHROMIUM_PATH and the shared stores\' URLs', async t => {
  const env = runnerEnv({ PATH: '/usr/bin', HOME: '/home/x', SESSION_SECRET: 's'.repeat(40), JWT_SECRET: 'j'.repeat(40), ADMIN_PASSWORD: 'a'.repeat(12), REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'postgres://u@h/db', CI: 'true', NODE_OPTIONS: '--inspect', STORE: 'redis' })
  t.same(env, { PATH: '/usr/bin', HOME: '/home/x', CI: 'true', REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'postgres://u@h/db' })
})

t.test('story 9 in the real runner: 202, one run at a time, polled to a matching matrix; bad input refused', async t => {
  const s = await startApp(t, { DEMO_MODE: 'true' })
  const c = s.client()
  const started = await c.post('/demo/stories/9/runs', { lang: 'en' })
  t.equal(started.status, 202, 'the run starts')
  t.match(started.body, { runId: /^[\w-]{12}$/, story: 9, store: 'memory', lang: 'en' })
  const runId = started.body.runId as string

  const second = await c.post('/demo/stories/1/runs', { lang: 'ko', store: 'memory' })
  t.equal(second.status, 409, 'a second run while one runs')
  t.equal(second.body.error, 'run_in_progress')
  const cross = await c.post('/demo/stories/9/runs', { lang: 'en' }, { headers: { origin: 'https://evil.example' } })
  t.equal(cross.status, 403, 'another site cannot start a run')
  t.equal(cross.body.error, 'csrf_rejected')
  for (const [path, body, what] of [
    ['/demo/stories/99/runs', { lang: 'en' }, 'a story the runner does not have'],
    ['/demo/stories/0/runs', { lang: 'en' }, 'story 0'],
    ['/demo/stories/09/runs', { lang: 'en' }, 'a number not as the runner writes it'],
    ['/demo/stories/abc/runs', { lang: 'en' }, 'not a number'],
    ['/demo/stories/9/runs', { lang: 'fr' }, 'a language the runner does not speak'],
    ['/demo/stories/9/runs', {}, 'no language'],
    ['/demo/stories/9/runs', { lang: 'en', store: 'mongo' }, 'an unknown store'],
    ['/demo/stories/9/runs', { lang: 'en', strategy: 'session' }, 'an unknown field']
  ] as const) {
    const r = await c.post(path, body)
    t.equal(r.status, 400, `${what}: 400`)
    t.equal(r.body.error, 'invalid_request', `${what}: invalid_request`)
  }
  t.equal((await c.get('/demo/stories/runs/AAAAAAAAAAAA')).body.error, 'run_not_found', 'an unknown run: 404 run_not_found')
  t.equal((await c.get('/demo/stories/runs/..%2F..')).status, 400, 'a malformed run id: 400')

  const running = await c.get(`/demo/stories/runs/${runId}`)
  t.match(running.body, { state: 'running', seconds: Number }, 'running, with the seconds so far')
  const done = await settled(c, runId, 50_000)
  t.equal(done.state, 'done', 'the run ends with a report', { error: done.error })
  t.equal(done.result.ok, true, 'the runner says every outcome matched')
  t.equal(done.result.matrix[0].scenario, 9)
  t.same(Object.values(done.result.matrix[0].cells).map((cell: any) => cell.match), [true, true, true, true], 'every strategy\'s cell matches')
  t.same(done.result.results.map((r: any) => r.strategy), ['session', 'jwt-none', 'jwt-denylist', 'jwt-version'])
  t.ok(done.result.results.every((r: any) => r.steps.some((x: any) => x.kind === 'say') && r.steps.some((x: any) => x.kind === 'request')), 'every strategy\'s steps: narration and requests')
  t.equal((await c.post('/demo/stories/9/runs', { lang: 'en', store: 'mongo' })).status, 400, 'still validated after the run')
})

t.test('a stand-in runner: the child\'s environment, its report, the log line, a failed run, the time limit', async t => {
  const tmp = mkdtempSync(join(tmpdir(), 'svj-story-runs-'))
  const saved = { SESSION_SECRET: process.env.SESSION_SECRET, JWT_SECRET: process.env.JWT_SECRET, TMPDIR: process.env.TMPDIR }
  // The server's own environment holds secrets; the child must not see them.
  process.env.SESSION_SECRET = 'server-session-secret-server-session-secret'
  process.env.JWT_SECRET = 'server-jwt-secret-server-jwt-secret-server'
  process.env.TMPDIR = tmp
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) Reflect.deleteProperty(process.env, k); else process.env[k] = v }
    rmSync(tmp, { recursive: true, force: true })
  })
  const { c, logs, close } = await standInApp(t, { root: PACKAGE_ROOT, script: STAND_IN, timeLimitMs: 3000 })

  const started = await c.post('/demo/stories/1/runs', { lang: 'ko', store: 'postgres' })
  t.equal(started.status, 202)
  const done = await settled(c, started.body.runId, 20_000)
  t.equal(done.state, 'done')
  t.same(done.result.argv, ['--story', '1', '--json', '--lang', 'ko', '--store', 'postgres'], 'the runner\'s own options, no shell')
  t.notOk(done.result.env.includes('SESSION_SECRET'), 'no SESSION_SECRET in the child')
  t.notOk(done.result.env.includes('JWT_SECRET'), 'no JWT_SECRET in the child')
  t.ok(done.result.env.includes('PATH') && done.result.env.includes('TMPDIR'), 'PATH and TMPDIR passed')
  // tap's process-info hook adds NODE_OPTIONS and _TAPJS_* to every child a test process spawns (coverage).
  const added = (k: string): boolean => k === 'NODE_OPTIONS' || k.startsWith('_TAPJS_')
  t.same(done.result.env.filter((k: string) => !added(k) && !['PATH', 'HOME', 'TMPDIR', 'CI', 'CHROMIUM_PATH', 'REDIS_URL', 'DATABASE_URL'].includes(k)), [], 'nothing else')
  const line = logs.map(l => JSON.parse(l)).find(l => l.msg === 'demo story run')
  t.match(line, { level: 30, story: 1, store: 'postgres', state: 'done', ok: true, seconds: Number }, 'one info line per run')
  t.notMatch(logs.join('\n'), /server-session-secret|server-jwt-secret/, 'no secret in the logs')

  const failed = await c.post('/demo/stories/3/runs', { lang: 'en' })
  t.equal(failed.status, 202, 'the last run ended: another may start')
  const f = await settled(c, failed.body.runId, 20_000)
  t.match(f, { state: 'failed', code: 'runner_failed', error: /no report: it exited with code 2\ndemo: --store/ }, 'no report: failed, with the runner\'s own message')

  const slow = await c.post('/demo/stories/2/runs', { lang: 'en' })
  t.equal(slow.status, 202)
  const pidFile = join(tmp, 'grandchild.pid')
  t.ok(await waitFor(() => { try { return readFileSync(pidFile, 'utf8') !== '' } catch { return false } }, 20_000, 50), 'the stand-in started a child of its own')
  const grandchild = Number(readFileSync(pidFile, 'utf8'))
  const timedOut = await settled(c, slow.body.runId, 20_000)
  t.match(timedOut, { state: 'failed', code: 'run_timed_out' }, 'past the time limit: stopped')
  t.ok(await waitFor(() => !alive(grandchild), 10_000, 50), 'and what the runner started is gone too')

  rmSync(pidFile)
  const closing = await c.post('/demo/stories/2/runs', { lang: 'en' })
  t.equal(closing.status, 202)
  t.ok(await waitFor(() => { try { return readFileSync(pidFile, 'utf8') !== '' } catch { return false } }, 20_000, 50))
  const second = Number(readFileSync(pidFile, 'utf8'))
  await close()
  t.ok(await waitFor(() => !alive(second), 5000, 50), 'the server\'s close ended the run and what it started')
})

t.test('no runner here (a production image): 501 runner_unavailable', async t => {
  const { c } = await standInApp(t, { script: join('demo', 'not-installed.ts') })
  const r = await c.post('/demo/stories/9/runs', { lang: 'en' })
  t.equal(r.status, 501)
  t.equal(r.body.error, 'runner_unavailable')
  t.match(r.body.message, /not part of this installation/)
})

t.test('outside demo mode: no story runs', async t => {
  const s = await startApp(t, { DEMO_MODE: 'false' })
  t.equal((await s.client().post('/demo/stories/9/runs', { lang: 'en' })).status, 404)
  t.equal((await s.client().get('/demo/stories/runs/AAAAAAAAAAAA')).status, 404)
})
