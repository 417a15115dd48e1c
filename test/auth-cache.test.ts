import { randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { ConfigError, loadConfig } from '../src/config/config.js'
import type { CachedKvStore } from '../src/stores/cached-store.js'
import { RawClient, send, type Reply } from '../harness/http.js'
import { loginJwt, loginSession } from '../harness/login.js'
import { benchUser, demoAdmin } from '../harness/fixtures.js'
import { startServer } from '../harness/server.js'
import { ownRedisTest, redisTest, startApp, testEnv, waitFor, type TestApp } from './helpers/app.js'
import { startOwnRedis } from './helpers/redis.js'

/** How long a revocation on one instance may take to reach another (polled; loopback takes about a millisecond). */
const PROPAGATION_BOUND_MS = 2000

type Credential = { cookie: string } | { bearer: string }

/** Several instances on one Redis and one key prefix, each with AUTH_CACHE=on, serving once their heartbeat came back. */
async function instances (t: Test, env: Record<string, string>, count = 2): Promise<TestApp[]> {
  const shared = { STORE: 'redis', AUTH_CACHE: 'on', KEY_PREFIX: `test:${randomBytes(6).toString('hex')}:`, BENCH_USERS: '12', ...env }
  const apps: TestApp[] = []
  for (let i = 0; i < count; i++) apps.push(await startApp(t, shared))
  for (const app of apps) t.ok(await waitFor(() => cacheOf(app).stats.serving), 'the cache serves once its heartbeat came back')
  return apps
}

function cacheOf (app: TestApp): CachedKvStore {
  const cache = app.app.svj.authCache
  if (cache === null) throw new Error('AUTH_CACHE is off')
  return cache
}

async function me (app: TestApp, path: string, credential: Credential): Promise<Reply> {
  return await send(`${app.url}${path}`, 'GET', credential)
}

/** Two requests: the first may fill the cache, the second must be answered from it. */
async function warm (t: Test, app: TestApp, path: string, credential: Credential): Promise<void> {
  t.equal((await me(app, path, credential)).status, 200, 'accepted before the change')
  // Polled: on a starved CPU the event loop's pulse can come late, and the cache then waits for a heartbeat.
  let hit = await me(app, path, credential)
  await waitFor(async () => (hit = await me(app, path, credential)).storeOps === '0', PROPAGATION_BOUND_MS)
  t.equal(hit.status, 200)
  t.equal(hit.storeOps, '0', 'a cached lookup costs no store round trip')
}

/** Polls `app` until `credential` is refused; how long it took. */
async function refusedWithin (t: Test, app: TestApp, path: string, credential: Credential, what: string): Promise<void> {
  const started = Date.now()
  const refused = await waitFor(async () => (await me(app, path, credential)).status === 401, PROPAGATION_BOUND_MS, 5)
  t.ok(refused, `${what}: refused by the other instance within ${PROPAGATION_BOUND_MS} ms (took ${Date.now() - started} ms)`)
}

async function adminBearer (app: TestApp): Promise<string> {
  return (await loginJwt(app.url, demoAdmin)).access
}

async function adminChange (app: TestApp, bearer: string, path: string, json?: unknown): Promise<void> {
  const r = await send(`${app.url}/admin/users/${path}`, 'POST', { bearer, ...(json === undefined ? {} : { json }) })
  if (r.status !== 200) throw new Error(`admin ${path}: ${r.status} ${r.text}`)
}

/** Kills one connection by its CLIENT SETNAME name, from a client of the test's own. */
async function killConnection (url: string, name: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true })
  try {
    await redis.connect()
    const list = String(await redis.call('CLIENT', 'LIST'))
    const line = list.split('\n').find(l => l.includes(` name=${name} `))
    if (line === undefined) throw new Error(`no connection named ${name}`)
    const id = /(?:^|\s)id=(\d+)/.exec(line)?.[1]
    await redis.call('CLIENT', 'KILL', 'ID', id as string)
  } finally {
    redis.disconnect()
  }
}

