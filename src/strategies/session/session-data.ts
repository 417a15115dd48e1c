import type { Role } from '../../users/user.js'

/** What a session record holds about its login (stored server-side; the cookie holds only the signed id). */
export interface SessionAuth {
  userId: string
  username: string
  role: Role
  /** Opaque device handle shown in device lists; never the session id. */
  handle: string
  createdAt: number
  lastSeenAt: number
  userAgent: string
  ip: string
  /** The user's login epoch the login verified (epochOf); absent in records older than the field. */
  epoch?: number
}

declare module 'fastify' {
  interface Session {
    auth?: SessionAuth
  }
}

/** The stored shape of a session record, as @fastify/session serialises it. */
export interface StoredSession {
  /** Revision, bumped by every write; a write-back must name the revision it read (see KvSessionStore). */
  rev?: number
  cookie: { expires?: string | Date | null, originalMaxAge?: number | null }
  auth?: SessionAuth
}

/** Why a session ended, kept briefly after it ends so a replayed cookie gets a precise error code. */
export type EndReason = 'logout' | 'revoked' | 'expired' | 'replaced'
