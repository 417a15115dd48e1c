import { randomBytes } from 'node:crypto'
import type { FastifyPluginAsync } from 'fastify'
import { assertSameSite, sameSiteOrigins } from '../../auth/csrf.js'
import { loginsOverLimit } from '../../auth/login-limit.js'
import type { Config } from '../../config/config.js'
import { AppError } from '../../errors.js'
import { deviceRoutes } from '../../routes/device-routes.js'
import { loginBodySchema, userResponseSchema, type LoginBody } from '../../routes/schemas.js'
import type { UserRepository } from '../../users/user-repository.js'
import { epochOf, publicUser } from '../../users/user.js'
import type { SessionRecords } from './session-records.js'
import type { Strategy } from '../strategy.js'
import { allowCreation } from './session-stores.js'

interface SessionRoutesOptions {
  config: Config
  records: SessionRecords
  users: UserRepository
  authenticate: Strategy['authenticate']
  cookieName: string
  cookieOptions: { httpOnly: boolean, sameSite: 'lax' | 'none', path: string, secure: boolean }
}

/** Login, logout and the device list of the session strategy (mounted under /session). */
export function sessionRoutes (opts: SessionRoutesOptions): FastifyPluginAsync {
  const { config, records, users, cookieName, cookieOptions } = opts
  const allowedOrigins = sameSiteOrigins(config)

  return async function routes (app) {
    app.post<{ Body: LoginBody }>('/login', {
      schema: { body: loginBodySchema, response: { 200: userResponseSchema } }
    }, async (request, reply) => {
      assertSameSite(request, allowedOrigins)
      if (config.cookieSecure === true && request.protocol !== 'https') {
        throw new AppError('insecure_transport', 'COOKIE_SECURE is on, so the session cookie needs https; use https or set COOKIE_SECURE=false for plain-http local use')
      }
      const user = await app.loginGuard.verify(request, request.body.username, request.body.password)
      const previous = request.session.auth
      const previousId = request.session.sessionId
      const now = Date.now()
      const epoch = epochOf(user)
      const auth = {
        userId: user.id,
        username: user.username,
        role: user.role,
        handle: randomBytes(12).toString('base64url'),
        createdAt: now,
        lastSeenAt: now,
        userAgent: (request.headers['user-agent'] ?? '').slice(0, 200),
        ip: request.ip,
        epoch
      }
      request.session.auth = auth
      // The one write allowed to create a session record: the store creates it with SET NX.
      allowCreation(auth)
      // A new session id at every login, whatever the client sent before: no session fixation.
      await request.session.regenerate(['auth'])
      const sessionId = request.session.sessionId
      if (previous !== undefined) await records.unindex(previous.userId, previousId)
      await records.add(user.id, sessionId)
      // A password change, disable or revoke-all first bumps the user's epoch, then lists the user's
      // index and ends every session in it. This login has created its record and indexed it (both
      // awaited) before re-reading the user here. So either the bump is visible to this read (then the
      // login is refused below), or the bump happened after this read, hence after the indexing, and the
      // change's list, which comes after its bump, finds this session and ends it. No login verified
      // against the old account state survives the change. A role change is handled the same way: the
      // session takes the role read here, or the role change's update (conditional on the record's
      // revision, see SessionRecords.updateRole) rewrites it; a rename likewise.
      const current = await users.findById(user.id)
      if (current === null || current.disabled || epochOf(current) !== epoch) {
        await request.session.destroy()
        await records.end(user.id, sessionId, 'revoked')
        reply.clearCookie(cookieName, cookieOptions)
        throw new AppError('login_superseded', 'the account changed while logging in (password change, disable or forced logout); log in again')
      }
      auth.role = current.role
      auth.username = current.username
      if (config.maxSessionsPerUser > 0) {
        const excess = loginsOverLimit((await records.list(user.id)).map(s => ({ ...s, createdAt: s.auth.createdAt })), config.maxSessionsPerUser)
        await Promise.all(excess.map(async s => { await records.end(user.id, s.sessionId, 'replaced') }))
      }
      return await reply.send({ user: publicUser(current) })
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
