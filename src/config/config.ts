import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { parseArgs } from 'node:util'
import { STRATEGY_KINDS, type StrategyKind } from '../strategies/registry.js'
import { ConfigError } from './config-error.js'
import { formatDuration, parseDuration } from './duration.js'

export { ConfigError }

/** The strategies AUTH_STRATEGIES may name: the registry's kinds (src/strategies/registry.ts). */
export const STRATEGY_NAMES: readonly StrategyKind[] = STRATEGY_KINDS
export type StrategyName = StrategyKind
export const STORE_KINDS = ['memory', 'redis'] as const
export type StoreKind = typeof STORE_KINDS[number]
export const JWT_ALGORITHMS = ['HS256', 'EdDSA', 'ES256'] as const
export type JwtAlgorithm = typeof JWT_ALGORITHMS[number]
export const REVOCATION_MODES = ['none', 'denylist', 'version'] as const
export type RevocationMode = typeof REVOCATION_MODES[number]
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = typeof LOG_LEVELS[number]

/** At most `max` attempts per `windowMs`. */
export interface LoginRateLimit {
  max: number
  windowMs: number
}

export interface SessionConfig {
  /** The signing secret: the first of `secrets`. */
  secret: string
  /** SESSION_SECRET as a list: the first signs, every one verifies (rotation without logging anyone out). */
  secrets: string[]
  idleTtlMs: number
  absoluteTtlMs: number
  rolling: boolean
  /**
   * The Redis session store: the project's own (records only created by a login, every later write a
   * conditional update) or connect-redis, whose unconditional SET lets a request in flight re-create a
   * revoked session. connect-redis is only the benchmark's "plugin defaults" reference.
   */
  redisStore: SessionRedisStore
}

export const SESSION_REDIS_STORES = ['own', 'connect-redis'] as const
export type SessionRedisStore = typeof SESSION_REDIS_STORES[number]

export interface JwtConfig {
  algorithm: JwtAlgorithm
  /** HS256 signing secret: the first of `secrets`. */
  secret: string
  /** JWT_SECRET as a list: the first signs, every one verifies (HS256 rotation). */
  secrets: string[]
  privateKeyFile: string | null
  publicKeyFile: string | null
  /** Public keys of earlier EdDSA/ES256 key pairs, still published in the JWKS and accepted until removed. */
  previousPublicKeyFiles: string[]
  accessTtlMs: number
  issuer: string
  audience: string
  clockToleranceSec: number
  revocation: RevocationMode
  refreshTtlMs: number
  refreshAbsoluteTtlMs: number
  refreshReuseGraceMs: number
  /** fast-jwt's cache of verified tokens; off only to measure what it buys. */
  verifyCache: boolean
}

/** The one validated configuration object every part of the app reads. */
export interface Config {
  strategies: StrategyName[]
  store: StoreKind
  redisUrl: string
  keyPrefix: string
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
  /** ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE): creates the `admin` account at first start; null: no admin. */
  adminPassword: string | null
  session: SessionConfig
  jwt: JwtConfig
  /** Non-fatal notes for the operator (e.g. a generated secret), logged at startup. */
  warnings: string[]
}

type Env = Record<string, string | undefined>

interface OptionSpec {
  env: string
  flag?: string
  default: string
  help: string
}

