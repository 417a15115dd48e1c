/**
 * The store on a Redis Cluster (REDIS_CLUSTER_NODES): three masters of the test's own on loopback
 * (harness/redis-cluster.ts), skipped loudly where redis-server or redis-cli is missing, an error under
 * CI=true. (store.test.ts runs the store contract on a cluster; session.test.ts, jwt-flow.test.ts,
 * jwt-refresh.test.ts, jwt-revocation.test.ts and login-rate-limit.test.ts run their flows on one too.)
 *
 * 1. Every path (sessions with write-backs, devices, logout, role change and revoke-all; JWT login,
 *    rotation, reuse detection, logout, devices, the denylist's three marks, version revocation, admin
 *    changes; the login limit's counters; connect-redis) on one cluster: every answer is the expected
 *    one and no master ever answered CROSSSLOT (Redis' own error statistics). The denylist check is one
 *    MGET on one master per request.
 * 2. One master stopped (the cluster not requiring full coverage, or before it marks the master
 *    failed): requests whose keys live on that master get 503 store_unavailable, the others keep
 *    answering 200; /ready says 503. The master back: /ready 200 and service without a restart.
 * 3. Redis' default (full coverage required) once the cluster has marked the master failed: the whole
 *    cluster refuses commands, so every stateful request gets 503 store_unavailable (never a 500) until
 *    the master is back.
 */
import type { Test } from 'tap'
import t from 'tap'
import { Redis } from 'ioredis'
import { startApp, waitFor, type TestApp } from './helpers/app.js'
import type { Client, Reply } from './helpers/http.js'
import { watchProcess } from './helpers/fuzz.js'
import { admin, alice, bob, decodeJwt, jwtLogin } from './helpers/jwt.js'
import { clusterSkip, startRedisCluster, type RedisCluster } from './helpers/redis.js'
import { StoreUnavailableError, type MemoryKvStore } from '../src/stores/index.js'
import { SESSION_KEYS } from '../src/strategies/session/session-records.js'

// Four clusters started and three masters stopped and restarted: twice the default budget per test file.
t.setTimeout(240_000)

function clusterTest (name: string, fn: (t: Test) => Promise<void>): void {
  t.test(name, { skip: clusterSkip() }, fn)
}

/** Plain connections to each master, for Redis' own statistics (never through the app's client). */
function masterClients (t: Test, cluster: RedisCluster): Redis[] {
  const clients = cluster.masters.map(m => new Redis({ host: m.host, port: m.port, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true }))
  for (const c of clients) c.on('error', () => {})
  t.teardown(() => { for (const c of clients) c.disconnect() })
  return clients
}

/** `INFO <section>` as name → value lines, e.g. cmdstat_mget → `calls=3,usec=...`. */
async function info (client: Redis, section: string): Promise<Map<string, string>> {
  const text = await client.info(section)
  return new Map(text.split(/\r?\n/).filter(l => l.includes(':') && !l.startsWith('#')).map(l => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]))
}

const callsOf = (stats: Map<string, string>, command: string): number => Number(/calls=(\d+)/.exec(stats.get(`cmdstat_${command}`) ?? '')?.[1] ?? 0)

/** The master (index) that owns `key`, by the cluster's own CLUSTER KEYSLOT. */
async function ownerIndex (cluster: RedisCluster, via: Redis, key: string): Promise<number> {
  const slot = await via.cluster('KEYSLOT', key) as number
  return cluster.masters.indexOf(cluster.ownerOf(slot))
}

async function sessionLogin (s: TestApp, who: { username: string, password: string }): Promise<Client> {
  const c = s.client()
  const r = await c.post('/session/login', who)
  if (r.status !== 200) throw new Error(`session login ${who.username}: ${r.status} ${r.text}`)
  return c
}

const sessionIdOf = (c: Client): string => decodeURIComponent(c.cookies.get('sid') ?? '').split('.')[0] ?? ''

