import type { KvStore } from '../stores/kv-store.js'
import type { UserRepository } from '../users/user-repository.js'

/** Helpers the strategies' demo adapters share (demo mode only): redaction and store summaries. */

/** Shows the first characters of a secret and nothing more. */
export function redact (secret: string, keep = 6): string {
  return secret.length <= keep ? '…' : `${secret.slice(0, keep)}…`
}

/** Seconds until a key expires, or null when it has no expiry or is gone. */
export async function ttlSeconds (store: KvStore, key: string): Promise<number | null> {
  const ms = await store.ttl(key)
  return ms < 0 ? null : Math.ceil(ms / 1000)
}

/** The user record as the inspection shows it: no password hash. */
export async function userSummary (users: UserRepository, userId: string): Promise<object> {
  const user = await users.findById(userId)
  return user === null
    ? { key: `user:${userId}`, value: null, note: 'no such user in this store' }
    : { key: `user:${userId}`, value: { username: user.username, role: user.role, disabled: user.disabled, version: user.version, passwordHash: '[redacted]' } }
}
