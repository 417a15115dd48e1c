/**
 * What each strategy and JWT revocation mode promises when a login should end: does the credential a
 * client already holds (session cookie, access token) stop working at once, or only at the access
 * token's exp? The bench measures it, the demo narrates it and the soak expects it from this one table.
 * The tests keep their own statement of it on purpose, so they check the code against something separate.
 */

export const MECHANISMS = ['session', 'jwt-none', 'jwt-denylist', 'jwt-version'] as const
export type Mechanism = typeof MECHANISMS[number]

/**
 * logout: the holder logs out. revoke, role, disable, password: an admin changes the account
 * (POST /admin/users/:name/<event>). reuse: a spent refresh token comes back, so its family ends (theft
 * detection). evicted: a newer login pushes the oldest one out (MAX_SESSIONS_PER_USER).
 */
export const EVENTS = ['logout', 'revoke', 'role', 'disable', 'password', 'reuse', 'evicted'] as const
export type LoginEvent = typeof EVENTS[number]

/**
 * immediate: the next request with the old credential is refused (a role change: sees the new role).
 * until-exp: an access token keeps working until its exp. n/a: the event cannot happen to it.
 */
export type Promised = 'immediate' | 'until-exp' | 'n/a'

/**
 * Session: every event acts on the server-side record. JWT none: access tokens are checked by signature
 * only. Denylist: every ending denies the login's tokens; a role change is not an ending. Version: what
 * bumps the user's version (revoke, role, disable, password) refuses older tokens; ending one family
 * (logout, reuse, eviction) does not. Sessions have no refresh token, so `reuse` cannot happen to them.
 */
export const PROMISES: Readonly<Record<Mechanism, Readonly<Record<LoginEvent, Promised>>>> = {
  session: { logout: 'immediate', revoke: 'immediate', role: 'immediate', disable: 'immediate', password: 'immediate', reuse: 'n/a', evicted: 'immediate' },
  'jwt-none': { logout: 'until-exp', revoke: 'until-exp', role: 'until-exp', disable: 'until-exp', password: 'until-exp', reuse: 'until-exp', evicted: 'until-exp' },
  'jwt-denylist': { logout: 'immediate', revoke: 'immediate', role: 'until-exp', disable: 'immediate', password: 'immediate', reuse: 'immediate', evicted: 'immediate' },
  'jwt-version': { logout: 'until-exp', revoke: 'immediate', role: 'immediate', disable: 'immediate', password: 'immediate', reuse: 'until-exp', evicted: 'until-exp' }
}

export const promised = (mechanism: Mechanism, event: LoginEvent): Promised => PROMISES[mechanism][event]

/** JWT: does the event end the login's refresh family? Every one does but a role change (a refresh then carries the new role). */
export const endsRefreshFamily = (event: LoginEvent): boolean => event !== 'role'

/** The mechanism a server runs: `session`, or `jwt-<JWT_REVOCATION>` (the server's default mode is none). */
export function mechanismOf (kind: 'session' | 'jwt', jwtRevocation: string | undefined): Mechanism {
  if (kind === 'session') return 'session'
  const mechanism = `jwt-${jwtRevocation ?? 'none'}`
  if (!(MECHANISMS as readonly string[]).includes(mechanism)) throw new Error(`unknown JWT_REVOCATION ${jwtRevocation ?? ''}`)
  return mechanism as Mechanism
}
