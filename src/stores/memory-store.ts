import { CrossSlotKeys, sameSlot, type ConditionalWrite, type KvStore } from './kv-store.js'

interface Entry {
  value: string | Set<string>
  /** Epoch ms; 0 means no expiry. */
  expiresAt: number
}

const SWEEP_INTERVAL_MS = 10_000

/**
 * Embedded store: a Map with per-key expiry. Expired entries are invisible at once (checked on read)
 * and purged by a periodic sweep, so memory does not grow with logins that have already ended.
 */
export class MemoryKvStore implements KvStore {
  readonly kind = 'memory' as const
  private readonly entries = new Map<string, Entry>()
  private readonly sweeper: NodeJS.Timeout

  constructor (private readonly prefix = '') {
    this.sweeper = setInterval(() => { this.sweep() }, SWEEP_INTERVAL_MS)
    this.sweeper.unref()
  }

  /** Number of live and not-yet-swept entries; for tests and the growth benchmark. */
  get size (): number {
    return this.entries.size
  }

  /** Drops every expired entry now. */
  sweep (now = Date.now()): void {
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== 0 && entry.expiresAt <= now) this.entries.delete(key)
    }
  }

  private live (key: string): Entry | undefined {
    const entry = this.entries.get(this.prefix + key)
    if (entry === undefined) return undefined
    if (entry.expiresAt !== 0 && entry.expiresAt <= Date.now()) {
      this.entries.delete(this.prefix + key)
      return undefined
    }
    return entry
  }

  private string (key: string): string | null {
    const value = this.live(key)?.value
    return typeof value === 'string' ? value : null
  }

  async get (key: string): Promise<string | null> {
    return this.string(key)
  }

  async getMany (keys: string[]): Promise<Array<string | null>> {
    return keys.map(key => this.string(key))
  }

  async set (key: string, value: string, ttlMs?: number): Promise<void> {
    this.entries.set(this.prefix + key, { value, expiresAt: expiry(ttlMs) })
  }

  async setIfAbsent (key: string, value: string, ttlMs?: number): Promise<boolean> {
    if (this.live(key) !== undefined) return false
    this.entries.set(this.prefix + key, { value, expiresAt: expiry(ttlMs) })
    return true
  }

  async swap (key: string, expected: string, next: string | null, ttlMs?: number): Promise<boolean> {
    if (this.string(key) !== expected) return false
    if (next === null) this.entries.delete(this.prefix + key)
    else this.entries.set(this.prefix + key, { value: next, expiresAt: expiry(ttlMs) })
    return true
  }

  async setIfCurrent (key: string, prefix: string, value: string, ttlMs?: number, unlessKey?: string): Promise<ConditionalWrite> {
    // Checked here too, so a key layout that would fail on Redis Cluster fails in every test.
    if (unlessKey !== undefined && !sameSlot(key, unlessKey)) throw new CrossSlotKeys([key, unlessKey])
    // Synchronous from check to write: nothing else runs in between on this thread.
    const current = this.string(key)
    if (current === null) return 'missing'
    if (unlessKey !== undefined && this.live(unlessKey) !== undefined) return 'blocked'
    if (!current.startsWith(prefix)) return 'changed'
    this.entries.set(this.prefix + key, { value, expiresAt: expiry(ttlMs) })
    return 'written'
  }

  async del (...keys: string[]): Promise<number> {
    let removed = 0
    for (const key of keys) {
      if (this.live(key) !== undefined) removed++
      this.entries.delete(this.prefix + key)
    }
    return removed
  }

  async setAdd (key: string, member: string, ttlMs?: number): Promise<void> {
    let entry = this.live(key)
    if (entry === undefined || typeof entry.value === 'string') {
      entry = { value: new Set(), expiresAt: 0 }
      this.entries.set(this.prefix + key, entry)
      entry.expiresAt = expiry(ttlMs)
    } else if (ttlMs !== undefined && entry.expiresAt !== 0) {
      entry.expiresAt = Math.max(entry.expiresAt, expiry(ttlMs))
    }
    ;(entry.value as Set<string>).add(member)
  }

  async setRemove (key: string, ...members: string[]): Promise<void> {
    const entry = this.live(key)
    if (entry === undefined || typeof entry.value === 'string') return
    for (const member of members) entry.value.delete(member)
    if (entry.value.size === 0) this.entries.delete(this.prefix + key)
  }

  async setMembers (key: string): Promise<string[]> {
    const value = this.live(key)?.value
    return value instanceof Set ? [...value] : []
  }

  async ttl (key: string): Promise<number> {
    const entry = this.live(key)
    if (entry === undefined) return -2
    return entry.expiresAt === 0 ? -1 : entry.expiresAt - Date.now()
  }

  async ping (): Promise<void> {}

  async close (): Promise<void> {
    clearInterval(this.sweeper)
    this.entries.clear()
  }
}

function expiry (ttlMs: number | undefined): number {
  return ttlMs === undefined ? 0 : Date.now() + Math.max(1, Math.ceil(ttlMs))
}
