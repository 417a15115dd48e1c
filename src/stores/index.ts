import type { Config } from '../config/config.js'
import { MemoryKvStore } from './memory-store.js'
import { PostgresKvStore } from './postgres-store.js'
import { RedisKvStore } from './redis-store.js'
import type { KvStore } from './kv-store.js'

export { StoreUnavailableError, type ConditionalWrite, type KvStore } from './kv-store.js'
export { MemoryKvStore } from './memory-store.js'
export { PostgresKvStore } from './postgres-store.js'
export { RedisKvStore } from './redis-store.js'

/**
 * Opens the store the configuration names. Redis (or a Redis Cluster) and PostgreSQL must answer now
 * (PostgreSQL is migrated now too): the server never starts half-configured.
 */
export async function openStore (config: Pick<Config, 'store' | 'redisUrl' | 'redisClusterNodes' | 'databaseUrl' | 'databaseSchema' | 'keyPrefix'>): Promise<KvStore> {
  if (config.store === 'memory') return new MemoryKvStore(config.keyPrefix)
  if (config.store === 'postgres') return await PostgresKvStore.connect({ url: config.databaseUrl, schema: config.databaseSchema, prefix: config.keyPrefix })
  return await RedisKvStore.connect({ url: config.redisUrl, clusterNodes: config.redisClusterNodes, prefix: config.keyPrefix })
}

/** A connection URL fit for a log line: any password replaced. */
export function redactUrl (url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparsable URL)'
  }
}
