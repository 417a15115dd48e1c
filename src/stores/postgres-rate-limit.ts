import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { PostgresKvStore } from './postgres-store.js'

/**
 * @fastify/rate-limit's counters in PostgreSQL (the library ships a Redis store only), so every instance
 * on one database shares the login limits as it does on Redis. Fixed windows, as the library's own
 * stores count: the first attempt starts a window of `timeWindow`, the count resets when it ends. Keys go
 * under `namespace` (`login-limit:`, after the store's KEY_PREFIX); every limiter of the app shares them
 * (their keys, `ip:...` and `user:...`, do not collide).
 */
export function postgresRateLimitStore (store: PostgresKvStore, namespace: string): FastifyRateLimitStoreCtor {
  return class PostgresRateLimitStore implements FastifyRateLimitStore {
    incr (key: string, callback: (error: Error | null, result?: { current: number, ttl: number }) => void, timeWindow: number): void {
      store.increment(namespace + key, timeWindow).then(result => { callback(null, result) }, (err: Error) => { callback(err) })
    }

    child (): FastifyRateLimitStore {
      return this
    }
  }
}
