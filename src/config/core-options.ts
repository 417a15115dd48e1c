import { isIP } from 'node:net'
import { STRATEGY_KINDS, type StrategyKind } from '../strategies/registry.js'
import { ConfigError } from './config-error.js'
import { autoOrBoolean, boolean, duration, fail, integer, list, oneOf, optional, rateLimit, subsetOf, text, valued, type Kind, type Option } from './options.js'

/** The strategies AUTH_STRATEGIES may name: the registry's kinds (src/strategies/registry.ts). */
export const STRATEGY_NAMES: readonly StrategyKind[] = STRATEGY_KINDS
export type StrategyName = StrategyKind
export const STORE_KINDS = ['memory', 'redis', 'postgres'] as const
export type StoreKind = typeof STORE_KINDS[number]
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = typeof LOG_LEVELS[number]

/** What runs and where: listed first in `--help`, before the session strategy's settings. */
export const SERVER_OPTIONS = {
  strategies: { env: 'AUTH_STRATEGIES', flag: 'strategies', ...subsetOf(STRATEGY_NAMES, STRATEGY_NAMES), help: `comma list of strategies to mount (${STRATEGY_NAMES.join(', ')})` },
  store: { env: 'STORE', flag: 'store', ...oneOf(STORE_KINDS, 'memory'), help: 'memory (embedded, lost on restart), redis or postgres' },
  redisUrl: { env: 'REDIS_URL', flag: 'redis-url', ...text('redis://127.0.0.1:6379', /^rediss?:\/\/[^\s]+$/, 'a redis:// or rediss:// URL'), help: 'Redis connection URL, used when STORE=redis' },
  redisClusterNodes: { env: 'REDIS_CLUSTER_NODES', ...clusterNodes(), help: 'Redis Cluster: comma list of host:port of some of its nodes; with STORE=redis it replaces REDIS_URL' },
  databaseUrl: { env: 'DATABASE_URL', flag: 'database-url', ...text('postgres://postgres@127.0.0.1:5432/postgres', /^postgres(ql)?:\/\/[^\s]+$/, 'a postgres:// or postgresql:// URL'), help: 'PostgreSQL connection URL, used when STORE=postgres (and by DEMO_POSTGRES_MOUNTS)' },
  databaseSchema: { env: 'DATABASE_SCHEMA', ...text('public', /^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier: letters, digits and _ (at most 63)'), help: 'PostgreSQL schema of the store\'s tables (created and migrated at startup)' },
  keyPrefix: { env: 'KEY_PREFIX', ...text('svj:', /^[\w:.-]{1,64}$/, 'letters, digits and _ : . - (at most 64)'), help: 'prefix of every store key (lets several apps or test runs share one Redis or one schema)' },
  authCache: { env: 'AUTH_CACHE', ...boolean(false), help: 'in-process cache of what authentication reads, invalidated through Redis (needs STORE=redis)' },
  authCacheMax: { env: 'AUTH_CACHE_MAX', ...integer(100_000, 1, 10_000_000), help: 'most entries the AUTH_CACHE keeps per instance (least recently used dropped first)' },
  authCacheTtl: { env: 'AUTH_CACHE_TTL', ...duration('60s', 1000, 3_600_000), help: 'longest an AUTH_CACHE entry is used before Redis is asked again' },
  host: { env: 'HOST', flag: 'host', ...text('127.0.0.1', /^[\w.:-]+$/, 'a host name or IP address'), help: 'address to listen on' },
  port: { env: 'PORT', flag: 'port', ...integer(3000, 0, 65535), help: 'port to listen on (0 picks a free one)' },
  logLevel: { env: 'LOG_LEVEL', flag: 'log-level', ...oneOf(LOG_LEVELS, 'info'), help: `pino level (${LOG_LEVELS.join(', ')})` },
  trustProxy: { env: 'TRUST_PROXY', ...trustProxy('false'), help: 'X-Forwarded-For/-Proto hops to believe: false, a hop count (1 = one proxy of yours in front), or a comma list of proxy addresses/CIDRs' },
  loginRateLimit: { env: 'LOGIN_RATE_LIMIT', ...rateLimit('10/15m'), help: 'login attempts allowed per username per window (n/duration; a successful login starts the count afresh), or off (also turns off the per-address limit)' },
  loginRateLimitPerAddress: { env: 'LOGIN_RATE_LIMIT_PER_ADDRESS', ...rateLimit('100/15m'), help: 'login attempts allowed per client address per window, or off' }
} satisfies Record<string, Option<unknown>>

/** What both strategies share (logins per user, cookies, origins) and the users: after the session settings. */
export const USER_OPTIONS = {
  maxSessionsPerUser: { env: 'MAX_SESSIONS_PER_USER', ...integer(0, 0, 10000), help: 'logins per user (sessions and refresh families each); 0 = no limit, else the oldest ends' },
  cookieSecure: { env: 'COOKIE_SECURE', ...autoOrBoolean(), help: 'Secure cookies with __Host-/__Secure- names: auto (plain only for plain http on a loopback HOST), true or false' },
  allowedOrigins: { env: 'ALLOWED_ORIGINS', ...list({ allowed: 'a comma list of origins like https://app.example.com', test: isOrigin }), help: 'comma list of extra origins allowed to send state-changing cookie requests' },
  benchUsers: { env: 'BENCH_USERS', flag: 'bench-users', ...integer(0, 0, 1_000_000), help: 'also create users bench0..bench{N-1} with password bench-password' },
  passwordHashCost: { env: 'PASSWORD_HASH_COST', ...integer(15, 14, 20), help: 'scrypt cost as log2(N), 14..20 (benchmarks may lower login cost, never below 14)' },
  demoMode: { env: 'DEMO_MODE', ...autoOrBoolean(), help: 'demo users, the demo page and its attacker tools: auto (on only when HOST is loopback), true or false' },
  demoAllowRemote: { env: 'DEMO_ALLOW_REMOTE', ...boolean(false), help: 'allow DEMO_MODE=true on a non-loopback HOST (a class on one network; published passwords!)' },
  demoUnsafeCsrf: { env: 'DEMO_UNSAFE_CSRF', ...boolean(false), help: 'demo mode on a loopback HOST only: turn the CSRF defences off (session cookie SameSite=None, no Origin/Sec-Fetch-Site check, form bodies accepted) to show a cross-site form succeed' },
  demoCachedMounts: { env: 'DEMO_CACHED_MOUNTS', ...boolean(false), help: 'demo mode with STORE=redis: also mount session-cached and jwt-denylist-cached, which read through the AUTH_CACHE (0 store reads per request) beside the uncached columns' },
  demoPostgresMounts: { env: 'DEMO_POSTGRES_MOUNTS', ...boolean(false), help: 'demo mode with STORE=memory or redis: also mount session-postgres and jwt-denylist-postgres, which keep their records in PostgreSQL (DATABASE_URL, DATABASE_SCHEMA) beside the other columns' },
  adminPassword: { env: 'ADMIN_PASSWORD', ...optional('(none)'), help: 'password of the admin account created at first start, at least 12 characters; without it (or ADMIN_PASSWORD_FILE) there is no admin outside demo mode' },
  adminPasswordFile: { env: 'ADMIN_PASSWORD_FILE', ...optional('(none)'), help: 'file holding ADMIN_PASSWORD (Docker/Kubernetes secrets)' }
} satisfies Record<string, Option<unknown>>

/** Whether HOST only accepts connections from this machine. */
export function isLoopbackHost (host: string): boolean {
  const h = host.toLowerCase()
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h)
}

