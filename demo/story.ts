/** What a scenario is told with: narrated steps, actors holding credentials, checks and timed observations. */
import { alice, bob, demoAdmin as admin } from '../harness/fixtures.js'
import { deleteKeys } from '../harness/redis.js'
import { MECHANISMS, type Mechanism } from '../harness/promises.js'
import { sleep } from '../harness/server.js'
import { Client, decodeJwt, redact, replyBytes, type HeldCookie, type Reply, type WireBytes } from './http.js'
import { m, type Messages } from './i18n/index.js'
import { newKeyPrefix, startServer, type RunningServer } from './servers.js'

export { admin, alice, bob, sleep }

/** The strategies a story runs against: the mechanisms of harness/promises.ts. */
export const STRATEGIES = MECHANISMS
export type StrategyId = Mechanism
/**
 * The stores a story's servers run on (--store): memory, Redis, Redis with the authentication cache
 * (STORE=redis AUTH_CACHE=on) or PostgreSQL.
 */
export const STORE_KINDS = ['memory', 'redis', 'redis-cached', 'postgres'] as const
export type StoreKind = typeof STORE_KINDS[number]
/** Whether two instances on this store see each other's records (scale-out, the load balancer's shared part). */
export const isSharedStore = (store: StoreKind): boolean => store !== 'memory'
export const isRedisStore = (store: StoreKind): boolean => store === 'redis' || store === 'redis-cached'

/** The server settings of a store; PostgreSQL needs the run's database and schema (Target.database). */
export function storeEnv (store: StoreKind, target: Pick<Target, 'redisUrl' | 'database'>): Record<string, string> {
  if (store === 'postgres') {
    if (target.database === undefined) throw new Error('--store postgres without a database')
    return { STORE: 'postgres', DATABASE_URL: target.database.url, DATABASE_SCHEMA: target.database.schema }
  }
  return { STORE: isRedisStore(store) ? 'redis' : 'memory', REDIS_URL: target.redisUrl, ...(store === 'redis-cached' ? { AUTH_CACHE: 'on' } : {}) }
}

export type Outcome =
  | 'works' | 'rejected' | 'until-exp' | 'at-once' | 'until-refresh' | 'old-token-rejected'
  | 'undetected' | 'idle-expiry' | 'silent-refresh' | 'fails-closed' | 'keeps-working' | 'skipped'
  // Stories 12-17 (demo/stories/measured.ts): load balancer, fat tokens, cost, rename, browser close.
  | 'shared-store' | 'any-instance' | 'same-size' | 'grows' | 'per-request' | 'per-refresh' | 'renamed' | 'by-setting' | 'survives-restart'
  // The security stories (demo/stories/): where the token is kept, CSRF, a refresh from a new address.
  | 'cookie-ridden' | 'token-read' | 'forged-unsafe-only' | 'not-exposed' | 'flagged' | 'not-flagged'

/** Matrix wording of each outcome in the chosen language (expected side; observed cells add the measured time). */
export const outcomeLabel = (o: Outcome): string => m().outcome[o]

/** Who holds a credential in a story; the name is also the client's User-Agent (devices lists show it). */
export type ActorName = keyof Messages['actors']

export interface Observation {
  outcome: Outcome
  /** One line: what was seen, e.g. "401 session_revoked at once". */
  detail: string
  /** Seconds between the event and the credential stopping (timed outcomes). */
  seconds?: number
}

export interface Step {
  kind: 'say' | 'request' | 'holds' | 'server' | 'check'
  text: string
  data?: unknown
}

export interface Target {
  strategy: StrategyId
  store: StoreKind
  redisUrl: string
  /** With --store postgres: the database (DATABASE_URL, else the harness's test database) and the run's own schema. */
  database?: { url: string, schema: string }
  /** A running server to use instead of starting one (--url). */
  url: string | null
  /** JWT_ACCESS_TTL for the servers the story starts, when not the demo default (--step, --pace, --access-ttl). */
  accessTtl?: string
  /** Longest an "until exp" observation is waited for, in seconds (default 20). */
  maxWaitSec?: number
}

