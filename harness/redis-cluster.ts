/**
 * The harness's Redis Cluster: three masters of our own on loopback, for the tests that run the store
 * and the strategies on a cluster and stop one master. Dev tooling only. Beside the Redis policy
 * (redis.ts): the same rule for a missing redis-server (a loud skip, an error under CI=true), but a
 * cluster is always our own, never REDIS_URL's server.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { freePort, hasRedisServer, scanPrefix, waitForRedis } from './redis.js'

const hasRedisCli = (): boolean => spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0

/**
 * Null when a cluster can be started here (redis-server and redis-cli on PATH), else the reason, after
 * a loud warning. With CI=true a missing one is an error, never a skip. `who` names what would be skipped.
 */
export function missingRedisCluster (who: string): string | null {
  if (hasRedisServer() && hasRedisCli()) return null
  if (process.env.CI === 'true') throw new Error(`CI=true but no redis-server/redis-cli on PATH for ${who}`)
  console.error(`\n*** redis-server or redis-cli not found: SKIPPING ${who} ***\n`)
  return 'no redis-server/redis-cli on PATH (a Redis Cluster of our own is started)'
}

export interface ClusterMaster {
  host: string
  port: number
  /** The node's slot ranges as `cluster create` assigned them, e.g. [[0, 5460]]. */
  slots: Array<[number, number]>
}

export interface RedisCluster {
  masters: ClusterMaster[]
  /** `127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`: what REDIS_CLUSTER_NODES takes. */
  nodes: string
  /** SIGKILLs master `i` (its data is lost: no persistence; its cluster config file stays). */
  stop: (i: number) => Promise<void>
  /** Starts master `i` again on its port with its config file: it rejoins as the owner of its slots. */
  restart: (i: number) => Promise<void>
  /** Polls until every node reports `cluster_state:ok`; throws after `timeoutMs`. */
  waitOk: (timeoutMs?: number) => Promise<void>
  /** The master that owns `slot`. */
  ownerOf: (slot: number) => ClusterMaster
  /** Stops every node and removes the config files. */
  dispose: () => Promise<void>
}

export interface ClusterOptions {
  /**
   * `cluster-node-timeout`: how long a silent master takes to be marked failed (Redis' default is 15 s).
   * Once it is, with full coverage required (Redis' default) the whole cluster refuses commands.
   */
  nodeTimeoutMs?: number
  /** `cluster-require-full-coverage` (Redis' default yes). */
  requireFullCoverage?: boolean
}

async function clusterInfo (port: number): Promise<string> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 })
  client.on('error', () => {})
  try {
    await client.connect()
    return await client.cluster('INFO')
  } catch {
    return ''
  } finally {
    client.disconnect()
  }
}

async function slotsOf (port: number): Promise<Map<number, Array<[number, number]>>> {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', () => {})
  try {
    const ranges = await client.cluster('SLOTS')
    const byPort = new Map<number, Array<[number, number]>>()
    for (const [from, to, master] of ranges) {
      if (master !== undefined) byPort.set(master[1], [...(byPort.get(master[1]) ?? []), [from, to]])
    }
    return byPort
  } finally {
    client.disconnect()
  }
}

/**
 * Starts three (or `count`) masters on free loopback ports, each with a cluster bus port of its own
 * (`cluster-port`, also free), joins them with `redis-cli --cluster create` (no replicas) and waits,
 * by polling `cluster info` on every node, until the cluster says `cluster_state:ok`.
 */
export async function startRedisCluster (options: ClusterOptions & { count?: number } = {}): Promise<RedisCluster> {
  const count = options.count ?? 3
  const dir = mkdtempSync(join(tmpdir(), 'svj-cluster-'))
  const ports: Array<{ port: number, bus: number }> = []
  const taken = new Set<number>()
  while (ports.length < count) {
    const port = await freePort()
    const bus = await freePort()
    if (port === bus || taken.has(port) || taken.has(bus)) continue
    taken.add(port).add(bus)
    ports.push({ port, bus })
  }
  const children: Array<ChildProcess | null> = ports.map(() => null)
  const launch = async (i: number): Promise<void> => {
    const { port, bus } = ports[i]!
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-port', String(bus),
      '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 15000),
      '--cluster-require-full-coverage', options.requireFullCoverage === false ? 'no' : 'yes',
      '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'
    ], { stdio: 'ignore' })
    child.unref() // the exit hook below kills it if the caller's process ends first
    children[i] = child
    await waitForRedis(`redis://127.0.0.1:${port}`)
  }
  const stop = async (i: number): Promise<void> => {
    const running = children[i]
    children[i] = null
    if (running === null || running === undefined || running.exitCode !== null || running.signalCode !== null) return
    const exited = new Promise(resolve => running.once('exit', resolve))
    running.ref()
    running.kill('SIGKILL')
    await exited
  }
  process.once('exit', () => {
    for (const child of children) child?.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  const cluster: RedisCluster = {
    masters: [],
    nodes: ports.map(p => `127.0.0.1:${p.port}`).join(','),
    stop,
    async restart (i) { await launch(i) },
    async waitOk (timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const running = ports.filter((_p, i) => children[i] !== null)
        const infos = await Promise.all(running.map(async p => await clusterInfo(p.port)))
        if (infos.every(info => /^cluster_state:ok\r?$/m.test(info))) return
        if (Date.now() > deadline) throw new Error(`the cluster is not ok after ${timeoutMs} ms: ${infos.map(i => /cluster_state:\w+/.exec(i)?.[0] ?? 'no answer').join(', ')}`)
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    },
    ownerOf (slot) {
      const owner = cluster.masters.find(m => m.slots.some(([from, to]) => slot >= from && slot <= to))
      if (owner === undefined) throw new Error(`no master owns slot ${slot}`)
      return owner
    },
    async dispose () {
      await Promise.all(ports.map(async (_p, i) => { await stop(i) }))
      rmSync(dir, { recursive: true, force: true })
    }
  }
  try {
    await Promise.all(ports.map(async (_p, i) => { await launch(i) }))
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map(p => `127.0.0.1:${p.port}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 })
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`)
    await cluster.waitOk()
    const slots = await slotsOf(ports[0]!.port)
    cluster.masters = ports.map(p => ({ host: '127.0.0.1', port: p.port, slots: slots.get(p.port) ?? [] }))
  } catch (err) {
    await cluster.dispose()
    throw err
  }
  return cluster
}

/**
 * Deletes every key under `prefix` on every master of the cluster `nodes` (REDIS_CLUSTER_NODES form);
 * one DEL per key, since a cluster node refuses a DEL of keys from different slots. A node that is
 * gone is fine.
 */
export async function deleteClusterKeys (nodes: string, prefix: string): Promise<number> {
  let deleted = 0
  await Promise.all(nodes.split(',').map(async node => {
    const [host = '127.0.0.1', port = '0'] = node.split(':')
    const client = new Redis({ host, port: Number(port), maxRetriesPerRequest: 1, retryStrategy: () => null })
    client.on('error', () => {})
    try {
      for await (const keys of scanPrefix(client, prefix)) {
        const replies = await Promise.all(keys.map(async key => await client.del(key)))
        deleted += replies.reduce((sum, n) => sum + n, 0)
      }
    } catch {
      // A master that a fault test stopped keeps nothing to clean.
    } finally {
      client.disconnect()
    }
  }))
  return deleted
}
