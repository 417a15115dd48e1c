/**
 * What every peer server shares: its settings from the environment the runner starts it with
 * (bench/peers/index.ts) and its accounts.
 *
 * The accounts are throwaway benchmark fixtures kept in memory, and logins compare the plain password
 * string: the peers measure what authenticating a request costs, not login, so no password hashing
 * and no user store stand on the path. Never do this in a real server.
 */
import { randomUUID } from 'node:crypto'
import { BENCH_PASSWORD } from '../../harness/fixtures.js'

export interface PeerUser { id: string, username: string, role: 'user' }

export interface PeerSettings {
  port: number
  /** Set for the peers that keep sessions in Redis. */
  redisUrl: string | null
  keyPrefix: string
  users: Map<string, PeerUser>
}

/** PORT, REDIS_URL, KEY_PREFIX and BENCH_USERS (bench0 .. bench{n-1}) from the environment. */
export function peerSettings (env: NodeJS.ProcessEnv = process.env): PeerSettings {
  const port = Number(env.PORT)
  if (!Number.isInteger(port) || port <= 0) throw new Error(`PORT must be a port number, not ${env.PORT}`)
  const count = Number(env.BENCH_USERS ?? '1')
  if (!Number.isInteger(count) || count < 0) throw new Error(`BENCH_USERS must be a count, not ${env.BENCH_USERS}`)
  const users = new Map<string, PeerUser>()
  for (let i = 0; i < count; i++) users.set(`bench${i}`, { id: randomUUID(), username: `bench${i}`, role: 'user' })
  const redisUrl = env.REDIS_URL === undefined || env.REDIS_URL === '' ? null : env.REDIS_URL
  return { port, redisUrl, keyPrefix: env.KEY_PREFIX ?? 'peer:', users }
}

/** The account whose password is BENCH_PASSWORD (plain comparison: see above), or null. */
export function checkLogin (settings: PeerSettings, body: unknown): PeerUser | null {
  if (typeof body !== 'object' || body === null) return null
  const { username, password } = body as Record<string, unknown>
  if (typeof username !== 'string' || password !== BENCH_PASSWORD) return null
  return settings.users.get(username) ?? null
}

/** The body of GET /api/me, the fields the project's route answers with. */
export const me = (user: PeerUser): PeerUser => ({ id: user.id, username: user.username, role: user.role })

/** The peer's Redis settings, or an error: a Redis peer started without REDIS_URL cannot run. */
export function requireRedis (settings: PeerSettings): string {
  if (settings.redisUrl === null) throw new Error('this peer keeps its sessions in Redis: REDIS_URL is required')
  return settings.redisUrl
}

// express-session's peer keeps the logged-in user in its session.
declare module 'express-session' {
  interface SessionData { peerUser?: PeerUser }
}
