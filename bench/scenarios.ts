/** The scenarios the bench knows, each one a separate server process with its own settings. */
import { NON_DEMO_ENV } from '../harness/server.js'
import { BREAKDOWN_SCENARIOS, type BreakdownVariant } from './breakdown/variants.js'
import { postgresEnv } from './postgres.js'

export type ScenarioKind = 'baseline' | 'session' | 'jwt'

export interface Scenario {
  name: string
  kind: ScenarioKind
  store: 'memory' | 'redis' | 'postgres'
  description: string
  /** Server settings of this scenario (on top of the common ones in `serverEnv`). */
  env: Record<string, string>
  /** The measured route. */
  path: string
  /** Measured with 1k/10k/100k logins seeded in Redis. */
  growth: boolean
  /** Also measures POST /jwt/refresh. */
  refresh: boolean
  /** A plugin-defaults variant: what the project's tuning buys, not a configuration we recommend. */
  pluginDefaults: boolean
  /** The project's target for requests/s relative to baseline (bench/README.md), when there is one. */
  targetRatio: number | null
  /**
   * A bench-only server (bench/breakdown/server.ts running this variant) instead of dist/server.js: one
   * step of the cost breakdown. Absent for the project's own scenarios.
   */
  variant?: BreakdownVariant
}

const ME = (strategy: string): string => `/${strategy}/api/me`

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'baseline',
    kind: 'baseline',
    store: 'memory',
    description: 'GET /baseline/api/me: the same handler and response as /{strategy}/api/me, no authentication',
    env: { AUTH_STRATEGIES: 'session', STORE: 'memory' },
    path: '/baseline/api/me',
    growth: false,
    refresh: false,
    pluginDefaults: false,
    targetRatio: null
  },
  {
    name: 'session-memory',
    kind: 'session',
    store: 'memory',
    description: 'signed session cookie, record in the embedded memory store, rolling=false with throttled lastSeenAt writes',
    env: { AUTH_STRATEGIES: 'session', STORE: 'memory' },
    path: ME('session'),
    growth: false,
    refresh: false,
    pluginDefaults: false,
    targetRatio: 0.5
  },
  {
    name: 'session-redis',
    kind: 'session',
    store: 'redis',
    description: 'signed session cookie, record in Redis (the project\'s conditional-write store on ioredis with auto-pipelining), rolling=false',
    env: { AUTH_STRATEGIES: 'session', STORE: 'redis' },
    path: ME('session'),
    growth: true,
    refresh: false,
    pluginDefaults: false,
    targetRatio: 0.4
  },
  {
    name: 'jwt-none',
    kind: 'jwt',
    store: 'redis',
    description: 'HS256 access token, verifier cache on, JWT_REVOCATION=none (0 store ops per request); refresh tokens in Redis',
    env: { AUTH_STRATEGIES: 'jwt', STORE: 'redis', JWT_REVOCATION: 'none' },
    path: ME('jwt'),
    growth: true,
    refresh: true,
    pluginDefaults: false,
    targetRatio: 0.6
  },
  {
    name: 'jwt-denylist',
    kind: 'jwt',
    store: 'redis',
    description: 'HS256 access token, verifier cache on, JWT_REVOCATION=denylist (one MGET per request)',
    env: { AUTH_STRATEGIES: 'jwt', STORE: 'redis', JWT_REVOCATION: 'denylist' },
    path: ME('jwt'),
    growth: true,
    refresh: true,
    pluginDefaults: false,
    targetRatio: 0.4
  },
  {
    name: 'jwt-version',
    kind: 'jwt',
    store: 'redis',
    description: 'HS256 access token, verifier cache on, JWT_REVOCATION=version (one GET of the user per request)',
    env: { AUTH_STRATEGIES: 'jwt', STORE: 'redis', JWT_REVOCATION: 'version' },
    path: ME('jwt'),
    growth: true,
    refresh: true,
    pluginDefaults: false,
    targetRatio: 0.4
  },
  {
    name: 'session-plugin-defaults',
    kind: 'session',
    store: 'redis',
    description: 'session-redis with @fastify/session\'s default rolling: true (cookie re-sent and record written on every response) and connect-redis as its store (an unconditional SET per write)',
    // SESSION_REDIS_STORE=connect-redis exists for this reference only: its unconditional write lets a
    // request in flight revive a revoked session, so the server never uses it otherwise.
    env: { AUTH_STRATEGIES: 'session', STORE: 'redis', SESSION_ROLLING: 'true', SESSION_REDIS_STORE: 'connect-redis' },
    path: ME('session'),
    growth: false,
    refresh: false,
    pluginDefaults: true,
    targetRatio: null
  },
  {
    name: 'jwt-plugin-defaults',
    kind: 'jwt',
    store: 'redis',
    description: 'jwt-none without the verifier cache (@fastify/jwt\'s default: every request re-checks the HMAC), JWT_VERIFY_CACHE=false',
    env: { AUTH_STRATEGIES: 'jwt', STORE: 'redis', JWT_REVOCATION: 'none', JWT_VERIFY_CACHE: 'false' },
    path: ME('jwt'),
    growth: false,
    refresh: false,
    pluginDefaults: true,
    targetRatio: null
  },
  {
    name: 'session-postgres',
    kind: 'session',
    store: 'postgres',
    description: 'signed session cookie, record in PostgreSQL (the project\'s conditional-write store on node-postgres, a typed table per record kind), rolling=false',
    env: { AUTH_STRATEGIES: 'session', ...postgresEnv('session-postgres') },
    path: ME('session'),
    growth: true,
    refresh: false,
    pluginDefaults: false,
    targetRatio: null
  },
  {
    name: 'jwt-version-postgres',
    kind: 'jwt',
    store: 'postgres',
    description: 'HS256 access token, verifier cache on, JWT_REVOCATION=version (one primary-key SELECT of the user per request, PostgreSQL)',
    env: { AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'version', ...postgresEnv('jwt-version-postgres') },
    path: ME('jwt'),
    growth: true,
    refresh: true,
    pluginDefaults: false,
    targetRatio: null
  },
  {
    name: 'jwt-denylist-postgres',
    kind: 'jwt',
    store: 'postgres',
    description: 'HS256 access token, verifier cache on, JWT_REVOCATION=denylist (one SELECT of three primary keys in the denylist table per request, PostgreSQL)',
    env: { AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'denylist', ...postgresEnv('jwt-denylist-postgres') },
    path: ME('jwt'),
    growth: true,
    refresh: true,
    pluginDefaults: false,
    targetRatio: null
  },
  {
    name: 'session-redis-cached',
    kind: 'session',
    store: 'redis',
    description: 'session-redis with AUTH_CACHE=on: the session record from the in-process cache that Redis client tracking invalidates (0 store ops per cached request)',
    env: { AUTH_STRATEGIES: 'session', STORE: 'redis', AUTH_CACHE: 'on' },
    path: ME('session'),
    growth: false,
    refresh: false,
    pluginDefaults: false,
    targetRatio: null
  },
  {
    name: 'jwt-version-cached',
    kind: 'jwt',
    store: 'redis',
    description: 'jwt-version with AUTH_CACHE=on: the user record from the in-process cache (0 store ops per cached request)',
    env: { AUTH_STRATEGIES: 'jwt', STORE: 'redis', JWT_REVOCATION: 'version', AUTH_CACHE: 'on' },
    path: ME('jwt'),
    growth: false,
    refresh: false,
    pluginDefaults: false,
    targetRatio: null
  },
  {
    name: 'jwt-denylist-cached',
    kind: 'jwt',
    store: 'redis',
    description: 'jwt-denylist with AUTH_CACHE=on: the three denylist marks (absent ones included) from the in-process cache (0 store ops per cached request)',
    env: { AUTH_STRATEGIES: 'jwt', STORE: 'redis', JWT_REVOCATION: 'denylist', AUTH_CACHE: 'on' },
    path: ME('jwt'),
    growth: false,
    refresh: false,
    pluginDefaults: false,
    targetRatio: null
  }
]

