/**
 * Fuzz target 4: refresh and logout bodies for POST /jwt/refresh and POST /jwt/logout, with the
 * refresh token in the body, the cookie, both or neither: near misses of the live refresh token, the
 * access token in its place, any JSON value, extra keys, broken JSON, other content types, optional
 * Origin / Sec-Fetch-Site headers (the cookie transport's cross-site check) and a fuzzed bearer token
 * on logout. Runs on the memory store and, when there is one, on Redis (the Lua compare-and-swap path).
 * Invariants: never a 5xx; refresh answers 2xx only when the token the server picks (the body's, else
 * the cookie's) is exactly the live one; every error a JSON code.
 */
import { fastifyCookie } from '@fastify/cookie'
import fc from 'fast-check'
import t from 'tap'
import { startApp, STORES, storeSkip, type TestApp } from './helpers/app.js'
import { anyString, headerValue, mutate, mutation, RawClient, runTarget, violation, watchProcess, type Mutation } from './helpers/fuzz.js'
import { alice } from './helpers/jwt.js'

type Token =
  | { kind: 'live', mutations: Mutation[] }
  | { kind: 'access', mutations: Mutation[] }
  | { kind: 'random', value: string }
  | { kind: 'json', value: unknown }

const token: fc.Arbitrary<Token> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('live' as const), mutations: fc.array(mutation, { maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('access' as const), mutations: fc.array(mutation, { maxLength: 1 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('random' as const), value: fc.oneof(anyString(80), fc.integer({ min: 4000, max: 6000 }).map(n => 'A'.repeat(n))) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 2 }) }) }
)

const arbitrary = fc.record({
  path: fc.constantFrom('/jwt/refresh', '/jwt/logout'),
  redis: fc.boolean(),
  body: fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('object' as const), token: fc.option(token, { nil: undefined }), extra: fc.array(fc.tuple(fc.oneof(fc.constantFrom('__proto__', 'access_token', 'grant_type', 'refresh'), anyString(8)), fc.jsonValue({ maxDepth: 1 })), { maxLength: 1 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('text' as const), value: fc.oneof(anyString(100), fc.constantFrom('{', '{"refresh_token":', 'null', '', '{"refresh_token":null}')) }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) }
  ),
  contentType: fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', '', 'application/json; charset=utf-8') }, { weight: 1, arbitrary: anyString(20) }),
  cookie: fc.option(fc.record({ name: fc.constantFrom('rt', 'rt', 'rt', '__Secure-rt', 'RT', 'sid'), token }), { nil: undefined }),
  origin: fc.option(fc.constantFrom('https://evil.example', 'null', 'http://127.0.0.1', 'self'), { nil: undefined }),
  fetchSite: fc.option(fc.constantFrom('cross-site', 'same-site', 'same-origin', 'none'), { nil: undefined }),
  bearer: fc.option(token, { nil: undefined })
})

interface Target { s: TestApp, raw: RawClient, live: string, access: string }

t.test('fuzz: refresh and logout bodies and cookies', async t => {
  const watched = watchProcess(t)
  const targets: Target[] = []
  for (const store of STORES) {
    if (storeSkip(store) !== false) {
      // No Redis or no PostgreSQL here (and CI=false): the other stores get every case.
      t.comment(`no ${store}: the refresh fuzz runs on the other stores only`)
      continue
    }
    const s = await startApp(t, { STORE: store, AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'denylist' })
    const raw = new RawClient(s.url)
    t.teardown(() => { raw.close() })
    targets.push({ s, raw, live: '', access: '' })
  }
  async function login (x: Target): Promise<void> {
    const r = await x.raw.send({ method: 'POST', path: '/jwt/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...alice, transport: 'body' }) })
    if (r.status !== 200) throw new Error(`login: ${r.status} ${r.text}`)
    x.live = r.body.refresh_token
    x.access = r.body.access_token
  }
  for (const x of targets) await login(x)

  const build = (x: Target, tk: Token): unknown => {
    switch (tk.kind) {
      case 'live': return mutate(x.live, tk.mutations)
      case 'access': return mutate(x.access, tk.mutations)
      case 'random': return tk.value
      case 'json': return tk.value
    }
  }

  await runTarget(t, 'refresh', arbitrary, async c => {
    const x = targets[c.redis ? targets.length - 1 : 0]!
    const headers: Record<string, string> = {}
    let text: string | undefined
    let bodyToken: unknown
    if (c.body.kind === 'object') {
      const entries: string[] = []
      if (c.body.token !== undefined) {
        bodyToken = build(x, c.body.token)
        entries.push(`"refresh_token":${JSON.stringify(bodyToken) ?? 'null'}`)
      }
      for (const [k, v] of c.body.extra) entries.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`)
      text = `{${entries.join(',')}}`
    } else if (c.body.kind === 'json') {
      text = JSON.stringify(c.body.value)
    } else if (c.body.kind === 'text') {
      text = c.body.value
    }
    if (text !== undefined) headers['content-type'] = headerValue(c.contentType)
    let cookieToken: string | undefined
    if (c.cookie !== undefined) {
      const v = build(x, c.cookie.token)
      const value = typeof v === 'string' ? v : JSON.stringify(v) ?? ''
      headers.cookie = headerValue(`${c.cookie.name}=${value}`)
      cookieToken = fastifyCookie.parse(headers.cookie.trim()).rt
    }
    if (c.origin !== undefined) headers.origin = c.origin === 'self' ? x.s.url : c.origin
    if (c.fetchSite !== undefined) headers['sec-fetch-site'] = c.fetchSite
    if (c.bearer !== undefined) {
      const b = build(x, c.bearer)
      headers.authorization = headerValue(`Bearer ${typeof b === 'string' ? b : JSON.stringify(b) ?? ''}`)
    }
    const r = await x.raw.send({ method: 'POST', path: c.path, headers, body: text })

    // The token the server uses: the body's refresh_token when the body has one, else the rt cookie.
    let parsedBody: any
    try { parsedBody = text === undefined ? undefined : JSON.parse(text) } catch { parsedBody = undefined }
    const presented = parsedBody !== null && typeof parsedBody === 'object' && 'refresh_token' in parsedBody ? parsedBody.refresh_token : cookieToken
    const isLive = presented === x.live
    const allow2xx = c.path === '/jwt/logout' || isLive
    const problem = violation(r, allow2xx)
    // Keep a live login for the next cases: a refresh rotates it, a logout (or a refused replay) may end it.
    if (c.path === '/jwt/refresh' && r.status === 200) {
      x.live = r.body.refresh_token ?? (r.setCookies.map(l => /^rt=([^;]+)/.exec(l)?.[1]).find(v => v !== undefined) ?? x.live)
      x.access = r.body.access_token
    } else if (isLive || c.path === '/jwt/logout') {
      const check = await x.raw.send({ method: 'POST', path: '/jwt/refresh', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: x.live }) })
      if (check.status === 200) {
        x.live = check.body.refresh_token
        x.access = check.body.access_token
      } else {
        await login(x)
      }
    }
    return { problem, status: r.status }
  }, watched)

  for (const x of targets) {
    const r = await x.raw.send({ method: 'POST', path: '/jwt/refresh', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: x.live }) })
    t.equal(r.status, 200, `store=${x.s.config.store}: the live refresh token still works afterwards`)
  }
})
