import t, { type Test } from 'tap'
import { forEachStore, ownRedisTest, startApp, waitFor, type TestApp } from './helpers/app.js'
import { startOwnRedis } from './helpers/redis.js'
import { admin, alice, benchUser, decodeJwt, jwtLogin } from './helpers/jwt.js'
import { JWT_KEYS } from '../src/strategies/jwt/store-keys.js'

type Mode = 'none' | 'denylist' | 'version'

/**
 * What an access token issued before each event does right after it, per mode (the table "Which revocation mode do I want?" in src/strategies/jwt/README.md).
 * 'ok' = still 200 (stateless: valid until exp, stated plainly), 'revoked' = 401 token_revoked at once.
 */
const EXPECTED: Record<Mode, Record<'logout' | 'revoke' | 'disable' | 'password' | 'role' | 'device', 'ok' | 'revoked'>> = {
  none: { logout: 'ok', revoke: 'ok', disable: 'ok', password: 'ok', role: 'ok', device: 'ok' },
  denylist: { logout: 'revoked', revoke: 'revoked', disable: 'revoked', password: 'revoked', role: 'ok', device: 'revoked' },
  version: { logout: 'ok', revoke: 'revoked', disable: 'revoked', password: 'revoked', role: 'revoked', device: 'ok' }
}
const OPS: Record<Mode, string> = { none: '0', denylist: '1', version: '1' }

async function expectAccess (t: Test, s: TestApp, token: string, expected: 'ok' | 'revoked', what: string): Promise<void> {
  const r = await s.client().get('/jwt/api/me', { bearer: token })
  if (expected === 'ok') {
    t.equal(r.status, 200, `${what}: the old access token still works until exp`)
  } else {
    t.equal(r.status, 401, `${what}: the old access token is refused at once`)
    t.equal(r.body.error, 'token_revoked', `${what}: token_revoked`)
    t.equal(r.headers.get('www-authenticate'), 'Bearer error="invalid_token"')
  }
}

forEachStore(t, async (t, store) => {
  for (const mode of ['none', 'denylist', 'version'] as const) {
    t.test(`JWT_REVOCATION=${mode}`, async t => {
      const s = await startApp(t, { STORE: store, AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: mode, BENCH_USERS: '6' })
      const c = s.client()
      const boss = await jwtLogin(s, admin)
      const expected = EXPECTED[mode]

      const me = await c.get('/jwt/api/me', { bearer: boss.access })
      t.equal(me.status, 200)
      t.equal(me.headers.get('x-auth-store-ops'), OPS[mode], `${OPS[mode]} store round trip(s) per protected request`)
      t.comment(`store=${store} mode=${mode}: x-auth-store-ops ${me.headers.get('x-auth-store-ops') ?? '?'}`)

      // logout
      const out = await jwtLogin(s, benchUser(0))
      t.equal((await c.post('/jwt/logout', { refresh_token: out.refresh }, { bearer: out.access })).status, 204)
      await expectAccess(t, s, out.access, expected.logout, 'logout')
      t.equal((await c.post('/jwt/refresh', { refresh_token: out.refresh })).body.error, 'invalid_refresh_token', 'logout: the refresh token is dead in every mode')
      if (mode === 'denylist') {
        const ttl = await s.app.svj.store.ttl(JWT_KEYS.deny(decodeJwt(out.access).payload.sub as string, decodeJwt(out.access).payload.jti as string))
        t.ok(ttl > 0 && ttl <= 905_000, `the denylist entry expires with the token (${ttl} ms)`)
      }

      // admin revoke-all, disable, password change
      const changes = [
        ['revoke', 1, '/revoke', undefined],
        ['disable', 2, '/disable', undefined],
        ['password', 3, '/password', { password: 'another-password' }]
      ] as const
      for (const [change, user, path, body] of changes) {
        const l = await jwtLogin(s, benchUser(user))
        const r = await c.post(`/admin/users/bench${user}${path}`, body, { bearer: boss.access })
        t.equal(r.status, 200)
        t.equal(r.body.loginsAffected.jwt, 1, `${change}: the family ended`)
        await expectAccess(t, s, l.access, expected[change], change)
        t.equal((await c.post('/jwt/refresh', { refresh_token: l.refresh })).body.error, 'invalid_refresh_token', `${change}: refresh refused`)
      }
      // A login right after a revoke works at once: the denylist mark is a version, not a timestamp.
      const again = await jwtLogin(s, benchUser(1))
      t.equal((await c.get('/jwt/api/me', { bearer: again.access })).status, 200, 'a new login after revoke-all is accepted')

      // role change: families survive; the new role arrives at the next refresh (or at once in version mode)
      const l = await jwtLogin(s, benchUser(4))
      t.equal((await c.post('/admin/users/bench4/role', { role: 'admin' }, { bearer: boss.access })).status, 200)
      await expectAccess(t, s, l.access, expected.role, 'role change')
      if (expected.role === 'ok') {
        const stale = await c.get('/jwt/api/me', { bearer: l.access })
        t.equal(stale.body.role, 'user', 'role change: the old token still carries the OLD role until refresh')
        t.equal((await c.get('/jwt/api/admin', { bearer: l.access })).status, 403, 'role change: still not admin with the old token')
      }
      const refreshed = await c.post('/jwt/refresh', { refresh_token: l.refresh })
      t.equal(refreshed.status, 200, 'role change: the family survives')
      t.equal((await c.get('/jwt/api/me', { bearer: refreshed.body.access_token })).body.role, 'admin', 'role change: new role after refresh')
      t.equal((await c.get('/jwt/api/admin', { bearer: refreshed.body.access_token })).status, 200)

      // another device removed from the device list
      const phone = await jwtLogin(s, benchUser(5))
      const laptop = await jwtLogin(s, benchUser(5))
      t.equal((await c.delete(`/jwt/devices/${decodeJwt(phone.access).payload.sid as string}`, { bearer: laptop.access })).status, 204)
      await expectAccess(t, s, phone.access, expected.device, 'device removed')
      t.equal((await c.get('/jwt/api/me', { bearer: laptop.access })).status, 200, 'the other device is untouched')
    })
  }
})

