import { spawn, type ChildProcess } from 'node:child_process'
import { cpSync, existsSync, rmSync } from 'node:fs'
import { resolve } from 'node:path'
import { freePort } from './redis.js'
import { sleep } from './util.js'

export const SERVER_ENTRY = resolve('dist/server.js')
/** A private copy of dist/ taken when the bench starts; every scenario runs this same build. */
const SNAPSHOT_DIR = resolve('bench/.build/server')
let snapshotEntry: string | null = null

/**
 * Copies dist/ so that a rebuild while the bench runs (npm test builds dist/ too) cannot change the
 * server between scenarios or break one mid-start. Modules still resolve from the project's node_modules.
 */
export function snapshotServerBuild (): string {
  if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run npm run build first (npm run bench does)`)
  rmSync(SNAPSHOT_DIR, { recursive: true, force: true })
  cpSync(resolve('dist'), SNAPSHOT_DIR, { recursive: true })
  snapshotEntry = resolve(SNAPSHOT_DIR, 'server.js')
  return snapshotEntry
}

export interface ServerProcess {
  url: string
  pid: number
  /** The environment the server was started with (what the report records as the scenario's config). */
  env: Record<string, string>
  startupMs: number
  /** The last lines the server wrote (stderr and stdout), for error reports. */
  output: () => string
  stop: () => Promise<void>
}

export interface StartOptions {
  env: Record<string, string>
  /** Extra node flags for the server process (e.g. --cpu-prof). */
  nodeArgs?: string[]
  readyTimeoutMs?: number
}

/**
 * Starts `node dist/server.js` as its own process (never inside the bench process) with only the
 * given settings plus PATH/HOME, on a free port, and waits until GET /ready answers 200.
 */
export async function startServer (options: StartOptions): Promise<ServerProcess> {
  const entry = snapshotEntry ?? SERVER_ENTRY
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first`)
  const port = await freePort()
  const env: Record<string, string> = { HOST: '127.0.0.1', PORT: String(port), ...options.env }
  const started = Date.now()
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), entry], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const lines: string[] = []
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter(l => l !== ''))
    if (lines.length > 40) lines.splice(0, lines.length - 40)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const killOnExit = (): void => { child.kill('SIGKILL') }
  process.once('exit', killOnExit)
  const exited = new Promise<void>(resolve => child.once('exit', () => { resolve() }))

  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000)
  while (true) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited with ${child.exitCode ?? child.signalCode} before it was ready:\n${lines.join('\n')}`)
    }
    try {
      const res = await fetch(`${url}/ready`)
      await res.arrayBuffer()
      if (res.status === 200) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`the server was not ready within ${options.readyTimeoutMs ?? 120_000} ms:\n${lines.join('\n')}`)
    }
    await sleep(100)
  }

  return {
    url,
    pid: child.pid ?? -1,
    env,
    startupMs: Date.now() - started,
    output: () => lines.join('\n'),
    async stop () {
      process.removeListener('exit', killOnExit)
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await Promise.race([exited, sleep(5000)])
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await exited
      }
    }
  }
}