export interface Printer {
  line: (kind: Step['kind'], text: string, data?: unknown) => void
}

/**
 * What the runner does between steps for a lecturer (--step: wait for Enter, --pace: sleep). A step is a
 * request an actor makes; narration printed before it stays on screen while the runner waits.
 */
export interface Pacer { pause: () => Promise<void> }

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }

/** Longest an "until exp" observation is waited for by default; beyond it (a --url server with long tokens) it is reported, not waited. */
const MAX_WAIT_SEC = 20

export class Story {
  readonly steps: Step[] = []
  readonly failures: string[] = []
  private readonly cleanups: Array<() => Promise<void>> = []
  private eventAt = Date.now()
  private readonly actors: Actor[] = []
  private readonly warned = new Set<Actor>()
  /** Once the event happened (or a timed stretch began) the story runs on without pauses: time is being measured. */
  private timed = false

  constructor (readonly target: Target, private readonly printer: Printer, private readonly pacer: Pacer | null = null) {}

  get kind (): 'session' | 'jwt' { return this.target.strategy === 'session' ? 'session' : 'jwt' }
  get mode (): 'none' | 'denylist' | 'version' | null { return this.target.strategy === 'session' ? null : this.target.strategy.slice(4) as 'none' | 'denylist' | 'version' }

  emit (kind: Step['kind'], text: string, data?: unknown): void {
    this.steps.push(data === undefined ? { kind, text } : { kind, text, data })
    this.printer.line(kind, text, data)
  }

  /**
   * Waits between steps when a lecturer paces the run, but never after the event: pausing there would change
   * what is measured. Warns when an access token expired during the pause (the outcome may then differ).
   */
  async pause (): Promise<void> {
    if (this.pacer === null || this.timed) return
    await this.pacer.pause()
    for (const a of this.actors) {
      const exp = a.accessExp()
      if (exp !== null && exp < Date.now() / 1000 && !this.warned.has(a)) {
        this.warned.add(a)
        this.say(m().story.expiredWhilePaused(a.label))
      }
    }
  }

  /** From here on no pauses: a stretch whose timing matters (an idle timeout, a token left to expire). */
  hold (): void { this.timed = true }

  say (text: string): void { this.emit('say', text) }

  /** A claim checked along the way; a false one makes the scenario fail even if the headline outcome matches. */
  check (ok: boolean, text: string): void {
    this.emit('check', `${ok ? m().story.checkOk : m().story.checkBad}: ${text}`, { ok })
    if (!ok) this.failures.push(text)
  }

  /** Marks the moment of the event (logout, revoke...) that timed observations are measured from. */
  mark (): void {
    this.eventAt = Date.now()
    this.timed = true
  }

  /**
   * A server for this story: the --url one, or a fresh `node dist/server.js` mounting only the strategy
   * under test, with its own key prefix (deleted afterwards) and `env` on top of the demo defaults.
   */
  async server (env: Record<string, string> = {}, options: { store?: StoreKind, redisUrl?: string, keyPrefix?: string } = {}): Promise<RunningServer> {
    if (this.target.url !== null) return { url: this.target.url, env: {}, errors: [], stop: async () => null }
    const store = options.store ?? this.target.store
    const redisUrl = options.redisUrl ?? this.target.redisUrl
    const keyPrefix = options.keyPrefix ?? newKeyPrefix()
    const server = await startServer({
      AUTH_STRATEGIES: this.kind,
      JWT_REVOCATION: this.mode ?? 'none',
      ...storeEnv(store, { redisUrl, database: this.target.database }),
      KEY_PREFIX: keyPrefix,
      ...(this.target.accessTtl === undefined ? {} : { JWT_ACCESS_TTL: this.target.accessTtl }),
      ...env
    })
    this.cleanups.push(async () => {
      await server.stop()
      // PostgreSQL rows stay until the run drops its own schema (demo/run.ts).
      if (isRedisStore(store)) await deleteKeys(redisUrl, keyPrefix)
    })
    return server
  }

