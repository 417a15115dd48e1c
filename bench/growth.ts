import type { Redis } from 'ioredis'
import { seedLogins, type LoginFootprint } from './footprint.js'
import { backendTicks, benchSchemaMB, cpuPerRequest, seedPostgresLogins, type PostgresFootprint } from './postgres.js'
import type { Credential } from './http.js'
import { runLoad } from './load.js'
import type { Output } from './progress.js'
import { commandDelta, commandStats, redisCpuSeconds } from './redis.js'

export interface GrowthPoint {
  /** Active logins in the store while measuring (real logins plus seeded look-alikes). */
  activeLogins: number
  seeded: number
  seedMs: number
  rps: number
  p99: number
  errors: number
  non2xx: number
  headerOpsPerRequest: number | null
  /** Redis only: commands per request (INFO commandstats). */
  redisCommandsPerRequest: number | null
  /** The store's CPU per request over the window, µs (Redis INFO cpu, or the PostgreSQL backends from /proc). */
  storeCpuUsPerRequest: number | null
  /** Redis used_memory, or the PostgreSQL schema's size on disk (tables, indexes, TOAST). */
  storeMB: number
}

/** How the growth step fills and watches one store. */
export interface GrowthStore {
  name: 'redis' | 'postgres'
  seed: (count: number) => Promise<void>
  /** Starts a measured window; the function it returns ends it, given the requests sent in it. */
  window: () => Promise<(requests: number) => Promise<{ commandsPerRequest: number | null, cpuUsPerRequest: number | null }>>
  sizeMB: () => Promise<number>
}

export interface GrowthOptions {
  store: GrowthStore
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

/** The growth step on Redis: look-alike keys, commandstats and INFO cpu. */
export function redisGrowthStore (redis: Redis, prefix: string, footprint: LoginFootprint): GrowthStore {
  return {
    name: 'redis',
    seed: async count => { await seedLogins(redis, prefix, footprint.templates, count) },
    window: async () => {
      const before = await commandStats(redis)
      const cpuBefore = await redisCpuSeconds(redis)
      return async requests => {
        const delta = commandDelta(before, await commandStats(redis))
        const cpu = await redisCpuSeconds(redis) - cpuBefore
        return { commandsPerRequest: requests === 0 ? 0 : delta.total / requests, cpuUsPerRequest: requests === 0 ? null : cpu * 1e6 / requests }
      }
    },
    sizeMB: async () => await usedMemoryMB(redis)
  }
}

/** The growth step on PostgreSQL: look-alike rows, and the CPU of the backends serving `scenario`. */
export function postgresGrowthStore (scenario: string, footprint: PostgresFootprint): GrowthStore {
  return {
    name: 'postgres',
    seed: async count => { await seedPostgresLogins(footprint, count) },
    window: async () => {
      const before = await backendTicks(scenario)
      return async requests => {
        const perRequest = cpuPerRequest(before, await backendTicks(scenario), requests)
        return { commandsPerRequest: null, cpuUsPerRequest: perRequest === null ? null : perRequest * 1e6 }
      }
    },
    sizeMB: benchSchemaMB
  }
}

/**
 * Seeds look-alike logins until the store holds each level of active logins, and measures the same load
 * at each level: does the per-request cost (store work, p99) grow with the number of users?
 */
export async function runGrowth (o: GrowthOptions): Promise<GrowthPoint[]> {
  const points: GrowthPoint[] = []
  let active = o.realLogins
  for (const level of o.levels) {
    const toSeed = Math.max(0, level - active)
    o.output.status(`${o.label} growth: seeding ${toSeed} logins`)
    const seedStarted = Date.now()
    await o.store.seed(toSeed)
    const seedMs = Date.now() - seedStarted
    active += toSeed
    o.output.progress(`${o.label} growth ${level} logins`, o.warmupSec + o.durationSec)
    await runLoad({ url: o.url, path: o.path, connections: o.connections, durationSec: o.warmupSec, credentials: o.credentials })
    const end = await o.store.window()
    const r = await runLoad({ url: o.url, path: o.path, connections: o.connections, durationSec: o.durationSec, credentials: o.credentials })
    const store = await end(r.sent)
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
      redisCommandsPerRequest: store.commandsPerRequest,
      storeCpuUsPerRequest: store.cpuUsPerRequest,
      storeMB: await o.store.sizeMB()
    })
    const work = store.commandsPerRequest === null ? '' : `, ${store.commandsPerRequest.toFixed(2)} Redis commands/request`
    const cpu = store.cpuUsPerRequest === null ? '' : `, store CPU ${store.cpuUsPerRequest.toFixed(0)} µs/request`
    o.output.log(`  ${o.label} growth ${active} logins: ${Math.round(r.rps)} req/s, p99 ${r.latencyMs.p99} ms${work}${cpu} (seeded ${toSeed} in ${seedMs} ms)`)
  }
  return points
}
