/**
 * The demo page's server side, over real HTTP: demo mode mounts every JWT revocation mode side by side
 * (each with its own audience), and POST /demo/reset puts the demo accounts back as published, ends
 * every login they hold on every mount and starts their login limit count afresh. None of it exists
 * outside demo mode.
 */
import t, { type Test } from 'tap'
import { startApp, type TestApp } from './helpers/app.js'
import type { Client } from './helpers/http.js'
import { admin, alice, bob } from './helpers/jwt.js'

const JWT_MOUNTS = ['jwt', 'jwt-denylist', 'jwt-version'] as const
const MOUNTS = ['session', ...JWT_MOUNTS] as const

async function adminToken (s: TestApp): Promise<string> {
  const r = await s.client().post('/jwt/login', { ...admin, transport: 'body' })
  if (r.status !== 200) throw new Error(`admin login: ${r.status} ${r.text}`)
  return r.body.access_token as string
}

interface Logins {
  session: Client
  /** Per JWT mount: access and refresh token (transport body: the test client's jar ignores cookie paths by name). */
  jwt: Record<string, { access: string, refresh: string }>
}

/** Logs `who` in on every mount; fails the test on any refusal. */
async function loginEverywhere (t: Test, s: TestApp, who: { username: string, password: string }): Promise<Logins> {
  const session = s.client()
  t.equal((await session.post('/session/login', who)).status, 200, `${who.username} logs in on /session`)
  const jwt: Logins['jwt'] = {}
  for (const mount of JWT_MOUNTS) {
    const r = await s.client().post(`/${mount}/login`, { ...who, transport: 'body' })
    t.equal(r.status, 200, `${who.username} logs in on /${mount}`)
    jwt[mount] = { access: r.body.access_token, refresh: r.body.refresh_token }
  }
  return { session, jwt }
}

t.test('demo mode mounts every JWT revocation mode; each takes only its own tokens', async t => {
  const s = await startApp(t, { DEMO_MODE: 'true', AUTH_STRATEGIES: 'session,jwt', JWT_REVOCATION: 'none' })
  const info = await s.client().get('/demo/info')
  t.equal(info.status, 200)
  t.same(info.body.mounts.map((m: { name: string }) => m.name), MOUNTS, 'session, the configured /jwt and the other modes')
  t.match(info.body.mounts, [{ kind: 'session' }, { kind: 'jwt', revocation: 'none' }, { kind: 'jwt', revocation: 'denylist' }, { kind: 'jwt', revocation: 'version' }])
  const logins = await loginEverywhere(t, s, alice)
  t.match((await logins.session.get('/session/api/me')).body, { username: 'alice', strategy: 'session' })
  for (const mount of JWT_MOUNTS) {
    const me = await s.client().get(`/${mount}/api/me`, { bearer: logins.jwt[mount]!.access })
    t.equal(me.status, 200, `/${mount}/api/me takes its own token`)
    t.equal(me.body.strategy, mount)
  }
  for (const other of ['jwt', 'jwt-denylist'] as const) {
    const r = await s.client().get(`/${other}/api/me`, { bearer: logins.jwt['jwt-version']!.access })
    t.equal(r.status, 401, `a /jwt-version token is refused on /${other}`)
    t.equal(r.body.error, 'invalid_token', 'another audience')
  }
  const refresh = await s.client().post('/jwt-denylist/refresh', { refresh_token: logins.jwt['jwt-version']!.refresh })
  t.equal(refresh.status, 401, 'a /jwt-version refresh token is unknown to /jwt-denylist (its own store prefix)')
})

t.test('a configured JWT_REVOCATION=version stays at /jwt; the others take /jwt-<mode>', async t => {
  const s = await startApp(t, { DEMO_MODE: 'true', JWT_REVOCATION: 'version' })
  const info = await s.client().get('/demo/info')
  t.same(info.body.mounts.map((m: { name: string, revocation?: string }) => `${m.name}:${m.revocation ?? '-'}`), ['session:-', 'jwt:version', 'jwt-none:none', 'jwt-denylist:denylist'])
})