clusterTest('every path on a Redis Cluster: no CROSSSLOT anywhere, and the denylist check is one MGET on one master', async t => {
  const cluster = await startRedisCluster()
  t.teardown(async () => { await cluster.dispose() })
  const masters = masterClients(t, cluster)
  const env = { STORE: 'redis', REDIS_CLUSTER_NODES: cluster.nodes }
  // Rolling sessions: every request writes back (the conditional write with its end marker).
  const app = await startApp(t, { ...env, JWT_REVOCATION: 'denylist', SESSION_ROLLING: 'true' })
  const version = await startApp(t, { ...env, AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'version' })
  const limited = await startApp(t, { ...env, LOGIN_RATE_LIMIT: '2/1m', LOGIN_RATE_LIMIT_PER_ADDRESS: '50/1m' })
  const plugin = await startApp(t, { ...env, AUTH_STRATEGIES: 'session', SESSION_REDIS_STORE: 'connect-redis' })
  const expect = (r: Reply, status: number, what: string, error?: string): void => {
    t.equal(r.status, status, `${what}: ${status}${error === undefined ? '' : ` ${error}`}`)
    if (error !== undefined) t.equal(r.body?.error, error, `${what}: ${error}`)
  }

  t.equal((await app.client().get('/ready')).status, 200, '/ready: 200 with every master up')

  // Sessions.
  const root = await sessionLogin(app, admin)
  const laptop = await sessionLogin(app, alice)
  const phone = await sessionLogin(app, alice)
  expect(await laptop.get('/session/api/me'), 200, 'session: me (a read and a conditional write-back)')
  const devices = await laptop.get('/session/devices')
  expect(devices, 200, 'session: devices')
  t.equal(devices.body.length, 2, 'session: both devices listed')
  const other = devices.body.find((d: { current: boolean }) => !d.current)
  expect(await laptop.delete(`/session/devices/${other.id as string}`), 204, 'session: end another device')
  expect(await phone.get('/session/api/me'), 401, 'session: the ended device', 'session_revoked')
  expect(await root.post('/admin/users/alice/role', { role: 'admin' }), 200, 'session: role change (rewrites every session)')
  expect(await laptop.get('/session/api/admin'), 200, 'session: the new role at once')
  expect(await root.post('/admin/users/alice/role', { role: 'user' }), 200, 'session: role back')
  expect(await root.post('/admin/users/alice/revoke'), 200, 'session: revoke-all')
  expect(await laptop.get('/session/api/me'), 401, 'session: revoked', 'session_revoked')
  const bobSession = await sessionLogin(app, bob)
  expect(await bobSession.post('/session/logout'), 204, 'session: logout')
  expect(await bobSession.get('/session/api/me'), 401, 'session: logged out')

  // JWT, denylist mode.
  const first = await jwtLogin(app, alice)
  expect(await first.client.get('/jwt/api/me', { bearer: first.access }), 200, 'jwt: me')
  const rotated = await first.client.post('/jwt/refresh', { refresh_token: first.refresh })
  expect(rotated, 200, 'jwt: refresh (rotation)')
  expect(await first.client.post('/jwt/refresh', { refresh_token: first.refresh }), 401, 'jwt: the spent token again', 'refresh_token_reused')
  expect(await first.client.get('/jwt/api/me', { bearer: rotated.body.access_token }), 401, 'jwt: the family\'s access token after reuse (deny-sid)', 'token_revoked')
  const out = await jwtLogin(app, alice)
  expect(await out.client.post('/jwt/logout', { refresh_token: out.refresh }, { bearer: out.access }), 204, 'jwt: logout')
  expect(await out.client.get('/jwt/api/me', { bearer: out.access }), 401, 'jwt: the logged-out access token (deny:jti)', 'token_revoked')
  const [d1, d2] = [await jwtLogin(app, alice), await jwtLogin(app, alice)]
  const jwtDevices = await d1.client.get('/jwt/devices', { bearer: d1.access })
  expect(jwtDevices, 200, 'jwt: devices (the families in one MGET)')
  t.equal(jwtDevices.body.length, 2, 'jwt: both logins listed')
  expect(await d1.client.delete(`/jwt/devices/${decodeJwt(d2.access).payload.sid as string}`, { bearer: d1.access }), 204, 'jwt: end another device')
  expect(await d2.client.post('/jwt/refresh', { refresh_token: d2.refresh }), 401, 'jwt: the ended device\'s refresh', 'invalid_refresh_token')
  const jwtRoot = await jwtLogin(app, admin)
  expect(await jwtRoot.client.post('/admin/users/alice/revoke', undefined, { bearer: jwtRoot.access }), 200, 'jwt: revoke-all')
  expect(await d1.client.get('/jwt/api/me', { bearer: d1.access }), 401, 'jwt: revoked-before', 'token_revoked')
  const b = await jwtLogin(app, bob)
  expect(await jwtRoot.client.post('/admin/users/bob/disable', undefined, { bearer: jwtRoot.access }), 200, 'jwt: disable')
  expect(await b.client.post('/jwt/refresh', { refresh_token: b.refresh }), 401, 'jwt: a disabled account\'s refresh')
  expect(await jwtRoot.client.post('/admin/users/bob/enable', undefined, { bearer: jwtRoot.access }), 200, 'jwt: enable')
  expect(await jwtRoot.client.post('/admin/users/bob/password', { password: 'bob-new-password' }, { bearer: jwtRoot.access }), 200, 'jwt: password change')
  expect(await app.client().post('/jwt/login', { ...bob, transport: 'body' }), 401, 'jwt: the old password', 'invalid_credentials')

  // JWT, version mode.
  const v = await jwtLogin(version, alice)
  const vRoot = await jwtLogin(version, admin)
  expect(await v.client.get('/jwt/api/me', { bearer: v.access }), 200, 'version: me')
  expect(await vRoot.client.post('/admin/users/alice/role', { role: 'admin' }, { bearer: vRoot.access }), 200, 'version: role change')
  expect(await v.client.get('/jwt/api/me', { bearer: v.access }), 401, 'version: the older token', 'token_revoked')
  const vNext = await v.client.post('/jwt/refresh', { refresh_token: v.refresh })
  expect(vNext, 200, 'version: refresh')
  expect(await v.client.get('/jwt/api/admin', { bearer: vNext.body.access_token }), 200, 'version: the new role')

  // The login limit's counters (@fastify/rate-limit's script on the app's Cluster client).
  const wrong = { username: 'alice', password: 'wrong-password' }
  const guesser = limited.client()
  expect(await guesser.post('/session/login', wrong), 401, 'login limit: first wrong password', 'invalid_credentials')
  expect(await guesser.post('/jwt/login', wrong), 401, 'login limit: second wrong password', 'invalid_credentials')
  expect(await guesser.post('/session/login', alice), 429, 'login limit: over the limit', 'too_many_attempts')
  expect(await limited.client().post('/session/login', admin), 200, 'login limit: another user')

  // connect-redis (the benchmark's plugin-defaults reference) on the Cluster client.
  const p = await sessionLogin(plugin, alice)
  expect(await p.get('/session/api/me'), 200, 'connect-redis: me')
  expect(await p.post('/session/logout'), 204, 'connect-redis: logout')
  expect(await p.get('/session/api/me'), 401, 'connect-redis: logged out')

  const stats = await Promise.all(masters.map(async m => await info(m, 'errorstats')))
  stats.forEach((s, i) => {
    t.equal(s.get('errorstat_CROSSSLOT'), undefined, `master ${i}: never answered CROSSSLOT (errors seen: ${[...s.keys()].join(', ') || 'none'})`)
  })
  const commands = await Promise.all(masters.map(async m => await info(m, 'commandstats')))
  commands.forEach((s, i) => { t.ok(callsOf(s, 'evalsha') + callsOf(s, 'eval') + callsOf(s, 'get') > 0, `master ${i} served part of the keys`) })

  // The hot path: one denylist check per request, one MGET on the master of the user's tag.
  const hot = await jwtLogin(app, admin)
  await Promise.all(masters.map(async m => await m.config('RESETSTAT')))
  const N = 20
  for (let i = 0; i < N; i++) {
    const r = await hot.client.get('/jwt/api/me', { bearer: hot.access })
    t.equal(r.status, 200)
    t.equal(r.headers.get('x-auth-store-ops'), '1')
  }
  const mgets = await Promise.all(masters.map(async m => callsOf(await info(m, 'commandstats'), 'mget')))
  const owner = await ownerIndex(cluster, masters[0]!, `${app.config.keyPrefix}revoked-before:{${decodeJwt(hot.access).payload.sub as string}}`)
  t.same(mgets, masters.map((_m, i) => i === owner ? N : 0), `${N} requests: ${N} MGETs, all on master ${owner}, the one holding the user's tag (MGETs per master: ${mgets.join(', ')})`)
})

