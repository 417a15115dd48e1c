/**
 * The accounts, passwords and cookie names the harness logs in with, taken from src where src exports
 * them, so that a change there reaches the tests, the bench, the demo and the soak at once.
 */
import { BENCH_PASSWORD, DEMO_USERS } from '../src/users/user.js'

export { BENCH_PASSWORD, DEMO_USERS }

export interface Login { username: string, password: string }

function demoUser (username: string): Login {
  const user = DEMO_USERS.find(u => u.username === username)
  if (user === undefined) throw new Error(`src/users/user.ts has no demo user ${username}`)
  return { username: user.username, password: user.password }
}

/** Demo-mode accounts (DEMO_MODE on): alice and bob are users, admin an admin. */
export const alice = demoUser('alice')
export const bob = demoUser('bob')
export const demoAdmin = demoUser('admin')

/** The `bench<i>` accounts BENCH_USERS=n creates (bench0 .. bench<n-1>), all with BENCH_PASSWORD. */
export const benchUser = (i: number): Login => ({ username: `bench${i}`, password: BENCH_PASSWORD })

/**
 * The ADMIN_PASSWORD every harness server outside demo mode gets (bench, soak): without it such a
 * server has no admin account. A fixture, never a real password.
 */
export const HARNESS_ADMIN_PASSWORD = 'harness-admin-password'

/** The admin login a server started with `env` accepts: ADMIN_PASSWORD when set, else the demo admin. */
export function adminOf (env: Record<string, string | undefined>): Login {
  const password = env.ADMIN_PASSWORD
  return password === undefined || password === '' ? demoAdmin : { username: demoAdmin.username, password }
}

/**
 * Cookie names: `__Host-sid` and `__Secure-rt` when cookies are Secure (https), else `sid` and `rt`.
 * The strategies choose them the same way (src/strategies/{session,jwt}) but do not export them.
 */
export function cookieNames (secure: boolean): { session: string, refresh: string } {
  return secure ? { session: '__Host-sid', refresh: '__Secure-rt' } : { session: 'sid', refresh: 'rt' }
}

/** Every harness server runs plain http on loopback: the plain names. */
export const COOKIES = cookieNames(false)