function isOrigin (origin: string): boolean {
  try { return new URL(origin).origin === origin } catch { return false }
}

/**
 * Which X-Forwarded-For/-Proto hops to believe, as Fastify takes it: false, a hop count (1..32) or a list
 * of proxy addresses/CIDRs. Never `true`, which would let any client pick its own address.
 */
function trustProxy (def: string): Kind<false | number | string[]> {
  return valued(def, (value, env) => {
    const lower = value.toLowerCase()
    if (['false', '0', 'no', 'off'].includes(lower)) return false
    if (['true', 'yes', 'on'].includes(lower)) {
      throw new ConfigError(`${env}: 'true' would believe every X-Forwarded-For hop, so any client could pick its own address; write the number of proxies of yours in front (e.g. TRUST_PROXY=1) or their addresses (e.g. TRUST_PROXY=10.0.0.0/8)`)
    }
    if (/^\d+$/.test(value)) {
      const hops = Number(value)
      return hops >= 1 && hops <= 32 ? hops : fail(env, 'false, a hop count from 1 to 32, or a comma list of proxy addresses/CIDRs', value)
    }
    const entries = value.split(',').map(s => s.trim()).filter(s => s !== '')
    for (const entry of entries) {
      if (!isProxyAddress(entry)) fail(env, 'false, a hop count, or a comma list of proxy addresses/CIDRs (or loopback, linklocal, uniquelocal)', entry)
    }
    return entries
  })
}

const PROXY_ADDR_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/** An address, a CIDR (address/bits) or one of proxy-addr's names, as Fastify's trustProxy list takes them. */
function isProxyAddress (entry: string): boolean {
  if (PROXY_ADDR_NAMES.has(entry)) return true
  const [address, bits, extra] = entry.split('/')
  if (extra !== undefined || address === undefined) return false
  const family = isIP(address)
  if (family === 0) return false
  if (bits === undefined) return true
  if (!/^\d{1,3}$/.test(bits)) return false
  return Number(bits) <= (family === 4 ? 32 : 128)
}

/** A Redis Cluster node to start from (REDIS_CLUSTER_NODES). */
export interface ClusterNodeAddress {
  host: string
  port: number
}

/** `host:port,...` (IPv6 as `[addr]:port`), each once; empty when unset. */
function clusterNodes (): Kind<ClusterNodeAddress[]> {
  const allowed = 'a comma list of host:port (IPv6 as [addr]:port), e.g. 10.0.0.1:7000,10.0.0.2:7000'
  return valued('', (value, env) => {
    const entries = value.split(',').map(s => s.trim())
    if (value === '') return []
    const seen = new Set<string>()
    return entries.map(entry => {
      const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([\w.-]+)):(\d{1,5})$/.exec(entry)
      const host = match?.[1] ?? match?.[2]
      const port = Number(match?.[3])
      if (host === undefined || !(port >= 1 && port <= 65535) || (match?.[1] !== undefined && isIP(host) !== 6)) fail(env, allowed, entry)
      if (seen.has(`${host}:${port}`)) fail(env, `${allowed}, each node once`, entry)
      seen.add(`${host}:${port}`)
      return { host, port }
    })
  })
}