t.test('outside demo mode: one mount per strategy, no reset', async t => {
  const s = await startApp(t, { DEMO_MODE: 'false' })
  for (const mount of ['jwt-denylist', 'jwt-version', 'jwt-none']) {
    t.equal((await s.client().post(`/${mount}/login`, { username: 'x', password: 'y', transport: 'body' })).status, 404, `/${mount} is not mounted`)
  }
  const reset = await s.client().post('/demo/reset')
  t.equal(reset.status, 404, 'POST /demo/reset does not exist')
})

t.test('reset: the demo accounts as published, every login of theirs ended on every mount', async t => {
  const s = await startApp(t, { DEMO_MODE: 'true', JWT_REVOCATION: 'none' })
  const token = await adminToken(s)
  const newPassword = { username: 'alice', password: 'a-new-password-1' }
  t.equal((await s.client().post('/admin/users/alice/password', { password: newPassword.password }, { bearer: token })).status, 200, 'the admin changes alice\'s password')
  t.equal((await s.client().post('/admin/users/bob/role', { role: 'admin' }, { bearer: token })).status, 200, 'bob becomes an admin')
  t.equal((await s.client().post('/admin/users/bob/disable', undefined, { bearer: token })).status, 200, 'bob is disabled')
  t.equal((await s.client().post('/session/login', alice)).status, 401, 'the published password no longer works')
  const before = await loginEverywhere(t, s, newPassword)

  const reset = await s.client().post('/demo/reset')
  t.equal(reset.status, 200, 'reset answers')
  t.same(reset.body.reset, ['alice', 'bob', 'admin'], 'every demo account')
  t.same(reset.body.loginsEnded, { session: 1, jwt: 2, 'jwt-denylist': 1, 'jwt-version': 1 }, 'alice\'s login on each mount ended, and the admin\'s on /jwt')
  t.equal(reset.body.lootCleared, true)

  t.equal((await s.client().post('/session/login', newPassword)).status, 401, 'the changed password is gone')
  const after = await loginEverywhere(t, s, alice)
  t.match((await after.session.get('/session/api/me')).body, { username: 'alice', role: 'user' }, 'alice with alice-password again')
  const bobSession = s.client()
  t.equal((await bobSession.post('/session/login', bob)).status, 200, 'bob is enabled again')
  t.equal((await bobSession.get('/session/api/me')).body.role, 'user', 'bob has his published role again')

  const old = await before.session.get('/session/api/me')
  t.equal(old.status, 401, 'the session from before the reset is refused')
  t.equal(old.body.error, 'session_revoked')
  for (const mount of JWT_MOUNTS) {
    const refresh = await s.client().post(`/${mount}/refresh`, { refresh_token: before.jwt[mount]!.refresh })
    t.equal(refresh.status, 401, `/${mount}: the refresh token from before the reset is refused`)
  }
  for (const mount of ['jwt-denylist', 'jwt-version']) {
    const me = await s.client().get(`/${mount}/api/me`, { bearer: before.jwt[mount]!.access })
    t.equal(me.status, 401, `/${mount}: the access token from before the reset is refused at once`)
  }
  const none = await s.client().get('/jwt/api/me', { bearer: before.jwt.jwt!.access })
  t.equal(none.status, 200, '/jwt (none): the old access token lives until its exp, as that mode promises')
})

t.test('reset starts the demo users\' login limit count afresh', async t => {
  const s = await startApp(t, { DEMO_MODE: 'true', LOGIN_RATE_LIMIT: '3/15m', LOGIN_RATE_LIMIT_PER_ADDRESS: '100/15m' })
  for (let i = 0; i < 3; i++) t.equal((await s.client().post('/session/login', { username: 'bob', password: 'mistyped' })).status, 401, `mistyped password ${i + 1}`)
  const locked = await s.client().post('/session/login', bob)
  t.equal(locked.status, 429, 'bob is over the limit, even with the right password')
  t.equal((await s.client().post('/demo/reset')).status, 200)
  t.equal((await s.client().post('/session/login', bob)).status, 200, 'after the reset bob logs in')
})

