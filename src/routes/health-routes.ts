import type { FastifyPluginAsync } from 'fastify'
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
        return await reply.code(503).send({ error: 'store_unavailable', message: `the ${store.kind} store does not answer` })
      }
    })
  }
}
