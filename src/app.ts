import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import fastifyCookie from '@fastify/cookie'
import type { Config } from './config/config.js'
import { cookiePolicy } from './auth/cookie-policy.js'
import { loginGuard } from './auth/login-guard.js'
import { principalPlugin } from './auth/principal.js'
import { anyStrategy, requireAuth } from './auth/require-auth.js'
import { errorHandler } from './plugins/error-handler.js'
import { lazyChildLogger } from './plugins/request-logger.js'
import { securityHeaders } from './plugins/security-headers.js'
import { adminRoutes } from './routes/admin-routes.js'
import { demoRoutes } from './routes/demo-routes.js'
import { demoLabRoutes } from './routes/demo-lab-routes.js'
import { demoStoryRuns, type StoryRunnerSettings } from './routes/demo-story-runs.js'
import { healthRoutes } from './routes/health-routes.js'
import { protectedRoutes } from './routes/protected-routes.js'
import { openStore, type KvStore } from './stores/index.js'
import { CachedKvStore } from './stores/cached-store.js'
import { defaultMounts, demoMounts, mountStrategies, type Mount, type MountVia, type ViaDeps } from './strategies/registry.js'
import type { Strategy } from './strategies/strategy.js'
import { UserRepository } from './users/user-repository.js'

/** Body size cap for every route: logins, notes and admin changes are all tiny. */
const BODY_LIMIT = 16 * 1024

/** Never log credentials, even if a future log line includes headers or bodies. */
export const LOG_REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.refresh_token',
  '*.access_token',
  'body.password',
  'body.refresh_token'
]

/**
 * TRUST_PROXY as Fastify's option. A hop count becomes proxy-addr's `(address, hop) => hop < n` (the
 * Express semantics: the nearest n hops are ours, the address before them is the client's), because
 * Fastify 5 now reads a bare number as "trust nothing".
 */
export function fastifyTrustProxy (setting: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'number') return (_address, hop) => hop < setting
  return setting
}

/**
 * `Cache-Control: no-store` on every answer under a strategy's prefix (logins, refresh, logout, device
 * lists, the protected API, errors included) and under /admin: they carry credentials or per-user data
 * that no browser or shared cache may keep. A route that may be cached (the JWKS) sets its own.
 */
function noStore (_request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  reply.header('cache-control', 'no-store')
  done()
}

export interface AppContext {
  config: Config
  store: KvStore
  /** AUTH_CACHE=on: the cache users and strategies read through (its stats, its connections); else null. */
  authCache: CachedKvStore | null
  users: UserRepository
  strategies: readonly Strategy[]
}

declare module 'fastify' {
  interface FastifyInstance {
    svj: AppContext
  }
}

export interface BuildOptions {
  /** Fastify logger option; defaults to pino at config.logLevel with credentials redacted. */
  logger?: FastifyServerOptions['logger']
  /** Keeps the default logger configuration but writes to this stream (tests read the logs). */
  logStream?: { write: (line: string) => void }
  /**
   * The strategy instances to mount; defaults to one per AUTH_STRATEGIES entry under its own name (in
   * demo mode also the other JWT revocation modes, side by side: registry.ts demoMounts).
   * A kind may be mounted more than once with other settings (e.g. every JWT revocation mode side by side).
   */
  mounts?: readonly Mount[]
  /** Demo mode: where the page's story runs find the runner, and their time limit (tests point it at a stand-in). */
  storyRunner?: Partial<StoryRunnerSettings>
}

/**
 * Builds the whole app from one config: opens the store, seeds users, mounts each configured strategy
 * under `/{name}` with the shared protected routes under `/{name}/api`, and the admin routes under
 * `/admin` for any mounted strategy. Listening is the caller's job (src/server.ts, tests, benchmarks).
 */
