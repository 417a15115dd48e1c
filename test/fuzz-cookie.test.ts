/**
 * Fuzz target 2: the Cookie header, against every cookie-authenticated route (session protected routes,
 * devices, admin), the JWT routes that read the refresh cookie (refresh, logout), the session logout and
 * login, with COOKIE_SECURE off (`sid`, `rt`) and on (`__Host-sid`, `__Secure-rt`, over https via a
 * trusted proxy). Values: near misses of the real signed session id and refresh token (edited, cut,
 * repeated, percent-encoded, quoted), ids signed with another secret, random and Unicode strings, huge
 * values, duplicated and misnamed cookies, odd separators.
 * Invariants: never a 5xx; a 2xx on a protected route or on refresh only when the cookie the server
 * parses (with the same parser) is exactly the real credential; always a JSON error code.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { fastifyCookie } from '@fastify/cookie'
import fc from 'fast-check'
import t from 'tap'
import { startApp, type TestApp } from './helpers/app.js'
import { anyString, headerValue, mutate, mutation, RawClient, runTarget, violation, watchProcess, type Mutation, type RawReply } from './helpers/fuzz.js'
import { alice } from './helpers/jwt.js'

type Guard = 'session' | 'refresh' | 'never' | 'always'
interface Route { method: string, path: string, body?: unknown, guard: Guard }

const ROUTES: Array<{ weight: number, arbitrary: fc.Arbitrary<Route> }> = [
  ...[
    { method: 'GET', path: '/session/api/me', guard: 'session' as const },
    { method: 'GET', path: '/session/api/admin', guard: 'never' as const }, // alice is no admin: 403 with her real cookie
    { method: 'POST', path: '/session/api/notes', body: { text: 'fuzz' }, guard: 'session' as const },
    { method: 'GET', path: '/session/devices', guard: 'session' as const },
    { method: 'DELETE', path: '/session/devices/no-such-device', guard: 'never' as const },
    { method: 'POST', path: '/admin/users/bob/role', body: { role: 'admin' }, guard: 'never' as const },
    { method: 'POST', path: '/admin/users/bob/disable', guard: 'never' as const },
    { method: 'GET', path: '/jwt/api/me', guard: 'never' as const }, // a cookie is never a JWT credential
    { method: 'POST', path: '/jwt/refresh', guard: 'refresh' as const },
    { method: 'POST', path: '/jwt/logout', guard: 'always' as const },
    { method: 'POST', path: '/session/logout', guard: 'always' as const }
  ].map(r => ({ weight: 4, arbitrary: fc.constant(r) })),
  // A wrong password (one scrypt per case, so rarer): the cookie is loaded before the login fails.
  { weight: 1, arbitrary: fc.constant({ method: 'POST', path: '/session/login', body: { username: 'alice', password: 'not-her-password' }, guard: 'never' as const }) }
]

type Value =
  | { kind: 'sid' | 'rt', mutations: Mutation[] }
  | { kind: 'foreign' }
  | { kind: 'random', value: string }
  | { kind: 'huge', length: number, char: string }

const value: fc.Arbitrary<Value> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('sid' as const, 'rt' as const), mutations: fc.array(mutation, { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'foreign' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('random' as const), value: anyString(200) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('huge' as const), length: fc.integer({ min: 3000, max: 20_000 }), char: fc.constantFrom('a', '%', 'é', ';') }) }
)

const pair = fc.record({
  name: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('sid', 'rt', '__Host-sid', '__Secure-rt') },
    { weight: 1, arbitrary: fc.oneof(fc.constantFrom('SID', ' sid', 'sid ', '__host-sid', '__Secure-sid', '__Host-rt', 's:sid', ''), anyString(12)) }
  ),
  equals: fc.oneof({ weight: 6, arbitrary: fc.constant('=') }, { weight: 1, arbitrary: fc.constantFrom('', '==', ' = ') }),
  value
})

const cookieHeader = fc.record({
  pairs: fc.array(pair, { minLength: 1, maxLength: 4 }),
  separator: fc.oneof({ weight: 6, arbitrary: fc.constant('; ') }, { weight: 1, arbitrary: fc.constantFrom(';', ',', ' ;', ';;', '\t;') })
})

interface Target {
  s: TestApp
  secure: boolean
  sidName: string
  rtName: string
  /** Raw cookie values as the server sent them (what a browser sends back). */
  sid: string
  rt: string
  /** Extra headers: the https hop of the trusted proxy when COOKIE_SECURE=true. */
  headers: Record<string, string>
}

function cookieOf (r: RawReply, name: string): string | null {
  for (const line of r.setCookies) {
    const [first = ''] = line.split(';')
    const eq = first.indexOf('=')
    if (first.slice(0, eq) === name && first.slice(eq + 1) !== '') return first.slice(eq + 1)
  }
  return null
}

