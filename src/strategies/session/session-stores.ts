import type { FastifyRequest } from 'fastify'
import type { SessionStore } from '@fastify/session'
import { RedisStore } from 'connect-redis'
import type { KvStore } from '../../stores/kv-store.js'
import { RedisKvStore } from '../../stores/redis-store.js'
import type { SessionRedisStore } from '../../config/config.js'
import type { StoredSession } from './session-data.js'

type Callback = (err?: unknown) => void
type GetCallback = (err: unknown, session?: any) => void

/**
 * `sess:{<id>}`: a session record. The braces make the session id the key's Redis Cluster hash tag, shared
 * with its end marker, so the conditional write that reads both runs on one slot.
 */
export const sessionKey = (sessionId: string): string => `sess:{${sessionId}}`
/** `sess-end:{<id>}`: left for a while when a session ends (value: the EndReason); no write may revive the session meanwhile. */
export const sessionEndKey = (sessionId: string): string => `sess-end:{${sessionId}}`
/** connect-redis's own record names (`sess:<id>`, a prefix it appends the id to: no hash tag, none needed). */
const CONNECT_REDIS_PREFIX = 'sess:'

/** The server's limits on a session: idle and absolute (SESSION_IDLE_TTL, SESSION_ABSOLUTE_TTL). */
export interface SessionLifetimes { idleTtlMs: number, absoluteTtlMs: number }

/**
 * Milliseconds until a session record's cookie expires; the store expires the record at the same time.
 * A browser-session cookie (SESSION_COOKIE_PERSISTENT=false) has no expiry of its own: its record then
 * expires when the server's idle or absolute limit would end the session anyway.
 */
export function ttlOf (session: StoredSession, lifetimes?: SessionLifetimes): number | undefined {
  const expires = session.cookie?.expires
  if (expires !== undefined && expires !== null) return new Date(expires).getTime() - Date.now()
  const auth = session.auth
  if (auth === undefined || lifetimes === undefined) return undefined
  return Math.max(1, Math.min(auth.lastSeenAt + lifetimes.idleTtlMs, auth.createdAt + lifetimes.absoluteTtlMs) - Date.now())
}

/**
 * A write-back the store refused: `ended` (the record is gone or its end marker exists: the session was
 * revoked, logged out or expired while the request ran) or `stale` (someone, e.g. a role change, wrote a
 * newer revision since this request read the record; the session lives on with that newer state).
 */
export class SessionWriteDropped extends Error {
  override name = 'SessionWriteDropped'
  constructor (readonly reason: 'ended' | 'stale') {
    super(`session write dropped: ${reason}`)
  }
}

/**
 * The `auth` objects of logins in progress. Only these may create a record: @fastify/session's
 * `regenerate` hands the login's new session to `set`, and that one call creates it (SET NX); every
 * other `set` is a conditional update. A WeakSet, so nothing outside this process can mark a session.
 */
const creatable = new WeakSet<object>()

/** Lets the store's next `set` of the session holding `auth` create its record (the login route only). */
export function allowCreation (auth: object): void {
  creatable.add(auth)
}

/**
 * The part of @fastify/session's cookie that differs between sessions. The rest (path, secure, sameSite,
 * httpOnly, domain) is the app's cookie configuration, which @fastify/session merges back in when it
 * restores a session: storing it would only make every record longer to write, keep and parse.
 */
function storedCookie (cookie: any): StoredSession['cookie'] {
  return { originalMaxAge: cookie?.originalMaxAge ?? null, expires: cookie?.expires ?? null }
}

/** `{"rev":N,`: the start of a record written at revision N (`rev` is serialised first on purpose). */
const revisionPrefix = (rev: unknown): string => typeof rev === 'number' ? `{"rev":${rev},` : '{"cookie":'

/**
 * @fastify/session store over the KvStore (memory and Redis alike). Records expire with the cookie
 * (unlike @fastify/session's bundled MemoryStore, which keeps every session until the process ends).
 *
 * Only a login creates a record. Every later `set` (the touch write-back in onSend, a role update) is
 * one atomic conditional update: the record must still exist, carry the revision this request read,
 * and have no end marker; otherwise the write is dropped and `set` fails with SessionWriteDropped.
 * So a request that was in flight while its session was revoked cannot re-create the record (an
 * unconditional SET, as connect-redis does, would bring it back outside the per-user index, where no
 * later revoke finds it), and a stale write-back cannot undo a role change.
 */
