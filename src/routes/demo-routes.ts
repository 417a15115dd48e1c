import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fp from 'fastify-plugin'
import fastifyStatic from '@fastify/static'
import { addHeaders, pageHeaders } from '../plugins/security-headers.js'
import type { FastifyInstance, FastifyReply, onSendHookHandler } from 'fastify'
import { secureCookies } from '../auth/cookie-policy.js'
import { assertSameSite } from '../auth/csrf.js'
import type { Config } from '../config/config.js'
import { AppError } from '../errors.js'
import type { StolenCredential, Strategy } from '../strategies/strategy.js'
import type { UserRepository } from '../users/user-repository.js'
import { redact } from './demo-support.js'

/**
 * Demo-only routes (registered only when DEMO_MODE is on, never in production):
 * - `GET /` and its assets: the side-by-side page, from the build output (dist/public);
 * - `GET /demo/info`: which strategies, store, revocation mode and lifetimes this server runs;
 * - `GET /{mount}/demo/inspect`: what the server stores for the caller's own credential, secrets
 *   redacted (each strategy's `demo.inspect`). Read-only and admin-free: it reads the records the
 *   presented credential points to, even after that credential stopped working ("the record is gone");
 * - `POST /{mount}/demo/steal` and `POST /demo/attack`: the page's attacker panel. "Steal" copies the
 *   credential the browser sent (each strategy's `demo.steal`) into a server-side loot slot (page script
 *   never sees an HttpOnly cookie), "attack" replays it from another "machine" through app.inject;
 * - `POST /demo/reset`: the demo accounts back as published (role, enabled, password), every login of
 *   theirs ended on every mount, their login limit counts started afresh, the attacker's loot dropped:
 *   the page's way back after "Change password" or a class of mistyped passwords;
 * - an `x-demo-set-cookie` response header repeating each Set-Cookie with its value redacted, so the
 *   page can show the attributes the server set (script cannot read Set-Cookie or HttpOnly cookies).
 *
 * Nothing here knows how a strategy works: it mounts what each strategy's `demo` adapter provides.
 */
export interface DemoOptions {
  config: Config
  strategies: readonly Strategy[]
  users: UserRepository
  /**
   * Each mount's store, and whether it reads through an auth cache (all with AUTH_CACHE=on; otherwise
   * the DEMO_CACHED_MOUNTS ones), for the page's column headers.
   */
  mountStores: ReadonlyMap<string, { store: string, cached: boolean }>
}

export { redact } from './demo-support.js'

/** The built page: dist/public, whether this module runs from dist/routes or (tests) src/routes. */
export const PUBLIC_DIR = fileURLToPath(new URL('../../dist/public/', import.meta.url))

function redactSetCookie (header: string): string {
  const eq = header.indexOf('=')
  const semi = header.indexOf(';')
  const value = header.slice(eq + 1, semi === -1 ? undefined : semi)
  // Headers must be ASCII: "..." rather than an ellipsis.
  const shown = value === '' ? '' : `${value.slice(0, 6)}...(${value.length} chars, redacted)`
  return header.slice(0, eq + 1) + shown + (semi === -1 ? '' : header.slice(semi))
}

/** Route-level onSend hook: runs after every scope's hooks, so the session cookie is already set. */
// A callback hook, not an async one: it runs on every route in demo mode and rarely has work to do.
const exposeSetCookie: onSendHookHandler = function exposeSetCookie (_request, reply, payload, done) {
  const set = reply.getHeader('set-cookie')
  if (set !== undefined) {
    const list = Array.isArray(set) ? set : [String(set)]
    reply.header('x-demo-set-cookie', list.map(redactSetCookie).join(' | '))
  }
  done(null, payload)
}

interface Loot extends StolenCredential { strategy: Strategy, stolenAt: number }

/** What the attacker holds, secrets redacted. */
function describeLoot (l: Loot): string[] {
  const held: string[] = []
  if (l.cookie !== null) {
    const [name = '', value = ''] = l.cookie.split('=', 2)
    held.push(`${l.cookieLabel} ${name}=${redact(value)}`)
  }
  if (l.bearer !== null) held.push(`access token ${redact(l.bearer, 12)}`)
  return held
}
const MAX_LOOT = 100

/** What a stolen credential can be replayed against on every strategy: its protected routes. */
const PROTECTED_ATTACKS: Readonly<Record<string, { method: 'GET' | 'POST', path: string, body?: object }>> = {
  me: { method: 'GET', path: '/api/me' },
  admin: { method: 'GET', path: '/api/admin' },
  notes: { method: 'POST', path: '/api/notes', body: { text: 'written by the attacker' } }
}

