import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Signer } from '@fastify/cookie'
import t, { type Test } from 'tap'
import { jwkThumbprint, secretKid } from '../src/strategies/jwt/jwt-keys.js'
import { redisTest, startApp, type TestApp } from './helpers/app.js'
import { Client } from './helpers/http.js'
import { alice, bob, decodeJwt, jwtLogin, makeSigner, segment, validClaims } from './helpers/jwt.js'

/**
 * The rotation runbook as real restarts on one store and KEY_PREFIX: (1) old secret/key only,
 * (2) new first and old still listed, (3) new only. Redis keeps logins across restarts; on the
 * memory store only stateless access tokens survive a restart, so it runs the access-token part.
 */

const secret = (): string => randomBytes(24).toString('base64url') // 32 bytes
const ISS = 'session-vs-jwt'
const AUD = 'session-vs-jwt-api'

/** Stops `previous` without deleting its store keys (a restart, not a teardown) and starts the next server. */
async function restart (t: Test, previous: TestApp | null, env: Record<string, string>): Promise<TestApp> {
  if (previous !== null) await previous.app.close()
  return await startApp(t, env)
}

/** The same browser (its cookie jar) talking to the restarted server. */
function carry (client: Client, s: TestApp): Client {
  const copy = new Client(s.url)
  for (const [k, v] of client.cookies) copy.cookies.set(k, v)
  return copy
}

const sessionId = (cookie: string): string => cookie.slice(0, cookie.lastIndexOf('.'))

