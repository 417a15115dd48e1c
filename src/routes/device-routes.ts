import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { requireAuth } from '../auth/require-auth.js'
import { AppError } from '../errors.js'
import type { Strategy } from '../strategies/strategy.js'
import { deviceListSchema, deviceParamsSchema } from './schemas.js'

/** One login as a device list shows it, whatever the strategy calls it (session, refresh family). */
export interface Login {
  /** Opaque handle shown to the user; never a credential. */
  id: string
  createdAt: number
  lastSeenAt: number
  userAgent: string
  ip: string
  /**
   * Requests this login made from an address or user agent it had not seen (JWT: recorded by refreshes;
   * sessions record none, see src/README.md). Shown to the user, never a reason to refuse.
   */
  flags?: ReadonlyArray<{ kind: string, ip: string, userAgent: string, at: number }>
  /** The strategy's own reference to the login (e.g. the session id); never sent to the client. */
  key: string
}

/** What a strategy provides for its device list. */
export interface LoginSource {
  list: (userId: string) => Promise<Login[]>
  /** Ends one login of the user; `current` when it is the one making this request. */
  end: (userId: string, login: Login, current: boolean, request: FastifyRequest, reply: FastifyReply) => Promise<void>
}

/** `GET /devices` and `DELETE /devices/:id` for the caller's own logins, under a strategy's prefix. */
export function deviceRoutes (authenticate: Strategy['authenticate'], logins: LoginSource): FastifyPluginAsync {
  return async function devices (app) {
    app.addHook('onRequest', requireAuth(authenticate))

    app.get('/devices', { schema: { response: { 200: deviceListSchema } } }, async (request) => {
      const principal = request.principal!
      return (await logins.list(principal.userId))
        .sort((a, b) => a.createdAt - b.createdAt)
        .map(login => ({
          id: login.id,
          current: login.id === principal.loginId,
          createdAt: new Date(login.createdAt).toISOString(),
          lastSeenAt: new Date(login.lastSeenAt).toISOString(),
          userAgent: login.userAgent,
          ip: login.ip,
          flags: (login.flags ?? []).map(f => ({ kind: f.kind, ip: f.ip, userAgent: f.userAgent, at: new Date(f.at).toISOString() }))
        }))
    })

    app.delete<{ Params: { id: string } }>('/devices/:id', {
      schema: { params: deviceParamsSchema, response: { 204: { type: 'null' } } }
    }, async (request, reply) => {
      const principal = request.principal!
      const target = (await logins.list(principal.userId)).find(login => login.id === request.params.id)
      if (target === undefined) throw new AppError('device_not_found', 'no active login of yours has that id')
      await logins.end(principal.userId, target, target.id === principal.loginId, request, reply)
      return await reply.code(204).send()
    })
  }
}
