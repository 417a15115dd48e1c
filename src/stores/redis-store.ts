import { Cluster, Redis } from 'ioredis'
import { CrossSlotKeys, StoreUnavailableError, hashTag, sameSlot, type ConditionalWrite, type KvStore } from './kv-store.js'

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

interface Scripts {
  svjSwap: (key: string, expected: string, next: string, ttl: string) => Promise<number>
  svjSetAdd: (key: string, member: string, ttl: string) => Promise<number>
  svjSetIfCurrent: (key: string, unlessKey: string, prefix: string, value: string, ttl: string) => Promise<ConditionalWrite>
}
/** One Redis or a Redis Cluster, with the project's scripts (each script's keys share a slot). */
export type ScriptedRedis = (Redis | Cluster) & Scripts

/** A Redis Cluster node to start from (the client learns the others from it). */
export interface ClusterNode {
  host: string
  port: number
}

export interface RedisStoreOptions {
  /** Single-node Redis; ignored when `clusterNodes` is given. */
  url?: string
  /** Redis Cluster: some of its nodes (REDIS_CLUSTER_NODES). */
  clusterNodes?: ClusterNode[]
  prefix: string
  /** How long startup waits for the first connection. */
  connectTimeoutMs?: number
}

/** A Redis that accepts but never answers (paused, partitioned) must fail closed, not hang requests. */
const COMMAND_TIMEOUT_MS = 2000
const reconnectDelay = (attempt: number): number => Math.min(attempt * 100, 1000)

/**
 * Redis over ioredis, one node or a Cluster. The offline queue is off so that, while Redis is down,
 * commands fail at once (mapped to 503 store_unavailable) instead of piling up; ioredis keeps
 * reconnecting in the background, so service resumes without a restart. Auto-pipelining batches
 * concurrent commands into one write (per node on a Cluster).
 *
 * On a Cluster every multi-key command must stay in one slot. The strategies' keys carry hash tags
 * (src/stores/README.md), the scripts' keys share a slot, and `getMany`/`del` split keys of different
 * tags into one command per group, sent at once.
 */
export class RedisKvStore implements KvStore {
  readonly kind = 'redis' as const
  readonly client: ScriptedRedis
  readonly cluster: boolean

  private constructor (client: Redis | Cluster, private readonly prefix: string) {
    client.defineCommand('svjSwap', { numberOfKeys: 1, lua: SWAP_SCRIPT })
    client.defineCommand('svjSetAdd', { numberOfKeys: 1, lua: SET_ADD_SCRIPT })
    client.defineCommand('svjSetIfCurrent', { numberOfKeys: 2, lua: SET_IF_CURRENT_SCRIPT })
    this.client = client as ScriptedRedis
    this.cluster = client instanceof Cluster
  }

  /** Connects and waits until Redis (every master of a Cluster) answers; throws StoreUnavailableError after the timeout. */
  static async connect (options: RedisStoreOptions): Promise<RedisKvStore> {
    const connectTimeout = options.connectTimeoutMs ?? 5000
    const client = options.clusterNodes !== undefined && options.clusterNodes.length > 0
      ? new Cluster(options.clusterNodes, {
        lazyConnect: true,
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        // Startup nodes unreachable, or the slot map lost: try again with a backoff up to 1 s.
        clusterRetryStrategy: reconnectDelay,
        // A master that went away comes back through a slot map refresh: ask for one every 2 s (and on
        // every MOVED), each bounded by 1 s.
        slotsRefreshInterval: 2000,
        slotsRefreshTimeout: 1000,
        // CLUSTERDOWN, TRYAGAIN, a failover: a few short retries, bounded by the command timeout.
        maxRedirections: 6,
        retryDelayOnClusterDown: 100,
        retryDelayOnFailover: 100,
        retryDelayOnTryAgain: 100,
        redisOptions: { connectTimeout, commandTimeout: COMMAND_TIMEOUT_MS, maxRetriesPerRequest: 1 }
      })
      : new Redis(options.url ?? 'redis://127.0.0.1:6379', {
        lazyConnect: true,
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        maxRetriesPerRequest: 1,
        connectTimeout,
        commandTimeout: COMMAND_TIMEOUT_MS,
        retryStrategy: reconnectDelay
      })
    // Without a listener, ioredis reports every failed reconnect as an unhandled 'error' event.
    client.on('error', () => {})
    const store = new RedisKvStore(client, options.prefix)
    try {
      await withTimeout(client.connect(), connectTimeout)
      await withTimeout(store.ping(), connectTimeout)
    } catch (err) {
      client.disconnect()
      throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError(err)
    }
    return store
  }

