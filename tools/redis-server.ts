/** Moved to harness/redis.ts; kept so that imports written against this path keep working. */
export * from '../harness/redis.js'
