import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { requireAdmin } from '../auth/require-auth.js'
import { AppError } from '../errors.js'
import type { Strategy } from '../strategies/strategy.js'
import type { UserRepository } from '../users/user-repository.js'
import { ROLES, USERNAME_PATTERN, type Role, type User, type UserChange } from '../users/user.js'
import { usernameParamsSchema } from './schemas.js'

interface AdminRoutesOptions {
  users: UserRepository
  strategies: readonly Strategy[]
}

const roleBody = {
  type: 'object',
  additionalProperties: false,
  required: ['role'],
  properties: { role: { type: 'string', enum: [...ROLES] } }
} as const

const passwordBody = {
  type: 'object',
  additionalProperties: false,
  required: ['password'],
  properties: { password: { type: 'string', minLength: 8, maxLength: 1024 } }
} as const

const usernameBody = {
  type: 'object',
  additionalProperties: false,
  required: ['username'],
  properties: { username: { type: 'string', minLength: 1, maxLength: 64, pattern: USERNAME_PATTERN } }
} as const

/** Pauses before each retry of a strategy's part of an account change (ms): about a second in all. */
const RETRY_DELAYS_MS = [50, 200, 750] as const
const FAILED = Symbol('failed')

async function withRetries<T> (work: () => Promise<T>, onError: (err: unknown, attempt: number) => void): Promise<T | typeof FAILED> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work()
    } catch (err) {
      // A client error is an answer, not a fault: it goes out as it is.
      if (err instanceof AppError) throw err
      onError(err, attempt + 1)
      const delay = RETRY_DELAYS_MS[attempt]
      if (delay === undefined) return FAILED
      await new Promise(resolve => setTimeout(resolve, delay))
    }
  }
}

/** 503 change_incomplete: the user record changed, but not every login was ended or updated. */
function changeIncomplete (change: UserChange, strategies: string[]): AppError {
  return new AppError('change_incomplete',
    `the ${change} change was saved, but applying it to the ${strategies.join(' and ')} logins failed (store error); send the same request again: re-applying it is safe`,
    { 'retry-after': '1' })
}

/**
 * Account controls for admins and demos. Each change goes to the user record (bumping `version` when
 * issued credentials must stop working) and then to every mounted strategy, which ends or updates the
 * user's logins. The caller's authentication (admin role) is checked by the scope's hook.
 */
export function adminRoutes ({ users, strategies }: AdminRoutesOptions): FastifyPluginAsync {
  return async function routes (app) {
    app.addHook('preHandler', async (request) => { requireAdmin(request) })

    async function apply (request: FastifyRequest, username: string, change: UserChange, detail: { role?: Role, password?: string, username?: string } = {}): Promise<object> {
      const user: User | null = change === 'rename'
        ? await users.rename(username, detail.username ?? username)
        : await users.change(username, change, detail)
      if (user === null) throw new AppError('user_not_found', `no user named ${username}`)
      // The user record is changed now; the strategies' part must not be left half done. Every
      // strategy gets its turn (one failing does not stop the others), each retried a few times; if
      // one still fails, the admin is told to send the same request again (re-applying a change is
      // safe: it bumps the version again and ends or updates whatever is left).
      const results = await Promise.all(strategies.map(async strategy =>
        await withRetries(async () => await strategy.onUserChange(user, change), (err, attempt) => {
          request.log.warn({ err: { type: (err as Error)?.name, message: (err as Error)?.message }, strategy: strategy.name, change, attempt }, 'applying an account change to the logins failed')
        })))
      const failed = strategies.filter((_strategy, i) => results[i] === FAILED).map(strategy => strategy.name)
      if (failed.length > 0) throw changeIncomplete(change, failed)
      const ended: Record<string, number> = {}
      strategies.forEach((strategy, i) => { ended[strategy.name] = results[i] as number })
      return {
        user: { id: user.id, username: user.username, role: user.role, disabled: user.disabled, version: user.version },
        change,
        loginsAffected: ended
      }
    }

    const params = { params: usernameParamsSchema }
    app.post<{ Params: { username: string }, Body: { role: Role } }>('/users/:username/role', { schema: { ...params, body: roleBody } },
      async (request) => await apply(request, request.params.username, 'role', { role: request.body.role }))
    app.post<{ Params: { username: string } }>('/users/:username/disable', { schema: params },
      async (request) => await apply(request, request.params.username, 'disable'))
    app.post<{ Params: { username: string } }>('/users/:username/enable', { schema: params },
      async (request) => await apply(request, request.params.username, 'enable'))
    app.post<{ Params: { username: string }, Body: { password: string } }>('/users/:username/password', { schema: { ...params, body: passwordBody } },
      async (request) => await apply(request, request.params.username, 'password', { password: request.body.password }))
    app.post<{ Params: { username: string } }>('/users/:username/revoke', { schema: params },
      async (request) => await apply(request, request.params.username, 'revoke'))
    // A rename ends no login: sessions take the new name at once, access tokens at their next refresh.
    app.post<{ Params: { username: string }, Body: { username: string } }>('/users/:username/username', { schema: { ...params, body: usernameBody } },
      async (request) => await apply(request, request.params.username, 'rename', { username: request.body.username }))
  }
}
