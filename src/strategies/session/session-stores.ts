import type { FastifyRequest } from 'fastify'
import type { SessionStore } from '@fastify/session'
import { RedisStore } from 'connect-redis'
import type { KvStore } from '../../stores/kv-store.js'
import { RedisKvStore } from '../../stores/redis-store.js'
import type { StoredSession } from './session-data.js'

type Callback = (err?: unknown) => void
type GetCallback = (err: unknown, session?: any) => void

export const SESSION_KEY_PREFIX = 'sess:'

/** Milliseconds until a session record's cookie expires; the store expires the record at the same time. */
export function ttlOf (session: StoredSession): number | undefined {
  const expires = session.cookie?.expires
  return expires === undefined || expires === null ? undefined : new Date(expires).getTime() - Date.now()
}

/**
 * @fastify/session store over the embedded KvStore. Records expire with the cookie and are swept,
 * unlike @fastify/session's bundled MemoryStore, which keeps every session until the process ends.
 */
export class KvSessionStore implements SessionStore {
  constructor (private readonly kv: KvStore) {}

  get (sessionId: string, callback: GetCallback): void {
    this.kv.get(SESSION_KEY_PREFIX + sessionId).then(
      raw => { callback(null, raw === null ? null : JSON.parse(raw)) },
      err => { callback(err) })
  }

  set (sessionId: string, session: any, callback: Callback): void {
    this.kv.set(SESSION_KEY_PREFIX + sessionId, JSON.stringify(session), ttlOf(session)).then(() => { callback() }, callback)
  }

  destroy (sessionId: string, callback: Callback): void {
    this.kv.del(SESSION_KEY_PREFIX + sessionId).then(() => { callback() }, callback)
  }
}

/** The store sessions use: connect-redis on the app's ioredis client for Redis, KvSessionStore for memory. */
export function createSessionStore (kv: KvStore, keyPrefix: string): SessionStore {
  if (kv instanceof RedisKvStore) {
    return new RedisStore({ client: kv.client, prefix: keyPrefix + SESSION_KEY_PREFIX }) as unknown as SessionStore
  }
  return new KvSessionStore(kv)
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
    if (request !== null) request.authStoreOps++
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
