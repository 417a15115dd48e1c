import { Redis } from 'ioredis'
import { deleteKeys, openRedis, scanPrefix, type HarnessRedis } from '../harness/redis.js'

export interface BenchRedis {
  url: string
  /** 'REDIS_URL' (shared, never flushed: only our own prefix is deleted) or 'throwaway' (started by the bench). */
  source: HarnessRedis['source']
  version: string
  client: Redis
  close: () => Promise<void>
}

/**
 * The Redis the redis scenarios use, by the harness's policy (harness/redis.ts openRedis): REDIS_URL,
 * else a throwaway `redis-server` that the bench stops at the end, else null (skipped loudly).
 */
export async function openBenchRedis (): Promise<BenchRedis | null> {
  const redis = await openRedis('every Redis scenario of the bench')
  if (redis === null) return null
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1, enableAutoPipelining: false, retryStrategy: () => null, lazyConnect: true })
  client.on('error', () => {})
  await client.connect()
  const info = await client.info('server')
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown'
  return {
    url: redis.url,
    source: redis.source,
    version,
    client,
    async close () {
      client.disconnect()
      await redis.dispose()
    }
  }
}

/** The bench's own INFO calls; it sends nothing else while a run is measured. */
const IGNORED_COMMANDS = new Set(['info'])

export type CommandStats = Map<string, number>

/** `INFO commandstats` as command -> calls (server-wide). */
export async function commandStats (client: Redis): Promise<CommandStats> {
  const info = await client.info('commandstats')
  const stats: CommandStats = new Map()
  for (const line of info.split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim())
    if (m !== null) stats.set(m[1]!, Number(m[2]))
  }
  return stats
}

export interface CommandDelta {
  /** All counted commands between the snapshots (commands run inside Lua scripts included). */
  total: number
  byCommand: Record<string, number>
}

export function commandDelta (before: CommandStats, after: CommandStats): CommandDelta {
  const byCommand: Record<string, number> = {}
  let total = 0
  for (const [cmd, calls] of after) {
    if (IGNORED_COMMANDS.has(cmd.split('|')[0]!)) continue
    const d = calls - (before.get(cmd) ?? 0)
    if (d > 0) { byCommand[cmd] = d; total += d }
  }
  return { total, byCommand }
}

/** Every key under `prefix`. */
export async function scanKeys (client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = []
  for await (const batch of scanPrefix(client, prefix, 5000)) keys.push(...batch)
  return keys
}

/** Deletes every key under `prefix` (the bench's own keys only; never FLUSHDB). */
export async function deletePrefix (url: string, prefix: string): Promise<number> {
  if (!/^svjbench:/.test(prefix)) throw new Error(`refusing to delete keys outside the bench namespace: ${prefix}`)
  return await deleteKeys(url, prefix)
}

/** used_cpu_user + used_cpu_sys of the Redis server in seconds (`INFO cpu`: server-wide, every client). */
export async function redisCpuSeconds (client: Redis): Promise<number> {
  const info = await client.info('cpu')
  const field = (name: string): number => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN)
  return field('used_cpu_user') + field('used_cpu_sys')
}

/** The Redis server's process id (`INFO server`), to pin a Redis the bench started itself. */
export async function redisPid (client: Redis): Promise<number | null> {
  const pid = Number(/^process_id:(\d+)/m.exec(await client.info('server'))?.[1] ?? NaN)
  return Number.isInteger(pid) && pid > 0 ? pid : null
}
