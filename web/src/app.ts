/**
 * The side-by-side demo page: a session panel, a JWT panel and an attacker panel on one server.
 * No framework, no inline script or style (it runs under a strict CSP): DOM lookups by data-role.
 */

type Kind = 'session' | 'jwt'

interface Info { strategies: string[], store: string, jwtRevocation: string, accessTtlSec: number, sessionIdleTtlSec: number, maxSessionsPerUser: number }
interface Result { status: number, body: any, ms: number, ops: string | null, setCookie: string | null }

const ACTIONS: Record<string, { method: string, path: string, body?: object }> = {
  me: { method: 'GET', path: '/api/me' },
  admin: { method: 'GET', path: '/api/admin' },
  notes: { method: 'POST', path: '/api/notes', body: { text: 'hello from the demo page' } }
}

function el<T extends HTMLElement = HTMLElement> (root: ParentNode, role: string): T {
  const found = root.querySelector<T>(`[data-role="${role}"]`)
  if (found === null) throw new Error(`missing [data-role=${role}]`)
  return found
}

function byId<T extends HTMLElement = HTMLElement> (id: string): T {
  const found = document.getElementById(id)
  if (found === null) throw new Error(`missing #${id}`)
  return found as T
}

const pretty = (v: unknown): string => typeof v === 'string' ? v : JSON.stringify(v, null, 2)
const now = (): string => new Date().toLocaleTimeString([], { hour12: false })

function decodeSegment (segment: string): unknown {
  const b64 = segment.replace(/-/g, '+').replace(/_/g, '/')
  const json = decodeURIComponent(Array.from(atob(b64), c => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''))
  return JSON.parse(json)
}

async function send (method: string, path: string, opts: { body?: object, bearer?: string | null, cookies?: boolean } = {}): Promise<Result> {
  const headers: Record<string, string> = {}
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  if (opts.bearer !== undefined && opts.bearer !== null) headers.authorization = `Bearer ${opts.bearer}`
  const started = performance.now()
  const res = await fetch(path, { method, headers, credentials: opts.cookies === false ? 'omit' : 'same-origin', ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }) })
  const text = await res.text()
  const ms = Math.round(performance.now() - started)
  let body: unknown = text
  try { body = text === '' ? '' : JSON.parse(text) } catch { /* not JSON */ }
  return { status: res.status, body, ms, ops: res.headers.get('x-auth-store-ops'), setCookie: res.headers.get('x-demo-set-cookie') }
}

/** Runs a promise from an event handler: a failure is logged to the console instead of going unhandled. */
function run (work: Promise<unknown>): void {
  work.catch((err: unknown) => { console.error(err) })
}

function logRow (tbody: HTMLElement, method: string, path: string, r: { status: number, ms: number, ops: string | null }, note = ''): void {
  const tr = document.createElement('tr')
  tr.className = r.status < 400 ? 'ok' : 'bad'
  for (const text of [now(), `${method} ${path}${note}`, String(r.status), String(r.ms), r.ops ?? '–']) {
    const td = document.createElement('td')
    td.textContent = text
    tr.append(td)
  }
  tbody.prepend(tr)
  while (tbody.children.length > 40) tbody.lastElementChild?.remove()
}

function errorText (r: Result): string {
  return typeof r.body === 'object' && r.body !== null && 'error' in r.body ? String(r.body.error) : String(r.status)
}

/** The inspection answer as a few lines: the note, then each stored key with its TTL and value. */
function formatRecord (body: { note?: string, credential?: unknown, serverKeeps?: Array<{ key: string, ttlSec?: number | null, value: unknown, note?: string }> }): string {
  const lines = [body.note ?? '']
  if (body.credential !== undefined && body.credential !== null) lines.push(`credential: ${JSON.stringify(body.credential)}`)
  for (const k of body.serverKeeps ?? []) {
    const ttl = k.ttlSec === undefined || k.ttlSec === null ? '' : ` (expires in ${k.ttlSec} s)`
    lines.push(`${k.key}${ttl}: ${k.value === null ? `nothing${k.note === undefined ? '' : ` (${k.note})`}` : typeof k.value === 'string' ? k.value : JSON.stringify(k.value)}`)
  }
  if ((body.serverKeeps ?? []).length === 0) lines.push('nothing stored for this credential')
  return lines.join('\n')
}

