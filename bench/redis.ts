import { Redis } from 'ioredis'
import { deleteKeys, hasRedisServer, startRedisServer, waitForRedis, type RedisServer } from '../tools/redis-server.js'

export { freePort } from '../tools/redis-server.js'

export interface BenchRedis {
  url: string
  /** 'REDIS_URL' (shared, never flushed: only our own prefix is deleted) or 'throwaway' (started by the bench). */
  source: 'REDIS_URL' | 'throwaway'
  version: string
  client: Redis
  close: () => Promise<void>
}

function connect (url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1, enableAutoPipelining: false, retryStrategy: () => null, lazyConnect: true })
  client.on('error', () => {})
  return client
}

/**
 * The Redis the redis scenarios use: REDIS_URL when set, else a throwaway `redis-server` on a free
 * port (no persistence) that the bench stops at the end. Returns null when neither is available.
 */
export async function openBenchRedis (): Promise<BenchRedis | null> {
  let url = process.env.REDIS_URL
  let own: RedisServer | null = null
  let source: BenchRedis['source'] = 'REDIS_URL'
  if (url === undefined || url === '') {
    if (!hasRedisServer()) return null
    own = await startRedisServer()
    url = own.url
    source = 'throwaway'
  }
  await waitForRedis(url)
  const client = connect(url)
  await client.connect()
  const info = await client.info('server')
  const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown'
  return {
    url,
    source,
    version,
    client,
    async close () {
      client.disconnect()
      await own?.dispose()
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
  let cursor = '0'
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000)
    cursor = next
    keys.push(...batch)
  } while (cursor !== '0')
  return keys
}

/** Deletes every key under `prefix` (the bench's own keys only; never FLUSHDB). */
export async function deletePrefix (url: string, prefix: string): Promise<number> {
  if (!/^svjbench:/.test(prefix)) throw new Error(`refusing to delete keys outside the bench namespace: ${prefix}`)
  return await deleteKeys(url, prefix)
}