export const demoRoutes = fp(async function demoRoutes (app: FastifyInstance, opts: DemoOptions) {
  const { config, strategies, users, mountStores } = opts
  const loot = new Map<string, Loot>()

  app.addHook('onRoute', route => {
    const existing = route.onSend
    route.onSend = existing === undefined ? [exposeSetCookie] : [...(Array.isArray(existing) ? existing : [existing]), exposeSetCookie]
  })

  if (existsSync(PUBLIC_DIR)) {
    // The page's documents get the full document header set; everything else keeps the API's.
    await app.register(async function page (scope) {
      addHeaders(scope, pageHeaders(config.cookieSecure === true))
      await scope.register(fastifyStatic, { root: PUBLIC_DIR, wildcard: false, index: 'index.html' })
    })
  } else {
    app.get('/', async () => { throw new AppError('page_not_built', 'the demo page is built by `npm run build` (dist/public is missing)') })
  }

  app.get('/demo/info', async (request) => ({
    strategies: strategies.map(s => s.name),
    mounts: strategies.map(s => ({ name: s.name, ...s.demo.info, ...(mountStores.get(s.name) ?? { store: config.store, cached: false }) })),
    store: config.store,
    authCache: config.authCache !== null,
    jwtRevocation: config.jwt.revocation,
    accessTtlSec: config.jwt.accessTtlMs / 1000,
    clockToleranceSec: config.jwt.clockToleranceSec,
    sessionIdleTtlSec: config.session.idleTtlMs / 1000,
    maxSessionsPerUser: config.maxSessionsPerUser,
    cookieSecure: secureCookies(config, request)
  }))

  const allowedOrigins = new Set(config.allowedOrigins)
  app.post('/demo/reset', async (request, reply) => {
    // No credential guards it (demo mode, published passwords), but another site's page must not reset a class.
    assertSameSite(request, allowedOrigins)
    reply.header('cache-control', 'no-store')
    const reset: string[] = []
    const loginsEnded: Record<string, number> = Object.fromEntries(strategies.map(s => [s.name, 0]))
    for (const username of users.demoUsernames()) {
      const user = await users.restoreDemo(username)
      if (user === null) continue
      reset.push(user.username)
      // 'revoke' ends every login of the user on each mount (and denies its live access tokens where
      // the mode can); the bumped version and epoch already refuse everything issued before.
      const ended = await Promise.all(strategies.map(async s => await s.onUserChange(user, 'revoke')))
      strategies.forEach((s, i) => { loginsEnded[s.name]! += ended[i]! })
      // A class that mistyped passwords is not left waiting out the login limit's window.
      await app.loginGuard.forget(user.username)
    }
    loot.clear()
    return { reset, loginsEnded, lootCleared: true, loginLimitCleared: true }
  })

  for (const strategy of strategies) {
    await app.register(async function demoScope (scope) {
      if (strategy.demo.needsCredentials) await scope.register(strategy.credentials)
      scope.get('/inspect', async (request, reply) => {
        reply.header('cache-control', 'no-store')
        return await strategy.demo.inspect(request)
      })
      scope.post('/steal', async request => {
        const stolen = strategy.demo.steal(request)
        if (stolen === null) throw new AppError('nothing_to_steal', 'log in first: the request carried no credential')
        const id = randomBytes(9).toString('base64url')
        if (loot.size >= MAX_LOOT) loot.delete(loot.keys().next().value as string)
        const l: Loot = { strategy, ...stolen, stolenAt: Date.now() }
        loot.set(id, l)
        return { loot: id, holds: describeLoot(l) }
      })
    }, { prefix: `/${strategy.name}/demo` })
  }

  const actions = [...new Set([...Object.keys(PROTECTED_ATTACKS), ...strategies.flatMap(s => Object.keys(s.demo.attacks))])]

  app.post<{ Body: { loot: string, action: string } }>('/demo/attack', {
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['loot', 'action'],
        properties: { loot: { type: 'string', maxLength: 64 }, action: { type: 'string', enum: actions } }
      }
    }
  }, async (request, reply: FastifyReply) => {
    const l = loot.get(request.body.loot)
    if (l === undefined) throw new AppError('loot_not_found', 'nothing stolen under that id (the server restarted?)')
    const own = l.strategy.demo.attacks[request.body.action]
    const attack: { method: 'GET' | 'POST', path: string, body?: object } | undefined = own ?? PROTECTED_ATTACKS[request.body.action]
    if (attack === undefined) throw new AppError('invalid_request', `${l.strategy.name} has no ${request.body.action}`)
    const headers: Record<string, string> = { 'user-agent': 'attacker-laptop/1.0' }
    if (l.cookie !== null) headers.cookie = l.cookie
    // A strategy's own attacks (refresh) present its cookie only; the protected routes get the bearer too.
    if (l.bearer !== null && own === undefined) headers.authorization = `Bearer ${l.bearer}`
    const path = `/${l.strategy.name}${attack.path}`
    const started = performance.now()
    const res = await app.inject({ method: attack.method, url: path, headers, remoteAddress: '203.0.113.66', ...(attack.body === undefined ? {} : { payload: attack.body }) })
    const latencyMs = Math.round((performance.now() - started) * 10) / 10
    let body: unknown = res.body
    try { body = res.json() } catch { /* not JSON */ }
    if (res.statusCode === 200) {
      // The attacker keeps what the server hands out: a rotated credential cookie, a new access token.
      const cookieName = l.cookie?.split('=', 1)[0]
      const next = res.cookies.find(c => c.name === cookieName)
      if (next !== undefined && next.value !== '') l.cookie = `${next.name}=${next.value}`
      const at = (body as { access_token?: unknown } | null)?.access_token
      if (typeof at === 'string') l.bearer = at
    }
    reply.header('cache-control', 'no-store')
    return { method: attack.method, path, status: res.statusCode, storeOps: res.headers['x-auth-store-ops'] ?? null, latencyMs, body, holds: describeLoot(l) }
  })
}, { name: 'demo-routes', dependencies: ['@fastify/cookie', 'login-guard'] })
