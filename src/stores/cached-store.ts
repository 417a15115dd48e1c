import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import { ConfigError } from '../config/config-error.js'
import { StoreUnavailableError, type ConditionalWrite, type KvStore } from './kv-store.js'
import { RedisKvStore } from './redis-store.js'

/**
 * The event loop's pulse: a timer every PULSE_MS. A pulse later than LATE_PULSE_MS means the process was
 * paused or its loop blocked (a long GC, CPU starvation, SIGSTOP): invalidations may have reached the
 * socket meanwhile and not been handled yet, and on waking Node may run a waiting request before them.
 * So after a late pulse nothing is served from the cache until a heartbeat sent after it has come back
 * (messages on one connection arrive in order: every invalidation sent before it has been handled).
 */
const PULSE_MS = 20
const LATE_PULSE_MS = 50

/** Where Redis sends the invalidations of a tracking client that redirects them (RESP2 two-connection mode). */
const INVALIDATE_CHANNEL = '__redis__:invalidate'

/**
 * The keys authentication reads on a protected request, by their prefix after an optional further
 * mount's `<name>:` (prefixed-store.ts): session records, user records (JWT version mode) and the three
 * denylist marks. Nothing else is cached: refresh tokens, families and indexes are read-then-swapped,
 * and a stale read there would only cost retries.
 */
export const CACHED_KEY_PREFIXES = ['sess:', 'user:', 'deny:', 'deny-sid:', 'revoked-before:'] as const

export function isCachedKey (key: string): boolean {
  if (CACHED_KEY_PREFIXES.some(p => key.startsWith(p))) return true
  const colon = key.indexOf(':')
  return colon > 0 && /^[a-z0-9-]+$/.test(key.slice(0, colon)) && CACHED_KEY_PREFIXES.some(p => key.startsWith(p, colon + 1))
}

export interface AuthCacheOptions {
  url: string
  /** KEY_PREFIX: the store's own prefix, which invalidation messages carry and the cache's keys do not. */
  prefix: string
  /** Most entries kept (least recently used dropped first). */
  max: number
  /** Longest an entry is served without asking Redis again, whatever the invalidations say. */
  ttlMs: number
  /** How often this instance publishes a heartbeat to itself through Redis. */
  heartbeatMs?: number
  /** No heartbeat back for this long: the channel may be stuck, so nothing is served from the cache. */
  silenceMs?: number
}

export interface AuthCacheStats {
  hits: number
  misses: number
  invalidations: number
  /** Times the whole cache was dropped (channel down, heartbeat silence, reconnect, FLUSHDB). */
  drops: number
  /** Pauses noticed (the event loop's pulse came late); each stops serving until a heartbeat sent after it is back. */
  pauses: number
  entries: number
  /** Whether a lookup may be answered from the cache right now. */
  serving: boolean
}

interface Entry {
  value: string | null
  expiresAt: number
}

/**
 * A bounded LRU on a Map: a Map iterates in insertion order, so re-inserting on use keeps the least
 * recently used key first, and evicting is deleting the first key. Entries also carry a deadline.
 */
export class Lru {
  private readonly map = new Map<string, Entry>()
  constructor (private readonly max: number) {}

  get size (): number { return this.map.size }

  /** The live entry, made the most recently used; undefined when absent or past its deadline. */
  get (key: string, now: number): Entry | undefined {
    const entry = this.peek(key, now)
    if (entry !== undefined) {
      this.map.delete(key)
      this.map.set(key, entry)
    }
    return entry
  }

  peek (key: string, now: number): Entry | undefined {
    const entry = this.map.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now) {
      this.map.delete(key)
      return undefined
    }
    return entry
  }

  set (key: string, entry: Entry): void {
    this.map.delete(key)
    this.map.set(key, entry)
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string)
  }

  delete (key: string): void { this.map.delete(key) }
  clear (): void { this.map.clear() }
}

/**
 * AUTH_CACHE=on: an in-process cache in front of Redis for what authentication reads (see
 * CACHED_KEY_PREFIXES), kept exact by Redis's server-assisted invalidation.
 *
 * Reads that may be cached go over a connection of their own with `CLIENT TRACKING ON REDIRECT <id>`:
 * Redis remembers every key that connection read and, when any client changes the key (a write, a
 * Lua script, an expiry, an eviction, FLUSHDB), sends the key to the subscriber connection `<id>` on
 * `__redis__:invalidate`. So every instance learns of every change to a key it holds, including the
 * ones no code of ours wrote, and the message leaves Redis as part of the write itself. This
 * process's own writes (through `inner`) also drop their keys locally before and after they run, so
 * it reads its own writes even before the message comes back.
 *
 * It fails closed. A lookup is answered from the cache only while the subscriber is connected,
 * tracking is armed on the read connection for that subscriber, and a heartbeat this instance
 * publishes to itself every `heartbeatMs` came back within `silenceMs` (messages on one connection
 * arrive in order, so a heartbeat back means every invalidation sent before it was handled). Any
 * disconnect, re-arm, FLUSHDB or heartbeat silence drops the whole cache; until the channel is
 * healthy again every lookup goes to Redis and nothing is cached.
 *
 * A read that an invalidation (or a drop) overtakes while it is in flight is not cached: the value it
 * brings may predate the change.
 */
