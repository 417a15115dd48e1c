import t from 'tap'
import { forEachStore, startApp, waitFor } from './helpers/app.js'
import { secretKid } from '../src/strategies/jwt/jwt-keys.js'
import { admin, alice, bob, decodeJwt, jwtLogin, TEST_JWT_SECRET } from './helpers/jwt.js'

const CLAIMS = ['aud', 'exp', 'iat', 'iss', 'jti', 'preferred_username', 'role', 'sid', 'sub', 'ver']

// Three runs (memory, Redis, a Redis Cluster): twice the default budget per test file.
t.setTimeout(240_000)

forEachStore(t, async (t, store) => {
  const env = { STORE: store, AUTH_STRATEGIES: 'session,jwt' }

  t.test('cookie transport: login → me → refresh → reuse → logout', async t => {
    const s = await startApp(t, env)
    const c = s.client()
    const anon = await c.get('/jwt/api/me')
    t.equal(anon.status, 401)
    t.equal(anon.body.error, 'missing_credentials')
    t.equal(anon.headers.get('www-authenticate'), 'Bearer', 'no error attribute when no token was sent')

    const login = await c.post('/jwt/login', alice)
    t.equal(login.status, 200)
    t.same(Object.keys(login.body).sort(), ['access_token', 'expires_in', 'token_type'], 'cookie transport: no refresh token in the body')
    t.equal(login.body.token_type, 'Bearer')
    t.equal(login.body.expires_in, 900)
    t.equal(login.headers.get('cache-control'), 'no-store')
    const cookie = login.setCookies.find(sc => sc.name === 'rt')
    t.ok(cookie, 'refresh cookie set')
    // Quoted on purpose: a search for focused tests (the word `only` then a colon) must not match this line.
    // eslint-disable-next-line @stylistic/quote-props
    t.match(cookie?.attributes, { 'httponly': true, samesite: 'Strict', path: '/jwt', 'max-age': String(14 * 86400) })
    t.notOk(cookie?.attributes.secure, 'COOKIE_SECURE=false: no Secure attribute')
    t.match(cookie?.value, /^[A-Za-z0-9_-]{43}$/, '256 random bits, base64url, not a JWT')

    const access = login.body.access_token as string
    const { header, payload } = decodeJwt(access)
    // kid: the RFC 7638 thumbprint of the signing secret, so a rotation can tell old tokens apart.
    t.same(header, { alg: 'HS256', typ: 'at+jwt', kid: secretKid(TEST_JWT_SECRET) })
    t.same(Object.keys(payload).sort(), CLAIMS, 'exactly the documented claims: nothing personal or secret')
    t.equal(payload.exp - payload.iat, 900)
    t.match(payload, { iss: 'session-vs-jwt', aud: 'session-vs-jwt-api', preferred_username: 'alice', role: 'user', ver: 1 })

    const me = await c.get('/jwt/api/me', { bearer: access })
    t.equal(me.status, 200)
    t.same(me.body, { id: payload.sub, username: 'alice', role: 'user', strategy: 'jwt' })
    t.equal(me.headers.get('x-auth-store-ops'), '0', 'stateless default: no store round trip')
    t.equal((await c.get('/jwt/api/me')).body.error, 'missing_credentials', 'the refresh cookie alone authenticates nothing')
    t.equal((await c.post('/jwt/api/notes', { text: 'hi' }, { bearer: access })).status, 201)
    t.equal((await c.get('/jwt/api/admin', { bearer: access })).status, 403)

    const before = c.clone()
    const refreshed = await c.post('/jwt/refresh')
    t.equal(refreshed.status, 200)
    t.notOk('refresh_token' in refreshed.body, 'same transport as presented: cookie')
    const next = refreshed.setCookies.find(sc => sc.name === 'rt')
    t.ok(next !== undefined && next.value !== cookie?.value, 'a new refresh token replaces the spent one')
    t.not(refreshed.body.access_token, access)
    t.equal(decodeJwt(refreshed.body.access_token).payload.sid, payload.sid, 'same login (family)')
    t.equal((await c.get('/jwt/api/me', { bearer: refreshed.body.access_token })).status, 200)

    const reuse = await before.post('/jwt/refresh')
    t.equal(reuse.status, 401)
    t.equal(reuse.body.error, 'refresh_token_reused')
    t.equal(reuse.setCookies.find(sc => sc.name === 'rt')?.attributes['max-age'], '0', 'the dead cookie is cleared')
    const newest = await c.post('/jwt/refresh')
    t.equal(newest.status, 401, 'reuse revoked the whole family, newest token included')
    t.equal(newest.body.error, 'invalid_refresh_token')

    const again = await jwtLogin(s, alice, 'cookie')
    const logout = await again.client.post('/jwt/logout')
    t.equal(logout.status, 204)
    t.equal(logout.setCookies.find(sc => sc.name === 'rt')?.attributes['max-age'], '0', 'logout clears the cookie')
    const afterLogout = await s.client().post('/jwt/refresh', undefined, { headers: { cookie: `rt=${again.refresh}` } })
    t.equal(afterLogout.status, 401)
    t.equal(afterLogout.body.error, 'invalid_refresh_token')
    t.equal((await again.client.post('/jwt/logout')).status, 204, 'logout is idempotent')
  })

  t.test('body transport: login → refresh → logout, no cookies', async t => {
    const s = await startApp(t, env)
    const c = s.client()
    const login = await c.post('/jwt/login', { ...alice, transport: 'body' })
    t.equal(login.status, 200)
    t.equal(login.setCookies.length, 0, 'no cookie with transport body')
    t.match(login.body.refresh_token, /^[A-Za-z0-9_-]{43}$/)
    const refreshed = await c.post('/jwt/refresh', { refresh_token: login.body.refresh_token })
    t.equal(refreshed.status, 200)
    t.equal(refreshed.setCookies.length, 0)
    t.match(refreshed.body.refresh_token, /^[A-Za-z0-9_-]{43}$/)
    t.not(refreshed.body.refresh_token, login.body.refresh_token)
    t.equal((await c.get('/jwt/api/me', { bearer: refreshed.body.access_token })).status, 200)
    const logout = await c.post('/jwt/logout', { refresh_token: refreshed.body.refresh_token }, { bearer: refreshed.body.access_token })
    t.equal(logout.status, 204)
    const dead = await c.post('/jwt/refresh', { refresh_token: refreshed.body.refresh_token })
    t.equal(dead.status, 401)
    t.equal(dead.body.error, 'invalid_refresh_token')
    // A bearer-only logout (no refresh token at hand) ends the login named by the token's sid.
    const other = await jwtLogin(s, alice)
    t.equal((await c.post('/jwt/logout', undefined, { bearer: other.access })).status, 204)
    t.equal((await c.post('/jwt/refresh', { refresh_token: other.refresh })).body.error, 'invalid_refresh_token')
  })

  t.test('login errors mirror the session login', async t => {
    const s = await startApp(t, env)
    const c = s.client()
    const wrong = await c.post('/jwt/login', { username: 'alice', password: 'nope-nope' })
    t.equal(wrong.status, 401)
    t.equal(wrong.body.error, 'invalid_credentials')
    t.equal((await c.post('/jwt/login', { username: 'nobody', password: 'x' })).body.error, 'invalid_credentials')
    const a = await jwtLogin(s, admin)
    t.equal((await c.post('/admin/users/bob/disable', undefined, { bearer: a.access })).status, 200, 'admin routes accept a bearer token')
    const disabled = await c.post('/jwt/login', bob)
    t.equal(disabled.status, 403)
    t.equal(disabled.body.error, 'account_disabled')
    for (const body of [{ username: 'alice' }, { ...alice, transport: 'carrier-pigeon' }, { ...alice, extra: 1 }, { username: 1, password: 'x' }]) {
      const r = await c.post('/jwt/login', body)
      t.equal(r.status, 400, `400 for ${JSON.stringify(body)}`)
      t.equal(r.body.error, 'invalid_request')
    }
    const bad = await c.post('/jwt/login', undefined, { body: '{"username":', headers: { 'content-type': 'application/json' } })
    t.equal(bad.status, 400)
    t.equal(bad.body.error, 'invalid_json')
  })

  t.test('COOKIE_SECURE: __Secure-rt over https, refused over plain http', async t => {
    const s = await startApp(t, { ...env, COOKIE_SECURE: 'true', TRUST_PROXY: '1' })
    const c = s.client()
    const plain = await c.post('/jwt/login', alice)
    t.equal(plain.status, 400)
    t.equal(plain.body.error, 'insecure_transport')
    t.equal((await c.post('/jwt/login', { ...alice, transport: 'body' })).status, 200, 'body transport does not depend on cookies')
    const https = { 'x-forwarded-proto': 'https' }
    const login = await c.post('/jwt/login', alice, { headers: https })
    t.equal(login.status, 200)
    const cookie = login.setCookies[0]
    t.equal(cookie?.name, '__Secure-rt')
    // eslint-disable-next-line @stylistic/quote-props
    t.match(cookie?.attributes, { secure: true, 'httponly': true, samesite: 'Strict', path: '/jwt' })
    t.equal((await c.post('/jwt/refresh', undefined, { headers: https })).status, 200)
    const plainRefresh = await c.post('/jwt/refresh')
    t.equal(plainRefresh.status, 400)
    t.equal(plainRefresh.body.error, 'insecure_transport')
  })

  t.test('cross-site cookie requests to refresh and logout are refused', async t => {
    const s = await startApp(t, { ...env, ALLOWED_ORIGINS: 'https://app.example.com' })
    const l = await jwtLogin(s, alice, 'cookie')
    const evil = { origin: 'https://evil.example' }
    const refresh = await l.client.post('/jwt/refresh', undefined, { headers: evil })
    t.equal(refresh.status, 403)
    t.equal(refresh.body.error, 'csrf_rejected')
    t.equal((await l.client.post('/jwt/refresh', undefined, { headers: { 'sec-fetch-site': 'cross-site' } })).status, 403)
    t.equal((await l.client.post('/jwt/logout', undefined, { headers: evil })).status, 403)
    t.equal((await s.client().post('/jwt/login', alice, { headers: evil })).status, 403, 'login CSRF with cookie transport')
    t.equal((await l.client.post('/jwt/refresh', undefined, { headers: { origin: 'https://app.example.com' } })).status, 200, 'allow-listed origin passes')
    // A body token is not ambient: a cross-site page cannot read it, so no origin check applies.
    const b = await jwtLogin(s, alice, 'body')
    t.equal((await s.client().post('/jwt/refresh', { refresh_token: b.refresh }, { headers: evil })).status, 200)
  })

  t.test('devices: list, remove one, remove current', async t => {
    const s = await startApp(t, env)
    const phone = await jwtLogin(s, alice, 'cookie')
    const laptop = await jwtLogin(s, alice, 'body')
    const list = await laptop.client.get('/jwt/devices', { bearer: laptop.access })
    t.equal(list.status, 200)
    t.equal(list.body.length, 2)
    const sid = decodeJwt(laptop.access).payload.sid
    t.same(list.body.map((d: any) => d.current), [false, true], 'oldest first, current marked')
    t.match(list.body[1], { id: sid, userAgent: String, ip: '127.0.0.1', createdAt: String, lastSeenAt: String })
    t.notOk(JSON.stringify(list.body).includes(laptop.refresh), 'device ids are not refresh tokens')
    t.equal(list.headers.get('x-auth-store-ops'), '0')
    const phoneId = list.body[0].id
    t.equal((await laptop.client.delete('/jwt/devices/nope', { bearer: laptop.access })).status, 404)
    t.equal((await laptop.client.delete(`/jwt/devices/${phoneId as string}`, { bearer: laptop.access })).status, 204)
    t.equal((await phone.client.post('/jwt/refresh')).body.error, 'invalid_refresh_token', 'removed device cannot refresh')
    const current = await phone.client.post('/jwt/login', alice)
    const removeSelf = await phone.client.delete(`/jwt/devices/${decodeJwt(current.body.access_token).payload.sid as string}`, { bearer: current.body.access_token })
    t.equal(removeSelf.status, 204)
    t.equal(removeSelf.setCookies.find(sc => sc.name === 'rt')?.attributes['max-age'], '0', 'removing the current device clears its cookie')
    t.equal((await laptop.client.get('/jwt/devices', { bearer: laptop.access })).body.length, 1)
    t.equal((await s.client().get('/jwt/devices')).status, 401)
  })

  t.test('MAX_SESSIONS_PER_USER revokes the oldest family', async t => {
    const s = await startApp(t, { ...env, MAX_SESSIONS_PER_USER: '2' })
    const first = await jwtLogin(s, alice)
    const second = await jwtLogin(s, alice)
    const third = await jwtLogin(s, alice)
    const r = await s.client().post('/jwt/refresh', { refresh_token: first.refresh })
    t.equal(r.status, 401)
    t.equal(r.body.error, 'invalid_refresh_token', 'the oldest login ended')
    t.equal((await s.client().post('/jwt/refresh', { refresh_token: second.refresh })).status, 200)
    const devices = await third.client.get('/jwt/devices', { bearer: third.access })
    t.equal(devices.body.length, 2)
    t.notOk(devices.body.some((d: any) => d.id === decodeJwt(first.access).payload.sid))
  })

  t.test('short access TTL: the token expires, refresh brings a working one', async t => {
    const s = await startApp(t, { ...env, JWT_ACCESS_TTL: '1s', JWT_CLOCK_TOLERANCE: '0s' })
    const l = await jwtLogin(s, alice)
    t.equal((await l.client.get('/jwt/api/me', { bearer: l.access })).status, 200)
    let last = await l.client.get('/jwt/api/me', { bearer: l.access })
    t.ok(await waitFor(async () => {
      last = await l.client.get('/jwt/api/me', { bearer: l.access })
      return last.status === 401
    }, 4000, 100), 'expires within its 1 s lifetime (+1 s of exp granularity)')
    t.equal(last.body.error, 'token_expired')
    t.equal(last.headers.get('www-authenticate'), 'Bearer error="invalid_token"')
    const refreshed = await l.client.post('/jwt/refresh', { refresh_token: l.refresh })
    t.equal(refreshed.status, 200)
    t.equal(refreshed.body.expires_in, 1)
    t.equal((await l.client.get('/jwt/api/me', { bearer: refreshed.body.access_token })).status, 200)
  })
}, { cluster: true })
