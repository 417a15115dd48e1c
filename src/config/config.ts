import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { ConfigError } from './config-error.js'
import { isLoopbackHost, SERVER_OPTIONS, USER_OPTIONS, type ClusterNodeAddress, type LogLevel, type StoreKind, type StrategyName } from './core-options.js'
import { fail, reader, type Env, type LoginRateLimit, type Option, type Read } from './options.js'
import { SESSION_OPTIONS, sessionConfig, type SessionConfig } from '../strategies/session/options.js'
import { JWT_OPTIONS, jwtConfig, type JwtConfig } from '../strategies/jwt/options.js'

// Where each piece is declared; re-exported so the rest of the app imports configuration from here.
export { ConfigError, isLoopbackHost }
export { STORE_KINDS, STRATEGY_NAMES, type ClusterNodeAddress, type LogLevel, type StoreKind, type StrategyName } from './core-options.js'
export type { LoginRateLimit } from './options.js'
export { SESSION_REDIS_STORES, type SessionConfig, type SessionRedisStore } from '../strategies/session/options.js'
export { JWT_ALGORITHMS, REVOCATION_MODES, type JwtAlgorithm, type JwtConfig, type RevocationMode } from '../strategies/jwt/options.js'

/** The one validated configuration object every part of the app reads. */
export interface Config {
  strategies: StrategyName[]
  store: StoreKind
  redisUrl: string
  databaseUrl: string
  databaseSchema: string
  /** REDIS_CLUSTER_NODES: with STORE=redis and at least one node, the store is a Redis Cluster (REDIS_URL unused). */
  redisClusterNodes: ClusterNodeAddress[]
  keyPrefix: string
  /** AUTH_CACHE=on (STORE=redis only): the in-process cache of authentication reads; null when off. */
  authCache: { max: number, ttlMs: number } | null
  host: string
  port: number
  logLevel: LogLevel
  /**
   * Which X-Forwarded-For/-Proto hops to believe, as Fastify takes it: false (none), a hop count, or the
   * proxies' addresses/CIDRs (or proxy-addr's names loopback, linklocal, uniquelocal). Never `true`.
   */
  trustProxy: false | number | string[]
  /** Login attempts per username per window (a successful login starts the count afresh); null when off. */
  loginRateLimit: LoginRateLimit | null
  /** Login attempts per client address per window; null when off. */
  loginRateLimitPerAddress: LoginRateLimit | null
  /**
   * Secure cookies (with the `__Host-`/`__Secure-` prefixes): true always, false never, 'auto' per
   * request (https as Fastify sees it). 'auto' is only left in place for a loopback HOST; elsewhere
   * COOKIE_SECURE=auto resolves to true.
   */
  cookieSecure: boolean | 'auto'
  allowedOrigins: string[]
  maxSessionsPerUser: number
  benchUsers: number
  passwordHashCost: number
  /** Demo users, the demo page and its attacker tools. On by default only for a loopback HOST. */
  demoMode: boolean
  /**
   * DEMO_UNSAFE_CSRF: the CSRF defences off for the demo's CSRF story (session cookie SameSite=None, no
   * cross-site check, urlencoded form bodies parsed). Only ever true in demo mode on a loopback HOST.
   */
  demoUnsafeCsrf: boolean
  /**
   * DEMO_CACHED_MOUNTS: demo mode also mounts `session-cached` and `jwt-denylist-cached`, read through an
   * AUTH_CACHE of their own, so the page shows the cached mode beside the uncached one. Only with
   * STORE=redis (no cluster) and AUTH_CACHE off (on, every column is cached already).
   */
  demoCachedMounts: { max: number, ttlMs: number } | null
  /**
   * DEMO_POSTGRES_MOUNTS: demo mode also mounts `session-postgres` and `jwt-denylist-postgres`, their
   * records in PostgreSQL (DATABASE_URL, DATABASE_SCHEMA) while the app's store is memory or Redis.
   */
  demoPostgresMounts: boolean
  /** ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE): creates the `admin` account at first start; null: no admin. */
  adminPassword: string | null
  session: SessionConfig
  jwt: JwtConfig
  /** Non-fatal notes for the operator (e.g. a generated secret), logged at startup. */
  warnings: string[]
}

/** Every setting, in the order `--help` (and the README's table) lists them; each strategy brings its own. */
export const OPTIONS: ReadonlyArray<Option<unknown>> = [
  ...Object.values(SERVER_OPTIONS),
  ...Object.values(SESSION_OPTIONS),
  ...Object.values(USER_OPTIONS),
  ...Object.values(JWT_OPTIONS)
]