redisTest(t, 'SESSION_SECRET and JWT_SECRET (HS256): A, then B,A, then B, on Redis', async t => {
  const [sA, sB, jA, jB] = [secret(), secret(), secret(), secret()]
  const base = { STORE: 'redis', KEY_PREFIX: `test:${randomBytes(6).toString('hex')}:` }

  // (1) A only: a session login and a JWT login (refresh token in a cookie).
  let s = await restart(t, null, { ...base, SESSION_SECRET: sA, JWT_SECRET: jA })
  const browser = s.client()
  t.equal((await browser.post('/session/login', alice)).status, 200)
  const cookieA = browser.cookies.get('sid') as string
  t.equal(cookieA, new Signer(sA).sign(sessionId(cookieA)), 'the session cookie is signed with A')
  const jwt = await jwtLogin(s, bob, 'cookie')
  const accessA = jwt.access
  t.equal(decodeJwt(accessA).header.kid, secretKid(jA), 'HS256 tokens carry the kid of their secret')
  t.not(secretKid(jA), secretKid(jB))
  t.notOk(String(decodeJwt(accessA).header.kid).includes(jA), 'the kid does not reveal the secret')

  // (1b) Several instances: every instance first accepts B (A still signs), so none refuses what another signs with B.
  s = await restart(t, s, { ...base, SESSION_SECRET: `${sA},${sB}`, JWT_SECRET: `${jA},${jB}` })
  const atAB = carry(browser, s)
  t.equal((await atAB.get('/session/api/me')).status, 200, 'A still signs and verifies at A,B')
  t.equal(atAB.cookies.get('sid'), cookieA, 'the A-signed cookie is left as it is')
  t.equal((await s.client().get('/jwt/api/me', { bearer: accessA })).status, 200)
  t.equal(decodeJwt((await jwtLogin(s, alice)).access).header.kid, secretKid(jA), 'A still signs tokens at A,B')
  const lagging = s

  // (2) B,A: everything issued under A still works; everything new is signed with B.
  s = await startApp(t, { ...base, SESSION_SECRET: `${sB},${sA}`, JWT_SECRET: `${jB},${jA}` })
  const oldBrowser = carry(browser, s)
  const me = await oldBrowser.get('/session/api/me')
  t.equal(me.status, 200, 'an A-signed session cookie still works')
  t.equal(me.body.username, 'alice')
  const cookieB = oldBrowser.cookies.get('sid')
  t.equal(cookieB, new Signer(sB).sign(sessionId(cookieA)), 'and comes back re-signed with B, same session')
  t.equal((await oldBrowser.get('/session/api/me')).status, 200, 'the re-signed cookie works')
  const freshBrowser = s.client()
  t.equal((await freshBrowser.post('/session/login', alice)).status, 200)
  const freshCookie = freshBrowser.cookies.get('sid') as string
  t.equal(freshCookie, new Signer(sB).sign(sessionId(freshCookie)), 'new session cookies are signed with B')

  t.equal((await s.client().get('/jwt/api/me', { bearer: accessA })).status, 200, 'an A-signed access token still works')
  const jwtClient = carry(jwt.client, s)
  const refreshed = await jwtClient.post('/jwt/refresh')
  t.equal(refreshed.status, 200, 'refresh tokens are opaque: unaffected')
  const accessB = refreshed.body.access_token as string
  t.equal(decodeJwt(accessB).header.kid, secretKid(jB), 'new access tokens are signed with B')
  t.equal((await s.client().get('/jwt/api/me', { bearer: accessB })).status, 200)

  // The instance not yet switched (A,B) accepts what B signs.
  t.equal((await carry(oldBrowser, lagging).get('/session/api/me')).status, 200, 'an instance at A,B accepts a B-signed cookie')
  t.equal((await lagging.client().get('/jwt/api/me', { bearer: accessB })).status, 200, 'an instance at A,B accepts a B-signed token')
  await lagging.app.close()

  // An attacker's kid selects nothing: a token signed with another secret naming A's kid is refused.
  const forge = await makeSigner(t, { secret: secret() })
  const forged = forge(validClaims(decodeJwt(accessA).payload), { iss: ISS, aud: AUD, expiresIn: 600, kid: secretKid(jA), header: { alg: 'HS256', typ: 'at+jwt' } })
  const refused = await s.client().get('/jwt/api/me', { bearer: forged })
  t.equal(refused.status, 401, 'a kid naming a previous secret does not make a forged signature valid')
  t.equal(refused.body.error, 'invalid_token')

  // (3) B only: A-signed credentials are refused, B-signed ones work.
  s = await restart(t, s, { ...base, SESSION_SECRET: sB, JWT_SECRET: jB })
  const stale = await carry(browser, s).get('/session/api/me')
  t.equal(stale.status, 401, 'an A-signed session cookie is refused once A is removed')
  t.equal(stale.body.error, 'invalid_credentials')
  t.equal((await carry(oldBrowser, s).get('/session/api/me')).status, 200, 'the session re-signed with B survives')
  t.equal((await carry(freshBrowser, s).get('/session/api/me')).status, 200)
  const staleToken = await s.client().get('/jwt/api/me', { bearer: accessA })
  t.equal(staleToken.status, 401, 'an A-signed access token is refused once A is removed')
  t.equal(staleToken.body.error, 'invalid_token')
  t.equal((await s.client().get('/jwt/api/me', { bearer: accessB })).status, 200)
  t.equal((await carry(jwtClient, s).post('/jwt/refresh')).status, 200, 'the refresh token still works')
})

t.test('JWT_SECRET on the memory store: access tokens across restarts', async t => {
  const [jA, jB] = [secret(), secret()]
  const base = { STORE: 'memory', AUTH_STRATEGIES: 'jwt' }
  let s = await restart(t, null, { ...base, JWT_SECRET: jA })
  const accessA = (await jwtLogin(s, alice)).access
  s = await restart(t, s, { ...base, JWT_SECRET: `${jB},${jA}` })
  t.equal((await s.client().get('/jwt/api/me', { bearer: accessA })).status, 200, 'A-signed token accepted beside B')
  const accessB = (await jwtLogin(s, alice)).access
  t.equal(decodeJwt(accessB).header.kid, secretKid(jB))
  s = await restart(t, s, { ...base, JWT_SECRET: jB })
  t.equal((await s.client().get('/jwt/api/me', { bearer: accessA })).status, 401, 'A-signed token refused without A')
  t.equal((await s.client().get('/jwt/api/me', { bearer: accessB })).status, 200)
})

