import fp from 'fastify-plugin'
import fastifySession from '@fastify/session'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { assertSameSite, sameSiteOrigins } from '../../auth/csrf.js'
import { unauthorized } from '../../errors.js'
import type { Strategy, StrategyDeps } from '../strategy.js'
import { CachedSigner } from './cached-signer.js'
import { sessionDemo } from './session-demo.js'
import { SessionRecords } from './session-records.js'
import { CountingSessionStore, SessionWriteDropped, createSessionStore, usesConnectRedis } from './session-stores.js'
import { sessionRoutes } from './session-routes.js'
import type { SessionAuth } from './session-data.js'

/**
 * Cookie sessions on @fastify/session. The cookie carries only a signed random id; the record (user,
 * role, timestamps, device) lives in the store. Idle and absolute lifetimes are checked here against
 * server-side timestamps; `lastSeenAt` is written at most once per touch interval, so a protected
 * request costs one store read and, now and then, one write (every request when SESSION_ROLLING=true).
 */
export function createSessionStrategy ({ config, store, users, mount: { name } }: StrategyDeps): Strategy {
  const { idleTtlMs, absoluteTtlMs, rolling, redisStore, persistentCookie } = config.session
  const sessionStore = new CountingSessionStore(createSessionStore(store, config.keyPrefix, redisStore, { idleTtlMs, absoluteTtlMs }))
  // connect-redis (the benchmark's plugin-defaults reference) keeps @fastify/session's own write-back.
  const conditionalStore = !usesConnectRedis(store, redisStore)
  const records = new SessionRecords(sessionStore.inner, store, config.session)
  // `__Host-` pins the cookie to this host, https and Path=/ (browsers refuse it otherwise). A further
  // mount's cookie (also Path=/) needs a name of its own.
  const plain = name === 'session' ? 'sid' : `sid-${name}`
  const cookie = { plain, secure: `__Host-${plain}` }
  const cookieName = config.cookieSecure === true ? cookie.secure : cookie.plain
  // SameSite=None only under DEMO_UNSAFE_CSRF (demo mode on loopback): the demo's CSRF story without the defences.
  const cookieOptions = { httpOnly: true, sameSite: config.demoUnsafeCsrf ? 'none' as const : 'lax' as const, path: '/', secure: config.cookieSecure === true }
  // How stale lastSeenAt may get before it is written back: idle expiry is exact to within this.
  const touchIntervalMs = Math.min(60_000, Math.floor(idleTtlMs / 10))
  const allowedOrigins = sameSiteOrigins(config)

  const credentials = fp(async function sessionCredentials (scope) {
    scope.addHook('onRequest', function chargeSessionLookup (request, _reply, done) {
      sessionStore.expect(request)
      done()
    })
    if (conditionalStore) scope.addHook('onSend', writeBack)
    await scope.register(fastifySession, {
      secret: new CachedSigner(config.session.secrets),
      cookieName,
      store: sessionStore,
      saveUninitialized: false,
      // writeBack does the rolling writes itself (one write, not @fastify/session's second one).
      rolling: conditionalStore ? false : rolling,
      // SESSION_COOKIE_PERSISTENT=false: no maxAge, so neither Max-Age nor Expires (a browser-session cookie).
      cookie: persistentCookie ? { ...cookieOptions, maxAge: Math.min(idleTtlMs, absoluteTtlMs) } : cookieOptions
    })
    scope.addHook('onRequest', function stopCharging (_request, _reply, done) {
      sessionStore.expect(null)
      done()
    })
  }, { name: 'session-credentials', dependencies: ['@fastify/cookie'] })

  /**
   * Runs just before @fastify/session's onSend and does its write-back, so that a write the store drops
   * (KvSessionStore: the session ended, or a newer revision exists) is answered instead of failing the
   * response with a 500. The handler's answer stands (the request was authenticated when it arrived);
   * what changes is the cookie: an ended session gets it cleared, so the client learns at once that the
   * session is over, and a stale write keeps the session as the newer writer left it. Either way
   * @fastify/session then sees no session and writes nothing.
   */
  async function writeBack (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const session = request.session
    if (session === null || typeof session?.save !== 'function') return payload
    if (unchanged.has(session)) {
      // authenticate() already knows nothing needs writing. Without a session, @fastify/session's onSend
      // returns at once instead of hashing the whole record again to find that out.
      request.session = null as never
      return payload
    }
    if (!session.isModified() && !(rolling && session.auth !== undefined)) return payload
    // @fastify/session neither writes nor sends a Secure cookie over plain http; nor does this.
    if (session.cookie.secure === true && request.protocol !== 'https') return payload
    try {
      await session.save()
    } catch (err) {
      if (!(err instanceof SessionWriteDropped)) throw err
      request.session = null as never
      if (err.reason === 'ended') reply.clearCookie(cookieName, cookieOptions)
      else reply.setCookie(cookieName, session.encryptedSessionId, { ...cookieOptions, expires: session.cookie.expires ?? undefined })
    }
    return payload
  }

  /**
   * Sessions whose record authenticate() read and left as it was (no touch due, not rolling, signed with
   * the current secret). @fastify/session detects changes by hashing the whole record (serialise +
   * SHA-256) on every response, twice counting this strategy's own check; for these the answer is
   * already known. A handler that changes `request.session` after authenticate() must save it itself:
   * none does (the protected routes never see the session; logout and device routes destroy it).
   */
  const unchanged = new WeakSet<object>()

  async function rejectMissing (request: FastifyRequest): Promise<never> {
    const raw = request.cookies[cookieName]
    if (raw === undefined || raw === '') throw unauthorized('missing_credentials', 'log in first: no session cookie was sent')
    const unsigned = request.unsignCookie(raw)
    if (!unsigned.valid || unsigned.value === null) throw unauthorized('invalid_credentials', 'the session cookie is not one this server signed')
    request.authStoreOps++
    const reason = await records.endReason(unsigned.value)
    if (reason === null || reason === 'expired') throw unauthorized('session_expired', 'the session has expired; log in again')
    throw unauthorized('session_revoked', reason === 'logout' ? 'this session was logged out' : 'this session was ended by a forced logout')
  }

  async function endExpired (request: FastifyRequest, reply: FastifyReply, auth: SessionAuth, absolute: boolean): Promise<never> {
    await records.end(auth.userId, request.session.sessionId, 'expired')
    request.session = null as never
    reply.clearCookie(cookieName, cookieOptions)
    throw unauthorized('session_expired', absolute
      ? 'the session reached its absolute lifetime; log in again'
      : 'the session was idle too long; log in again')
  }

  /**
   * Synchronous for a live session: @fastify/session has already read the record (its onRequest hook),
   * so only a missing or expired one needs the store again, and only then is a promise returned.
   */
  function authenticate (request: FastifyRequest, reply: FastifyReply): void | Promise<void> {
    assertSameSite(request, allowedOrigins)
    const session = request.session
    const auth = session?.auth
    if (auth === undefined) return rejectMissing(request)
    const now = Date.now()
    const absolute = now - auth.createdAt >= absoluteTtlMs
    if (absolute || now - auth.lastSeenAt >= idleTtlMs) return endExpired(request, reply, auth, absolute)
    // A cookie signed with an older SESSION_SECRET: saving the record makes @fastify/session set the
    // cookie again, signed with the current secret (unsaved, it would clear the cookie it cannot match).
    const resign = request.cookies[cookieName] !== session.encryptedSessionId
    if (rolling || resign || now - auth.lastSeenAt >= touchIntervalMs) {
      auth.lastSeenAt = now
      if (persistentCookie) session.cookie.maxAge = Math.min(idleTtlMs, auth.createdAt + absoluteTtlMs - now)
    }
    // writeBack saves the record in onSend when it changed (or always, when rolling).
    if (rolling || auth.lastSeenAt === now) request.authStoreOps++
    else unchanged.add(session)
    request.principal = { userId: auth.userId, username: auth.username, role: auth.role, strategy: name, loginId: auth.handle }
  }

  return {
    name,
    kind: 'session',
    credentials,
    challenge: {},
    cookies: [cookie],
    demo: sessionDemo({ name, config, store, users, cookie }),
    routes: sessionRoutes({ config, records, users, authenticate, cookieName, cookieOptions }),
    presentedBy: request => request.cookies[cookieName] !== undefined,
    authenticate,
    async onUserChange (user, change) {
      if (change === 'role') return await records.updateRole(user.id, user.role)
      if (change === 'rename') return await records.updateUsername(user.id, user.username)
      if (change === 'enable') return 0
      return await records.endAll(user.id, 'revoked')
    }
  }
}