export function helpText (): string {
  const rows = OPTIONS.map(o => {
    const flag = o.flag === undefined ? '' : `--${o.flag}`
    return `  ${o.env.padEnd(22)} ${flag.padEnd(14)} ${o.help} [default: ${o.default === '' ? 'none' : o.default}]`
  })
  return [
    'Usage: npm start -- [flags]    (flags override environment variables)',
    '',
    '  ENV                    FLAG           MEANING',
    ...rows,
    '',
    'Durations accept 900s, 15m, 12h, 14d or plain seconds.',
    '  --help                               print this help and exit'
  ].join('\n')
}

export interface CliResult {
  help: boolean
  /** Flag values keyed by their environment variable name. */
  overrides: Env
}

/** Parses command-line flags into environment-style overrides. Unknown flags are a ConfigError. */
export function parseCli (argv: string[]): CliResult {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } }
  for (const o of OPTIONS) if (o.flag !== undefined) options[o.flag] = { type: 'string' }
  let parsed
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false })
  } catch (err) {
    throw new ConfigError(`${(err as Error).message} (see --help)`)
  }
  const overrides: Env = {}
  for (const o of OPTIONS) {
    const value = o.flag === undefined ? undefined : parsed.values[o.flag]
    if (typeof value === 'string') overrides[o.env] = value
  }
  return { help: parsed.values.help === true, overrides }
}

/**
 * Reads and validates the whole configuration; throws ConfigError naming the first bad variable in
 * `--help` order. Every value goes through its option; what follows each read is the rules that tie
 * settings together.
 */
