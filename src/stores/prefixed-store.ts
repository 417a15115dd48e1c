import type { ConditionalWrite, KvStore } from './kv-store.js'

/**
 * A view of a store under a key prefix of its own: what a second mount of a strategy writes (its
 * sessions, refresh families, denylist marks) never meets the first mount's keys. Users are not read
 * through it: every mount shares the app's accounts.
 */
export function prefixedStore (store: KvStore, prefix: string): KvStore {
  const k = (key: string): string => prefix + key
  const cached = store.cached?.bind(store)
  return {
    kind: store.kind,
    get: async key => await store.get(k(key)),
    getMany: async keys => await store.getMany(keys.map(k)),
    set: async (key, value, ttlMs) => { await store.set(k(key), value, ttlMs) },
    setIfAbsent: async (key, value, ttlMs) => await store.setIfAbsent(k(key), value, ttlMs),
    swap: async (key, expected, next, ttlMs) => await store.swap(k(key), expected, next, ttlMs),
    setIfCurrent: async (key, valuePrefix, value, ttlMs, unlessKey): Promise<ConditionalWrite> =>
      await store.setIfCurrent(k(key), valuePrefix, value, ttlMs, unlessKey === undefined ? undefined : k(unlessKey)),
    del: async (...keys) => await store.del(...keys.map(k)),
    setAdd: async (key, member, ttlMs) => { await store.setAdd(k(key), member, ttlMs) },
    setRemove: async (key, ...members) => { await store.setRemove(k(key), ...members) },
    setMembers: async key => await store.setMembers(k(key)),
    ttl: async key => await store.ttl(k(key)),
    ...(cached === undefined ? {} : { cached: (keys: string[]) => cached(keys.map(k)) }),
    ping: async () => { await store.ping() },
    // The app closes the store it opened; a view has nothing of its own to close.
    close: async () => {}
  }
}
