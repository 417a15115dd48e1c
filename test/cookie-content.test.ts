/**
 * What the cookies carry (ASVS V3.2/V3.4, OWASP session management cheat sheet):
 * with COOKIE_SECURE on, `__Host-sid` is a signed random id (192 bits) and `__Secure-rt` an opaque
 * random token (256 bits); neither holds any session data, both stay far below the 4 KB cookie limit,
 * and their size does not depend on what the server keeps about the login (user agent, role).
 */
import { createHash } from 'node:crypto'
import t from 'tap'
import { forEachStore, startApp } from './helpers/app.js'
import type { Reply, SetCookie } from './helpers/http.js'
import { admin, alice } from './helpers/jwt.js'
import { SESSION_KEYS } from '../src/strategies/session/session-records.js'

const https = { 'x-forwarded-proto': 'https' }
const LONG_AGENT = `Mozilla/5.0 ${'x'.repeat(9000)}`

/** The raw Set-Cookie line for a cookie (its full size is what the browser stores). */
function rawSetCookie (r: Reply, name: string): string {
  return r.headers.getSetCookie().find(l => l.startsWith(`${name}=`)) ?? ''
}

forEachStore(t, async (t, store) => {
  t.test('__Host-sid: a signed random id, no session data, well under 4 KB', async t => {
    const s = await startApp(t, { STORE: store, COOKIE_SECURE: 'true', TRUST_PROXY: '1', AUTH_STRATEGIES: 'session' })
    const c = s.client()
    const login = await c.post('/session/login', alice, { headers: { ...https, 'user-agent': LONG_AGENT } })
    t.equal(login.status, 200)
    const cookie = login.setCookies.find(x => x.name === '__Host-sid') as SetCookie
    t.ok(cookie, '__Host-sid is set')
    const line = rawSetCookie(login, '__Host-sid')
    t.ok(line.length < 300, `the whole Set-Cookie line is ${line.length} bytes (the limit is 4096)`)

    const value = decodeURIComponent(cookie.value)
    const match = /^([A-Za-z0-9_-]{32})\.([A-Za-z0-9+/]{43})$/.exec(value)
    t.ok(match, `the value is <32-char id>.<43-char HMAC-SHA256>: ${value.slice(0, 12)}…`)
    const [, id = '', signature = ''] = match ?? []
    t.equal(Buffer.from(id, 'base64url').length, 24, 'the id is 24 random bytes (192 bits)')
    t.equal(Buffer.from(signature, 'base64').length, 32, 'the signature is an HMAC-SHA256')

    const user = login.body.user
    for (const secret of ['alice', user.id, 'user', 'Mozilla', '127.0.0.1', alice.password]) {
      t.notOk(value.includes(secret), `the cookie does not contain ${secret}`)
      t.notOk(Buffer.from(id, 'base64url').toString('latin1').includes(secret), `nor does its decoded id contain ${secret}`)
    }
    // The data is on the server, under the id: the cookie is only a reference to it.
    const record = await s.app.svj.store.get(SESSION_KEYS.session(id))
    t.ok(record, 'the store holds the session record under that id')
    t.match(JSON.parse(record ?? '{}'), { auth: { username: 'alice', role: 'user', userId: user.id } })
    t.equal(JSON.parse(record ?? '{}').auth.userAgent.length, 200, 'the user agent is kept (truncated) server-side, not in the cookie')
    const stored = JSON.parse(record ?? '{}') as { rev: number, cookie: Record<string, unknown> }
    t.same(Object.keys(stored), ['rev', 'cookie', 'auth'], 'the record holds its revision, its cookie lifetime and the login, nothing else')
    t.same(Object.keys(stored.cookie).sort(), ['expires', 'originalMaxAge'], 'of the cookie only what differs between sessions (the rest is configuration)')
    t.ok(new Date(stored.cookie.expires as string).getTime() > Date.now(), 'with its expiry')
    t.ok(await s.app.svj.store.ttl(SESSION_KEYS.session(id)) > 0, 'and the record expires with the cookie')

    // Size does not follow the session's content: a short user agent, another user, a role change.
    const other = s.client()
    const l2 = await other.post('/session/login', admin, { headers: { ...https, 'user-agent': 'curl/8' } })
    t.equal(decodeURIComponent(l2.setCookies[0]!.value).length, value.length, 'same size for another user and device')
    t.equal((await other.post('/admin/users/alice/role', { role: 'admin' }, { headers: https })).status, 200)
    t.equal((await c.get('/session/api/me', { headers: https })).body.role, 'admin', 'the role changed server-side…')
    t.equal(c.cookies.get('__Host-sid'), cookie.value, '…and the cookie did not change at all')

    const ids = new Set<string>()
    for (let i = 0; i < 10; i++) ids.add((await s.client().post('/session/login', alice, { headers: https })).setCookies[0]!.value)
    t.equal(ids.size, 10, 'every login gets a fresh id')
  })

  t.test('__Secure-rt: an opaque random token, stored only as a hash', async t => {
    const s = await startApp(t, { STORE: store, COOKIE_SECURE: 'true', TRUST_PROXY: '1', AUTH_STRATEGIES: 'jwt' })
    const c = s.client()
    const login = await c.post('/jwt/login', alice, { headers: { ...https, 'user-agent': LONG_AGENT } })
    t.equal(login.status, 200)
    const cookie = login.setCookies.find(x => x.name === '__Secure-rt') as SetCookie
    t.ok(cookie, '__Secure-rt is set')
    t.equal(cookie.attributes.path, '/jwt')
    const line = rawSetCookie(login, '__Secure-rt')
    t.ok(line.length < 200, `the whole Set-Cookie line is ${line.length} bytes`)
    t.match(cookie.value, /^[A-Za-z0-9_-]{43}$/, '43 base64url characters: 32 random bytes')
    t.notOk(cookie.value.includes('.'), 'not a JWT or any other structured value')
    t.notOk(Buffer.from(cookie.value, 'base64url').toString('latin1').includes('alice'), 'decodes to nothing readable')
    t.equal(await s.app.svj.store.get(`rt:${cookie.value}`), null, 'the token itself is stored nowhere')
    const record = await s.app.svj.store.get(`rt:${createHash('sha256').update(cookie.value).digest('base64url')}`)
    t.match(JSON.parse(record ?? '{}'), { state: 'active' }, 'only its SHA-256 is a store key')

    const refreshed = await c.post('/jwt/refresh', undefined, { headers: https })
    t.equal(refreshed.status, 200)
    t.equal(refreshed.setCookies.find(x => x.name === '__Secure-rt')?.value.length, 43, 'the rotated token has the same size')
  })
})