t.test('config: AUTH_CACHE needs STORE=redis and the project\'s session store', async t => {
  t.throws(() => loadConfig({ AUTH_CACHE: 'on' }), new ConfigError('AUTH_CACHE: the cache is kept exact by invalidations from Redis, so it needs STORE=redis; got STORE=memory (a memory store is one process\'s own, with nothing to cache in front of)'))
  t.throws(() => loadConfig({ AUTH_CACHE: 'on', STORE: 'redis', SESSION_REDIS_STORE: 'connect-redis' }), /AUTH_CACHE: connect-redis reads sessions from Redis itself/)
  t.throws(() => loadConfig({ AUTH_CACHE: 'on', STORE: 'postgres' }), /needs STORE=redis; got STORE=postgres/)
  t.throws(() => loadConfig({ AUTH_CACHE: 'on', STORE: 'redis', REDIS_CLUSTER_NODES: '127.0.0.1:7000' }), /AUTH_CACHE: not available on a Redis Cluster/)
  t.equal(loadConfig({}).authCache, null, 'off by default')
  t.same(loadConfig({ AUTH_CACHE: 'on', STORE: 'redis' }).authCache, { max: 100_000, ttlMs: 60_000 })
  t.same(loadConfig({ AUTH_CACHE: 'true', STORE: 'redis', AUTH_CACHE_MAX: '10', AUTH_CACHE_TTL: '5s' }).authCache, { max: 10, ttlMs: 5000 })
  t.throws(() => loadConfig({ AUTH_CACHE: 'on', STORE: 'redis', AUTH_CACHE_MAX: '0' }), /AUTH_CACHE_MAX: expected an integer from 1/)
  t.throws(() => loadConfig({ AUTH_CACHE: 'on', STORE: 'redis', AUTH_CACHE_TTL: '0s' }), /AUTH_CACHE_TTL: expected a duration/)
  t.throws(() => loadConfig({ AUTH_CACHE: 'maybe', STORE: 'redis' }), /AUTH_CACHE: expected true or false/)
})

redisTest(t, 'sessions: a cached lookup costs 0 store ops; logout, role change, disable, password and revoke-all on A reach B', async t => {
  const [a, b] = await instances(t, { AUTH_STRATEGIES: 'session,jwt' }) as [TestApp, TestApp]
  const path = '/session/api/me'
  const boss = await adminBearer(a)

  const first = await loginSession(a.url, benchUser(0))
  t.equal((await me(a, path, first)).storeOps, '1', 'an uncached lookup costs one round trip')
  await warm(t, b, path, first)
  const out = await send(`${a.url}/session/logout`, 'POST', { cookie: first.cookie })
  t.equal(out.status, 204)
  await refusedWithin(t, b, path, first, 'logout on A')

  for (const [change, user, json] of [['disable', 1, undefined], ['password', 2, { password: 'another-password' }], ['revoke', 3, undefined]] as const) {
    const login = await loginSession(a.url, benchUser(user))
    await warm(t, b, path, login)
    await adminChange(a, boss, `bench${user}/${change}`, json)
    await refusedWithin(t, b, path, login, change)
  }

  // A role change keeps the session and rewrites its record: B must see the new role, not the cached one.
  const login = await loginSession(a.url, benchUser(4))
  await warm(t, b, path, login)
  t.equal((await me(b, path, login)).body.role, 'user')
  await adminChange(a, boss, 'bench4/role', { role: 'admin' })
  t.ok(await waitFor(async () => (await me(b, path, login)).body.role === 'admin', PROPAGATION_BOUND_MS, 5), 'role change on A: B sees the new role')
})

