/**
 * The layers that refuse a cross-site form post to a cookie-authenticated route, and DEMO_UNSAFE_CSRF,
 * the demo-only setting that turns all three off for the runner's CSRF story. Real HTTP; the requests
 * carry what a browser would send with a form on another site (Origin, Sec-Fetch-Site, a urlencoded
 * body), with the cookie attached by hand: whether a browser would attach it is the SameSite layer,
 * shown here by the cookie's attribute.
 */
import t from 'tap'
import { startApp } from './helpers/app.js'
import { alice } from './helpers/jwt.js'

const ATTACKER = 'http://localhost:9'
const form = (extra: Record<string, string> = {}): { body: string, headers: Record<string, string> } => ({
  body: new URLSearchParams({ text: 'written by a cross-site form' }).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ATTACKER, 'sec-fetch-site': 'cross-site', ...extra }
})

t.test('project settings: SameSite=Lax, the cross-site check and JSON-only bodies each refuse the form', async t => {
  const s = await startApp(t, { AUTH_STRATEGIES: 'session,jwt' })
  const c = s.client()
  const login = await c.post('/session/login', alice)
  t.equal(login.status, 200)
  t.equal(login.setCookies[0]?.attributes.samesite, 'Lax', 'a browser does not attach it to a cross-site POST')
  const csrf = await c.request('POST', '/session/api/notes', form())
  t.equal(csrf.status, 403, 'attached anyway (an old browser, a same-site attacker): the Origin check refuses it')
  t.equal(csrf.body.error, 'csrf_rejected')
  const { headers: { 'content-type': type } } = form()
  const bare = await c.request('POST', '/session/api/notes', { body: form().body, headers: { 'content-type': type! } })
  t.equal(bare.status, 415, 'no Origin at all (no browser sends a form so): the body type refuses it')
  t.equal(bare.body.error, 'unsupported_media_type')
  // Logout checks the Origin in its handler, so for a form the body rule answers first.
  const logout = await c.request('POST', '/session/logout', form())
  t.equal(logout.status, 415, 'a cross-site logout form is refused too')
  t.equal((await c.get('/session/api/me')).status, 200, 'alice is still logged in')
  const jwt = s.client()
  t.equal((await jwt.post('/jwt/login', { ...alice, transport: 'cookie' })).setCookies[0]?.attributes.samesite, 'Strict', 'the refresh cookie is SameSite=Strict')
})

t.test('DEMO_UNSAFE_CSRF=true: the same form writes a note and logs alice out', async t => {
  const s = await startApp(t, { AUTH_STRATEGIES: 'session', DEMO_UNSAFE_CSRF: 'true' })
  t.equal(s.config.demoUnsafeCsrf, true)
  const c = s.client()
  const login = await c.post('/session/login', alice)
  t.equal(login.setCookies[0]?.attributes.samesite, 'None', 'SameSite=None: attached to cross-site requests')
  const note = await c.request('POST', '/session/api/notes', form())
  t.equal(note.status, 201, 'no Origin check, the form body parsed')
  t.match(note.body, { note: { text: 'written by a cross-site form', author: 'alice' } })
  const logout = await c.request('POST', '/session/logout', form())
  t.equal(logout.status, 204)
  const me = await c.get('/session/api/me', { headers: { cookie: `sid=${login.setCookies[0]?.value ?? ''}` } })
  t.equal(me.status, 401, 'the forged logout ended the session')
})

t.test('DEMO_UNSAFE_CSRF outside demo mode: the server does not start', async t => {
  await t.rejects(startApp(t, { DEMO_MODE: 'false', DEMO_UNSAFE_CSRF: 'true' }), { name: 'ConfigError', message: /DEMO_UNSAFE_CSRF/ })
})
