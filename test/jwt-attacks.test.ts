import { createHmac, generateKeyPairSync } from 'node:crypto'
import t, { type Test } from 'tap'
import { forEachStore, startApp, type TestApp } from './helpers/app.js'
import type { Reply } from './helpers/http.js'
import { alice, decodeJwt, jwtLogin, makeSigner, segment, TEST_JWT_SECRET, validClaims } from './helpers/jwt.js'

const ISS = 'session-vs-jwt'
const AUD = 'session-vs-jwt-api'
const now = (): number => Math.floor(Date.now() / 1000)

/** Every refused token: 401, a stable code, the RFC 6750 challenge; never 200, never 500. */
function refused (t: Test, r: Reply, what: string, code = 'invalid_token'): void {
  t.equal(r.status, 401, `${what}: 401`)
  t.equal(r.body?.error, code, `${what}: ${code}`)
  t.equal(r.headers.get('www-authenticate'), 'Bearer error="invalid_token"', `${what}: Bearer challenge`)
}

async function me (s: TestApp, token: string): Promise<Reply> {
  return await s.client().get('/jwt/api/me', { bearer: token })
}

forEachStore(t, async (t, store) => {
  t.test('HS256: forged, tampered, malformed and misplaced tokens', async t => {
    // denylist mode, so a token that slipped through verification would also reach the store path.
    const s = await startApp(t, { STORE: store, JWT_REVOCATION: 'denylist' })
    const l = await jwtLogin(s, alice)
    const real = decodeJwt(l.access)
    const base = (extra: Record<string, unknown> = {}): Record<string, unknown> => validClaims(real.payload, extra)
    const sign = await makeSigner(t, { secret: TEST_JWT_SECRET, sign: { algorithm: 'HS256' } })
    const good = { iss: ISS, aud: AUD, expiresIn: 600, header: { alg: 'HS256', typ: 'at+jwt' } }

    // Control: the forger with the right key and claims makes an accepted token, so every refusal
    // below is due to the one thing each case changes.
    t.equal((await me(s, sign(base(), good))).status, 200, 'control: a correctly signed token passes')
    t.equal((await s.client().get('/jwt/api/me', { headers: { authorization: `bearer ${l.access}` } })).status, 200, 'the scheme is case-insensitive (RFC 7235)')

    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const unsigned = `${segment({ alg, typ: 'at+jwt' })}.${segment({ ...base(), iss: ISS, aud: AUD, iat: now(), exp: now() + 600 })}`
      refused(t, await me(s, `${unsigned}.`), `alg ${alg}, empty signature`)
      refused(t, await me(s, `${unsigned}.${l.access.split('.')[2] ?? ''}`), `alg ${alg}, a real signature pasted on`)
    }
    refused(t, await me(s, sign(base(), { ...good, algorithm: 'HS512', header: { alg: 'HS512', typ: 'at+jwt' } })), 'HS512 with the right secret (only the configured alg)')

    const [h, p, sig] = l.access.split('.') as [string, string, string]
    refused(t, await me(s, `${h}.${segment({ ...real.payload, role: 'admin' })}.${sig}`), 'tampered payload (role → admin)')
    refused(t, await me(s, `${h}.${segment({ ...real.payload, exp: real.payload.exp + 86400 })}.${sig}`), 'tampered payload (exp extended)')
    refused(t, await me(s, `${segment({ ...real.header, alg: 'HS384' })}.${p}.${sig}`), 'tampered header')
    refused(t, await me(s, `${h}.${p}.`), 'stripped signature')
    refused(t, await me(s, `${h}.${p}`), 'signature segment missing')
    refused(t, await me(s, `${h}.${p}.${sig.slice(0, -2)}`), 'truncated signature')

    refused(t, await me(s, sign(base(), { ...good, iss: 'https://evil.example' })), 'wrong iss')
    refused(t, await me(s, sign(base(), { ...good, aud: 'another-api' })), 'wrong aud')
    t.equal((await me(s, sign(base(), { ...good, aud: ['another-api', AUD] }))).status, 200, 'aud as an array that contains ours is fine (RFC 7519)')
    refused(t, await me(s, sign(base(), { ...good, header: { alg: 'HS256', typ: 'JWT' } })), 'typ JWT instead of at+jwt (an ID token or other JWT)')
    refused(t, await me(s, sign(base(), { ...good, header: { alg: 'HS256', typ: 'rt+jwt' } })), 'wrong typ')
    refused(t, await me(s, sign(base(), { ...good, header: { alg: 'HS256', typ: 'at+jwt', crit: ['x-unknown'], 'x-unknown': 1 } as any })), 'unknown crit header')
    refused(t, await me(s, sign(base({ nbf: now() + 3600 }), good)), 'nbf an hour ahead')
    t.equal((await me(s, sign(base({ nbf: now() + 2 }), good))).status, 200, 'nbf within the 5 s clock tolerance')
    refused(t, await me(s, sign(base(), { iss: ISS, aud: AUD, header: good.header })), 'missing exp')
    refused(t, await me(s, sign(base({ iat: now() - 1000 }), { ...good, expiresIn: 900 })), 'expired', 'token_expired')
    refused(t, await me(s, sign(base({ iat: now() - 1000 }), { ...good, expiresIn: 86400 })), 'a lifetime longer than we issue (maxAge from iat)', 'token_expired')
    for (const claim of ['sub', 'sid', 'jti', 'ver', 'role', 'preferred_username']) {
      const claims = base()
      delete claims[claim]
      refused(t, await me(s, sign(claims, good)), `missing ${claim}`)
    }
    refused(t, await me(s, sign(base({ role: 'root' }), good)), 'unknown role')
    refused(t, await me(s, sign(base({ ver: '1' }), good)), 'ver as a string')
    refused(t, await me(s, sign(base({ sub: 42 }), good)), 'sub as a number')
    const otherSecret = await makeSigner(t, { secret: 'another-secret-another-secret-another-secret', sign: { algorithm: 'HS256' } })
    refused(t, await me(s, otherSecret(base(), good)), 'signed with another secret')

    const big = sign(base({ pad: 'x'.repeat(4200) }), good)
    refused(t, await me(s, big), `oversized (${big.length} bytes > 4096)`)
    const huge = await s.client().get('/jwt/api/me', { bearer: 'x'.repeat(20_000) })
    t.equal(huge.status, 431, 'beyond Node\'s 16 KiB header limit: 431 from Node, never a 500')

    const malformed = ['abc', 'a.b', 'a.b.c.d', '..', '...', 'eyJ.eyJ.x', '%%%.%%%.%%%', `${segment('str')}.${segment({})}.x`,
      `${segment(real.header)}.${segment([1, 2])}.x`, `${segment(null)}.${p}.${sig}`, `${h}.${p}.${sig}=`, ` ${l.access}`, `${h} .${p}.${sig}`,
      Buffer.from('\u00ff\u00fe').toString('latin1') + l.access]
    for (const token of malformed) refused(t, await me(s, token), `malformed ${JSON.stringify(token.slice(0, 24))}`)
    for (const header of ['Bearer', 'Bearer ', `Bearer  ${l.access}`, `Bearer ${l.access} extra`]) {
      refused(t, await s.client().get('/jwt/api/me', { headers: { authorization: header } }), `header ${JSON.stringify(header.slice(0, 16))}`)
    }
    const basic = await s.client().get('/jwt/api/me', { headers: { authorization: 'Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ=' } })
    t.equal(basic.status, 401)
    t.equal(basic.body.error, 'missing_credentials', 'another scheme is no bearer token')
    t.equal(basic.headers.get('www-authenticate'), 'Bearer')

    // Credentials of one kind are never accepted as the other.
    const c = s.client()
    t.equal((await c.post('/session/login', alice)).status, 200)
    const sessionCookie = c.cookies.get('sid') ?? ''
    refused(t, await me(s, sessionCookie), 'a session cookie as a bearer token')
    const asCookie = await s.client().get('/session/api/me', { headers: { cookie: `sid=${l.access}` } })
    t.equal(asCookie.status, 401, 'a bearer token as a session cookie')
    t.not(asCookie.body.error, undefined)
    refused(t, await me(s, l.refresh), 'a refresh token as a bearer token')
    const cookieOnly = await s.client().get('/jwt/api/me', { headers: { cookie: `sid=${sessionCookie}` } })
    t.equal(cookieOnly.body.error, 'missing_credentials', 'a session cookie on /jwt/api is no credential')
    const adminByRt = await s.client().post('/admin/users/bob/revoke', undefined, { headers: { cookie: `rt=${l.refresh}` } })
    t.equal(adminByRt.status, 401, 'a refresh cookie authenticates no admin route')

    t.equal((await me(s, l.access)).status, 200, 'the real token still works after the whole barrage')
  })
})