t.test('fuzz: Cookie header on every cookie-authenticated and auth route', async t => {
  const watched = watchProcess(t)
  const targets: Target[] = []
  for (const secure of [false, true]) {
    const s = await startApp(t, { JWT_REVOCATION: 'denylist', COOKIE_SECURE: String(secure), TRUST_PROXY: '1' })
    targets.push({
      s,
      secure,
      sidName: secure ? '__Host-sid' : 'sid',
      rtName: secure ? '__Secure-rt' : 'rt',
      sid: '',
      rt: '',
      headers: secure ? { 'x-forwarded-proto': 'https' } : {}
    })
  }
  const raw = new Map(targets.map(x => [x, new RawClient(x.s.url)]))
  t.teardown(() => { for (const c of raw.values()) c.close() })

  const json = { 'content-type': 'application/json' }
  async function sessionLogin (x: Target): Promise<void> {
    const r = await raw.get(x)!.send({ method: 'POST', path: '/session/login', headers: { ...json, ...x.headers }, body: JSON.stringify(alice) })
    x.sid = cookieOf(r, x.sidName) ?? ''
    if (r.status !== 200 || x.sid === '') throw new Error(`session login: ${r.status} ${r.text}`)
  }
  async function jwtLogin (x: Target): Promise<void> {
    const r = await raw.get(x)!.send({ method: 'POST', path: '/jwt/login', headers: { ...json, ...x.headers }, body: JSON.stringify({ ...alice, transport: 'cookie' }) })
    x.rt = cookieOf(r, x.rtName) ?? ''
    if (r.status !== 200 || x.rt === '') throw new Error(`jwt login: ${r.status} ${r.text}`)
  }
  for (const x of targets) {
    await sessionLogin(x)
    await jwtLogin(x)
    const me = await raw.get(x)!.send({ method: 'GET', path: '/session/api/me', headers: { cookie: `${x.sidName}=${x.sid}`, ...x.headers } })
    t.equal(me.status, 200, `control (COOKIE_SECURE=${String(x.secure)}): the real session cookie passes`)
  }

  const build = (x: Target, v: Value): string => {
    switch (v.kind) {
      case 'sid': return mutate(x.sid, v.mutations)
      case 'rt': return mutate(x.rt, v.mutations)
      case 'random': return v.value
      case 'huge': return v.char.repeat(v.length)
      case 'foreign': {
        // A well-formed session cookie signed with another secret.
        const id = randomBytes(24).toString('base64url')
        return encodeURIComponent(`${id}.${createHmac('sha256', 'another-secret-another-secret-another').update(id).digest('base64').replace(/=/g, '')}`)
      }
    }
  }

  await runTarget(t, 'cookie', fc.record({ secure: fc.boolean(), route: fc.oneof(...ROUTES), cookie: cookieHeader }), async ({ secure, route, cookie }) => {
    const x = targets[secure ? 1 : 0]!
    const header = headerValue(cookie.pairs.map(p => `${p.name}${p.equals}${build(x, p.value)}`).join(cookie.separator))
    const headers: Record<string, string> = { cookie: header, ...x.headers }
    let body: string | undefined
    if (route.body !== undefined) {
      body = JSON.stringify(route.body)
      headers['content-type'] = 'application/json'
    }
    const r = await raw.get(x)!.send({ method: route.method, path: route.path, headers, body })
    // Exactly what the server reads: the same parser @fastify/cookie uses on the same header.
    const parsed = fastifyCookie.parse(header.trim())
    const realSid = fastifyCookie.parse(`${x.sidName}=${x.sid}`)[x.sidName]
    const sessionIsReal = parsed[x.sidName] !== undefined && parsed[x.sidName] === realSid
    const refreshIsReal = parsed[x.rtName] !== undefined && parsed[x.rtName] === x.rt
    const allow2xx = route.guard === 'always' || (route.guard === 'session' && sessionIsReal) || (route.guard === 'refresh' && refreshIsReal)
    // Keep a live credential for the next cases when this one was spent or ended.
    if (r.status === 200 && route.path === '/jwt/refresh') x.rt = cookieOf(r, x.rtName) ?? x.rt
    if (route.path === '/jwt/logout' && refreshIsReal) await jwtLogin(x)
    if (route.path === '/session/logout' && sessionIsReal) await sessionLogin(x)
    return { problem: violation(r, allow2xx), status: r.status }
  }, watched)

  for (const x of targets) {
    const me = await raw.get(x)!.send({ method: 'GET', path: '/session/api/me', headers: { cookie: `${x.sidName}=${x.sid}`, ...x.headers } })
    t.equal(me.status, 200, `COOKIE_SECURE=${String(x.secure)}: the real session cookie still works afterwards`)
    const refresh = await raw.get(x)!.send({ method: 'POST', path: '/jwt/refresh', headers: { cookie: `${x.rtName}=${x.rt}`, ...x.headers } })
    t.equal(refresh.status, 200, `COOKIE_SECURE=${String(x.secure)}: the live refresh cookie still works afterwards`)
  }
})
