import t from 'tap'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/config.js'
import { Client } from './helpers/http.js'
import { ownRedisTest, startApp, startProcess, testEnv, waitFor } from './helpers/app.js'
import { alice } from './helpers/jwt.js'
import { startOwnRedis } from './helpers/redis.js'

t.test('health and readiness', async t => {
  const s = await startApp(t, { AUTH_STRATEGIES: 'session' })
  const c = s.client()
  t.same((await c.get('/health')).body, { status: 'ok' })
  const ready = await c.get('/ready')
  t.equal(ready.status, 200)
  t.equal(ready.body.store, 'memory')
})

t.test('bad input gets a 4xx JSON error, never a 500 or a stack trace', async t => {
  const s = await startApp(t, { AUTH_STRATEGIES: 'session' })
  const c = s.client()
  const json = { 'content-type': 'application/json' }
  const cases: Array<[string, string, Parameters<Client['request']>[2], number, string]> = [
    ['POST', '/session/login', { body: '{"username":', headers: json }, 400, 'invalid_json'],
    ['POST', '/session/login', { body: '', headers: json }, 400, 'invalid_json'],
    ['POST', '/session/login', { json: { username: ['alice'], password: 'x' } }, 400, 'invalid_request'],
    ['POST', '/session/login', { json: { ...alice, extra: 1 } }, 400, 'invalid_request'],
    ['POST', '/session/login', { json: { username: 'a'.repeat(65), password: 'x' } }, 400, 'invalid_request'],
    ['POST', '/session/login', { body: JSON.stringify({ username: 'alice', password: 'x'.repeat(20_000) }), headers: json }, 413, 'payload_too_large'],
    ['POST', '/session/login', { body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'unsupported_media_type'],
    ['GET', '/no/such/route', {}, 404, 'not_found'],
    ['DELETE', '/session/api/me', {}, 404, 'not_found'],
    ['GET', '/session/api/me', { headers: { cookie: 'sid=%E0%A4%A' } }, 401, 'invalid_credentials']
  ]
  for (const [method, path, options, status, code] of cases) {
    const r = await c.request(method, path, options)
    t.equal(r.status, status, `${method} ${path} ${JSON.stringify(options).slice(0, 60)}`)
    t.equal(r.body.error, code)
    t.type(r.body.message, 'string')
    t.notMatch(r.text, /\bat \S+ \(|node_modules|\.ts:\d/, 'no stack trace')
  }
})

t.test('logs never contain passwords, cookies or tokens', async t => {
  const lines: string[] = []
  const config = loadConfig(testEnv({ AUTH_STRATEGIES: 'session', LOG_LEVEL: 'trace' }))
  const app = await buildApp(config, { logStream: { write: line => { lines.push(line) } } })
  t.teardown(async () => { await app.close() })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  const c = new Client(`http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`)
  await c.post('/session/login', alice)
  await c.post('/session/login', { username: 'alice', password: 'wrong-password-123' })
  await c.get('/session/api/me')
  await c.get('/session/api/me', { bearer: 'header.payload.signature' })
  const sid = c.cookies.get('sid')!
  const all = lines.join('')
  t.ok(lines.length > 4, 'requests were logged')
  for (const secret of [alice.password, 'wrong-password-123', sid, sid.split('.')[0]!, 'header.payload.signature', config.session.secret]) {
    t.notOk(all.includes(secret), `log does not contain ${secret.slice(0, 12)}…`)
  }
})

t.test('request logs: every line of a request carries its reqId; at warn nothing per request is written', async t => {
  for (const level of ['info', 'warn'] as const) {
    const lines: string[] = []
    const config = loadConfig(testEnv({ AUTH_STRATEGIES: 'session', LOG_LEVEL: level }))
    const app = await buildApp(config, { logStream: { write: line => { lines.push(line) } } })
    t.teardown(async () => { await app.close() })
    const before = lines.length
    const r = await app.inject({ method: 'GET', url: '/session/api/me' })
    t.equal(r.statusCode, 401)
    const requestLines = lines.slice(before).map(l => JSON.parse(l) as { reqId?: string, msg?: string })
    if (level === 'info') {
      t.same(requestLines.map(l => l.msg), ['incoming request', 'request completed'], 'info: the request is logged')
      t.ok(requestLines.every(l => typeof l.reqId === 'string' && l.reqId === requestLines[0]!.reqId), 'both lines carry the same reqId')
    } else {
      t.same(requestLines, [], 'warn: no per-request line')
    }
  }
})

ownRedisTest(t, 'Redis down: 503 store_unavailable (fail closed), then recovery without a restart', async t => {
  const redis = await startOwnRedis({ persist: true })
  t.teardown(async () => { await redis.dispose() })
  const s = await startApp(t, { STORE: 'redis', REDIS_URL: redis.url, AUTH_STRATEGIES: 'session' })
  const c = s.client()
  await c.post('/session/login', alice)
  t.equal((await c.get('/session/api/me')).status, 200)

  await redis.stop(true)
  const me = await c.get('/session/api/me')
  t.equal(me.status, 503, 'protected route fails closed')
  t.equal(me.body.error, 'store_unavailable')
  const login = await s.client().post('/session/login', alice)
  t.equal(login.status, 503, 'login too')
  t.equal(login.body.error, 'store_unavailable')
  t.equal((await c.get('/ready')).status, 503)
  t.equal((await c.get('/health')).status, 200, 'the process is alive')

  await redis.restart()
  const started = Date.now()
  t.ok(await waitFor(async () => (await c.get('/ready')).status === 200, 10_000, 50), 'ready again')
  t.comment(`recovered ${Date.now() - started} ms after Redis came back`)
  t.equal((await c.get('/session/api/me')).status, 200, 'the session survived the Redis restart')
  t.equal((await s.client().post('/session/login', alice)).status, 200, 'logins work again')
})

t.test('SIGTERM: the server finishes, closes and exits 0', async t => {
  const server = await startProcess(t, { AUTH_STRATEGIES: 'session', LOG_LEVEL: 'info' })
  t.ok(await waitFor(() => /session-vs-jwt ready/.test(server.output()), 15_000), 'started')
  const port = /"port":(\d+)|listening at http:\/\/[^:]+:(\d+)/.exec(server.output())
  t.ok(port, 'printed its address')
  // stop(): SIGTERM, and the exit code (null if it had to be killed after 5 s).
  const code = await server.stop()
  t.equal(code, 0)
  t.match(server.output(), /shutting down/)
})
