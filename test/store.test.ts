import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import t from 'tap'
import pg from 'pg'
import { MemoryKvStore, PostgresKvStore, RedisKvStore, StoreUnavailableError, type KvStore } from '../src/stores/index.js'
import { CrossSlotKeys, hashTag, sameSlot } from '../src/stores/kv-store.js'
import { prefixedStore } from '../src/stores/prefixed-store.js'
import { namespaceOf } from '../src/stores/postgres-store.js'
import { MIGRATIONS } from '../src/stores/postgres-schema.js'
import { postgresTest, redisTest, waitFor } from './helpers/app.js'
import { dropSchema, ownSchema, testPostgresUrl } from './helpers/postgres.js'
import { clusterSkip, deleteClusterKeys, deleteKeys, testClusterNodes, testRedisUrl } from './helpers/redis.js'

/** One contract, run against every implementation (memory, Redis, Redis Cluster, PostgreSQL): they must be interchangeable. */
async function contract (t: Test, store: KvStore): Promise<void> {
  t.equal(await store.get('a'), null)
  await store.set('a', '1')
  t.equal(await store.get('a'), '1')
  t.equal(await store.ttl('a'), -1, 'no expiry')
  t.equal(await store.ttl('missing'), -2)
  t.same(await store.getMany(['a', 'missing', 'a']), ['1', null, '1'])
  t.same(await store.getMany([]), [])

  await store.set('short', 'x', 60)
  t.equal(await store.get('short'), 'x')
  t.ok(await waitFor(async () => await store.get('short') === null, 2000, 10), 'expires')

  await store.set('ttl', 'x', 10_000)
  const ttl = await store.ttl('ttl')
  t.ok(ttl > 9000 && ttl <= 10_000, `ttl ${ttl}`)

  t.equal(await store.setIfAbsent('nx', 'first'), true)
  t.equal(await store.setIfAbsent('nx', 'second'), false)
  t.equal(await store.get('nx'), 'first')

  t.equal(await store.swap('cas', 'x', 'y'), false, 'swap on a missing key fails')
  await store.set('cas', 'v1')
  t.equal(await store.swap('cas', 'other', 'v2'), false)
  t.equal(await store.swap('cas', 'v1', 'v2', 5000), true)
  t.equal(await store.get('cas'), 'v2')
  t.ok(await store.ttl('cas') > 0, 'swap sets the ttl')
  const races = await Promise.all(Array.from({ length: 20 }, async (_, i) => await store.swap('cas', 'v2', `w${i}`)))
  t.equal(races.filter(Boolean).length, 1, 'exactly one concurrent swap wins')
  const winner = await store.get('cas')
  t.equal(await store.swap('cas', winner!, null), true)
  t.equal(await store.get('cas'), null, 'swap to null deletes')

  t.equal(await store.setIfCurrent('{cur}', 'r1', 'r2'), 'missing', 'setIfCurrent never creates a key')
  t.equal(await store.get('{cur}'), null, 'still absent after the refused write')
  await store.set('{cur}', 'r1:data')
  t.equal(await store.setIfCurrent('{cur}', 'r0', 'r0:x'), 'changed', 'a stale prefix is refused')
  t.equal(await store.get('{cur}'), 'r1:data')
  t.equal(await store.setIfCurrent('{cur}', 'r1', 'r2:data', 5000), 'written')
  t.equal(await store.get('{cur}'), 'r2:data')
  t.ok(await store.ttl('{cur}') > 0, 'setIfCurrent sets the ttl')
  t.equal(await store.setIfCurrent('{cur}', 'r2', 'r3:data', undefined, 'end:{cur}'), 'written', 'an absent guard key does not block')
  await store.set('end:{cur}', 'revoked')
  t.equal(await store.setIfCurrent('{cur}', 'r3', 'r4:data', undefined, 'end:{cur}'), 'blocked', 'an existing guard key blocks the write')
  t.equal(await store.get('{cur}'), 'r3:data')
  const updates = await Promise.all(Array.from({ length: 20 }, async (_, i) => await store.setIfCurrent('{cur}', 'r3', `r4:${i}`)))
  t.equal(updates.filter(u => u === 'written').length, 1, 'exactly one concurrent conditional update wins')
  t.equal(updates.filter(u => u === 'changed').length, 19, 'the others see the newer value')
  await store.del('{cur}')
  t.equal(await store.setIfCurrent('{cur}', 'r4', 'r5:data'), 'missing', 'a deleted key is not re-created')
  t.equal(await store.get('{cur}'), null)

  t.equal(await store.del('a', 'nx', 'missing'), 2)
  t.equal(await store.del(), 0)

  // Keys of several hash tags, and untagged ones, in one call (on a Cluster: several slots).
  await Promise.all(['{u1}:a', '{u1}:b', '{u2}:a', 'plain'].map(async (k, i) => { await store.set(k, `v${i}`) }))
  t.same(await store.getMany(['{u1}:a', 'plain', '{u2}:a', 'none', '{u1}:b', '{u1}:a']), ['v0', 'v3', 'v2', null, 'v1', 'v0'], 'getMany across tags keeps the order')
  t.equal(await store.del('{u1}:a', '{u1}:b', '{u2}:a', 'plain', 'none', '{u1}:a'), 4, 'del across tags counts each deleted key once')
  t.same(await store.getMany(['{u1}:a', '{u2}:a', 'plain']), [null, null, null])

  // A guard key of another slot is a bug in the key layout: refused on every store, before any write.
  await store.set('{g}', 'r1:x')
  await t.rejects(store.setIfCurrent('{g}', 'r1', 'r2:x', undefined, 'end:{other}'), CrossSlotKeys)
  await t.rejects(store.setIfCurrent('g', 'r1', 'r2:x', undefined, 'g-end'), CrossSlotKeys, 'untagged keys are never assumed to share a slot')
  t.equal(await store.get('{g}'), 'r1:x', 'nothing written')
  await store.del('{g}')

  await store.setAdd('set', 'm1', 10_000)
  await store.setAdd('set', 'm2', 1_000)
  await store.setAdd('set', 'm2')
  t.same((await store.setMembers('set')).sort(), ['m1', 'm2'])
  t.ok(await store.ttl('set') > 9000, 'a shorter ttl never shortens the set')
  await store.setAdd('set', 'm3', 20_000)
  t.ok(await store.ttl('set') > 19_000, 'a longer ttl extends it')
  await store.setRemove('set', 'm1', 'm3', 'absent')
  t.same(await store.setMembers('set'), ['m2'])
  await store.setRemove('set', 'm2')
  t.same(await store.setMembers('set'), [])
  t.equal(await store.ttl('set'), -2, 'an empty set is gone')
  t.same(await store.setMembers('never'), [])
  await store.ping()
}

