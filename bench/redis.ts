import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'
import { sleep } from './util.js'

/** A free TCP port on loopback (for the bench servers and a throwaway redis-server). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0) })
    })
  })
}

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

async function waitForPing (url: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const client = connect(url)
    try {
      await client.connect()
      await client.ping()
      client.disconnect()
      return
    } catch (err) {
      client.disconnect()
      if (Date.now() > deadline) throw err
      await sleep(50)
    }
  }
}

/**
 * The Redis the redis scenarios use: REDIS_URL when set, else a throwaway `redis-server` on a free
 * port (no persistence) that the bench stops at the end. Returns null when neither is available.
 */
export async function openBenchRedis (): Promise<BenchRedis | null> {
  let url = process.env.REDIS_URL
  let child: ChildProcess | null = null
  let source: BenchRedis['source'] = 'REDIS_URL'
  if (url === undefined || url === '') {
    if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) return null
    const port = await freePort()
    url = `redis://127.0.0.1:${port}`
    source = 'throwaway'
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    const own = child
    process.once('exit', () => { own.kill('SIGKILL') })
  }
  await waitForPing(url)
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
      if (child !== null && child.exitCode === null) {
        const exited = new Promise(resolve => child.once('exit', resolve))
        child.kill('SIGTERM')
        await Promise.race([exited, sleep(3000)])
      }
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
export async function deletePrefix (client: Redis, prefix: string): Promise<number> {
  if (!/^svjbench:/.test(prefix)) throw new Error(`refusing to delete keys outside the bench namespace: ${prefix}`)
  let deleted = 0
  let cursor = '0'
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000)
    cursor = next
    if (batch.length > 0) deleted += await client.unlink(...batch)
  } while (cursor !== '0')
  return deleted
}
