import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import type { Config } from '../../src/config/config.js'
import { startInProcess } from '../../harness/in-process.js'
import { HARNESS_ENV, startServer, type ServerProcess } from '../../harness/server.js'
import { Client } from './http.js'
import { TEST_JWT_SECRET } from './jwt.js'
import { clusterSkip, deleteClusterKeys, deleteKeys, redisSkip, testClusterNodes, testRedisUrl } from './redis.js'

export interface TestApp {
  app: FastifyInstance
  config: Config
  url: string
  client: () => Client
  /** Closes the app and removes its keys (teardown does it too; twice is harmless). */
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

export type Store = 'memory' | 'redis' | 'redis-cluster'
export const STORES: readonly Store[] = ['memory', 'redis']

/**
 * Builds and starts the real app in this process (harness/in-process.ts startInProcess: ready once /ready
 * answers); never null. With STORE=redis and no REDIS_URL it uses the test Redis (testRedisUrl): declare
 * such a test with forEachStore or redisTest, which skip it (loudly) where there is no Redis, so the body
 * never has to. The app is closed and its keys removed at teardown.
 */
export async function startApp (t: Test, env: Record<string, string> = {}): Promise<TestApp> {
  const full = testEnv(env)
  // STORE=redis-cluster (forEachStore's third store): STORE=redis on the test process's own Redis Cluster.
  if (full.STORE === 'redis-cluster') {
    full.STORE = 'redis'
    full.REDIS_CLUSTER_NODES ??= await testClusterNodes()
  }
  if (full.STORE === 'redis' && full.REDIS_URL === undefined) full.REDIS_URL = await testRedisUrl()
  const { app, config, url } = await startInProcess(full)
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await app.close()
    if (config.store === 'redis' && full.REDIS_CLUSTER_NODES !== undefined) await deleteClusterKeys(full.REDIS_CLUSTER_NODES, config.keyPrefix)
    else if (config.store === 'redis') await deleteKeys(config.redisUrl, config.keyPrefix)
  }
  t.teardown(close)
  return { app, config, url, client: () => new Client(url), close }
}

/**
 * The built server as its own process (`node dist/server.js` through harness/server.ts startServer) with
 * testEnv plus `env`, ready once /ready answers: for what only a real process shows (a restart, a signal).
 * STORE=redis gets the test Redis as startApp does. Stopped, and its keys removed, at teardown.
 */
export async function startProcess (t: Test, env: Record<string, string> = {}): Promise<ServerProcess> {
  const full = testEnv(env)
  if (full.STORE === 'redis' && full.REDIS_URL === undefined) full.REDIS_URL = await testRedisUrl()
  const server = await startServer({ env: full, readyTimeoutMs: 20_000 })
  t.teardown(async () => {
    await server.stop()
    if (full.STORE === 'redis') await deleteKeys(full.REDIS_URL!, full.KEY_PREFIX!)
  })
  return server
}

/** Why a test on `store` cannot run here (no Redis, or no redis-server/redis-cli for a cluster), or false. */
export const storeSkip = (store: Store): string | false => store === 'redis' ? redisSkip() : store === 'redis-cluster' ? clusterSkip() : false

/**
 * Runs `body` once per store, as subtests named after it; the redis one is skipped where there is no
 * Redis. `cluster: true` adds a third run, `redis-cluster`, on a 3-master Redis Cluster of the test
 * process's own (startApp turns STORE=redis-cluster into STORE=redis with REDIS_CLUSTER_NODES).
 */
export function forEachStore (t: Test, body: (t: Test, store: Store) => Promise<void>, options: { cluster?: boolean } = {}): void {
  for (const store of options.cluster === true ? [...STORES, 'redis-cluster' as const] : STORES) {
    t.test(`store=${store}`, { skip: storeSkip(store) }, async t => { await body(t, store) })
  }
}

/** A subtest that needs the test Redis (startApp with STORE=redis): skipped where there is none; an error under CI=true. */
export function redisTest (t: Test, name: string, fn: (t: Test) => Promise<void>): void {
  t.test(name, { skip: redisSkip() }, fn)
}

/**
 * A subtest that starts, stops and restarts a redis-server of its own (startOwnRedis), so it needs
 * redis-server on PATH even when REDIS_URL is set: skipped where there is none; an error under CI=true.
 */
export function ownRedisTest (t: Test, name: string, fn: (t: Test) => Promise<void>): void {
  t.test(name, { skip: redisSkip({ own: true }) }, fn)
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
