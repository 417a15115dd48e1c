import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { chromium, type Page } from 'playwright-core'
import { PUBLIC_DIR } from '../src/routes/demo-routes.js'
import { startApp, waitFor } from './helpers/app.js'
import { freePort } from './helpers/redis.js'

/**
 * The demo page in a real browser (Debian's Chromium through playwright-core; never a downloaded one):
 * log in on both panels, call /api/me, revoke the user from the admin strip, and check that each panel
 * shows what its strategy promises. The page is served under a strict CSP, as the hardened server will.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']
const STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
const ARTIFACTS = join(process.cwd(), 'test-artifacts')

const found = existsSync(CHROMIUM)
if (!found && process.env.CI === 'true') {
  t.fail(`CI=true but no Chromium at ${CHROMIUM}: run .ci/setup-chromium.sh (apt-get install chromium) or set CHROMIUM_PATH`)
}
if (!found && process.env.CI !== 'true') {
  console.error(`\n*** demo page test SKIPPED: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH) ***\n`)
}

async function text (page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).textContent()) ?? ''
}

/** Waits until the element's text matches, and reports what it said otherwise. */
async function expectText (t: Test, page: Page, selector: string, pattern: RegExp, message: string): Promise<void> {
  const ok = await waitFor(async () => pattern.test(await text(page, selector)), 5000, 50)
  t.ok(ok, message, { found: await text(page, selector), wanted: pattern })
}

