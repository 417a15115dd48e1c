import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import type { Config } from '../../src/config/config.js'
import { startInProcess } from '../../harness/in-process.js'
import { HARNESS_ENV } from '../../harness/server.js'
import { Client } from './http.js'
import { TEST_JWT_SECRET } from './jwt.js'
import { deleteKeys, testRedisUrl } from './redis.js'

export interface TestApp {
  app: FastifyInstance
  config: Config
  url: string
  client: () => Client
  /** Logs a fresh client in through `strategy` and returns it (cookie jar or bearer inside). */
  close: () => Promise<void>
}

/** Defaults for tests: the harness's (plain http, cheap scrypt), quiet logs, a key prefix of its own. */
export function testEnv (env: Record<string, string> = {}): Record<string, string> {
  return {
    ...HARNESS_ENV,
    // Tests log in far more often than a person; test/login-rate-limit.test.ts turns the limits on.
    LOGIN_RATE_LIMIT: 'off',
    LOG_LEVEL: 'silent',
    SESSION_SECRET: 'test-session-secret-test-session-secret',
    JWT_SECRET: TEST_JWT_SECRET,
    KEY_PREFIX: `test:${randomBytes(6).toString('hex')}:`,
    ...env
  }
}

/**
 * Builds and starts the real app in this process (harness/in-process.ts startInProcess: ready once /ready
 * answers). With STORE=redis it uses the test Redis (see testRedisUrl); when there is none the test is
 * skipped loudly. Keys are removed at teardown.
 */
export async function startApp (t: Test, env: Record<string, string> = {}): Promise<TestApp | null> {
  const full = testEnv(env)
  if (full.STORE === 'redis' && full.REDIS_URL === undefined) {
    const url = await testRedisUrl()
    if (url === null) {
      t.plan(0, 'SKIPPED: no Redis available')
      return null
    }
    full.REDIS_URL = url
  }
  const { app, config, url } = await startInProcess(full)
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await app.close()
    if (config.store === 'redis') await deleteKeys(config.redisUrl, config.keyPrefix)
  }
  t.teardown(close)
  return { app, config, url, client: () => new Client(url), close }
}

/** Runs `body` once per store, as subtests named after it. */
export function forEachStore (t: Test, body: (t: Test, store: 'memory' | 'redis') => Promise<void>): void {
  for (const store of ['memory', 'redis'] as const) {
    t.test(`store=${store}`, async t => { await body(t, store) })
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes (instead of sleeping a fixed time). */
export async function waitFor (check: () => Promise<boolean> | boolean, timeoutMs = 5000, intervalMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise(resolve => setTimeout(resolve, intervalMs))
  }
  return await check()
}
