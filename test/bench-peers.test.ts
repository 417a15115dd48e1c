import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import t from 'tap'
import { PEERS, type Peer } from '../bench/peers/index.js'
import { BENCH_PASSWORD } from '../harness/fixtures.js'
import { send } from '../harness/http.js'
import { Redis } from 'ioredis'
import { redisTest } from './helpers/app.js'
import { deleteKeys, freePort, testRedisUrl } from './helpers/redis.js'

const running = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Starts `peer` as the bench runner does, logs bench0 and bench1 in and checks its measured route. */
async function checkPeer (t: Test, peer: Peer): Promise<void> {
  const redisUrl = peer.store === 'redis' ? await testRedisUrl() : null
  const keyPrefix = `test:peer:${randomBytes(6).toString('hex')}:`
  if (redisUrl !== null) t.teardown(async () => { await deleteKeys(redisUrl, keyPrefix) })
  const server = await peer.start({ port: await freePort(), redisUrl, users: 2, keyPrefix })
  t.teardown(server.stop)
  t.ok(running(server.pid), 'the pid is the running server')

  const headers = await peer.login(server.url, 0)
  const me = await send(server.url + peer.path, 'GET', { headers })
  t.equal(me.status, 200, me.text)
  t.equal(me.body.username, 'bench0')
  t.equal(me.body.role, 'user')
  t.type(me.body.id, 'string')

  if (peer.name === 'peer-fastify-bare') {
    t.same(headers, {}, 'no credential to carry')
  } else {
    t.equal(Object.keys(headers).length, 1, `one credential header: ${Object.keys(headers).join(', ')}`)
    const anonymous = await send(server.url + peer.path, 'GET')
    t.ok([401, 403].includes(anonymous.status), `without the credential: ${anonymous.status} ${anonymous.text}`)
    const forged = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, value.slice(0, -2) + (value.endsWith('AA') ? 'BB' : 'AA')]))
    const tampered = await send(server.url + peer.path, 'GET', { headers: forged })
    t.ok([401, 403].includes(tampered.status), `with a tampered credential: ${tampered.status} ${tampered.text}`)
    const wrong = await send(`${server.url}/login`, 'POST', { json: { username: 'bench0', password: `${BENCH_PASSWORD}x` } })
    t.equal(wrong.status, 401, 'a wrong password is refused')
    const second = await send(server.url + peer.path, 'GET', { headers: await peer.login(server.url, 1) })
    t.equal(second.body.username, 'bench1', 'each of the `users` accounts logs in')
  }

  if (redisUrl !== null) {
    const client = new Redis(redisUrl)
    t.teardown(() => { client.disconnect() })
    const [, keys] = await client.scan('0', 'MATCH', `${keyPrefix}*`, 'COUNT', 1000)
    t.ok(keys.length >= 2, `the sessions are kept in Redis under keyPrefix (${keys.length} keys)`)
  }

  await server.stop()
  t.notOk(running(server.pid), 'stop ends the process')
}

t.test('every peer is named for the runner and measures GET /api/me', async t => {
  t.same(PEERS.map(p => p.name), ['peer-fastify-bare', 'peer-fastify-jwt', 'peer-fastify-session-redis', 'peer-express-session-redis', 'peer-express-jwt'])
  for (const peer of PEERS) t.equal(peer.path, '/api/me', peer.name)
})

for (const peer of PEERS) {
  if (peer.store === 'redis') redisTest(t, peer.name, async t => { await checkPeer(t, peer) })
  else t.test(peer.name, async t => { await checkPeer(t, peer) })
}
