import t from 'tap'
import { launchChromium } from '../harness/browser.js'
import { alice } from '../harness/fixtures.js'
import { chromiumOrSkip } from './helpers/browser.js'
import { startApp } from './helpers/app.js'

/**
 * Where a browser sends the session cookie, in real Chromium: the cookie carries no Domain attribute, so it
 * is host-only: another host name for the very same server gets none. Ports do not separate cookies, so a
 * second server on the same host receives it (and, holding no such session, refuses it).
 */
const skip = chromiumOrSkip(t, 'cookie scope test')

t.test('the session cookie is host-only, and blind to ports', { skip }, async t => {
  const a = await startApp(t)
  const b = await startApp(t)
  const browser = await launchChromium()
  t.teardown(browser.close)
  const { page } = browser
  // A blank document of each origin for the page's fetches to start from (the API's own answers carry a
  // CSP that allows no fetch at all); only this path is answered by the test, the rest reaches the servers.
  await page.route('**/blank', async route => { await route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>blank</title>' }) })

  /** GET /session/api/me from a page of `origin`, the browser choosing the cookies. */
  const meFrom = async (origin: string): Promise<{ status: number, error: string | null }> => {
    await page.goto(`${origin}/blank`)
    return await page.evaluate(async () => {
      const res = await fetch('/session/api/me', { credentials: 'same-origin' })
      const body = await res.json() as { error?: string }
      return { status: res.status, error: body.error ?? null }
    })
  }

  await page.goto(`${a.url}/blank`)
  const login = await page.evaluate(async (who) => {
    const res = await fetch('/session/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(who) })
    return res.status
  }, alice)
  t.equal(login, 200, 'logged in on server A (127.0.0.1)')
  const [cookie] = await browser.context.cookies(a.url)
  t.equal(cookie?.domain, '127.0.0.1', 'the browser keeps the cookie for the host that set it')

  t.same(await meFrom(a.url), { status: 200, error: null }, 'A: the cookie is sent back')

  const portB = new URL(b.url).port
  t.not(portB, new URL(a.url).port)
  t.same(await meFrom(b.url), { status: 401, error: 'session_expired' },
    'B, same host, other port: the browser sends the cookie (B checks its signature and finds no such session), so ports do not isolate cookies')

  const otherName = a.url.replace('127.0.0.1', 'localhost')
  t.same(await meFrom(otherName), { status: 401, error: 'missing_credentials' },
    'A under another host name (localhost): no cookie is sent, it is host-only')
})