redisTest(t, 'JWT_REVOCATION=version: a cached user record costs 0 store ops; every version bump on A reaches B', async t => {
  const [a, b] = await instances(t, { AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'version' }) as [TestApp, TestApp]
  const path = '/jwt/api/me'
  const boss = await adminBearer(a)
  for (const [change, user, json] of [['role', 0, { role: 'admin' }], ['disable', 1, undefined], ['password', 2, { password: 'another-password' }], ['revoke', 3, undefined]] as const) {
    const login = await loginJwt(a.url, benchUser(user))
    await warm(t, b, path, { bearer: login.access })
    await adminChange(a, boss, `bench${user}/${change}`, json)
    await refusedWithin(t, b, path, { bearer: login.access }, change)
  }
})

redisTest(t, 'JWT_REVOCATION=denylist: cached absent marks cost 0 store ops; logout, revoke-all and disable on A reach B', async t => {
  const [a, b] = await instances(t, { AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'denylist' }) as [TestApp, TestApp]
  const path = '/jwt/api/me'
  const boss = await adminBearer(a)

  const first = await loginJwt(a.url, benchUser(0))
  await warm(t, b, path, { bearer: first.access })
  const out = await send(`${a.url}/jwt/logout`, 'POST', { bearer: first.access, json: { refresh_token: first.refresh } })
  t.equal(out.status, 204)
  await refusedWithin(t, b, path, { bearer: first.access }, 'logout on A (deny:<jti>)')

  for (const [change, user] of [['revoke', 1], ['disable', 2]] as const) {
    const login = await loginJwt(a.url, benchUser(user))
    await warm(t, b, path, { bearer: login.access })
    await adminChange(a, boss, `bench${user}/${change}`)
    await refusedWithin(t, b, path, { bearer: login.access }, `${change} (revoked-before:<user>)`)
  }
})

redisTest(t, 'fails closed: with its invalidation connection killed, B drops its cache, asks Redis, refuses what was revoked meanwhile, and recovers', async t => {
  const [a, b] = await instances(t, { AUTH_STRATEGIES: 'session,jwt', JWT_REVOCATION: 'version' }) as [TestApp, TestApp]
  const path = '/session/api/me'
  const cache = cacheOf(b)
  const victim = await loginSession(a.url, benchUser(0))
  const bystander = await loginSession(a.url, benchUser(1))
  await warm(t, b, path, victim)
  await warm(t, b, path, bystander)
  const drops = cache.stats.drops

  await killConnection(b.config.redisUrl, cache.connectionNames.subscriber)
  // Logged out right away, before B has resubscribed (ioredis waits 100 ms before its first reconnect):
  // Redis cannot deliver the invalidation to B, so the message for B is lost.
  t.equal((await send(`${a.url}/session/logout`, 'POST', { cookie: victim.cookie })).status, 204)
  const duringGap = !cache.stats.serving
  const refused = await me(b, path, victim)
  t.equal(refused.status, 401, 'the credential revoked while B\'s channel was down is refused at once')
  const asked = await me(b, path, bystander)
  t.equal(asked.status, 200)
  if (duringGap) t.equal(asked.storeOps, '1', 'with the channel down, the lookup goes to Redis')
  else t.comment('B had resubscribed before the lookups; the refusal above still came from Redis')
  t.ok(cache.stats.drops > drops, 'B dropped its cache')
  t.ok(await waitFor(() => cache.stats.serving, 5000), 'B serves from its cache again once resubscribed')
  await warm(t, b, path, bystander)
  t.equal((await me(b, path, victim)).status, 401, 'and the revoked session stays refused')
  // After recovery, invalidations flow to the new subscriber connection again.
  await adminChange(a, await adminBearer(a), 'bench1/revoke')
  await refusedWithin(t, b, path, bystander, 'revoke after recovery')
})