  get ready (): boolean {
    return this.client.status === 'ready'
  }

  private async run<T> (command: () => Promise<T>): Promise<T> {
    try {
      return await command()
    } catch (err) {
      // Keys of different slots in one command are a bug in the key layout, not an outage: a 500.
      // (Redis answers CROSSSLOT; ioredis's auto-pipelining refuses such a command before sending it.)
      if (/^CROSSSLOT|should belong to the same slot/.test((err as Error | undefined)?.message ?? '')) throw err
      throw new StoreUnavailableError(err)
    }
  }

  /**
   * The keys grouped by hash tag, for a Cluster: untagged keys one by one, tagged ones per tag (one
   * group, and so one command, when all share a tag). A single node takes every key in one group.
   */
  private slotGroups (keys: string[]): string[][] {
    if (!this.cluster) return [keys]
    const groups = new Map<string, string[]>()
    const single: string[][] = []
    for (const key of keys) {
      const tag = hashTag(key)
      if (tag === null) { single.push([key]); continue }
      const group = groups.get(tag)
      if (group === undefined) groups.set(tag, [key])
      else group.push(key)
    }
    return [...groups.values(), ...single]
  }

  async get (key: string): Promise<string | null> {
    return await this.run(async () => await this.client.get(this.prefix + key))
  }

  async getMany (keys: string[]): Promise<Array<string | null>> {
    if (keys.length === 0) return []
    const groups = this.slotGroups([...new Set(keys)])
    const values = new Map<string, string | null>()
    await this.run(async () => await Promise.all(groups.map(async group => {
      const replies = await this.client.mget(group.map(k => this.prefix + k))
      group.forEach((key, i) => { values.set(key, replies[i] ?? null) })
    })))
    return keys.map(key => values.get(key) ?? null)
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
    if (unlessKey !== undefined && !sameSlot(key, unlessKey)) throw new CrossSlotKeys([key, unlessKey])
    const ttl = ttlMs === undefined ? '' : String(Math.max(1, Math.ceil(ttlMs)))
    // Without an end marker KEYS[2] repeats KEYS[1] (the script skips it): both keys stay declared for Cluster.
    const guard = this.prefix + (unlessKey ?? key)
    return await this.run(async () => await this.client.svjSetIfCurrent(this.prefix + key, guard, prefix, value, ttl))
  }

  async del (...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0
    const groups = this.slotGroups([...new Set(keys)])
    const counts = await this.run(async () => await Promise.all(groups.map(async group => await this.client.del(...group.map(k => this.prefix + k)))))
    return counts.reduce((sum, n) => sum + n, 0)
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

  /**
   * One node: PING. A Cluster: every master that owns slots in the client's slot map answers CLUSTER
   * INFO with `cluster_state:ok`. One master down means part of the users cannot be served; a master
   * that just restarted refuses its slots (CLUSTERDOWN) until it has rejoined, and says so here.
   */
  async ping (): Promise<void> {
    const client = this.client
    if (!(client instanceof Cluster)) {
      await this.run(async () => await client.ping())
      return
    }
    await this.run(async () => {
      const owners = new Set(client.slots.map(nodes => nodes[0]).filter(key => key !== undefined))
      if (owners.size === 0) throw new Error('no slot map yet')
      const masters = new Map(client.nodes('master').map(node => [`${node.options.host ?? ''}:${node.options.port ?? ''}`, node]))
      await Promise.all([...owners].map(async owner => {
        const node = masters.get(owner)
        if (node === undefined) throw new Error(`no connection to master ${owner}`)
        const info = await node.cluster('INFO')
        if (!/^cluster_state:ok\r?$/m.test(info)) throw new Error(`master ${owner}: cluster_state is not ok`)
      }))
    })
  }

  async close (): Promise<void> {
    try {
      await this.client.quit()
    } catch {
      this.client.disconnect()
    }
  }
}

async function withTimeout<T> (promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`no answer within ${ms} ms`)) }, ms) })])
  } finally {
    clearTimeout(timer)
  }
}