export class CachedKvStore implements KvStore {
  readonly kind = 'redis' as const
  readonly instanceId = randomBytes(6).toString('hex')
  private readonly lru: Lru
  private readonly heartbeatMs: number
  private readonly silenceMs: number
  private readonly heartbeatChannel: string
  /** Bumped by every drop; a read only caches what it fetched if the epoch did not move meanwhile. */
  private epoch = 0
  /** Tracking on the read connection points at the current subscriber connection. */
  private armed = false
  private subscriberId: number | null = null
  /** The send time (performance.now()) of the latest heartbeat that came back. */
  private confirmedAt = 0
  /** Bumped whenever either connection closes: an arming that spans it must not complete. */
  private links = 0
  /** Keys being fetched, and whether an invalidation hit them meanwhile. */
  private readonly inflight = new Map<string, { readers: number, invalidated: boolean }>()
  private readonly timer: NodeJS.Timeout
  private closed = false
  private readonly counters = { hits: 0, misses: 0, invalidations: 0, drops: 0, pauses: 0 }
  /** Called when lookups stop or start being served from the cache (the app logs it). */
  onServingChange: (serving: boolean, reason: string) => void = () => {}
  private lastServing = false
  private readonly pulse: NodeJS.Timeout
  private pulseAt = performance.now()
  /** When the latest pause was noticed (performance.now()); the cache serves again once a heartbeat sent after it is back. */
  private resumedAt = 0
  /** Settles when tracking is first armed, or with the reason Redis refused it. */
  private firstArm: { promise: Promise<void>, resolve: () => void, reject: (err: Error) => void }

  private constructor (
    private readonly inner: KvStore,
    private readonly reader: RedisKvStore,
    private readonly subscriber: Redis,
    private readonly options: AuthCacheOptions
  ) {
    let settle = (): void => {}
    let refuse = (_err: Error): void => {}
    const promise = new Promise<void>((resolve, reject) => { settle = resolve; refuse = reject })
    promise.catch(() => {})
    this.firstArm = { promise, resolve: settle, reject: refuse }
    this.lru = new Lru(options.max)
    this.heartbeatMs = options.heartbeatMs ?? 250
    this.silenceMs = options.silenceMs ?? 1000
    this.heartbeatChannel = `${options.prefix}auth-cache:heartbeat:${this.instanceId}`
    subscriber.on('messageBuffer', (channel: Buffer, message: unknown) => { this.onMessage(channel.toString(), message) })
    subscriber.on('close', () => {
      this.subscriberId = null
      this.disarm('the invalidation connection closed')
    })
    subscriber.on('ready', () => { this.subscribe().catch(() => {}) })
    reader.client.on('close', () => { this.disarm('the cache read connection closed') })
    reader.client.on('ready', () => { this.arm().catch(() => {}) })
    this.timer = setInterval(() => { this.beat() }, this.heartbeatMs)
    this.timer.unref()
    this.pulse = setInterval(() => { this.checkPulse(true) }, PULSE_MS)
    this.pulse.unref()
  }

  /** A late pulse (see PULSE_MS) marks a pause: serving waits for a heartbeat sent after it. */
  private checkPulse (tick: boolean): void {
    const now = performance.now()
    if (now - this.pulseAt > LATE_PULSE_MS && this.resumedAt < this.pulseAt) {
      this.resumedAt = now
      this.counters.pauses++
      this.beat()
    }
    if (tick) this.pulseAt = now
  }

  /** Names of the two connections this instance opens (CLIENT LIST shows them; the tests kill them by name). */
  get connectionNames (): { subscriber: string, reader: string } {
    return { subscriber: `${this.options.prefix}auth-cache-sub:${this.instanceId}`, reader: `${this.options.prefix}auth-cache-read:${this.instanceId}` }
  }