t.test('memory store', async t => {
  const store = new MemoryKvStore('p:')
  t.teardown(async () => { await store.close() })
  await contract(t, store)
})

t.test('memory store purges expired entries (no unbounded growth)', async t => {
  const store = new MemoryKvStore()
  t.teardown(async () => { await store.close() })
  for (let i = 0; i < 1000; i++) await store.set(`k${i}`, 'v', 1)
  await store.set('keep', 'v')
  await new Promise(resolve => setTimeout(resolve, 5)) // let the 1 ms entries lapse
  store.sweep()
  t.equal(store.size, 1, 'only the live entry remains')
})

redisTest(t, 'redis store', async t => {
  const url = await testRedisUrl()
  const prefix = `test:${randomBytes(6).toString('hex')}:`
  const store = await RedisKvStore.connect({ url, prefix })
  t.teardown(async () => { await store.close(); await deleteKeys(url, prefix) })
  await contract(t, store)
})

t.test('redis cluster store', { skip: clusterSkip() }, async t => {
  const nodes = await testClusterNodes()
  const prefix = `test:${randomBytes(6).toString('hex')}:`
  const store = await RedisKvStore.connect({ clusterNodes: nodes.split(',').map(n => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })), prefix })
  t.teardown(async () => { await store.close(); await deleteClusterKeys(nodes, prefix) })
  t.ok(store.cluster, 'a Cluster client')
  await contract(t, store)
})

t.test('hash tags: the part of a key Redis Cluster hashes', async t => {
  t.equal(hashTag('svj:sess:{abc}'), 'abc')
  t.equal(hashTag('svj:fam:{u_1}:f'), 'u_1')
  t.equal(hashTag('rt:abc'), null)
  t.equal(hashTag('a{}b{c}'), null, 'an empty first tag: the whole key is hashed')
  t.equal(hashTag('a{b'), null)
  t.ok(sameSlot('sess:{x}', 'sess-end:{x}'))
  t.ok(sameSlot('k', 'k'))
  t.notOk(sameSlot('sess:{x}', 'sess-end:{y}'))
})

t.test('redis store reports an unreachable server as StoreUnavailableError', async t => {
  await t.rejects(RedisKvStore.connect({ url: 'redis://127.0.0.1:1', prefix: 'x:', connectTimeoutMs: 500 }), StoreUnavailableError)
})

/** A PostgreSQL store in a schema of the test's own (dropped at teardown). */
async function postgresStore (t: Test, options: { cleanupIntervalMs?: number, schema?: string } = {}): Promise<{ store: PostgresKvStore, url: string, schema: string }> {
  const url = testPostgresUrl()
  const schema = options.schema ?? ownSchema()
  const store = await PostgresKvStore.connect({ url, schema, prefix: 'p:', cleanupIntervalMs: options.cleanupIntervalMs ?? 0 })
  t.teardown(async () => { await store.close(); await dropSchema(url, schema) })
  return { store, url, schema }
}

