import type { SessionStore } from '@fastify/session'
import type { KvStore } from '../../stores/kv-store.js'
import type { Role } from '../../users/user.js'
import type { EndReason, SessionAuth, StoredSession } from './session-data.js'
import { SessionWriteDropped, destroySession, getSession, sessionEndKey, sessionKey, setSession } from './session-stores.js'

/**
 * Every store key the session strategy writes, in one place (the demo inspection reads the same names).
 * The part in braces is the key's Redis Cluster hash tag: a session's record and its end marker share
 * the session id (the conditional write reads both in one script); the index is the user's.
 */
export const SESSION_KEYS = {
  /** `sess:{<sessionId>}`: the record @fastify/session loads (written by KvSessionStore). */
  session: sessionKey,
  /** `sess-end:{<sessionId>}`: left for a while when a session ends, with the reason; no write may revive the session meanwhile. */
  end: sessionEndKey,
  /** `user-sessions:{<userId>}`: the user's sessions (device list, revoke-all, role updates, the per-user limit). */
  userSessions: (userId: string): string => `user-sessions:{${userId}}`
} as const

const { userSessions: indexKey, end: endKey } = SESSION_KEYS
const MAX_ROLE_ATTEMPTS = 10

export interface SessionEntry {
  sessionId: string
  auth: SessionAuth
  record: StoredSession
}

/**
 * The per-user index of sessions (a set of session ids per user) and the operations built on it:
 * device lists, forced logout of one device or all of them, and role updates in place.
 * Ended sessions leave a short-lived marker so a replayed cookie gets `session_revoked`, not a guess.
 */
export class SessionRecords {
  constructor (
    private readonly sessions: SessionStore,
    private readonly kv: KvStore,
    private readonly lifetimes: { idleTtlMs: number, absoluteTtlMs: number }
  ) {}

  /**
   * Indexes a session whose record the login just created. If the index cannot be written (on Redis
   * Cluster the index and the record may live on different masters, one of them down), the record is
   * deleted again before the error goes out: a session outside the index would survive revoke-all.
   */
  async add (userId: string, sessionId: string): Promise<void> {
    try {
      await this.kv.setAdd(indexKey(userId), sessionId, this.lifetimes.absoluteTtlMs)
    } catch (err) {
      await destroySession(this.sessions, sessionId).catch(() => {})
      throw err
    }
  }

  async unindex (userId: string, sessionId: string): Promise<void> {
    await this.kv.setRemove(indexKey(userId), sessionId)
  }

  /** The user's live sessions; ids whose record has expired are dropped from the index on the way. */
  async list (userId: string): Promise<SessionEntry[]> {
    const ids = await this.kv.setMembers(indexKey(userId))
    const records = await Promise.all(ids.map(async id => await getSession(this.sessions, id)))
    const live: SessionEntry[] = []
    const stale: string[] = []
    ids.forEach((sessionId, i) => {
      const record = records[i]
      if (record?.auth?.userId === userId) live.push({ sessionId, auth: record.auth, record })
      else stale.push(sessionId)
    })
    if (stale.length > 0) await this.kv.setRemove(indexKey(userId), ...stale)
    return live
  }

  /**
   * Ends one session: deletes the record and remembers why for a while (both on the session's slot),
   * and only then unindexes it. In that order because the index and the record may live on different
   * Redis Cluster masters: if the record's master fails the request, the session stays indexed, so a
   * retry or a later revoke-all still finds it; unindexing first could leave it alive and unlisted.
   */
  async end (userId: string, sessionId: string, reason: EndReason): Promise<void> {
    await Promise.all([
      destroySession(this.sessions, sessionId),
      this.kv.set(endKey(sessionId), reason, this.lifetimes.idleTtlMs)
    ])
    await this.kv.setRemove(indexKey(userId), sessionId)
  }

  async endAll (userId: string, reason: EndReason): Promise<number> {
    const sessions = await this.list(userId)
    await Promise.all(sessions.map(async s => { await this.end(userId, s.sessionId, reason) }))
    return sessions.length
  }

  /**
   * Rewrites the role in every session of the user, so the next request of each sees it. Each write is
   * a conditional update of the revision just read: a touch write-back landing in between makes it
   * re-read and try again (never overwrite), and an ended session is left ended. Conversely a write-back
   * that read the record before this update is refused, so it cannot restore the old role.
   */
  async updateRole (userId: string, role: Role): Promise<number> {
    return await this.update(userId, { role })
  }

  /** Rewrites the username in every session of the user (a rename), the same way as updateRole. */
  async updateUsername (userId: string, username: string): Promise<number> {
    return await this.update(userId, { username })
  }

  private async update (userId: string, patch: Partial<Pick<SessionAuth, 'role' | 'username'>>): Promise<number> {
    const sessions = await this.list(userId)
    const updated = await Promise.all(sessions.map(async s => await this.patch(userId, s.sessionId, s.record, patch)))
    return updated.filter(Boolean).length
  }

  private async patch (userId: string, sessionId: string, first: StoredSession, patch: Partial<Pick<SessionAuth, 'role' | 'username'>>): Promise<boolean> {
    let record: StoredSession | null = first
    for (let attempt = 0; attempt < MAX_ROLE_ATTEMPTS; attempt++) {
      if (record?.auth?.userId !== userId) return false
      try {
        await setSession(this.sessions, sessionId, { ...record, auth: { ...record.auth, ...patch } })
        return true
      } catch (err) {
        if (!(err instanceof SessionWriteDropped)) throw err
        if (err.reason === 'ended') return false
      }
      record = await getSession(this.sessions, sessionId)
    }
    // Ten write-backs of one session in a row while updating it: end it rather than leave the old role or name.
    await this.end(userId, sessionId, 'revoked')
    return true
  }

  async endReason (sessionId: string): Promise<EndReason | null> {
    return await this.kv.get(endKey(sessionId)) as EndReason | null
  }
}
