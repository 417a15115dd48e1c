import { benchUser, type Login } from '../harness/fixtures.js'
import { decodeJwt } from '../harness/http.js'
import { loginAdmin } from '../harness/login.js'
import { endsRefreshFamily, mechanismOf, promised, type Promised } from '../harness/promises.js'
import { authOf, call, login, loginJwt, type Auth, type Credential } from './http.js'
import { postgresEnv } from './postgres.js'
import { serverEnv, type Scenario } from './scenarios.js'
import { startServer } from './server-process.js'
import { sleep } from './util.js'

/** The events the matrix observes (of harness/promises.ts EVENTS; theft by refresh-token reuse is observed apart). */
export const EVENTS = ['logout', 'revoke', 'role', 'disable', 'password'] as const
export type RevocationEvent = typeof EVENTS[number]

const jwtPayload = (token: string): Record<string, unknown> => decodeJwt(token).payload

/** A strategy/mode whose revocation behaviour is checked. */
export interface RevocationTarget {
  name: string
  kind: 'session' | 'jwt'
  store: 'memory' | 'redis' | 'postgres'
  env: Record<string, string>
}

export const REVOCATION_TARGETS: readonly RevocationTarget[] = [
  { name: 'session-memory', kind: 'session', store: 'memory', env: { AUTH_STRATEGIES: 'session', STORE: 'memory' } },
  { name: 'session-redis', kind: 'session', store: 'redis', env: { AUTH_STRATEGIES: 'session', STORE: 'redis' } },
  { name: 'jwt-none', kind: 'jwt', store: 'redis', env: { AUTH_STRATEGIES: 'jwt', STORE: 'redis', JWT_REVOCATION: 'none' } },
  { name: 'jwt-denylist', kind: 'jwt', store: 'redis', env: { AUTH_STRATEGIES: 'jwt', STORE: 'redis', JWT_REVOCATION: 'denylist' } },
  { name: 'jwt-version', kind: 'jwt', store: 'redis', env: { AUTH_STRATEGIES: 'jwt', STORE: 'redis', JWT_REVOCATION: 'version' } },
  // The cached mode must keep every promise of the mode it caches: an invalidation that arrives late
  // shows up here as a window where the promise says "immediate".
  { name: 'session-redis-cached', kind: 'session', store: 'redis', env: { AUTH_STRATEGIES: 'session', STORE: 'redis', AUTH_CACHE: 'on' } },
  { name: 'jwt-denylist-cached', kind: 'jwt', store: 'redis', env: { AUTH_STRATEGIES: 'jwt', STORE: 'redis', JWT_REVOCATION: 'denylist', AUTH_CACHE: 'on' } },
  { name: 'jwt-version-cached', kind: 'jwt', store: 'redis', env: { AUTH_STRATEGIES: 'jwt', STORE: 'redis', JWT_REVOCATION: 'version', AUTH_CACHE: 'on' } },
  { name: 'session-postgres', kind: 'session', store: 'postgres', env: { AUTH_STRATEGIES: 'session', ...postgresEnv('revocation-session-postgres') } },
  { name: 'jwt-denylist-postgres', kind: 'jwt', store: 'postgres', env: { AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'denylist', ...postgresEnv('revocation-jwt-denylist-postgres') } },
  { name: 'jwt-version-postgres', kind: 'jwt', store: 'postgres', env: { AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'version', ...postgresEnv('revocation-jwt-version-postgres') } }
]

/** What the target promises for `event` (harness/promises.ts): 'immediate' or 'until-exp'. */
export function promisedFor (target: RevocationTarget, event: RevocationEvent): Promised {
  return promised(mechanismOf(target.kind, target.env.JWT_REVOCATION), event)
}

export interface EventObservation {
  event: RevocationEvent
  /** immediate: the first request after the change saw it; window: it took `windowSec`; never: still working at the bound. */
  effect: 'immediate' | 'window' | 'never'
  windowSec: number | null
  /** Seconds from the change to the access token's `exp` (JWT only). */
  untilExpSec: number | null
  /** The first answer that showed the change: `401 session_revoked`, `200 role=admin`, ... */
  firstChange: string | null
  /** Role change only: did the old credential show the new role (rather than fail or keep the old one)? */
  newRoleOnOldCredential: boolean | null
  /** JWT: did the login's refresh token stop working (its family ended)? */
  familyEnded: boolean | null
  /** JWT role change: the role in the access token that a refresh returned. */
  roleAfterRefresh: string | null
  expected: string
  ok: boolean
  problem?: string
}

export interface TheftObservation {
  /** Answer to the second use of the spent token. */
  reuseAnswer: string
  /** Answer to the newest token of the family afterwards (should be 401: the family is revoked). */
  newestTokenAnswer: string
  /** What the family's newest access token gets on /api/me right after detection. */
  accessTokenAfter: string
  detected: boolean
}

