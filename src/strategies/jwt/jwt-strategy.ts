import fp from 'fastify-plugin'
import fastifyJwt from '@fastify/jwt'
import type { FastifyRequest } from 'fastify'
import { unauthorized } from '../../errors.js'
import type { Strategy, StrategyDeps } from '../strategy.js'
import { bearerToken, bindPreviousKeys, CHALLENGE_MISSING, jwtPluginOptions, PreviousKeys, verifyAccessToken } from './access-tokens.js'
import { jwtDemo } from './jwt-demo.js'
import { loadJwtKeys } from './jwt-keys.js'
import { jwtRoutes } from './jwt-routes.js'
import { RefreshTokens } from './refresh-tokens.js'
import { createRevocation } from './revocation.js'

const BEARER = /^bearer( |$)/i

/**
 * Short-lived signed access tokens (@fastify/jwt, RFC 9068 shape) plus opaque rotating refresh tokens
 * kept in the store. A protected request costs signature and claim checks (cached per token) and, by
 * JWT_REVOCATION, 0 (`none`) or 1 (`denylist`, `version`) store round trips. Keys, signer and verifier
 * are built once at startup.
 */
export function createJwtStrategy (deps: StrategyDeps): Strategy {
  const { store, users, mount: { name } } = deps
  // A further mount (e.g. /jwt-denylist beside /jwt) signs for an audience of its own, so its tokens
  // are never accepted by another mount whose revocation mode would treat them differently.
  const config = name === 'jwt' ? deps.config : { ...deps.config, jwt: { ...deps.config.jwt, audience: `${deps.config.jwt.audience}/${name}` } }
  const keys = loadJwtKeys(config.jwt, config.warnings)
  const pluginOptions = jwtPluginOptions(config.jwt, keys)
  const previousKeys = new PreviousKeys(config.jwt, keys)
  const revocation = createRevocation(config, store, users)
  const refreshTokens = new RefreshTokens(store, users, config.jwt, revocation.familyEnded)
  // `__Secure-` makes browsers refuse the cookie without Secure; `__Host-` is impossible with Path=/jwt.
  const cookie = { plain: 'rt', secure: '__Secure-rt' }
  const cookieName = config.cookieSecure === true ? cookie.secure : cookie.plain
  // Path=/jwt: the refresh token never travels with session requests or other mounts'; it does ride along
  // with this mount's /jwt/api requests (a path covers its subpaths), where nothing reads it (README).
  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, path: `/${name}`, secure: config.cookieSecure === true }

  // Registered in every scope that authenticates with JWTs (/jwt and /admin): `request.server.jwt` is
  // then the scope's signer and cached verifier, built once when the scope starts.
  const credentials = fp(async function jwtCredentials (scope) {
    await scope.register(fastifyJwt, pluginOptions)
    // Tokens signed before a key rotation keep verifying with their key until it is removed.
    bindPreviousKeys(scope.jwt, previousKeys)
  }, { name: 'jwt-credentials', dependencies: ['@fastify/cookie'] })

  /** Synchronous unless the revocation mode reads the store: `none` makes no promise per request. */
  function authenticate (request: FastifyRequest): void | Promise<void> {
    const token = bearerToken(request.headers.authorization)
    if (token === null) throw unauthorized('missing_credentials', 'log in first: send Authorization: Bearer <access token>', CHALLENGE_MISSING)
    const claims = verifyAccessToken(request.server.jwt, token)
    const principal = { userId: claims.sub, username: claims.preferred_username, role: claims.role, strategy: name, loginId: claims.sid }
    if (revocation.storeOpsPerRequest === 0) {
      request.principal = principal
      return
    }
    // Counted just before the check starts its lookup, so the answer (0 when AUTH_CACHE holds it all) holds for that lookup.
    request.authStoreOps += revocation.roundTrips(claims)
    return revocation.check(claims).then(() => { request.principal = principal })
  }

  return {
    name,
    kind: 'jwt',
    credentials,
    challenge: CHALLENGE_MISSING,
    cookies: [cookie],
    demo: jwtDemo({ name, config, store, users, cookie }),
    routes: jwtRoutes({ config, keys, refreshTokens, revocation, authenticate, cookieName, cookieOptions }),
    presentedBy: request => BEARER.test(request.headers.authorization ?? ''),
    authenticate,
    async onUserChange (user, change) {
      if (change === 'enable') return 0
      // A role change keeps every login: the next refresh carries the new role (and, in version mode,
      // the bumped version has already made older access tokens fail).
      // A rename likewise: the token's preferred_username stays the old one until the next refresh, in
      // every mode (it bumps no version: the point of the demo's rename story).
      if (change === 'role' || change === 'rename') return (await refreshTokens.list(user.id)).length
      await revocation.userChanged(user, change)
      return await refreshTokens.endAll(user.id)
    }
  }
}
