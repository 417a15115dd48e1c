/**
 * The storage the strategies need, small enough to implement three times (embedded memory, Redis, PostgreSQL).
 * Values are strings (JSON where structured) so both implementations behave the same way.
 * Every method is one round trip to the store.
 */
export interface KvStore {
  readonly kind: 'memory' | 'redis' | 'postgres'
  get: (key: string) => Promise<string | null>
  /**
   * Reads several keys in one round trip; missing keys come back as null, in order. On Redis Cluster it
   * is one MGET when every key carries the same hash tag, else one read per slot group, sent at once.
   */
  getMany: (keys: string[]) => Promise<Array<string | null>>
  /** Writes a value; `ttlMs` makes it expire (omit for no expiry). */
  set: (key: string, value: string, ttlMs?: number) => Promise<void>
  /** Writes only when the key does not exist; true when written. */
  setIfAbsent: (key: string, value: string, ttlMs?: number) => Promise<boolean>
  /**
   * Atomically replaces `expected` with `next` (compare-and-swap); true when this caller won.
   * `next === null` deletes the key. The building block for race-free refresh token rotation.
   */
  swap: (key: string, expected: string, next: string | null, ttlMs?: number) => Promise<boolean>
  /**
   * Conditional update in one atomic step: writes only while the key exists, its value still starts with
   * `prefix` (a revision the caller read) and `unlessKey`, when given, does not exist (an end marker).
   * Never creates the key. Returns `written`, or why not: `missing` (no such key), `blocked` (`unlessKey`
   * exists) or `changed` (someone wrote a newer value since the caller read it). `unlessKey` must carry
   * the same hash tag as `key` (sameSlot), so both sit in one Redis Cluster slot; every store checks it.
   */
  setIfCurrent: (key: string, prefix: string, value: string, ttlMs?: number, unlessKey?: string) => Promise<ConditionalWrite>
  del: (...keys: string[]) => Promise<number>
  /** Adds to a set (a per-user index) and pushes the set's expiry to at least `ttlMs` from now. */
  setAdd: (key: string, member: string, ttlMs?: number) => Promise<void>
  setRemove: (key: string, ...members: string[]) => Promise<void>
  setMembers: (key: string) => Promise<string[]>
  /** Milliseconds until the key expires: -1 no expiry, -2 missing (Redis PTTL semantics). */
  ttl: (key: string) => Promise<number>
  /**
   * AUTH_CACHE only (cached-store.ts): whether `getMany(keys)` would be answered right now from this
   * process's cache, without a round trip. Absent on a store that caches nothing.
   */
  cached?: (keys: string[]) => boolean
  /** Throws when the store cannot answer. */
  ping: () => Promise<void>
  close: () => Promise<void>
}

/**
 * A key's Redis Cluster hash tag: what lies between its first `{` and the first `}` after it, when that
 * is not empty (Redis then hashes only this part), else null (the whole key is hashed). Keys with the
 * same tag always share a slot, on any cluster; single-node Redis and memory ignore tags.
 */
export function hashTag (key: string): string | null {
  const open = key.indexOf('{')
  if (open === -1) return null
  const close = key.indexOf('}', open + 1)
  return close > open + 1 ? key.slice(open + 1, close) : null
}

/** Whether two keys are certain to share a slot: the same key, or the same hash tag. */
export function sameSlot (a: string, b: string): boolean {
  if (a === b) return true
  const tag = hashTag(a)
  return tag !== null && tag === hashTag(b)
}

/** A multi-key call whose keys may land on different Redis Cluster slots: a bug in the caller (answered 500). */
export class CrossSlotKeys extends Error {
  override name = 'CrossSlotKeys'
  constructor (keys: string[]) {
    super(`keys that must share a hash tag do not: ${keys.join(', ')}`)
  }
}

export type ConditionalWrite = 'written' | 'missing' | 'blocked' | 'changed'

/** Raised when the backing store cannot be reached; mapped to 503 store_unavailable. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError'
  readonly code = 'STORE_UNAVAILABLE'
  constructor (cause?: unknown) {
    super('the session/token store is unavailable', { cause })
  }
}
