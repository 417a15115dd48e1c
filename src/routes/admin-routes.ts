import type { FastifyPluginAsync } from 'fastify'
import { requireAdmin } from '../auth/require-auth.js'
import { AppError } from '../errors.js'
import type { Strategy } from '../strategies/strategy.js'
import type { UserRepository } from '../users/user-repository.js'
import { ROLES, type Role, type UserChange } from '../users/user.js'
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

/**
 * Account controls for admins and demos. Each change goes to the user record (bumping `version` when
 * issued credentials must stop working) and then to every mounted strategy, which ends or updates the
 * user's logins. The caller's authentication (admin role) is checked by the scope's hook.
 */
export function adminRoutes ({ users, strategies }: AdminRoutesOptions): FastifyPluginAsync {
  return async function routes (app) {
    app.addHook('preHandler', async (request) => { requireAdmin(request) })

    async function apply (username: string, change: UserChange, detail: { role?: Role, password?: string } = {}): Promise<object> {
      const user = await users.change(username, change, detail)
      if (user === null) throw new AppError(404, 'user_not_found', `no user named ${username}`)
      const ended: Record<string, number> = {}
      for (const strategy of strategies) ended[strategy.name] = await strategy.onUserChange(user, change)
      return {
        user: { id: user.id, username: user.username, role: user.role, disabled: user.disabled, version: user.version },
        change,
        loginsAffected: ended
      }
    }

    const params = { params: usernameParamsSchema }
    app.post<{ Params: { username: string }, Body: { role: Role } }>('/users/:username/role', { schema: { ...params, body: roleBody } },
      async (request) => await apply(request.params.username, 'role', { role: request.body.role }))
    app.post<{ Params: { username: string } }>('/users/:username/disable', { schema: params },
      async (request) => await apply(request.params.username, 'disable'))
    app.post<{ Params: { username: string } }>('/users/:username/enable', { schema: params },
      async (request) => await apply(request.params.username, 'enable'))
    app.post<{ Params: { username: string }, Body: { password: string } }>('/users/:username/password', { schema: { ...params, body: passwordBody } },
      async (request) => await apply(request.params.username, 'password', { password: request.body.password }))
    app.post<{ Params: { username: string } }>('/users/:username/revoke', { schema: params },
      async (request) => await apply(request.params.username, 'revoke'))
  }
}