/** Every setting, in the order `--help` lists them. Defaults are strings so help shows them verbatim. */
export const OPTIONS = [
  { env: 'AUTH_STRATEGIES', flag: 'strategies', default: STRATEGY_NAMES.join(','), help: `comma list of strategies to mount (${STRATEGY_NAMES.join(', ')})` },
  { env: 'STORE', flag: 'store', default: 'memory', help: 'memory (embedded, lost on restart) or redis' },
  { env: 'REDIS_URL', flag: 'redis-url', default: 'redis://127.0.0.1:6379', help: 'Redis connection URL, used when STORE=redis' },
  { env: 'KEY_PREFIX', default: 'svj:', help: 'prefix of every store key (lets several apps or test runs share one Redis)' },
  { env: 'HOST', flag: 'host', default: '127.0.0.1', help: 'address to listen on' },
  { env: 'PORT', flag: 'port', default: '3000', help: 'port to listen on (0 picks a free one)' },
  { env: 'LOG_LEVEL', flag: 'log-level', default: 'info', help: `pino level (${LOG_LEVELS.join(', ')})` },
  { env: 'TRUST_PROXY', default: 'false', help: 'X-Forwarded-For/-Proto hops to believe: false, a hop count (1 = one proxy of yours in front), or a comma list of proxy addresses/CIDRs' },
  { env: 'LOGIN_RATE_LIMIT', default: '10/15m', help: 'login attempts allowed per username per window (n/duration; a successful login starts the count afresh), or off (also turns off the per-address limit)' },
  { env: 'LOGIN_RATE_LIMIT_PER_ADDRESS', default: '100/15m', help: 'login attempts allowed per client address per window, or off' },
  { env: 'SESSION_SECRET', default: '(random per start)', help: 'cookie signing secret(s), each at least 32 bytes: new,old,... (the first signs, all verify); random per start with a warning when unset' },
  { env: 'SESSION_IDLE_TTL', default: '30m', help: 'sliding idle timeout, enforced by the server' },
  { env: 'SESSION_ABSOLUTE_TTL', default: '12h', help: 'hard cap from login, whatever the activity' },
  { env: 'SESSION_ROLLING', default: 'false', help: 're-send the cookie and write the store on every response' },
  { env: 'SESSION_REDIS_STORE', default: 'own', help: 'own, or connect-redis for the benchmark\'s plugin-defaults reference only (its unconditional write lets an in-flight request revive a revoked session)' },
  { env: 'MAX_SESSIONS_PER_USER', default: '0', help: 'logins per user (sessions and refresh families each); 0 = no limit, else the oldest ends' },
  { env: 'COOKIE_SECURE', default: 'auto', help: 'Secure cookies with __Host-/__Secure- names: auto (plain only for plain http on a loopback HOST), true or false' },
  { env: 'ALLOWED_ORIGINS', default: '', help: 'comma list of extra origins allowed to send state-changing cookie requests' },
  { env: 'BENCH_USERS', flag: 'bench-users', default: '0', help: 'also create users bench0..bench{N-1} with password bench-password' },
  { env: 'PASSWORD_HASH_COST', default: '15', help: 'scrypt cost as log2(N), 14..20 (benchmarks may lower login cost, never below 14)' },
  { env: 'DEMO_MODE', default: 'auto', help: 'demo users, the demo page and its attacker tools: auto (on only when HOST is loopback), true or false' },
  { env: 'DEMO_ALLOW_REMOTE', default: 'false', help: 'allow DEMO_MODE=true on a non-loopback HOST (a class on one network; published passwords!)' },
  { env: 'ADMIN_PASSWORD', default: '(none)', help: 'password of the admin account created at first start, at least 12 characters; without it (or ADMIN_PASSWORD_FILE) there is no admin outside demo mode' },
  { env: 'ADMIN_PASSWORD_FILE', default: '(none)', help: 'file holding ADMIN_PASSWORD (Docker/Kubernetes secrets)' },
  { env: 'JWT_ALG', default: 'HS256', help: `access token algorithm (${JWT_ALGORITHMS.join(', ')})` },
  { env: 'JWT_SECRET', default: '(random per start)', help: 'HS256 secret(s), each at least 32 bytes: new,old,... (the first signs, all verify); random per start with a warning when unset' },
  { env: 'JWT_PRIVATE_KEY_FILE', default: '(generated)', help: 'PEM private key for EdDSA/ES256; generated at start when absent' },
  { env: 'JWT_PUBLIC_KEY_FILE', default: '(derived)', help: 'PEM public key for EdDSA/ES256' },
  { env: 'JWT_PREVIOUS_PUBLIC_KEY_FILE', default: '', help: 'comma list of PEM public keys of earlier EdDSA/ES256 key pairs: published in the JWKS and accepted until removed' },
  { env: 'JWT_ACCESS_TTL', default: '15m', help: 'access token lifetime' },
  { env: 'JWT_ISSUER', default: 'session-vs-jwt', help: 'iss claim issued and required' },
  { env: 'JWT_AUDIENCE', default: 'session-vs-jwt-api', help: 'aud claim issued and required' },
  { env: 'JWT_CLOCK_TOLERANCE', default: '5s', help: 'allowed clock skew when checking exp/nbf/iat, at most 60s' },
  { env: 'JWT_REVOCATION', default: 'none', help: `access token revocation mode (${REVOCATION_MODES.join(', ')})` },
  { env: 'REFRESH_TTL', default: '14d', help: 'refresh token idle lifetime' },
  { env: 'REFRESH_ABSOLUTE_TTL', default: '30d', help: 'refresh family absolute lifetime' },
  { env: 'REFRESH_REUSE_GRACE', default: '0s', help: 'window in which a just-rotated refresh token may be retried' },
  { env: 'JWT_VERIFY_CACHE', default: 'true', help: 'cache verified access tokens until exp (false only to measure what it buys)' }
] as const satisfies readonly OptionSpec[]

