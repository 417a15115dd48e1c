import { hasRedisServer, startRedisServer, type RedisServer } from '../../tools/redis-server.js'

export { deleteKeys, freePort } from '../../tools/redis-server.js'

/** A redis-server of the test's own (safe to stop and restart); see tools/redis-server.ts. */
export type OwnRedis = RedisServer
export const startOwnRedis = startRedisServer

let shared: Promise<string | null> | undefined

/**
 * The Redis the tests use: REDIS_URL when set, else a throwaway redis-server on a free port,
 * else null (tests skip loudly). With CI=true a missing Redis is an error, never a skip.
 */
export async function testRedisUrl (): Promise<string | null> {
  shared ??= (async () => {
    if (process.env.REDIS_URL !== undefined && process.env.REDIS_URL !== '') return process.env.REDIS_URL
    if (hasRedisServer()) return (await startRedisServer()).url
    if (process.env.CI === 'true') throw new Error('CI=true but no Redis: set REDIS_URL or put redis-server on PATH')
    console.error('\n*** redis-server not found and REDIS_URL unset: SKIPPING every Redis test ***\n')
    return null
  })()
  return await shared
}
