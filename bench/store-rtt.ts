/**
 * The store at a distance (`--store-rtt`): every Redis-backed scenario (and peer) gets a second server
 * whose Redis connection goes through a delaying proxy (delay-proxy.ts), and the same load is measured at
 * each added round-trip time; baseline and the memory-store scenarios are measured beside them for
 * reference. Runs after the rounds, before the refresh path and growth.
 */
import { Redis } from 'ioredis'
import { clockTicks, processTicks } from './affinity.js'
import { startDelayProxy, viaProxy, type DelayProxy } from './delay-proxy.js'
import { runLoad } from './load.js'
import type { Output } from './progress.js'
import { startTwin, type PreparedScenario, type Running } from './runner.js'
import { median } from './util.js'

export interface StoreRttSettings {
  /** Added round-trip times, ms. */
  rttsMs: number[]
  connections: number
  durationSec: number
  warmupSec: number
}

export interface RttPoint {
  rttMs: number
  rps: number
  requests: number
  meanMs: number
  p50: number
  p97_5: number
  p99: number
  /** Server CPU per completed request, µs (utime + stime over the window). */
  serverCpuUs: number | null
  errors: number
  non2xx: number
}

export interface RttRow {
  name: string
  store: string
  /** `proxy`: a second server whose Redis is behind the delaying proxy; `direct`: no Redis per request, its own server (reference). */
  via: 'proxy' | 'direct'
  points: RttPoint[]
  failures: string[]
}

export interface StoreRttResult {
  settings: StoreRttSettings
  /** PING round trips through the proxy at each RTT (median of 30 sequential PINGs), and without it. */
  calibration: { directPingMs: number, viaProxy: Array<{ rttMs: number, pingMs: number }> }
  rows: RttRow[]
}

const ms = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6

async function pingMedian (client: Redis, count = 30): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint()
    await client.ping()
    times.push(ms(start))
  }
  return median(times)
}

/** Is this prepared scenario measured at every RTT, and how. */
function roleOf (p: PreparedScenario): RttRow['via'] | null {
  if (p.server === null || p.result.status !== 'ok' || p.result.failures.length > 0) return null
  if (p.result.store === 'redis') return 'proxy'
  // References: the project's own scenarios without Redis per request (not the breakdown variants, not peers).
  if (p.scenario !== null && p.scenario.variant === undefined && (p.scenario.kind === 'baseline' || p.scenario.store === 'memory')) return 'direct'
  return null
}

export async function runStoreRtt (prepared: readonly PreparedScenario[], options: { settings: StoreRttSettings, redisUrl: string, output: Output }): Promise<StoreRttResult> {
  const { settings, redisUrl, output } = options
  const target = new URL(redisUrl)
  const upstream = { host: target.hostname, port: Number(target.port === '' ? 6379 : target.port) }
  const proxies: DelayProxy[] = []
  const twins: Running[] = []
  const entries: Array<{ row: RttRow, server: Running, p: PreparedScenario }> = []
  const rows: RttRow[] = []
  const calibration: StoreRttResult['calibration'] = { directPingMs: NaN, viaProxy: [] }
  try {
    for (const p of prepared) {
      const via = roleOf(p)
      if (via === null) continue
      const row: RttRow = { name: p.result.name, store: p.result.store, via, points: [], failures: [] }
      rows.push(row)
      if (via === 'direct') {
        entries.push({ row, server: p.server!, p })
        continue
      }
      try {
        output.status(`${row.name}: starting a second server behind the delaying proxy`)
        const proxy = await startDelayProxy(upstream, 0)
        proxies.push(proxy)
        const twin = await startTwin(p, viaProxy(redisUrl, proxy))
        twins.push(twin)
        output.done()
        const probe = await fetch(twin.url + p.result.path, { headers: probeHeaders(p) })
        await probe.arrayBuffer()
        if (probe.status !== 200) throw new Error(`the second server answers ${probe.status} to a credential of the first`)
        entries.push({ row, server: twin, p })
      } catch (err) {
        output.done()
        row.failures.push(`store RTT: ${(err as Error).message.split('\n')[0]}`)
        output.log(`  ${row.name}: store RTT step FAILED: ${row.failures.at(-1)}`)
      }
    }

    // What a Redis round trip costs through the proxy at each setting, for the report.
    const calibrationProxy = await startDelayProxy(upstream, 0)
    proxies.push(calibrationProxy)
    const direct = new Redis(redisUrl, { lazyConnect: true, enableAutoPipelining: false })
    const delayed = new Redis(viaProxy(redisUrl, calibrationProxy), { lazyConnect: true, enableAutoPipelining: false })
    try {
      await direct.connect()
      await delayed.connect()
      calibration.directPingMs = await pingMedian(direct)
      for (const rtt of settings.rttsMs) {
        calibrationProxy.setRtt(rtt)
        calibration.viaProxy.push({ rttMs: rtt, pingMs: await pingMedian(delayed) })
      }
    } finally {
      direct.disconnect()
      delayed.disconnect()
    }
    output.log(`  store RTT: Redis PING ${calibration.directPingMs.toFixed(3)} ms direct; through the proxy ${calibration.viaProxy.map(c => `${c.pingMs.toFixed(3)} ms at +${c.rttMs} ms`).join(', ')} (median of 30)`)

    for (const rtt of settings.rttsMs) {
      for (const proxy of proxies) proxy.setRtt(rtt)
      for (const { row, server, p } of entries) {
        if (row.failures.length > 0) continue
        const label = `${row.name} +${rtt} ms RTT`
        try {
          output.progress(label, settings.warmupSec + settings.durationSec)
          const load = { url: server.url, path: p.result.path, connections: settings.connections, credentials: p.credentials }
          const warm = await runLoad({ ...load, durationSec: settings.warmupSec })
          const ticksBefore = processTicks(server.pid)
          const r = await runLoad({ ...load, durationSec: settings.durationSec })
          const ticksAfter = processTicks(server.pid)
          output.done()
          const point: RttPoint = {
            rttMs: rtt,
            rps: r.rps,
            requests: r.requests,
            meanMs: r.latencyMs.mean,
            p50: r.latencyMs.p50,
            p97_5: r.latencyMs.p97_5,
            p99: r.latencyMs.p99,
            serverCpuUs: ticksBefore === null || ticksAfter === null || r.requests === 0 ? null : (ticksAfter - ticksBefore) / clockTicks() * 1e6 / r.requests,
            errors: r.errors + r.timeouts + warm.errors + warm.timeouts,
            non2xx: r.non2xx + warm.non2xx
          }
          row.points.push(point)
          if (point.errors + point.non2xx > 0) row.failures.push(`store RTT ${rtt} ms: ${point.errors} errors, ${point.non2xx} non-2xx`)
          output.log(`  ${label}: ${Math.round(point.rps)} req/s, mean ${point.meanMs.toFixed(2)} ms, p50 ${point.p50} ms, p99 ${point.p99} ms, server ${point.serverCpuUs?.toFixed(0) ?? '-'} µs CPU/req`)
        } catch (err) {
          output.done()
          row.failures.push(`store RTT ${rtt} ms: ${(err as Error).message}`)
        }
      }
    }
  } finally {
    output.done()
    for (const twin of twins) await twin.stop()
    for (const proxy of proxies) await proxy.close()
  }
  return { settings, calibration, rows }
}

function probeHeaders (p: PreparedScenario): Record<string, string> {
  const c = p.credentials[0]
  if (c === undefined) return {}
  return c.headers ?? (c.header === null ? {} : { [c.header.name]: c.header.value })
}
