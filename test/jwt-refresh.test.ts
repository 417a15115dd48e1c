import t from 'tap'
import { forEachStore, startApp, waitFor } from './helpers/app.js'
import { admin, alice, decodeJwt, jwtLogin } from './helpers/jwt.js'
import { JWT_KEYS } from '../src/strategies/jwt/store-keys.js'

/** The store key of the family an access token belongs to. */
const familyKeyOf = (access: string): string => {
  const { sub, sid } = decodeJwt(access).payload as { sub: string, sid: string }
  return JWT_KEYS.family(sub, sid)
}

forEachStore(t, async (t, store) => {
  const env = { STORE: store, AUTH_STRATEGIES: 'jwt' }

  t.test('rotation: every refresh spends the token; a replay revokes the family', async t => {
    const s = await startApp(t, env)
    const c = s.client()
    const l = await jwtLogin(s, alice)
    const chain = [l.refresh]
    for (let i = 0; i < 3; i++) {
      const r = await c.post('/jwt/refresh', { refresh_token: chain[chain.length - 1] })
      t.equal(r.status, 200, `refresh ${i + 1}`)
      chain.push(r.body.refresh_token)
    }
    t.equal(new Set(chain).size, 4, 'a new token each time')
    const stolen = await c.post('/jwt/refresh', { refresh_token: chain[1] })
    t.equal(stolen.status, 401)
    t.equal(stolen.body.error, 'refresh_token_reused')
    const newest = await c.post('/jwt/refresh', { refresh_token: chain[3] })
    t.equal(newest.status, 401, 'the legitimate newest token is dead too: both parties must log in again')
    t.equal(newest.body.error, 'invalid_refresh_token')
    t.equal((await c.post('/jwt/refresh', { refresh_token: chain[1] })).body.error, 'refresh_token_reused', 'a spent token stays recognised')
    const fresh = await jwtLogin(s, alice)
    t.equal((await c.get('/jwt/devices', { bearer: fresh.access })).body.length, 1, 'only the new login is left')
    // Tokens are stored only as hashes.
    const sid = decodeJwt(fresh.access).payload.sid as string
    t.equal(await s.app.svj.store.get(`rt:${fresh.refresh}`), null)
    const fam = JWT_KEYS.family(decodeJwt(fresh.access).payload.sub as string, sid)
    t.match(await s.app.svj.store.get(fam), /"userId"/)
    t.notMatch(await s.app.svj.store.get(fam), fresh.refresh)
  })

  t.test('concurrent refreshes with one token: exactly one wins', async t => {
    const s = await startApp(t, env)
    const l = await jwtLogin(s, alice)
    const replies = await Promise.all(Array.from({ length: 12 }, async () =>
      await s.client().post('/jwt/refresh', { refresh_token: l.refresh })))
    const ok = replies.filter(r => r.status === 200)
    t.ok(ok.length <= 1, `at most one 200 (${ok.length})`)
    // The token is spent exactly once. Its spender gets the only 200 unless a loser's reuse detection
    // ended the family before the spender recorded its rotation: then nothing at all is issued.
    const expected = ok.length === 1 ? Array(11).fill('refresh_token_reused') : ['invalid_refresh_token', ...Array(11).fill('refresh_token_reused')]
    t.same(replies.filter(r => r.status !== 200).map(r => r.body.error).sort(), expected)
    t.ok(replies.every(r => r.status === 200 || r.body.access_token === undefined), 'no refused refresh carries an access token')
    // The losers were reuse: the family, including the winner's new token, is gone.
    if (ok.length === 1) t.equal((await s.client().post('/jwt/refresh', { refresh_token: ok[0]?.body.refresh_token })).body.error, 'invalid_refresh_token')
    t.equal(await s.app.svj.store.get(familyKeyOf(l.access)), null, 'the family ended')
  })

  t.test('REFRESH_REUSE_GRACE lets a just-rotated token be retried', async t => {
    const s = await startApp(t, { ...env, REFRESH_REUSE_GRACE: '30s' })
    const c = s.client()
    const l = await jwtLogin(s, alice)
    const first = await c.post('/jwt/refresh', { refresh_token: l.refresh })
    t.equal(first.status, 200)
    const retry = await c.post('/jwt/refresh', { refresh_token: l.refresh })
    t.equal(retry.status, 200, 'the retry (response lost on a flaky network) succeeds')
    t.not(retry.body.refresh_token, first.body.refresh_token)
    t.equal((await c.post('/jwt/refresh', { refresh_token: retry.body.refresh_token })).status, 200, 'no family revocation inside the window: the retry\'s chain rotates on')
    t.equal((await c.get('/jwt/devices', { bearer: retry.body.access_token })).body.length, 1, 'still one login')
    // The retry killed the first successor, so the login cannot fork into two chains.
    const killed = await c.post('/jwt/refresh', { refresh_token: first.body.refresh_token })
    t.equal(killed.status, 401, 'the first successor no longer refreshes')
    t.equal(killed.body.error, 'refresh_token_reused')
  })

  t.test('absolute lifetime caps the family however often it refreshes', async t => {
    const s = await startApp(t, { ...env, REFRESH_ABSOLUTE_TTL: '2s', REFRESH_TTL: '1d' })
    const started = Date.now()
    const l = await jwtLogin(s, alice, 'cookie')
    const maxAge = Number(l.reply.setCookies[0]?.attributes['max-age'])
    t.ok(maxAge <= 2, `cookie Max-Age ${maxAge} never past the absolute lifetime`)
    let last = await l.client.post('/jwt/refresh')
    t.equal(last.status, 200)
    t.ok(await waitFor(async () => {
      last = await l.client.post('/jwt/refresh')
      return last.status !== 200
    }, 5000, 100), 'refreshing keeps working only until the absolute lifetime')
    t.equal(last.status, 401)
    t.equal(last.body.error, 'invalid_refresh_token')
    const lived = Date.now() - started
    t.ok(lived >= 1900 && lived < 4000, `ended after ${lived} ms`)
  })

  t.test('idle lifetime: an unused family expires after REFRESH_TTL', async t => {
    const s = await startApp(t, { ...env, REFRESH_TTL: '1s' })
    const l = await jwtLogin(s, alice)
    const sid = decodeJwt(l.access).payload.sid as string
    const ttl = await s.app.svj.store.ttl(JWT_KEYS.family(decodeJwt(l.access).payload.sub as string, sid))
    t.ok(ttl > 0 && ttl <= 1000, `family TTL ${ttl} ms`)
    t.ok(await waitFor(async () => await s.app.svj.store.ttl(JWT_KEYS.family(decodeJwt(l.access).payload.sub as string, sid)) === -2, 3000, 50), 'the store expires the family')
    const r = await s.client().post('/jwt/refresh', { refresh_token: l.refresh })
    t.equal(r.status, 401)
    t.equal(r.body.error, 'invalid_refresh_token')
  })

  t.test('refresh re-reads the user', async t => {
    const s = await startApp(t, env)
    const c = s.client()
    const a = await jwtLogin(s, admin)
    const l = await jwtLogin(s, alice)
    const ver = decodeJwt(l.access).payload.ver as number

    const promote = await c.post('/admin/users/alice/role', { role: 'admin' }, { bearer: a.access })
    t.equal(promote.status, 200)
    t.equal(promote.body.loginsAffected.jwt, 1, 'a role change keeps the family')
    const r = await c.post('/jwt/refresh', { refresh_token: l.refresh })
    t.equal(r.status, 200)
    t.match(decodeJwt(r.body.access_token).payload, { role: 'admin', ver: ver + 1 }, 'next access token: new role, current version')
    t.equal((await c.get('/jwt/api/admin', { bearer: r.body.access_token })).status, 200)

    // Disabled behind the strategies' back (as another instance or a direct DB edit would): the
    // refresh itself must notice.
    await s.app.svj.users.change('alice', 'disable')
    const disabled = await c.post('/jwt/refresh', { refresh_token: r.body.refresh_token })
    t.equal(disabled.status, 401)
    t.equal(disabled.body.error, 'account_disabled')
    t.equal(await s.app.svj.store.get(familyKeyOf(l.access)), null, 'the family ended')

    await c.post('/admin/users/alice/enable', undefined, { bearer: a.access })
    const l2 = await jwtLogin(s, alice)
    const pw = await c.post('/admin/users/alice/password', { password: 'new-alice-password' }, { bearer: a.access })
    t.equal(pw.body.loginsAffected.jwt, 1, 'a password change ends every family')
    t.equal((await c.post('/jwt/refresh', { refresh_token: l2.refresh })).body.error, 'invalid_refresh_token')
    const l3 = await jwtLogin(s, { username: 'alice', password: 'new-alice-password' })
    const l4 = await jwtLogin(s, { username: 'alice', password: 'new-alice-password' })
    const revoke = await c.post('/admin/users/alice/revoke', undefined, { bearer: a.access })
    t.equal(revoke.body.loginsAffected.jwt, 2, 'revoke-all ends every family')
    for (const l of [l3, l4]) t.equal((await c.post('/jwt/refresh', { refresh_token: l.refresh })).body.error, 'invalid_refresh_token')
  })

  t.test('garbage refresh input: 4xx with a JSON code, never 500', async t => {
    const s = await startApp(t, env)
    const c = s.client()
    const l = await jwtLogin(s, alice)
    const cases: Array<[string, () => Promise<any>, number, string]> = [
      ['nothing', async () => await c.post('/jwt/refresh'), 401, 'missing_credentials'],
      ['short token', async () => await c.post('/jwt/refresh', { refresh_token: 'abc' }), 401, 'invalid_refresh_token'],
      ['unknown well-formed token', async () => await c.post('/jwt/refresh', { refresh_token: 'A'.repeat(43) }), 401, 'invalid_refresh_token'],
      ['access token as refresh token', async () => await c.post('/jwt/refresh', { refresh_token: l.access }), 401, 'invalid_refresh_token'],
      ['non-string token', async () => await c.post('/jwt/refresh', { refresh_token: 123 }), 400, 'invalid_request'],
      ['empty token', async () => await c.post('/jwt/refresh', { refresh_token: '' }), 400, 'invalid_request'],
      ['huge token', async () => await c.post('/jwt/refresh', { refresh_token: 'x'.repeat(5000) }), 400, 'invalid_request'],
      ['unknown property', async () => await c.post('/jwt/refresh', { refresh_token: l.refresh, x: 1 }), 400, 'invalid_request'],
      ['array body', async () => await c.post('/jwt/refresh', [l.refresh]), 400, 'invalid_request'],
      ['broken JSON', async () => await c.post('/jwt/refresh', undefined, { body: '{', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json'],
      ['text body', async () => await c.post('/jwt/refresh', undefined, { body: l.refresh, headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type'],
      ['garbage cookie', async () => await c.post('/jwt/refresh', undefined, { headers: { cookie: 'rt=%%%garbage' } }), 401, 'invalid_refresh_token'],
      ['cookie with a JWT', async () => await c.post('/jwt/refresh', undefined, { headers: { cookie: `rt=${l.access}` } }), 401, 'invalid_refresh_token']
    ]
    for (const [name, send, status, code] of cases) {
      const r = await send()
      t.equal(r.status, status, `${name}: ${status}`)
      t.equal(r.body.error, code, `${name}: ${code}`)
    }
    t.equal((await c.post('/jwt/refresh', { refresh_token: l.refresh })).status, 200, 'the real token still works after all that')
    t.equal((await c.post('/jwt/logout', { refresh_token: 'garbage' }, { bearer: 'garbage' })).status, 204, 'logout ignores garbage')
  })
})