  /** How most stories open: a server (with `env`) and alice's browser, logged in. */
  async aliceLoggedIn (env: Record<string, string> = {}): Promise<{ server: RunningServer, browser: Actor }> {
    const server = await this.server(env)
    const browser = this.actor(server, 'aliceBrowser')
    await browser.login(alice)
    return { server, browser }
  }

  /** Registers extra teardown work (run in reverse order). */
  onCleanup (fn: () => Promise<void>): void { this.cleanups.push(fn) }

  async cleanup (): Promise<void> {
    for (const fn of this.cleanups.reverse()) {
      try { await fn() } catch { /* best effort */ }
    }
  }

  actor (server: RunningServer, name: ActorName): Actor {
    const actor = new Actor(this, server, name, this.kind)
    this.actors.push(actor)
    return actor
  }

  /** An admin with its own login through the same strategy, acting on `username`. */
  async admin (server: RunningServer): Promise<AdminActor> {
    // Not watched for expiry during pauses: the admin renews its own token before acting.
    const a = new AdminActor(this, server, 'admin', this.kind)
    const r = await a.login(admin, { quiet: true })
    if (r.status !== 200) throw new Error(`admin login failed: ${r.status} ${r.text}`)
    return a
  }

  /**
   * After the event: is `actor`'s credential still accepted on `path`, and for how long? Polls (every
   * 250 ms, quietly) until it is refused, at most to the access token's exp plus a margin.
   */
  async judge (actor: Actor, path = '/api/me', accepted = (r: Reply) => r.status < 300): Promise<Observation> {
    const first = await actor.call(path)
    const since = (): number => Math.round((Date.now() - this.eventAt) / 100) / 10
    const t = m().story
    if (first.status === 503) return { outcome: 'fails-closed', detail: `${first.status} ${errorOf(first)}` }
    if (!accepted(first)) {
      // Refused for its age, not for the event: the story waited too long to tell what the event did.
      if (errorOf(first) === 'token_expired') this.check(false, t.expiredBeforeJudged)
      return { outcome: 'rejected', detail: t.atOnce(`${first.status} ${errorOf(first)}`) }
    }
    const exp = actor.accessExp()
    if (exp === null) return { outcome: 'works', detail: t.afterEvent(first.status) }
    const left = exp - Date.now() / 1000
    if (left > (this.target.maxWaitSec ?? MAX_WAIT_SEC)) {
      this.say(t.notWaited(Math.round(left)))
      return { outcome: 'until-exp', detail: t.notWaitedDetail(Math.round(left)) }
    }
    this.say(t.polling(left.toFixed(1)))
    let polls = 0
    let last = first
    const deadline = Date.now() + (left + 3) * 1000
    while (Date.now() < deadline) {
      await sleep(250)
      polls++
      last = await actor.call(path, { quiet: true })
      if (!accepted(last)) break
    }
    if (accepted(last)) return { outcome: 'works', detail: t.stillAccepted(since()) }
    actor.printReply('GET', actor.prefix + path, last, t.morePolls(polls))
    const seconds = since()
    const error = errorOf(last)
    if (error === 'token_expired') return { outcome: 'until-exp', detail: t.thenExpired(seconds), seconds }
    return { outcome: 'rejected', detail: t.thenRefused(seconds, `${last.status} ${error}`), seconds }
  }
}

export function errorOf (r: Reply): string {
  return typeof r.body === 'object' && r.body !== null && typeof r.body.error === 'string' ? r.body.error : String(r.status)
}

function short (value: unknown, max = 150): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value)
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}