/** A plain connection to look at the tables behind the store. */
async function sql (t: Test, url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  t.teardown(async () => { await client.end() })
  return client
}

postgresTest(t, 'postgres store', async t => {
  const { store } = await postgresStore(t)
  await contract(t, store)
})

postgresTest(t, 'postgres store: the same contract under a further mount\'s <name>: prefix and on the typed tables', async t => {
  const { store } = await postgresStore(t)
  // The contract's keys have no known namespace (the generic tables); the strategies' do.
  await contract(t, prefixedStore(store, 'jwt-denylist:sess:'))
  await contract(t, prefixedStore(store, 'user-sessions:'))
})

postgresTest(t, 'postgres store: each key namespace has its own table, a further mount\'s keys included', async t => {
  const { store, url, schema } = await postgresStore(t)
  const client = await sql(t, url)
  const rows = async (table: string): Promise<string[]> => (await client.query<{ key: string }>(`SELECT key FROM "${schema}".${table} ORDER BY key`)).rows.map(r => r.key)
  await store.set('user:u1', '{}')
  await store.set('username:alice', 'u1')
  await store.set('sess:s1', 'r1:{}', 60_000)
  await store.set('sess-end:s0', 'revoked', 60_000)
  await store.set('rt:abc', '{}', 60_000)
  await store.set('fam:f1', '{}', 60_000)
  await store.set('jwt-denylist:fam:f2', '{}', 60_000)
  await store.set('deny:j1', '1', 60_000)
  await store.set('deny-sid:f1', '1', 60_000)
  await store.set('revoked-before:u1', '3', 60_000)
  await store.set('login-limit-round:alice', 'x', 60_000)
  await store.set('other:thing', 'x')
  await store.setAdd('user-sessions:u1', 's1', 60_000)
  await store.setAdd('user-families:u1', 'f1', 60_000)
  await store.setAdd('jwt-denylist:user-families:u1', 'f2', 60_000)
  await store.setAdd('misc-set', 'm', 60_000)
  t.same(await rows('users'), ['p:user:u1'])
  t.same(await rows('usernames'), ['p:username:alice'])
  t.same(await rows('sessions'), ['p:sess:s1'])
  t.same(await rows('session_ends'), ['p:sess-end:s0'])
  t.same(await rows('refresh_tokens'), ['p:rt:abc'])
  t.same(await rows('refresh_families'), ['p:fam:f1', 'p:jwt-denylist:fam:f2'])
  t.same(await rows('denylist'), ['p:deny-sid:f1', 'p:deny:j1', 'p:revoked-before:u1'])
  t.same(await rows('login_limit_rounds'), ['p:login-limit-round:alice'])
  t.same(await rows('kv'), ['p:other:thing'])
  t.same(await rows('user_sessions'), ['p:user-sessions:u1'])
  t.same(await rows('user_families'), ['p:jwt-denylist:user-families:u1', 'p:user-families:u1'])
  t.same(await rows('kv_sets'), ['p:misc-set'])
  t.same(await store.getMany(['user:u1', 'sess:s1', 'jwt-denylist:fam:f2', 'other:thing', 'nope']), ['{}', 'r1:{}', '{}', 'x', null], 'getMany reads across tables in one query')
  t.equal(await store.del('user:u1', 'sess:s1', 'user-sessions:u1', 'other:thing', 'misc-set', 'nope'), 5, 'del spans tables (sets included)')
  t.same(await rows('users'), [])
  t.same(await rows('user_sessions'), [])
  t.equal(await store.setIfCurrent('sess:{s1}', 'r1', 'r2:{}', undefined, 'sess-end:{s1}'), 'missing', 'the session key and its end marker share their tag, as the strategies write them')

  t.equal(namespaceOf('sess:abc'), 'sess:')
  t.equal(namespaceOf('jwt-denylist:rt:abc'), 'rt:')
  t.equal(namespaceOf('user:u_a:b'), 'user:', 'an id may hold a colon')
  t.equal(namespaceOf('Not A Mount:rt:x'), undefined, 'only a mount name (lower case, digits, dashes) may come first')
  t.equal(namespaceOf('plain'), undefined)
})

