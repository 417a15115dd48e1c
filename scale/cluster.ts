/**
 * Several instances of the server behind HAProxy: `npm run cluster -- --instances N --balance
 * round-robin|sticky [--store memory|redis] [KEY=VALUE ...]`, and `startCluster(options)` for the tests,
 * the throughput figure and demos. See scale/README.md.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { HARNESS_ENV, startServer, type ServerProcess } from '../harness/server.js'
import { deleteKeys, freePort, openRedis, type HarnessRedis } from '../harness/redis.js'
import { BALANCES, proxySourceAddress, startHaproxy, STICKY_COOKIE, type Balance, type Haproxy } from './haproxy.js'

export { BALANCES, type Balance }
export type ClusterStore = 'memory' | 'redis'

export interface ClusterOptions {
  instances: number
  balance: Balance
  /** memory (default): each instance its own store; redis: one Redis for all (the harness's Redis policy, or REDIS_URL in `env`). */
  store?: ClusterStore
  /** Extra environment for every instance, applied last (e.g. { JWT_REVOCATION: 'denylist' }). */
  env?: Record<string, string>
  /** The balancer's port (default: a free one). */
  port?: number
  readyTimeoutMs?: number
}

export interface ClusterInstance {
  /** HAProxy's name for it (i1, i2, ...): the sticky cookie's value and the x-served-by header. */
  name: string
  /** Its own address (it changes when the instance is started again). */
  readonly url: string
  alive: () => boolean
  output: () => string
  /** Stops the process; resolves once the balancer has marked it down. */
  stop: () => Promise<void>
  /** Starts it again (same environment, a new port); resolves once the balancer has marked it up. */
  start: () => Promise<void>
}

export interface Cluster {
  /** The balancer's address. */
  url: string
  instances: ClusterInstance[]
  balance: Balance
  store: ClusterStore
  /** What every instance runs with (besides HOST and PORT): the shared secrets included. */
  env: Readonly<Record<string, string>>
  /** Where the shared Redis came from (store=redis). */
  redisSource?: HarnessRedis['source'] | 'env'
  lb: Haproxy
  /** Stops the balancer, every instance, a throwaway Redis, and removes the keys of a generated prefix. */
  stop: () => Promise<void>
}

const secret = (): string => randomBytes(32).toString('base64url')

/**
 * Starts `instances` servers (harness startServer: `node dist/server.js` on free loopback ports) sharing
 * SESSION_SECRET and JWT_SECRET (generated once unless `env` has them) and, with store=redis, one Redis
 * under one key prefix; then HAProxy in front. The instances trust X-Forwarded-For from the balancer's
 * address only (TRUST_PROXY, see proxySourceAddress); they listen on loopback, so DEMO_MODE=auto turns
 * demo mode on and COOKIE_SECURE=auto gives plain cookies over the balancer's plain http.
 */
