/**
 * The teaching page: one column per mount the server runs (session and every JWT revocation mode side
 * by side), an admin strip whose changes every column watches on a revocation timeline, an attacker
 * panel, a reset and an English/Korean switch. No framework, no inline script or style (strict CSP):
 * the markup is index.html, each column a clone of its <template>, looked up by data-role.
 */
import { initialLang, keepLang, MESSAGES, type Lang, type Messages } from './i18n.js'
import { say, sayKey, translateTree, retranslate } from './say.js'
import { Timeline, type WatchEvent } from './timeline.js'
import { mountStoryPlayer } from './story-player.js'
import { mountDiagrams } from './diagrams.js'

export interface MountInfo { name: string, kind: string, revocation?: string, accessTtlSec?: number, idleTtlSec?: number, store?: string, cached?: boolean }
interface Info { mounts: MountInfo[], store: string, authCache?: boolean, accessTtlSec: number, clockToleranceSec: number, sessionIdleTtlSec: number, maxSessionsPerUser: number }
export interface Result { status: number, body: any, ms: number, ops: string | null, setCookie: string | null }
type Msg = (m: Messages) => string

const ACTIONS: Record<string, { method: 'GET' | 'POST', path: string, body?: object }> = {
  me: { method: 'GET', path: '/api/me' },
  admin: { method: 'GET', path: '/api/admin' },
  notes: { method: 'POST', path: '/api/notes', body: { text: 'hello from the demo page' } }
}

let lang: Lang = initialLang()
const t = (): Messages => MESSAGES[lang]