export function loadConfig (env: Env = process.env, overrides: Env = {}): Config {
  const read = reader(env, overrides)
  const warnings: string[] = []
  const s = SERVER_OPTIONS
  const u = USER_OPTIONS

  const strategies = read(s.strategies)
  const store = read(s.store)
  const redisUrl = read(s.redisUrl)
  const databaseUrl = read(s.databaseUrl)
  const databaseSchema = read(s.databaseSchema)
  const redisClusterNodes = read(s.redisClusterNodes)
  // A cluster named for a memory store would silently keep nothing shared: almost surely a forgotten STORE.
  if (redisClusterNodes.length > 0 && store !== 'redis') throw new ConfigError(`REDIS_CLUSTER_NODES: set, but STORE=${store}; set STORE=redis to use the cluster, or unset REDIS_CLUSTER_NODES`)
  const keyPrefix = read(s.keyPrefix)
  const authCache = read(s.authCache) ? { max: read(s.authCacheMax), ttlMs: read(s.authCacheTtl) } : null
  if (authCache !== null && store !== 'redis') {
    throw new ConfigError(`AUTH_CACHE: the cache is kept exact by invalidations from Redis, so it needs STORE=redis; got STORE=${store} (a memory store is one process's own, with nothing to cache in front of)`)
  }
  if (authCache !== null && redisClusterNodes.length > 0) {
    // Client tracking is per node: a cluster would need a tracking connection and a subscriber per master.
    throw new ConfigError('AUTH_CACHE: not available on a Redis Cluster (REDIS_CLUSTER_NODES) yet: its invalidations come from client tracking, which is per node; unset one of the two')
  }
  const host = read(s.host)
  const loopback = isLoopbackHost(host)
  const port = read(s.port)
  const logLevel = read(s.logLevel)
  const trustProxy = read(s.trustProxy)
  const loginRateLimit = read(s.loginRateLimit)
  // LOGIN_RATE_LIMIT=off turns off both limits (mass logins in benchmarks and the soak).
  const loginRateLimitPerAddress = loginRateLimit === null ? null : read(s.loginRateLimitPerAddress)

  // Secrets are only read, or generated, for the strategies that are mounted.
  const session = sessionConfig(read, strategies.includes('session'), warnings)
  if (authCache !== null && strategies.includes('session') && session.redisStore === 'connect-redis') {
    throw new ConfigError('AUTH_CACHE: connect-redis reads sessions from Redis itself, past the cache; use SESSION_REDIS_STORE=own with AUTH_CACHE=on')
  }

  const maxSessionsPerUser = read(u.maxSessionsPerUser)
  const cookieSetting = read(u.cookieSecure)
  // auto: plain cookies only make sense for plain http on this machine; any other host gets Secure ones.
  const cookieSecure = cookieSetting === 'auto' ? (loopback ? 'auto' : true) : cookieSetting
  const allowedOrigins = read(u.allowedOrigins)
  const benchUsers = read(u.benchUsers)
  const passwordHashCost = read(u.passwordHashCost)
  const demoSetting = read(u.demoMode)
  const demoMode = demoSetting === 'auto' ? loopback : demoSetting
  const demoAllowRemote = read(u.demoAllowRemote)
  if (demoMode && !loopback) {
    if (!demoAllowRemote) {
      throw new ConfigError(`DEMO_MODE: demo mode publishes its users' passwords, so it only runs on a loopback HOST; got HOST=${host}. For a class on one network also set DEMO_ALLOW_REMOTE=true`)
    }
    warnings.push(`DEMO_MODE=true on HOST=${host} (DEMO_ALLOW_REMOTE=true): anyone who can reach this server can log in as admin/admin-password and use the attacker tools`)
  }
  const demoUnsafeCsrf = read(u.demoUnsafeCsrf)
  if (demoUnsafeCsrf && !(demoMode && loopback)) {
    // DEMO_ALLOW_REMOTE does not lift this: a class network would let any page on it ride the cookies.
    throw new ConfigError(`DEMO_UNSAFE_CSRF: turns off the CSRF defences, so it only runs in demo mode on a loopback HOST; got ${demoMode ? '' : 'DEMO_MODE off, '}HOST=${host}`)
  }
  const demoCachedMounts = read(u.demoCachedMounts) ? { max: read(s.authCacheMax), ttlMs: read(s.authCacheTtl) } : null
  if (demoCachedMounts !== null) {
    const why = !demoMode
      ? 'it adds demo mounts, and DEMO_MODE is off'
      : store !== 'redis' || redisClusterNodes.length > 0
        ? `the cache is kept exact by invalidations from one Redis, so it needs STORE=redis without REDIS_CLUSTER_NODES; got STORE=${store}${redisClusterNodes.length > 0 ? ' with a cluster' : ''}`
        : authCache !== null
          ? 'AUTH_CACHE=on already serves every column from the cache; unset one of the two'
          : strategies.includes('session') && session.redisStore === 'connect-redis'
            ? 'connect-redis reads sessions from Redis itself, past the cache; use SESSION_REDIS_STORE=own'
            : null
    if (why !== null) throw new ConfigError(`DEMO_CACHED_MOUNTS: ${why}`)
  }
  const demoPostgresMounts = read(u.demoPostgresMounts)
  if (demoPostgresMounts && (!demoMode || store === 'postgres')) {
    throw new ConfigError(`DEMO_POSTGRES_MOUNTS: ${!demoMode ? 'it adds demo mounts, and DEMO_MODE is off' : 'STORE=postgres already keeps every column in PostgreSQL; unset one of the two'}`)
  }
  const adminPassword = readAdminPassword(read)

  const jwt = jwtConfig(read, strategies.includes('jwt'), warnings)

  return {
    strategies,
    store,
    redisUrl,
    databaseUrl,
    databaseSchema,
    redisClusterNodes,
    keyPrefix,
    authCache,
    host,
    port,
    logLevel,
    trustProxy,
    loginRateLimit,
    loginRateLimitPerAddress,
    cookieSecure,
    allowedOrigins,
    maxSessionsPerUser,
    benchUsers,
    passwordHashCost,
    demoMode,
    demoUnsafeCsrf,
    demoCachedMounts,
    demoPostgresMounts,
    adminPassword,
    session,
    jwt,
    warnings
  }
}

/** ADMIN_PASSWORD or the contents of ADMIN_PASSWORD_FILE (not both), 12 to 1024 characters; null when neither. */
function readAdminPassword (read: Read): string | null {
  const direct = read(USER_OPTIONS.adminPassword)
  const file = read(USER_OPTIONS.adminPasswordFile)
  if (direct !== null && file !== null) fail('ADMIN_PASSWORD_FILE', 'either ADMIN_PASSWORD or ADMIN_PASSWORD_FILE, not both', file)
  let password = direct
  if (file !== null) {
    try {
      // A trailing newline is how most editors and `echo` end the file; it is not part of the password.
      password = readFileSync(file, 'utf8').replace(/\r?\n$/, '')
    } catch (err) {
      fail('ADMIN_PASSWORD_FILE', 'a readable file', `${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
    }
  }
  if (password === null) return null
  const name = file === null ? 'ADMIN_PASSWORD' : 'ADMIN_PASSWORD_FILE'
  const length = [...password].length
  if (length < 12) fail(name, 'a password of at least 12 characters', `${length} characters`)
  if (length > 1024) fail(name, 'a password of at most 1024 characters', `${length} characters`)
  return password
}