function cookieAttributes (c: HeldCookie): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(c.attributes)) {
    const name = { httponly: 'HttpOnly', samesite: 'SameSite', path: 'Path', 'max-age': 'Max-Age', expires: 'Expires', secure: 'Secure', domain: 'Domain' }[k] ?? k
    if (k === 'expires' && typeof v === 'string') parts.push(m().story.expiresIn(Math.round((Date.parse(v) - Date.now()) / 1000)))
    else parts.push(v === true ? name : `${name}=${v}`)
  }
  return parts.join('; ')
}

/** Someone holding a credential: a browser, a phone, an attacker's laptop. */
export class Actor {
  readonly client: Client
  access: string | null = null
  readonly prefix: string
  /** The actor's name in the chosen language. */
  readonly label: string

  constructor (readonly story: Story, readonly server: RunningServer, readonly name: ActorName, readonly kind: 'session' | 'jwt') {
    this.client = new Client(server.url, `${name}/1.0`)
    this.prefix = `/${kind}`
    this.label = m().actors[name]
  }

  /** Prints one request step; its data carries the exchange's bytes on the wire as the page counts them. */
  printReply (method: string, path: string, r: Reply, note = '', bytes: WireBytes = replyBytes(r)): void {
    const status = `${r.status} ${STATUS_TEXT[r.status] ?? ''}`.trim()
    const ops = r.storeOps === null ? '' : ` · ${m().story.storeOps} ${r.storeOps}`
    let body = ''
    if (r.status >= 400) body = ` · ${errorOf(r)}: ${String(r.body?.message ?? '')}`
    else if (typeof r.body === 'object' && r.body !== null) {
      const shown = { ...r.body }
      for (const k of ['access_token', 'refresh_token']) if (typeof shown[k] === 'string') shown[k] = redact(shown[k], 12)
      body = ` · ${short(shown, 110)}`
    }
    this.story.emit('request', `${this.label}: ${method} ${path} → ${status}${ops} · ${r.ms} ms${body}${note === '' ? '' : ` ${note}`}`,
      { actor: this.name, method, path, status: r.status, error: r.status >= 400 ? errorOf(r) : null, storeOps: r.storeOps === null ? null : Number(r.storeOps), ms: r.ms, bytes })
  }

  private async send (method: string, path: string, json: unknown, opts: { quiet?: boolean, bearer?: boolean } = {}): Promise<Reply> {
    if (opts.quiet !== true) await this.story.pause()
    const r = await this.client.request(method, path, {
      ...(json === undefined ? {} : { json }),
      bearer: opts.bearer === false ? null : this.access
    })
    if (opts.quiet !== true) this.printReply(method, path, r)
    return r
  }

  async login (who: { username: string, password: string }, opts: { quiet?: boolean } = {}): Promise<Reply> {
    const r = await this.send('POST', `${this.prefix}/login`, { ...who }, { ...opts, bearer: false })
    if (r.status === 200 && this.kind === 'jwt') this.access = r.body.access_token
    if (r.status === 200 && opts.quiet !== true) this.holds()
    return r
  }

  /** A protected route of the strategy, with whatever credential this actor holds. */
  async call (path = '/api/me', opts: { quiet?: boolean, method?: string, json?: unknown } = {}): Promise<Reply> {
    return await this.send(opts.method ?? 'GET', this.prefix + path, opts.json, opts)
  }

  async refresh (opts: { quiet?: boolean } = {}): Promise<Reply> {
    const r = await this.send('POST', '/jwt/refresh', undefined, { ...opts, bearer: false })
    if (r.status === 200) {
      this.access = r.body.access_token
      if (opts.quiet !== true) this.holds()
    }
    return r
  }

  async logout (): Promise<Reply> {
    return await this.send('POST', `${this.prefix}/logout`, undefined)
  }

  accessExp (): number | null {
    if (this.access === null) return null
    return Number(decodeJwt(this.access).payload.exp)
  }

