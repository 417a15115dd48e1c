import { Redis } from 'ioredis'
import { StoreUnavailableError, type ConditionalWrite, type KvStore } from './kv-store.js'

/** Compare-and-swap in one atomic step: only the caller that still sees `expected` replaces it. */
const SWAP_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1])
elseif ARGV[3] == '' then redis.call('SET', KEYS[1], ARGV[2])
else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1`

/** SADD that only ever lengthens the set's expiry (a fresh set has none, PTTL -1). */
const SET_ADD_SCRIPT = `
redis.call('SADD', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
end
return 1`

/** A write that never creates: the key must exist, carry the expected prefix, and KEYS[2] must not exist. */
const SET_IF_CURRENT_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current then return 'missing' end
if KEYS[2] ~= KEYS[1] and redis.call('EXISTS', KEYS[2]) == 1 then return 'blocked' end
if string.sub(current, 1, string.len(ARGV[1])) ~= ARGV[1] then return 'changed' end
if ARGV[3] == '' then redis.call('SET', KEYS[1], ARGV[2])
else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 'written'`

interface ScriptedRedis extends Redis {
  svjSwap: (key: string, expected: string, next: string, ttl: string) => Promise<number>
  svjSetAdd: (key: string, member: string, ttl: string) => Promise<number>
  svjSetIfCurrent: (key: string, unlessKey: string, prefix: string, value: string, ttl: string) => Promise<ConditionalWrite>
}

export interface RedisStoreOptions {
  url: string
  prefix: string
  /** How long startup waits for the first connection. */
  connectTimeoutMs?: number
}

/**
 * Redis over ioredis. The offline queue is off so that, while Redis is down, commands fail at once
 * (mapped to 503 store_unavailable) instead of piling up; ioredis keeps reconnecting in the background,
 * so service resumes without a restart. Auto-pipelining batches concurrent commands into one write.
 */
export class RedisKvStore implements KvStore {
  readonly kind = 'redis' as const
  readonly client: ScriptedRedis

  private constructor (client: Redis, private readonly prefix: string) {
    client.defineCommand('svjSwap', { numberOfKeys: 1, lua: SWAP_SCRIPT })
    client.defineCommand('svjSetAdd', { numberOfKeys: 1, lua: SET_ADD_SCRIPT })
    client.defineCommand('svjSetIfCurrent', { numberOfKeys: 2, lua: SET_IF_CURRENT_SCRIPT })
    this.client = client as ScriptedRedis
  }

  /** Connects and waits until Redis answers; throws StoreUnavailableError after the timeout. */
  static async connect (options: RedisStoreOptions): Promise<RedisKvStore> {
    const client = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 1,
      connectTimeout: options.connectTimeoutMs ?? 5000,
      // A Redis that accepts but never answers (paused, partitioned) must fail closed, not hang requests.
      commandTimeout: 2000,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000)
    })
    // Without a listener, ioredis reports every failed reconnect as an unhandled 'error' event.
    client.on('error', () => {})
    try {
      await client.connect()
    } catch (err) {
      client.disconnect()
      throw new StoreUnavailableError(err)
    }
    return new RedisKvStore(client, options.prefix)
  }

  get ready (): boolean {
    return this.client.status === 'ready'
  }

  private async run<T> (command: () => Promise<T>): Promise<T> {
    try {
      return await command()
    } catch (err) {
      throw new StoreUnavailableError(err)
    }
  }

  async get (key: string): Promise<string | null> {
    return await this.run(async () => await this.client.get(this.prefix + key))
  }

  async getMany (keys: string[]): Promise<Array<string | null>> {
    if (keys.length === 0) return []
    return await this.run(async () => await this.client.mget(keys.map(k => this.prefix + k)))
  }

  async set (key: string, value: string, ttlMs?: number): Promise<void> {
    await this.run(async () => ttlMs === undefined
      ? await this.client.set(this.prefix + key, value)
      : await this.client.set(this.prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs))))
  }

  async setIfAbsent (key: string, value: string, ttlMs?: number): Promise<boolean> {
    const reply = await this.run(async () => ttlMs === undefined
      ? await this.client.set(this.prefix + key, value, 'NX')
      : await this.client.set(this.prefix + key, value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX'))
    return reply === 'OK'
  }

  async swap (key: string, expected: string, next: string | null, ttlMs?: number): Promise<boolean> {
    const ttl = ttlMs === undefined ? '' : String(Math.max(1, Math.ceil(ttlMs)))
    return await this.run(async () => await this.client.svjSwap(this.prefix + key, expected, next ?? '', ttl)) === 1
  }

  async setIfCurrent (key: string, prefix: string, value: string, ttlMs?: number, unlessKey?: string): Promise<ConditionalWrite> {
    const ttl = ttlMs === undefined ? '' : String(Math.max(1, Math.ceil(ttlMs)))
    // Without an end marker KEYS[2] repeats KEYS[1] (the script skips it): both keys stay declared for Cluster.
    const guard = this.prefix + (unlessKey ?? key)
    return await this.run(async () => await this.client.svjSetIfCurrent(this.prefix + key, guard, prefix, value, ttl))
  }

  async del (...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0
    return await this.run(async () => await this.client.del(...keys.map(k => this.prefix + k)))
  }

  async setAdd (key: string, member: string, ttlMs?: number): Promise<void> {
    const ttl = ttlMs === undefined ? '' : String(Math.max(1, Math.ceil(ttlMs)))
    await this.run(async () => await this.client.svjSetAdd(this.prefix + key, member, ttl))
  }

  async setRemove (key: string, ...members: string[]): Promise<void> {
    if (members.length === 0) return
    await this.run(async () => await this.client.srem(this.prefix + key, ...members))
  }

  async setMembers (key: string): Promise<string[]> {
    return await this.run(async () => await this.client.smembers(this.prefix + key))
  }

  async ttl (key: string): Promise<number> {
    return await this.run(async () => await this.client.pttl(this.prefix + key))
  }

  async ping (): Promise<void> {
    await this.run(async () => await this.client.ping())
  }

  async close (): Promise<void> {
    try {
      await this.client.quit()
    } catch {
      this.client.disconnect()
    }
  }
}
