import { hasRedisServer, missingRedis, openRedis, startRedisServer, type RedisServer } from '../../harness/redis.js'

import { missingRedisCluster, startRedisCluster, type RedisCluster } from '../../harness/redis-cluster.js'

export { deleteKeys, freePort } from '../../harness/redis.js'
export { deleteClusterKeys, startRedisCluster, type RedisCluster } from '../../harness/redis-cluster.js'

/** A redis-server of the test's own (safe to stop and restart); see harness/redis.ts. */
export type OwnRedis = RedisServer
export const startOwnRedis = startRedisServer

const decided: { shared?: string | false, own?: string | false } = {}

/**
 * Why a Redis test cannot run here, or false when it can: the harness's one policy (harness/redis.ts
 * missingRedis), decided once per test process and before any subtest starts, so skipping is decided in
 * one place. `own`: the test starts (and stops) a redis-server of its own, so it needs redis-server on
 * PATH even when REDIS_URL is set. Throws under CI=true instead of skipping.
 */
export function redisSkip (options: { own?: boolean } = {}): string | false {
  decided.shared ??= missingRedis('every Redis test') ?? false
  if (options.own !== true) return decided.shared
  decided.own ??= decided.shared !== false ? decided.shared : hasRedisServer() ? false : ownMissing()
  return decided.own
}

function ownMissing (): string {
  if (process.env.CI === 'true') throw new Error('CI=true but no redis-server on PATH for the tests that stop their own Redis')
  console.error('\n*** redis-server not found: SKIPPING the tests that stop their own Redis ***\n')
  return 'no redis-server on PATH (the test stops a Redis of its own)'
}

let shared: Promise<string> | undefined

/**
 * The Redis the tests use, by the harness's one policy (harness/redis.ts openRedis): REDIS_URL, else a
 * throwaway redis-server shared by this test process. Only tests declared through forEachStore or
 * redisTest (test/helpers/app.ts) get here, so a missing Redis is an error, never a silent pass.
 */
export async function testRedisUrl (): Promise<string> {
  shared ??= openRedis('every Redis test').then(redis => {
    if (redis === null) throw new Error('no Redis for this test: declare it with forEachStore or redisTest (test/helpers/app.ts), which skip it when there is none')
    return redis.url
  })
  return await shared
}

let clusterDecided: string | false | undefined

/**
 * Why a Redis Cluster test cannot run here (no redis-server or redis-cli on PATH), or false; decided
 * once per test process. Throws under CI=true instead of skipping.
 */
export function clusterSkip (): string | false {
  clusterDecided ??= missingRedisCluster('every Redis Cluster test') ?? false
  return clusterDecided
}

let sharedCluster: Promise<RedisCluster> | undefined

/**
 * REDIS_CLUSTER_NODES of a 3-master Redis Cluster shared by this test process, started on first use and
 * stopped when the process exits. Only tests declared with forEachStore's `cluster` option (or checked
 * with clusterSkip) get here. Tests that stop a master start a cluster of their own (startRedisCluster).
 */
export async function testClusterNodes (): Promise<string> {
  if (clusterSkip() !== false) throw new Error('no Redis Cluster for this test: declare it with forEachStore(..., { cluster: true }), which skips it when there is none')
  sharedCluster ??= startRedisCluster()
  return (await sharedCluster).nodes
}
