/**
 * peer-fastify-session-redis: @fastify/cookie + @fastify/session with connect-redis over ioredis,
 * configured as their READMEs show and otherwise left at the defaults: saveUninitialized true (a
 * request without a session still saves one) and rolling true (every request with a session writes it
 * back and sets the cookie again). The one change from the defaults is `cookie.secure: false`, which the
 * README asks for on plain http: the bench talks plain http on loopback, where a Secure cookie would
 * never be sent back. Keys go under KEY_PREFIX (connect-redis's `prefix`), which the runner deletes.
 */
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import { RedisStore } from 'connect-redis'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { checkLogin, me, peerSettings, requireRedis, type PeerUser } from './users.js'

declare module 'fastify' {
  interface Session { peerUser?: PeerUser }
}

const settings = peerSettings()
const client = new Redis(requireRedis(settings))
const app = Fastify()

app.get('/ready', async () => ({ ok: true }))

// Sessions only in this scope, so the runner's /ready polls do not each save an empty session.
await app.register(async function withSessions (scope) {
  await scope.register(fastifyCookie)
  await scope.register(fastifySession, {
    secret: 'peer-fastify-session-secret-of-32-characters-or-more',
    cookie: { secure: false },
    store: new RedisStore({ client, prefix: settings.keyPrefix })
  })

  scope.post('/login', async (request, reply) => {
    const user = checkLogin(settings, request.body)
    if (user === null) return await reply.code(401).send({ error: 'invalid credentials' })
    request.session.peerUser = me(user)
    return { ok: true }
  })

  scope.get('/api/me', async (request, reply) => {
    const user = request.session.peerUser
    if (user === undefined) return await reply.code(401).send({ error: 'not logged in' })
    return me(user)
  })
})

app.addHook('onClose', async () => { await client.quit() })
await app.listen({ host: '127.0.0.1', port: settings.port })
