import t from 'tap'
import { Signer } from '@fastify/cookie'
import { CachedSigner } from '../src/strategies/session/cached-signer.js'

const secret = 's'.repeat(40)

t.test('answers exactly like @fastify/cookie Signer', async t => {
  const plain = new Signer(secret, 'sha256')
  const cached = new CachedSigner(secret, 3)
  for (const id of ['a', 'b', 'c', 'd', 'a', 'e', 'b']) {
    const signed = cached.sign(id)
    t.equal(signed, plain.sign(id))
    t.same(cached.unsign(signed), plain.unsign(signed))
    t.same(cached.unsign(signed), plain.unsign(signed), 'again, from the memo')
  }
  for (const bad of ['', 'a', 'a.', `${plain.sign('a')}x`, plain.sign('a').replace(/^a/, 'b'), new Signer('o'.repeat(40)).sign('a')]) {
    t.same(cached.unsign(bad), { valid: false, renew: false, value: null }, `rejects ${bad}`)
  }
})

t.test('the memo stays bounded', async t => {
  const cached = new CachedSigner(secret, 100)
  for (let i = 0; i < 1000; i++) cached.unsign(cached.sign(`id${i}`))
  const internals = cached as unknown as { idBySigned: Map<string, string>, signedById: Map<string, string> }
  t.equal(internals.idBySigned.size, 100)
  t.equal(internals.signedById.size, 100)
  t.equal(cached.unsign(cached.sign('id0')).value, 'id0', 'evicted entries are recomputed')
})

t.test('secret lists: the first signs, all verify, old signatures are renewed and not remembered', async t => {
  const oldSecret = 'o'.repeat(40)
  const cached = new CachedSigner([secret, oldSecret])
  const current = new Signer(secret, 'sha256')
  const old = new Signer(oldSecret, 'sha256')
  t.equal(cached.sign('a'), current.sign('a'), 'signs with the first secret')
  t.same(cached.unsign(old.sign('b')), { valid: true, renew: true, value: 'b' }, 'verifies with an older one, asking for renewal')
  t.equal(cached.sign('b'), current.sign('b'), 'the id is then signed with the current secret, not the old signature')
  t.same(cached.unsign(old.sign('b')), { valid: true, renew: true, value: 'b' }, 'still renew on the next request')
  t.same(cached.unsign(current.sign('b')), { valid: true, renew: false, value: 'b' })
  t.same(cached.unsign(new Signer('x'.repeat(40)).sign('c')), { valid: false, renew: false, value: null }, 'other secrets are refused')
})
