import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { jwkThumbprint, secretKid } from '../src/strategies/jwt/jwt-keys.js'
import { forEachStore, startApp } from './helpers/app.js'
import { alice, decodeJwt, jwtLogin, makeVerifier, TEST_JWT_SECRET } from './helpers/jwt.js'

t.test('kid is the RFC 7638 thumbprint (RFC 8037 A.3 test vector)', async t => {
  t.equal(jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }), 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k')
})

t.test('an HS256 kid is the RFC 7638 thumbprint of the secret as an oct JWK', async t => {
  const secret = 'test-jwt-secret-test-jwt-secret-test-jwt'
  const k = Buffer.from(secret).toString('base64url')
  const expected = createHash('sha256').update(`{"k":"${k}","kty":"oct"}`).digest('base64url')
  t.equal(secretKid(secret), expected)
})

forEachStore(t, async (t, store) => {
  for (const [alg, kty, crv] of [['EdDSA', 'OKP', 'Ed25519'], ['ES256', 'EC', 'P-256']] as const) {
    t.test(`JWT_ALG=${alg}: tokens, JWKS, verification by another service`, async t => {
      const s = await startApp(t, { STORE: store, AUTH_STRATEGIES: 'jwt', JWT_ALG: alg })
      const l = await jwtLogin(s, alice, 'cookie')
      const { header, payload } = decodeJwt(l.access)
      t.match(header, { alg, typ: 'at+jwt', kid: String })

      const jwks = await s.client().get('/jwt/.well-known/jwks.json')
      t.equal(jwks.status, 200)
      t.match(jwks.headers.get('cache-control'), /public/)
      t.equal(jwks.body.keys.length, 1)
      const jwk = jwks.body.keys[0]
      t.match(jwk, { kty, crv, alg, use: 'sig', kid: header.kid })
      t.equal(jwk.kid, jwkThumbprint(jwk), 'kid is the thumbprint of the published key')
      t.notOk('d' in jwk, 'no private key material in the JWKS')

      // Another service with only the JWKS verifies the token (no shared secret).
      const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string
      const verify = await makeVerifier(t, { secret: { public: pem }, verify: { algorithms: [alg], allowedIss: 'session-vs-jwt', allowedAud: 'session-vs-jwt-api' } })
      t.equal(verify(l.access).sub, payload.sub)

      const me = await l.client.get('/jwt/api/me', { bearer: l.access })
      t.equal(me.status, 200)
      t.equal(me.body.username, 'alice')
      const refreshed = await l.client.post('/jwt/refresh')
      t.equal(refreshed.status, 200)
      t.equal(decodeJwt(refreshed.body.access_token).header.kid, header.kid, 'stable kid')
    })
  }
})

t.test('HS256 has no public key set: JWKS is a JSON 404', async t => {
  const s = await startApp(t, { AUTH_STRATEGIES: 'jwt' })
  const r = await s.client().get('/jwt/.well-known/jwks.json')
  t.equal(r.status, 404)
  t.equal(r.body.error, 'not_found')
  // The kid names the secret (for rotation) without revealing it: the RFC 7638 thumbprint of its oct JWK.
  t.equal(decodeJwt((await jwtLogin(s, alice)).access).header.kid, secretKid(TEST_JWT_SECRET), 'the kid of the shared secret')
})

t.test('key files: generated when absent, reused across restarts, checked when present', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'svj-keys-'))
  const priv = join(dir, 'jwt.key')
  const pub = join(dir, 'jwt.pub')
  const env = { AUTH_STRATEGIES: 'jwt', JWT_ALG: 'EdDSA', JWT_PRIVATE_KEY_FILE: priv, JWT_PUBLIC_KEY_FILE: pub }

  const first = await startApp(t, env)
  t.ok(existsSync(priv) && existsSync(pub), 'both files written')
  t.equal(statSync(priv).mode & 0o777, 0o600, 'private key readable by the owner only')
  t.match(first.config.warnings.join('\n'), /generated a new EdDSA key/)
  const token = (await jwtLogin(first, alice)).access
  const kid = decodeJwt(token).header.kid
  await first.close()

  const second = await startApp(t, env)
  t.equal((await second.client().get('/jwt/.well-known/jwks.json')).body.keys[0].kid, kid, 'same key, same kid after a restart')
  t.equal((await second.client().get('/jwt/api/me', { bearer: token })).status, 200, 'tokens survive the restart')
  await second.close()

  const other = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' })
  const otherPub = join(dir, 'other.pub')
  writeFileSync(otherPub, other)
  await t.rejects(startApp(t, { ...env, JWT_PUBLIC_KEY_FILE: otherPub }), /JWT_PUBLIC_KEY_FILE: expected the public half/, 'a mismatched public key stops startup')

  const ecKey = join(dir, 'ec.key')
  writeFileSync(ecKey, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }))
  await t.rejects(startApp(t, { ...env, JWT_PRIVATE_KEY_FILE: ecKey, JWT_PUBLIC_KEY_FILE: '' }), /JWT_PRIVATE_KEY_FILE: expected an Ed25519 key/, 'wrong key type for the algorithm')
  await t.rejects(startApp(t, { ...env, JWT_PRIVATE_KEY_FILE: join(dir, 'missing.key') }), /JWT_PRIVATE_KEY_FILE: expected the private key matching/, 'a public key without its private key')
  const garbage = join(dir, 'garbage.key')
  writeFileSync(garbage, 'not a key')
  await t.rejects(startApp(t, { ...env, JWT_PRIVATE_KEY_FILE: garbage, JWT_PUBLIC_KEY_FILE: '' }), /JWT_PRIVATE_KEY_FILE: expected a readable PEM/)
  t.equal(readFileSync(priv, 'utf8').includes('PRIVATE KEY'), true)

  const memoryOnly = await startApp(t, { AUTH_STRATEGIES: 'jwt', JWT_ALG: 'ES256' })
  t.match(memoryOnly.config.warnings.join('\n'), /JWT_PRIVATE_KEY_FILE is not set/, 'an in-memory key is announced')
})
