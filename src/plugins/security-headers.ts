import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'

/**
 * Security headers from helmet on every response, with a strict same-origin CSP (the demo page ships its
 * scripts and styles as files, nothing inline). The helmet middleware is built once here: @fastify/helmet
 * rebuilds it (parsing every directive) inside its onRequest hook on each request, which showed up in the
 * protected-route profile. The headers are the same.
 */
export const securityHeaders = fp(async function securityHeaders (app, opts: { hsts: boolean }) {
  const options: HelmetOptions = {
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
    // HSTS only means something over https, which is what COOKIE_SECURE=true asserts.
    strictTransportSecurity: opts.hsts ? { maxAge: 31_536_000, includeSubDomains: true } : false
  }
  const applyHelmet = helmet(options)
  app.addHook('onRequest', function helmetHeaders (request, reply, done) {
    applyHelmet(request.raw, reply.raw, err => { done(err as Error | undefined) })
  })
}, { name: 'security-headers' })
