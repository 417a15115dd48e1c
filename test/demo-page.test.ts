import { spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { Page } from 'playwright-core'
import { launchChromium } from '../harness/browser.js'
import { PUBLIC_DIR } from '../src/routes/demo-routes.js'
import { chromiumOrSkip } from './helpers/browser.js'
import { startApp, waitFor } from './helpers/app.js'
import { freePort } from './helpers/redis.js'

/**
 * The demo page in a real browser (Debian's Chromium through playwright-core; never a downloaded one):
 * one column per mount (session and every JWT revocation mode), log in and call /api/me in each, revoke
 * the user from the admin strip and check each column's revocation timeline against what its mode
 * promises, reset the demo, switch to Korean. The page is served under a strict CSP, as the hardened
 * server will.
 */
const STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
const ARTIFACTS = join(process.cwd(), 'test-artifacts')

const skip = chromiumOrSkip(t, 'demo page test')

async function text (page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).textContent()) ?? ''
}

/** Waits until the element's text matches, and reports what it said otherwise. */
async function expectText (t: Test, page: Page, selector: string, pattern: RegExp, message: string): Promise<void> {
  const ok = await waitFor(async () => pattern.test(await text(page, selector)), 5000, 50)
  t.ok(ok, message, { found: await text(page, selector), wanted: pattern })
}

/**
 * Chromium with a throwaway profile, closed at teardown; `problems` collects page errors and failed
 * requests (but not the page's own requests aborted by a navigation the test makes: `goto`).
 */
