import t from 'tap'
import { Client } from './helpers/http.js'
import { forEachStore, postgresTest, redisTest, startApp, waitFor } from './helpers/app.js'
import { ownSchema } from './helpers/postgres.js'
import { alice, bob } from './helpers/jwt.js'
import { addressKey } from '../src/auth/login-guard.js'

const wrong = { username: 'alice', password: 'wrong-password' }
const from = (address: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': address } })

// Three runs (memory, Redis, a Redis Cluster): twice the default budget per test file.
t.setTimeout(240_000)

forEachStore(t, async (t, store) => {
  t.test('per username: a user\'s own logins never lock them out, on both strategies', async t => {
    const s = await startApp(t, { STORE: store, LOGIN_RATE_LIMIT: '3/3s', LOGIN_RATE_LIMIT_PER_ADDRESS: 'off' })
    const c = s.client()
    for (let i = 0; i < 5; i++) t.equal((await c.post('/session/login', bob)).status, 200, 'successful logins do not count')
    for (let i = 0; i < 3; i++) t.equal((await c.post('/session/login', wrong)).status, 401)
    const blocked = await c.post('/jwt/login', alice)
    t.equal(blocked.status, 429, 'even the right password waits, on the other strategy too')
    t.equal(blocked.body.error, 'too_many_attempts')
    const retryAfter = Number(blocked.headers.get('retry-after'))
    t.ok(retryAfter >= 1 && retryAfter <= 3, `Retry-After ${retryAfter}`)
    t.equal((await c.post('/session/login', { username: 'ALICE', password: 'x' })).status, 429, 'usernames are case-insensitive')
    t.equal((await c.post('/jwt/login', bob)).status, 200, 'other accounts unaffected')
    t.ok(await waitFor(async () => (await c.post('/session/login', alice)).status === 200, 5000, 200), 'the window ends')
  })
}, { cluster: true })

t.test('per client address, with TRUST_PROXY deciding whether X-Forwarded-For counts', async t => {
  const s = await startApp(t, { LOGIN_RATE_LIMIT: '100/1m', LOGIN_RATE_LIMIT_PER_ADDRESS: '4/1m', TRUST_PROXY: '1' })
  const c = s.client()
  for (let i = 0; i < 4; i++) t.equal((await c.post('/session/login', bob, from('203.0.113.1'))).status, 200)
  const blocked = await c.post('/session/login', bob, from('203.0.113.1'))
  t.equal(blocked.status, 429, 'every attempt from one address counts')
  t.ok(Number(blocked.headers.get('retry-after')) > 0)
  t.equal((await c.post('/session/login', bob, from('203.0.113.2'))).status, 200, 'another address is not blocked')

  const untrusting = await startApp(t, { LOGIN_RATE_LIMIT: '100/1m', LOGIN_RATE_LIMIT_PER_ADDRESS: '4/1m' })
  const u = untrusting.client()
  for (let i = 0; i < 4; i++) await u.post('/session/login', bob, from(`203.0.113.${10 + i}`))
  t.equal((await u.post('/session/login', bob, from('203.0.113.99'))).status, 429, 'TRUST_PROXY=false: a forged X-Forwarded-For does not reset the count')
})

t.test('another address\'s guessing blocks the account for at most the window', async t => {
  const s = await startApp(t, { LOGIN_RATE_LIMIT: '3/2s', TRUST_PROXY: '1' })
  const attacker = s.client()
  for (let i = 0; i < 3; i++) await attacker.post('/session/login', wrong, from('203.0.113.66'))
  const victim = s.client()
  const blocked = await victim.post('/session/login', alice, from('203.0.113.7'))
  t.equal(blocked.status, 429)
  const started = Date.now()
  t.ok(await waitFor(async () => (await victim.post('/session/login', alice, from('203.0.113.7'))).status === 200, 4000, 100))
  t.ok(Date.now() - started <= 2500, `unblocked within the window (${Date.now() - started} ms)`)
})

redisTest(t, 'with Redis the counters are shared by every instance', async t => {
  const env = { STORE: 'redis', LOGIN_RATE_LIMIT: '3/10s', KEY_PREFIX: `test:rl-shared-${Date.now()}:` }
  const a = await startApp(t, env)
  const b = await startApp(t, env)
  await a.client().post('/session/login', wrong)
  await new Client(b.url).post('/jwt/login', wrong)
  await a.client().post('/session/login', wrong)
  t.equal((await new Client(b.url).post('/session/login', alice)).status, 429, 'instance B counts A\'s failures')
})

postgresTest(t, 'with PostgreSQL the counters are shared by every instance, per address too', async t => {
  // One schema and key prefix for both instances (the first one's teardown drops the schema).
  const env = { STORE: 'postgres', LOGIN_RATE_LIMIT: '3/10s', LOGIN_RATE_LIMIT_PER_ADDRESS: '5/10s', TRUST_PROXY: '1', DATABASE_SCHEMA: ownSchema(), KEY_PREFIX: `test:rl-shared-${Date.now()}:` }
  const a = await startApp(t, env)
  const b = await startApp(t, env)
  await a.client().post('/session/login', wrong)
  await new Client(b.url).post('/jwt/login', wrong)
  await a.client().post('/session/login', wrong)
  t.equal((await new Client(b.url).post('/session/login', alice)).status, 429, 'instance B counts A\'s failures')
  for (let i = 0; i < 4; i++) t.equal((await a.client().post('/session/login', bob, from('203.0.113.5'))).status, 200)
  t.equal((await new Client(b.url).post('/jwt/login', bob, from('203.0.113.5'))).status, 200, 'the fifth attempt from this address')
  t.equal((await new Client(b.url).post('/jwt/login', bob, from('203.0.113.5'))).status, 429, 'the sixth, on the other instance, is over the per-address limit')
})

forEachStore(t, async (t, store) => {
  t.test('per username: concurrent guesses never check more passwords than the limit', async t => {
    const s = await startApp(t, { STORE: store, LOGIN_RATE_LIMIT: '10/15m', LOGIN_RATE_LIMIT_PER_ADDRESS: 'off' })
    const replies = await Promise.all(Array.from({ length: 30 }, async () => await s.client().post('/session/login', wrong)))
    const statuses = replies.map(r => r.status)
    const checked = statuses.filter(status => status === 401).length
    t.equal(checked, 10, `${checked} of 30 concurrent wrong guesses reached the password check`)
    t.equal(statuses.filter(status => status === 429).length, 20, 'the rest are refused before it')
    t.equal((await s.client().post('/jwt/login', alice)).status, 429, 'the right password waits too')
    t.equal((await s.client().post('/jwt/login', bob)).status, 200, 'other accounts unaffected')
  })

  t.test('per username: a successful login starts the count afresh', async t => {
    const s = await startApp(t, { STORE: store, LOGIN_RATE_LIMIT: '3/1m', LOGIN_RATE_LIMIT_PER_ADDRESS: 'off' })
    const c = s.client()
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2; i++) t.equal((await c.post('/session/login', wrong)).status, 401)
      t.equal((await c.post('/session/login', alice)).status, 200, `round ${round}: the third attempt is the user's own`)
    }
    for (let i = 0; i < 3; i++) t.equal((await c.post('/session/login', wrong)).status, 401)
    t.equal((await c.post('/session/login', alice)).status, 429, 'three failures in a row still block')
  })
})