t.test('a token from before kids (no kid) is verified with the current secret', async t => {
  const jA = secret()
  const s = await startApp(t, { AUTH_STRATEGIES: 'jwt', JWT_SECRET: `${jA},${secret()}` })
  const real = decodeJwt((await jwtLogin(s, alice)).access)
  const noKid = (await makeSigner(t, { secret: jA }))(validClaims(real.payload), { iss: ISS, aud: AUD, expiresIn: 600, header: { alg: 'HS256', typ: 'at+jwt' } })
  t.notOk('kid' in decodeJwt(noKid).header)
  t.equal((await s.client().get('/jwt/api/me', { bearer: noKid })).status, 200)
})

for (const [alg, generate] of [
  ['EdDSA', () => generateKeyPairSync('ed25519')],
  ['ES256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' })]
] as const) {
  redisTest(t, `JWT_ALG=${alg}: key rotation with JWT_PREVIOUS_PUBLIC_KEY_FILE, on Redis`, async t => {
    const dir = mkdtempSync(join(tmpdir(), 'svj-rotation-'))
    const files = (name: string): { key: string, pub: string, kid: string } => {
      const { privateKey, publicKey } = generate()
      const key = join(dir, `${name}.key`)
      const pub = join(dir, `${name}.pub`)
      writeFileSync(key, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
      writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }))
      return { key, pub, kid: jwkThumbprint(publicKey.export({ format: 'jwk' })) }
    }
    const A = files('a')
    const B = files('b')
    const base = { STORE: 'redis', AUTH_STRATEGIES: 'jwt', JWT_ALG: alg, KEY_PREFIX: `test:${randomBytes(6).toString('hex')}:` }
    const kids = async (s: TestApp): Promise<string[]> => (await s.client().get('/jwt/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid)

    // (1) A signs.
    let s = await restart(t, null, { ...base, JWT_PRIVATE_KEY_FILE: A.key })
    t.same(await kids(s), [A.kid])
    const login = await jwtLogin(s, alice, 'cookie')
    const accessA = login.access
    t.equal(decodeJwt(accessA).header.kid, A.kid)

    // (1b) Every instance publishes and accepts B before any instance signs with it.
    s = await restart(t, s, { ...base, JWT_PRIVATE_KEY_FILE: A.key, JWT_PREVIOUS_PUBLIC_KEY_FILE: B.pub })
    const jwks = (await s.client().get('/jwt/.well-known/jwks.json')).body.keys
    t.same(jwks.map((k: { kid: string }) => k.kid), [A.kid, B.kid], 'B is published beside A')
    t.match(jwks[1], { alg, use: 'sig', kid: B.kid })
    t.equal(jwks[1].kid, jwkThumbprint(jwks[1]), 'the previous key is published with its RFC 7638 kid')
    t.notOk('d' in jwks[1], 'no private key material')
    t.equal((await s.client().get('/jwt/api/me', { bearer: accessA })).status, 200)
    const lagging = s

    // (2) B signs, A stays published and accepted. An instance still at (1b) accepts B's tokens.
    const s2 = await startApp(t, { ...base, JWT_PRIVATE_KEY_FILE: B.key, JWT_PREVIOUS_PUBLIC_KEY_FILE: A.pub })
    t.same(await kids(s2), [B.kid, A.kid], 'B first, A beside it')
    t.equal((await s2.client().get('/jwt/api/me', { bearer: accessA })).status, 200, 'an A-signed token still works')
    const refreshed = await carry(login.client, s2).post('/jwt/refresh')
    t.equal(refreshed.status, 200)
    const accessB = refreshed.body.access_token as string
    t.equal(decodeJwt(accessB).header.kid, B.kid, 'new tokens are signed with B')
    t.equal((await s2.client().get('/jwt/api/me', { bearer: accessB })).status, 200)
    t.equal((await lagging.client().get('/jwt/api/me', { bearer: accessB })).status, 200, 'an instance not yet switched accepts B-signed tokens')

    // Alg confusion with the previous key (RFC 8725 §2.1): HS256 keyed by A's public PEM, naming A's
    // kid. fast-jwt refuses to sign with a PEM as an HMAC secret, so node:crypto makes the MAC.
    const now = Math.floor(Date.now() / 1000)
    const input = `${segment({ alg: 'HS256', typ: 'at+jwt', kid: A.kid })}.${segment({ ...validClaims(decodeJwt(accessA).payload), iss: ISS, aud: AUD, iat: now, exp: now + 600 })}`
    const confused = `${input}.${createHmac('sha256', readFileSync(A.pub, 'utf8')).update(input).digest('base64url')}`
    t.equal((await s2.client().get('/jwt/api/me', { bearer: confused })).status, 401, 'HS256 with a previous public key is refused')
    // A token signed by a third key, naming the previous key's kid.
    const C = generate()
    const stranger = (await makeSigner(t, { secret: { private: C.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, public: C.publicKey.export({ type: 'spki', format: 'pem' }) as string } }))(
      validClaims(decodeJwt(accessA).payload), { iss: ISS, aud: AUD, expiresIn: 600, kid: A.kid, header: { alg, typ: 'at+jwt' } })
    t.equal((await s2.client().get('/jwt/api/me', { bearer: stranger })).status, 401, 'a kid naming a previous key does not make a stranger\'s signature valid')
    await lagging.app.close()

    // (3) B only: A is gone from the JWKS and its tokens are refused.
    s = await restart(t, s2, { ...base, JWT_PRIVATE_KEY_FILE: B.key })
    t.same(await kids(s), [B.kid], 'A is no longer published')
    const stale = await s.client().get('/jwt/api/me', { bearer: accessA })
    t.equal(stale.status, 401, 'an A-signed token is refused once A is removed')
    t.equal(stale.body.error, 'invalid_token')
    t.equal((await s.client().get('/jwt/api/me', { bearer: accessB })).status, 200)
  })
}