t.test('asymmetric algorithms: algorithm confusion and foreign keys', async t => {
  for (const alg of ['ES256', 'EdDSA'] as const) {
    const s = await startApp(t, { AUTH_STRATEGIES: 'jwt', JWT_ALG: alg })
    const l = await jwtLogin(s, alice)
    const real = decodeJwt(l.access)
    const claims = { ...validClaims(real.payload), iss: ISS, aud: AUD, iat: now(), exp: now() + 600 }
    const jwk = (await s.client().get('/jwt/.well-known/jwks.json')).body.keys[0]
    const { createPublicKey } = await import('node:crypto')
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string

    // HS256 keyed with the server's public key (RFC 8725 §2.1): fast-jwt refuses to sign with a PEM
    // as an HMAC secret, so node:crypto makes the MAC.
    for (const secret of [pem, JSON.stringify(jwk)]) {
      const input = `${segment({ alg: 'HS256', typ: 'at+jwt', kid: jwk.kid })}.${segment(claims)}`
      const forged = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
      refused(t, await me(s, forged), `${alg}: HS256 keyed with the public key (${secret.startsWith('{') ? 'JWK' : 'PEM'})`)
    }
    const unsigned = `${segment({ alg: 'none', typ: 'at+jwt' })}.${segment(claims)}.`
    refused(t, await me(s, unsigned), `${alg}: alg none`)

    // A token signed by the attacker's own key of the right type, with that key embedded (jwk header).
    const attacker = alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519')
    const attackerPem = attacker.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
    const attackerPub = attacker.publicKey.export({ type: 'spki', format: 'pem' }) as string
    const sign = await makeSigner(t, { secret: { private: attackerPem, public: attackerPub }, sign: { algorithm: alg } })
    const embedded = attacker.publicKey.export({ format: 'jwk' })
    refused(t, await me(s, sign(validClaims(real.payload), { iss: ISS, aud: AUD, expiresIn: 600, kid: jwk.kid, header: { alg, typ: 'at+jwt', jwk: embedded } as any })),
      `${alg}: signed with a foreign key, our kid, the foreign key embedded`)
    const [h, p, sig] = l.access.split('.') as [string, string, string]
    refused(t, await me(s, `${h}.${segment({ ...real.payload, role: 'admin' })}.${sig}`), `${alg}: tampered payload`)
    refused(t, await me(s, `${h}.${p}.${sig.slice(4)}`), `${alg}: damaged signature`)
    t.equal((await me(s, l.access)).status, 200, `${alg}: the real token works`)
    await s.close()
  }
  const hs = await startApp(t, { AUTH_STRATEGIES: 'jwt' })
  const es = await startApp(t, { AUTH_STRATEGIES: 'jwt', JWT_ALG: 'ES256' })
  refused(t, await me(es, (await jwtLogin(hs, alice)).access), 'an HS256 token at an ES256 server')
  refused(t, await me(hs, (await jwtLogin(es, alice)).access), 'an ES256 token at an HS256 server')
})
