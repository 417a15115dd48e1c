import fp from 'fastify-plugin'
import type { Role } from '../users/user.js'

/** Who made the request, whatever strategy proved it. Handlers read only this. */
export interface Principal {
  userId: string
  username: string
  role: Role
  /** The mount that authenticated the request (`session`, `jwt`, or a further mount's name). */
  strategy: string
  /** The login this credential belongs to: a session's device handle or a refresh family id. */
  loginId: string
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
    /** Store round trips spent authenticating this request (sent as x-auth-store-ops). */
    authStoreOps: number
  }
}

export const STORE_OPS_HEADER = 'x-auth-store-ops'

/** Request decorators shared by every strategy; declared once at the root so their shape never changes. */
export const principalPlugin = fp(async function principal (app) {
  app.decorateRequest('principal', null)
  app.decorateRequest('authStoreOps', 0)
}, { name: 'principal' })
