import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import type { Config } from '../../src/config/config.js'
import { startInProcess } from '../../harness/in-process.js'
import { HARNESS_ENV, startServer, type ServerProcess } from '../../harness/server.js'
import { Client } from './http.js'
import { TEST_JWT_SECRET } from './jwt.js'
import { dropSchema, ownSchema, postgresSkip, testPostgresUrl } from './postgres.js'
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
    // Used only with STORE=postgres: a schema of its own, dropped at teardown (storeCleanup).
    DATABASE_SCHEMA: ownSchema(),
    ...env
  }
}

export type Store = 'memory' | 'redis' | 'postgres' | 'redis-cluster'
export const STORES: readonly Store[] = ['memory', 'redis', 'postgres']

/**
 * Fills in the shared store a test env names (the test Redis for STORE=redis, the test process's own
 * Redis Cluster for STORE=redis-cluster, which becomes STORE=redis with REDIS_CLUSTER_NODES, the test
 * database for STORE=postgres) unless the env gives one, and returns what removes the test's data from
 * it afterwards: its keys from Redis, its own schema from PostgreSQL.
 */
export async function withTestStore (env: Record<string, string>): Promise<() => Promise<void>> {
  if (env.STORE === 'redis-cluster') {
    env.STORE = 'redis'
    env.REDIS_CLUSTER_NODES ??= await testClusterNodes()
  }
  if (env.STORE === 'redis' && env.REDIS_CLUSTER_NODES !== undefined) {
    const nodes = env.REDIS_CLUSTER_NODES
    const prefix = env.KEY_PREFIX ?? 'svj:'
    return async () => { await deleteClusterKeys(nodes, prefix) }
  }
  if (env.STORE === 'redis') {
    env.REDIS_URL ??= await testRedisUrl()
    const url = env.REDIS_URL
    const prefix = env.KEY_PREFIX ?? 'svj:'
    return async () => { await deleteKeys(url, prefix) }
  }
  if (env.STORE === 'postgres') {
    env.DATABASE_URL ??= testPostgresUrl()
    const url = env.DATABASE_URL
    const schema = env.DATABASE_SCHEMA ?? 'public'
    // Only a schema of the test's own is dropped, never public.
    return async () => { if (schema !== 'public') await dropSchema(url, schema) }
  }
  return async () => {}
}

/**
 * Builds and starts the real app in this process (harness/in-process.ts startInProcess: ready once /ready
 * answers); never null. With STORE=redis and no REDIS_URL it uses the test Redis (testRedisUrl): declare
 * such a test with forEachStore or redisTest, which skip it (loudly) where there is no Redis, so the body
 * never has to. The app is closed and its keys removed at teardown.
 */
export async function startApp (t: Test, env: Record<string, string> = {}): Promise<TestApp> {
  const full = testEnv(env)
  const cleanup = await withTestStore(full)
  const { app, config, url } = await startInProcess(full).catch(async (err: unknown) => { await cleanup(); throw err })
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await app.close()
    await cleanup()
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
  const cleanup = await withTestStore(full)
  const server = await startServer({ env: full, readyTimeoutMs: 20_000 })
  t.teardown(async () => {
    await server.stop()
    await cleanup()
  })
  return server
}

/** Why a test on `store` cannot run here (no Redis, no redis-server/redis-cli for a cluster, no PostgreSQL), or false. */
export const storeSkip = (store: Store): string | false => store === 'redis' ? redisSkip() : store === 'redis-cluster' ? clusterSkip() : store === 'postgres' ? postgresSkip() : false

/**
 * Runs `body` once per store, as subtests named after it; the redis and postgres ones are skipped where
 * there is no such server (an error under CI=true). `cluster: true` adds a run on a 3-master Redis
 * Cluster of the test process's own (startApp turns STORE=redis-cluster into STORE=redis with
 * REDIS_CLUSTER_NODES).
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

/** A subtest that needs the test database (startApp with STORE=postgres): skipped where there is none; an error under CI=true. */
export function postgresTest (t: Test, name: string, fn: (t: Test) => Promise<void>): void {
  t.test(name, { skip: postgresSkip() }, fn)
}

/** A subtest that stops and starts a PostgreSQL cluster of its own (startOwnPostgres): needs initdb and pg_ctl. */
export function ownPostgresTest (t: Test, name: string, fn: (t: Test) => Promise<void>): void {
  t.test(name, { skip: postgresSkip({ own: true }) }, fn)
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
