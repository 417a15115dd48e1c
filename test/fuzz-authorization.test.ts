/**
 * Fuzz target 1: the Authorization header, against every protected route of both strategies, the
 * admin routes and the auth routes. Random strings, other schemes, near misses of a real access token
 * (edited characters, truncations, repeats), hand-built JWTs (alg none and friends, foreign typ, edited
 * claims, pasted or random signatures) and oversized headers.
 * Invariants (test/helpers/fuzz.ts `violation`): never a 5xx, never a 2xx on a protected route unless
 * the header carries the real token (after base64url canonicalisation), always a JSON error code.
 * FUZZ_RUNS sets the number of cases (npm run fuzz: 10,000), FUZZ_SEED replays a run.
 */
import fc from 'fast-check'
import t from 'tap'
import { startApp, type TestApp } from './helpers/app.js'
import { anyString, headerValue, mutate, mutation, RawClient, runTarget, violation, watchProcess, type Mutation } from './helpers/fuzz.js'
import { alice, decodeJwt, jwtLogin, segment } from './helpers/jwt.js'

interface Route { method: string, path: string, body?: unknown, protected: boolean, jwtProtected?: boolean }

const ROUTES: Route[] = [
  { method: 'GET', path: '/jwt/api/me', protected: true, jwtProtected: true },
  { method: 'GET', path: '/jwt/api/admin', protected: true }, // alice is not an admin: 403 even with her real token
  { method: 'POST', path: '/jwt/api/notes', body: { text: 'fuzz' }, protected: true, jwtProtected: true },
  { method: 'GET', path: '/jwt/devices', protected: true, jwtProtected: true },
  { method: 'DELETE', path: '/jwt/devices/no-such-device', protected: true },
  { method: 'GET', path: '/session/api/me', protected: true },
  { method: 'GET', path: '/session/api/admin', protected: true },
  { method: 'POST', path: '/session/api/notes', body: { text: 'fuzz' }, protected: true },
  { method: 'GET', path: '/session/devices', protected: true },
  { method: 'DELETE', path: '/session/devices/no-such-device', protected: true },
  { method: 'POST', path: '/admin/users/bob/role', body: { role: 'admin' }, protected: true },
  { method: 'POST', path: '/admin/users/bob/revoke', protected: true },
  { method: 'POST', path: '/admin/users/bob/password', body: { password: 'fuzz-password' }, protected: true },
  { method: 'POST', path: '/admin/users/bob/username', body: { username: 'fuzz-bob' }, protected: true },
  { method: 'POST', path: '/jwt/refresh', protected: true }, // no refresh token is ever sent here
  { method: 'POST', path: '/jwt/logout', protected: false },
  { method: 'POST', path: '/session/logout', protected: false },
  { method: 'GET', path: '/jwt/.well-known/jwks.json', protected: false }
]

type Token =
  | { kind: 'real', mutations: Mutation[] }
  | { kind: 'built', header: unknown, payload: { real: true } | { override: Record<string, unknown> } | { value: unknown }, signature: 'real' | 'empty' | string }
  | { kind: 'random', value: string }
  | { kind: 'segments', parts: string[] }
  | { kind: 'huge', length: number, char: string }

const base64url = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')), maxLength: 60 })

const token: fc.Arbitrary<Token> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('real' as const), mutations: fc.array(mutation, { minLength: 0, maxLength: 3 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('built' as const),
      header: fc.oneof(
        fc.record({
          alg: fc.constantFrom('none', 'None', 'NONE', 'HS256', 'HS384', 'HS512', 'RS256', 'ES256', 'EdDSA', 'PS256', '', 'hs256'),
          typ: fc.constantFrom('at+jwt', 'JWT', 'jwt', 'rt+jwt', 'AT+JWT', 'application/at+jwt'),
          kid: anyString(20),
          crit: fc.array(anyString(8), { maxLength: 2 })
        }, { requiredKeys: ['alg'] }),
        fc.jsonValue({ maxDepth: 2 })
      ),
      payload: fc.oneof(
        fc.constant({ real: true as const }),
        fc.record({ override: fc.dictionary(fc.constantFrom('sub', 'role', 'exp', 'iat', 'nbf', 'iss', 'aud', 'ver', 'sid', 'jti', 'preferred_username', 'typ'), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }) }),
        fc.record({ value: fc.jsonValue({ maxDepth: 2 }) })
      ),
      signature: fc.oneof(fc.constant('real'), fc.constant('empty'), base64url)
    })
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('random' as const), value: anyString(200) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('segments' as const), parts: fc.array(base64url, { minLength: 1, maxLength: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('huge' as const), length: fc.integer({ min: 3000, max: 20_000 }), char: fc.constantFrom('a', '.', 'é', ' ') }) }
)

