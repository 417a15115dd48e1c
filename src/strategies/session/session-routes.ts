import { randomBytes } from 'node:crypto'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { assertSameSite } from '../../auth/csrf.js'
import { loginsOverLimit } from '../../auth/login-limit.js'
import type { Config } from '../../config/config.js'
import { AppError } from '../../errors.js'
import { deviceRoutes } from '../../routes/device-routes.js'
import { loginBodySchema, userResponseSchema, type LoginBody } from '../../routes/schemas.js'
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
      if (config.cookieSecure === true && request.protocol !== 'https') {
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

    await app.register(deviceRoutes(opts.authenticate, {
      list: async userId => (await records.list(userId)).map(({ sessionId, auth }) => ({
        id: auth.handle,
        key: sessionId,
        createdAt: auth.createdAt,
        lastSeenAt: auth.lastSeenAt,
        userAgent: auth.userAgent,
        ip: auth.ip
      })),
      async end (userId, login, current, request, reply) {
        if (current) {
          await request.session.destroy()
          reply.clearCookie(cookieName, cookieOptions)
        }
        await records.end(userId, login.key, 'revoked')
      }
    }))
  }
}