async function openPage (t: Test): Promise<{ page: Page, problems: string[], goto: (url: string) => Promise<void> }> {
  const browser = await launchChromium({ viewport: { width: 1366, height: 768 } })
  t.teardown(browser.close)
  const { page } = browser
  const problems: string[] = []
  page.on('pageerror', err => { problems.push(`page error: ${err.message}`) })
  let navigating = false
  page.on('requestfailed', req => { if (!(navigating && req.failure()?.errorText === 'net::ERR_ABORTED')) problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`) })
  const goto = async (url: string): Promise<void> => {
    navigating = true
    try { await page.goto(url) } finally { navigating = false }
  }
  return { page, problems, goto }
}

const COLUMNS = ['session', 'jwt', 'jwt-denylist', 'jwt-version'] as const
const DOCS = process.env.UPDATE_DOCS_SCREENSHOT === '1'

async function screenshot (page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: join(ARTIFACTS, name), ...options })
  if (DOCS) await page.screenshot({ path: join(process.cwd(), 'docs', name), ...options })
}

/** Waits until `selector` matches an element (e.g. a timeline in a given state). */
async function expectPresent (t: Test, page: Page, selector: string, timeoutMs: number, message: string): Promise<void> {
  const ok = await waitFor(async () => await page.locator(selector).count() > 0, timeoutMs, 50)
  t.ok(ok, message, { selector })
}

async function loginColumn (t: Test, page: Page, name: string, user = 'alice'): Promise<void> {
  await page.click(`#col-${name} form button[type=submit]`)
  await expectText(t, page, `#col-${name} [data-role=status]`, new RegExp(`Logged in as ${user}|${user}\\(으\\)로 로그인했습니다`), `${name}: logged in as ${user}`)
}

t.test('demo page: every mode side by side, the revocation timeline, reset and the language switch', { skip }, async t => {
  t.ok(existsSync(join(PUBLIC_DIR, 'app.js')), 'the page is built (npm run build writes dist/public)')
  // An 8 s access token with no clock tolerance: the jwt-none timeline stays green until exp within the test.
  const s = await startApp(t, { AUTH_STRATEGIES: 'session,jwt', JWT_REVOCATION: 'none', JWT_ACCESS_TTL: '8s', JWT_CLOCK_TOLERANCE: '0s', DEMO_MODE: 'true' })
  const { page, problems, goto } = await openPage(t)
  page.on('console', msg => { if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text()) })
  page.on('request', req => { if (!req.url().startsWith(s.url)) problems.push(`external request: ${req.url()}`) })
  // Serve the page under a strict CSP (what src/plugins/security-headers.ts sends). Only the document is routed:
  // route.fetch() would send the context's cookies even on the page's credentials:'omit' requests.
  await page.route(url => url.pathname === '/', async route => {
    const response = await route.fetch()
    await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': STRICT_CSP } })
  })

  await page.goto(`${s.url}/?lang=en`)
  await expectText(t, page, '#server-info', /access token TTL 8 s/, 'the page reads the server settings')
  await expectPresent(t, page, '#col-jwt-version', 5000, 'the columns are built from /demo/info')
  t.same(await page.locator('#columns > section').evaluateAll(els => els.map(e => e.id)), COLUMNS.map(c => `col-${c}`), 'one column per mount, in the server\'s order')
  const tops = await page.locator('#columns > section').evaluateAll(els => els.map(e => Math.round(e.getBoundingClientRect().top)))
  t.equal(new Set(tops).size, 1, 'four columns side by side at 1366 px', { tops })
  await expectText(t, page, '#col-jwt-denylist [data-role=kind]', /revocation: denylist/, 'each JWT column names its mode')

  // Session first: log in, call /api/me, and the attacker copies the cookie.
  await loginColumn(t, page, 'session')
  await expectText(t, page, '#col-session [data-role=set-cookie]', /^sid=.*HttpOnly.*SameSite=Lax/, 'session: the cookie attributes as set, value redacted')
  await expectText(t, page, '#col-session [data-role=record]', /sess:.*"role":"user"/, 'session: the server record is shown')
  await page.click('#col-session [data-action=me]')
  await expectText(t, page, '#col-session [data-role=status]', /GET \/api\/me: 200 accepted/, 'session: /api/me accepted')
  await expectText(t, page, '#col-session [data-role=log] tr:first-child', /GET \/api\/me.*200.*1$/, 'session log row: 1 store op')
  await page.click('#col-session [data-action=steal]')
  await expectText(t, page, '#panel-attacker [data-role=status]', /Stole the \/session column's credential/, 'attacker: stole the session cookie')
  await page.click('#panel-attacker [data-action=me]')
  await expectText(t, page, '#panel-attacker [data-role=status]', /200 accepted/, 'attacker: the stolen cookie works before the revoke')

  // Then every JWT mode: log in and call /api/me (their tokens live 8 s from here).
  for (const name of COLUMNS.slice(1)) await loginColumn(t, page, name)
  t.notMatch(await page.evaluate('document.cookie') as string, /sid=|rt=/, 'script cannot read the HttpOnly cookies')
  for (const name of COLUMNS.slice(1)) {
    await page.click(`#col-${name} [data-action=me]`)
    await expectText(t, page, `#col-${name} [data-role=status]`, /GET \/api\/me: 200 accepted/, `${name}: /api/me accepted`)
  }
  await expectText(t, page, '#col-jwt [data-role=log] tr:first-child', /GET \/api\/me.*200.*0$/, 'jwt-none log row: 0 store ops')
  await expectText(t, page, '#col-jwt-version [data-role=log] tr:first-child', /GET \/api\/me.*200.*1$/, 'jwt-version log row: 1 store op')
  await expectText(t, page, '#col-jwt-denylist [data-role=jwt-payload]', /"preferred_username": "alice"/, 'jwt: the decoded payload')
  await expectText(t, page, '#col-jwt [data-role=countdown]', /^exp in \d+ s$/, 'jwt: a live countdown to exp')
  await expectText(t, page, '#col-jwt-version [data-role=refresh-cookie]', /^rt=.*Path=\/jwt-version(;|$)/, 'jwt-version: its refresh cookie is scoped to its own path')
  await screenshot(page, 'demo-page.png')

  // One admin event, watched by every column.
  t.equal(await page.inputValue('#admin-target'), 'alice', 'the admin strip targets the logged-in user')
  await page.click('#admin-revoke')
  await expectText(t, page, '#admin-result', /revoke all logins of alice: done.*session 1, jwt 1, jwt-denylist 1, jwt-version 1/, 'revoke ended one login on each mount')
  for (const name of ['session', 'jwt-denylist', 'jwt-version']) {
    await expectPresent(t, page, `#col-${name} [data-role=timeline][data-state=done]`, 5000, `${name}: the timeline ends`)
    const tl = page.locator(`#col-${name} [data-role=timeline]`)
    t.equal(await tl.getAttribute('data-result'), 'refused', `${name}: refused at once`)
    t.equal(await tl.getAttribute('data-accepted'), '0', `${name}: not one request accepted after the revoke`)
    await expectText(t, page, `#col-${name} [data-role=tl-window]`, /^refused after \d+ ms \((session_revoked|token_revoked)\)$/, `${name}: the window is printed`)
  }
  await expectPresent(t, page, '#col-jwt [data-role=timeline][data-state=done]', 12_000, 'jwt-none: the timeline ends at exp')
  const none = page.locator('#col-jwt [data-role=timeline]')
  t.equal(await none.getAttribute('data-result'), 'until-exp', 'jwt-none: accepted until exp')
  t.ok(Number(await none.getAttribute('data-accepted')) >= 2, 'jwt-none: several requests accepted after the revoke', { accepted: await none.getAttribute('data-accepted') })
  t.equal(await none.getAttribute('data-refused'), '1', 'jwt-none: refused once, at exp')
  await expectText(t, page, '#col-jwt [data-role=tl-window]', /^accepted for \d+\.\d s, until exp$/, 'jwt-none: the window is printed')
  t.equal(await page.locator('#col-jwt [data-role=tl-track] circle.dot-ok').count(), Number(await none.getAttribute('data-accepted')), 'one green mark per accepted request')
  await screenshot(page, 'demo-timeline.png')

  await page.click('#panel-attacker [data-action=me]')
  await expectText(t, page, '#panel-attacker [data-role=status]', /401/, 'attacker: the stolen session cookie is dead too')
  await page.click('#col-jwt [data-action=refresh]')
  await expectText(t, page, '#col-jwt [data-role=status]', /Refresh refused: invalid_refresh_token/, 'jwt-none: the refresh is refused')
  await expectText(t, page, '#col-jwt [data-role=record]', /fam:\S+: nothing/, 'jwt: the refresh family is gone from the store')

  // Reset: after a password change, the published password works again and the page starts over.
  await loginColumn(t, page, 'session')
  await page.click('#admin-change-password')
  await expectText(t, page, '#admin-result', /change alice's password: done/, 'the admin changes alice\'s password')
  await expectPresent(t, page, '#col-session [data-role=timeline][data-result=refused]', 5000, 'session: the password change ends the login at once')
  await page.click('#col-session form button[type=submit]')
  await expectText(t, page, '#col-session [data-role=status]', /Login refused: invalid_credentials/, 'the published password no longer works')
  await page.click('#reset')
  await expectText(t, page, '#admin-result', /Reset done: alice, bob, admin/, 'reset says what it did')
  for (const name of COLUMNS) {
    await expectText(t, page, `#col-${name} [data-role=status]`, /^Not logged in\.$/, `${name}: back to not logged in`)
    t.equal(await page.locator(`#col-${name} [data-role=log] tr`).count(), 0, `${name}: the request log is cleared`)
    t.equal(await page.locator(`#col-${name} [data-role=timeline]`).getAttribute('data-state'), 'idle', `${name}: the timeline is cleared`)
  }
  await expectText(t, page, '#panel-attacker [data-role=status]', /Nothing stolen yet/, 'the attacker holds nothing')
  await loginColumn(t, page, 'session')
  await loginColumn(t, page, 'jwt-version')

  // Korean: every label switches, the choice is kept and announced.
  await page.evaluate('window.svjLangEvents = []; document.addEventListener("svj:lang", e => window.svjLangEvents.push(e.detail.lang))')
  await page.selectOption('#lang', 'ko')
  await expectText(t, page, '#col-session [data-role=login-button]', /^로그인$/, 'the login button is in Korean')
  await expectText(t, page, '#admin-revoke', /^모든 로그인 강제 종료$/, 'the admin strip is in Korean')
  await expectText(t, page, '#col-session [data-role=status]', /alice\(으\)로 로그인했습니다/, 'a status already shown is rewritten in Korean')
  t.equal(await page.getAttribute('html', 'lang'), 'ko', '<html lang> follows')
  t.same(await page.evaluate('window.svjLangEvents'), ['ko'], 'svj:lang is dispatched with the language')
  await goto(`${s.url}/`)
  await expectText(t, page, '#admin-revoke', /^모든 로그인 강제 종료$/, 'the choice is kept in localStorage')
  await expectPresent(t, page, '#col-jwt-version', 5000, 'the columns are built again')
  for (const name of COLUMNS) await loginColumn(t, page, name)
  await page.click('#col-jwt-denylist [data-action=me]')
  await expectText(t, page, '#col-jwt-denylist [data-role=status]', /GET \/api\/me: 200 허용/, 'a status in Korean')
  await screenshot(page, 'demo-page-ko.png')
  await goto(`${s.url}/?lang=en`)
  await expectText(t, page, '#admin-revoke', /^Revoke all logins$/, '?lang=en overrides the kept choice')

  // Below 1100 px: two columns per row.
  await page.setViewportSize({ width: 1000, height: 768 })
  await expectPresent(t, page, '#col-jwt-version', 5000, 'the columns are there')
  const narrow = await page.locator('#columns > section').evaluateAll(els => els.map(e => Math.round(e.getBoundingClientRect().top)))
  t.equal(new Set(narrow).size, 2, 'two rows of two at 1000 px', { narrow })
  t.same(problems, [], 'no CSP violations, page errors, failed or external requests')
})

/**
 * The start a new user tries first: `npm ci && npm start`, then http://127.0.0.1:3000/ in a browser. The
 * server is `node dist/server.js` (what `npm start` runs) with no COOKIE_SECURE or DEMO_MODE of ours, only
 * a free PORT: every column must log in over plain http on 127.0.0.1.
 */
t.test('demo page: the default start (npm start) works over plain http on 127.0.0.1', { skip }, async t => {
  t.ok(existsSync('dist/server.js'), 'the server is built (npm run build)')
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const output: string[] = []
  const server = spawn(process.execPath, ['dist/server.js'], { env: { PATH: process.env.PATH, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] })
  server.stdout.on('data', (chunk: Buffer) => { output.push(chunk.toString()) })
  server.stderr.on('data', (chunk: Buffer) => { output.push(chunk.toString()) })
  t.teardown(async () => {
    if (server.exitCode !== null) return
    const exited = new Promise(resolve => server.once('exit', resolve))
    server.kill('SIGTERM')
    await exited
  })
  const up = await waitFor(async () => {
    try { return (await fetch(`${url}/health`)).ok } catch { return false }
  }, 20_000, 100)
  t.ok(up, 'the server answers', { output: output.join('') })
  if (!up) return
  t.match(output.join(''), /"demoMode":true/, 'demo mode is on by itself on 127.0.0.1')
  t.match(output.join(''), /"cookieSecure":"auto"/, 'cookies are decided per request')

  const { page, problems } = await openPage(t)

  await page.goto(`${url}/?lang=en`)
  await expectText(t, page, '#server-info', /access token TTL/, 'the page reads the server settings')
  await expectPresent(t, page, '#col-jwt-version', 5000, 'every mode has its column')
  for (const name of COLUMNS) await loginColumn(t, page, name)
  await expectText(t, page, '#col-session [data-role=set-cookie]', /^sid=.*HttpOnly/, 'session: a plain sid cookie')
  t.notMatch(await text(page, '#col-session [data-role=set-cookie]'), /Secure/, 'no Secure attribute over plain http')
  for (const name of COLUMNS) {
    await page.click(`#col-${name} [data-action=me]`)
    await expectText(t, page, `#col-${name} [data-role=status]`, /GET \/api\/me: 200 accepted/, `${name}: /api/me accepted`)
  }

  mkdirSync(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: join(ARTIFACTS, 'default-start.png') })
  t.same(problems, [], 'no page errors or failed requests')
})