/** Shared by the three panels: the last user logged in is the admin strip's default target. */
const events = new EventTarget()

class Panel {
  readonly root: HTMLElement
  user: string | null = null
  access: string | null = null

  constructor (readonly kind: Kind) {
    this.root = byId(`panel-${kind}`)
    const form = el<HTMLFormElement>(this.root, 'login')
    const userSelect = form.elements.namedItem('user') as HTMLSelectElement
    const password = form.elements.namedItem('password') as HTMLInputElement
    userSelect.addEventListener('change', () => { password.value = `${userSelect.value}-password` })
    form.addEventListener('submit', ev => {
      ev.preventDefault()
      run(this.login(userSelect.value, password.value))
    })
    for (const button of this.root.querySelectorAll<HTMLButtonElement>('[data-action]')) {
      button.addEventListener('click', () => { run(this.act(button.dataset.action ?? '')) })
    }
    if (kind === 'jwt') setInterval(() => { this.tick() }, 500)
    this.showDocumentCookie()
  }

  private get log (): HTMLElement { return el(this.root, 'log') }

  setStatus (text: string, good: boolean | null): void {
    const status = el(this.root, 'status')
    status.textContent = text
    status.className = `status${good === null ? '' : good ? ' ok' : ' bad'}`
  }

  async request (method: string, path: string, body?: object, note = ''): Promise<Result> {
    const r = await send(method, path, { ...(body === undefined ? {} : { body }), bearer: this.kind === 'jwt' ? this.access : null })
    logRow(this.log, method, path, r, note)
    el(this.root, 'response').textContent = `${r.status} ${pretty(r.body)}`
    if (r.setCookie !== null) el(this.root, 'set-cookie').textContent = r.setCookie
    return r
  }

  async login (username: string, password: string): Promise<void> {
    const r = await this.request('POST', `/${this.kind}/login`, { username, password })
    if (r.status === 200) {
      this.user = username
      if (this.kind === 'jwt') this.access = String(r.body.access_token)
      this.setStatus(`Logged in as ${username}.`, true)
      events.dispatchEvent(new CustomEvent('login', { detail: username }))
    } else {
      this.setStatus(`Login refused: ${errorText(r)}.`, false)
    }
    await this.refreshViews()
  }

  async act (action: string): Promise<void> {
    if (action === 'steal') return await attacker.steal(this)
    if (action === 'logout') {
      await this.request('POST', `/${this.kind}/logout`)
      this.access = null
      this.user = null
      this.setStatus('Logged out.', null)
    } else if (action === 'refresh') {
      await this.refresh()
    } else if (action === 'devices') {
      await this.request('GET', `/${this.kind}/devices`)
    } else {
      const a = ACTIONS[action]
      if (a === undefined) return
      let r = await this.request(a.method, `/${this.kind}${a.path}`, a.body)
      const silent = this.kind === 'jwt' && el<HTMLInputElement>(this.root, 'silent').checked
      if (silent && r.status === 401 && errorText(r) === 'token_expired') {
        if (await this.refresh(' (silent)')) r = await this.request(a.method, `/${this.kind}${a.path}`, a.body, ' (retry)')
      }
      this.setStatus(r.status < 400 ? `${a.method} ${a.path}: ${r.status} accepted${this.user === null ? '' : ` (${this.user})`}.` : `${a.method} ${a.path}: ${r.status} ${errorText(r)}.`, r.status < 400)
    }
    await this.refreshViews()
  }

  async refresh (note = ''): Promise<boolean> {
    const r = await this.request('POST', '/jwt/refresh', undefined, note)
    if (r.status === 200) {
      this.access = String(r.body.access_token)
      this.setStatus('Refreshed: a new access token, and the refresh token rotated.', true)
      return true
    }
    this.setStatus(`Refresh refused: ${errorText(r)}.`, false)
    return false
  }

