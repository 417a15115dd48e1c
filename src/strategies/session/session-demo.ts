import type { FastifyRequest } from 'fastify'
import { cookieNameFor, internalCookieName } from '../../auth/cookie-policy.js'
import type { Config } from '../../config/config.js'
import { redact, ttlSeconds, userSummary } from '../../routes/demo-support.js'
import type { KvStore } from '../../stores/kv-store.js'
import type { UserRepository } from '../../users/user-repository.js'
import type { StrategyCookie, StrategyDemo } from '../strategy.js'
import { SESSION_KEYS } from './session-records.js'

/**
 * The session strategy's demo adapters (demo mode only): what the server keeps for the caller's cookie,
 * read straight from the store (no session is loaded, so inspecting never touches it), and the cookie
 * the page's attacker copies.
 */
export function sessionDemo (deps: { name: string, config: Config, store: KvStore, users: UserRepository, cookie: StrategyCookie }): StrategyDemo {
  const { name, config, store, users, cookie } = deps
  async function inspect (request: FastifyRequest): Promise<object> {
    const raw = request.cookies[internalCookieName(config, cookie)]
    if (raw === undefined || raw === '') return { strategy: name, credential: null, serverKeeps: [], note: 'the browser sent no session cookie (never logged in, logged out, or the server cleared it after a rejection)' }
    const unsigned = request.unsignCookie(raw)
    if (!unsigned.valid || unsigned.value === null) {
      return { strategy: name, credential: { cookie: cookieNameFor(config, request, cookie), signature: 'invalid' }, serverKeeps: [], note: 'the cookie signature does not verify: the server looks nothing up' }
    }
    const id = unsigned.value
    const [recordRaw, ended, ttl] = await Promise.all([store.get(SESSION_KEYS.session(id)), store.get(SESSION_KEYS.end(id)), ttlSeconds(store, SESSION_KEYS.session(id))])
    const record = recordRaw === null ? null : JSON.parse(recordRaw) as { cookie?: unknown, auth?: { userId: string } }
    const keeps: object[] = [{ key: SESSION_KEYS.session(redact(id)), ttlSec: ttl, value: record }]
    if (ended !== null) keeps.push({ key: SESSION_KEYS.end(redact(id)), value: ended, note: 'marker left when the session ended, so a replay gets a precise error' })
    if (record?.auth !== undefined) {
      const members = await store.setMembers(SESSION_KEYS.userSessions(record.auth.userId))
      keeps.push({ key: SESSION_KEYS.userSessions(record.auth.userId), value: `${members.length} session id(s) (the per-user index used by revoke, devices, limits)` })
      keeps.push(await userSummary(users, record.auth.userId))
    }
    return {
      strategy: name,
      credential: { cookie: cookieNameFor(config, request, cookie), sessionId: redact(id), signature: 'valid' },
      serverKeeps: keeps,
      note: record === null ? 'no record: this session id is unknown, expired or ended' : 'the cookie holds only the signed id; everything else is this record'
    }
  }

  return {
    info: { kind: 'session', idleTtlSec: config.session.idleTtlMs / 1000, absoluteTtlSec: config.session.absoluteTtlMs / 1000 },
    needsCredentials: false,
    attacks: {},
    inspect,
    steal (request) {
      const wire = internalCookieName(config, cookie)
      const value = request.cookies[wire]
      if (value === undefined || value === '') return null
      return { cookie: `${wire}=${value}`, bearer: null, cookieLabel: 'session cookie' }
    }
  }
}
