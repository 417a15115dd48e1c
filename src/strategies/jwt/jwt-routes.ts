import { randomBytes } from 'node:crypto'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { assertSameSite, sameSiteOrigins } from '../../auth/csrf.js'
import { loginsOverLimit } from '../../auth/login-limit.js'
import type { Config } from '../../config/config.js'
import { AppError, unauthorized } from '../../errors.js'
import { deviceRoutes } from '../../routes/device-routes.js'
import { loginBodySchema, type LoginBody } from '../../routes/schemas.js'
import { accessClaims, bearerToken, verifyAccessToken, type AccessClaims } from './access-tokens.js'
import type { JwtKeys } from './jwt-keys.js'
import type { Device, Issued, RefreshTokens } from './refresh-tokens.js'
import type { AccessRevocation } from './revocation.js'
import type { Strategy } from '../strategy.js'

type Transport = 'cookie' | 'body'

interface JwtRoutesOptions {
  config: Config
  keys: JwtKeys
  refreshTokens: RefreshTokens
  revocation: AccessRevocation
  authenticate: Strategy['authenticate']
  cookieName: string
  cookieOptions: { httpOnly: boolean, sameSite: 'strict', path: string, secure: boolean }
}

const loginSchema = {
  ...loginBodySchema,
  properties: {
    ...loginBodySchema.properties,
    transport: { type: 'string', enum: ['cookie', 'body'] }
  }
} as const

/** Refresh and logout bodies are optional: cookie clients send none. */
const refreshBodySchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  // Long enough that a misplaced access token gets a precise invalid_refresh_token.
  properties: { refresh_token: { type: 'string', minLength: 1, maxLength: 4096 } }
} as const

const tokenResponseSchema = {
  type: 'object',
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string' },
    expires_in: { type: 'integer' },
    refresh_token: { type: 'string' }
  },
  required: ['access_token', 'token_type', 'expires_in']
} as const

interface RefreshBody { refresh_token?: string }

/** The address and user agent a login or refresh came from (the user agent cut to 200 characters). */
const deviceOf = (request: FastifyRequest): Device => ({ userAgent: (request.headers['user-agent'] ?? '').slice(0, 200), ip: request.ip })

/** The demo fat-token route's body: how many group names to add. */
const fatTokenBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['groups'],
  properties: { groups: { type: 'integer', minimum: 0, maximum: 1000 } }
} as const

