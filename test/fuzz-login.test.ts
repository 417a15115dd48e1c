/**
 * Fuzz target 3: login bodies for POST /session/login and POST /jwt/login. Random JSON values, objects
 * whose username/password/transport are any JSON value (real names in any case, real and near-miss
 * passwords, Unicode, huge strings), extra and prototype-polluting keys, duplicate keys, broken JSON and
 * other content types; half the cases go to an app with the login limits on and X-Forwarded-For trusted,
 * with fuzzed forwarded addresses, so the limiter's keys see the same garbage.
 * Invariants: never a 5xx; a 2xx only for a JSON object whose password is the user's real one; every
 * error a JSON code.
 */
import fc from 'fast-check'
import t from 'tap'
import { startApp, type TestApp } from './helpers/app.js'
import { alice } from './helpers/jwt.js'
import { DEMO_USERS } from '../harness/fixtures.js'
import { anyString, headerValue, mutate, mutation, RawClient, runTarget, violation, watchProcess } from './helpers/fuzz.js'

const PASSWORDS: Record<string, string> = Object.fromEntries(DEMO_USERS.map(u => [u.username, u.password]))
/** alice's login as JSON text, for the broken and near-miss bodies below. */
const ALICE = JSON.stringify(alice)

const username = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('alice', 'bob', 'admin', 'mallory'), fc.array(mutation, { maxLength: 2 })).map(([u, m]) => mutate(u, m)) },
  { weight: 2, arbitrary: anyString(80) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }
)
const password = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...Object.values(PASSWORDS)), fc.array(mutation, { maxLength: 2 })).map(([p, m]) => mutate(p, m)) },
  { weight: 2, arbitrary: anyString(80) },
  { weight: 1, arbitrary: fc.integer({ min: 900, max: 1100 }).map(n => 'p'.repeat(n)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }
)

type Body =
  | { kind: 'object', fields: Record<string, unknown>, extra: Array<[string, unknown]> }
  | { kind: 'json', value: unknown }
  | { kind: 'text', value: string }
  | { kind: 'duplicate', first: string, last: string, user: string }
  | { kind: 'huge', length: number }

const body: fc.Arbitrary<Body> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('object' as const),
      fields: fc.record({ username, password, transport: fc.oneof(fc.constantFrom('cookie', 'body', 'Body', '', 'header'), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: [] }),
      extra: fc.array(fc.tuple(fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'role', 'admin', 'refresh_token', 'toString'), anyString(10)), fc.jsonValue({ maxDepth: 2 })), { maxLength: 2 })
    })
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('text' as const), value: fc.oneof(anyString(200), fc.constantFrom('{', '{"username":', ALICE.slice(0, -1), `${ALICE}}`, `\uFEFF${ALICE}`, 'null', '[]', '"x"', '{"__proto__":{"role":"admin"},"username":"alice","password":"x"}', '{"constructor":{"prototype":{"x":1}},"username":"alice","password":"x"}')) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), first: fc.constantFrom(alice.password, 'wrong-password'), last: fc.constantFrom(alice.password, 'wrong-password'), user: fc.constantFrom('alice', 'ALICE', 'alice ') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('huge' as const), length: fc.integer({ min: 15_000, max: 40_000 }) }) }
)

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=latin1', 'application/json;', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'json', '', '*/*', 'application/merge-patch+json') },
  { weight: 1, arbitrary: anyString(30) }
)

function render (b: Body): string {
  switch (b.kind) {
    case 'object': {
      // Built as text so that '__proto__' is a real own key on the wire, as an attacker would send it.
      const entries = [...Object.entries(b.fields), ...b.extra].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
      return `{${entries.join(',')}}`
    }
    case 'json': return JSON.stringify(b.value)
    case 'text': return b.value
    case 'duplicate': return `{"username":${JSON.stringify(b.user)},"password":${JSON.stringify(b.first)},"password":${JSON.stringify(b.last)}}`
    case 'huge': return JSON.stringify({ username: 'alice', password: 'x'.repeat(b.length) })
  }
}

/** May this body log someone in? Only a JSON object carrying a user's real password (the security property). */
function carriesRealPassword (text: string): boolean {
  let parsed: unknown
  // Fastify's JSON parser (secure-json-parse) skips a leading byte order mark, as RFC 8259 allows.
  try { parsed = JSON.parse(text.replace(/^\uFEFF/, '')) } catch { return false }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false
  const { username: u, password: p } = parsed as { username?: unknown, password?: unknown }
  return typeof u === 'string' && typeof p === 'string' && PASSWORDS[u.toLowerCase()] === p
}

t.test('fuzz: login bodies on both strategies, with and without the login limits', async t => {
  const watched = watchProcess(t)
  const open: TestApp = await startApp(t, {})
  const limited: TestApp = await startApp(t, { LOGIN_RATE_LIMIT: '5/1m', LOGIN_RATE_LIMIT_PER_ADDRESS: '1000000/1m', TRUST_PROXY: '1' })
  const clients = { open: new RawClient(open.url), limited: new RawClient(limited.url) }
  t.teardown(() => { clients.open.close(); clients.limited.close() })

  const control = await clients.open.send({ method: 'POST', path: '/jwt/login', headers: { 'content-type': 'application/json' }, body: render({ kind: 'object', fields: { ...alice, transport: 'body' }, extra: [] }) })
  t.equal(control.status, 200, 'control: a well-formed login with the real password passes')

  const arbitrary = fc.record({
    path: fc.constantFrom('/session/login', '/jwt/login'),
    limited: fc.boolean(),
    forwardedFor: fc.option(fc.oneof(fc.constantFrom('203.0.113.7', '::1', '203.0.113.7, 10.0.0.1', 'unknown', '', '999.999.999.999', '[::1]:80'), anyString(40)), { nil: undefined }),
    contentType: fc.option(contentType, { nil: undefined }),
    body
  })
  await runTarget(t, 'login', arbitrary, async c => {
    const text = render(c.body)
    const headers: Record<string, string> = {}
    if (c.contentType !== undefined) headers['content-type'] = headerValue(c.contentType)
    if (c.forwardedFor !== undefined) headers['x-forwarded-for'] = headerValue(c.forwardedFor)
    const r = await (c.limited ? clients.limited : clients.open).send({ method: 'POST', path: c.path, headers, body: text })
    return { problem: violation(r, carriesRealPassword(text)), status: r.status }
  }, watched)

  t.equal((await clients.open.send({ method: 'GET', path: '/health' })).status, 200, 'the server is alive')
})
