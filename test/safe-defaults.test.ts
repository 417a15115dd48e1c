/**
 * Safe defaults, over real HTTP: no published credentials outside demo mode, ADMIN_PASSWORD bootstraps the
 * admin, demo users come back when their records vanish, COOKIE_SECURE=auto picks plain or prefixed Secure
 * cookies per request, and authenticated answers are never cached.
 */
import t from 'tap'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config/config.js'
import { Client } from './helpers/http.js'
import { forEachStore, redisTest, startApp, testEnv } from './helpers/app.js'
import { admin, alice, bob } from './helpers/jwt.js'
import { deleteKeys, testRedisUrl } from './helpers/redis.js'

const DEMO_LOGINS = [alice, bob, admin]
const ADMIN_PASSWORD = 'correct-horse-battery-staple'
const HTTPS = { 'x-forwarded-proto': 'https' }

forEachStore(t, async (t, store) => {
  t.test('DEMO_MODE=false: no demo users, no demo routes, no page', async t => {
    const s = await startApp(t, { STORE: store, DEMO_MODE: 'false' })
    t.equal(s.config.demoMode, false)
    for (const who of DEMO_LOGINS) {
      const session = await s.client().post('/session/login', who)
      t.equal(session.status, 401, `session login as ${who.username} is refused`)
      t.equal(session.body.error, 'invalid_credentials')
      const jwt = await s.client().post('/jwt/login', { ...who, transport: 'body' })
      t.equal(jwt.status, 401, `jwt login as ${who.username} is refused`)
    }
    for (const [method, path] of [['GET', '/'], ['GET', '/index.html'], ['GET', '/demo/info'], ['GET', '/session/demo/inspect'], ['GET', '/jwt/demo/inspect'], ['POST', '/session/demo/steal'], ['POST', '/jwt/demo/steal'], ['POST', '/demo/attack']] as const) {
      const r = await s.client().request(method, path, method === 'POST' ? { json: {} } : {})
      t.equal(r.status, 404, `${method} ${path} does not exist`)
    }
  })

  t.test('ADMIN_PASSWORD: the admin logs in with it and uses the admin routes; the published one fails', async t => {
    const s = await startApp(t, { STORE: store, DEMO_MODE: 'false', ADMIN_PASSWORD })
    t.equal((await s.client().post('/session/login', admin)).status, 401, 'admin-password is refused')
    const c = s.client()
    const login = await c.post('/session/login', { username: 'admin', password: ADMIN_PASSWORD })
    t.equal(login.status, 200, 'session login with ADMIN_PASSWORD')
    t.match(login.body.user, { username: 'admin', role: 'admin' })
    t.equal((await c.get('/session/api/admin')).status, 200, 'the admin-only route answers')
    const role = await c.post('/admin/users/admin/role', { role: 'admin' })
    t.equal(role.status, 200, 'an admin route answers')
    t.equal(role.body.user.username, 'admin')
    const jwt = await s.client().post('/jwt/login', { username: 'admin', password: ADMIN_PASSWORD, transport: 'body' })
    t.equal(jwt.status, 200, 'jwt login with ADMIN_PASSWORD')
    const revoke = await s.client().post('/admin/users/admin/revoke', undefined, { bearer: jwt.body.access_token })
    t.equal(revoke.status, 200, 'admin routes over a bearer token')
  })

  t.test('demo mode with ADMIN_PASSWORD: admin gets it instead of the published admin-password', async t => {
    const s = await startApp(t, { STORE: store, DEMO_MODE: 'true', ADMIN_PASSWORD })
    t.equal((await s.client().post('/session/login', DEMO_LOGINS[2])).status, 401, 'admin-password is refused')
    t.equal((await s.client().post('/session/login', { username: 'admin', password: ADMIN_PASSWORD })).status, 200, 'ADMIN_PASSWORD logs in')
    t.equal((await s.client().post('/session/login', DEMO_LOGINS[0])).status, 200, 'alice is still there')
  })

  t.test('demo mode: demo users whose records vanished are created again at login, without a restart', async t => {
    const s = await startApp(t, { STORE: store, DEMO_MODE: 'true' })
    const first = await s.client().post('/session/login', DEMO_LOGINS[0])
    t.equal(first.status, 200)
    if (store === 'redis') {
      // A Redis that restarted empty: every key of this app is gone.
      await deleteKeys(s.config.redisUrl, s.config.keyPrefix)
    } else {
      for (const who of DEMO_LOGINS) {
        const user = await s.app.svj.users.findByUsername(who.username)
        // bob loses only his record, its username index stays behind (half a wipe).
        if (who.username === 'bob') await s.app.svj.store.del(`user:${user!.id}`)
        else await s.app.svj.store.del(`username:${who.username}`, `user:${user!.id}`)
      }
    }
    for (const who of DEMO_LOGINS) t.equal(await s.app.svj.users.findByUsername(who.username), null, `${who.username}'s record is gone`)
    for (const who of DEMO_LOGINS) {
      const again = await s.client().post('/session/login', who)
      t.equal(again.status, 200, `${who.username} logs in again`)
      t.equal(again.body.user.username, who.username)
    }
    const jwt = await s.client().post('/jwt/login', { ...DEMO_LOGINS[1], transport: 'body' })
    t.equal(jwt.status, 200, 'through the JWT strategy too')
    const wrong = await s.client().post('/session/login', { username: 'alice', password: 'not-alice' })
    t.equal(wrong.status, 401, 'a wrong password is still refused')
    t.equal(wrong.body.error, 'invalid_credentials')
    t.equal((await s.client().post('/session/login', { username: 'carol', password: 'carol-password' })).status, 401, 'an unknown user is still unknown')
  })

  t.test('COOKIE_SECURE unset: plain cookies over plain http, prefixed Secure cookies over https', async t => {
    const s = await startApp(t, { STORE: store, COOKIE_SECURE: '', TRUST_PROXY: '1' })
    t.equal(s.config.cookieSecure, 'auto')

    const plain = s.client()
    const login = await plain.post('/session/login', DEMO_LOGINS[0])
    t.equal(login.status, 200, 'session login works over plain http')
    t.same(login.setCookies.map(c => c.name), ['sid'])
    t.notOk(login.setCookies[0]!.attributes.secure, 'sid has no Secure over plain http')
    t.equal((await plain.get('/session/api/me')).status, 200)
    const plainJwt = await s.client().post('/jwt/login', DEMO_LOGINS[0])
    t.equal(plainJwt.status, 200, 'jwt cookie login works over plain http')
    t.same(plainJwt.setCookies.map(c => c.name), ['rt'])
    t.notOk(plainJwt.setCookies[0]!.attributes.secure, 'rt has no Secure over plain http')

    const tls = s.client()
    const secure = await tls.post('/session/login', DEMO_LOGINS[0], { headers: HTTPS })
    t.equal(secure.status, 200, 'session login over https')
    t.same(secure.setCookies.map(c => c.name), ['__Host-sid'])
    t.equal(secure.setCookies[0]!.attributes.secure, true, '__Host-sid is Secure')
    t.equal(secure.setCookies[0]!.attributes.path, '/')
    t.notOk('domain' in secure.setCookies[0]!.attributes, '__Host- cookies have no Domain')
    const me = await tls.get('/session/api/me', { headers: HTTPS })
    t.equal(me.status, 200, 'the session works over https with the prefixed cookie')
    t.equal(me.body.username, 'alice')
    const devices = await tls.get('/session/devices', { headers: HTTPS })
    t.equal(devices.status, 200)
    t.equal(devices.body.filter((d: { current: boolean }) => d.current).length, 1, 'the device list knows the current login')

    const sid = plain.cookies.get('sid')!
    const planted = await s.client().get('/session/api/me', { headers: { ...HTTPS, cookie: `sid=${sid}` } })
    t.equal(planted.status, 401, 'over https a plain sid (one a network attacker could plant) is ignored')
    t.equal(planted.body.error, 'missing_credentials')
    const bothNames = await s.client().get('/session/api/me', { headers: { ...HTTPS, cookie: `sid=${sid}; __Host-sid=${tls.cookies.get('__Host-sid')!}` } })
    t.equal(bothNames.body.username, 'alice', 'with both, the __Host- one counts')

    const logout = await tls.post('/session/logout', undefined, { headers: HTTPS })
    t.equal(logout.status, 204)
    t.same(logout.setCookies.map(c => [c.name, c.attributes['max-age'], c.attributes.secure]), [['__Host-sid', '0', true]], 'logout clears __Host-sid')

    const jwtTls = s.client()
    const jwt = await jwtTls.post('/jwt/login', DEMO_LOGINS[1], { headers: HTTPS })
    t.equal(jwt.status, 200, 'jwt cookie login over https')
    t.same(jwt.setCookies.map(c => c.name), ['__Secure-rt'])
    t.equal(jwt.setCookies[0]!.attributes.secure, true, '__Secure-rt is Secure')
    t.equal(jwt.setCookies[0]!.attributes.path, '/jwt')
    const refreshed = await jwtTls.post('/jwt/refresh', undefined, { headers: HTTPS })
    t.equal(refreshed.status, 200, 'refresh over https with the prefixed cookie')
    t.same(refreshed.setCookies.map(c => [c.name, c.attributes.secure]), [['__Secure-rt', true]], 'the rotated cookie is __Secure-rt again')
    const plantedRt = await s.client().post('/jwt/refresh', undefined, { headers: { ...HTTPS, cookie: `rt=${jwtTls.cookies.get('__Secure-rt')!}` } })
    t.equal(plantedRt.status, 401, 'over https a plain rt is ignored')
    t.equal(plantedRt.body.error, 'missing_credentials')
    const jwtLogout = await jwtTls.post('/jwt/logout', undefined, { headers: HTTPS })
    t.same(jwtLogout.setCookies.map(c => [c.name, c.attributes['max-age'], c.attributes.secure]), [['__Secure-rt', '0', true]], 'logout clears __Secure-rt')
  })

  t.test('COOKIE_SECURE unset without TRUST_PROXY: a forged X-Forwarded-Proto changes nothing', async t => {
    const s = await startApp(t, { STORE: store, COOKIE_SECURE: '' })
    const login = await s.client().post('/session/login', DEMO_LOGINS[0], { headers: HTTPS })
    t.same(login.setCookies.map(c => [c.name, c.attributes.secure === true]), [['sid', false]], 'plain http as Fastify sees it: plain sid')
  })

  t.test('Cache-Control: no-store on logins, refresh, logout, device lists, protected and admin routes', async t => {
    const s = await startApp(t, { STORE: store })
    const answers: Array<[string, Headers]> = []
    const session = s.client()
    answers.push(['POST /session/login', (await session.post('/session/login', DEMO_LOGINS[2])).headers])
    answers.push(['GET /session/api/me', (await session.get('/session/api/me')).headers])
    answers.push(['GET /session/api/admin', (await session.get('/session/api/admin')).headers])
    answers.push(['POST /session/api/notes', (await session.post('/session/api/notes', { text: 'hi' })).headers])
    answers.push(['GET /session/devices', (await session.get('/session/devices')).headers])
    answers.push(['POST /admin/users/bob/role', (await session.post('/admin/users/bob/role', { role: 'user' })).headers])
    answers.push(['GET /session/api/me (401)', (await s.client().get('/session/api/me')).headers])
    answers.push(['POST /session/login (401)', (await s.client().post('/session/login', { username: 'alice', password: 'wrong-password' })).headers])
    answers.push(['POST /session/logout', (await session.post('/session/logout')).headers])
    const jwt = s.client()
    const login = await jwt.post('/jwt/login', DEMO_LOGINS[0])
    answers.push(['POST /jwt/login', login.headers])
    const bearer = login.body.access_token as string
    answers.push(['GET /jwt/api/me', (await jwt.get('/jwt/api/me', { bearer })).headers])
    answers.push(['GET /jwt/devices', (await jwt.get('/jwt/devices', { bearer })).headers])
    answers.push(['POST /jwt/refresh', (await jwt.post('/jwt/refresh')).headers])
    answers.push(['POST /jwt/logout', (await jwt.post('/jwt/logout')).headers])
    answers.push(['GET /jwt/api/me (401)', (await s.client().get('/jwt/api/me')).headers])
    answers.push(['POST /admin/users/bob/revoke (401)', (await s.client().post('/admin/users/bob/revoke')).headers])
    for (const [what, headers] of answers) t.equal(headers.get('cache-control'), 'no-store', what)
  })
})

