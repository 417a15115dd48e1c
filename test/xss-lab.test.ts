/**
 * The demo-only XSS lab (web/static/xss-lab.html) that demo story 18 drives: served only in demo mode, under
 * the strict page CSP, and in Chromium its "injected" script reads the JWT access token (page memory and
 * localStorage) but never an HttpOnly cookie, and rides the cookies with same-origin requests.
 */
import t from 'tap'
import { launchChromium } from '../harness/browser.js'
import { chromiumOrSkip } from './helpers/browser.js'
import { startApp } from './helpers/app.js'

const skip = chromiumOrSkip(t, 'xss lab test')

t.test('the lab is a demo-mode page: absent otherwise, under the strict CSP in demo mode', async t => {
  const off = await startApp(t, { DEMO_MODE: 'false' })
  t.equal((await off.client().get('/xss-lab.html')).status, 404, 'no lab outside demo mode')
  t.equal((await off.client().get('/xss-lab-injected.js')).status, 404, 'nor its injected script')
  const on = await startApp(t, { DEMO_MODE: 'true' })
  const page = await on.client().get('/xss-lab.html')
  t.equal(page.status, 200)
  t.match(page.headers.get('content-security-policy'), /script-src 'self'/)
  t.notMatch(page.headers.get('content-security-policy'), /unsafe-inline/)
  t.match(page.text, /<script type="module" src="\/xss-lab-injected.js"><\/script>/, 'the injected script is a file, loaded on purpose')
  t.notMatch(page.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script')
})

t.test('in Chromium: what the injected script reads and rides, per strategy', { skip }, async t => {
  const s = await startApp(t, { DEMO_MODE: 'true', AUTH_STRATEGIES: 'session,jwt', JWT_ACCESS_TTL: '60s' })
  const browser = await launchChromium()
  t.teardown(browser.close)
  const { context, page } = browser
  const problems: string[] = []
  page.on('pageerror', err => { problems.push(err.message) })
  page.on('console', msg => { if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text()) })
  for (const mount of ['/session', '/jwt']) {
    await page.goto(`${s.url}/xss-lab.html?mount=${mount}`)
    await page.locator('#login button[type=submit]').click()
    await page.locator('#report[data-done="true"]').waitFor({ timeout: 10_000 })
    const report = JSON.parse(await page.locator('#report').textContent() ?? '{}')
    t.equal(report.documentCookie, '', `${mount}: document.cookie shows no HttpOnly cookie`)
    if (mount === '/session') {
      t.same(report.localStorage, {}, 'session: nothing in localStorage')
      t.same(report.memory, [], 'session: no token in page memory')
      t.match(report.rides, [{ path: '/session/api/notes', status: 201 }], 'session: the script rides the cookie')
    } else {
      t.match(report.localStorage, { access_token: /^eyJ/ }, 'jwt: the access token in localStorage')
      t.ok(report.memory.length > 0, 'jwt: the access token seen in page memory')
      t.match(report.rides, [{ path: '/jwt/api/notes', status: 401 }, { path: '/jwt/refresh', status: 200, gotAccessToken: true }], 'jwt: the refresh cookie is ridden to a fresh token')
      t.equal(report.stolenTokenWorks, 200, 'jwt: the read token works without any cookie')
    }
    await context.clearCookies()
    await page.evaluate('localStorage.clear()')
  }
  t.same(problems, [], 'no CSP violation or page error')
})
