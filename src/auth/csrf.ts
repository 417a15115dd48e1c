import type { FastifyRequest } from 'fastify'
import { AppError } from '../errors.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Cross-site request check for state-changing requests authenticated by a cookie: a present Origin must
 * be this server's own (or allow-listed), and Sec-Fetch-Site must not say cross-site. Requests without
 * either header (curl, server-to-server) pass: they cannot carry a victim's cookie from another site.
 */
export function assertSameSite (request: FastifyRequest, allowedOrigins: ReadonlySet<string>): void {
  if (SAFE_METHODS.has(request.method)) return
  if (request.headers['sec-fetch-site'] === 'cross-site') {
    throw new AppError('csrf_rejected', 'cross-site request rejected')
  }
  const origin = request.headers.origin
  if (origin === undefined) return
  if (origin === `${request.protocol}://${request.host}` || allowedOrigins.has(origin)) return
  throw new AppError('csrf_rejected', 'cross-origin request rejected')
}
