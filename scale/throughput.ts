/**
 * The scaling figure: requests/s on an authenticated route with one instance reached directly, one
 * instance behind HAProxy, and two instances behind HAProxy (round robin). autocannon runs in this
 * process (bench/load.ts), so on a small machine the instances, HAProxy, autocannon and Redis share the
 * same cores: read the figures with the machine line printed above them. See scale/README.md.
 *
 *   npm run cluster:throughput -- [--duration S] [--connections C] [--strategies jwt,session]
 */
import { cpus, loadavg } from 'node:os'
import { benchUser } from '../harness/fixtures.js'
import { NON_DEMO_ENV } from '../harness/server.js'
import { login, type Credential } from '../bench/http.js'
import { runLoad, type LoadResult } from '../bench/load.js'
import { startCluster, type ClusterStore } from './cluster.js'

type Kind = 'session' | 'jwt'

/**
 * The store each strategy is measured with: JWT access tokens (JWT_REVOCATION=none) are checked without
 * a store, so each instance keeps its own memory store and round robin still works; sessions must be in
 * one shared store for round robin to work, so Redis.
 */
const STORE_OF: Record<Kind, ClusterStore> = { jwt: 'memory', session: 'redis' }

const USERS = 20
const ENV: Record<string, string> = { ...NON_DEMO_ENV, BENCH_USERS: String(USERS), LOG_LEVEL: 'warn' }

interface Row { kind: Kind, setup: string, result: LoadResult }

function parseArgs (argv: readonly string[]): { durationSec: number, connections: number, kinds: Kind[] } {
  const out = { durationSec: 10, connections: 40, kinds: ['jwt', 'session'] as Kind[] }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = argv[++i]
    if (value === undefined) throw new Error(`${arg} needs a value`)
    if (arg === '--duration') out.durationSec = Number(value)
    else if (arg === '--connections') out.connections = Number(value)
    else if (arg === '--strategies') out.kinds = value.split(',') as Kind[]
    else throw new Error(`unknown argument ${arg}`)
  }
  if (!(out.durationSec >= 1) || !Number.isInteger(out.connections) || out.connections < 1) throw new Error('--duration and --connections: positive numbers')
  if (out.kinds.some(k => k !== 'jwt' && k !== 'session')) throw new Error('--strategies: jwt, session')
  return out
}

async function measure (url: string, kind: Kind, credentials: Credential[], connections: number, durationSec: number): Promise<LoadResult> {
  const path = `/${kind}/api/me`
  // A short unrecorded run first: JIT, connection pools, HAProxy's first connections.
  await runLoad({ url, path, connections, durationSec: 2, credentials })
  return await runLoad({ url, path, connections, durationSec, credentials })
}

async function main (): Promise<void> {
  const { durationSec, connections, kinds } = parseArgs(process.argv.slice(2))
  const rows: Row[] = []
  const loadAtStart = loadavg().map(l => l.toFixed(2)).join(' ')
  for (const kind of kinds) {
    for (const instances of [1, 2]) {
      const cluster = await startCluster({ instances, balance: 'round-robin', store: STORE_OF[kind], env: ENV })
      try {
        const credentials: Credential[] = []
        for (let i = 0; i < USERS; i++) credentials.push(await login(cluster.url, kind, benchUser(i)))
        if (instances === 1) {
          const direct = cluster.instances[0]!.url
          rows.push({ kind, setup: '1 instance, direct', result: await measure(direct, kind, credentials, connections, durationSec) })
        }
        rows.push({ kind, setup: `${instances} instance${instances > 1 ? 's' : ''} behind HAProxy`, result: await measure(cluster.url, kind, credentials, connections, durationSec) })
        console.error(`done: ${kind}, ${instances} instance(s)`)
      } finally {
        await cluster.stop()
      }
    }
  }
  console.log(`\n${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? '?'}); load average ${loadAtStart} at start, ${loadavg().map(l => l.toFixed(2)).join(' ')} at the end`)
  console.log(`GET /{strategy}/api/me, ${connections} connections, ${USERS} users, ${durationSec} s per row after 2 s of warm-up; autocannon in this process\n`)
  console.log('| strategy (store) | setup | requests/s | p50 ms | p99 ms | non-2xx | errors |')
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |')
  for (const { kind, setup, result: r } of rows) {
    console.log(`| ${kind} (${STORE_OF[kind]}) | ${setup} | ${Math.round(r.rps)} | ${r.latencyMs.p50} | ${r.latencyMs.p99} | ${r.non2xx} | ${r.errors} |`)
  }
  const bad = rows.filter(r => r.result.non2xx > 0 || r.result.errors > 0)
  if (bad.length > 0) {
    console.error(`\nnot every answer was a 2xx (${bad.map(r => `${r.kind} ${r.setup}`).join('; ')}): those rows measure errors, not the route`)
    process.exitCode = 1
  }
}

main().catch((err: unknown) => {
  console.error(`throughput: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
