/**
 * CSRF with the defences off and on. A second site (a tiny HTTP server the story starts, named
 * http://localhost:<port> while the API is http://127.0.0.1:<port>: different hosts, so different
 * sites) serves a page whose forms post to a state-changing route (notes) and to logout. alice's
 * browser, logged in to the API, opens that page.
 *
 * The browser is simulated here, honestly but simply (demo/README.md): a form submission carries
 * `Origin`, `Sec-Fetch-Site: cross-site` and a urlencoded body, as browsers send them, and the jar
 * attaches a cookie to that cross-site POST only when its SameSite allows it: `None` yes, `Lax` (and no
 * attribute, the Lax default) and `Strict` no; from another port of 127.0.0.1 (the same site) every
 * cookie goes. Measured in Debian's Chromium (demo/README.md): it drops `SameSite=None` without `Secure`
 * (so a real Chromium would not keep the unsafe cookie at all; the jar does, which is the simplification),
 * keeps `SameSite=None; Secure` from http://127.0.0.1 and sends it cross-site, sends a cookie set without
 * SameSite on a cross-site form POST within two minutes of being set (not modelled), and sends even
 * Strict cookies to a page on another port of the same host.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Scenario } from '../scenarios.js'
import { m } from '../i18n/index.js'
import { send } from '../../harness/http.js'
import { replyBytes, type HeldCookie, type Reply } from '../http.js'
import type { RunningServer } from '../servers.js'
import { alice, errorOf, type Actor, type Observation, type Story } from '../story.js'

const words = (): ReturnType<typeof m>['scenarios']['csrf'] => m().scenarios.csrf

/** The attacker's page: two forms that post to the API (a real page would submit them from a script). */
function attackerPage (target: string): string {
  return `<!doctype html><html><head><title>Cute cats</title></head><body>
<h1>Cute cats</h1>
<form method="post" action="${target}/api/notes"><input type="hidden" name="text" value="written by a cross-site form"></form>
<form method="post" action="${target}/logout"></form>
</body></html>`
}

interface Form { action: string, fields: Record<string, string> }

/** The attacker's page: reached as `origin` (another site) or `sameSiteOrigin` (the API's host, another port). */
interface Site { origin: string, sameSiteOrigin: string, url: string }

/** The forms of a page, as a browser's form submission sees them (action and hidden inputs). */
function formsOf (html: string): Form[] {
  return [...html.matchAll(/<form method="post" action="([^"]+)">(.*?)<\/form>/gs)].map(([, action = '', inner = '']) => ({
    action,
    fields: Object.fromEntries([...inner.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(([, k = '', v = '']) => [k, v]))
  }))
}

/**
 * Whether a browser attaches `c` to a form POST to `path` from a page of another site (or, `sameSite`,
 * of the same site: another port of 127.0.0.1, where every cookie goes, Strict too), and why.
 */
function attaches (c: HeldCookie, path: string, sameSiteVisit: boolean): { attach: boolean, rule: string } {
  if (!path.startsWith(String(c.attributes.path ?? '/'))) return { attach: false, rule: `Path=${String(c.attributes.path)}` }
  if (sameSiteVisit) return { attach: true, rule: 'same site' }
  const sameSite = String(c.attributes.samesite ?? '').toLowerCase()
  if (sameSite === 'none') return { attach: true, rule: 'SameSite=None' }
  if (sameSite === 'strict') return { attach: false, rule: 'SameSite=Strict' }
  return { attach: false, rule: sameSite === 'lax' ? 'SameSite=Lax' : 'no SameSite (Lax by default)' }
}

/** The attacker's site: serves the page for whichever API `?target=` names. */
async function startAttackerSite (): Promise<Site & { close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const target = new URL(req.url ?? '/', 'http://x').searchParams.get('target') ?? ''
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(attackerPage(target))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  // Served on 127.0.0.1 but named localhost, as a browser would reach it: a site other than 127.0.0.1.
  return { origin: `http://localhost:${port}`, sameSiteOrigin: `http://127.0.0.1:${port}`, url: `http://127.0.0.1:${port}`, close: async () => { await new Promise(resolve => server.close(resolve)) } }
}

interface Submitted { path: string, reply: Reply, attached: string[], withheld: string[] }

/** alice's browser opens the attacker's page and its forms are submitted cross-site, cookies by SameSite. */
async function visit (s: Story, browser: Actor, site: Site, options: { sameSite?: boolean, noOrigin?: boolean, firstFormOnly?: boolean } = {}): Promise<Submitted[]> {
  const t = words()
  const target = `${browser.server.url}${browser.prefix}`
  const html = await (await fetch(`${site.url}/?target=${encodeURIComponent(target)}`)).text()
  const results: Submitted[] = []
  const forms = formsOf(html)
  for (const form of options.firstFormOnly === true ? forms.slice(0, 1) : forms) {
    const path = new URL(form.action).pathname
    const attached: string[] = []
    const withheld: string[] = []
    const cookies: string[] = []
    for (const c of browser.client.cookies.values()) {
      const { attach, rule } = attaches(c, path, options.sameSite === true)
      if (attach) {
        attached.push(`${c.name} (${rule})`)
        cookies.push(`${c.name}=${c.value}`)
      } else withheld.push(`${c.name} (${rule})`)
    }
    await s.pause()
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': browser.client.userAgent ?? '' }
    const from = options.sameSite === true ? site.sameSiteOrigin : site.origin
    if (options.noOrigin !== true) Object.assign(headers, { origin: from, 'sec-fetch-site': options.sameSite === true ? 'same-site' : 'cross-site', 'sec-fetch-mode': 'navigate' })
    const reply = await send(form.action, 'POST', { body: new URLSearchParams(form.fields).toString(), headers, cookie: cookies.join('; ') })
    s.say(t.cookies(attached.join(', ') || t.none, withheld.join(', ') || t.none))
    browser.printReply('POST', path, reply, t.fromSite(from), replyBytes(reply, { origin: options.noOrigin !== true }))
    results.push({ path, reply, attached, withheld })
  }
  return results
}

