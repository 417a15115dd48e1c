import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config/config.js'

/**
 * Demo-only additions for the runner's security stories (registered only in demo mode, next to
 * demoRoutes, before the strategies so their scopes inherit what is added here):
 * - DEMO_UNSAFE_CSRF (demo mode on a loopback HOST only, the config refuses it elsewhere): urlencoded
 *   bodies are parsed, so the API accepts what an HTML form posts. Without it only JSON is parsed and a
 *   cross-site form gets 415 before any handler runs; the other two defences this setting turns off
 *   (SameSite=Lax on the session cookie, the Origin/Sec-Fetch-Site check) live in the strategies.
 */
export const demoLabRoutes = fp(async function demoLabRoutes (app: FastifyInstance, opts: { config: Config }) {
  if (opts.config.demoUnsafeCsrf) {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))))
    })
  }
}, { name: 'demo-lab-routes' })
