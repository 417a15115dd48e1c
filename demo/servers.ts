/** Starting the real server (dist/server.js) and, for the outage scenario, a throwaway redis-server. */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'

export { deleteKeys, hasRedisServer, redisAnswers, startRedisServer } from '../tools/redis-server.js'

// Compiled to dist/demo-cli/demo/servers.js, beside the server build in dist/.
const SERVER_JS = fileURLToPath(new URL('../../server.js', import.meta.url))

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
    const timer = setTimeout(() => {
      // A server that starts late would otherwise outlive the story and keep the runner from exiting.
      child.kill('SIGKILL')
      reject(new Error(`server did not start within 15 s: ${stderr.trim()}`))
    }, 15_000)
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