interface Probe {
  what: string
  /** Index of the master holding the request's keys. */
  owner: number
  send: () => Promise<Reply>
}

clusterTest('one master stopped: 503 for the keys it holds, 200 for the others; back without a restart', async t => {
  const watched = watchProcess(t)
  // Full coverage not required: the other masters keep serving their slots even once this one is marked failed.
  const cluster = await startRedisCluster({ requireFullCoverage: false, nodeTimeoutMs: 2000 })
  t.teardown(async () => { await cluster.dispose() })
  const [via] = masterClients(t, cluster)
  const env = { STORE: 'redis', REDIS_CLUSTER_NODES: cluster.nodes }
  const app = await startApp(t, { ...env, JWT_REVOCATION: 'denylist' })
  const version = await startApp(t, { ...env, AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'version' })
  const prefix = app.config.keyPrefix
  const down = 0

  // Sessions until some live on the master to stop and some elsewhere (each session id is its own tag).
  const probes: Probe[] = []
  const spread = (): boolean => probes.some(p => p.owner === down) && probes.some(p => p.owner !== down)
  for (let i = 0; i < 40 && (!spread() || probes.length < 6); i++) {
    const c = await sessionLogin(app, i % 2 === 0 ? alice : bob)
    const owner = await ownerIndex(cluster, via!, `${prefix}sess:{${sessionIdOf(c)}}`)
    probes.push({ what: `session on master ${owner}`, owner, send: async () => await c.get('/session/api/me') })
  }
  for (const who of [alice, bob, admin]) {
    const l = await jwtLogin(app, who)
    const sub = decodeJwt(l.access).payload.sub as string
    const owner = await ownerIndex(cluster, via!, `${prefix}revoked-before:{${sub}}`)
    probes.push({ what: `jwt denylist (${who.username}'s tag on master ${owner})`, owner, send: async () => await l.client.get('/jwt/api/me', { bearer: l.access }) })
    // Version mode reads the user record, `user:<id>` (untagged: its own slot); each app has its own users.
    const v = await jwtLogin(version, who)
    const vOwner = await ownerIndex(cluster, via!, `${version.config.keyPrefix}user:${decodeJwt(v.access).payload.sub as string}`)
    probes.push({ what: `jwt version (${who.username}'s record on master ${vOwner})`, owner: vOwner, send: async () => await v.client.get('/jwt/api/me', { bearer: v.access }) })
  }
  for (const p of probes) t.equal((await p.send()).status, 200, `before: ${p.what}`)
  t.ok(probes.some(p => p.owner === down) && probes.some(p => p.owner !== down), 'some requests depend on the master to stop, some do not')

  await cluster.stop(down)
  const outage: Array<{ probe: Probe, reply: Reply, ms: number }> = []
  for (const probe of probes) {
    const start = Date.now()
    outage.push({ probe, reply: await probe.send(), ms: Date.now() - start })
  }
  const slowest = (status: number): number => Math.max(0, ...outage.filter(o => o.reply.status === status).map(o => o.ms))
  t.comment(`master ${down} down: slowest 503 ${slowest(503)} ms, slowest 200 ${slowest(200)} ms`)
  const ready = await app.client().get('/ready')
  t.equal(ready.status, 503, '/ready: 503 while a master is down')
  t.equal(ready.body.error, 'store_unavailable')
  t.equal((await app.client().get('/health')).status, 200, '/health: the process is alive')
  for (const { probe, reply } of outage) {
    if (probe.owner === down) {
      t.equal(reply.status, 503, `down: ${probe.what}: 503`)
      t.equal(reply.body?.error, 'store_unavailable', `down: ${probe.what}: store_unavailable`)
    } else {
      t.equal(reply.status, 200, `down: ${probe.what}: 200 (its keys are on a master that is up)`)
    }
  }
  const logins = await Promise.all(Array.from({ length: 6 }, async (_x, i) => await app.client().post('/session/login', i % 2 === 0 ? alice : bob)))
  t.same(logins.filter(r => ![200, 503].includes(r.status)), [], `down: logins answer 200 or 503 (${logins.map(r => r.status).join(', ')})`)

  await cluster.restart(down)
  // Each app has a Cluster client of its own: both find the master again by themselves.
  for (const [name, a] of [['app', app], ['version app', version]] as const) {
    t.ok(await waitFor(async () => (await a.client().get('/ready')).status === 200, 20_000, 100), `${name}: /ready 200 again once the master is back, without a restart`)
  }
  for (const probe of probes) {
    const r = await probe.send()
    if (probe.owner !== down) {
      t.equal(r.status, 200, `back: ${probe.what}: 200`)
    } else {
      // Its data is gone (this test's masters keep nothing on disk): a clear 401 or, for the denylist
      // whose marks were lost, a 200; never a 5xx.
      t.ok([200, 401].includes(r.status), `back: ${probe.what}: ${r.status} ${String(r.body?.error ?? '')} (the master restarted empty)`)
    }
  }
  t.equal((await app.client().post('/session/login', alice)).status, 200, 'back: a new login')
  t.same(watched.problems, [], 'no uncaught exception or unhandled rejection')
})

