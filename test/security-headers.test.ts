import t from 'tap'
import { startApp } from './helpers/app.js'

t.test('security headers: the API set on every JSON answer, the document set on the demo page', async t => {
  const s = await startApp(t, {})
  const c = s.client()
  for (const path of ['/session/api/me', '/jwt/api/me', '/health', '/no-such-route']) {
    const r = await c.get(path)
    t.match(r.headers.get('content-type'), /^application\/json/, `${path}: JSON`)
    t.equal(r.headers.get('content-security-policy'), "default-src 'none';frame-ancestors 'none'", `${path}: a CSP that allows nothing and no framing`)
    t.equal(r.headers.get('x-content-type-options'), 'nosniff')
    t.equal(r.headers.get('referrer-policy'), 'no-referrer')
    t.equal(r.headers.get('x-frame-options'), 'DENY')
    t.equal(r.headers.get('cross-origin-resource-policy'), 'same-origin')
    t.equal(r.headers.get('strict-transport-security'), null, 'no HSTS on a plain-http setup')
    t.equal(r.headers.get('cross-origin-opener-policy'), null, 'no document-only headers on JSON')
    t.equal(r.headers.get('x-powered-by'), null)
  }
  // The demo page (demo mode): helmet's full document set with the strict same-origin CSP.
  for (const path of ['/', '/app.js']) {
    const r = await c.get(path)
    t.equal(r.status, 200, `${path}: served`)
    const csp = r.headers.get('content-security-policy') ?? ''
    t.match(csp, /default-src 'self'/, `${path}: CSP`)
    t.match(csp, /script-src 'self'(;|$)/, 'no inline or eval scripts')
    t.match(csp, /style-src 'self'(;|$)/, 'no inline styles')
    t.match(csp, /frame-ancestors 'none'/)
    t.match(csp, /object-src 'none'/)
    t.equal(r.headers.get('x-content-type-options'), 'nosniff')
    t.equal(r.headers.get('referrer-policy'), 'no-referrer')
    t.equal(r.headers.get('cross-origin-opener-policy'), 'same-origin')
  }
  const secure = await startApp(t, { COOKIE_SECURE: 'true' })
  t.match((await secure.client().get('/health')).headers.get('strict-transport-security'), /max-age=31536000/, 'HSTS when cookies are Secure')
})

t.test('request limits: body size and a request timeout are configured', async t => {
  const s = await startApp(t, {})
  const big = await s.client().request('POST', '/jwt/login', { body: JSON.stringify({ username: 'a', password: 'p'.repeat(17_000) }), headers: { 'content-type': 'application/json' } })
  t.equal(big.status, 413)
  t.equal(big.body.error, 'payload_too_large')
  t.equal(s.app.server.requestTimeout, 30_000, 'slow or stalled requests are cut off')
  t.equal(s.app.initialConfig.bodyLimit, 16 * 1024)
})