redisTest(t, 'fails closed: a killed cache read connection (its tracking gone) drops the cache until tracking is armed again', async t => {
  const [a, b] = await instances(t, { AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'version' }) as [TestApp, TestApp]
  const path = '/jwt/api/me'
  const cache = cacheOf(b)
  const login = await loginJwt(a.url, benchUser(0))
  await warm(t, b, path, { bearer: login.access })
  const drops = cache.stats.drops
  const boss = await adminBearer(a)
  const other = await loginJwt(a.url, benchUser(1))
  await warm(t, b, path, { bearer: other.access })
  await killConnection(b.config.redisUrl, cache.connectionNames.reader)
  // Redis forgets what a closed connection read: the invalidation of this revoke has nowhere to go.
  await adminChange(a, boss, 'bench1/revoke')
  t.equal((await me(b, path, { bearer: other.access })).status, 401, 'revoked while B\'s tracking was gone: refused at once')
  t.ok(cache.stats.drops > drops, 'B dropped its cache')
  t.ok(await waitFor(() => cache.stats.serving, 5000), 'and serves again once tracking is armed on the new connection')
  await warm(t, b, path, { bearer: login.access })
  await adminChange(a, boss, 'bench0/revoke')
  await refusedWithin(t, b, path, { bearer: login.access }, 'revoke after the read connection came back')
})

redisTest(t, 'an invalidation that overtakes a read in flight keeps that read\'s value out of the cache', async t => {
  const [a, b] = await instances(t, { AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'version' }) as [TestApp, TestApp]
  const path = '/jwt/api/me'
  const cache = cacheOf(b)
  const login = await loginJwt(a.url, benchUser(0))
  // Hold B's next cache fill after Redis answered (the value is the pre-revoke user record) until released.
  const reader = (cache as unknown as { reader: { getMany: (keys: string[]) => Promise<Array<string | null>> } }).reader
  const original = reader.getMany.bind(reader)
  let release = (): void => {}
  const released = new Promise<void>(resolve => { release = resolve })
  let fetched = (): void => {}
  const heldRead = new Promise<void>(resolve => { fetched = resolve })
  reader.getMany = async keys => {
    const values = await original(keys)
    reader.getMany = original
    fetched()
    await released
    return values
  }
  const inFlight = me(b, path, { bearer: login.access })
  await heldRead
  const invalidations = cache.stats.invalidations
  await adminChange(a, await adminBearer(a), 'bench0/revoke')
  t.ok(await waitFor(() => cache.stats.invalidations > invalidations, 2000, 1), 'B received the invalidation while its read was held')
  release()
  t.equal((await inFlight).status, 200, 'the held request answers with what it read before the revoke')
  const after = await me(b, path, { bearer: login.access })
  t.equal(after.status, 401, 'the next request is refused: the stale value was not cached')
  t.equal(after.storeOps, '1', 'and it asked Redis')
})

redisTest(t, 'the cache is bounded by AUTH_CACHE_MAX and entries expire after AUTH_CACHE_TTL', async t => {
  const [b] = await instances(t, { AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'version', AUTH_CACHE_MAX: '2', AUTH_CACHE_TTL: '1s' }, 1) as [TestApp]
  const path = '/jwt/api/me'
  const logins = await Promise.all([0, 1, 2].map(async i => await loginJwt(b.url, benchUser(i))))
  for (const login of logins) await me(b, path, { bearer: login.access })
  t.ok(cacheOf(b).stats.entries <= 2, `at most AUTH_CACHE_MAX entries (${cacheOf(b).stats.entries})`)
  t.equal((await me(b, path, { bearer: logins[0]!.access })).storeOps, '1', 'the least recently used entry was dropped')
  t.equal((await me(b, path, { bearer: logins[0]!.access })).storeOps, '0')
  t.ok(await waitFor(async () => (await me(b, path, { bearer: logins[0]!.access })).storeOps === '1', 3000, 100), 'an entry older than AUTH_CACHE_TTL is read again')
})

