import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
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

export interface OwnRedis {
  url: string
  port: number
  process: ChildProcess
  /** SIGKILL by default; `graceful` sends SIGTERM so a persisting server writes its snapshot first. */
  stop: (graceful?: boolean) => Promise<void>
  /** Starts it again on the same port (after stop), for fault-injection tests. */
  restart: () => Promise<void>
}

function hasRedisServer (): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

async function waitForPing (url: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    client.on('error', () => {})
    try {
      await client.connect()
      await client.ping()
      client.disconnect()
      return
    } catch (err) {
      client.disconnect()
      if (Date.now() > deadline) throw err
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
}

/**
 * Starts a throwaway redis-server on a free port that nothing else uses (safe to kill).
 * With `persist`, it snapshots to a temp dir on graceful stop and reloads on restart, like a real one.
 */
export async function startOwnRedis (options: { persist?: boolean } = {}): Promise<OwnRedis> {
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  const persistence = options.persist === true
    ? ['--dir', mkdtempSync(join(tmpdir(), 'svj-redis-')), '--dbfilename', 'dump.rdb', '--save', '3600 1']
    : ['--save', '']
  const launch = (): ChildProcess => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'no', ...persistence], { stdio: 'ignore' })
    child.unref() // the test process must be able to exit while it runs; the exit hook kills it
    return child
  }
  const own: OwnRedis = {
    url,
    port,
    process: launch(),
    async stop (graceful = false) {
      if (own.process.exitCode !== null || own.process.signalCode !== null) return
      const exited = new Promise(resolve => own.process.once('exit', resolve))
      own.process.kill(graceful ? 'SIGTERM' : 'SIGKILL')
      await exited
    },
    async restart () {
      own.process = launch()
      await waitForPing(url)
    }
  }
  process.once('exit', () => { own.process.kill('SIGKILL') })
  await waitForPing(url)
  return own
}

let shared: Promise<string | null> | undefined

/**
 * The Redis the tests use: REDIS_URL when set, else a throwaway redis-server on a free port,
 * else null (tests skip loudly). With CI=true a missing Redis is an error, never a skip.
 */
export async function testRedisUrl (): Promise<string | null> {
  shared ??= (async () => {
    if (process.env.REDIS_URL !== undefined && process.env.REDIS_URL !== '') return process.env.REDIS_URL
    if (hasRedisServer()) return (await startOwnRedis()).url
    if (process.env.CI === 'true') throw new Error('CI=true but no Redis: set REDIS_URL or put redis-server on PATH')
    console.error('\n*** redis-server not found and REDIS_URL unset: SKIPPING every Redis test ***\n')
    return null
  })()
  return await shared
}

/** Deletes every key under `prefix` (only keys this test run created). */
export async function deleteKeys (url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null })
  client.on('error', () => {})
  try {
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) await client.del(...keys)
    } while (cursor !== '0')
  } catch {
    // The Redis may be one a fault test already killed.
  } finally {
    client.disconnect()
  }
}