/** Login, refresh, logout, the device list and the JWKS of the JWT strategy (mounted under /jwt). */
export function jwtRoutes (opts: JwtRoutesOptions): FastifyPluginAsync {
  const { config, keys, refreshTokens, revocation, cookieName, cookieOptions } = opts
  const allowedOrigins = sameSiteOrigins(config)
  const expiresIn = Math.floor(config.jwt.accessTtlMs / 1000)

  /** Cookie transport is what browsers use, so it gets the same cross-site and https rules as sessions. */
  function checkCookieTransport (request: FastifyRequest): void {
    assertSameSite(request, allowedOrigins)
    if (config.cookieSecure === true && request.protocol !== 'https') {
      throw new AppError('insecure_transport', 'COOKIE_SECURE is on, so the refresh cookie needs https; use https, transport "body", or COOKIE_SECURE=false for plain-http local use')
    }
  }

  /** Answers a login or refresh: a new access token, and the refresh token by the transport used. */
  async function sendTokens (request: FastifyRequest, reply: FastifyReply, issued: Issued, transport: Transport): Promise<FastifyReply> {
    const accessToken = request.server.jwt.sign(accessClaims(issued.user, issued.familyId))
    // RFC 6749 §5.1: token responses must not be cached.
    reply.header('cache-control', 'no-store')
    if (transport === 'cookie') {
      reply.setCookie(cookieName, issued.refreshToken, { ...cookieOptions, maxAge: issued.maxAgeSec })
      return await reply.send({ access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn })
    }
    return await reply.send({ access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, refresh_token: issued.refreshToken })
  }

  /** The refresh token of a request: the body's, else the cookie's. */
  function presentedRefreshToken (request: FastifyRequest<{ Body: RefreshBody | null }>): { token: string, transport: Transport } | null {
    const fromBody = request.body?.refresh_token
    if (fromBody !== undefined) return { token: fromBody, transport: 'body' }
    const fromCookie = request.cookies[cookieName]
    if (fromCookie !== undefined && fromCookie !== '') return { token: fromCookie, transport: 'cookie' }
    return null
  }

  return async function routes (app) {
    app.post<{ Body: LoginBody & { transport?: Transport } }>('/login', {
      schema: { body: loginSchema, response: { 200: tokenResponseSchema } }
    }, async (request, reply) => {
      const transport = request.body.transport ?? 'cookie'
      if (transport === 'cookie') checkCookieTransport(request)
      const user = await app.loginGuard.verify(request, request.body.username, request.body.password)
      // 401 login_superseded when a password change, disable or revoke-all overtook this login
      // between the password check and the recording of its family: nothing is issued then.
      const issued = await refreshTokens.start(user, deviceOf(request))
      if (config.maxSessionsPerUser > 0) {
        const excess = loginsOverLimit((await refreshTokens.list(user.id)).map(f => ({ ...f, createdAt: f.family.createdAt })), config.maxSessionsPerUser)
        await Promise.all(excess.map(async f => await refreshTokens.end(user.id, f.familyId)))
      }
      return await sendTokens(request, reply, issued, transport)
    })

    app.post<{ Body: RefreshBody | null }>('/refresh', {
      schema: { body: refreshBodySchema, response: { 200: tokenResponseSchema } }
    }, async (request, reply) => {
      const presented = presentedRefreshToken(request)
      if (presented === null) throw unauthorized('missing_credentials', 'send the refresh token cookie or {"refresh_token": ...}')
      if (presented.transport === 'cookie') checkCookieTransport(request)
      let issued: Issued
      try {
        // Where the refresh comes from: a new address or user agent is flagged on the login, never refused.
        issued = await refreshTokens.rotate(presented.token, deviceOf(request))
      } catch (err) {
        // A refused refresh cookie is dead for good: drop it so the browser stops sending it.
        if (presented.transport === 'cookie' && err instanceof AppError) reply.clearCookie(cookieName, cookieOptions)
        throw err
      }
      return await sendTokens(request, reply, issued, presented.transport)
    })

    app.post<{ Body: RefreshBody | null }>('/logout', {
      schema: { body: refreshBodySchema, response: { 204: { type: 'null' } } }
    }, async (request, reply) => {
      const presented = presentedRefreshToken(request)
      if (presented?.transport === 'cookie') assertSameSite(request, allowedOrigins)
      // Logout always succeeds: whatever is presented and still valid is ended; the rest is ignored.
      let claims: AccessClaims | null = null
      try {
        const token = bearerToken(request.headers.authorization)
        if (token !== null) claims = verifyAccessToken(request.server.jwt, token)
      } catch {
        claims = null
      }
      const family = presented === null ? null : await refreshTokens.familyOf(presented.token)
      const ending = new Map<string, string>()
      if (family !== null) ending.set(family.familyId, family.userId)
      if (claims !== null) ending.set(claims.sid, claims.sub)
      await Promise.all([
        ...[...ending].map(async ([familyId, userId]) => await refreshTokens.end(userId, familyId)),
        claims === null ? null : revocation.tokenLoggedOut(claims)
      ])
      return await reply.clearCookie(cookieName, cookieOptions).code(204).send()
    })

    if (config.demoMode) {
      /**
       * Demo mode only (the runner's fat-token story): the caller's own access token again, with a `groups`
       * claim of `groups` made-up group names, as an identity provider that puts group memberships in
       * tokens would issue it. Same subject, login, role and version; a new jti and exp. Outside demo mode
       * this route does not exist.
       */
      app.post<{ Body: { groups: number } }>('/demo/fat-token', {
        schema: { body: fatTokenBodySchema, response: { 200: tokenResponseSchema } }
      }, async (request, reply) => {
        await opts.authenticate(request, reply)
        const claims = verifyAccessToken(request.server.jwt, bearerToken(request.headers.authorization) ?? '')
        const groups = Array.from({ length: request.body.groups }, (_, i) => `grp-${String(i).padStart(4, '0')}-project-readers`)
        const { sub, preferred_username: username, role, ver, sid } = claims
        const accessToken = request.server.jwt.sign({ sub, preferred_username: username, role, ver, sid, jti: randomBytes(16).toString('base64url'), groups })
        return await reply.header('cache-control', 'no-store').send({ access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn })
      })
    }

    app.get('/.well-known/jwks.json', async (_request, reply) => {
      if (keys.jwks === null) throw new AppError('not_found', 'JWT_ALG=HS256 signs with a shared secret: there is no public key set')
      return await reply.header('cache-control', 'public, max-age=300').send(keys.jwks)
    })

    await app.register(deviceRoutes(opts.authenticate, {
      list: async userId => (await refreshTokens.list(userId)).map(({ familyId, family }) => ({
        id: familyId,
        key: familyId,
        createdAt: family.createdAt,
        lastSeenAt: family.lastUsedAt,
        userAgent: family.userAgent,
        ip: family.ip,
        flags: family.flags ?? []
      })),
      async end (userId, login, current, _request, reply) {
        await refreshTokens.end(userId, login.key)
        if (current) reply.clearCookie(cookieName, cookieOptions)
      }
    }))
  }
}
