import { randomBytes } from 'node:crypto'
import fp from 'fastify-plugin'
import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import type { LoginRateLimit } from '../config/config.js'
import { AppError } from '../errors.js'
import { PostgresKvStore, RedisKvStore, type KvStore } from '../stores/index.js'
import { postgresRateLimitStore } from '../stores/postgres-rate-limit.js'
import type { UserRepository } from '../users/user-repository.js'
import type { User } from '../users/user.js'

/** The one way strategies check a password: brute-force limits around UserRepository.verifyCredentials. */
export interface LoginGuard {
  /** 429 when the client address or the username is over its limit; else the user, or 401/403. */
  verify: (request: FastifyRequest, username: string, password: string) => Promise<User>
  /** Starts the username's count afresh, as a successful login does (demo reset: a class that mistyped is not locked out). */
  forget: (username: string) => Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    loginGuard: LoginGuard
  }
}

interface LoginGuardOptions {
  users: UserRepository
  store: KvStore
  keyPrefix: string
  perUser: LoginRateLimit | null
  perAddress: LoginRateLimit | null
}

type Limiter = ReturnType<import('fastify').FastifyInstance['createRateLimit']>

function tooMany (seconds: number): AppError {
  return new AppError('too_many_attempts', `too many login attempts; try again in ${seconds} s`, { 'retry-after': String(seconds) })
}

/**
 * The per-address counter's key: an IPv6 client is counted by its /64 (one subscriber usually gets a
 * whole /64, so counting single addresses would give it 2^64 of them); IPv4-mapped IPv6 is IPv4.
 */
export function addressKey (ip: string): string {
  return `ip:${normalizeIP(ip, 64)}`
}

/**
 * Login brute-force protection with @fastify/rate-limit (counters in Redis or PostgreSQL with those
 * stores, so every instance shares them). Both counters are incremented before the password is checked,
 * atomically in the library's store (Redis INCR in a script, one INSERT ... ON CONFLICT in PostgreSQL,
 * or the embedded LRU), so N concurrent guesses against a limit of L never check more than L passwords.
 * Per client address: every attempt counts. Per username: every attempt counts too, and a successful
 * login starts the username's count afresh, so a user's own logins never lock them out; another
 * address's guessing blocks the account for at most the window after it stops.
 */
export const loginGuard = fp(async function loginGuard (app, opts: LoginGuardOptions) {
  await app.register(fastifyRateLimit, {
    global: false,
    ...(opts.store instanceof RedisKvStore ? { redis: opts.store.client, nameSpace: `${opts.keyPrefix}login-limit:` } : {}),
    // The store's prefix is added by PostgresKvStore itself.
    ...(opts.store instanceof PostgresKvStore ? { store: postgresRateLimitStore(opts.store, 'login-limit:') } : {})
  })
  const byAddress: Limiter | null = opts.perAddress === null
    ? null
    : app.createRateLimit({ max: opts.perAddress.max, timeWindow: opts.perAddress.windowMs, keyGenerator: (request: FastifyRequest) => addressKey(request.ip) })
  const perUser = opts.perUser
  // The library counts but cannot reset a key, so a success starts a new "round" for the username: a
  // random tag in the counter's key, kept for one window (by then every older round's counter expired).
  const roundKey = (username: string): string => `login-limit-round:${username}`
  const byUser: Limiter | null = perUser === null
    ? null
    : app.createRateLimit({
      max: perUser.max,
      timeWindow: perUser.windowMs,
      keyGenerator: async (request: FastifyRequest) => {
        const username = usernameOf(request)
        const round = await opts.store.get(roundKey(username))
        return round === null ? `user:${username}` : `user:${username}:${round}`
      }
    })

  async function newRound (username: string): Promise<void> {
    if (perUser !== null) await opts.store.set(roundKey(username.toLowerCase()), randomBytes(9).toString('base64url'), perUser.windowMs)
  }

  app.decorate('loginGuard', {
    async verify (request, username, password) {
      if (byAddress !== null) {
        const limit = await byAddress(request)
        if (!limit.isAllowed && limit.isExceeded) throw tooMany(limit.ttlInSeconds)
      }
      if (byUser !== null) {
        const limit = await byUser(request)
        if (!limit.isAllowed && limit.isExceeded) throw tooMany(limit.ttlInSeconds)
      }
      const user = await opts.users.verifyCredentials(username, password)
      await newRound(usernameOf(request))
      return user
    },
    forget: newRound
  } satisfies LoginGuard)
}, { name: 'login-guard' })

function usernameOf (request: FastifyRequest): string {
  const body = request.body as { username?: unknown } | null
  return typeof body?.username === 'string' ? body.username.toLowerCase() : ''
}