ownRedisTest(t, 'fails closed: when the heartbeat stops coming back (writes paused), nothing is served from the cache', async t => {
  const redis = await startOwnRedis()
  t.teardown(async () => { await redis.stop() })
  const [b] = await instances(t, { AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'version', REDIS_URL: redis.url }, 1) as [TestApp]
  const path = '/jwt/api/me'
  const login = await loginJwt(b.url, benchUser(0))
  await warm(t, b, path, { bearer: login.access })
  const admin = new Redis(redis.url)
  t.teardown(() => { admin.disconnect() })
  // Writes (PUBLISH included) wait; reads go on. A channel that stalls without closing looks like this.
  await admin.call('CLIENT', 'PAUSE', '3000', 'WRITE')
  t.ok(await waitFor(() => !cacheOf(b).stats.serving, 2500, 20), 'B stops serving once the heartbeat is overdue')
  const r = await me(b, path, { bearer: login.access })
  t.equal(r.status, 200)
  t.equal(r.storeOps, '1', 'the lookup went to Redis')
  await admin.call('CLIENT', 'UNPAUSE')
  t.ok(await waitFor(() => cacheOf(b).stats.serving, 3000), 'serving again once the heartbeat comes back')
})

ownRedisTest(t, 'a Redis that refuses client tracking (here: an ACL without CLIENT) stops startup with a config error', async t => {
  const redis = await startOwnRedis()
  t.teardown(async () => { await redis.stop() })
  const admin = new Redis(redis.url)
  t.teardown(() => { admin.disconnect() })
  await admin.call('ACL', 'SETUSER', 'nocache', 'on', '>nocache-password', '~*', '&*', '+@all', '-client')
  const url = redis.url.replace('redis://', 'redis://nocache:nocache-password@')
  await t.rejects(startApp(t, { STORE: 'redis', REDIS_URL: url, AUTH_CACHE: 'on' }), { name: 'ConfigError', message: /^AUTH_CACHE: Redis did not turn client tracking on .*NOPERM/ })
  const plain = await startApp(t, { STORE: 'redis', REDIS_URL: url })
  t.equal((await send(`${plain.url}/ready`, 'GET')).status, 200, 'the same Redis serves the app without the cache')
})

redisTest(t, 'a paused instance: on waking, B handles the invalidation that reached it meanwhile before it answers from its cache', async t => {
  const shared = { AUTH_STRATEGIES: 'session,jwt', JWT_REVOCATION: 'version' }
  const [a] = await instances(t, shared, 1) as [TestApp]
  // B in a process of its own, so that it can be stopped (SIGSTOP) like a long GC pause or a starved CPU would.
  const b = await startServer({ env: testEnv({ STORE: 'redis', AUTH_CACHE: 'on', REDIS_URL: a.config.redisUrl, KEY_PREFIX: a.config.keyPrefix, ...shared }) })
  // One kept-alive connection: a request sent while B is stopped waits on a socket B already watches.
  const client = new RawClient(b.url, { sockets: 1 })
  t.teardown(async () => {
    client.close()
    process.kill(b.pid, 'SIGCONT')
    await b.stop()
  })
  const path = '/jwt/api/me'
  const admin = await adminBearer(a)
  // Which of the two ready sockets Node serves first varies: several rounds make a missing guard show.
  for (let round = 1; round <= 8; round++) {
    const victim = (await loginJwt(a.url, benchUser(round))).access
    t.ok(await waitFor(async () => (await client.call('GET', path, { bearer: victim })).headers['x-auth-store-ops'] === '0', 5000), `round ${round}: B answers from its cache`)
    process.kill(b.pid, 'SIGSTOP')
    await adminChange(a, admin, `bench${round}/revoke`)
    // Sent while B is stopped, on the connection B already has: on waking, B finds the request and the
    // invalidation ready together, and Node may run the request first.
    const pending = client.call('GET', path, { bearer: victim })
    await new Promise(resolve => setTimeout(resolve, 200)) // the pause being simulated, not a wait for a condition
    process.kill(b.pid, 'SIGCONT')
    const reply = await pending
    t.equal(reply.status, 401, `round ${round}: the request that waited through the pause is refused (${reply.status} ${reply.text})`)
  }
})