clusterTest('Redis\' default, full coverage: once a master is marked failed every stateful request is 503, never 500', async t => {
  const cluster = await startRedisCluster({ nodeTimeoutMs: 1000 })
  t.teardown(async () => { await cluster.dispose() })
  const clients = masterClients(t, cluster)
  const app = await startApp(t, { STORE: 'redis', REDIS_CLUSTER_NODES: cluster.nodes, JWT_REVOCATION: 'denylist' })
  // connect-redis hands ioredis's own errors (CLUSTERDOWN) to @fastify/session: the error handler maps them.
  const plugin = await startApp(t, { STORE: 'redis', REDIS_CLUSTER_NODES: cluster.nodes, AUTH_STRATEGIES: 'session', SESSION_REDIS_STORE: 'connect-redis' })
  const pluginSession = await sessionLogin(plugin, alice)
  const down = 0
  const probes: Probe[] = []
  for (let i = 0; i < 40 && !probes.some(p => p.owner !== down); i++) {
    const c = await sessionLogin(app, alice)
    const owner = await ownerIndex(cluster, clients[1]!, `${app.config.keyPrefix}sess:{${sessionIdOf(c)}}`)
    probes.push({ what: `session on master ${owner}`, owner, send: async () => await c.get('/session/api/me') })
  }
  const alive = probes.filter(p => p.owner !== down)
  t.ok(alive.length > 0, 'a session whose keys live on a master that stays up')

  await cluster.stop(down)
  const failed = await waitFor(async () => /^cluster_state:fail/m.test(await clients[1]!.cluster('INFO').catch(() => '')), 20_000, 100)
  t.ok(failed, 'the other masters mark the cluster failed')
  for (const probe of alive) {
    const r = await probe.send()
    t.equal(r.status, 503, `cluster down: ${probe.what}: 503, though its master is up (CLUSTERDOWN)`)
    t.equal(r.body?.error, 'store_unavailable')
  }
  t.equal((await app.client().get('/ready')).status, 503, '/ready: 503')
  const viaPlugin = await pluginSession.get('/session/api/me')
  t.equal(viaPlugin.status, 503, 'cluster down: a connect-redis session: 503')
  t.equal(viaPlugin.body?.error, 'store_unavailable')
  const login = await app.client().post('/session/login', alice)
  t.equal(login.status, 503, 'a login: 503')

  await cluster.restart(down)
  t.ok(await waitFor(async () => (await app.client().get('/ready')).status === 200, 30_000, 100), '/ready: 200 again, without a restart')
  for (const probe of alive) t.equal((await probe.send()).status, 200, `back: ${probe.what}: 200`)
  // Each app has a Cluster client of its own, which finds the master again on its own schedule.
  t.ok(await waitFor(async () => (await plugin.client().get('/ready')).status === 200, 30_000, 100), 'connect-redis app: /ready 200 again')
  const again = await pluginSession.get('/session/api/me')
  t.ok([200, 401].includes(again.status), `back: the connect-redis session answers again (${again.status})`)
})

