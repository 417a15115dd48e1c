/**
 * peer-fastify-jwt: @fastify/jwt registered as its README's basic example does (one string secret,
 * HS256 by default) and verified by `request.jwtVerify()` in an onRequest hook. The token carries the
 * user, so GET /api/me reads no store. Tokens expire after 15 minutes (the README's example sets no
 * expiry; a token that never expires is not what anyone should copy).
 */
import fastifyJwt from '@fastify/jwt'
import Fastify from 'fastify'
import { checkLogin, me, peerSettings, type PeerUser } from './users.js'

const settings = peerSettings()
const app = Fastify()
// A string secret, as in the README; 32+ bytes, as an HS256 key should be.
await app.register(fastifyJwt, { secret: 'peer-fastify-jwt-secret-of-32-bytes-or-more' })

app.get('/ready', async () => ({ ok: true }))

app.post('/login', async (request, reply) => {
  const user = checkLogin(settings, request.body)
  if (user === null) return await reply.code(401).send({ error: 'invalid credentials' })
  return { token: app.jwt.sign({ ...me(user) }, { expiresIn: '15m' }) }
})

app.get('/api/me', {
  onRequest: async (request, reply) => {
    try {
      await request.jwtVerify()
    } catch (err) {
      await reply.send(err)
    }
  }
}, async (request) => me(request.user as PeerUser))

await app.listen({ host: '127.0.0.1', port: settings.port })
