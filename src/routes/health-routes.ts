import type { FastifyPluginAsync } from 'fastify'
import { ERRORS, errorBody } from '../errors.js'
import type { KvStore } from '../stores/kv-store.js'

/** Liveness (`/health`: the process runs) and readiness (`/ready`: the store answers). */
export function healthRoutes (store: KvStore): FastifyPluginAsync {
  return async function routes (app) {
    app.get('/health', async () => ({ status: 'ok' }))
    app.get('/ready', async (_request, reply) => {
      try {
        await store.ping()
        return { status: 'ready', store: store.kind }
      } catch {
        return await reply.code(ERRORS.store_unavailable).send(errorBody('store_unavailable', `the ${store.kind} store does not answer`))
      }
    })
  }
}
