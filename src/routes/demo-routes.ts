import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fp from 'fastify-plugin'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify'
import { cookieNameFor, internalCookieName, secureCookies } from '../auth/cookie-policy.js'
import type { Config } from '../config/config.js'
import { AppError } from '../errors.js'
import type { KvStore } from '../stores/kv-store.js'
import type { Strategy } from '../strategies/strategy.js'
import type { UserRepository } from '../users/user-repository.js'

/**
 * Demo-only routes (registered only when DEMO_MODE is on, never in production):
 * - `GET /` and its assets: the side-by-side page, from the build output (dist/public);
 * - `GET /demo/info`: which strategies, store, revocation mode and lifetimes this server runs;
 * - `GET /{session,jwt}/demo/inspect`: what the server stores for the caller's own credential, secrets
 *   redacted. Read-only and admin-free: it reads the records the presented credential points to, even
 *   after that credential stopped working (so a demo can show "the record is gone");
 * - `POST /{session,jwt}/demo/steal` and `POST /demo/attack`: the page's attacker panel. "Steal" copies
 *   the credential the browser sent into a server-side loot slot (page script never sees an HttpOnly
 *   cookie), "attack" replays it from another "machine" through app.inject;
 * - an `x-demo-set-cookie` response header repeating each Set-Cookie with its value redacted, so the
 *   page can show the attributes the server set (script cannot read Set-Cookie or HttpOnly cookies).
 *
 * Store key names below mirror the strategies' (session-records.ts, refresh-tokens.ts, revocation.ts);
 * the demo runner's inspection output breaks visibly if they drift.
 */
export interface DemoOptions {
  config: Config
  store: KvStore
  users: UserRepository
  strategies: readonly Strategy[]
}

const KEYS = {
  session: (id: string) => `sess:${id}`,
  sessionEnd: (id: string) => `sess-end:${id}`,
  userSessions: (userId: string) => `user-sessions:${userId}`,
  refresh: (hash: string) => `rt:${hash}`,
  family: (id: string) => `fam:${id}`,
  userFamilies: (userId: string) => `user-families:${userId}`,
  deny: (jti: string) => `deny:${jti}`,
  denyFamily: (id: string) => `deny-sid:${id}`,
  revokedBefore: (userId: string) => `revoked-before:${userId}`
}

/** The built page: dist/public, whether this module runs from dist/routes or (tests) src/routes. */
export const PUBLIC_DIR = fileURLToPath(new URL('../../dist/public/', import.meta.url))