export async function startCluster (options: ClusterOptions): Promise<Cluster> {
  if (!Number.isInteger(options.instances) || options.instances < 1) throw new Error(`instances: expected a whole number of at least 1; got ${options.instances}`)
  if (!BALANCES.includes(options.balance)) throw new Error(`balance: expected one of ${BALANCES.join(', ')}; got ${String(options.balance)}`)
  const store = options.store ?? 'memory'
  const extra = options.env ?? {}
  const cleanups: Array<() => Promise<void> | void> = []
  const servers: Array<ServerProcess | null> = []
  let lb: Haproxy | undefined
  const stopAll = async (): Promise<void> => {
    await lb?.stop()
    await Promise.all(servers.map(async s => { await s?.stop() }))
    for (const cleanup of cleanups.reverse()) await cleanup()
    cleanups.length = 0
  }

  try {
    const source = await proxySourceAddress()
    const env: Record<string, string> = {
      PASSWORD_HASH_COST: HARNESS_ENV.PASSWORD_HASH_COST!,
      TRUST_PROXY: source,
      SESSION_SECRET: secret(),
      JWT_SECRET: secret(),
      STORE: store
    }
    let redisSource: Cluster['redisSource']
    if (store === 'redis') {
      if (extra.REDIS_URL !== undefined) {
        redisSource = 'env'
      } else {
        const redis = await openRedis('the cluster\'s shared store')
        if (redis === null) throw new Error('store=redis: no Redis (REDIS_URL unset and no redis-server on PATH)')
        cleanups.push(redis.dispose)
        env.REDIS_URL = redis.url
        redisSource = redis.source
      }
      if (extra.KEY_PREFIX === undefined) {
        // A prefix of this run's own, so its keys can be removed without touching anyone else's.
        env.KEY_PREFIX = `svj-cluster-${randomBytes(4).toString('hex')}:`
        const url = extra.REDIS_URL ?? env.REDIS_URL!
        const prefix = env.KEY_PREFIX
        cleanups.push(async () => { await deleteKeys(url, prefix) })
      }
    }
    Object.assign(env, extra)
    if (env.JWT_ALG !== undefined && env.JWT_ALG !== 'HS256' && env.JWT_PRIVATE_KEY_FILE === undefined) {
      // One key pair for all: the first instance writes it, the others read it (they start after it).
      const keys = mkdtempSync(join(tmpdir(), 'svj-cluster-keys-'))
      cleanups.push(() => { rmSync(keys, { recursive: true, force: true }) })
      env.JWT_PRIVATE_KEY_FILE = join(keys, 'private.pem')
      env.JWT_PUBLIC_KEY_FILE = join(keys, 'public.pem')
    }

    const start = async (): Promise<ServerProcess> => await startServer({ env, readyTimeoutMs: options.readyTimeoutMs ?? 60_000 })
    // The first alone (it creates the demo users, the admin and any key files in a shared store), then the rest together.
    servers.push(await start())
    const rest = Array.from({ length: options.instances - 1 }, async () => await start())
    const settled = await Promise.allSettled(rest)
    for (const s of settled) if (s.status === 'fulfilled') servers.push(s.value)
    const failed = settled.find(s => s.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason

    const names = servers.map((_, i) => `i${i + 1}`)
    lb = await startHaproxy({
      port: options.port ?? await freePort(),
      balance: options.balance,
      source,
      servers: servers.map((s, i) => ({ name: names[i]!, port: Number(new URL(s!.url).port) }))
    })
    const balancer = lb

    const instances: ClusterInstance[] = names.map((name, i) => ({
      name,
      get url () { return servers[i]?.url ?? '(stopped)' },
      alive: () => servers[i]?.alive() ?? false,
      output: () => servers[i]?.output() ?? '',
      async stop () {
        const server = servers[i]
        servers[i] = null
        await server?.stop()
        await balancer.waitStatus(name, 'DOWN')
      },
      async start () {
        if (servers[i] !== null && servers[i] !== undefined) throw new Error(`${name} is running`)
        const server = await start()
        servers[i] = server
        await balancer.moveServer(name, Number(new URL(server.url).port))
        await balancer.waitStatus(name, 'UP')
      }
    }))
    return { url: lb.url, instances, balance: options.balance, store, env, redisSource, lb, stop: stopAll }
  } catch (err) {
    await stopAll()
    throw err
  }
}

const HELP = `npm run cluster -- --instances N --balance round-robin|sticky [--store memory|redis] [--port P] [KEY=VALUE ...]

Starts N instances of node dist/server.js on free loopback ports, sharing SESSION_SECRET and JWT_SECRET
(generated for this run unless set in the environment) and, with --store redis, one Redis (REDIS_URL, else
a throwaway redis-server), behind HAProxy on 127.0.0.1:P (default 8080; 0 = a free port).
KEY=VALUE pairs are extra environment for every instance (e.g. JWT_REVOCATION=denylist LOG_LEVEL=warn).
Ctrl-C stops everything.

  --instances N   default 2
  --balance B     round-robin (default) or sticky (HAProxy's inserted cookie ${STICKY_COOKIE})
  --store S       memory (default: each instance its own) or redis (one for all)
  --port P        the balancer's port (default 8080)`

export function parseArgs (argv: readonly string[]): ClusterOptions & { help?: boolean } {
  const options: ClusterOptions & { help?: boolean } = { instances: 2, balance: 'round-robin', store: 'memory', port: 8080, env: {} }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${arg} needs a value`)
      return v
    }
    if (arg === '--help' || arg === '-h') options.help = true
    else if (arg === '--instances') options.instances = Number(value())
    else if (arg === '--balance') options.balance = value() as Balance
    else if (arg === '--store') {
      const store = value()
      if (store !== 'memory' && store !== 'redis') throw new Error(`--store: expected memory or redis; got ${store}`)
      options.store = store
    } else if (arg === '--port') options.port = Number(value())
    else if (/^[A-Z][A-Z0-9_]*=/.test(arg)) {
      const at = arg.indexOf('=')
      options.env![arg.slice(0, at)] = arg.slice(at + 1)
    } else throw new Error(`unknown argument ${arg} (--help lists them)`)
  }
  if (!Number.isInteger(options.instances) || options.instances < 1) throw new Error('--instances: expected a whole number of at least 1')
  if (!BALANCES.includes(options.balance)) throw new Error(`--balance: expected one of ${BALANCES.join(', ')}`)
  if (!Number.isInteger(options.port) || options.port! < 0 || options.port! > 65535) throw new Error('--port: expected 0..65535')
  if (options.port === 0) delete options.port
  return options
}

/** What a person sees with these settings, in one line. */
export function expectation (balance: Balance, store: ClusterStore, instances: number): string {
  if (instances === 1) return 'one instance: the balancer changes nothing'
  if (store === 'redis') return 'one shared Redis: a login works on every instance, and a logout through one is final on all'
  if (balance === 'sticky') return 'memory stores, sticky cookie: a login keeps working while its instance runs; stop that instance and the user is logged out'
  return 'memory stores, round robin: a session (or refresh token) lives on one instance only, so about every second protected request answers 401; JWT access tokens (JWT_REVOCATION=none) work everywhere, being stateless'
}

async function main (): Promise<void> {
  let options: ReturnType<typeof parseArgs>
  try {
    options = parseArgs(process.argv.slice(2))
  } catch (err) {
    console.error(`cluster: ${(err as Error).message}`)
    process.exit(2)
  }
  if (options.help === true) {
    console.log(HELP)
    return
  }
  // Secrets from the environment when set, so instances of another run (or a restart) accept the same logins.
  for (const name of ['SESSION_SECRET', 'JWT_SECRET']) {
    const value = process.env[name]
    if (value !== undefined && value !== '' && options.env![name] === undefined) options.env![name] = value
  }
  const cluster = await startCluster(options)
  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    console.log('\nstopping the balancer and the instances ...')
    cluster.stop().then(() => { process.exit(0) }, (err: unknown) => { console.error(err); process.exit(1) })
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  const storeText = cluster.store === 'redis' ? `one Redis (${cluster.redisSource}), key prefix ${cluster.env.KEY_PREFIX}` : 'memory: each instance its own'
  console.log(`load balancer  ${cluster.url}   HAProxy, ${cluster.balance}, store ${storeText}`)
  for (const i of cluster.instances) console.log(`instance ${i.name.padEnd(5)} ${i.url}`)
  console.log(`\n${expectation(cluster.balance, cluster.store, cluster.instances.length)}.`)
  console.log(`Every answer through the balancer names its instance in x-served-by. Demo users (loopback: demo mode), e.g.:
  curl -si -c jar -H 'content-type: application/json' -d '{"username":"alice","password":"alice-password"}' ${cluster.url}/session/login
  curl -si -b jar ${cluster.url}/session/api/me
Ctrl-C stops everything.`)
  // Watch the instances: one that exits by itself is reported (the balancer then serves from the others).
  const reported = new Set<string>()
  setInterval(() => {
    for (const i of cluster.instances) {
      if (!i.alive() && !reported.has(i.name) && !stopping) {
        reported.add(i.name)
        console.error(`instance ${i.name} exited:\n${i.output()}`)
      }
    }
  }, 1000).unref()
  await new Promise(() => {})
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(`cluster: ${err instanceof Error ? err.message : String(err)}`)
    process.exit(1)
  })
}
