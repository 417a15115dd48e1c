import type { FastifyRequest } from 'fastify'
import type { Config } from '../config/config.js'
import { AppError } from '../errors.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Cross-site request check for state-changing requests authenticated by a cookie: a present Origin must
 * be this server's own (or allow-listed), and Sec-Fetch-Site must not say cross-site. Requests without
 * either header (curl, server-to-server) pass: they cannot carry a victim's cookie from another site.
 * `null` (DEMO_UNSAFE_CSRF, demo mode on loopback only): no check at all, for the demo's CSRF story.
 */
export function assertSameSite (request: FastifyRequest, allowedOrigins: ReadonlySet<string> | null): void {
  if (allowedOrigins === null || SAFE_METHODS.has(request.method)) return
  if (request.headers['sec-fetch-site'] === 'cross-site') {
    throw new AppError('csrf_rejected', 'cross-site request rejected')
  }
  const origin = request.headers.origin
  if (origin === undefined) return
  if (origin === `${request.protocol}://${request.host}` || allowedOrigins.has(origin)) return
  throw new AppError('csrf_rejected', 'cross-origin request rejected')
}

/** The origins assertSameSite accepts besides the server's own (ALLOWED_ORIGINS), or null under DEMO_UNSAFE_CSRF. */
export function sameSiteOrigins (config: Pick<Config, 'allowedOrigins' | 'demoUnsafeCsrf'>): ReadonlySet<string> | null {
  return config.demoUnsafeCsrf ? null : new Set(config.allowedOrigins)
}
