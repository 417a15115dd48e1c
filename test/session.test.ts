import t from 'tap'
import { Client } from './helpers/http.js'
import { forEachStore, redisTest, startApp, waitFor, type TestApp } from './helpers/app.js'
import { admin, alice, bob } from './helpers/jwt.js'

async function loggedIn (s: TestApp, who: { username: string, password: string }, headers: Record<string, string> = {}): Promise<Client> {
  const c = s.client()
  const r = await c.post('/session/login', who, { headers })
  if (r.status !== 200) throw new Error(`login ${who.username}: ${r.status} ${r.text}`)
  return c
}

// Three runs (memory, Redis, a Redis Cluster): twice the default budget per test file.
t.setTimeout(240_000)

forEachStore(t, async (t, store) => {
  const env = { STORE: store, AUTH_STRATEGIES: 'session' }

  t.test('login → me → logout → replay', async t => {
    const s = await startApp(t, env)
    const c = s.client()
    const anon = await c.get('/session/api/me')
    t.equal(anon.status, 401)
    t.equal(anon.body.error, 'missing_credentials')
    t.equal(anon.headers.get('x-auth-store-ops'), '0')
    const login = await c.post('/session/login', alice)
    t.equal(login.status, 200)
    t.match(login.body.user, { username: 'alice', role: 'user' })
    t.notOk('passwordHash' in login.body.user, 'no hash leaves the server')
    const me = await c.get('/session/api/me')
    t.equal(me.status, 200)
    t.same(me.body, { id: login.body.user.id, username: 'alice', role: 'user', strategy: 'session' })
    t.equal(me.headers.get('x-auth-store-ops'), '1', 'one store read per protected request')
    t.equal(me.setCookies.length, 0, 'rolling off: no cookie re-sent')
    const stolen = c.clone()
    const logout = await c.post('/session/logout')
    t.equal(logout.status, 204)
    t.equal(logout.setCookies[0]?.attributes['max-age'], '0', 'logout clears the cookie')
    const replay = await stolen.get('/session/api/me')
    t.equal(replay.status, 401)
    t.equal(replay.body.error, 'session_revoked')
    t.equal((await stolen.post('/session/logout')).status, 204, 'logout is idempotent')
  })

  t.test('cookie attributes and secure transport', async t => {
    const s = await startApp(t, env)
    const login = await s.client().post('/session/login', alice)
    const cookie = login.setCookies[0]!
    t.equal(cookie.name, 'sid')
    t.equal(cookie.attributes.httponly, true)
    t.equal(cookie.attributes.samesite, 'Lax')
    t.equal(cookie.attributes.path, '/')
    t.notOk(cookie.attributes.secure, 'COOKIE_SECURE=false: no Secure')
    t.ok(cookie.value.length < 200, 'the cookie holds a signed id only')

    const secure = await startApp(t, { ...env, COOKIE_SECURE: 'true', TRUST_PROXY: '1' })
    const plain = await secure.client().post('/session/login', alice)
    t.equal(plain.status, 400)
    t.equal(plain.body.error, 'insecure_transport')
    const c = secure.client()
    const https = await c.post('/session/login', alice, { headers: { 'x-forwarded-proto': 'https' } })
    t.equal(https.status, 200)
    const sc = https.setCookies[0]!
    t.equal(sc.name, '__Host-sid', '__Host- prefix when Secure')
    t.equal(sc.attributes.secure, true)
    t.equal(sc.attributes.path, '/')
    t.equal((await c.get('/session/api/me', { headers: { 'x-forwarded-proto': 'https' } })).status, 200)
  })

  t.test('bad logins', async t => {
    const s = await startApp(t, env)
    const c = s.client()
    const wrong = await c.post('/session/login', { username: 'alice', password: 'nope' })
    const unknown = await c.post('/session/login', { username: 'mallory', password: 'nope' })
    t.equal(wrong.status, 401)
    t.equal(unknown.status, 401)
    t.same(wrong.body, unknown.body, 'unknown user and wrong password look the same')
    t.equal(wrong.body.error, 'invalid_credentials')
    t.equal(wrong.setCookies.length, 0)
    for (const body of [{}, { username: 'alice' }, { username: 1, password: 'x' }, { username: 'alice', password: '' }, []]) {
      const r = await c.post('/session/login', body)
      t.equal(r.status, 400, `400 for ${JSON.stringify(body)}`)
      t.equal(r.body.error, 'invalid_request')
    }
    const text = await c.request('POST', '/session/login', { body: 'username=alice', headers: { 'content-type': 'text/plain' } })
    t.equal(text.status, 415)
    t.equal(text.body.error, 'unsupported_media_type')
  })

  t.test('session id is regenerated at login (fixation)', async t => {
    const s = await startApp(t, env)
    const attacker = await loggedIn(s, bob)
    const planted = attacker.cookies.get('sid')!
    const victim = s.client()
    victim.cookies.set('sid', planted)
    const login = await victim.post('/session/login', alice)
    t.equal(login.status, 200)
    t.not(victim.cookies.get('sid'), planted, 'the victim gets a new id')
    t.equal((await victim.get('/session/api/me')).body.username, 'alice')
    t.equal((await attacker.get('/session/api/me')).status, 401, 'the planted id is gone')
    const again = victim.cookies.get('sid')
    await victim.post('/session/login', alice)
    t.not(victim.cookies.get('sid'), again, 'every login issues a new id')
  })

  t.test('idle timeout is enforced by the server and slides with activity', async t => {
    const s = await startApp(t, { ...env, SESSION_IDLE_TTL: '2s' })
    const c = await loggedIn(s, alice)
    // Activity every 300 ms for 3 s keeps a 2 s idle session alive (touches are written every 200 ms).
    const until = Date.now() + 3000
    while (Date.now() < until) {
      t.equal((await c.get('/session/api/me')).status, 200)
      await new Promise(resolve => setTimeout(resolve, 300))
    }
    // Any request with the cookie is activity, so this one must be a real pause, not a poll.
    await new Promise(resolve => setTimeout(resolve, 2300))
    const r = await c.get('/session/api/me')
    t.equal(r.status, 401, 'idle session ends')
    t.equal(r.body.error, 'session_expired')
  })

  t.test('absolute lifetime caps an active session', async t => {
    const s = await startApp(t, { ...env, SESSION_IDLE_TTL: '30m', SESSION_ABSOLUTE_TTL: '2s' })
    const c = await loggedIn(s, alice)
    const started = Date.now()
    const ended = await waitFor(async () => (await c.clone().get('/session/api/me')).status === 401, 5000, 100)
    t.ok(ended)
    t.ok(Date.now() - started >= 1500, 'ends at the absolute lifetime, not earlier')
    t.equal((await c.get('/session/api/me')).body.error, 'session_expired')
  })

  t.test('SESSION_COOKIE_PERSISTENT=false: a browser-session cookie, whose record still expires in the store', async t => {
    const persistent = await startApp(t, env)
    const kept = (await persistent.client().post('/session/login', alice)).setCookies[0]!
    const ahead = Date.parse(String(kept.attributes.expires)) - Date.now()
    t.ok(ahead > 29 * 60_000 && ahead <= 30 * 60_000 + 1000, `by default the cookie carries Expires, the idle limit ahead (${Math.round(ahead / 1000)} s)`)
    const s = await startApp(t, { ...env, SESSION_COOKIE_PERSISTENT: 'false', SESSION_IDLE_TTL: '2s' })
    const c = s.client()
    const login = await c.post('/session/login', alice)
    const cookie = login.setCookies[0]!
    t.equal(cookie.name, 'sid')
    t.equal(cookie.attributes['max-age'], undefined, 'no Max-Age')
    t.equal(cookie.attributes.expires, undefined, 'no Expires: the browser drops it when it closes')
    t.equal(cookie.attributes.httponly, true)
    // The record is `sess:{<id>}`; the cookie is `<id>.<signature>`.
    const id = decodeURIComponent(cookie.value).split('.')[0]!
    const ttl = await s.app.svj.store.ttl(`sess:{${id}}`)
    t.ok(ttl > 0 && ttl <= 2000, `the record expires with the idle limit all the same (${ttl} ms left)`)
    const me = await c.get('/session/api/me')
    t.equal(me.status, 200)
    for (const again of me.setCookies) t.equal(again.attributes.expires, undefined, 'a touch that sends the cookie again keeps it a browser-session one')
    t.ok(await waitFor(async () => await s.app.svj.store.get(`sess:{${id}}`) === null, 5000, 100), 'left idle, the record is gone from the store')
  })

  t.test('rolling sessions write and re-send the cookie on every request', async t => {
    const s = await startApp(t, { ...env, SESSION_ROLLING: 'true' })
    const c = await loggedIn(s, alice)
    const me = await c.get('/session/api/me')
    t.equal(me.status, 200)
    t.equal(me.setCookies.length, 1, 'cookie re-sent')
    t.equal(me.headers.get('x-auth-store-ops'), '2', 'a read and a write')
  })

  t.test('devices list and remote logout', async t => {
    const s = await startApp(t, env)
    const laptop = await loggedIn(s, alice, { 'user-agent': 'laptop-browser' })
    const phone = await loggedIn(s, alice, { 'user-agent': 'phone-browser' })
    const other = await loggedIn(s, bob)
    const list = await laptop.get('/session/devices')
    t.equal(list.status, 200)
    t.equal(list.body.length, 2)
    const mine = list.body.find((d: any) => d.current)
    const theirs = list.body.find((d: any) => !d.current)
    t.equal(mine.userAgent, 'laptop-browser')
    t.equal(theirs.userAgent, 'phone-browser')
    t.match(mine, { ip: '127.0.0.1', createdAt: String, lastSeenAt: String })
    const sid = laptop.cookies.get('sid')!
    for (const d of list.body) t.notOk(sid.includes(d.id), 'device id is not the session id')
    const bobsDevice = (await other.get('/session/devices')).body[0].id
    t.equal((await laptop.delete(`/session/devices/${bobsDevice}`)).status, 404, 'cannot end another user\'s session')
    t.equal((await other.get('/session/api/me')).status, 200)
    t.equal((await laptop.delete('/session/devices/unknown')).body.error, 'device_not_found')
    t.equal((await laptop.delete(`/session/devices/${theirs.id}`)).status, 204)
    const kicked = await phone.get('/session/api/me')
    t.equal(kicked.status, 401)
    t.equal(kicked.body.error, 'session_revoked')
    t.equal((await laptop.get('/session/devices')).body.length, 1)
    t.equal((await laptop.delete(`/session/devices/${mine.id}`)).status, 204, 'ending the current device')
    t.equal((await laptop.get('/session/api/me')).status, 401)
  })

  t.test('MAX_SESSIONS_PER_USER ends the oldest session', async t => {
    const s = await startApp(t, { ...env, MAX_SESSIONS_PER_USER: '2' })
    const first = await loggedIn(s, alice)
    const second = await loggedIn(s, alice)
    const third = await loggedIn(s, alice)
    t.equal((await first.get('/session/api/me')).body.error, 'session_revoked')
    t.equal((await second.get('/session/api/me')).status, 200)
    t.equal((await third.get('/session/api/me')).status, 200)
    t.equal((await third.get('/session/devices')).body.length, 2)
  })

  t.test('admin changes take effect on the next request', async t => {
    const s = await startApp(t, env)
    const root = await loggedIn(s, admin)
    const a1 = await loggedIn(s, alice)
    const a2 = await loggedIn(s, alice)
    t.equal((await a1.get('/session/api/admin')).status, 403)
    t.equal((await a1.get('/session/api/admin')).body.error, 'forbidden')

    const promote = await root.post('/admin/users/alice/role', { role: 'admin' })
    t.equal(promote.status, 200)
    t.match(promote.body, { user: { username: 'alice', role: 'admin' }, change: 'role', loginsAffected: { session: 2 } })
    t.equal((await a1.get('/session/api/admin')).status, 200, 'new role on the very next request')
    t.equal((await a2.get('/session/api/me')).body.role, 'admin')
    await root.post('/admin/users/alice/role', { role: 'user' })
    t.equal((await a1.get('/session/api/admin')).status, 403, 'demotion too')

    const disable = await root.post('/admin/users/alice/disable')
    t.equal(disable.status, 200)
    t.equal(disable.body.user.disabled, true)
    t.equal((await a1.get('/session/api/me')).body.error, 'session_revoked')
    t.equal((await a2.get('/session/api/me')).status, 401)
    const blocked = await s.client().post('/session/login', alice)
    t.equal(blocked.status, 403)
    t.equal(blocked.body.error, 'account_disabled')
    t.equal((await s.client().post('/session/login', { ...alice, password: 'wrong' })).status, 401, 'disabled status hidden from wrong passwords')
    t.equal((await root.post('/admin/users/alice/enable')).status, 200)

    const a3 = await loggedIn(s, alice)
    const pw = await root.post('/admin/users/alice/password', { password: 'a-new-password' })
    t.equal(pw.status, 200)
    t.equal((await a3.get('/session/api/me')).status, 401, 'password change ends every session')
    t.equal((await s.client().post('/session/login', alice)).status, 401, 'old password refused')
    const a4 = await loggedIn(s, { username: 'alice', password: 'a-new-password' })

    const revoke = await root.post('/admin/users/alice/revoke')
    t.equal(revoke.status, 200)
    t.equal(revoke.body.loginsAffected.session, 1)
    t.equal((await a4.get('/session/api/me')).body.error, 'session_revoked')
    t.equal((await root.get('/session/api/me')).status, 200, 'other users unaffected')
  })

  t.test('admin routes: 401, 403, 404, 400', async t => {
    const s = await startApp(t, env)
    const anon = await s.client().post('/admin/users/alice/revoke')
    t.equal(anon.status, 401)
    t.equal(anon.body.error, 'missing_credentials')
    const user = await loggedIn(s, bob)
    const denied = await user.post('/admin/users/alice/revoke')
    t.equal(denied.status, 403)
    t.equal(denied.body.error, 'forbidden')
    const root = await loggedIn(s, admin)
    const missing = await root.post('/admin/users/nobody/disable')
    t.equal(missing.status, 404)
    t.equal(missing.body.error, 'user_not_found')
    t.equal((await root.post('/admin/users/alice/role', { role: 'superuser' })).status, 400)
    t.equal((await root.post('/admin/users/alice/password', { password: 'short' })).status, 400)
  })

  t.test('cross-site requests are rejected under cookie auth', async t => {
    const s = await startApp(t, { ...env, ALLOWED_ORIGINS: 'https://app.example.com' })
    const c = await loggedIn(s, alice)
    const note = { text: 'hello' }
    const evil = await c.post('/session/api/notes', note, { headers: { origin: 'https://evil.example' } })
    t.equal(evil.status, 403)
    t.equal(evil.body.error, 'csrf_rejected')
    const fetchMeta = await c.post('/session/api/notes', note, { headers: { 'sec-fetch-site': 'cross-site' } })
    t.equal(fetchMeta.body.error, 'csrf_rejected')
    t.equal((await c.post('/session/api/notes', note, { headers: { origin: s.url } })).status, 201, 'same origin passes')
    t.equal((await c.post('/session/api/notes', note, { headers: { origin: 'https://app.example.com' } })).status, 201, 'allow-listed origin passes')
    t.equal((await c.post('/session/api/notes', note, { headers: { 'sec-fetch-site': 'same-origin' } })).status, 201)
    const plain = await c.post('/session/api/notes', note)
    t.equal(plain.status, 201, 'header-less (curl) passes')
    t.equal(plain.body.note.author, 'alice')
    t.equal((await c.get('/session/api/me', { headers: { origin: 'https://evil.example' } })).status, 200, 'safe methods pass')
    const loginCsrf = await s.client().post('/session/login', alice, { headers: { origin: 'https://evil.example' } })
    t.equal(loginCsrf.body.error, 'csrf_rejected', 'login CSRF too')
    const adminCsrf = await (await loggedIn(s, admin)).post('/admin/users/bob/revoke', undefined, { headers: { origin: 'https://evil.example' } })
    t.equal(adminCsrf.body.error, 'csrf_rejected', 'admin routes under cookie auth too')
  })

  t.test('garbage and tampered cookies get 401, never 500', async t => {
    const s = await startApp(t, env)
    const c = await loggedIn(s, alice)
    const good = c.cookies.get('sid')!
    const [id, sig] = good.split('.')
    // The tampered characters always differ from the originals (an id ending in 'A' made 'A' no change at all).
    const changed = (c: string | undefined): string => c === 'A' ? 'B' : 'A'
    const cases = ['', 'garbage', `${id}`, `${id}.`, `${id}.${sig!.slice(0, -2)}${sig!.endsWith('xx') ? 'yy' : 'xx'}`, `x${good}`, `${id!.slice(0, -1)}${changed(id!.at(-1))}.${sig}`, '%%%', 'a'.repeat(3000)]
    for (const value of cases) {
      const r = await s.client().get('/session/api/me', { headers: { cookie: `sid=${value}` } })
      t.equal(r.status, 401, `401 for sid=${value.slice(0, 20)}`)
      t.match(r.body.error, /^(missing_credentials|invalid_credentials)$/)
      t.notMatch(r.text, /at .*\.js/, 'no stack trace')
    }
    const forged = s.client()
    const other = await startApp(t, { ...env, SESSION_SECRET: 'another-secret-another-secret-another-secret' })
    await forged.request('POST', '/session/login', { json: alice })
    const foreign = new Client(other.url)
    await foreign.post('/session/login', alice)
    const r = await s.client().get('/session/api/me', { headers: { cookie: `sid=${foreign.cookies.get('sid')!}` } })
    t.equal(r.body.error, 'invalid_credentials', 'a cookie signed with another secret')
  })
}, { cluster: true })

redisTest(t, 'two instances on one Redis share sessions', async t => {
  const a = await startApp(t, { STORE: 'redis', AUTH_STRATEGIES: 'session', KEY_PREFIX: 'test:shared-instances:' })
  const b = await startApp(t, { STORE: 'redis', AUTH_STRATEGIES: 'session', KEY_PREFIX: 'test:shared-instances:' })
  const c = a.client()
  await c.post('/session/login', alice)
  const onB = new Client(b.url)
  onB.cookies.set('sid', c.cookies.get('sid')!)
  t.equal((await onB.get('/session/api/me')).body.username, 'alice', 'instance B sees the session made on A')
  const root = new Client(b.url)
  await root.post('/session/login', admin)
  await root.post('/admin/users/alice/revoke')
  t.equal((await c.get('/session/api/me')).status, 401, 'a revoke on B ends it on A')
})
