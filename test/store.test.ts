import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import t from 'tap'
import { MemoryKvStore, RedisKvStore, StoreUnavailableError, type KvStore } from '../src/stores/index.js'
import { CrossSlotKeys, hashTag, sameSlot } from '../src/stores/kv-store.js'
import { redisTest, waitFor } from './helpers/app.js'
import { clusterSkip, deleteClusterKeys, deleteKeys, testClusterNodes, testRedisUrl } from './helpers/redis.js'

/** One contract, run against every implementation (memory, Redis, Redis Cluster): they must be interchangeable. */
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

t.test('redis cluster store reports unreachable nodes as StoreUnavailableError', async t => {
  await t.rejects(RedisKvStore.connect({ clusterNodes: [{ host: '127.0.0.1', port: 1 }], prefix: 'x:', connectTimeoutMs: 500 }), StoreUnavailableError)
})
