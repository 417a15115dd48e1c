/**
 * A bench-only server for the cost breakdown (README.md here): the project's whole app, built by its own
 * `buildApp` from the compiled modules (BENCH_DIST: the bench's snapshot of dist/), plus one scope
 * `/breakdown/api` that serves the project's protected routes behind exactly one step of authentication,
 * chosen by BENCH_BREAKDOWN_VARIANT. The rest of the app (logins, stores, users) is there so that the
 * bench logs its users in through the real routes and the variant checks real credentials.
 *
 * Variants (one onRequest hook in front of GET /breakdown/api/me, a callback hook like the project's
 * requireAuth on its synchronous paths; nothing else differs from /baseline/api/me):
 * - `session-hmac`: request.unsignCookie(sid) (@fastify/cookie's Signer with SESSION_SECRET: one
 *   HMAC-SHA256 per request); the answer is the baseline's anonymous user.
 * - `session-memo`: the same check through the project's CachedSigner, as @fastify/session uses it
 *   (a Map hit for a cookie verified before).
 * - `session-get`: CachedSigner, then the store's get of `sess:{<id>}` (memory or Redis, by STORE) and
 *   JSON.parse; the principal comes from the record. No expiry checks, no write-back, no @fastify/session.
 * - `jwt-verify`: the project's @fastify/jwt registration (its jwtCredentials plugin) and its
 *   verifyAccessToken (signature, algorithm, typ, claims, claim types); JWT_VERIFY_CACHE decides the
 *   verifier cache. No no-store header, no requireAuth, no x-auth-store-ops.
 */
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { BREAKDOWN_PREFIX, BREAKDOWN_VARIANTS, type BreakdownVariant } from './variants.js'

type AppModule = typeof import('../../src/app.js')
type ConfigModule = typeof import('../../src/config/config.js')
type ErrorsModule = typeof import('../../src/errors.js')
type RoutesModule = typeof import('../../src/routes/protected-routes.js')
type SignerModule = typeof import('../../src/strategies/session/cached-signer.js')
type SessionStoresModule = typeof import('../../src/strategies/session/session-stores.js')
type AccessTokensModule = typeof import('../../src/strategies/jwt/access-tokens.js')

const dist = resolve(process.env.BENCH_DIST ?? fileURLToPath(new URL('../../dist/', import.meta.url)))
const load = async <T>(file: string): Promise<T> => await import(pathToFileURL(join(dist, file)).href) as T

async function main (): Promise<void> {
  const variant = process.env.BENCH_BREAKDOWN_VARIANT as BreakdownVariant | undefined
  if (variant === undefined || !BREAKDOWN_VARIANTS.includes(variant)) {
    throw new Error(`BENCH_BREAKDOWN_VARIANT: expected one of ${BREAKDOWN_VARIANTS.join(', ')}; got '${variant ?? ''}'`)
  }
  // fast-jwt's warning about a custom cache key builder: the server silences it for the same reason (src/server.ts).
  process.removeAllListeners('warning')
  process.on('warning', warning => {
    if ((warning as Error & { code?: string }).code === 'FAST_JWT_CACHE_KEY_BUILDER_SECURITY_RISK') return
    console.error(`(node:${process.pid}) ${warning.name}: ${warning.message}`)
  })
  const { loadConfig } = await load<ConfigModule>('config/config.js')
  const { buildApp } = await load<AppModule>('app.js')
  const { unauthorized } = await load<ErrorsModule>('errors.js')
  const { protectedRoutes } = await load<RoutesModule>('routes/protected-routes.js')
  const config = loadConfig(process.env)
  const app = await buildApp(config)
  const strategy = app.svj.strategies[0]
  if (strategy === undefined) throw new Error('no strategy mounted: set AUTH_STRATEGIES')

  const sessionId = (signed: string | undefined, unsign: (raw: string) => { valid: boolean, value: string | null }): string => {
    if (signed === undefined || signed === '') throw unauthorized('missing_credentials', 'no session cookie')
    const { valid, value } = unsign(signed)
    if (!valid || value === null) throw unauthorized('invalid_credentials', 'the session cookie is not one this server signed')
    return value
  }

  // Callback hooks, no promise per request where the step needs no await: as the project's own
  // requireAuth does on its synchronous paths, so the last step of a chain is not charged for it.
  type Done = (err?: Error) => void
  const sync = (step: (request: FastifyRequest) => void) => (request: FastifyRequest, _reply: unknown, done: Done): void => {
    try {
      step(request)
    } catch (err) {
      done(err as Error)
      return
    }
    done()
  }

  await app.register(async function breakdown (scope: FastifyInstance) {
    if (variant === 'session-hmac') {
      scope.addHook('onRequest', sync(request => { sessionId(request.cookies.sid, raw => request.unsignCookie(raw)) }))
    } else if (variant === 'session-memo') {
      const { CachedSigner } = await load<SignerModule>('strategies/session/cached-signer.js')
      const signer = new CachedSigner(config.session.secrets)
      scope.addHook('onRequest', sync(request => { sessionId(request.cookies.sid, raw => signer.unsign(raw)) }))
    } else if (variant === 'session-get') {
      const { CachedSigner } = await load<SignerModule>('strategies/session/cached-signer.js')
      const { sessionKey } = await load<SessionStoresModule>('strategies/session/session-stores.js')
      const signer = new CachedSigner(config.session.secrets)
      const store = app.svj.store
      scope.addHook('onRequest', (request: FastifyRequest, _reply: unknown, done: Done) => {
        let id: string
        try {
          id = sessionId(request.cookies.sid, raw => signer.unsign(raw))
        } catch (err) {
          done(err as Error)
          return
        }
        store.get(sessionKey(id)).then(raw => {
          const auth = raw === null ? undefined : (JSON.parse(raw) as { auth?: { userId: string, username: string, role: 'user' | 'admin', handle: string } }).auth
          if (auth === undefined) throw unauthorized('session_expired', 'no session record')
          return auth
        }).then(auth => {
          request.principal = { userId: auth.userId, username: auth.username, role: auth.role, strategy: 'breakdown', loginId: auth.handle }
          done()
        }, (err: unknown) => { done(err as Error) })
      })
    } else {
      const { bearerToken, verifyAccessToken } = await load<AccessTokensModule>('strategies/jwt/access-tokens.js')
      if (strategy.kind !== 'jwt') throw new Error('jwt-verify needs AUTH_STRATEGIES=jwt')
      await scope.register(strategy.credentials)
      scope.addHook('onRequest', sync(request => {
        const token = bearerToken(request.headers.authorization)
        if (token === null) throw unauthorized('missing_credentials', 'no bearer token')
        const claims = verifyAccessToken(request.server.jwt, token)
        request.principal = { userId: claims.sub, username: claims.preferred_username, role: claims.role, strategy: 'breakdown', loginId: claims.sid }
      }))
    }
    await scope.register(protectedRoutes)
  }, { prefix: BREAKDOWN_PREFIX })

  let closing = false
  const shutdown = (): void => {
    if (closing) process.exit(1)
    closing = true
    app.close().then(() => process.exit(0), () => process.exit(1))
  }
  process.on('SIGTERM', shutdown)
  process.on('SIGINT', shutdown)
  await app.listen({ host: config.host, port: config.port })
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