t.test('per client address: an IPv6 client is counted by its /64', async t => {
  const s = await startApp(t, { LOGIN_RATE_LIMIT: '100/1m', LOGIN_RATE_LIMIT_PER_ADDRESS: '3/1m', TRUST_PROXY: '1' })
  const c = s.client()
  t.equal((await c.post('/session/login', bob, from('2001:db8:1:1::1'))).status, 200)
  t.equal((await c.post('/session/login', bob, from('2001:db8:1:1::2'))).status, 200)
  t.equal((await c.post('/session/login', bob, from('2001:db8:1:1:ffff:ffff:ffff:ffff'))).status, 200)
  t.equal((await c.post('/session/login', bob, from('2001:db8:1:1::abcd'))).status, 429, 'a fourth address in the same /64 shares the count')
  t.equal((await c.post('/session/login', bob, from('2001:db8:1:2::1'))).status, 200, 'the next /64 does not')
  t.equal((await c.post('/session/login', bob, from('::ffff:203.0.113.5'))).status, 200)
  t.equal((await c.post('/session/login', bob, from('203.0.113.5'))).status, 200)
  t.equal((await c.post('/session/login', bob, from('::ffff:203.0.113.5'))).status, 200)
  t.equal((await c.post('/session/login', bob, from('203.0.113.5'))).status, 429, 'IPv4-mapped IPv6 counts as the IPv4 address')
})

t.test('addressKey', async t => {
  t.equal(addressKey('203.0.113.9'), 'ip:203.0.113.9')
  t.equal(addressKey('::ffff:203.0.113.9'), 'ip:203.0.113.9', 'IPv4-mapped IPv6 is IPv4')
  t.equal(addressKey('2001:db8:1:1::1'), addressKey('2001:db8:1:1:ffff:ffff:ffff:ffff'), 'one /64')
  t.equal(addressKey('2001:DB8:1:1::1'), addressKey('2001:db8:1:1::1'), 'case-insensitive')
  t.not(addressKey('2001:db8:1:1::1'), addressKey('2001:db8:1:2::1'), 'another /64')
  t.equal(addressKey('2001:db8:1:1::1'), 'ip:2001:db8:1:1::')
})
