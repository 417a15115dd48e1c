/** JSON schemas shared by routes. Bodies reject unknown properties; strings are bounded. */

export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error']
} as const

export interface LoginBody { username: string, password: string }

export const loginBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['username', 'password'],
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 64 },
    password: { type: 'string', minLength: 1, maxLength: 1024 }
  }
} as const

export const publicUserSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, username: { type: 'string' }, role: { type: 'string' } },
  required: ['id', 'username', 'role']
} as const

export const userResponseSchema = {
  type: 'object',
  properties: { user: publicUserSchema },
  required: ['user']
} as const

export const deviceListSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      current: { type: 'boolean' },
      createdAt: { type: 'string' },
      lastSeenAt: { type: 'string' },
      userAgent: { type: 'string' },
      ip: { type: 'string' },
      /** Refreshes from an address or user agent the login had not seen: flagged, not refused. */
      flags: {
        type: 'array',
        items: {
          type: 'object',
          properties: { kind: { type: 'string', enum: ['new_address', 'new_user_agent'] }, ip: { type: 'string' }, userAgent: { type: 'string' }, at: { type: 'string' } },
          required: ['kind', 'ip', 'userAgent', 'at']
        }
      }
    },
    required: ['id', 'current', 'createdAt', 'lastSeenAt', 'userAgent', 'ip', 'flags']
  }
} as const

export const deviceParamsSchema = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['id']
} as const

export const usernameParamsSchema = {
  type: 'object',
  properties: { username: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['username']
} as const