/** Shows the first characters of a secret and nothing more. */
export function redact (secret: string, keep = 6): string {
  return secret.length <= keep ? '…' : `${secret.slice(0, keep)}…`
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('base64url')

function redactSetCookie (header: string): string {
  const eq = header.indexOf('=')
  const semi = header.indexOf(';')
  const value = header.slice(eq + 1, semi === -1 ? undefined : semi)
  // Headers must be ASCII: "..." rather than an ellipsis.
  const shown = value === '' ? '' : `${value.slice(0, 6)}...(${value.length} chars, redacted)`
  return header.slice(0, eq + 1) + shown + (semi === -1 ? '' : header.slice(semi))
}

/** Route-level onSend hook: runs after every scope's hooks, so the session cookie is already set. */
const exposeSetCookie: onSendHookHandler = async function exposeSetCookie (_request, reply, payload) {
  const set = reply.getHeader('set-cookie')
  if (set !== undefined) {
    const list = Array.isArray(set) ? set : [String(set)]
    reply.header('x-demo-set-cookie', list.map(redactSetCookie).join(' | '))
  }
  return payload
}

interface Loot { strategy: 'session' | 'jwt', cookie: string | null, bearer: string | null, stolenAt: number }
const MAX_LOOT = 100

async function ttlSeconds (store: KvStore, key: string): Promise<number | null> {
  const ms = await store.ttl(key)
  return ms < 0 ? null : Math.ceil(ms / 1000)
}

export const demoRoutes = fp(async function demoRoutes (app: FastifyInstance, opts: DemoOptions) {
  const { config, store, users, strategies } = opts
  // The names request.cookies holds them under (src/auth/cookie-policy.ts maps https requests under auto);
  // loot is replayed through app.inject, plain http, where these are the names on the wire too.
  const sessionCookie = internalCookieName(config, 'sid')
  const refreshCookie = internalCookieName(config, 'rt')
  const loot = new Map<string, Loot>()

  app.addHook('onRoute', route => {
    const existing = route.onSend
    route.onSend = existing === undefined ? [exposeSetCookie] : [...(Array.isArray(existing) ? existing : [existing]), exposeSetCookie]
  })

  if (existsSync(PUBLIC_DIR)) {
    await app.register(fastifyStatic, { root: PUBLIC_DIR, wildcard: false, index: 'index.html' })
  } else {
    app.get('/', async () => { throw new AppError('page_not_built', 'the demo page is built by `npm run build` (dist/public is missing)') })
  }

  app.get('/demo/info', async (request) => ({
    strategies: config.strategies,
    store: config.store,
    jwtRevocation: config.jwt.revocation,
    accessTtlSec: config.jwt.accessTtlMs / 1000,
    clockToleranceSec: config.jwt.clockToleranceSec,
    sessionIdleTtlSec: config.session.idleTtlMs / 1000,
    maxSessionsPerUser: config.maxSessionsPerUser,
    cookieSecure: secureCookies(config, request)
  }))

  async function userSummary (userId: string): Promise<object> {
    const user = await users.findById(userId)
    return user === null
      ? { key: `user:${userId}`, value: null, note: 'no such user in this store' }
      : { key: `user:${userId}`, value: { username: user.username, role: user.role, disabled: user.disabled, version: user.version, passwordHash: '[redacted]' } }
  }

  async function inspectSession (request: FastifyRequest): Promise<object> {
    const raw = request.cookies[sessionCookie]
    if (raw === undefined || raw === '') return { strategy: 'session', credential: null, serverKeeps: [], note: 'the browser sent no session cookie (never logged in, logged out, or the server cleared it after a rejection)' }
    const unsigned = request.unsignCookie(raw)
    if (!unsigned.valid || unsigned.value === null) {
      return { strategy: 'session', credential: { cookie: cookieNameFor(config, request, 'sid'), signature: 'invalid' }, serverKeeps: [], note: 'the cookie signature does not verify: the server looks nothing up' }
    }
    const id = unsigned.value
    const [recordRaw, ended, ttl] = await Promise.all([store.get(KEYS.session(id)), store.get(KEYS.sessionEnd(id)), ttlSeconds(store, KEYS.session(id))])
    const record = recordRaw === null ? null : JSON.parse(recordRaw) as { cookie?: unknown, auth?: { userId: string } }
    const keeps: object[] = [{ key: `sess:${redact(id)}`, ttlSec: ttl, value: record }]
    if (ended !== null) keeps.push({ key: `sess-end:${redact(id)}`, value: ended, note: 'marker left when the session ended, so a replay gets a precise error' })
    if (record?.auth !== undefined) {
      const members = await store.setMembers(KEYS.userSessions(record.auth.userId))
      keeps.push({ key: `user-sessions:${record.auth.userId}`, value: `${members.length} session id(s) (the per-user index used by revoke, devices, limits)` })
      keeps.push(await userSummary(record.auth.userId))
    }
    return {
      strategy: 'session',
      credential: { cookie: cookieNameFor(config, request, 'sid'), sessionId: redact(id), signature: 'valid' },
      serverKeeps: keeps,
      note: record === null ? 'no record: this session id is unknown, expired or ended' : 'the cookie holds only the signed id; everything else is this record'
    }
  }

  async function inspectJwt (request: FastifyRequest): Promise<object> {
    const mode = config.jwt.revocation
    const header = request.headers.authorization ?? ''
    const token = /^bearer /i.test(header) ? header.slice(7) : null
    let access: Record<string, unknown> | null = null
    let claims: { sub?: string, sid?: string, jti?: string, ver?: number, exp?: number } | null = null
    if (token !== null) {
      let verdict = 'valid'
      try {
        request.server.jwt.verify(token)
      } catch (err) {
        const code = (err as { code?: string }).code
        verdict = code === 'FAST_JWT_EXPIRED' ? 'expired (signature valid)' : 'invalid'
      }
      if (verdict !== 'invalid') {
        claims = request.server.jwt.decode(token)
        access = { signature: verdict, jti: redact(claims?.jti ?? ''), sid: claims?.sid, ver: claims?.ver, secondsToExp: (claims?.exp ?? 0) - Math.floor(Date.now() / 1000) }
      } else {
        access = { signature: 'invalid' }
      }
    }
    const refresh = request.cookies[refreshCookie] ?? (typeof request.headers['x-refresh-token'] === 'string' ? request.headers['x-refresh-token'] : undefined)
    const keeps: object[] = []
    let familyId = claims?.sid
    let userId = claims?.sub
    if (refresh !== undefined && refresh !== '') {
      const hash = sha256(refresh)
      const rtRaw = await store.get(KEYS.refresh(hash))
      const rt = rtRaw === null ? null : JSON.parse(rtRaw) as { familyId: string, userId: string }
      keeps.push({ key: `rt:${redact(hash)}`, ttlSec: await ttlSeconds(store, KEYS.refresh(hash)), value: rt, note: rt === null ? 'no record for this refresh token: unknown, expired or revoked' : 'only the SHA-256 of the refresh token is stored' })
      familyId ??= rt?.familyId
      userId ??= rt?.userId
    }
    if (familyId !== undefined) {
      const famRaw = await store.get(KEYS.family(familyId))
      const fam = famRaw === null ? null : JSON.parse(famRaw) as Record<string, unknown>
      if (fam !== null) fam.tokenHash = redact(String(fam.tokenHash))
      keeps.push({ key: `fam:${familyId}`, ttlSec: await ttlSeconds(store, KEYS.family(familyId)), value: fam, note: fam === null ? 'the login (refresh family) has ended' : 'one login: the chain of rotated refresh tokens' })
    }
    if (userId !== undefined) {
      keeps.push({ key: `user-families:${userId}`, value: `${(await store.setMembers(KEYS.userFamilies(userId))).length} live login(s)` })
      if (mode === 'denylist') {
        const [deny, denySid, before] = await store.getMany([KEYS.deny(claims?.jti ?? '-'), KEYS.denyFamily(familyId ?? '-'), KEYS.revokedBefore(userId)])
        keeps.push({ key: 'denylist', value: { [`deny:${redact(claims?.jti ?? '')}`]: deny, [`deny-sid:${familyId ?? ''}`]: denySid, [`revoked-before:${userId}`]: before }, note: 'checked (one MGET) on every request' })
      }
      keeps.push(await userSummary(userId))
    }
    const checks = {
      none: 'access tokens: nothing stored, nothing looked up; the signature and exp decide until the token expires',
      denylist: 'access tokens: each request looks up the denylist entries above (1 store round trip)',
      version: 'access tokens: each request compares the token\'s ver claim with the user record\'s version (1 store round trip)'
    }[mode]
    return { strategy: 'jwt', mode, credential: { accessToken: access, refreshToken: refresh === undefined ? null : redact(refresh) }, serverKeeps: keeps, note: checks }
  }

  function steal (strategy: Strategy, request: FastifyRequest): object {
    const cookieName = strategy.name === 'session' ? sessionCookie : refreshCookie
    const cookieValue = request.cookies[cookieName]
    const header = request.headers.authorization
    const bearer = strategy.name === 'jwt' && header !== undefined && /^bearer /i.test(header) ? header.slice(7) : null
    if ((cookieValue === undefined || cookieValue === '') && bearer === null) throw new AppError('nothing_to_steal', 'log in first: the request carried no credential')
    const id = randomBytes(9).toString('base64url')
    if (loot.size >= MAX_LOOT) loot.delete(loot.keys().next().value as string)
    loot.set(id, { strategy: strategy.name, cookie: cookieValue === undefined || cookieValue === '' ? null : `${cookieName}=${cookieValue}`, bearer, stolenAt: Date.now() })
    return { loot: id, holds: describeLoot(loot.get(id)!) }
  }

  function describeLoot (l: Loot): string[] {
    const held: string[] = []
    if (l.cookie !== null) {
      const [name = '', value = ''] = l.cookie.split('=', 2)
      held.push(`${l.strategy === 'session' ? 'session cookie' : 'refresh token cookie'} ${name}=${redact(value)}`)
    }
    if (l.bearer !== null) held.push(`access token ${redact(l.bearer, 12)}`)
    return held
  }

  for (const strategy of strategies) {
    await app.register(async function demoScope (scope) {
      // The JWT scope needs the strategy's verifier (request.server.jwt); sessions are read directly.
      if (strategy.name === 'jwt') await scope.register(strategy.credentials)
      scope.get('/inspect', async (request, reply) => {
        reply.header('cache-control', 'no-store')
        return strategy.name === 'session' ? await inspectSession(request) : await inspectJwt(request)
      })
      scope.post('/steal', async request => steal(strategy, request))
    }, { prefix: `/${strategy.name}/demo` })
  }

  const ATTACKS: Record<string, { method: 'GET' | 'POST', path: string, body?: object }> = {
    me: { method: 'GET', path: '/api/me' },
    admin: { method: 'GET', path: '/api/admin' },
    notes: { method: 'POST', path: '/api/notes', body: { text: 'written by the attacker' } },
    refresh: { method: 'POST', path: '/refresh' }
  }

  app.post<{ Body: { loot: string, action: string } }>('/demo/attack', {
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['loot', 'action'],
        properties: { loot: { type: 'string', maxLength: 64 }, action: { type: 'string', enum: Object.keys(ATTACKS) } }
      }
    }
  }, async (request, reply: FastifyReply) => {
    const l = loot.get(request.body.loot)
    if (l === undefined) throw new AppError('loot_not_found', 'nothing stolen under that id (the server restarted?)')
    const attack = ATTACKS[request.body.action]!
    if (attack.path === '/refresh' && l.strategy !== 'jwt') throw new AppError('invalid_request', 'sessions have no refresh')
    const headers: Record<string, string> = { 'user-agent': 'attacker-laptop/1.0' }
    if (l.cookie !== null) headers.cookie = l.cookie
    if (l.bearer !== null && attack.path !== '/refresh') headers.authorization = `Bearer ${l.bearer}`
    const path = `/${l.strategy}${attack.path}`
    const started = performance.now()
    const res = await app.inject({ method: attack.method, url: path, headers, remoteAddress: '203.0.113.66', ...(attack.body === undefined ? {} : { payload: attack.body }) })
    const latencyMs = Math.round((performance.now() - started) * 10) / 10
    let body: unknown = res.body
    try { body = res.json() } catch { /* not JSON */ }
    if (attack.path === '/refresh' && res.statusCode === 200) {
      // The attacker keeps what the server hands out: the new access token and the rotated refresh cookie.
      const next = res.cookies.find(c => c.name === refreshCookie)
      if (next !== undefined) l.cookie = `${refreshCookie}=${next.value}`
      const at = (body as { access_token?: string }).access_token
      if (at !== undefined) l.bearer = at
    }
    reply.header('cache-control', 'no-store')
    return { method: attack.method, path, status: res.statusCode, storeOps: res.headers['x-auth-store-ops'] ?? null, latencyMs, body, holds: describeLoot(l) }
  })
}, { name: 'demo-routes', dependencies: ['@fastify/cookie'] })