export interface RevocationResult {
  target: string
  config: Record<string, string>
  accessTtlSec: number | null
  events: EventObservation[]
  theft: TheftObservation | null
  ok: boolean
  error?: string
}

const describe = (r: { status: number, body: any }): string => {
  if (r.status === 200 && typeof r.body?.role === 'string') return `200 role=${String(r.body.role)}`
  return `${r.status} ${typeof r.body?.error === 'string' ? String(r.body.error) : ''}`.trim()
}

async function adminAuth (url: string, kind: 'session' | 'jwt', env: Record<string, string>): Promise<Auth> {
  return authOf(await loginAdmin(env, async who => await login(url, kind, who)))
}

async function performEvent (url: string, env: Record<string, string>, kind: 'session' | 'jwt', event: RevocationEvent, cred: Credential, username: string): Promise<void> {
  let res
  if (event === 'logout') {
    res = kind === 'session'
      ? await call(url, 'POST', '/session/logout', authOf(cred))
      : await call(url, 'POST', '/jwt/logout', { bearer: cred.accessToken!, json: { refresh_token: cred.refreshToken } })
  } else {
    const admin = await adminAuth(url, kind, env)
    const body = event === 'role' ? { role: 'admin' } : event === 'password' ? { password: 'a-new-password-42' } : undefined
    res = await call(url, 'POST', `/admin/users/${username}/${event}`, { ...admin, ...(body === undefined ? {} : { json: body }) })
  }
  if (res.status >= 300) throw new Error(`${event} of ${username}: ${res.status} ${JSON.stringify(res.body)}`)
}

async function observeEvent (url: string, env: Record<string, string>, target: RevocationTarget, event: RevocationEvent, index: number, boundMs: number, pollMs: number): Promise<EventObservation> {
  const who = benchUser(index)
  const username = who.username
  const cred = await login(url, target.kind, who)
  const path = `/${target.kind}/api/me`
  const before = await call(url, 'GET', path, authOf(cred))
  if (before.status !== 200) throw new Error(`${username} cannot use a fresh credential: ${describe(before)}`)

  await performEvent(url, env, target.kind, event, cred, username)
  const changedAt = Date.now()
  const exp = cred.accessToken === undefined ? null : Number(jwtPayload(cred.accessToken).exp)
  const untilExpSec = exp === null ? null : (exp * 1000 - changedAt) / 1000

  const changed = (r: { status: number, body: any }): boolean =>
    r.status === 401 || r.status === 403 || (event === 'role' && r.status === 200 && r.body?.role === 'admin')

  let familyEnded: boolean | null = null
  let roleAfterRefresh: string | null = null
  let first = true
  let observation: Pick<EventObservation, 'effect' | 'windowSec' | 'firstChange' | 'newRoleOnOldCredential'> | null = null
  while (observation === null) {
    const r = await call(url, 'GET', path, authOf(cred))
    if (changed(r)) {
      observation = {
        effect: first ? 'immediate' : 'window',
        windowSec: first ? null : (Date.now() - changedAt) / 1000,
        firstChange: describe(r),
        newRoleOnOldCredential: event === 'role' ? r.status === 200 : null
      }
    } else if (r.status !== 200) {
      throw new Error(`${event}: unexpected answer ${describe(r)}`)
    }
    if (first && target.kind === 'jwt') {
      // The login's refresh token: has its family ended (every event but a role change should end it)?
      const refreshed = await call(url, 'POST', '/jwt/refresh', { json: { refresh_token: cred.refreshToken } })
      familyEnded = refreshed.status === 401
      if (refreshed.status === 200) roleAfterRefresh = String(jwtPayload(String(refreshed.body.access_token)).role)
    }
    first = false
    if (observation === null) {
      if (Date.now() - changedAt > boundMs) observation = { effect: 'never', windowSec: null, firstChange: null, newRoleOnOldCredential: event === 'role' ? false : null }
      else await sleep(pollMs)
    }
  }

  const promise = promisedFor(target, event)
  const problems: string[] = []
  if (promise === 'immediate' && observation.effect !== 'immediate') problems.push(`expected immediate, saw ${observation.effect}${observation.windowSec === null ? '' : ` after ${observation.windowSec.toFixed(1)} s`}`)
  if (promise === 'until-exp') {
    if (observation.effect !== 'window') problems.push(`expected the old token to keep working until exp, saw ${observation.effect}`)
    else if (untilExpSec !== null && Math.abs((observation.windowSec ?? 0) - untilExpSec) > 1.5) problems.push(`window ${observation.windowSec?.toFixed(1)} s is not the token's remaining life ${untilExpSec.toFixed(1)} s`)
  }
  if (target.kind === 'session' && event === 'role' && observation.newRoleOnOldCredential !== true) problems.push('the session did not show the new role on the next request')
  if (target.kind === 'jwt') {
    if (!endsRefreshFamily(event)) {
      if (familyEnded !== false) problems.push('a role change ended the refresh family')
      else if (roleAfterRefresh !== 'admin') problems.push(`refresh after a role change carried role ${roleAfterRefresh}`)
    } else if (familyEnded !== true) problems.push('the refresh family survived the event')
  }
  const expected = promise === 'immediate'
    ? (event === 'role' && target.kind === 'session' ? 'immediate (new role)' : 'immediate')
    : 'until exp'
  return {
    event,
    ...observation,
    untilExpSec,
    familyEnded,
    roleAfterRefresh,
    expected: target.kind === 'jwt' ? `${expected}; family ${event === 'role' ? 'kept, refresh carries new role' : 'ends'}` : expected,
    ok: problems.length === 0,
    ...(problems.length === 0 ? {} : { problem: problems.join('; ') })
  }
}

