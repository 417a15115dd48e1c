export const ROLES = ['user', 'admin'] as const
export type Role = typeof ROLES[number]

/** A stored account. `version` goes up on every change that must invalidate credentials already issued. */
export interface User {
  id: string
  username: string
  role: Role
  disabled: boolean
  version: number
  /**
   * Goes up on every change that ends the user's logins (password, disable, revoke-all). A login records
   * the epoch it verified; one that no longer matches is refused (a login racing the change, a refresh).
   * Absent in records written before it existed: read as 0.
   */
  epoch?: number
  passwordHash: string
  /** A published demo account (DEMO_USERS), created by demo mode; no account at all outside it. */
  demo?: true
  createdAt: number
  updatedAt: number
}

/** What may leave the server about a user. */
export interface PublicUser {
  id: string
  username: string
  role: Role
}

export function publicUser (user: User): PublicUser {
  return { id: user.id, username: user.username, role: user.role }
}

/**
 * The kinds of account change the strategies react to (admin routes emit them). `rename` changes the
 * username and nothing else: it bumps neither `version` nor `epoch`, so issued access tokens keep the old
 * name (their `preferred_username`) until they are refreshed or expire, in every JWT revocation mode.
 */
export type UserChange = 'role' | 'disable' | 'enable' | 'password' | 'revoke' | 'rename'

/** What a username may be: a letter or digit, then letters, digits, `.`, `_` or `-`; 64 characters at most. */
export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'

/** Changes after which credentials issued earlier must stop working (they bump `version`). */
export const VERSION_BUMPING_CHANGES: ReadonlySet<UserChange> = new Set(['role', 'disable', 'password', 'revoke'])

/** Changes that end every login of the user (they bump `epoch` as well as `version`). */
export const LOGIN_ENDING_CHANGES: ReadonlySet<UserChange> = new Set(['disable', 'password', 'revoke'])

/** The user's login epoch (0 for records older than the field). */
export function epochOf (user: Pick<User, 'epoch'>): number {
  return user.epoch ?? 0
}

export const DEMO_USERS: ReadonlyArray<{ username: string, password: string, role: Role }> = [
  { username: 'alice', password: 'alice-password', role: 'user' },
  { username: 'bob', password: 'bob-password', role: 'user' },
  { username: 'admin', password: 'admin-password', role: 'admin' }
]

export const BENCH_PASSWORD = 'bench-password'