t.test('reset: another site cannot trigger it; ADMIN_PASSWORD keeps the admin out of it', async t => {
  const s = await startApp(t, { DEMO_MODE: 'true', ADMIN_PASSWORD: 'correct-horse-battery-staple' })
  const cross = await s.client().post('/demo/reset', undefined, { headers: { origin: 'https://evil.example' } })
  t.equal(cross.status, 403, 'a cross-origin reset is refused')
  t.equal(cross.body.error, 'csrf_rejected')
  const reset = await s.client().post('/demo/reset')
  t.same(reset.body.reset, ['alice', 'bob'], 'the admin is no demo account here')
  t.equal((await s.client().post('/session/login', { username: 'admin', password: 'correct-horse-battery-staple' })).status, 200, 'the admin keeps ADMIN_PASSWORD')
})

t.test('reset brings back a demo account whose record vanished (a store that restarted empty, or half a wipe)', async t => {
  const s = await startApp(t, { DEMO_MODE: 'true' })
  const bobRecord = await s.app.svj.users.findByUsername('bob')
  t.ok(bobRecord, 'bob exists')
  // bob loses only his record (his username index stays behind); alice loses both.
  await s.app.svj.store.del(`user:${bobRecord!.id}`)
  const aliceRecord = await s.app.svj.users.findByUsername('alice')
  await s.app.svj.store.del('username:alice', `user:${aliceRecord!.id}`)
  const reset = await s.client().post('/demo/reset')
  t.equal(reset.status, 200)
  t.same(reset.body.reset, ['alice', 'bob', 'admin'], 'every demo account restored')
  for (const who of [alice, bob]) {
    const login = await s.client().post('/session/login', who)
    t.equal(login.status, 200, `${who.username} logs in after the reset`)
  }
})

t.test('reset gives a renamed demo account its name back and ends its logins (the rename story)', async t => {
  const s = await startApp(t, { DEMO_MODE: 'true', JWT_REVOCATION: 'none' })
  const before = await loginEverywhere(t, s, alice)
  const token = await adminToken(s)
  const renamed = await s.client().post('/admin/users/alice/username', { username: 'alice-renamed' }, { bearer: token })
  t.equal(renamed.status, 200, 'the admin renames alice')
  const id = renamed.body.user.id as string

  const reset = await s.client().post('/demo/reset')
  t.equal(reset.status, 200)
  t.same(reset.body.reset, ['alice', 'bob', 'admin'], 'every demo account')
  t.equal(reset.body.loginsEnded.session, 1, 'the renamed account\'s session was ended, not left to a second alice')
  t.equal((await before.session.get('/session/api/me')).status, 401, 'the session from before the rename and reset is refused')
  for (const mount of JWT_MOUNTS) {
    t.equal((await s.client().post(`/${mount}/refresh`, { refresh_token: before.jwt[mount]!.refresh })).status, 401, `/${mount}: its refresh token is refused`)
  }
  t.equal((await s.app.svj.users.findByUsername('alice'))?.id, id, 'alice is the same account again, not a new one')
  t.equal(await s.app.svj.users.findByUsername('alice-renamed'), null, 'the new name is gone')
  t.equal((await s.client().post('/session/login', { ...alice, username: 'alice-renamed' })).status, 401, 'the renamed name no longer logs in')
  const again = s.client()
  t.equal((await again.post('/session/login', alice)).status, 200, 'alice logs in with her published name and password')
  t.equal((await again.get('/session/api/me')).body.username, 'alice')
  const second = await s.client().post('/admin/users/alice/username', { username: 'alice-renamed' }, { bearer: await adminToken(s) })
  t.equal(second.status, 200, 'the story can rename her again: the new name is free')
})