  /** Wraps `inner` (the app's Redis store); resolves once both connections are up (serving follows the first heartbeat). */
  static async open (inner: KvStore, options: AuthCacheOptions): Promise<CachedKvStore> {
    const reader = await RedisKvStore.connect({ url: options.url, prefix: options.prefix })
    const subscriber = new Redis(options.url, {
      lazyConnect: true,
      // Subscriptions are renewed by hand after a reconnect: the new connection has a new client id,
      // which the read connection's tracking must be pointed at first.
      autoResubscribe: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 5000,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000)
    })
    subscriber.on('error', () => {})
    const store = new CachedKvStore(inner, reader, subscriber, options)
    try {
      await subscriber.connect()
    } catch (err) {
      await store.close()
      throw new StoreUnavailableError(err)
    }
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([store.firstArm.promise, new Promise((_resolve, reject) => {
        timer = setTimeout(() => { reject(new Error('no answer within 5 s')) }, 5000)
      })])
    } catch (err) {
      await store.close()
      throw new ConfigError(`AUTH_CACHE: Redis did not turn client tracking on (it needs Redis 6 or later and the CLIENT command): ${(err as Error).message}`)
    } finally {
      clearTimeout(timer)
    }
    return store
  }

  get stats (): AuthCacheStats {
    return { ...this.counters, entries: this.lru.size, serving: this.serving(performance.now()) }
  }

  /**
   * Whether a lookup may be answered from the cache now (`now`: performance.now(), the heartbeat's own
   * monotonic clock); drops the cache when the heartbeat went silent.
   */
  private serving (now: number): boolean {
    if (!this.armed) return this.report(false, 'not armed')
    if (this.confirmedAt < this.resumedAt) return this.report(false, 'the process was paused: waiting for a heartbeat sent after it')
    if (now - this.confirmedAt > this.silenceMs) {
      if (this.lru.size > 0 || this.inflight.size > 0) this.drop()
      return this.report(false, `no heartbeat back for ${now - this.confirmedAt} ms`)
    }
    return this.report(true, 'heartbeat back')
  }

  private report (serving: boolean, reason: string): boolean {
    // Closing disconnects on purpose: nothing to report.
    if (serving !== this.lastServing && !this.closed) {
      this.lastServing = serving
      this.onServingChange(serving, reason)
    }
    return serving
  }

  private drop (): void {
    this.epoch++
    this.counters.drops++
    this.lru.clear()
    for (const flight of this.inflight.values()) flight.invalidated = true
  }

  private disarm (reason: string): void {
    this.links++
    this.armed = false
    this.confirmedAt = 0
    this.drop()
    this.report(false, reason)
  }

  private invalidate (key: string): void {
    this.counters.invalidations++
    this.lru.delete(key)
    const flight = this.inflight.get(key)
    if (flight !== undefined) flight.invalidated = true
  }

  /** After every (re)connect of the subscriber: learn its id, subscribe, then point tracking at it. */
  private async subscribe (): Promise<void> {
    const subscriber = this.subscriber
    try {
      await subscriber.call('CLIENT', 'SETNAME', this.connectionNames.subscriber)
      const id = Number(await subscriber.call('CLIENT', 'ID'))
      await subscriber.subscribe(INVALIDATE_CHANNEL, this.heartbeatChannel)
      if (subscriber.status !== 'ready') return
      this.subscriberId = id
      await this.arm()
    } catch (err) {
      // A refusal stops startup (see arm); a connection that went down meanwhile starts over on its next 'ready'.
      this.refused(err)
    }
  }

  /** Turns tracking on the read connection towards the current subscriber (again after either reconnects). */
  private async arm (): Promise<void> {
    const id = this.subscriberId
    if (id === null || this.reader.client.status !== 'ready') return
    if (this.armed) this.disarm('tracking is being pointed at a new subscriber')
    const links = this.links
    try {
      const client = this.reader.client
      await client.call('CLIENT', 'SETNAME', this.connectionNames.reader)
      // Off first: a connection that tracks already cannot be pointed elsewhere in one command.
      await client.call('CLIENT', 'TRACKING', 'OFF')
      await client.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(id))
      if (this.links !== links || this.subscriberId !== id) return
      this.armed = true
      this.firstArm.resolve()
      this.beat()
    } catch (err) {
      // A connection that went down meanwhile arms again on its next 'ready'.
      this.refused(err)
    }
  }

  /** Redis answered with an error (before 6: no CLIENT TRACKING; an ACL without CLIENT): startup fails. */
  private refused (err: unknown): void {
    if (/^(ERR|NOPERM)/.test((err as Error).message)) this.firstArm.reject(err as Error)
  }

  private beat (): void {
    if (this.closed || !this.armed) return
    if (this.reader.client.status === 'ready') {
      this.reader.client.publish(this.heartbeatChannel, String(performance.now())).catch(() => {})
    }
    this.serving(performance.now())
  }

  private onMessage (channel: string, message: unknown): void {
    if (channel === this.heartbeatChannel) {
      const sentAt = Number(String(message))
      if (this.armed && Number.isFinite(sentAt) && sentAt > this.confirmedAt) this.confirmedAt = sentAt
      return
    }
    if (channel !== INVALIDATE_CHANNEL) return
    // A null payload: FLUSHDB/FLUSHALL, or Redis dropping its tracking table; anything may have changed.
    if (!Array.isArray(message)) {
      this.drop()
      return
    }
    const prefix = this.options.prefix
    for (const raw of message as Buffer[]) {
      const key = String(raw)
      if (key.startsWith(prefix)) this.invalidate(key.slice(prefix.length))
    }
  }

  /** Whether `getMany(keys)` would be answered now without a store round trip (x-auth-store-ops). */
  cached (keys: string[]): boolean {
    const now = Date.now()
    this.checkPulse(false)
    return keys.length > 0 && keys.every(isCachedKey) && this.serving(performance.now()) && keys.every(k => this.lru.peek(k, now) !== undefined)
  }

  async get (key: string): Promise<string | null> {
    if (!isCachedKey(key)) return await this.inner.get(key)
    this.checkPulse(false)
    if (!this.serving(performance.now())) return await this.inner.get(key)
    const [value = null] = await this.getMany([key])
    return value
  }

  async getMany (keys: string[]): Promise<Array<string | null>> {
    if (keys.length === 0 || !keys.every(isCachedKey)) return await this.inner.getMany(keys)
    this.checkPulse(false)
    const now = Date.now()
    if (!this.serving(performance.now())) return await this.inner.getMany(keys)
    const values: Array<string | null> = new Array(keys.length).fill(null)
    const missing: number[] = []
    keys.forEach((key, i) => {
      const entry = this.lru.get(key, now)
      if (entry === undefined) missing.push(i)
      else values[i] = entry.value
    })
    if (missing.length === 0) {
      this.counters.hits++
      return values
    }
    this.counters.misses++
    const wanted = [...new Set(missing.map(i => keys[i] as string))]
    const epoch = this.epoch
    for (const key of wanted) {
      const flight = this.inflight.get(key)
      if (flight === undefined) this.inflight.set(key, { readers: 1, invalidated: false })
      else flight.readers++
    }
    let fetched: Array<string | null> | undefined
    try {
      // The tracked connection: Redis now owes this instance a message when any of these keys changes.
      fetched = await this.reader.getMany(wanted)
    } finally {
      const fresh = this.epoch === epoch && this.serving(performance.now())
      const expiresAt = Date.now() + this.options.ttlMs
      wanted.forEach((key, j) => {
        const flight = this.inflight.get(key)
        if (flight === undefined) return
        if (fresh && !flight.invalidated && fetched !== undefined) this.lru.set(key, { value: fetched[j] ?? null, expiresAt })
        if (--flight.readers === 0) this.inflight.delete(key)
      })
    }
    const byKey = new Map(wanted.map((key, j) => [key, fetched?.[j] ?? null]))
    for (const i of missing) values[i] = byKey.get(keys[i] as string) ?? null
    return values
  }

  /** Runs a write of `keys`, dropping their cached values before and after (this process reads its own writes). */
  private async write<T> (keys: string[], run: () => Promise<T>): Promise<T> {
    const touched = keys.filter(isCachedKey)
    for (const key of touched) this.invalidate(key)
    try {
      return await run()
    } finally {
      for (const key of touched) this.invalidate(key)
    }
  }

  async set (key: string, value: string, ttlMs?: number): Promise<void> {
    await this.write([key], async () => { await this.inner.set(key, value, ttlMs) })
  }

  async setIfAbsent (key: string, value: string, ttlMs?: number): Promise<boolean> {
    return await this.write([key], async () => await this.inner.setIfAbsent(key, value, ttlMs))
  }

  async swap (key: string, expected: string, next: string | null, ttlMs?: number): Promise<boolean> {
    return await this.write([key], async () => await this.inner.swap(key, expected, next, ttlMs))
  }

  async setIfCurrent (key: string, prefix: string, value: string, ttlMs?: number, unlessKey?: string): Promise<ConditionalWrite> {
    return await this.write([key], async () => await this.inner.setIfCurrent(key, prefix, value, ttlMs, unlessKey))
  }

  async del (...keys: string[]): Promise<number> {
    return await this.write(keys, async () => await this.inner.del(...keys))
  }

  async setAdd (key: string, member: string, ttlMs?: number): Promise<void> {
    await this.inner.setAdd(key, member, ttlMs)
  }

  async setRemove (key: string, ...members: string[]): Promise<void> {
    await this.inner.setRemove(key, ...members)
  }

  async setMembers (key: string): Promise<string[]> {
    return await this.inner.setMembers(key)
  }

  async ttl (key: string): Promise<number> {
    return await this.inner.ttl(key)
  }

  async ping (): Promise<void> {
    await this.inner.ping()
  }

  /** Closes the cache's own connections; the app closes `inner`, which it opened. */
  async close (): Promise<void> {
    this.closed = true
    clearInterval(this.timer)
    clearInterval(this.pulse)
    this.armed = false
    this.lru.clear()
    this.subscriber.disconnect()
    await this.reader.close()
  }
}
