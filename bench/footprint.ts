import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { scanKeys } from './redis.js'

/** One key a login created, with what it costs in Redis. */
export interface FootprintKey {
  /** The key with the prefix removed and its ids replaced by <id>, e.g. `sess:{<id>}`. */
  pattern: string
  type: string
  /** `MEMORY USAGE <key> SAMPLES 0`: bytes Redis spends on the key, value and overhead. */
  bytes: number
  /** Expiry left when measured, ms (-1: none). */
  ttlMs: number
}

/** A key as it was just after a real login, used to seed thousands of look-alike logins. */
interface KeyTemplate {
  /** Key without the prefix. */
  name: string
  type: 'string' | 'set'
  value: string | string[]
  ttlMs: number
}

export interface LoginFootprint {
  keys: FootprintKey[]
  totalBytes: number
  templates: KeyTemplate[]
}

/** The id a key name ends with; a hash tag's braces (`sess:{<id>}`) are not part of it. */
const lastSegment = (key: string): string => key.slice(key.lastIndexOf(':') + 1).replace(/^\{(.*)\}$/, '$1')
/** The key's shape: its ids (the last segment, and a hash tag) shown as <id>, e.g. `fam:{<id>}:<id>`. */
export const keyPattern = (name: string): string => name.replace(/\{[^}]+\}/, '{<id>}').replace(/:[^:{}]+$/, ':<id>')

/**
 * Runs one real login and diffs the keys under `prefix` before and after: what one login stores
 * server-side, measured with MEMORY USAGE. The keys become the template for `seedLogins`.
 * The per-user index set (a set of login ids) is shared by the user's logins; with one login it is
 * all that login's, so it is counted.
 */
export async function measureLoginFootprint (client: Redis, prefix: string, login: () => Promise<void>): Promise<LoginFootprint> {
  const before = new Set(await scanKeys(client, prefix))
  await login()
  const created = (await scanKeys(client, prefix)).filter(k => !before.has(k)).sort()
  const keys: FootprintKey[] = []
  const templates: KeyTemplate[] = []
  for (const key of created) {
    const type = await client.type(key)
    const bytes = Number(await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'))
    const ttlMs = await client.pttl(key)
    const name = key.slice(prefix.length)
    keys.push({ pattern: keyPattern(name), type, bytes, ttlMs })
    if (type === 'string') templates.push({ name, type, value: (await client.get(key)) ?? '', ttlMs })
    else if (type === 'set') templates.push({ name, type, value: await client.smembers(key), ttlMs })
  }
  return { keys, totalBytes: keys.reduce((sum, k) => sum + k.bytes, 0), templates }
}

function randomLike (id: string): string {
  // Same length and alphabet family, so seeded records are the size of real ones.
  const prefix = /^[a-z]_/.test(id) ? id.slice(0, 2) : ''
  const body = randomBytes(Math.ceil(id.length * 0.75) + 2).toString('base64url').slice(0, id.length - prefix.length)
  return prefix + body
}

/**
 * Writes `count` look-alike logins straight into Redis: each is a copy of the template keys with every
 * id (the last segment of each key name: session id, user id, family id, token hash) replaced by a new
 * random one, in key names, JSON values and set members alike, and the same expiry. Much faster than
 * `count` scrypt logins, and the stored records have the real shape and size.
 */
export async function seedLogins (client: Redis, prefix: string, templates: readonly KeyTemplate[], count: number): Promise<number> {
  const ids = [...new Set(templates.map(t => lastSegment(t.name)))].filter(id => id.length >= 8)
  const BATCH = 1000
  let written = 0
  for (let start = 0; start < count; start += BATCH) {
    const pipeline = client.pipeline()
    for (let i = start; i < Math.min(count, start + BATCH); i++) {
      const map = new Map(ids.map(id => [id, randomLike(id)]))
      const swap = (s: string): string => {
        let out = s
        for (const [from, to] of map) out = out.split(from).join(to)
        return out
      }
      for (const t of templates) {
        const key = prefix + swap(t.name)
        if (t.type === 'string') {
          if (t.ttlMs > 0) pipeline.set(key, swap(t.value as string), 'PX', t.ttlMs)
          else pipeline.set(key, swap(t.value as string))
        } else {
          pipeline.sadd(key, ...(t.value as string[]).map(swap))
          if (t.ttlMs > 0) pipeline.pexpire(key, t.ttlMs)
        }
      }
    }
    await pipeline.exec()
    written = Math.min(count, start + BATCH)
  }
  return written
}