postgresTest(t, 'postgres store: expired rows are invisible at once and swept by the cleanup', async t => {
  const { store, url, schema } = await postgresStore(t)
  const client = await sql(t, url)
  const count = async (table: string): Promise<number> => Number((await client.query(`SELECT count(*) AS n FROM "${schema}".${table}`)).rows[0].n)
  for (let i = 0; i < 50; i++) await store.set(`sess:s${i}`, 'v', 1)
  await store.setAdd('user-sessions:u', 'gone', 1)
  await store.set('sess:keep', 'v')
  await store.setAdd('user-sessions:keep', 'm', 60_000)
  t.ok(await waitFor(async () => await store.get('sess:s49') === null, 2000, 10), 'an expired row reads as missing')
  await waitFor(async () => (await store.setMembers('user-sessions:u')).length === 0, 2000, 10)
  t.equal(await count('sessions'), 51, 'still on disk until the cleanup runs')
  t.equal(await store.setIfAbsent('sess:s0', 'again'), true, 'an expired row counts as absent')
  t.equal(await store.swap('sess:s1', 'v', 'w'), false, 'an expired row cannot be swapped')
  t.equal(await store.setIfCurrent('sess:s2', 'v', 'w'), 'missing', 'nor conditionally updated')
  t.equal(await store.ttl('sess:s3'), -2)
  t.equal(await store.sweep(), 49 + 1, 'the sweep deletes every expired row (strings and set members)')
  t.equal(await count('sessions'), 2, 'the live rows stay')
  t.equal(await count('user_sessions'), 1)
  t.equal(await store.get('sess:keep'), 'v')
  t.equal(await store.get('sess:s0'), 'again')
  const { store: timed, schema: timedSchema } = await postgresStore(t, { cleanupIntervalMs: 50 })
  await timed.set('rt:x', 'v', 1)
  await timed.set('rt:live', 'v')
  const tokens = async (): Promise<number> => Number((await client.query(`SELECT count(*) AS n FROM "${timedSchema}".refresh_tokens`)).rows[0].n)
  t.ok(await waitFor(async () => await tokens() === 1, 5000, 25), 'the periodic cleanup removes expired rows by itself')
})

postgresTest(t, 'postgres store: migrations are versioned, applied once, and two instances starting together do not race', async t => {
  const url = testPostgresUrl()
  const schema = ownSchema()
  t.teardown(async () => { await dropSchema(url, schema) })
  const stores = await Promise.all(Array.from({ length: 4 }, async () => await PostgresKvStore.connect({ url, schema, prefix: 'p:', cleanupIntervalMs: 0 })))
  t.teardown(async () => { await Promise.all(stores.map(async s => { await s.close() })) })
  const client = await sql(t, url)
  const { rows } = await client.query<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`)
  t.same(rows.map(r => r.version), MIGRATIONS.map(m => m.version), 'each migration recorded once')
  await stores[0]!.set('sess:a', 'v')
  t.equal(await stores[3]!.get('sess:a'), 'v', 'every instance uses the same tables')
  // A newer server migrated this schema: this one refuses it rather than guess the layout.
  await client.query(`INSERT INTO "${schema}".schema_migrations (version, name) VALUES (9999, 'from the future')`)
  await t.rejects(PostgresKvStore.connect({ url, schema, prefix: 'p:', cleanupIntervalMs: 0 }), /newer than this server knows/)
})

postgresTest(t, 'postgres store: a hung database fails within the statement timeout (503), not never', async t => {
  const { schema } = await postgresStore(t)
  const url = testPostgresUrl()
  const store = await PostgresKvStore.connect({ url, schema, prefix: 'p:', cleanupIntervalMs: 0, statementTimeoutMs: 300 })
  t.teardown(async () => { await store.close() })
  await store.set('sess:locked', 'r1:x')
  // Another connection holds the row lock: the conditional write would wait forever without a timeout.
  const holder = await sql(t, url)
  await holder.query('BEGIN')
  await holder.query(`SELECT 1 FROM "${schema}".sessions WHERE key = 'p:sess:locked' FOR UPDATE`)
  const start = Date.now()
  await t.rejects(store.setIfCurrent('sess:locked', 'r1', 'r2:x'), StoreUnavailableError)
  t.ok(Date.now() - start < 2000, `failed after ${Date.now() - start} ms`)
  await holder.query('ROLLBACK')
  t.equal(await store.setIfCurrent('sess:locked', 'r1', 'r2:x'), 'written', 'and works once the lock is gone')
})

t.test('postgres store reports an unreachable server as StoreUnavailableError', async t => {
  await t.rejects(PostgresKvStore.connect({ url: 'postgres://postgres@127.0.0.1:1/none', schema: 'x', prefix: 'x:', connectTimeoutMs: 500 }), StoreUnavailableError)
})

t.test('redis cluster store reports unreachable nodes as StoreUnavailableError', async t => {
  await t.rejects(RedisKvStore.connect({ clusterNodes: [{ host: '127.0.0.1', port: 1 }], prefix: 'x:', connectTimeoutMs: 500 }), StoreUnavailableError)
})
