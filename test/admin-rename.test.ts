/**
 * POST /admin/users/:username/username over real HTTP on every store: the rename reaches the user record
 * and the username index together (the old name no longer logs in, the new one does), a session shows the
 * new name on its next request, an access token keeps the old `preferred_username` until it is refreshed
 * (a rename bumps no version, in any revocation mode), names stay unique regardless of case, bad input is
 * a 4xx with a stable code, and a rename that stopped half way is finished by sending it again.
 */
import t from 'tap'
import { forEachStore, startApp, type TestApp } from './helpers/app.js'
import { admin, benchUser, decodeJwt, jwtLogin } from './helpers/jwt.js'

/** An admin's bearer token on `s`. */
async function adminToken (s: TestApp): Promise<string> {
  return (await jwtLogin(s, admin)).access
}

forEachStore(t, async (t, store) => {
  t.test('rename: index and record move together; sessions see it at once, tokens at their refresh', async t => {
    const s = await startApp(t, { STORE: store, BENCH_USERS: '3', JWT_REVOCATION: 'version' })
    const boss = await adminToken(s)
    const c = s.client()
    // A session login and a JWT login of bench0, before the rename.
    const browser = s.client()
    t.equal((await browser.post('/session/login', benchUser(0))).status, 200)
    const before = await jwtLogin(s, benchUser(0))

    const r = await c.post('/admin/users/bench0/username', { username: 'renamed0' }, { bearer: boss })
    t.equal(r.status, 200, JSON.stringify(r.body))
    t.equal(r.body.change, 'rename')
    t.equal(r.body.user.username, 'renamed0')
    t.equal(r.body.user.version, decodeJwt(before.access).payload.ver, 'a rename bumps no version')

    const me = await browser.get('/session/api/me')
    t.equal(me.status, 200)
    t.equal(me.body.username, 'renamed0', 'the session shows the new name on its next request')
    const stale = await c.get('/jwt/api/me', { bearer: before.access })
    t.equal(stale.status, 200, 'version mode still accepts the token: nothing it revokes on changed')
    t.equal(stale.body.username, 'bench0', 'the token still carries the old name')
    const refreshed = await c.post('/jwt/refresh', { refresh_token: before.refresh })
    t.equal(refreshed.status, 200)
    t.equal(decodeJwt(refreshed.body.access_token).payload.preferred_username, 'renamed0', 'a refresh brings the new name')

    t.equal((await s.client().post('/session/login', benchUser(0))).status, 401, 'the old name no longer logs in')
    t.equal((await s.client().post('/session/login', { username: 'RENAMED0', password: benchUser(0).password })).status, 200, 'the new one does (case-insensitive, same password)')
    t.equal(await s.app.svj.store.get('username:bench0'), null, 'the old index entry is gone')
    t.equal(await s.app.svj.store.get('username:renamed0'), r.body.user.id, 'the new one names the account')
  })

  t.test('rename: names stay unique, bad input is a 4xx with a code, only admins may', async t => {
    const s = await startApp(t, { STORE: store, BENCH_USERS: '3' })
    const boss = await adminToken(s)
    const c = s.client()
    const taken = await c.post('/admin/users/bench1/username', { username: 'BENCH2' }, { bearer: boss })
    t.equal(taken.status, 409)
    t.equal(taken.body.error, 'username_taken')
    // Logins on clients of their own: a session cookie in the admin's jar would be the credential the admin routes read.
    t.equal((await s.client().post('/session/login', benchUser(1))).status, 200, 'a refused rename left the account as it was')
    t.equal(await s.app.svj.store.get('username:bench2') !== null, true, 'and the other account\'s name')
    const unknown = await c.post('/admin/users/nobody/username', { username: 'somebody' }, { bearer: boss })
    t.equal(unknown.status, 404)
    t.equal(unknown.body.error, 'user_not_found')
    for (const bad of [{ username: '' }, { username: 'has space' }, { username: '-dash-first' }, { username: 'x'.repeat(65) }, { name: 'x' }, {}]) {
      const res = await c.post('/admin/users/bench1/username', bad, { bearer: boss })
      t.equal(res.status, 400, `${JSON.stringify(bad)}: 400`)
      t.equal(res.body.error, 'invalid_request', `${JSON.stringify(bad)}: invalid_request`)
    }
    const user = await jwtLogin(s, benchUser(1))
    const forbidden = await c.post('/admin/users/bench1/username', { username: 'self-made' }, { bearer: user.access })
    t.equal(forbidden.status, 403, 'a user cannot rename (even themself)')
    const caseOnly = await c.post('/admin/users/bench1/username', { username: 'Bench1' }, { bearer: boss })
    t.equal(caseOnly.status, 200, 'a change of case only')
    t.equal(caseOnly.body.user.username, 'Bench1')
    t.equal((await s.client().post('/session/login', benchUser(1))).status, 200, 'still logs in under any case')
  })

  t.test('rename: one that stopped half way is finished by sending it again', async t => {
    const s = await startApp(t, { STORE: store, BENCH_USERS: '1' })
    const boss = await adminToken(s)
    const kv = s.app.svj.store
    // What a server that died after renaming the record, before dropping the old name, leaves behind.
    const id = (await kv.get('username:bench0'))!
    const raw = (await kv.get(`user:${id}`))!
    t.ok(await kv.setIfAbsent('username:halfway', id))
    t.ok(await kv.swap(`user:${id}`, raw, JSON.stringify({ ...JSON.parse(raw), username: 'halfway' })))
    t.equal((await s.client().post('/session/login', benchUser(0))).status, 401, 'the leftover old name logs no one in')
    const again = await s.client().post('/admin/users/bench0/username', { username: 'halfway' }, { bearer: boss })
    t.equal(again.status, 200, JSON.stringify(again.body))
    t.equal(again.body.user.username, 'halfway')
    t.equal(await kv.get('username:bench0'), null, 'the retry dropped the old name')
    t.equal((await s.client().post('/session/login', { username: 'halfway', password: benchUser(0).password })).status, 200)
  })
})
