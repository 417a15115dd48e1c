import { openRedis, startRedisServer, type RedisServer } from '../../harness/redis.js'

export { deleteKeys, freePort } from '../../harness/redis.js'

/** A redis-server of the test's own (safe to stop and restart); see harness/redis.ts. */
export type OwnRedis = RedisServer
export const startOwnRedis = startRedisServer

let shared: Promise<string | null> | undefined

/**
 * The Redis the tests use, by the harness's one policy (harness/redis.ts openRedis): REDIS_URL, else a
 * throwaway redis-server shared by this test process, else null (tests skip loudly); an error under CI=true.
 */
export async function testRedisUrl (): Promise<string | null> {
  shared ??= openRedis('every Redis test').then(redis => redis?.url ?? null)
  return await shared
}