  async refreshViews (): Promise<void> {
    this.showDocumentCookie()
    if (this.kind === 'jwt') this.showToken()
    const r = await send('GET', `/${this.kind}/demo/inspect`, { bearer: this.kind === 'jwt' ? this.access : null })
    el(this.root, 'record').textContent = r.status === 200 ? formatRecord(r.body) : `inspection unavailable: ${r.status} ${errorText(r)}`
  }

  showDocumentCookie (): void {
    if (this.kind === 'session') el(this.root, 'doc-cookie').textContent = JSON.stringify(document.cookie)
  }

  showToken (): void {
    const [h, p, s] = (this.access ?? '').split('.')
    if (this.access === null || h === undefined || p === undefined || s === undefined) {
      el(this.root, 'jwt-header').textContent = '–'
      el(this.root, 'jwt-payload').textContent = '–'
      el(this.root, 'jwt-signature').textContent = '–'
      return
    }
    el(this.root, 'jwt-header').textContent = JSON.stringify(decodeSegment(h))
    el(this.root, 'jwt-payload').textContent = pretty(decodeSegment(p))
    el(this.root, 'jwt-signature').textContent = `${s.slice(0, 16)}… (${s.length} chars)`
    this.tick()
  }

  tick (): void {
    const out = el(this.root, 'countdown')
    if (this.access === null) {
      out.textContent = 'no token'
      out.classList.remove('expired')
      return
    }
    const payload = decodeSegment(this.access.split('.')[1] ?? '') as { exp?: number }
    const left = Math.round((payload.exp ?? 0) - Date.now() / 1000)
    out.textContent = left > 0 ? `exp in ${left} s` : `expired ${-left} s ago`
    out.classList.toggle('expired', left <= 0)
  }
}

class Attacker {
  readonly root = byId('panel-attacker')
  loot: string | null = null
  kind: Kind | null = null

  constructor () {
    for (const button of this.root.querySelectorAll<HTMLButtonElement>('[data-action]')) {
      button.addEventListener('click', () => { run(this.replay(button.dataset.action ?? '')) })
    }
  }

  async steal (from: Panel): Promise<void> {
    const r = await send('POST', `/${from.kind}/demo/steal`, { bearer: from.kind === 'jwt' ? from.access : null })
    const status = el(this.root, 'status')
    if (r.status !== 200) {
      status.textContent = `Nothing to steal from the ${from.kind} panel: ${errorText(r)}.`
      return
    }
    this.loot = String(r.body.loot)
    this.kind = from.kind
    status.textContent = `Stole the ${from.kind} panel's credential${from.user === null ? '' : ` (${from.user})`} at ${now()}.`
    status.className = 'status bad'
    this.showHolds(r.body.holds as string[])
    for (const button of this.root.querySelectorAll<HTMLButtonElement>('[data-action]')) {
      button.disabled = button.dataset.action === 'refresh' && from.kind !== 'jwt'
    }
  }

  showHolds (holds: string[]): void {
    const list = el(this.root, 'holds')
    list.replaceChildren(...holds.map(h => { const li = document.createElement('li'); li.textContent = h; return li }))
  }

  async replay (action: string): Promise<void> {
    if (this.loot === null) return
    const r = await send('POST', '/demo/attack', { body: { loot: this.loot, action } })
    const b = r.body as { method?: string, path?: string, status?: number, storeOps?: string | null, latencyMs?: number, body?: unknown, holds?: string[] }
    const result = { status: b.status ?? r.status, ms: b.latencyMs ?? r.ms, ops: b.storeOps ?? null }
    logRow(el(this.root, 'log'), b.method ?? 'POST', b.path ?? '/demo/attack', result)
    el(this.root, 'response').textContent = `${result.status} ${pretty(b.body ?? r.body)}`
    const status = el(this.root, 'status')
    status.textContent = `${b.method ?? ''} ${b.path ?? ''}: ${result.status} ${result.status < 400 ? 'accepted: the server cannot tell the attacker from the user' : errorText({ ...r, body: b.body })}.`
    status.className = `status ${result.status < 400 ? 'bad' : 'ok'}`
    if (b.holds !== undefined) this.showHolds(b.holds)
  }
}

