import fp from 'fastify-plugin'
import fastifyRateLimit from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import type { LoginRateLimit } from '../config/config.js'
import { AppError } from '../errors.js'
import { RedisKvStore, type KvStore } from '../stores/index.js'
import type { UserRepository } from '../users/user-repository.js'
import type { User } from '../users/user.js'

/** The one way strategies check a password: brute-force limits around UserRepository.verifyCredentials. */
export interface LoginGuard {
  /** 429 when the client address or the username is over its limit; else the user, or 401/403. */
  verify: (request: FastifyRequest, username: string, password: string) => Promise<User>
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
  return new AppError(429, 'too_many_attempts', `too many login attempts; try again in ${seconds} s`, { 'retry-after': String(seconds) })
}

/**
 * Login brute-force protection with @fastify/rate-limit (counters in Redis when STORE=redis, so every
 * instance shares them). Per client address: every attempt counts. Per username: only failed attempts
 * count, so a user's own successful logins never lock them out, and another address's guessing blocks
 * the account for at most the window after it stops.
 */
export const loginGuard = fp(async function loginGuard (app, opts: LoginGuardOptions) {
  await app.register(fastifyRateLimit, {
    global: false,
    ...(opts.store instanceof RedisKvStore ? { redis: opts.store.client, nameSpace: `${opts.keyPrefix}login-limit:` } : {})
  })
  const byAddress: Limiter | null = opts.perAddress === null
    ? null
    : app.createRateLimit({ max: opts.perAddress.max, timeWindow: opts.perAddress.windowMs, keyGenerator: (request: FastifyRequest) => `ip:${request.ip}` })
  const byUser: Limiter | null = opts.perUser === null
    ? null
    : app.createRateLimit({ max: opts.perUser.max, timeWindow: opts.perUser.windowMs, keyGenerator: (request: FastifyRequest) => `user:${usernameOf(request)}` })

  app.decorate('loginGuard', {
    async verify (request, username, password) {
      if (byAddress !== null) {
        const limit = await byAddress(request)
        if (!limit.isAllowed && limit.isExceeded) throw tooMany(limit.ttlInSeconds)
      }
      if (byUser !== null) {
        const limit = await byUser(request, { increment: false })
        if (!limit.isAllowed && limit.remaining === 0) throw tooMany(limit.ttlInSeconds)
      }
      try {
        return await opts.users.verifyCredentials(username, password)
      } catch (err) {
        if (byUser !== null && err instanceof AppError && err.code === 'invalid_credentials') await byUser(request)
        throw err
      }
    }
  } satisfies LoginGuard)
}, { name: 'login-guard' })

function usernameOf (request: FastifyRequest): string {
  const body = request.body as { username?: unknown } | null
  return typeof body?.username === 'string' ? body.username.toLowerCase() : ''
}
