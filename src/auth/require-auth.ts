import type { FastifyReply, FastifyRequest } from 'fastify'
import { STORE_OPS_HEADER } from './principal.js'
import type { Strategy } from '../strategies/strategy.js'
import { AppError } from '../errors.js'

type Authenticate = Strategy['authenticate']

/** onRequest hook for protected routes: authenticate, and always report the store round trips it cost. */
export function requireAuth (authenticate: Authenticate) {
  return async function requireAuthHook (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      await authenticate(request, reply)
    } finally {
      reply.header(STORE_OPS_HEADER, request.authStoreOps)
    }
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
