import { join } from 'node:path'
import { mkdirSync } from 'node:fs'
import t from 'tap'
import { launchChromium } from '../harness/browser.js'
import { chromiumOrSkip } from './helpers/browser.js'
import { startApp, waitFor } from './helpers/app.js'
import { dropSchema, ownSchema, postgresSkip, testPostgresUrl } from './helpers/postgres.js'
import { redisSkip } from './helpers/redis.js'

/**
 * The demo page with the columns on other stores (DEMO_CACHED_MOUNTS, DEMO_POSTGRES_MOUNTS) beside the
 * usual four, on a Redis server: eight columns, each header saying where it reads, a request on each, one
 * "Revoke all logins" from the admin strip, and every column but jwt-none refused within a second.
 */
// Each says why (loudly), and fails instead under CI=true.
const skip = chromiumOrSkip(t, 'demo page with store columns') || redisSkip() || postgresSkip()
const COLUMNS = ['session', 'jwt', 'jwt-denylist', 'jwt-version', 'session-cached', 'jwt-denylist-cached', 'session-postgres', 'jwt-denylist-postgres']

t.test('eight columns on three stores: one admin action, every promise kept', { skip }, async t => {
  const url = testPostgresUrl()
  const schema = ownSchema()
  t.teardown(async () => { await dropSchema(url, schema) })
  const app = await startApp(t, { STORE: 'redis', DEMO_MODE: 'true', DEMO_CACHED_MOUNTS: 'true', DEMO_POSTGRES_MOUNTS: 'true', DATABASE_URL: url, DATABASE_SCHEMA: schema })
  const browser = await launchChromium({ viewport: { width: 1500, height: 1900 } })
  t.teardown(browser.close)
  const { page } = browser
  const problems: string[] = []
  page.on('pageerror', err => { problems.push(err.message) })
  await page.goto(`${app.url}/`)
  await page.waitForSelector('#col-jwt-denylist-postgres')

  t.same(await page.$$eval('#columns > section', els => els.map(e => e.id.slice('col-'.length))), COLUMNS, 'one column per mount, the store columns last')
  t.match(await page.locator('#col-session-cached [data-role=kind]').textContent(), /, cached$/, 'a cached column says so')
  t.match(await page.locator('#col-jwt-denylist-postgres [data-role=kind]').textContent(), /revocation: denylist, in PostgreSQL$/, 'a PostgreSQL column says so')
  t.match(await page.locator('#col-session [data-role=kind]').textContent(), /^cookie \+ server record$/, 'the server\'s own store needs no word')

  for (const name of COLUMNS) {
    await page.click(`#col-${name} form button[type=submit]`)
    t.ok(await waitFor(async () => /Logged in as alice/.test(await page.locator(`#col-${name} [data-role=status]`).textContent() ?? ''), 10_000, 50), `${name}: logged in`)
  }
  // A cached column answers from memory once its heartbeat is back: polled, a GET /api/me per try.
  for (const name of ['session-cached', 'jwt-denylist-cached']) {
    const zero = await waitFor(async () => {
      await page.click(`#col-${name} [data-action=me]`)
      return /GET \/api\/me\s*200\s*\d+\s*0$/.test((await page.locator(`#col-${name} [data-role=log] tr:first-child`).textContent()) ?? '')
    }, 5000, 100)
    t.ok(zero, `${name}: a request with 0 store ops in the column's log`)
  }
  await page.click('#col-session-postgres [data-action=me]')
  t.ok(await waitFor(async () => /GET \/api\/me\s*200\s*\d+\s*1$/.test((await page.locator('#col-session-postgres [data-role=log] tr:first-child').textContent()) ?? ''), 5000, 50), 'session-postgres: 1 store op (a SQL query)')

  await page.click('#admin-revoke')
  for (const name of COLUMNS.filter(n => n !== 'jwt')) {
    t.ok(await waitFor(async () => await page.locator(`#col-${name} [data-role=timeline][data-result=refused]`).count() > 0, 5000, 50), `${name}: refused after revoke-all`)
    t.match(await page.locator(`#col-${name} [data-role=tl-window]`).textContent(), /^refused after \d+ ms \((session_revoked|token_revoked)\)$/, `${name}: the window is printed`)
  }
  t.equal(await page.locator('#col-jwt [data-role=timeline][data-result=refused]').count(), 0, 'jwt-none: still accepted (until exp)')
  mkdirSync(join(process.cwd(), 'test-artifacts'), { recursive: true })
  await page.screenshot({ path: join(process.cwd(), 'test-artifacts', 'demo-page-stores.png') })
  if (process.env.UPDATE_DOCS_SCREENSHOT === '1') await page.screenshot({ path: join(process.cwd(), 'docs', 'demo-page-stores.png') })
  t.same(problems, [], 'no page errors')
})