class AdminStrip {
  private token: string | null = null
  private readonly result = byId('admin-result')
  private readonly target = byId<HTMLSelectElement>('admin-target')

  constructor () {
    events.addEventListener('login', ev => { this.target.value = String((ev as CustomEvent).detail) })
    byId('admin-set-role').addEventListener('click', () => { run(this.change('role', { role: byId<HTMLSelectElement>('admin-role').value })) })
    byId('admin-disable').addEventListener('click', () => { run(this.change('disable')) })
    byId('admin-enable').addEventListener('click', () => { run(this.change('enable')) })
    byId('admin-change-password').addEventListener('click', () => { run(this.change('password', { password: byId<HTMLInputElement>('admin-password').value })) })
    byId('admin-revoke').addEventListener('click', () => { run(this.change('revoke')) })
  }

  /** The admin's own login: JWT with the refresh token in the body, so it never touches the panels' cookies. */
  private async adminToken (): Promise<string | null> {
    if (this.token !== null) return this.token
    const r = await send('POST', '/jwt/login', { body: { username: 'admin', password: 'admin-password', transport: 'body' }, cookies: false })
    this.token = r.status === 200 ? String(r.body.access_token) : null
    return this.token
  }

  async change (change: string, body?: object): Promise<void> {
    const user = this.target.value
    let r: Result | null = null
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.adminToken()
      if (token === null) { this.result.textContent = 'The admin cannot log in (is the JWT strategy mounted?).'; return }
      r = await send('POST', `/admin/users/${encodeURIComponent(user)}/${change}`, { ...(body === undefined ? {} : { body }), bearer: token, cookies: false })
      if (r.status !== 401) break
      this.token = null // expired or revoked: log the admin in again once
    }
    if (r === null) return
    if (r.status === 200) {
      const affected = Object.entries(r.body.loginsAffected as Record<string, number>).map(([k, v]) => `${k}: ${v}`).join(', ')
      this.result.textContent = `${now()} ${change} ${user}: done (version ${String(r.body.user.version)}, disabled ${String(r.body.user.disabled)}, role ${String(r.body.user.role)}; logins affected: ${affected}). Now try the panels.`
    } else {
      this.result.textContent = `${now()} ${change} ${user}: ${r.status} ${errorText(r)}`
    }
    await Promise.all([sessionPanel.refreshViews(), jwtPanel.refreshViews()])
  }
}

const sessionPanel = new Panel('session')
const jwtPanel = new Panel('jwt')
const attacker = new Attacker()
new AdminStrip() // eslint-disable-line no-new

run((async () => {
  const r = await send('GET', '/demo/info')
  if (r.status !== 200) { byId('server-info').textContent = 'This server does not run in DEMO_MODE.'; return }
  const info = r.body as Info
  byId('server-info').textContent = `store: ${info.store} · JWT revocation mode: ${info.jwtRevocation} (one per server; restart with JWT_REVOCATION=denylist or version to compare) · access token TTL ${info.accessTtlSec} s · session idle TTL ${info.sessionIdleTtlSec} s${info.maxSessionsPerUser > 0 ? ` · max ${info.maxSessionsPerUser} logins per user` : ''}`
  el(jwtPanel.root, 'mode').textContent = `revocation mode: ${info.jwtRevocation}`
  document.title = `Session vs JWT (${info.jwtRevocation})`
  await Promise.all([sessionPanel.refreshViews(), jwtPanel.refreshViews()])
})())

// Story player (branch h-stories; the lead reconciles this with the page rewrite): mounted on #stories.
const storiesRoot = document.getElementById('stories')
if (storiesRoot !== null) run(Promise.all([import('./story-player.js'), send('GET', '/demo/info')]).then(([player, info]) => { if (info.status === 200) player.mountStoryPlayer(storiesRoot, { lang: 'en', mounts: info.body.mounts }) }))