function el<T extends Element = HTMLElement> (root: ParentNode, role: string): T {
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
const clock = (): string => new Date().toLocaleTimeString('en-GB', { hour12: false })

function decodeSegment (segment: string): unknown {
  const b64 = segment.replace(/-/g, '+').replace(/_/g, '/')
  const json = decodeURIComponent(Array.from(atob(b64), c => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''))
  return JSON.parse(json)
}

/** The access token's exp in ms since the epoch (no verification: the page only shows it). */
export function expOf (token: string): number | null {
  try {
    const exp = (decodeSegment(token.split('.')[1] ?? '') as { exp?: unknown }).exp
    return typeof exp === 'number' ? exp * 1000 : null
  } catch { return null }
}

export async function send (method: string, path: string, opts: { body?: object, bearer?: string | null, cookies?: boolean } = {}): Promise<Result> {
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

export function errorText (r: { status: number, body: unknown }): string {
  const body = r.body as { error?: unknown } | null
  return typeof body === 'object' && body !== null && 'error' in body ? String(body.error) : String(r.status)
}

function logRow (tbody: HTMLElement, request: string, r: { status: number, ms: number, ops: string | null }): void {
  const tr = document.createElement('tr')
  tr.className = r.status < 400 ? 'ok' : 'bad'
  for (const text of [clock(), request, String(r.status), String(r.ms), r.ops ?? '–']) {
    const td = document.createElement('td')
    td.textContent = text
    tr.append(td)
  }
  tbody.prepend(tr)
  while (tbody.children.length > 30) tbody.lastElementChild?.remove()
}

interface Inspection { note?: string, credential?: unknown, serverKeeps?: Array<{ key: string, ttlSec?: number | null, value: unknown, note?: string }> }

/** The inspection answer as a few lines: the server's note, then each stored key with its TTL and value. */
function formatRecord (body: Inspection, m: Messages): string {
  const lines = [body.note ?? '']
  if (body.credential !== undefined && body.credential !== null) lines.push(`credential: ${JSON.stringify(body.credential)}`)
  for (const k of body.serverKeeps ?? []) {
    const ttl = k.ttlSec === undefined || k.ttlSec === null ? '' : ` (${m.expiresIn(k.ttlSec)})`
    lines.push(`${k.key}${ttl}: ${k.value === null ? m.nothingNote(k.note ?? '') : typeof k.value === 'string' ? k.value : JSON.stringify(k.value)}`)
  }
  if ((body.serverKeeps ?? []).length === 0) lines.push(m.nothingStored)
  return lines.join('\n')
}

/** The server's store (GET /demo/info): a column on another store says so in its header. */
let serverStore = ''

const MODE_PROMISES: Readonly<Record<string, Msg>> = { none: m => m.promiseNone, denylist: m => m.promiseDenylist, version: m => m.promiseVersion }

/** One line on what the column's mode promises when a login must end (harness/promises.ts in words). */
function promiseOf (mount: MountInfo): Msg {
  const base: Msg = mount.kind === 'session' ? m => m.promiseSession : MODE_PROMISES[mount.revocation ?? ''] ?? (m => m.promiseOther)
  if (mount.cached === true) return m => `${base(m)} ${m.promiseCached}`
  if (mount.store === 'postgres' && serverStore !== 'postgres') return m => `${base(m)} ${m.promisePostgres}`
  return base
}

/** The last user logged in anywhere: the admin strip's default target. */
const events = new EventTarget()

class Column {
  readonly root: HTMLElement
  readonly isJwt: boolean
  user: string | null = null
  access: string | null = null
  readonly timeline: Timeline

  constructor (readonly mount: MountInfo, template: HTMLTemplateElement, scaleSec: number, clockToleranceSec: number) {
    const fragment = template.content.cloneNode(true) as DocumentFragment
    this.root = fragment.firstElementChild as HTMLElement
    this.root.id = `col-${mount.name}`
    this.root.dataset.kind = mount.kind
    this.isJwt = mount.kind === 'jwt'
    const title = el(this.root, 'title')
    title.id = `col-${mount.name}-title`
    this.root.setAttribute('aria-labelledby', title.id)
    el(this.root, 'name').textContent = `/${mount.name}`
    for (const node of this.root.querySelectorAll(this.isJwt ? '[data-session-only]' : '[data-jwt-only]')) node.remove()
    el(this.root, 'actions').setAttribute('aria-labelledby', title.id)
    el(this.root, 'inspect-path').textContent = `GET /${mount.name}/demo/inspect`
    translateTree(this.root)
    const suffix: Msg = mount.cached === true ? m => m.kindCached : mount.store === 'postgres' && serverStore !== 'postgres' ? m => m.kindPostgres : () => ''
    say(el(this.root, 'kind'), this.isJwt ? m => m.kindJwt(mount.revocation ?? '?') + suffix(m) : m => m.kindSession + suffix(m))
    say(el(this.root, 'promise'), promiseOf(mount))
    sayKey(el(this.root, 'explain'), this.isJwt ? 'explainJwt' : 'explainSession')
    this.timeline = new Timeline(el(this.root, 'timeline'), {
      scaleSec,
      graceMs: (clockToleranceSec + 1) * 1000,
      poll: async () => await send('GET', `/${mount.name}/api/me`, { bearer: this.isJwt ? this.watchedToken : null }),
      expMs: () => this.isJwt && this.watchedToken !== null ? expOf(this.watchedToken) : null,
      done: () => { run(this.refreshViews()) }
    })

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
    if (this.isJwt) setInterval(() => { this.tick() }, 500)
    this.clear()
  }

  /** The access token the timeline presents: the one held when the event happened (after a logout, the dropped one). */
  private watchedToken: string | null = null

  setStatus (msg: Msg, good: boolean | null): void {
    const status = el(this.root, 'status')
    say(status, msg)
    status.className = `status${good === null ? '' : good ? ' ok' : ' bad'}`
  }

  async request (method: string, path: string, body?: object): Promise<Result> {
    const r = await send(method, `/${this.mount.name}${path}`, { ...(body === undefined ? {} : { body }), bearer: this.isJwt ? this.access : null })
    logRow(el(this.root, 'log'), `${method} ${path}`, r)
    const setCookie = r.setCookie
    if (setCookie !== null) say(el(this.root, this.isJwt ? 'refresh-cookie' : 'set-cookie'), () => setCookie)
    return r
  }

  async login (username: string, password: string): Promise<void> {
    const r = await this.request('POST', '/login', { username, password })
    if (r.status === 200) {
      this.user = username
      if (this.isJwt) this.access = String(r.body.access_token)
      this.setStatus(m => m.loggedInAs(username), true)
      events.dispatchEvent(new CustomEvent('login', { detail: username }))
    } else {
      this.setStatus(m => m.loginRefused(errorText(r)), false)
    }
    await this.refreshViews()
  }

  async act (action: string): Promise<void> {
    if (action === 'steal') return await attacker.steal(this)
    if (action === 'logout') {
      const held = this.access
      const wasIn = this.user !== null
      const r = await this.request('POST', '/logout')
      this.access = null
      this.user = null
      this.setStatus(r.status < 400 ? m => m.loggedOut : m => m.refused('POST /logout', r.status, errorText(r)), r.status < 400 ? null : false)
      if (wasIn) this.watch({ label: m => m.eventLogout, kind: 'logout', at: performance.now() }, held)
    } else if (action === 'refresh') {
      await this.refresh()
    } else {
      const a = ACTIONS[action]
      if (a === undefined) return
      const r = await this.request(a.method, a.path, a.body)
      const request = `${a.method} ${a.path}`
      const who = typeof r.body?.username === 'string' ? `${String(r.body.username)}, ${String(r.body.role)}` : this.user
      this.setStatus(r.status < 400 ? m => m.accepted(request, r.status, who) : m => m.refused(request, r.status, errorText(r)), r.status < 400)
    }
    await this.refreshViews()
  }

  async refresh (): Promise<boolean> {
    const r = await this.request('POST', '/refresh')
    if (r.status === 200) {
      this.access = String(r.body.access_token)
      this.setStatus(m => m.refreshed, true)
      await this.refreshViews()
      return true
    }
    this.setStatus(m => m.refreshRefused(errorText(r)), false)
    await this.refreshViews()
    return false
  }

  /** Starts this column's timeline for an event, presenting `token` (JWT) or the browser's cookie (session). */
  watch (event: WatchEvent, token: string | null = this.access): void {
    this.watchedToken = token
    this.timeline.start(event)
  }

  /** An admin change to `user`: watched when this column is logged in as that user, else said so. */
  adminEvent (user: string, event: WatchEvent): void {
    if (this.user !== null && this.user.toLowerCase() === user.toLowerCase()) this.watch(event)
    else this.timeline.idle(event, m => m.notWatching(user))
  }

  async refreshViews (): Promise<void> {
    if (this.isJwt) this.showToken()
    else el(this.root, 'doc-cookie').textContent = JSON.stringify(document.cookie)
    const r = await send('GET', `/${this.mount.name}/demo/inspect`, { bearer: this.isJwt ? this.access : null })
    const record = el(this.root, 'record')
    if (r.status === 200) say(record, m => formatRecord(r.body as Inspection, m))
    else say(record, m => m.inspectUnavailable(r.status, errorText(r)))
  }

  showToken (): void {
    const payload = el(this.root, 'jwt-payload')
    const [h, p] = (this.access ?? '').split('.')
    if (this.access === null || h === undefined || p === undefined) payload.textContent = '–'
    else payload.textContent = `${JSON.stringify(decodeSegment(h))}\n${pretty(decodeSegment(p))}`
    this.tick()
  }

  tick (): void {
    const out = el(this.root, 'countdown')
    const exp = this.access === null ? null : expOf(this.access)
    if (exp === null) {
      say(out, m => m.noToken)
      out.classList.remove('expired')
      out.classList.add('none')
      return
    }
    const left = Math.round((exp - Date.now()) / 1000)
    say(out, left > 0 ? m => m.expIn(left) : m => m.expiredAgo(-left))
    out.classList.remove('none')
    out.classList.toggle('expired', left <= 0)
  }

  /** Back to "not logged in": tokens, log and timeline dropped (after a reset). */
  clear (): void {
    this.user = null
    this.access = null
    this.watchedToken = null
    this.timeline.reset()
    el(this.root, 'log').replaceChildren()
    this.setStatus(m => m.notLoggedIn, null)
    for (const role of this.isJwt ? ['refresh-cookie'] : ['set-cookie']) sayKey(el(this.root, role), 'nothingYet')
  }
}

class Attacker {
  readonly root = byId('panel-attacker')
  loot: string | null = null

  constructor () {
    for (const button of this.root.querySelectorAll<HTMLButtonElement>('[data-action]')) {
      button.addEventListener('click', () => { run(this.replay(button.dataset.action ?? '')) })
    }
  }

  private setStatus (msg: Msg, className: string): void {
    const status = el(this.root, 'status')
    say(status, msg)
    status.className = `status ${className}`
  }

  async steal (from: Column): Promise<void> {
    const r = await send('POST', `/${from.mount.name}/demo/steal`, { bearer: from.isJwt ? from.access : null })
    const name = `/${from.mount.name}`
    if (r.status !== 200) {
      this.setStatus(m => m.nothingToSteal(name, errorText(r)), '')
      return
    }
    this.loot = String(r.body.loot)
    const user = from.user
    const time = clock()
    this.setStatus(m => m.stoleFrom(name, user, time), 'bad')
    this.showHolds(r.body.holds as string[])
    for (const button of this.root.querySelectorAll<HTMLButtonElement>('[data-action]')) {
      button.disabled = button.dataset.action === 'refresh' && !from.isJwt
    }
  }

  showHolds (holds: string[]): void {
    el(this.root, 'holds').replaceChildren(...holds.map(h => { const li = document.createElement('li'); li.textContent = h; return li }))
  }

  async replay (action: string): Promise<void> {
    if (this.loot === null) return
    const r = await send('POST', '/demo/attack', { body: { loot: this.loot, action } })
    const b = r.body as { method?: string, path?: string, status?: number, storeOps?: string | null, latencyMs?: number, body?: unknown, holds?: string[] }
    const result = { status: b.status ?? r.status, ms: b.latencyMs ?? r.ms, ops: b.storeOps ?? null }
    const request = `${b.method ?? 'POST'} ${b.path ?? '/demo/attack'}`
    logRow(el(this.root, 'log'), request, result)
    el(this.root, 'response').textContent = `${result.status} ${pretty(b.body ?? r.body)}`
    const code = errorText({ status: result.status, body: b.body ?? r.body })
    this.setStatus(result.status < 400 ? m => m.replayAccepted(request, result.status) : m => m.replayRefused(request, result.status, code), result.status < 400 ? 'bad' : 'ok')
    if (b.holds !== undefined) this.showHolds(b.holds)
  }

  clear (): void {
    this.loot = null
    this.setStatus(m => m.attackerIdle, '')
    this.showHolds([])
    el(this.root, 'log').replaceChildren()
    el(this.root, 'response').textContent = '–'
    for (const button of this.root.querySelectorAll<HTMLButtonElement>('[data-action]')) button.disabled = true
  }
}

const CHANGE_LABELS: Record<string, (user: string, body: { role?: string } | undefined) => Msg> = {
  role: (user, body) => m => m.eventRole(user, body?.role ?? '?'),
  disable: user => m => m.eventDisable(user),
  enable: user => m => m.eventEnable(user),
  password: user => m => m.eventPassword(user),
  revoke: user => m => m.eventRevoke(user)
}

class AdminStrip {
  token: string | null = null
  readonly result = byId('admin-result')
  private readonly target = byId<HTMLSelectElement>('admin-target')

  constructor () {
    events.addEventListener('login', ev => { this.target.value = String((ev as CustomEvent).detail) })
    byId('admin-set-role').addEventListener('click', () => { run(this.change('role', { role: byId<HTMLSelectElement>('admin-role').value })) })
    byId('admin-disable').addEventListener('click', () => { run(this.change('disable')) })
    byId('admin-enable').addEventListener('click', () => { run(this.change('enable')) })
    byId('admin-change-password').addEventListener('click', () => { run(this.change('password', { password: byId<HTMLInputElement>('admin-password').value })) })
    byId('admin-revoke').addEventListener('click', () => { run(this.change('revoke')) })
  }

  /** The admin's own login: JWT with the refresh token in the body, so it never touches the columns' cookies. */
  private async adminToken (): Promise<string | null> {
    if (this.token !== null) return this.token
    const jwt = columns.find(c => c.isJwt)?.mount.name ?? 'jwt'
    const r = await send('POST', `/${jwt}/login`, { body: { username: 'admin', password: 'admin-password', transport: 'body' }, cookies: false })
    this.token = r.status === 200 ? String(r.body.access_token) : null
    return this.token
  }

  async change (change: string, body?: { role?: string, password?: string }): Promise<void> {
    const user = this.target.value
    const label = (CHANGE_LABELS[change] ?? (() => () => change))(user, body)
    let r: Result | null = null
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.adminToken()
      if (token === null) { sayKey(this.result, 'adminNoLogin'); return }
      r = await send('POST', `/admin/users/${encodeURIComponent(user)}/${change}`, { ...(body === undefined ? {} : { body }), bearer: token, cookies: false })
      if (r.status !== 401) break
      this.token = null // expired or revoked: log the admin in again once
    }
    if (r === null) return
    const done = r
    if (done.status !== 200) {
      say(this.result, m => m.adminFailed(label(m), done.status, errorText(done)))
      return
    }
    const at = performance.now()
    const affected = Object.entries(done.body.loginsAffected as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(', ')
    const version = Number(done.body.user.version)
    say(this.result, m => m.adminDone(label(m), version, affected))
    if (change !== 'enable') {
      const event: WatchEvent = { label, kind: change as WatchEvent['kind'], at, ...(change === 'role' ? { newRole: body?.role ?? '' } : {}) }
      for (const column of columns) column.adminEvent(user, event)
    }
    await Promise.all(columns.map(async c => { await c.refreshViews() }))
  }
}

async function reset (): Promise<void> {
  const r = await send('POST', '/demo/reset')
  if (r.status !== 200) {
    say(admin.result, m => m.resetFailed(r.status, errorText(r)))
    return
  }
  admin.token = null
  attacker.clear()
  for (const column of columns) column.clear()
  const users = (r.body.reset as string[]).join(', ')
  say(admin.result, m => m.resetDone(users))
  await Promise.all(columns.map(async c => { await c.refreshViews() }))
}

function setLang (next: Lang): void {
  lang = next
  document.documentElement.lang = next
  byId<HTMLSelectElement>('lang').value = next
  retranslate(t())
  document.title = t().pageTitle
  keepLang(next)
  document.dispatchEvent(new CustomEvent('svj:lang', { detail: { lang: next } }))
}

const columns: Column[] = []
const attacker = new Attacker()
const admin = new AdminStrip()

translateTree(document.body)
setLang(lang)
byId<HTMLSelectElement>('lang').addEventListener('change', ev => { setLang((ev.target as HTMLSelectElement).value === 'ko' ? 'ko' : 'en') })
byId('reset').addEventListener('click', () => { run(reset()) })
mountDiagrams(byId('diagrams'), lang)

run((async () => {
  const r = await send('GET', '/demo/info')
  if (r.status !== 200) { sayKey(byId('server-info'), 'notDemo'); return }
  const info = r.body as Info
  serverStore = info.store
  say(byId('server-info'), m => m.serverInfo(info.store, info.accessTtlSec, info.sessionIdleTtlSec, info.maxSessionsPerUser))
  // One scale for every timeline, so their windows compare at a glance: the longest access token life
  // plus the clock tolerance and a second, at most 40 s.
  const longest = Math.max(0, ...info.mounts.map(m => m.accessTtlSec ?? 0))
  const scaleSec = Math.min(40, Math.max(3, Math.ceil(longest + info.clockToleranceSec + 1)))
  const template = byId<HTMLTemplateElement>('column-template')
  const main = byId('columns')
  for (const mount of info.mounts) {
    const column = new Column(mount, template, scaleSec, info.clockToleranceSec)
    columns.push(column)
    main.append(column.root)
  }
  main.dataset.count = String(columns.length)
  retranslate(t())
  await Promise.all(columns.map(async c => { await c.refreshViews() }))
  const slot = document.querySelector<HTMLElement>('[data-role="story-player"]')
  // The story runs default to this server's own store (Redis with AUTH_CACHE is the runner's redis-cached).
  if (slot !== null) mountStoryPlayer(slot, { lang, mounts: info.mounts, store: info.store === 'redis' && info.authCache === true ? 'redis-cached' : info.store })
})())
