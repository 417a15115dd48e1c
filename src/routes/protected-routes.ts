import type { FastifyPluginAsync } from 'fastify'
import { requireAdmin } from '../auth/require-auth.js'

const meSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, username: { type: 'string' }, role: { type: 'string' }, strategy: { type: 'string' } },
  required: ['id', 'username', 'role', 'strategy']
} as const

const noteBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['text'],
  properties: { text: { type: 'string', minLength: 1, maxLength: 1000 } }
} as const

/**
 * The routes every strategy protects, defined once. They read `request.principal` and nothing else:
 * the scope that registers them has already authenticated the caller (or answered 401).
 * Registered without an auth hook, they are the benchmark's unauthenticated baseline.
 */
export const protectedRoutes: FastifyPluginAsync = async function protectedRoutes (app) {
  app.get('/me', { schema: { response: { 200: meSchema } } }, async (request) => {
    const p = request.principal
    return p === null
      ? { id: 'anonymous', username: 'anonymous', role: 'user', strategy: 'none' }
      : { id: p.userId, username: p.username, role: p.role, strategy: p.strategy }
  })

  app.get('/admin', async (request) => {
    requireAdmin(request)
    return { ok: true, message: `hello admin ${request.principal!.username}` }
  })

  app.post<{ Body: { text: string } }>('/notes', { schema: { body: noteBodySchema } }, async (request, reply) => {
    const p = request.principal
    return await reply.code(201).send({ note: { text: request.body.text, author: p?.username ?? 'anonymous', createdAt: new Date().toISOString() } })
  })
}