/** Which layers refused a forged request, in words. */
function refusedBy (r: Submitted, kind: 'session' | 'jwt'): string {
  const t = words()
  const error = errorOf(r.reply)
  // A bearer token lives in page memory: a form cannot put it in an Authorization header.
  if (kind === 'jwt' && error === 'missing_credentials') return t.layerNoBearer
  const layers: string[] = []
  if (r.attached.length === 0 && r.withheld.length > 0) layers.push(t.layerSameSite)
  if (error === 'csrf_rejected') layers.push(t.layerOrigin)
  else if (error === 'unsupported_media_type') layers.push(t.layerContentType)
  return layers.join(' + ')
}

/** One setting (unsafe or the project's): log in, open the attacker's page, see what the forms did. */
async function round (s: Story, server: RunningServer, site: Site, unsafe: boolean): Promise<{ note: Submitted | undefined, stillIn: boolean }> {
  const t = words()
  const browser = s.actor(server, 'aliceBrowser')
  await browser.login(alice)
  s.say(unsafe ? t.unsafeVisit(site.origin) : t.safeVisit(site.origin))
  if (unsafe && s.kind === 'session') s.say(t.realChromium)
  const [note, logout] = await visit(s, browser, site)
  for (const r of [note, logout]) {
    if (r === undefined) continue
    if (r.reply.status < 300 && r.attached.length > 0) s.say(t.forged(r.path, r.reply.status))
    // Logout always answers 204; without a credential it ended nothing.
    else if (r.reply.status < 300) s.say(t.harmless(r.path, r.reply.status))
    else s.say(t.refused(r.path, `${r.reply.status} ${errorOf(r.reply)}`, refusedBy(r, s.kind)))
  }
  const me = await browser.call('/api/me')
  let stillIn = me.status === 200
  if (s.kind === 'jwt') {
    const refresh = await browser.refresh()
    s.check(refresh.status === 200, t.refreshStillWorks(refresh.status))
    stillIn = stillIn && refresh.status === 200
  }
  if (!unsafe && s.kind === 'session') {
    // Each layer on its own: the same page on another port of 127.0.0.1 (the same site: every cookie goes),
    // then that request without Origin and Sec-Fetch-Site.
    s.say(t.ifSameSite(site.sameSiteOrigin))
    const [forced] = await visit(s, browser, site, { sameSite: true, firstFormOnly: true })
    s.check(forced !== undefined && errorOf(forced.reply) === 'csrf_rejected', t.originLayer(forced === undefined ? '?' : `${forced.reply.status} ${errorOf(forced.reply)}`))
    s.say(t.ifNoOrigin)
    const [bare] = await visit(s, browser, site, { sameSite: true, noOrigin: true, firstFormOnly: true })
    s.check(bare !== undefined && errorOf(bare.reply) === 'unsupported_media_type', t.contentTypeLayer(bare === undefined ? '?' : `${bare.reply.status} ${errorOf(bare.reply)}`))
  }
  return { note, stillIn }
}

export const csrf: Scenario = {
  id: 19,
  slug: 'csrf',
  needsOwnServers: true,
  expect: t => ({ outcome: t.strategy === 'session' ? 'forged-unsafe-only' : 'not-exposed', why: words().why[t.strategy] }),
  async run (s): Promise<Observation> {
    const t = words()
    const site = await startAttackerSite()
    s.onCleanup(site.close)
    s.say(t.sites(site.origin))
    const unsafeServer = await s.server({ DEMO_UNSAFE_CSRF: 'true' })
    s.say(t.unsafeSetting)
    const unsafe = await round(s, unsafeServer, site, true)
    const safeServer = await s.server()
    s.say(t.projectSetting)
    const safe = await round(s, safeServer, site, false)
    s.mark()
    const forgedUnsafe = unsafe.note !== undefined && unsafe.note.reply.status < 300
    const forgedSafe = safe.note !== undefined && safe.note.reply.status < 300
    const detail = t.detail(unsafe.note?.reply.status ?? 0, unsafe.stillIn, safe.note?.reply.status ?? 0, safe.stillIn)
    if (forgedSafe) return { outcome: 'works', detail }
    if (forgedUnsafe) return { outcome: 'forged-unsafe-only', detail }
    return { outcome: 'not-exposed', detail }
  }
}
