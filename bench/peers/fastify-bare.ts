/**
 * peer-fastify-bare: Fastify with a route that returns a constant user, no authentication at all.
 * The floor every other peer and strategy sits above on the same machine.
 */
import Fastify from 'fastify'
import { me, peerSettings } from './users.js'

const settings = peerSettings()
const user = me({ id: 'anonymous', username: 'bench0', role: 'user' })
const app = Fastify()

app.get('/ready', async () => ({ ok: true }))
app.get('/api/me', async () => user)

await app.listen({ host: '127.0.0.1', port: settings.port })
