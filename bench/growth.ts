import type { Redis } from 'ioredis'
import { seedLogins, type LoginFootprint } from './footprint.js'
import type { Credential } from './http.js'
import { runLoad } from './load.js'
import type { Output } from './progress.js'
import { commandDelta, commandStats } from './redis.js'

export interface GrowthPoint {
  /** Active logins in Redis while measuring (real logins plus seeded look-alikes). */
  activeLogins: number
  seeded: number
  seedMs: number
  rps: number
  p99: number
  errors: number
  non2xx: number
  headerOpsPerRequest: number | null
  redisCommandsPerRequest: number
  redisUsedMemoryMB: number
}

export interface GrowthOptions {
  redis: Redis
  prefix: string
  footprint: LoginFootprint
  realLogins: number
  levels: number[]
  url: string
  path: string
  credentials: readonly Credential[]
  connections: number
  durationSec: number
  warmupSec: number
  output: Output
  label: string
}

async function usedMemoryMB (redis: Redis): Promise<number> {
  const info = await redis.info('memory')
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0) / 1024 / 1024
}

/**
 * Seeds look-alike logins until Redis holds each level of active logins, and measures the same load
 * at each level: does the per-request cost (store commands, p99) grow with the number of users?
 */
export async function runGrowth (o: GrowthOptions): Promise<GrowthPoint[]> {
  const points: GrowthPoint[] = []
  let active = o.realLogins
  for (const level of o.levels) {
    const toSeed = Math.max(0, level - active)
    o.output.status(`${o.label} growth: seeding ${toSeed} logins`)
    const seedStarted = Date.now()
    await seedLogins(o.redis, o.prefix, o.footprint.templates, toSeed)
    const seedMs = Date.now() - seedStarted
    active += toSeed
    o.output.progress(`${o.label} growth ${level} logins`, o.warmupSec + o.durationSec)
    await runLoad({ url: o.url, path: o.path, connections: o.connections, durationSec: o.warmupSec, credentials: o.credentials })
    const before = await commandStats(o.redis)
    const r = await runLoad({ url: o.url, path: o.path, connections: o.connections, durationSec: o.durationSec, credentials: o.credentials })
    const delta = commandDelta(before, await commandStats(o.redis))
    o.output.done()
    points.push({
      activeLogins: active,
      seeded: toSeed,
      seedMs,
      rps: r.rps,
      p99: r.latencyMs.p99,
      errors: r.errors + r.timeouts,
      non2xx: r.non2xx,
      headerOpsPerRequest: r.headerOps.count === 0 ? null : r.headerOps.sum / r.headerOps.count,
      redisCommandsPerRequest: r.sent === 0 ? 0 : delta.total / r.sent,
      redisUsedMemoryMB: await usedMemoryMB(o.redis)
    })
    o.output.log(`  ${o.label} growth ${active} logins: ${Math.round(r.rps)} req/s, p99 ${r.latencyMs.p99} ms, ${(delta.total / Math.max(1, r.sent)).toFixed(2)} Redis commands/request (seeded ${toSeed} in ${seedMs} ms)`)
  }
  return points
}
