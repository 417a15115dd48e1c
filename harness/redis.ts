/**
 * The harness's Redis: one policy for the tests, the benchmarks, the demo and the soak (`openRedis`),
 * throwaway redis-servers and loopback ports. Dev tooling only (not part of the server). Never touches
 * a Redis it did not start, except `deleteKeys`, which removes only the keys under one prefix.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'

/** A free TCP port on loopback. */
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

export const hasRedisServer = (): boolean => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0

/** One connection attempt and a PING; false when nothing answers within `timeoutMs`. */
export async function redisAnswers (url: string, timeoutMs = 1000): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.ping()
    return true
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

/** Polls until Redis answers; throws after `timeoutMs`. */
export async function waitForRedis (url: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await redisAnswers(url)) {
    if (Date.now() > deadline) throw new Error(`redis at ${url} does not answer`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

export interface RedisServer {
  url: string
  port: number
  /** SIGKILL by default; `graceful` sends SIGTERM, so a persisting server writes its snapshot first. */
  stop: (graceful?: boolean) => Promise<void>
  /** Starts it again on the same port (after stop); a persisting server reloads its snapshot. */
  restart: () => Promise<void>
  /** Stops it and removes its snapshot directory. */
  dispose: () => Promise<void>
}

/**
 * Starts a redis-server of our own on a free loopback port (safe to kill: nothing else uses it).
 * With `persist`, it snapshots to a temp dir on graceful stop and reloads on restart, like a real one.
 */
export async function startRedisServer (options: { persist?: boolean } = {}): Promise<RedisServer> {
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  const dir = options.persist === true ? mkdtempSync(join(tmpdir(), 'svj-redis-')) : null
  const persistence = dir === null ? ['--save', ''] : ['--dir', dir, '--dbfilename', 'dump.rdb', '--save', '3600 1']
  let child: ChildProcess | null = null
  const launch = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'no', ...persistence], { stdio: 'ignore' })
    child.unref() // the caller's process may exit while it runs; the exit hook below kills it
    await waitForRedis(url)
  }
  const server: RedisServer = {
    url,
    port,
    async stop (graceful = false) {
      const running = child
      child = null
      if (running === null || running.exitCode !== null || running.signalCode !== null) return
      const exited = new Promise(resolve => running.once('exit', resolve))
      // The child is unref'd (launch): without this, a process with nothing else to do exits while it
      // waits for the exit event, leaving `await stop()` unsettled (tap: "error thrown in teardown").
      running.ref()
      running.kill(graceful ? 'SIGTERM' : 'SIGKILL')
      await exited
    },
    restart: launch,
    async dispose () {
      await server.stop()
      if (dir !== null) rmSync(dir, { recursive: true, force: true })
    }
  }
  process.once('exit', () => { child?.kill('SIGKILL') })
  await launch()
  return server
}

/** Every key under `prefix`, in the batches SCAN returns (`count` a batch, as a hint). */
export async function * scanPrefix (client: Redis, prefix: string, count = 1000): AsyncGenerator<string[]> {
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', count)
    cursor = next
    if (keys.length > 0) yield keys
  } while (cursor !== '0')
}

/** Deletes every key under `prefix` (only keys the caller created); a Redis that is gone is fine. */
export async function deleteKeys (url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null })
  client.on('error', () => {})
  let deleted = 0
  try {
    for await (const keys of scanPrefix(client, prefix)) deleted += await client.del(...keys)
  } catch {
    // A Redis that a fault test already killed keeps nothing to clean.
  } finally {
    client.disconnect()
  }
  return deleted
}

export interface HarnessRedis {
  url: string
  /** 'REDIS_URL' (shared: never flushed, only the caller's prefix is deleted) or 'throwaway' (ours). */
  source: 'REDIS_URL' | 'throwaway'
  /** Stops a throwaway server; a REDIS_URL one is left alone. */
  dispose: () => Promise<void>
}

/**
 * The one Redis policy, decided without starting anything: null when there will be a Redis (REDIS_URL
 * when set, else redis-server on PATH for a throwaway one), else the reason, after a loud warning (the
 * caller skips what needs Redis). With CI=true a missing Redis is an error, never a skip. `who` names
 * what would be skipped (e.g. "every Redis test").
 */
export function missingRedis (who: string): string | null {
  const fromEnv = process.env.REDIS_URL
  if ((fromEnv !== undefined && fromEnv !== '') || hasRedisServer()) return null
  if (process.env.CI === 'true') throw new Error(`CI=true but no Redis for ${who}: set REDIS_URL or put redis-server on PATH`)
  console.error(`\n*** redis-server not found and REDIS_URL unset: SKIPPING ${who} ***\n`)
  return 'no Redis: REDIS_URL unset and no redis-server on PATH'
}

/**
 * The Redis the policy (missingRedis) gives: REDIS_URL when set (it must answer), else a throwaway
 * `redis-server` on a free port, else null.
 */
export async function openRedis (who: string): Promise<HarnessRedis | null> {
  if (missingRedis(who) !== null) return null
  const fromEnv = process.env.REDIS_URL
  if (fromEnv !== undefined && fromEnv !== '') {
    await waitForRedis(fromEnv)
    return { url: fromEnv, source: 'REDIS_URL', dispose: async () => {} }
  }
  const own = await startRedisServer()
  return { url: own.url, source: 'throwaway', dispose: own.dispose }
}
