/** Starting the real server (dist/server.js) and, for the outage scenario, a throwaway redis-server. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'

const SERVER_JS = fileURLToPath(new URL('../server.js', import.meta.url))

/** Demo-friendly settings: plain http, cheap scrypt, short access tokens so expiry can be watched. */
export const DEMO_ENV: Record<string, string> = {
  HOST: '127.0.0.1',
  PORT: '0',
  COOKIE_SECURE: 'false',
  PASSWORD_HASH_COST: '14',
  LOG_LEVEL: 'info',
  DEMO_MODE: 'true',
  // Fixed secrets so two instances (scenario 10) accept each other's cookies and tokens.
  SESSION_SECRET: 'demo-session-secret-demo-session-secret',
  JWT_SECRET: 'demo-jwt-secret-demo-jwt-secret-demo-jwt',
  JWT_ACCESS_TTL: '4s',
  JWT_CLOCK_TOLERANCE: '0s'
}

export interface RunningServer {
  url: string
  env: Record<string, string>
  /** Error-level log lines the server wrote (a 500 is explained by them). */
  errors: string[]
  stop: () => Promise<void>
}

/** Starts `node dist/server.js` with `env` on a free port and resolves once it listens. */
export async function startServer (env: Record<string, string>): Promise<RunningServer> {
  const full = { ...DEMO_ENV, ...env }
  const child = spawn(process.execPath, [SERVER_JS], { env: { ...process.env, ...full }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => { reject(new Error(`server did not start within 15 s: ${stderr.trim()}`)) }, 15_000)
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString()
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(buffer)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        buffer = ''
        resolve(match[1])
      } else if (buffer.length > 100_000) {
        buffer = buffer.slice(-1000)
      }
    })
    child.once('exit', code => { clearTimeout(timer); reject(new Error(`server exited with code ${String(code)}: ${stderr.trim()}`)) })
  })
  // Keep draining the request logs, remembering error-level lines.
  const errors: string[] = []
  let rest = ''
  child.stdout.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n')
    rest = lines.pop() ?? ''
    for (const line of lines) if (/"level":(50|60)/.test(line) && errors.length < 20) errors.push(line.slice(0, 2000))
  })
  return {
    url,
    env: full,
    errors,
    stop: async () => { await stopProcess(child) }
  }
}

async function stopProcess (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
  await exited
  clearTimeout(timer)
}

export const newKeyPrefix = (): string => `demo:${randomBytes(4).toString('hex')}:`

export async function redisAnswers (url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 })
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

/** Deletes the keys this demo run created (its own prefix), never anything else. */
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
    // a Redis that is already gone keeps nothing to clean
  } finally {
    client.disconnect()
  }
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0) })
    })
  })
}

export const hasRedisServer = (): boolean => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0

export interface OwnRedis {
  url: string
  /** SIGTERM: redis-server writes its snapshot first, so the data is back after `start`. */
  stop: () => Promise<void>
  start: () => Promise<void>
  dispose: () => Promise<void>
}

/** A redis-server of our own on a free port, persisting to a temp dir: the only Redis the demo ever stops. */
export async function startOwnRedis (): Promise<OwnRedis> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'svj-demo-redis-'))
  const url = `redis://127.0.0.1:${port}`
  let child: ChildProcess | null = null
  const own: OwnRedis = {
    url,
    async start () {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'no', '--dir', dir, '--dbfilename', 'dump.rdb', '--save', '3600 1'], { stdio: 'ignore' })
      const deadline = Date.now() + 5000
      while (!await redisAnswers(url)) {
        if (Date.now() > deadline) throw new Error(`own redis-server on port ${port} does not answer`)
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    },
    async stop () {
      if (child !== null) await stopProcess(child)
      child = null
    },
    async dispose () {
      await own.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  process.once('exit', () => { child?.kill('SIGKILL') })
  await own.start()
  return own
}
