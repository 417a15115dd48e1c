import { createHash } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { internalCookieName } from '../../auth/cookie-policy.js'
import type { Config } from '../../config/config.js'
import { redact, ttlSeconds, userSummary } from '../../routes/demo-support.js'
import type { KvStore } from '../../stores/kv-store.js'
import type { UserRepository } from '../../users/user-repository.js'
import type { StrategyCookie, StrategyDemo } from '../strategy.js'
import { JWT_KEYS } from './store-keys.js'

const sha256 = (s: string): string => createHash('sha256').update(s).digest('base64url')

/**
 * The JWT strategy's demo adapters (demo mode only): what the server keeps for the caller's tokens (the
 * access token's claims, its refresh token's record and family, the denylist marks the mode reads), and
 * the tokens the page's attacker copies. Inspection needs the scope's verifier (`needsCredentials`).
 */
export function jwtDemo (deps: { name: string, config: Config, store: KvStore, users: UserRepository, cookie: StrategyCookie }): StrategyDemo {
  const { name, config, store, users, cookie } = deps
  async function inspect (request: FastifyRequest): Promise<object> {
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
    const refresh = request.cookies[internalCookieName(config, cookie)] ?? (typeof request.headers['x-refresh-token'] === 'string' ? request.headers['x-refresh-token'] : undefined)
    const keeps: object[] = []
    let familyId = claims?.sid
    let userId = claims?.sub
    if (refresh !== undefined && refresh !== '') {
      const hash = sha256(refresh)
      const rtRaw = await store.get(JWT_KEYS.refresh(hash))
      const rt = rtRaw === null ? null : JSON.parse(rtRaw) as { familyId: string, userId: string }
      keeps.push({ key: `rt:${redact(hash)}`, ttlSec: await ttlSeconds(store, JWT_KEYS.refresh(hash)), value: rt, note: rt === null ? 'no record for this refresh token: unknown, expired or revoked' : 'only the SHA-256 of the refresh token is stored' })
      familyId ??= rt?.familyId
      userId ??= rt?.userId
    }
    if (familyId !== undefined && userId !== undefined) {
      const famRaw = await store.get(JWT_KEYS.family(userId, familyId))
      const fam = famRaw === null ? null : JSON.parse(famRaw) as Record<string, unknown>
      if (fam !== null) fam.tokenHash = redact(String(fam.tokenHash))
      keeps.push({ key: JWT_KEYS.family(userId, familyId), ttlSec: await ttlSeconds(store, JWT_KEYS.family(userId, familyId)), value: fam, note: fam === null ? 'the login (refresh family) has ended' : 'one login: the chain of rotated refresh tokens' })
    }
    if (userId !== undefined) {
      keeps.push({ key: JWT_KEYS.userFamilies(userId), value: `${(await store.setMembers(JWT_KEYS.userFamilies(userId))).length} live login(s)` })
      if (mode === 'denylist') {
        const [deny, denySid, before] = await store.getMany([JWT_KEYS.deny(userId, claims?.jti ?? '-'), JWT_KEYS.denyFamily(userId, familyId ?? '-'), JWT_KEYS.revokedBefore(userId)])
        keeps.push({ key: 'denylist', value: { [JWT_KEYS.deny(userId, redact(claims?.jti ?? ''))]: deny, [JWT_KEYS.denyFamily(userId, familyId ?? '')]: denySid, [JWT_KEYS.revokedBefore(userId)]: before }, note: 'checked (one MGET) on every request' })
      }
      keeps.push(await userSummary(users, userId))
    }
    const checks = {
      none: 'access tokens: nothing stored, nothing looked up; the signature and exp decide until the token expires',
      denylist: 'access tokens: each request looks up the denylist entries above (1 store round trip)',
      version: 'access tokens: each request compares the token\'s ver claim with the user record\'s version (1 store round trip)'
    }[mode]
    return { strategy: name, mode, credential: { accessToken: access, refreshToken: refresh === undefined ? null : redact(refresh) }, serverKeeps: keeps, note: checks }
  }

  return {
    info: { kind: 'jwt', revocation: config.jwt.revocation, accessTtlSec: config.jwt.accessTtlMs / 1000 },
    needsCredentials: true,
    attacks: { refresh: { method: 'POST', path: '/refresh' } },
    inspect,
    steal (request) {
      const wire = internalCookieName(config, cookie)
      const value = request.cookies[wire]
      const header = request.headers.authorization
      const bearer = header !== undefined && /^bearer /i.test(header) ? header.slice(7) : null
      const refresh = value === undefined || value === '' ? null : value
      if (refresh === null && bearer === null) return null
      return { cookie: refresh === null ? null : `${wire}=${refresh}`, bearer, cookieLabel: 'refresh token cookie' }
    }
  }
}