type OptionEnv = typeof OPTIONS[number]['env']

export function helpText (): string {
  const rows = OPTIONS.map((o: OptionSpec) => {
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
  for (const o of OPTIONS as readonly OptionSpec[]) if (o.flag !== undefined) options[o.flag] = { type: 'string' }
  let parsed
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false })
  } catch (err) {
    throw new ConfigError(`${(err as Error).message} (see --help)`)
  }
  const overrides: Env = {}
  for (const o of OPTIONS as readonly OptionSpec[]) {
    const value = o.flag === undefined ? undefined : parsed.values[o.flag]
    if (typeof value === 'string') overrides[o.env] = value
  }
  return { help: parsed.values.help === true, overrides }
}

/** Reads and validates the whole configuration; throws ConfigError naming the first bad variable. */
export function loadConfig (env: Env = process.env, overrides: Env = {}): Config {
  const warnings: string[] = []
  const raw = (name: OptionEnv): string | undefined => {
    const value = overrides[name] ?? env[name]
    return value === undefined || value.trim() === '' ? undefined : value.trim()
  }
  const fail = (name: string, allowed: string, got: string): never => {
    throw new ConfigError(`${name}: expected ${allowed}; got '${got}'`)
  }
  const oneOf = <T extends string>(name: OptionEnv, allowed: readonly T[], def: T): T => {
    const value = raw(name) ?? def
    return (allowed as readonly string[]).includes(value) ? value as T : fail(name, `one of ${allowed.join(', ')}`, value)
  }
  const integer = (name: OptionEnv, def: number, min: number, max: number): number => {
    const value = raw(name)
    if (value === undefined) return def
    const n = /^\d+$/.test(value) ? Number(value) : NaN
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : fail(name, `an integer from ${min} to ${max}`, value)
  }
  const duration = (name: OptionEnv, def: string, minMs: number, maxMs = Number.MAX_SAFE_INTEGER): number => {
    const value = raw(name) ?? def
    const ms = parseDuration(value)
    const range = maxMs === Number.MAX_SAFE_INTEGER ? `at least ${formatDuration(minMs)}` : `from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`
    return ms !== null && ms >= minMs && ms <= maxMs ? ms : fail(name, `a duration like 900s, 15m, 12h, 14d or plain seconds, ${range}`, value)
  }
  const boolean = (name: OptionEnv, def: boolean): boolean => {
    const value = raw(name)
    if (value === undefined) return def
    if (['true', '1', 'yes', 'on'].includes(value.toLowerCase())) return true
    if (['false', '0', 'no', 'off'].includes(value.toLowerCase())) return false
    return fail(name, 'true or false', value)
  }
  /** A comma list of secrets (the first signs, all verify), each at least 32 bytes; random when unset. */
  const autoOrBoolean = (name: OptionEnv, value: string): boolean => {
    if (['true', '1', 'yes', 'on'].includes(value.toLowerCase())) return true
    if (['false', '0', 'no', 'off'].includes(value.toLowerCase())) return false
    return fail(name, 'auto, true or false', value)
  }
  const secrets = (name: OptionEnv): string[] => {
    const value = overrides[name] ?? env[name]
    if (value === undefined || value === '') {
      warnings.push(`${name} is not set: using a random secret, so credentials end when the process restarts and several instances cannot share them`)
      return [randomBytes(32).toString('base64url')]
    }
    const list = value.split(',')
    list.forEach((s, i) => {
      if (Buffer.byteLength(s) < 32) fail(name, 'a secret of at least 32 bytes (or new,old,... each at least 32 bytes)', `${list.length > 1 ? `secret ${i + 1} of ${list.length}: ` : ''}${Buffer.byteLength(s)} bytes`)
    })
    if (new Set(list).size !== list.length) fail(name, 'distinct secrets', 'the same secret twice')
    return list
  }

  const rateLimit = (name: OptionEnv, def: string): LoginRateLimit | null => {
    const value = raw(name) ?? def
    if (value.toLowerCase() === 'off') return null
    const slash = value.indexOf('/')
    const max = slash > 0 && /^\d+$/.test(value.slice(0, slash)) ? Number(value.slice(0, slash)) : NaN
    const windowMs = slash > 0 ? parseDuration(value.slice(slash + 1)) : null
    return max >= 1 && max <= 1_000_000 && windowMs !== null && windowMs >= 1000 ? { max, windowMs } : fail(name, 'attempts/duration like 10/15m, or off', value)
  }

  const loginRateLimit = rateLimit('LOGIN_RATE_LIMIT', '10/15m')

  const trustProxy = (): false | number | string[] => {
    const value = raw('TRUST_PROXY') ?? 'false'
    const lower = value.toLowerCase()
    if (['false', '0', 'no', 'off'].includes(lower)) return false
    if (['true', 'yes', 'on'].includes(lower)) {
      throw new ConfigError("TRUST_PROXY: 'true' would believe every X-Forwarded-For hop, so any client could pick its own address; write the number of proxies of yours in front (e.g. TRUST_PROXY=1) or their addresses (e.g. TRUST_PROXY=10.0.0.0/8)")
    }
    if (/^\d+$/.test(value)) {
      const hops = Number(value)
      return hops >= 1 && hops <= 32 ? hops : fail('TRUST_PROXY', 'false, a hop count from 1 to 32, or a comma list of proxy addresses/CIDRs', value)
    }
    const list = value.split(',').map(s => s.trim()).filter(s => s !== '')
    for (const entry of list) {
      if (!isProxyAddress(entry)) fail('TRUST_PROXY', 'false, a hop count, or a comma list of proxy addresses/CIDRs (or loopback, linklocal, uniquelocal)', entry)
    }
    return list
  }

  const adminPassword = (): string | null => {
    const direct = raw('ADMIN_PASSWORD')
    const file = raw('ADMIN_PASSWORD_FILE')
    if (direct !== undefined && file !== undefined) fail('ADMIN_PASSWORD_FILE', 'either ADMIN_PASSWORD or ADMIN_PASSWORD_FILE, not both', file)
    let password = direct
    if (file !== undefined) {
      try {
        // A trailing newline is how most editors and `echo` end the file; it is not part of the password.
        password = readFileSync(file, 'utf8').replace(/\r?\n$/, '')
      } catch (err) {
        fail('ADMIN_PASSWORD_FILE', 'a readable file', `${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
      }
    }
    if (password === undefined) return null
    const name = file === undefined ? 'ADMIN_PASSWORD' : 'ADMIN_PASSWORD_FILE'
    if ([...password].length < 12) fail(name, 'a password of at least 12 characters', `${[...password].length} characters`)
    if ([...password].length > 1024) fail(name, 'a password of at most 1024 characters', `${[...password].length} characters`)
    return password
  }

  const strategiesRaw = raw('AUTH_STRATEGIES') ?? STRATEGY_NAMES.join(',')
  const strategies = [...new Set(strategiesRaw.split(',').map(s => s.trim()).filter(s => s !== ''))]
  if (strategies.length === 0) fail('AUTH_STRATEGIES', `a comma list of ${STRATEGY_NAMES.join(', ')}`, strategiesRaw)
  for (const s of strategies) {
    if (!(STRATEGY_NAMES as readonly string[]).includes(s)) fail('AUTH_STRATEGIES', `a comma list of ${STRATEGY_NAMES.join(', ')}`, s)
  }

  const store = oneOf('STORE', STORE_KINDS, 'memory')
  const redisUrl = raw('REDIS_URL') ?? 'redis://127.0.0.1:6379'
  if (!/^rediss?:\/\/[^\s]+$/.test(redisUrl)) fail('REDIS_URL', 'a redis:// or rediss:// URL', redisUrl)
  const keyPrefix = raw('KEY_PREFIX') ?? 'svj:'
  if (!/^[\w:.-]{1,64}$/.test(keyPrefix)) fail('KEY_PREFIX', 'letters, digits and _ : . - (at most 64)', keyPrefix)
  const host = raw('HOST') ?? '127.0.0.1'
  if (!/^[\w.:-]+$/.test(host)) fail('HOST', 'a host name or IP address', host)
  const loopback = isLoopbackHost(host)

  const demoSetting = raw('DEMO_MODE') ?? 'auto'
  const demoMode = demoSetting.toLowerCase() === 'auto' ? loopback : autoOrBoolean('DEMO_MODE', demoSetting)
  const demoAllowRemote = boolean('DEMO_ALLOW_REMOTE', false)
  if (demoMode && !loopback) {
    if (!demoAllowRemote) {
      throw new ConfigError(`DEMO_MODE: demo mode publishes its users' passwords, so it only runs on a loopback HOST; got HOST=${host}. For a class on one network also set DEMO_ALLOW_REMOTE=true`)
    }
    warnings.push(`DEMO_MODE=true on HOST=${host} (DEMO_ALLOW_REMOTE=true): anyone who can reach this server can log in as admin/admin-password and use the attacker tools`)
  }

  const cookieSetting = raw('COOKIE_SECURE') ?? 'auto'
  // auto: plain cookies only make sense for plain http on this machine; any other host gets Secure ones.
  const cookieSecure: boolean | 'auto' = cookieSetting.toLowerCase() === 'auto'
    ? (loopback ? 'auto' : true)
    : autoOrBoolean('COOKIE_SECURE', cookieSetting)

  const allowedOrigins = (raw('ALLOWED_ORIGINS') ?? '').split(',').map(s => s.trim()).filter(s => s !== '')
  for (const origin of allowedOrigins) {
    let ok = false
    try { ok = new URL(origin).origin === origin } catch { ok = false }
    if (!ok) fail('ALLOWED_ORIGINS', 'a comma list of origins like https://app.example.com', origin)
  }

  const idleTtlMs = duration('SESSION_IDLE_TTL', '30m', 1000)
  const absoluteTtlMs = duration('SESSION_ABSOLUTE_TTL', '12h', 1000)
  const jwtAlgorithm = oneOf('JWT_ALG', JWT_ALGORITHMS, 'HS256')
  const refreshTtlMs = duration('REFRESH_TTL', '14d', 1000)
  const refreshAbsoluteTtlMs = duration('REFRESH_ABSOLUTE_TTL', '30d', 1000)
  const issuer = raw('JWT_ISSUER') ?? 'session-vs-jwt'
  const audience = raw('JWT_AUDIENCE') ?? 'session-vs-jwt-api'
  const sessionSecrets = strategies.includes('session') ? secrets('SESSION_SECRET') : []
  const jwtSecrets = jwtAlgorithm === 'HS256' && strategies.includes('jwt') ? secrets('JWT_SECRET') : []

  const config: Config = {
    strategies: strategies as StrategyName[],
    store,
    redisUrl,
    keyPrefix,
    host,
    port: integer('PORT', 3000, 0, 65535),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    trustProxy: trustProxy(),
    loginRateLimit,
    // LOGIN_RATE_LIMIT=off turns off both limits (mass logins in benchmarks and the soak).
    loginRateLimitPerAddress: loginRateLimit === null ? null : rateLimit('LOGIN_RATE_LIMIT_PER_ADDRESS', '100/15m'),
    cookieSecure,
    allowedOrigins,
    maxSessionsPerUser: integer('MAX_SESSIONS_PER_USER', 0, 0, 10000),
    benchUsers: integer('BENCH_USERS', 0, 0, 1_000_000),
    passwordHashCost: integer('PASSWORD_HASH_COST', 15, 14, 20),
    demoMode,
    adminPassword: adminPassword(),
    session: {
      secret: sessionSecrets[0] ?? '',
      secrets: sessionSecrets,
      idleTtlMs,
      absoluteTtlMs,
      rolling: boolean('SESSION_ROLLING', false),
      redisStore: oneOf('SESSION_REDIS_STORE', SESSION_REDIS_STORES, 'own')
    },
    jwt: {
      algorithm: jwtAlgorithm,
      secret: jwtSecrets[0] ?? '',
      secrets: jwtSecrets,
      privateKeyFile: raw('JWT_PRIVATE_KEY_FILE') ?? null,
      publicKeyFile: raw('JWT_PUBLIC_KEY_FILE') ?? null,
      previousPublicKeyFiles: (raw('JWT_PREVIOUS_PUBLIC_KEY_FILE') ?? '').split(',').map(s => s.trim()).filter(s => s !== ''),
      accessTtlMs: duration('JWT_ACCESS_TTL', '15m', 1000, 24 * 3600 * 1000),
      issuer,
      audience,
      clockToleranceSec: duration('JWT_CLOCK_TOLERANCE', '5s', 0, 60_000) / 1000,
      revocation: oneOf('JWT_REVOCATION', REVOCATION_MODES, 'none'),
      refreshTtlMs,
      refreshAbsoluteTtlMs,
      refreshReuseGraceMs: duration('REFRESH_REUSE_GRACE', '0s', 0, 60_000),
      verifyCache: boolean('JWT_VERIFY_CACHE', true)
    },
    warnings
  }
  return config
}

/** Whether HOST only accepts connections from this machine. */
export function isLoopbackHost (host: string): boolean {
  const h = host.toLowerCase()
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h)
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