const wellFormed = fc.record({
  scheme: fc.constantFrom('Bearer', 'bearer', 'BEARER'),
  separator: fc.constant(' '),
  token,
  trailer: fc.constant('')
})
const anyShape = fc.record({
  scheme: fc.oneof(fc.constantFrom('Bearer', 'bearer', 'BeArEr', 'Basic', 'Token', 'JWT', '', 'Bearer:', 'Bearer,'), anyString(10)),
  separator: fc.constantFrom(' ', '', '  ', '\t', ' \t', '\u00a0'),
  token,
  trailer: fc.constantFrom('', ' ', ' extra', ',Bearer x', '\t')
})
/** Mostly `Bearer <token>` so the token variants reach the verifier; the rest mangles the framing too. */
const header = fc.oneof({ weight: 3, arbitrary: wellFormed }, { weight: 2, arbitrary: anyShape })

/** The token with each segment decoded and re-encoded: equal for byte-identical JWTs. */
function canonicalJwt (value: string): string | null {
  const parts = value.split('.')
  if (parts.length !== 3) return null
  return parts.map(p => Buffer.from(p, 'base64url').toString('base64url')).join('.')
}

t.test('fuzz: Authorization header on every protected and auth route', async t => {
  const watched = watchProcess(t)
  // denylist mode, so a token that got past verification would also reach the store path.
  const s: TestApp = await startApp(t, { JWT_REVOCATION: 'denylist' })
  const raw = new RawClient(s.url)
  t.teardown(() => { raw.close() })

  let real = (await jwtLogin(s, alice)).access
  const realParts = (): string[] => real.split('.')
  const build = (tk: Token): string => {
    switch (tk.kind) {
      case 'real': return mutate(real, tk.mutations)
      case 'random': return tk.value
      case 'segments': return tk.parts.join('.')
      case 'huge': return tk.char.repeat(tk.length)
      case 'built': {
        const payload = 'real' in tk.payload
          ? realParts()[1]
          : segment('override' in tk.payload ? { ...decodeJwt(real).payload, ...tk.payload.override } : tk.payload.value)
        const signature = tk.signature === 'real' ? realParts()[2] : tk.signature === 'empty' ? '' : tk.signature
        return `${segment(tk.header)}.${payload ?? ''}.${signature ?? ''}`
      }
    }
  }

  const control = await raw.send({ method: 'GET', path: '/jwt/api/me', headers: { authorization: `Bearer ${real}` } })
  t.equal(control.status, 200, 'control: the real token passes, so every refusal below is the fuzzed header\'s doing')

  await runTarget(t, 'authorization', fc.record({ route: fc.constantFrom(...ROUTES), header }), async ({ route, header: h }) => {
    const value = headerValue(`${h.scheme}${h.separator}${build(h.token)}${h.trailer}`)
    const headers: Record<string, string> = { authorization: value }
    let body: string | undefined
    if (route.body !== undefined) {
      body = JSON.stringify(route.body)
      headers['content-type'] = 'application/json'
    }
    const r = await raw.send({ method: route.method, path: route.path, headers, body })
    // What the server sees (Node trims surrounding whitespace), and whether that is the real token.
    const match = /^bearer (.+)$/i.exec(value.trim())
    const isReal = match !== null && canonicalJwt(match[1]!) !== null && canonicalJwt(match[1]!) === canonicalJwt(real)
    const allow2xx = route.protected ? (route.jwtProtected === true && isReal) : true
    if (route.path === '/jwt/logout' && isReal && r.status === 204) real = (await jwtLogin(s, alice)).access // that login ended
    return { problem: violation(r, allow2xx), status: r.status }
  }, watched)

  const after = await raw.send({ method: 'GET', path: '/jwt/api/me', headers: { authorization: `Bearer ${real}` } })
  t.equal(after.status, 200, 'the real token still works afterwards')
  t.equal((await raw.send({ method: 'GET', path: '/health' })).status, 200, 'the server is alive')
})
