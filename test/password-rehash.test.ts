/**
 * Stored password hashes follow PASSWORD_HASH_COST: a login whose hash has another cost (or other
 * scrypt parameters) stores it again at the configured one, so the dummy hash verified for unknown
 * usernames is never slower than a real check.
 */
import { randomBytes, scryptSync } from 'node:crypto'
import t from 'tap'
import { forEachStore, redisTest, startApp, type TestApp } from './helpers/app.js'
import { alice } from './helpers/jwt.js'
import { hashPassword } from '../src/users/password.js'
import type { User } from '../src/users/user.js'

async function storedUser (s: TestApp, username: string): Promise<User> {
  const user = await s.app.svj.users.findByUsername(username)
  if (user === null) throw new Error(`no user ${username}`)
  return user
}

/** Replaces a user's stored hash behind the app's back, as an older deployment would have left it. */
async function storeHash (s: TestApp, username: string, passwordHash: string): Promise<void> {
  const user = await storedUser(s, username)
  await s.app.svj.store.set(`user:${user.id}`, JSON.stringify({ ...user, passwordHash }))
}

forEachStore(t, async (t, store) => {
  t.test('a login re-hashes a hash of another cost at the configured one', async t => {
    const s = await startApp(t, { STORE: store, PASSWORD_HASH_COST: '15' })
    const before = await storedUser(s, 'alice')
    t.match(before.passwordHash, /^scrypt\$15\$8\$1\$/, 'seeded at the configured cost')
    const holder = s.client()
    t.equal((await holder.post('/session/login', alice)).status, 200)
    await storeHash(s, 'alice', await hashPassword(alice.password, 14))

    t.equal((await s.client().post('/session/login', { ...alice, password: 'wrong-password' })).status, 401)
    t.match((await storedUser(s, 'alice')).passwordHash, /^scrypt\$14\$/, 'a wrong password changes nothing')

    t.equal((await s.client().post('/jwt/login', alice)).status, 200, 'the old hash still verifies')
    const after = await storedUser(s, 'alice')
    t.match(after.passwordHash, /^scrypt\$15\$8\$1\$/, 'and is stored again at cost 15')
    t.equal(after.version, before.version, 'version unchanged')
    t.equal(after.epoch, before.epoch, 'epoch unchanged')
    t.equal((await holder.get('/session/api/me')).status, 200, 'logins made before the re-hash carry on')
    t.equal((await s.client().post('/session/login', alice)).status, 200, 'the login keeps working')
    t.equal((await storedUser(s, 'alice')).passwordHash, after.passwordHash, 'an up-to-date hash is left alone')
    t.equal((await s.client().post('/session/login', { ...alice, password: 'wrong-password' })).status, 401, 'and still refuses a wrong password')
  })

  t.test('other scrypt block size and parallelism verify and are re-hashed too', async t => {
    const s = await startApp(t, { STORE: store, PASSWORD_HASH_COST: '14' })
    const salt = randomBytes(16)
    const key = scryptSync(alice.password, salt, 32, { N: 2 ** 14, r: 4, p: 2 })
    await storeHash(s, 'alice', ['scrypt', 14, 4, 2, salt.toString('base64url'), key.toString('base64url')].join('$'))
    t.equal((await s.client().post('/session/login', alice)).status, 200)
    t.match((await storedUser(s, 'alice')).passwordHash, /^scrypt\$14\$8\$1\$/)
    t.equal((await s.client().post('/jwt/login', alice)).status, 200)
  })
})

redisTest(t, 'Redis: a server with a higher cost upgrades the hashes a lower-cost server created', async t => {
  const keyPrefix = `test:rehash-${randomBytes(6).toString('hex')}:`
  const low = await startApp(t, { STORE: 'redis', KEY_PREFIX: keyPrefix, PASSWORD_HASH_COST: '14' })
  t.match((await storedUser(low, 'alice')).passwordHash, /^scrypt\$14\$/, 'created at cost 14')
  const high = await startApp(t, { STORE: 'redis', KEY_PREFIX: keyPrefix, PASSWORD_HASH_COST: '15' })
  t.match((await storedUser(high, 'alice')).passwordHash, /^scrypt\$14\$/, 'starting the second server keeps it')
  t.equal((await high.client().post('/session/login', alice)).status, 200)
  t.match((await storedUser(high, 'alice')).passwordHash, /^scrypt\$15\$8\$1\$/, 'the login stored it at cost 15')
  t.equal((await high.client().post('/jwt/login', alice)).status, 200, 'the login keeps working')
  t.equal((await low.client().post('/session/login', alice)).status, 200, 'on the other server too (which would set it back to 14)')
})
