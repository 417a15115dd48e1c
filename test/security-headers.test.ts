import t from 'tap'
import { startApp } from './helpers/app.js'

t.test('security headers on API responses (and everything else)', async t => {
  const s = await startApp(t, {})
  const c = s.client()
  for (const path of ['/session/api/me', '/jwt/api/me', '/health', '/no-such-route']) {
    const r = await c.get(path)
    const csp = r.headers.get('content-security-policy') ?? ''
    t.match(csp, /default-src 'self'/, `${path}: CSP`)
    t.match(csp, /script-src 'self'(;|$)/, 'no inline or eval scripts')
    t.match(csp, /style-src 'self'(;|$)/, 'no inline styles')
    t.match(csp, /frame-ancestors 'none'/)
    t.match(csp, /object-src 'none'/)
    t.equal(r.headers.get('x-content-type-options'), 'nosniff')
    t.equal(r.headers.get('referrer-policy'), 'no-referrer')
    t.equal(r.headers.get('strict-transport-security'), null, 'no HSTS on a plain-http setup')
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
