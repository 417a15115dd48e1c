import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { ConfigError } from './config-error.js'
import { formatDuration, parseDuration } from './duration.js'

export { ConfigError }

export const STRATEGY_NAMES = ['session', 'jwt'] as const
export type StrategyName = typeof STRATEGY_NAMES[number]
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
  secret: string
  idleTtlMs: number
  absoluteTtlMs: number
  rolling: boolean
}

export interface JwtConfig {
  algorithm: JwtAlgorithm
  secret: string
  privateKeyFile: string | null
  publicKeyFile: string | null
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
  /** Believe X-Forwarded-For/-Proto (only behind a proxy you run). */
  trustProxy: boolean
  /** Failed logins per username per window; null when off. */
  loginRateLimit: LoginRateLimit | null
  /** Login attempts per client address per window; null when off. */
  loginRateLimitPerAddress: LoginRateLimit | null
  cookieSecure: boolean
  allowedOrigins: string[]
  maxSessionsPerUser: number
  benchUsers: number
  passwordHashCost: number
  demoMode: boolean
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
  { env: 'TRUST_PROXY', default: 'false', help: 'believe X-Forwarded-For/-Proto headers (only behind your own reverse proxy)' },
  { env: 'LOGIN_RATE_LIMIT', default: '10/15m', help: 'failed logins allowed per username per window (n/duration), or off (also turns off the per-address limit)' },
  { env: 'LOGIN_RATE_LIMIT_PER_ADDRESS', default: '100/15m', help: 'login attempts allowed per client address per window, or off' },
  { env: 'SESSION_SECRET', default: '(random per start)', help: 'cookie signing secret, at least 32 bytes; random per start with a warning when unset' },
  { env: 'SESSION_IDLE_TTL', default: '30m', help: 'sliding idle timeout, enforced by the server' },
  { env: 'SESSION_ABSOLUTE_TTL', default: '12h', help: 'hard cap from login, whatever the activity' },
  { env: 'SESSION_ROLLING', default: 'false', help: 're-send the cookie and write the store on every response' },
  { env: 'MAX_SESSIONS_PER_USER', default: '0', help: 'logins per user (sessions and refresh families each); 0 = no limit, else the oldest ends' },
  { env: 'COOKIE_SECURE', default: 'true', help: 'Secure cookie attribute; false only for plain-http local use' },
  { env: 'ALLOWED_ORIGINS', default: '', help: 'comma list of extra origins allowed to send state-changing cookie requests' },
  { env: 'BENCH_USERS', flag: 'bench-users', default: '0', help: 'also create users bench0..bench{N-1} with password bench-password' },
  { env: 'PASSWORD_HASH_COST', default: '15', help: 'scrypt cost as log2(N), 14..20 (benchmarks may lower login cost, never below 14)' },
  { env: 'DEMO_MODE', default: 'true', help: 'serve the demo page and the read-only store inspection routes' },
  { env: 'JWT_ALG', default: 'HS256', help: `access token algorithm (${JWT_ALGORITHMS.join(', ')})` },
  { env: 'JWT_SECRET', default: '(random per start)', help: 'HS256 secret, at least 32 bytes; random per start with a warning when unset' },
  { env: 'JWT_PRIVATE_KEY_FILE', default: '(generated)', help: 'PEM private key for EdDSA/ES256; generated at start when absent' },
  { env: 'JWT_PUBLIC_KEY_FILE', default: '(derived)', help: 'PEM public key for EdDSA/ES256' },
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
  const secret = (name: OptionEnv): string => {
    const value = overrides[name] ?? env[name]
    if (value === undefined || value === '') {
      warnings.push(`${name} is not set: using a random secret, so credentials end when the process restarts and several instances cannot share them`)
      return randomBytes(32).toString('base64url')
    }
    return Buffer.byteLength(value) >= 32 ? value : fail(name, 'a secret of at least 32 bytes', `${Buffer.byteLength(value)} bytes`)
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

  const config: Config = {
    strategies: strategies as StrategyName[],
    store,
    redisUrl,
    keyPrefix,
    host,
    port: integer('PORT', 3000, 0, 65535),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    trustProxy: boolean('TRUST_PROXY', false),
    loginRateLimit,
    // LOGIN_RATE_LIMIT=off turns off both limits (mass logins in benchmarks and the soak).
    loginRateLimitPerAddress: loginRateLimit === null ? null : rateLimit('LOGIN_RATE_LIMIT_PER_ADDRESS', '100/15m'),
    cookieSecure: boolean('COOKIE_SECURE', true),
    allowedOrigins,
    maxSessionsPerUser: integer('MAX_SESSIONS_PER_USER', 0, 0, 10000),
    benchUsers: integer('BENCH_USERS', 0, 0, 1_000_000),
    passwordHashCost: integer('PASSWORD_HASH_COST', 15, 14, 20),
    demoMode: boolean('DEMO_MODE', true),
    session: {
      secret: strategies.includes('session') ? secret('SESSION_SECRET') : '',
      idleTtlMs,
      absoluteTtlMs,
      rolling: boolean('SESSION_ROLLING', false)
    },
    jwt: {
      algorithm: jwtAlgorithm,
      secret: jwtAlgorithm === 'HS256' && strategies.includes('jwt') ? secret('JWT_SECRET') : '',
      privateKeyFile: raw('JWT_PRIVATE_KEY_FILE') ?? null,
      publicKeyFile: raw('JWT_PUBLIC_KEY_FILE') ?? null,
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