ownRedisTest(t, 'store down: stateless mode keeps verifying, the stateful modes and refresh fail closed', async t => {
  // Persisting, and stopped gracefully, so users and logins are still there when it comes back.
  const redis = await startOwnRedis({ persist: true })
  t.teardown(async () => { await redis.dispose() })
  const env = { STORE: 'redis', REDIS_URL: redis.url, AUTH_STRATEGIES: 'jwt' }
  const apps: Record<Mode, TestApp> = {
    none: await startApp(t, { ...env, JWT_REVOCATION: 'none' }),
    denylist: await startApp(t, { ...env, JWT_REVOCATION: 'denylist' }),
    version: await startApp(t, { ...env, JWT_REVOCATION: 'version' })
  }
  const logins = {
    none: await jwtLogin(apps.none, alice),
    denylist: await jwtLogin(apps.denylist, alice),
    version: await jwtLogin(apps.version, alice)
  }
  await redis.stop(true)

  const stateless = await apps.none.client().get('/jwt/api/me', { bearer: logins.none.access })
  t.equal(stateless.status, 200, 'none: access tokens verify without the store')
  t.equal(stateless.headers.get('x-auth-store-ops'), '0')
  for (const mode of ['denylist', 'version'] as const) {
    const r = await apps[mode].client().get('/jwt/api/me', { bearer: logins[mode].access })
    t.equal(r.status, 503, `${mode}: fail closed`)
    t.equal(r.body.error, 'store_unavailable')
  }
  const refresh = await apps.none.client().post('/jwt/refresh', { refresh_token: logins.none.refresh })
  t.equal(refresh.status, 503, 'refresh needs the store in every mode')
  t.equal(refresh.body.error, 'store_unavailable')
  t.equal((await apps.none.client().post('/jwt/login', { ...alice, transport: 'body' })).status, 503)
  const forged = await apps.none.client().get('/jwt/api/me', { bearer: `${logins.none.access}x` })
  t.equal(forged.status, 401, 'a bad token is still a 401 while the store is down')

  await redis.restart()
  t.ok(await waitFor(async () => (await apps.version.client().get('/jwt/api/me', { bearer: logins.version.access })).status === 200, 10_000, 50),
    'version mode recovers by itself when Redis is back')
  t.equal((await apps.denylist.client().get('/jwt/api/me', { bearer: logins.denylist.access })).status, 200)
})
