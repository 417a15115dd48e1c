/**
 * "Flag, don't block": a refresh from an address or user agent the login has not seen still works, and
 * the device list shows a flag on that login. Recorded on the refresh's own family write: the protected
 * request path does not change (x-auth-store-ops stays what the mode costs). Real HTTP, every store.
 */
import t from 'tap'
import { forEachStore, startApp } from './helpers/app.js'
import { alice, jwtLogin } from './helpers/jwt.js'
import { MAX_FLAGS } from '../src/strategies/jwt/refresh-tokens.js'

/** A request as if it came through the one trusted proxy from `ip` (TRUST_PROXY=loopback below). */
const from = (ip: string, userAgent: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': ip, 'user-agent': userAgent } })

forEachStore(t, async (t, store) => {
  for (const mode of ['none', 'version'] as const) {
    t.test(`JWT_REVOCATION=${mode}: a refresh from a new address is flagged and still succeeds; protected requests cost the same`, async t => {
      const s = await startApp(t, { STORE: store, AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: mode, TRUST_PROXY: 'loopback' })
      const c = s.client()
      const login = await c.post('/jwt/login', { ...alice, transport: 'body' }, from('198.51.100.7', 'alice-phone/1.0'))
      t.equal(login.status, 200)
      const opsBefore = (await c.get('/jwt/api/me', { bearer: login.body.access_token })).storeOps
      t.equal(opsBefore, mode === 'none' ? '0' : '1', 'what the mode costs per request')

      const same = await c.post('/jwt/refresh', { refresh_token: login.body.refresh_token }, from('198.51.100.7', 'alice-phone/1.0'))
      t.equal(same.status, 200, 'a refresh from the login\'s own address and user agent')
      let devices = await c.get('/jwt/devices', { bearer: same.body.access_token })
      t.same(devices.body[0].flags, [], 'nothing new: no flag')

      const moved = await c.post('/jwt/refresh', { refresh_token: same.body.refresh_token }, from('203.0.113.66', 'alice-phone/1.0'))
      t.equal(moved.status, 200, 'a refresh from a new address is not refused')
      devices = await c.get('/jwt/devices', { bearer: moved.body.access_token })
      t.equal(devices.status, 200)
      t.equal(devices.body.length, 1, 'still one login')
      t.match(devices.body[0], { ip: '198.51.100.7', userAgent: 'alice-phone/1.0', flags: [{ kind: 'new_address', ip: '203.0.113.66', userAgent: 'alice-phone/1.0', at: String }] })
      t.equal(devices.body[0].flags.length, 1, 'one flag: the user agent is the login\'s own')
      t.ok(Date.parse(devices.body[0].flags[0].at) <= Date.now(), 'at is an ISO time')

      const again = await c.post('/jwt/refresh', { refresh_token: moved.body.refresh_token }, from('203.0.113.66', 'attacker-laptop/1.0'))
      t.equal(again.status, 200)
      devices = await c.get('/jwt/devices', { bearer: again.body.access_token })
      t.same(devices.body[0].flags.map((f: { kind: string }) => f.kind), ['new_address', 'new_user_agent'], 'a flagged address is not flagged twice; a new user agent is')

      const opsAfter = await c.get('/jwt/api/me', { bearer: again.body.access_token })
      t.equal(opsAfter.status, 200)
      t.equal(opsAfter.storeOps, opsBefore, 'x-auth-store-ops unchanged: flags cost nothing on protected requests')
    })
  }

  t.test('flags are bounded: the newest MAX_FLAGS are kept', async t => {
    const s = await startApp(t, { STORE: store, AUTH_STRATEGIES: 'jwt', TRUST_PROXY: 'loopback' })
    const c = s.client()
    const login = await jwtLogin(s, alice)
    let refresh = login.refresh
    let access = login.access
    for (let i = 1; i <= MAX_FLAGS + 3; i++) {
      const r = await c.post('/jwt/refresh', { refresh_token: refresh }, from(`192.0.2.${i}`, 'same-agent'))
      t.equal(r.status, 200, `refresh from 192.0.2.${i}`)
      refresh = r.body.refresh_token
      access = r.body.access_token
    }
    const devices = await c.get('/jwt/devices', { bearer: access })
    const ips = devices.body[0].flags.filter((f: { kind: string }) => f.kind === 'new_address').map((f: { ip: string }) => f.ip)
    t.equal(devices.body[0].flags.length, MAX_FLAGS, `at most ${MAX_FLAGS} flags`)
    t.equal(ips.at(-1), `192.0.2.${MAX_FLAGS + 3}`, 'the newest is kept')
    t.notOk(ips.includes('192.0.2.1'), 'the oldest dropped')
  })

  t.test('session device lists carry no flags (a session request writes nothing new)', async t => {
    const s = await startApp(t, { STORE: store, AUTH_STRATEGIES: 'session', TRUST_PROXY: 'loopback' })
    const c = s.client()
    t.equal((await c.post('/session/login', alice, from('198.51.100.7', 'alice-phone/1.0'))).status, 200)
    const me = await c.get('/session/api/me', from('203.0.113.66', 'attacker-laptop/1.0'))
    t.equal(me.status, 200, 'the copied cookie works from anywhere')
    const devices = await c.get('/session/devices')
    t.match(devices.body, [{ ip: '198.51.100.7', flags: [] }])
  })
})