t.test('JWT_PREVIOUS_PUBLIC_KEY_FILE is checked at startup', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'svj-rotation-'))
  const key = join(dir, 'current.key')
  const pub = join(dir, 'current.pub')
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  writeFileSync(key, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 })
  writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }))
  const ec = join(dir, 'ec.pub')
  writeFileSync(ec, generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }))
  const garbage = join(dir, 'garbage.pub')
  writeFileSync(garbage, 'not a key')
  const env = { AUTH_STRATEGIES: 'jwt', JWT_ALG: 'EdDSA', JWT_PRIVATE_KEY_FILE: key }
  await t.rejects(startApp(t, { ...env, JWT_PREVIOUS_PUBLIC_KEY_FILE: ec }), /JWT_PREVIOUS_PUBLIC_KEY_FILE: expected an Ed25519 key/, 'another algorithm\'s key')
  await t.rejects(startApp(t, { ...env, JWT_PREVIOUS_PUBLIC_KEY_FILE: garbage }), /JWT_PREVIOUS_PUBLIC_KEY_FILE: expected a readable PEM public key/)
  await t.rejects(startApp(t, { ...env, JWT_PREVIOUS_PUBLIC_KEY_FILE: join(dir, 'missing.pub') }), /JWT_PREVIOUS_PUBLIC_KEY_FILE: expected a readable PEM public key/)
  await t.rejects(startApp(t, { ...env, JWT_PREVIOUS_PUBLIC_KEY_FILE: pub }), /JWT_PREVIOUS_PUBLIC_KEY_FILE: expected keys other than the signing key/, 'the signing key itself')
  const hs = await startApp(t, { AUTH_STRATEGIES: 'jwt', JWT_PREVIOUS_PUBLIC_KEY_FILE: pub })
  t.match(hs.config.warnings.join('\n'), /JWT_PREVIOUS_PUBLIC_KEY_FILE is ignored with JWT_ALG=HS256/, 'HS256 says the setting is ignored')
})