/** Chromium with a throwaway profile, closed at teardown; `problems` collects page errors and failed requests. */
async function openPage (t: Test): Promise<{ page: Page, problems: string[] }> {
  const profile = mkdtempSync(join(tmpdir(), 'svj-chromium-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1440, height: 900 } })
  t.teardown(async () => {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  })
  const page = context.pages()[0] ?? await context.newPage()
  const problems: string[] = []
  page.on('pageerror', err => { problems.push(`page error: ${err.message}`) })
  page.on('requestfailed', req => { problems.push(`request failed: ${req.url()}`) })
  return { page, problems }
}

t.test('demo page: session vs jwt-none in Chromium', { skip: found ? false : `no Chromium at ${CHROMIUM}` }, async t => {
  t.ok(existsSync(join(PUBLIC_DIR, 'app.js')), 'the page is built (npm run build writes dist/public)')
  const s = await startApp(t, { AUTH_STRATEGIES: 'session,jwt', JWT_REVOCATION: 'none', JWT_ACCESS_TTL: '60s', DEMO_MODE: 'true' })
  const { page, problems } = await openPage(t)
  page.on('console', msg => { if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text()) })
  page.on('request', req => { if (!req.url().startsWith(s.url)) problems.push(`external request: ${req.url()}`) })
  // Serve the page under a strict CSP (what src/plugins/security-headers.ts sends). Only the document is routed:
  // route.fetch() would send the context's cookies even on the page's credentials:'omit' requests.
  await page.route(url => url.pathname === '/', async route => {
    const response = await route.fetch()
    await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': STRICT_CSP } })
  })

  await page.goto(`${s.url}/`)
  await expectText(t, page, '#server-info', /JWT revocation mode: none/, 'the page reads the server settings')

  // Log in on both panels (alice is preselected with her password).
  await page.click('#panel-session form button[type=submit]')
  await expectText(t, page, '#panel-session [data-role=status]', /Logged in as alice/, 'session panel: logged in')
  await page.click('#panel-jwt form button[type=submit]')
  await expectText(t, page, '#panel-jwt [data-role=status]', /Logged in as alice/, 'jwt panel: logged in')

  // What each panel shows about its credential.
  await expectText(t, page, '#panel-session [data-role=set-cookie]', /^sid=.*HttpOnly.*SameSite=Lax/, 'session: the cookie attributes as set, value redacted')
  t.notMatch(await page.evaluate('document.cookie') as string, /sid=|rt=/, 'script cannot read the HttpOnly cookies')
  await expectText(t, page, '#panel-session [data-role=record]', /sess:.*"role":"user"/, 'session: the server record is shown')
  await expectText(t, page, '#panel-jwt [data-role=jwt-payload]', /"preferred_username": "alice"/, 'jwt: the decoded payload')
  await expectText(t, page, '#panel-jwt [data-role=countdown]', /^exp in \d+ s$/, 'jwt: a live countdown to exp')
  await expectText(t, page, '#panel-jwt [data-role=record]', /fam:/, 'jwt: the refresh family the server keeps')

  await page.click('#panel-session [data-action=me]')
  await expectText(t, page, '#panel-session [data-role=status]', /GET \/api\/me: 200 accepted/, 'session: /api/me accepted')
  await page.click('#panel-jwt [data-action=me]')
  await expectText(t, page, '#panel-jwt [data-role=status]', /GET \/api\/me: 200 accepted/, 'jwt: /api/me accepted')
  await expectText(t, page, '#panel-session [data-role=log] tr:first-child', /GET \/session\/api\/me.*200.*1$/, 'session log row: 1 store op')
  await expectText(t, page, '#panel-jwt [data-role=log] tr:first-child', /GET \/jwt\/api\/me.*200.*0$/, 'jwt log row: 0 store ops')

  // The attacker copies the session cookie (server-side: the page never sees it).
  await page.click('#panel-session [data-action=steal]')
  await expectText(t, page, '#panel-attacker [data-role=status]', /Stole the session panel's credential/, 'attacker: stole the session cookie')
  await page.click('#panel-attacker [data-action=me]')
  await expectText(t, page, '#panel-attacker [data-role=status]', /200 accepted/, 'attacker: the stolen cookie works before the revoke')

  // The admin strip revokes alice.
  t.equal(await page.inputValue('#admin-target'), 'alice', 'the admin strip targets the logged-in user')
  await page.click('#admin-revoke')
  await expectText(t, page, '#admin-result', /revoke alice: done.*session: 1, jwt: 1/, 'revoke ended one session and one refresh family')

  await page.click('#panel-session [data-action=me]')
  await expectText(t, page, '#panel-session [data-role=status]', /401 session_revoked/, 'session: rejected at once')
  await page.click('#panel-attacker [data-action=me]')
  await expectText(t, page, '#panel-attacker [data-role=status]', /401/, 'attacker: the stolen session cookie is dead too')
  await page.click('#panel-jwt [data-action=me]')
  await expectText(t, page, '#panel-jwt [data-role=status]', /GET \/api\/me: 200 accepted/, 'jwt-none: the access token is still accepted')
  await page.click('#panel-jwt [data-action=refresh]')
  await expectText(t, page, '#panel-jwt [data-role=status]', /Refresh refused: invalid_refresh_token/, 'jwt-none: ...until refresh, which is refused')
  await expectText(t, page, '#panel-jwt [data-role=record]', /fam:\S+: nothing/, 'jwt: the refresh family is gone from the store')

  mkdirSync(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: join(ARTIFACTS, 'demo-page.png') })
  if (process.env.UPDATE_DOCS_SCREENSHOT === '1') await page.screenshot({ path: join(process.cwd(), 'docs', 'demo-page.png') })
  t.same(problems, [], 'no CSP violations, page errors, failed or external requests')
})

/**
 * The start a new user tries first: `npm ci && npm start`, then http://127.0.0.1:3000/ in a browser. The
 * server is `node dist/server.js` (what `npm start` runs) with no COOKIE_SECURE or DEMO_MODE of ours, only
 * a free PORT: both panels must log in over plain http on 127.0.0.1.
 */
t.test('demo page: the default start (npm start) works over plain http on 127.0.0.1', { skip: found ? false : `no Chromium at ${CHROMIUM}` }, async t => {
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

  await page.goto(`${url}/`)
  await expectText(t, page, '#server-info', /JWT revocation mode: none/, 'the page reads the server settings')
  await page.click('#panel-session form button[type=submit]')
  await expectText(t, page, '#panel-session [data-role=status]', /Logged in as alice/, 'session panel: logged in over plain http')
  await page.click('#panel-jwt form button[type=submit]')
  await expectText(t, page, '#panel-jwt [data-role=status]', /Logged in as alice/, 'jwt panel: logged in over plain http')
  await expectText(t, page, '#panel-session [data-role=set-cookie]', /^sid=.*HttpOnly/, 'session: a plain sid cookie')
  t.notMatch(await text(page, '#panel-session [data-role=set-cookie]'), /Secure/, 'no Secure attribute over plain http')
  await page.click('#panel-session [data-action=me]')
  await expectText(t, page, '#panel-session [data-role=status]', /GET \/api\/me: 200 accepted/, 'session: /api/me accepted')
  await page.click('#panel-jwt [data-action=me]')
  await expectText(t, page, '#panel-jwt [data-role=status]', /GET \/api\/me: 200 accepted/, 'jwt: /api/me accepted')

  mkdirSync(ARTIFACTS, { recursive: true })
  await page.screenshot({ path: join(ARTIFACTS, 'default-start.png') })
  t.same(problems, [], 'no page errors or failed requests')
})
