import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'
import type { FastifyInstance } from 'fastify'

type Headers = Readonly<Record<string, string>>

/**
 * Runs helmet's middleware once against a recorder and returns the headers it sets. Helmet stays the
 * source of truth for names and values; the per-request work is one `reply.headers()` of a ready
 * object instead of helmet's eleven middlewares, each validating its header through `setHeader`.
 */
export function helmetHeaders (options: HelmetOptions): Headers {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader (name: string, value: unknown) { headers[name.toLowerCase()] = String(value) },
    removeHeader (name: string) { Reflect.deleteProperty(headers, name.toLowerCase()) }
  }
  let done = false
  helmet(options)({} as never, recorder as never, (err?: unknown) => {
    if (err !== undefined && err !== null) throw err instanceof Error ? err : new Error(String(err))
    done = true
  })
  // Helmet's middlewares are synchronous; one that was not would leave headers unset, so refuse to start.
  if (!done) throw new Error('helmet did not finish synchronously: security headers cannot be precomputed')
  return Object.freeze(headers)
}

/** HSTS only means something over https, which is what COOKIE_SECURE=true asserts. */
const hstsOption = (hsts: boolean): HelmetOptions['strictTransportSecurity'] =>
  hsts ? { maxAge: 31_536_000, includeSubDomains: true } : false

/**
 * Every answer of the API is JSON, never rendered as a document, so it carries the short set that
 * matters for an API (OWASP's REST Security cheat sheet): a CSP that allows nothing and no framing,
 * nosniff, no referrer, a same-origin resource policy, DENY framing for old browsers, HSTS over https.
 * About 200 bytes instead of the ~700 of the document set below.
 */
export function apiHeaders (hsts: boolean): Headers {
  return helmetHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: hstsOption(hsts)
  })
}

/**
 * The demo page's documents and files: helmet's full set with a strict same-origin CSP (the page ships
 * its scripts and styles as files, nothing inline).
 */
export function pageHeaders (hsts: boolean): Headers {
  return helmetHeaders({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"]
      }
    },
    strictTransportSecurity: hstsOption(hsts)
  })
}

/** Adds `headers` to every answer of `scope` (and of the scopes registered inside it). */
export function addHeaders (scope: FastifyInstance, headers: Headers): void {
  scope.addHook('onRequest', function securityHeaders (_request, reply, done) {
    reply.headers(headers)
    done()
  })
}

/** The API's security headers on every answer, errors and 404s included. */
export const securityHeaders = fp(async function securityHeaders (app, opts: { hsts: boolean }) {
  addHeaders(app, apiHeaders(opts.hsts))
}, { name: 'security-headers' })