export async function buildApp (config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const store = await openStore(config)
  let authCache: CachedKvStore | null = null
  let demoCache: CachedKvStore | null = null
  let demoPostgres: KvStore | null = null
  try {
    // Users and strategies read through the cache; the rate limiter, health checks and demo inspection
    // keep the store itself.
    if (config.authCache !== null) authCache = await CachedKvStore.open(store, { url: config.redisUrl, prefix: config.keyPrefix, ...config.authCache })
    const authStore = authCache ?? store
    const users = new UserRepository(authStore, config.passwordHashCost, { demoMode: config.demoMode, adminPassword: config.adminPassword })
    await users.init()
    const admin = await users.ensureAdmin()
    await users.seed(config.benchUsers)
    if (admin === 'replaced-demo') config.warnings.push('ADMIN_PASSWORD: the store held the demo admin (published password admin-password); its password is now ADMIN_PASSWORD')
    if (admin === 'none' && !config.demoMode) {
      config.warnings.push('no admin account: set ADMIN_PASSWORD (at least 12 characters) or ADMIN_PASSWORD_FILE and restart to create the user `admin`; it is set at first start only, later changes go through POST /admin/users/admin/password')
    }
    // DEMO_CACHED_MOUNTS: a second cache, read only by the cached demo mounts; the other columns keep
    // reading the store, so the page shows both modes answering the same admin action.
    const via: Partial<Record<MountVia, ViaDeps>> = {}
    if (config.demoCachedMounts !== null) {
      demoCache = await CachedKvStore.open(store, { url: config.redisUrl, prefix: config.keyPrefix, ...config.demoCachedMounts })
      via.cache = { store: demoCache, users: new UserRepository(demoCache, config.passwordHashCost, { demoMode: config.demoMode, adminPassword: config.adminPassword }) }
    }
    // DEMO_POSTGRES_MOUNTS: their records in PostgreSQL, their users the app's (one admin action reaches every column).
    if (config.demoPostgresMounts) {
      demoPostgres = await openStore({ ...config, store: 'postgres' })
      via.postgres = { store: demoPostgres, users }
    }
    const mounts = options.mounts ?? (config.demoMode ? demoMounts(config) : defaultMounts(config))
    const strategies = mountStrategies({ config, store: authStore, users, via }, mounts)
    const mountStores = new Map(mounts.map(m => [m.name ?? m.kind, { store: m.via === 'postgres' ? 'postgres' : config.store, cached: authCache !== null || m.via === 'cache' }]))
    // The admin routes accept the credential of the first mount of each kind (two mounts of one kind
    // present the same kind of credential, and their scopes cannot share one registration).
    const adminStrategies = strategies.filter((s, i) => strategies.findIndex(o => o.kind === s.kind) === i)

    const app = Fastify({
      logger: options.logger ?? { level: config.logLevel, redact: { paths: LOG_REDACT, censor: '[redacted]' }, ...(options.logStream === undefined ? {} : { stream: options.logStream }) },
      // Request loggers are created on first use: most requests never log at the default levels.
      childLoggerFactory: lazyChildLogger,
      trustProxy: fastifyTrustProxy(config.trustProxy),
      // Bodies are validated as sent: no type coercion, unknown properties rejected rather than dropped.
      ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
      bodyLimit: BODY_LIMIT,
      requestTimeout: 30_000,
      return503OnClosing: true
    })
    app.decorate('svj', { config, store, authCache, users, strategies })
    // JSON only: a text/plain body is a 415, and cross-site "simple" form posts cannot reach the API.
    app.removeContentTypeParser('text/plain')
    app.addHook('onClose', async () => {
      await authCache?.close()
      await demoCache?.close()
      await demoPostgres?.close()
      await store.close()
    })
    // Logged from the moment the server listens: loading the app blocks the event loop long enough to
    // count as a pause, and that start-up pause is no news to an operator.
    app.addHook('onListen', function logCacheChanges (done) {
      for (const cache of [authCache, demoCache]) {
        if (cache === null) continue
        cache.onServingChange = (serving, reason) => {
          if (serving) app.log.info({ reason }, 'auth cache: serving from the cache')
          else app.log.warn({ reason }, 'auth cache: every lookup goes to Redis until the invalidation channel is healthy')
        }
      }
      done()
    })

    await app.register(errorHandler, { store })
    await app.register(securityHeaders, { hsts: config.cookieSecure === true })
    await app.register(principalPlugin)
    // The cookie secret is the session secret, so failed session lookups can tell tampered cookies apart.
    await app.register(fastifyCookie, config.session.secrets.length === 0 ? {} : { secret: config.session.secrets })
    // COOKIE_SECURE=auto: prefixed Secure cookies for https requests, plain ones for plain http.
    await app.register(cookiePolicy, { config, cookies: strategies.flatMap(s => s.cookies) })

    await app.register(loginGuard, {
      users,
      store,
      keyPrefix: config.keyPrefix,
      perUser: config.loginRateLimit,
      perAddress: config.loginRateLimitPerAddress
    })
    await app.register(healthRoutes(store))
    // Demo page, inspection and attacker routes; before the strategies so it sees their routes (DEMO_MODE).
    if (config.demoMode) await app.register(demoRoutes, { config, strategies, users, mountStores })
    if (config.demoMode) await app.register(demoLabRoutes, { config })
    if (config.demoMode) await app.register(demoStoryRuns, { config, ...(options.storyRunner === undefined ? {} : { runner: options.storyRunner }) })

    for (const strategy of strategies) {
      await app.register(async function strategyScope (scope) {
        scope.addHook('onRequest', noStore)
        await scope.register(strategy.credentials)
        await scope.register(strategy.routes)
        await scope.register(async function authenticated (api) {
          api.addHook('onRequest', requireAuth(strategy.authenticate))
          await api.register(protectedRoutes)
        }, { prefix: '/api' })
      }, { prefix: `/${strategy.name}` })
    }

    await app.register(async function adminScope (scope) {
      scope.addHook('onRequest', noStore)
      for (const strategy of adminStrategies) await scope.register(strategy.credentials)
      scope.addHook('onRequest', requireAuth(anyStrategy(adminStrategies)))
      await scope.register(adminRoutes({ users, strategies }))
    }, { prefix: '/admin' })

    // The same handlers with no authentication at all: the benchmarks' baseline.
    await app.register(protectedRoutes, { prefix: '/baseline/api' })

    return app
  } catch (err) {
    await authCache?.close()
    await demoCache?.close()
    await demoPostgres?.close()
    await store.close()
    throw err
  }
}