  /** Prints the credential as this client holds it. */
  holds (): void {
    const lines: string[] = []
    const data: Record<string, unknown> = {}
    for (const c of this.client.cookies.values()) {
      lines.push(m().story.cookie(c.name, redact(c.value), c.value.length, cookieAttributes(c)))
      data[`cookie:${c.name}`] = { value: redact(c.value), attributes: c.attributes }
    }
    if (this.access !== null) {
      const { header, payload, signature } = decodeJwt(this.access)
      const left = Math.round(Number(payload.exp) - Date.now() / 1000)
      const shown = { ...payload, jti: redact(String(payload.jti)) }
      lines.push(m().story.accessToken(this.access.length, JSON.stringify(header)))
      lines.push(m().story.payload(JSON.stringify(shown), left, redact(signature, 8)))
      data.accessToken = { header, payload: shown, secondsToExp: left }
    }
    if (lines.length === 0) lines.push(m().story.holdsNothing)
    this.story.emit('holds', `${this.label}: ${lines.join('\n')}`, data)
  }

  /** What the server stores for this actor's credential (GET /{strategy}/demo/inspect, not an API call). */
  async inspect (): Promise<unknown> {
    await this.story.pause()
    const t = m().story
    const r = await this.client.request('GET', `${this.prefix}/demo/inspect`, { bearer: this.access })
    if (r.status !== 200) {
      this.story.emit('server', t.inspectUnavailable(`${r.status} ${errorOf(r)}`))
      return null
    }
    // Key names, records and the server's own notes are the server's words (English), shown as they are.
    const keeps = (r.body.serverKeeps ?? []) as Array<{ key: string, ttlSec?: number | null, value: unknown, note?: string }>
    const lines = keeps.map(k => `  ${k.key}${k.ttlSec === undefined || k.ttlSec === null ? '' : t.keyExpiresIn(k.ttlSec)}: ${k.value === null ? `${t.keyNothing}${k.note === undefined ? '' : ` (${k.note})`}` : short(compactRecord(k.value), 160)}`)
    if (lines.length === 0) lines.push(`  ${t.keyNothing}`)
    this.story.emit('server', `${t.keepsFor(this.label, r.body.note ?? '')}\n${lines.join('\n')}`, r.body)
    return r.body
  }

  /** Copies this actor's credential into `thief` (what = everything, only the access token, or only the refresh cookie). */
  stealInto (thief: Actor, what: 'all' | 'access' | 'refresh' = 'all'): void {
    if (what !== 'refresh') thief.access = this.access
    if (what !== 'access') this.client.copyCookiesTo(thief.client)
    thief.holds()
  }
}

/** Drops noise from stored records for one-line display. */
function compactRecord (value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  const v = { ...(value as Record<string, any>) }
  if (typeof v.cookie === 'object' && v.cookie !== null) v.cookie = { expires: v.cookie.expires, httpOnly: v.cookie.httpOnly, sameSite: v.cookie.sameSite }
  if (typeof v.auth === 'object' && v.auth !== null) {
    const { userAgent: _ua, ip: _ip, ...auth } = v.auth
    v.auth = auth
  }
  delete v.userAgent
  delete v.ip
  return v
}

export class AdminActor extends Actor {
  async change (username: string, change: 'role' | 'disable' | 'enable' | 'password' | 'revoke', body?: object): Promise<Reply> {
    // The admin's own short-lived access token is renewed quietly, as any client would.
    await this.story.pause()
    if (this.kind === 'jwt' && (this.accessExp() ?? 0) - Date.now() / 1000 < 1.5) await this.refresh({ quiet: true })
    const r = await this.client.request('POST', `/admin/users/${username}/${change}`, { ...(body === undefined ? {} : { json: body }), bearer: this.access })
    this.printReply('POST', `/admin/users/${username}/${change}`, r)
    this.story.mark()
    return r
  }
}
