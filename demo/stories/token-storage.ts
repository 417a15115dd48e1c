/**
 * Where the client keeps the token: a real browser (Debian's Chromium through playwright-core, a fresh
 * profile, the server's own strict CSP) opens the demo-only XSS lab (web/static/xss-lab.html), whose app
 * logs alice in; the lab's "injected" script (web/src/xss-lab-injected.ts, loaded on purpose) reports what
 * script on the page can read (localStorage, page memory, document.cookie) and what it can still do with
 * the HttpOnly cookie it cannot read (same-origin requests carry it). Without Chromium the story is
 * skipped loudly (an error with CI=true).
 */
import { CHROMIUM, chromiumFound, launchChromium } from '../../harness/browser.js'
import type { Scenario } from '../scenarios.js'
import { decodeJwt, redact } from '../http.js'
import { m } from '../i18n/index.js'
import type { Observation } from '../story.js'

const words = (): ReturnType<typeof m>['scenarios']['token-storage'] => m().scenarios['token-storage']

interface Report {
  localStorage: Record<string, string>
  memory: string[]
  documentCookie: string
  rides: Array<{ method: string, path: string, status: number, gotAccessToken: boolean }>
  stolenTokenWorks: number | null
}

/** Who a token names, as anyone holding it can read (no key needed). */
const whose = (token: string): string => {
  try { return String(decodeJwt(token).payload.preferred_username ?? '?') } catch { return '?' }
}

export const tokenStorage: Scenario = {
  id: 18,
  slug: 'token-storage',
  expect: t => ({ outcome: t.strategy === 'session' ? 'cookie-ridden' : 'token-read', why: words().why[t.strategy] }),
  async run (s): Promise<Observation> {
    const t = words()
    if (!chromiumFound()) {
      if (process.env.CI === 'true') throw new Error(`CI=true but no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`)
      s.say(t.noChromium(CHROMIUM))
      console.error(`\n*** demo story token-storage SKIPPED: no Chromium at ${CHROMIUM} ***\n`)
      return { outcome: 'skipped', detail: t.noChromiumDetail }
    }
    const server = await s.server()
    const browser = await launchChromium()
    s.onCleanup(browser.close)
    const page = browser.page
    const problems: string[] = []
    page.on('pageerror', err => { problems.push(err.message) })
    page.on('console', msg => { if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text()) })
    const mount = `/${s.kind}`
    s.say(t.opens(`${server.url}/xss-lab.html?mount=${mount}`))
    await s.pause()
    const response = await page.goto(`${server.url}/xss-lab.html?mount=${mount}`)
    const csp = response?.headers()['content-security-policy'] ?? ''
    s.check(/script-src 'self'/.test(csp) && !/unsafe-inline/.test(csp), t.strictCsp(csp === '' ? '-' : `${csp.split(';').slice(0, 2).join(';')}…`))
    await page.locator('#login button[type=submit]').click()
    await page.locator('#report[data-done="true"]').waitFor({ timeout: 10_000 })
    s.say(t.appLoggedIn(mount, await page.locator('#app-status').getAttribute('data-me') ?? '?'))
    const report = JSON.parse(await page.locator('#report').textContent() ?? '{}') as Report
    s.mark()

    const stored = Object.entries(report.localStorage)
    s.say(t.localStorage(stored.length === 0 ? t.nothing : stored.map(([k, v]) => `${k} = ${redact(v, 12)} (${t.names(whose(v))})`).join(', ')))
    s.say(t.memory(report.memory.length === 0 ? t.nothing : report.memory.map(v => `${redact(v, 12)} (${t.names(whose(v))})`).join(', ')))
    s.say(t.documentCookie(report.documentCookie === '' ? t.empty : report.documentCookie))
    // The refresh cookie lives under Path=/jwt: ask for the mount's URLs too.
    const cookies = await browser.context.cookies([`${server.url}/`, `${server.url}${mount}/`])
    s.say(t.browserHolds(cookies.map(c => `${c.name} (HttpOnly ${String(c.httpOnly)}, SameSite ${c.sameSite}, Path ${c.path})`).join(', ')))
    const httpOnlyNames = cookies.filter(c => c.httpOnly).map(c => c.name)
    s.check(httpOnlyNames.length > 0 && httpOnlyNames.every(n => !report.documentCookie.includes(`${n}=`)), t.httpOnlyUnreadable(httpOnlyNames.join(', ')))
    for (const r of report.rides) s.say(t.ride(`${r.method} ${r.path}`, r.status, r.gotAccessToken))
    if (report.stolenTokenWorks !== null) s.say(t.replays(report.stolenTokenWorks))
    s.check(problems.length === 0, t.noProblems(problems.join(' | ').slice(0, 300)))

    const tokenRead = report.memory.length > 0 || stored.length > 0
    const ridden = report.rides.some(r => r.status < 300)
    s.check(ridden, t.ridden(report.rides.map(r => `${r.path} ${r.status}`).join(', ')))
    if (tokenRead) return { outcome: 'token-read', detail: t.tokenReadDetail(stored.length > 0, report.memory.length > 0, report.stolenTokenWorks ?? 0) }
    if (ridden) return { outcome: 'cookie-ridden', detail: t.riddenDetail(report.rides.filter(r => r.status < 300).map(r => `${r.path} ${r.status}`).join(', ')) }
    return { outcome: 'rejected', detail: t.nothingWorked }
  }
}