/**
 * A copied refresh token is used by both the client and a thief. Whoever goes first spends it and gets
 * the family's next token; the other then presents the spent copy. (The server cannot tell which one is
 * the thief, so one sequence covers both orders.)
 */
async function observeTheft (url: string, who: Login): Promise<TheftObservation> {
  const stolen = (await loginJwt(url, who)).refreshToken
  const refresh = async (token: string): Promise<{ status: number, body: any }> => await call(url, 'POST', '/jwt/refresh', { json: { refresh_token: token } })
  const firstUse = await refresh(stolen)
  if (firstUse.status !== 200) throw new Error(`first refresh failed: ${describe(firstUse)}`)
  const newest = String(firstUse.body.refresh_token)
  const newestAccess = String(firstUse.body.access_token)
  const reuse = await refresh(stolen)
  const afterNewest = await refresh(newest)
  const access = await call(url, 'GET', '/jwt/api/me', { bearer: newestAccess })
  return {
    reuseAnswer: describe(reuse),
    newestTokenAnswer: describe(afterNewest),
    accessTokenAfter: describe(access),
    detected: reuse.status === 401 && reuse.body?.error === 'refresh_token_reused' && afterNewest.status === 401
  }
}

export interface RevocationOptions {
  redisUrl: string | null
  prefixFor: (name: string) => string
  cleanup: (prefix: string) => Promise<void>
  accessTtlSec: number
  pollMs?: number
  log: (line: string) => void
}

/** Starts one server per target (short access TTL, no clock tolerance) and observes every event in parallel. */
export async function runRevocation (targets: readonly RevocationTarget[], options: RevocationOptions): Promise<RevocationResult[]> {
  const results: RevocationResult[] = []
  for (const target of targets) {
    if (target.store === 'redis' && options.redisUrl === null) {
      results.push({ target: target.name, config: target.env, accessTtlSec: null, events: [], theft: null, ok: false, error: 'no Redis' })
      continue
    }
    const prefix = options.prefixFor(`rev-${target.name}`)
    const scenario: Pick<Scenario, 'env' | 'store'> = { env: target.env, store: target.store }
    const env = serverEnv(scenario, {
      users: 10,
      redisUrl: options.redisUrl,
      keyPrefix: prefix,
      extra: target.kind === 'jwt' ? { JWT_ACCESS_TTL: `${options.accessTtlSec}s`, JWT_CLOCK_TOLERANCE: '0s' } : {}
    })
    const started = Date.now()
    let server
    try {
      server = await startServer({ env })
      const url = server.url
      const boundMs = (options.accessTtlSec + 2) * 1000
      const events = await Promise.all(EVENTS.map(async (event, i) => await observeEvent(url, env, target, event, i, boundMs, options.pollMs ?? 100)))
      const theft = target.kind === 'jwt'
        ? await observeTheft(url, benchUser(7))
        : null
      const ok = events.every(e => e.ok) && (theft === null || theft.detected)
      results.push({ target: target.name, config: env, accessTtlSec: target.kind === 'jwt' ? options.accessTtlSec : null, events, theft, ok })
      options.log(`revocation ${target.name}: ${ok ? 'as promised' : 'DIFFERS from the promise'} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
    } catch (err) {
      results.push({ target: target.name, config: env, accessTtlSec: null, events: [], theft: null, ok: false, error: `${(err as Error).message}${server === undefined ? '' : `\n${server.output()}`}` })
      options.log(`revocation ${target.name}: FAILED: ${(err as Error).message}`)
    } finally {
      await server?.stop()
      if (target.store === 'redis') await options.cleanup(prefix)
    }
  }
  return results
}