redisTest(t, 'redis: a store left by a demo run gives no published account outside demo mode', async t => {
  const redisUrl = await testRedisUrl()
  const env = testEnv({ STORE: 'redis', REDIS_URL: redisUrl })
  t.teardown(async () => { await deleteKeys(redisUrl, env.KEY_PREFIX!) })
  const start = async (extra: Record<string, string>): Promise<{ client: () => Client, close: () => Promise<void>, warnings: string[] }> => {
    const config = loadConfig({ ...env, ...extra })
    const app = await buildApp(config, { logger: false })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const address = app.server.address()
    const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
    return { client: () => new Client(url), close: async () => { await app.close() }, warnings: config.warnings }
  }

  const demo = await start({ DEMO_MODE: 'true' })
  t.equal((await demo.client().post('/session/login', DEMO_LOGINS[2])).status, 200, 'demo run: admin/admin-password works')
  await demo.close()

  const bare = await start({ DEMO_MODE: 'false' })
  for (const who of DEMO_LOGINS) t.equal((await bare.client().post('/session/login', who)).status, 401, `then without demo mode: ${who.username} is refused`)
  t.match(bare.warnings.join('\n'), /no admin account: set ADMIN_PASSWORD/, 'startup says how to create the admin')
  await bare.close()

  const owned = await start({ DEMO_MODE: 'false', ADMIN_PASSWORD })
  t.match(owned.warnings.join('\n'), /demo admin .* now ADMIN_PASSWORD/, 'the demo admin is taken over, with a warning')
  t.equal((await owned.client().post('/session/login', DEMO_LOGINS[2])).status, 401, 'admin-password no longer works')
  t.equal((await owned.client().post('/session/login', { username: 'admin', password: ADMIN_PASSWORD })).status, 200, 'ADMIN_PASSWORD does')
  await owned.close()

  const later = await start({ DEMO_MODE: 'false', ADMIN_PASSWORD: 'another-password-entirely' })
  t.equal((await later.client().post('/session/login', { username: 'admin', password: ADMIN_PASSWORD })).status, 200, 'ADMIN_PASSWORD applies at first start only: an existing admin keeps its password')
  t.equal((await later.client().post('/session/login', { username: 'admin', password: 'another-password-entirely' })).status, 401)
  t.notMatch(later.warnings.join('\n'), /no admin account/, 'no "create an admin" hint when one exists')
  await later.close()
})
