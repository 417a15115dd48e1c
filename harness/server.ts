/**
 * Starting the real server as its own process (`node dist/server.js`: bench, demo, soak; tests start it
 * in their own process with ./in-process.ts), and the one readiness check every start waits for:
 * GET /ready answers 200.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { HARNESS_ADMIN_PASSWORD } from './fixtures.js'
import { freePort } from './redis.js'

export const SERVER_ENTRY = fileURLToPath(new URL('../dist/server.js', import.meta.url))

export const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** What every harness server runs with: plain-http cookies (it listens on loopback) and cheap scrypt. */
export const HARNESS_ENV: Readonly<Record<string, string>> = { COOKIE_SECURE: 'false', PASSWORD_HASH_COST: '14' }

/**
 * A server outside demo mode (bench, soak): no demo users, routes or headers; the admin account comes
 * from ADMIN_PASSWORD (log in with adminOf(env) / loginAdmin). Logins are not rate limited: every
 * harness login comes from 127.0.0.1, and the per-address limit would stop mass logins.
 */
export const NON_DEMO_ENV: Readonly<Record<string, string>> = {
  ...HARNESS_ENV,
  DEMO_MODE: 'false',
  ADMIN_PASSWORD: HARNESS_ADMIN_PASSWORD,
  LOGIN_RATE_LIMIT: 'off'
}

/**
 * Polls GET `url`/ready every 100 ms until it answers 200. `gone` reports a server that can no longer
 * become ready (its process exited): the error then carries that reason instead of waiting out the time.
 */
export async function waitReady (url: string, options: { timeoutMs?: number, gone?: () => string | null, context?: () => string } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000
  const deadline = Date.now() + timeoutMs
  while (true) {
    const gone = options.gone?.() ?? null
    if (gone !== null) throw new Error(`${gone} before it was ready:\n${options.context?.() ?? ''}`)
    try {
      const res = await fetch(`${url}/ready`)
      await res.arrayBuffer()
      if (res.status === 200) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the server was not ready within ${timeoutMs} ms:\n${options.context?.() ?? ''}`)
    await sleep(100)
  }
}

export interface ServerProcess {
  url: string
  pid: number
  /** The environment the server was started with (besides PATH and HOME). */
  env: Record<string, string>
  startupMs: number
  /** The last lines the server wrote (stdout and stderr), for error reports. */
  output: () => string
  /** Error-level log lines (level 50/60) the server wrote, at most 20: a 500 is explained by them. */
  errors: string[]
  alive: () => boolean
  /** SIGTERM, SIGKILL after 5 s; resolves with the exit code (null when it was killed by a signal). */
  stop: () => Promise<number | null>
}

export interface StartOptions {
  env: Record<string, string>
  /** The server build to run (the bench runs a snapshot of dist/). */
  entry?: string
  /** Extra node flags for the server process (e.g. --cpu-prof). */
  nodeArgs?: string[]
  readyTimeoutMs?: number
  /** Called with every complete output line (stdout and stderr), as it arrives: for lines that `output()`'s last 50 would lose. */
  onLine?: (line: string) => void
}

/** Children to kill if this process exits first; one 'exit' listener for all of them (a bench starts a dozen). */
const orphans = new Set<ChildProcess>()
let exitHookInstalled = false

/** A child server process: killed if this process exits first, ready once `url`/ready answers, stopped gently. */
export interface Supervised {
  alive: () => boolean
  /** Waits for GET /ready; kills the child and throws when it does not come up (or exits) in time. */
  ready: (url: string, timeoutMs: number, context: () => string) => Promise<void>
  /** SIGTERM, SIGKILL after 5 s; resolves with the exit code (null when it was killed by a signal). */
  stop: () => Promise<number | null>
}

export function supervise (child: ChildProcess, name: string): Supervised {
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => { for (const c of orphans) c.kill('SIGKILL') })
  }
  orphans.add(child)
  const exited = new Promise<number | null>(resolve => child.once('exit', code => { resolve(code) }))
  const alive = (): boolean => child.exitCode === null && child.signalCode === null
  return {
    alive,
    async ready (url, timeoutMs, context) {
      try {
        await waitReady(url, { timeoutMs, gone: () => alive() ? null : `${name} exited with ${child.exitCode ?? child.signalCode}`, context })
      } catch (err) {
        orphans.delete(child)
        child.kill('SIGKILL')
        throw err
      }
    },
    async stop () {
      orphans.delete(child)
      if (!alive()) return child.exitCode
      child.kill('SIGTERM')
      const code = await Promise.race([exited, sleep(5000).then(() => undefined)])
      if (code !== undefined) return code
      child.kill('SIGKILL')
      return await exited
    }
  }
}

/**
 * Starts `node dist/server.js` as its own process on a free loopback port with only `env` plus PATH and
 * HOME (nothing else leaks in from the caller's environment), and waits until /ready answers 200.
 */
export async function startServer (options: StartOptions): Promise<ServerProcess> {
  const entry = options.entry ?? SERVER_ENTRY
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`)
  const port = await freePort()
  const env: Record<string, string> = { ...options.env, HOST: '127.0.0.1', PORT: String(port) }
  const started = Date.now()
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), entry], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const lines: string[] = []
  const errors: string[] = []
  const partial = { stdout: '', stderr: '' }
  const keep = (stream: keyof typeof partial) => (chunk: Buffer): void => {
    const split = (partial[stream] + chunk.toString('utf8')).split('\n')
    partial[stream] = split.pop() ?? ''
    for (const line of split) {
      if (line === '') continue
      options.onLine?.(line)
      lines.push(line)
      if (/"level":(50|60)/.test(line) && errors.length < 20) errors.push(line.slice(0, 2000))
    }
    if (lines.length > 50) lines.splice(0, lines.length - 50)
  }
  child.stdout.on('data', keep('stdout'))
  child.stderr.on('data', keep('stderr'))
  const supervised = supervise(child, 'the server')
  const output = (): string => [...lines, partial.stdout, partial.stderr].filter(l => l !== '').join('\n')

  const url = `http://127.0.0.1:${port}`
  await supervised.ready(url, options.readyTimeoutMs ?? 120_000, output)

  return {
    url,
    pid: child.pid ?? -1,
    env,
    startupMs: Date.now() - started,
    output,
    errors,
    alive: supervised.alive,
    stop: supervised.stop
  }
}
