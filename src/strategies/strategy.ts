import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { StrategyName } from '../config/config.js'
import type { User, UserChange } from '../users/user.js'

/**
 * What the app needs from an authentication strategy. The app mounts `routes` under `/{name}`,
 * registers `credentials` in every scope that authenticates with it, and calls `authenticate` before
 * protected handlers. Nothing outside the strategy's folder knows how the credential works.
 */
export interface Strategy {
  readonly name: StrategyName
  /** Plugin (fastify-plugin wrapped) that prepares requests of the scope it is registered in. */
  readonly credentials: FastifyPluginAsync
  /** The strategy's own routes: login, logout, devices and the like. */
  readonly routes: FastifyPluginAsync
  /** Whether the request carries this strategy's kind of credential at all. */
  presentedBy: (request: FastifyRequest) => boolean
  /** Sets `request.principal` and `request.authStoreOps`, or throws a 401 AppError. */
  authenticate: (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  /** Reacts to an account change; returns how many logins it ended. */
  onUserChange: (user: User, change: UserChange) => Promise<number>
}

/** What every strategy is built from. */
export interface StrategyDeps {
  config: import('../config/config.js').Config
  store: import('../stores/kv-store.js').KvStore
  users: import('../users/user-repository.js').UserRepository
}