export class KvSessionStore implements SessionStore {
  constructor (private readonly kv: KvStore, private readonly lifetimes?: SessionLifetimes) {}

  /** Whether `get` would be answered from the AUTH_CACHE right now, without a store round trip. */
  cached (sessionId: string): boolean {
    return this.kv.cached?.([sessionKey(sessionId)]) === true
  }

  get (sessionId: string, callback: GetCallback): void {
    this.kv.get(sessionKey(sessionId)).then(
      raw => { callback(null, raw === null ? null : JSON.parse(raw)) },
      err => { callback(err) })
  }

  set (sessionId: string, session: any, callback: Callback): void {
    const { rev, cookie, ...data } = session
    const next = typeof rev === 'number' ? rev + 1 : 1
    const value = JSON.stringify({ rev: next, cookie: storedCookie(cookie), ...data })
    const key = sessionKey(sessionId)
    const written = (): void => {
      session.rev = next
      callback()
    }
    if (data.auth !== undefined && creatable.has(data.auth)) {
      creatable.delete(data.auth)
      this.kv.setIfAbsent(key, value, ttlOf({ cookie, auth: data.auth }, this.lifetimes)).then(created => {
        if (created) written()
        else callback(new Error('session id collision: a record with the new id already exists'))
      }, callback)
      return
    }
    this.kv.setIfCurrent(key, revisionPrefix(rev), value, ttlOf({ cookie, auth: data.auth }, this.lifetimes), sessionEndKey(sessionId)).then(result => {
      if (result === 'written') written()
      else callback(new SessionWriteDropped(result === 'changed' ? 'stale' : 'ended'))
    }, callback)
  }

  destroy (sessionId: string, callback: Callback): void {
    this.kv.del(sessionKey(sessionId)).then(() => { callback() }, callback)
  }
}

/**
 * The store sessions use: KvSessionStore on either store. SESSION_REDIS_STORE=connect-redis swaps in
 * connect-redis on the app's ioredis client, only so the benchmark can measure the plugin defaults:
 * its `set` is an unconditional SET, so it keeps the write-back resurrection described above.
 */
export function createSessionStore (kv: KvStore, keyPrefix: string, redisStore: SessionRedisStore, lifetimes?: SessionLifetimes): SessionStore {
  if (usesConnectRedis(kv, redisStore)) {
    return new RedisStore({ client: (kv as RedisKvStore).client, prefix: keyPrefix + CONNECT_REDIS_PREFIX }) as unknown as SessionStore
  }
  return new KvSessionStore(kv, lifetimes)
}

export function usesConnectRedis (kv: KvStore, redisStore: SessionRedisStore): boolean {
  return redisStore === 'connect-redis' && kv instanceof RedisKvStore
}

/**
 * Counts the lookups @fastify/session makes while authenticating a request. @fastify/session does not
 * pass the request to the store, so a hook that runs just before its onRequest hook names the request
 * (`expect`), and the lookup that hook triggers synchronously is charged to it. Lookups made elsewhere
 * (device lists, admin changes) are not charged to any request.
 */
export class CountingSessionStore implements SessionStore {
  private pending: FastifyRequest | null = null

  constructor (readonly inner: SessionStore) {}

  expect (request: FastifyRequest | null): void {
    this.pending = request
  }

  get (sessionId: string, callback: GetCallback): void {
    const request = this.pending
    this.pending = null
    // Asked just before the lookup, in the same synchronous step, so the answer holds for it.
    const cached = this.inner instanceof KvSessionStore && this.inner.cached(sessionId)
    if (request !== null && !cached) request.authStoreOps++
    this.inner.get(sessionId, callback)
  }

  set (sessionId: string, session: any, callback: Callback): void {
    this.inner.set(sessionId, session, callback)
  }

  destroy (sessionId: string, callback: Callback): void {
    this.inner.destroy(sessionId, callback)
  }
}

/** Promise wrappers for code that is not a @fastify/session hook. */
export function getSession (store: SessionStore, sessionId: string): Promise<StoredSession | null> {
  return new Promise((resolve, reject) => {
    store.get(sessionId, (err, session) => { if (err) reject(err); else resolve((session ?? null) as StoredSession | null) })
  })
}

export function setSession (store: SessionStore, sessionId: string, session: StoredSession): Promise<void> {
  return new Promise((resolve, reject) => {
    store.set(sessionId, session as any, err => { if (err) reject(err); else resolve() })
  })
}

export function destroySession (store: SessionStore, sessionId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    store.destroy(sessionId, err => { if (err) reject(err); else resolve() })
  })
}
