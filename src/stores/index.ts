import type { Config } from '../config/config.js'
import { MemoryKvStore } from './memory-store.js'
import { RedisKvStore } from './redis-store.js'
import type { KvStore } from './kv-store.js'

export { StoreUnavailableError, type ConditionalWrite, type KvStore } from './kv-store.js'
export { MemoryKvStore } from './memory-store.js'
export { RedisKvStore } from './redis-store.js'

/** Opens the store the configuration names. Redis must answer now: the server never starts half-configured. */
export async function openStore (config: Pick<Config, 'store' | 'redisUrl' | 'redisClusterNodes' | 'keyPrefix'>): Promise<KvStore> {
  if (config.store === 'memory') return new MemoryKvStore(config.keyPrefix)
  return await RedisKvStore.connect({ url: config.redisUrl, clusterNodes: config.redisClusterNodes, prefix: config.keyPrefix })
}
