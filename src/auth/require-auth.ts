import type { FastifyReply, FastifyRequest } from 'fastify'
import { STORE_OPS_HEADER } from './principal.js'
import type { Strategy } from '../strategies/strategy.js'
import { AppError } from '../errors.js'

type Authenticate = Strategy['authenticate']

/**
 * onRequest hook for protected routes: authenticate, and always report the store round trips it cost.
 * A callback hook, so a strategy that decides without the store (a verified JWT in `none` mode, a
 * session in the memory store) answers synchronously and no promise is made per request.
 */
export function requireAuth (authenticate: Authenticate) {
  return function requireAuthHook (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
    let pending: void | Promise<void>
    try {
      pending = authenticate(request, reply)
    } catch (err) {
      reply.header(STORE_OPS_HEADER, request.authStoreOps)
      done(err as Error)
      return
    }
    if (pending === undefined) {
      reply.header(STORE_OPS_HEADER, request.authStoreOps)
      done()
      return
    }
    pending.then(() => {
      reply.header(STORE_OPS_HEADER, request.authStoreOps)
      done()
    }, (err: unknown) => {
      reply.header(STORE_OPS_HEADER, request.authStoreOps)
      done(err as Error)
    })
  }
}

/** Authenticates with whichever mounted strategy the request's credential belongs to (admin routes). */
export function anyStrategy (strategies: readonly Strategy[]): Authenticate {
  const challenge = wwwAuthenticate(strategies)
  return async function authenticateAny (request, reply) {
    const strategy = strategies.find(s => s.presentedBy(request))
    if (strategy === undefined) {
      throw new AppError('missing_credentials', 'log in first: send a session cookie or a bearer token', challenge)
    }
    await strategy.authenticate(request, reply)
  }
}

/** The challenges of every strategy that has one (RFC 6750 §3 for bearer tokens). */
function wwwAuthenticate (strategies: readonly Strategy[]): Record<string, string> {
  return Object.assign({}, ...strategies.map(s => s.challenge)) as Record<string, string>
}

export function requireAdmin (request: FastifyRequest): void {
  if (request.principal?.role !== 'admin') throw new AppError('forbidden', 'this route needs the admin role')
}
