/** The demo's servers: the harness's startServer (harness/server.ts) with demo-friendly settings. */
import { randomBytes } from 'node:crypto'
import { HARNESS_ENV, startServer as startHarnessServer, type ServerProcess } from '../harness/server.js'

/** Demo-friendly settings: demo mode (its users and inspection routes), short access tokens so expiry can be watched. */
export const DEMO_ENV: Readonly<Record<string, string>> = {
  ...HARNESS_ENV,
  LOG_LEVEL: 'info',
  DEMO_MODE: 'true',
  // Fixed secrets so two instances (scenario 10) accept each other's cookies and tokens.
  SESSION_SECRET: 'demo-session-secret-demo-session-secret',
  JWT_SECRET: 'demo-jwt-secret-demo-jwt-secret-demo-jwt',
  JWT_ACCESS_TTL: '4s',
  JWT_CLOCK_TOLERANCE: '0s'
}

/** A server a story talks to: one it started, or the --url one (nothing to stop). */
export type RunningServer = Pick<ServerProcess, 'url' | 'env' | 'errors' | 'stop'>

/**
 * Starts `node dist/server.js` with `env` on top of DEMO_ENV; resolves once /ready answers. A server takes
 * about a second; the window is wide because a story may start several at once on a busy two-core
 * machine (a test suite beside it, coverage hooks in every process), and a slow start is no finding.
 */
export async function startServer (env: Record<string, string>): Promise<RunningServer> {
  return await startHarnessServer({ env: { ...DEMO_ENV, ...env }, readyTimeoutMs: 40_000 })
}

export const newKeyPrefix = (): string => `demo:${randomBytes(4).toString('hex')}:`
