/**
 * The cost breakdown: bench-only variants (each a scenario served by ./server.ts) and the chains that
 * order them with existing scenarios and the bare-Fastify peer, from the floor to the real path. A step's
 * figure is its scenario's server CPU per request minus the previous step's, round by round.
 */
import type { Scenario } from '../scenarios.js'

export const BREAKDOWN_VARIANTS = ['session-hmac', 'session-memo', 'session-get', 'jwt-verify'] as const
export type BreakdownVariant = typeof BREAKDOWN_VARIANTS[number]
/** Where ./server.ts serves the protected routes behind the variant's one step. */
export const BREAKDOWN_PREFIX = '/breakdown/api'

const PATH = `${BREAKDOWN_PREFIX}/me`

function variant (name: string, v: BreakdownVariant, kind: 'session' | 'jwt', store: 'memory' | 'redis', description: string, env: Record<string, string> = {}): Scenario {
  return {
    name,
    kind,
    store,
    description,
    env: { AUTH_STRATEGIES: kind, STORE: store, ...env },
    path: PATH,
    growth: false,
    refresh: false,
    pluginDefaults: false,
    targetRatio: null,
    variant: v
  }
}

/** Selectable like any scenario (`--scenarios breakdown-session-hmac,...`), run by default after SCENARIOS. */
export const BREAKDOWN_SCENARIOS: readonly Scenario[] = [
  variant('breakdown-session-hmac', 'session-hmac', 'session', 'memory',
    'bench-only: the project\'s app + GET /breakdown/api/me behind request.unsignCookie(sid) alone (@fastify/cookie, one HMAC-SHA256 per request); no store, no @fastify/session'),
  variant('breakdown-session-memo', 'session-memo', 'session', 'memory',
    'bench-only: the same cookie check through the project\'s CachedSigner (a Map hit for a cookie verified before), as @fastify/session uses it in the project'),
  variant('breakdown-session-memory-get', 'session-get', 'session', 'memory',
    'bench-only: CachedSigner check, then get sess:<id> from the embedded memory store and JSON.parse; principal from the record; no @fastify/session, no expiry checks, no write-back'),
  variant('breakdown-session-redis-get', 'session-get', 'session', 'redis',
    'bench-only: CachedSigner check, then one Redis GET of sess:<id> (the project\'s ioredis store) and JSON.parse; principal from the record; no @fastify/session'),
  variant('breakdown-jwt-verify-nocache', 'jwt-verify', 'jwt', 'memory',
    'bench-only: the project\'s @fastify/jwt registration and verifyAccessToken alone (HS256 signature, typ, iss, aud, exp, claim types), JWT_VERIFY_CACHE=false: every request computes the HMAC',
    { JWT_VERIFY_CACHE: 'false' }),
  variant('breakdown-jwt-verify', 'jwt-verify', 'jwt', 'memory',
    'bench-only: the same verification with the project\'s verifier cache on (fast-jwt\'s cache keyed by the whole token)',
    { JWT_VERIFY_CACHE: 'true' })
]

/**
 * What a step is: `framework` and `app` are paid by every request, `inherent` is what the credential
 * itself needs (a signature check, a store lookup), `cache` is a memo that saves inherent work
 * (negative), `library` is what the plugin adds on top, `project` is the project's own per-request hooks.
 */
export type StepTag = 'framework' | 'app' | 'inherent' | 'cache' | 'library' | 'project'

export interface BreakdownStep {
  /** The scenario (or peer) measured for this step. */
  scenario: string
  label: string
  /** What this step adds to the previous one, exactly. */
  adds: string
  tag: StepTag
}

export interface BreakdownChain {
  name: string
  title: string
  steps: BreakdownStep[]
}

const FLOOR: BreakdownStep[] = [
  { scenario: 'peer-fastify-bare', label: 'bare Fastify', adds: 'Fastify() without a logger, a route returning a constant user (the floor)', tag: 'framework' },
  { scenario: 'baseline', label: 'the project\'s app, no auth', adds: 'the project\'s app on GET /baseline/api/me: pino at LOG_LEVEL=warn, security headers, error handler, request decorators, @fastify/cookie parsing, response schema', tag: 'app' }
]

const SESSION_CHECK: BreakdownStep[] = [
  { scenario: 'breakdown-session-hmac', label: 'cookie signature (HMAC-SHA256)', adds: 'request.unsignCookie(sid): one HMAC-SHA256 per request', tag: 'inherent' },
  { scenario: 'breakdown-session-memo', label: 'signature memo (CachedSigner)', adds: 'the same check answered from the project\'s CachedSigner memo instead of an HMAC', tag: 'cache' }
]

const SESSION_PLUGIN = (scenario: string): BreakdownStep => ({
  scenario,
  label: '@fastify/session + the project\'s session hooks',
  adds: 'the real path: @fastify/session\'s onRequest (cookie lookup, a Session and a Cookie object per request, the store get through its callback API) and onSend (change detection: the record stringified and hashed), the project\'s idle/absolute checks, throttled touch, no-store header, requireAuth and x-auth-store-ops',
  tag: 'library'
})

export const BREAKDOWN_CHAINS: readonly BreakdownChain[] = [
  {
    name: 'session-memory',
    title: 'cookie session, memory store',
    steps: [
      ...FLOOR,
      ...SESSION_CHECK,
      { scenario: 'breakdown-session-memory-get', label: 'record lookup (memory store)', adds: 'get sess:<id> from the embedded store and JSON.parse, principal from the record', tag: 'inherent' },
      SESSION_PLUGIN('session-memory')
    ]
  },
  {
    name: 'session-redis',
    title: 'cookie session, Redis store',
    steps: [
      ...FLOOR,
      ...SESSION_CHECK,
      { scenario: 'breakdown-session-redis-get', label: 'record lookup (Redis GET)', adds: 'one Redis GET of sess:<id> through the project\'s ioredis store and JSON.parse, principal from the record', tag: 'inherent' },
      SESSION_PLUGIN('session-redis')
    ]
  },
  {
    name: 'jwt',
    title: 'JWT access token, stateless, then with a revocation lookup',
    steps: [
      ...FLOOR,
      { scenario: 'breakdown-jwt-verify-nocache', label: 'token verification (HMAC-SHA256 + claims)', adds: 'the project\'s @fastify/jwt setup and verifyAccessToken without the verifier cache: decode, HMAC-SHA256, typ/iss/aud/exp checks, claim types', tag: 'inherent' },
      { scenario: 'breakdown-jwt-verify', label: 'verifier cache', adds: 'the same verification answered from fast-jwt\'s cache (keyed by the token) instead', tag: 'cache' },
      { scenario: 'jwt-none', label: 'the project\'s auth hooks', adds: 'the real path with JWT_REVOCATION=none: no-store header, requireAuth, x-auth-store-ops (no store access)', tag: 'project' },
      { scenario: 'jwt-version', label: 'revocation lookup (Redis GET)', adds: 'JWT_REVOCATION=version: one Redis GET of the user record and a version compare', tag: 'inherent' }
    ]
  }
]

/** Every scenario or peer some chain needs. */
export const BREAKDOWN_NEEDS: ReadonlySet<string> = new Set(BREAKDOWN_CHAINS.flatMap(c => c.steps.map(s => s.scenario)))