/** Fixed secrets, so every scenario signs the same way (never use these anywhere else). */
export const BENCH_SESSION_SECRET = 'bench-session-secret-0123456789-abcdefghijklmnop'
export const BENCH_JWT_SECRET = 'bench-jwt-secret-0123456789-abcdefghijklmnopqrstu'

/** The settings every bench server gets, then the scenario's own. */
export function serverEnv (scenario: Pick<Scenario, 'env' | 'store'>, options: { users: number, redisUrl: string | null, keyPrefix: string, extra?: Record<string, string> }): Record<string, string> {
  const env: Record<string, string> = {
    // Demo routes and headers are for teaching; the bench measures the API alone. No login rate limit:
    // every bench login comes from 127.0.0.1, and the per-address limit would stop them at 100.
    ...NON_DEMO_ENV,
    LOG_LEVEL: 'warn',
    // The access tokens logged in at a scenario's start must outlive the whole run (a full run with its
    // peers, breakdown and store-RTT steps takes over 15 min, the default lifetime): the lifetime does
    // not change what a request costs, and the revocation matrix sets its own.
    JWT_ACCESS_TTL: '2h',
    BENCH_USERS: String(options.users),
    SESSION_SECRET: BENCH_SESSION_SECRET,
    JWT_SECRET: BENCH_JWT_SECRET,
    KEY_PREFIX: options.keyPrefix,
    ...scenario.env,
    ...options.extra
  }
  if (scenario.store === 'redis') {
    if (options.redisUrl === null) throw new Error('a redis scenario needs Redis')
    env.REDIS_URL = options.redisUrl
  }
  return env
}

/** The project's scenarios, then the breakdown's bench-only variants (bench/breakdown/variants.ts). */
export function allScenarios (): Scenario[] {
  return [...SCENARIOS, ...BREAKDOWN_SCENARIOS]
}

export function selectScenarios (names: string[] | null, options: { breakdown?: boolean } = {}): Scenario[] {
  const all = allScenarios()
  if (names === null) return options.breakdown === false ? [...SCENARIOS] : all
  const unknown = names.filter(n => !all.some(s => s.name === n))
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')}; known: ${all.map(s => s.name).join(', ')}`)
  return all.filter(s => names.includes(s.name))
}