/**
 * A session's record and its user's index may live on different masters, so one can fail while the
 * other answers. Injected store errors (one call, on the memory store) stand in for the master that is
 * down; the order of the writes decides what is left.
 */
t.test('partial failures: a session is never left alive outside its user\'s index', async t => {
  t.test('ending a session: the record goes first, so a failed end leaves it indexed and revoke-all still ends it', async t => {
    const s = await startApp(t, { AUTH_STRATEGIES: 'session' })
    const root = await sessionLogin(s, admin)
    const laptop = await sessionLogin(s, alice)
    const phone = await sessionLogin(s, alice)
    const record = SESSION_KEYS.session(sessionIdOf(phone))
    const device = (await laptop.get('/session/devices')).body.find((d: { current: boolean }) => !d.current)
    failOnce(t, s, 'del', key => key === record)
    const removal = await laptop.delete(`/session/devices/${device.id as string}`)
    t.equal(removal.status, 503, 'ending the other device fails: its record\'s master is down')
    t.equal(removal.body.error, 'store_unavailable')
    t.equal((await root.post('/admin/users/alice/revoke')).status, 200)
    const me = await phone.get('/session/api/me')
    t.equal(me.status, 401, 'revoke-all found the session in the index and ended it')
    t.equal(me.body.error, 'session_revoked')
  })

  t.test('a login whose index write fails deletes its new record again', async t => {
    const s = await startApp(t, { AUTH_STRATEGIES: 'session' })
    const store = s.app.svj.store as MemoryKvStore
    await sessionLogin(s, alice) // the user records exist from here on
    const before = store.size
    failOnce(t, s, 'setAdd', key => key.startsWith('user-sessions:'))
    const login = await s.client().post('/session/login', alice)
    t.equal(login.status, 503, 'the login fails: the index\'s master is down')
    t.equal(store.size, before, 'no session record was left behind (none outside the index)')
  })
})

/** The next call of `method` on a key `match` accepts fails as an unreachable store would. */
function failOnce (t: Test, s: TestApp, method: 'del' | 'setAdd', match: (key: string) => boolean): void {
  const store = s.app.svj.store
  const real = (store[method] as (...args: unknown[]) => Promise<unknown>).bind(store)
  let left = 1
  Object.defineProperty(store, method, {
    configurable: true,
    writable: true,
    value: async (...args: unknown[]): Promise<unknown> => {
      if (left > 0 && match(args[0] as string)) {
        left--
        throw new StoreUnavailableError(new Error('injected: this key\'s master is down'))
      }
      return await real(...args)
    }
  })
  t.teardown(() => { delete (store as unknown as Record<string, unknown>)[method] })
}
