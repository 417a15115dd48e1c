import { randomBytes } from 'node:crypto'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { assertSameSite } from '../../auth/csrf.js'
import { loginsOverLimit } from '../../auth/login-limit.js'
import { requireAuth } from '../../auth/require-auth.js'
import type { Config } from '../../config/config.js'
import { AppError } from '../../errors.js'
import { deviceListSchema, deviceParamsSchema, loginBodySchema, userResponseSchema, type LoginBody } from '../../routes/schemas.js'
import { publicUser } from '../../users/user.js'
import type { SessionRecords } from './session-records.js'

interface SessionRoutesOptions {
  config: Config
  records: SessionRecords
  authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  cookieName: string
  cookieOptions: { httpOnly: boolean, sameSite: 'lax', path: string, secure: boolean }
}

/** Login, logout and the device list of the session strategy (mounted under /session). */
export function sessionRoutes (opts: SessionRoutesOptions): FastifyPluginAsync {
  const { config, records, cookieName, cookieOptions } = opts
  const allowedOrigins = new Set(config.allowedOrigins)

  return async function routes (app) {
    app.post<{ Body: LoginBody }>('/login', {
      schema: { body: loginBodySchema, response: { 200: userResponseSchema } }
    }, async (request, reply) => {
      assertSameSite(request, allowedOrigins)
      if (config.cookieSecure && request.protocol !== 'https') {
        throw new AppError(400, 'insecure_transport', 'COOKIE_SECURE is on, so the session cookie needs https; use https or set COOKIE_SECURE=false for plain-http local use')
      }
      const user = await app.loginGuard.verify(request, request.body.username, request.body.password)
      const previous = request.session.auth
      const previousId = request.session.sessionId
      const now = Date.now()
      request.session.auth = {
        userId: user.id,
        username: user.username,
        role: user.role,
        handle: randomBytes(12).toString('base64url'),
        createdAt: now,
        lastSeenAt: now,
        userAgent: (request.headers['user-agent'] ?? '').slice(0, 200),
        ip: request.ip
      }
      // A new session id at every login, whatever the client sent before: no session fixation.
      await request.session.regenerate(['auth'])
      if (previous !== undefined) await records.unindex(previous.userId, previousId)
      await records.add(user.id, request.session.sessionId)
      if (config.maxSessionsPerUser > 0) {
        const excess = loginsOverLimit((await records.list(user.id)).map(s => ({ ...s, createdAt: s.auth.createdAt })), config.maxSessionsPerUser)
        await Promise.all(excess.map(async s => { await records.end(user.id, s.sessionId, 'replaced') }))
      }
      return await reply.send({ user: publicUser(user) })
    })

    app.post('/logout', { schema: { response: { 204: { type: 'null' } } } }, async (request, reply) => {
      assertSameSite(request, allowedOrigins)
      const session = request.session
      const auth = session?.auth
      if (auth !== undefined) {
        const sessionId = session.sessionId
        await session.destroy()
        await records.end(auth.userId, sessionId, 'logout')
      }
      return await reply.clearCookie(cookieName, cookieOptions).code(204).send()
    })

    await app.register(async function deviceRoutes (scope) {
      scope.addHook('onRequest', requireAuth(opts.authenticate))

      scope.get('/devices', { schema: { response: { 200: deviceListSchema } } }, async (request) => {
        const principal = request.principal!
        const sessions = await records.list(principal.userId)
        return sessions
          .sort((a, b) => a.auth.createdAt - b.auth.createdAt)
          .map(({ auth }) => ({
            id: auth.handle,
            current: auth.handle === principal.loginId,
            createdAt: new Date(auth.createdAt).toISOString(),
            lastSeenAt: new Date(auth.lastSeenAt).toISOString(),
            userAgent: auth.userAgent,
            ip: auth.ip
          }))
      })

      scope.delete<{ Params: { id: string } }>('/devices/:id', {
        schema: { params: deviceParamsSchema, response: { 204: { type: 'null' } } }
      }, async (request, reply) => {
        const principal = request.principal!
        const target = (await records.list(principal.userId)).find(s => s.auth.handle === request.params.id)
        if (target === undefined) throw new AppError(404, 'device_not_found', 'no active session of yours has that id')
        if (target.auth.handle === principal.loginId) {
          await request.session.destroy()
          reply.clearCookie(cookieName, cookieOptions)
        }
        await records.end(principal.userId, target.sessionId, 'revoked')
        return await reply.code(204).send()
      })
    })
  }
}
