import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config/config.js'
import type { KvStore } from '../stores/kv-store.js'
import type { UserRepository } from '../users/user-repository.js'
import type { User, UserChange } from '../users/user.js'

/**
 * What the app needs from an authentication strategy. The registry (registry.ts) mounts each configured
 * instance under `/{name}`: the app registers `credentials` in every scope that authenticates with it,
 * mounts `routes` there, and calls `authenticate` before the protected handlers. Everything about how
 * the credential works (cookie names, store keys, challenges, what the demo page shows) lives in the
 * strategy's own folder; nothing outside it branches on a strategy's name.
 */
export interface Strategy {
  /** The mount name: the URL prefix (`/{name}`) and `request.principal.strategy`. */
  readonly name: string
  /** The registry entry it was built from (`session`, `jwt`). */
  readonly kind: string
  /** Plugin (fastify-plugin wrapped) that prepares requests of the scope it is registered in. */
  readonly credentials: FastifyPluginAsync
  /** The strategy's own routes: login, logout, devices and the like. */
  readonly routes: FastifyPluginAsync
  /** Headers of a 401 for a request that carried no credential at all (RFC 6750's `WWW-Authenticate: Bearer`). */
  readonly challenge: Readonly<Record<string, string>>
  /** Cookies it sets, by their plain name and the prefixed name they take when cookies are Secure. */
  readonly cookies: readonly StrategyCookie[]
  /** Whether the request carries this strategy's kind of credential at all. */
  presentedBy: (request: FastifyRequest) => boolean
  /** Sets `request.principal` and `request.authStoreOps`, or throws a 401 AppError. */
  authenticate: (request: FastifyRequest, reply: FastifyReply) => void | Promise<void>
  /** Reacts to an account change; returns how many logins it ended (or updated, for a role change). */
  onUserChange: (user: User, change: UserChange) => Promise<number>
  /** What the demo page and runner may show and do with this strategy's credentials (demo mode only). */
  readonly demo: StrategyDemo
}

export interface StrategyCookie {
  /** The name over plain http (`sid`). */
  plain: string
  /** The name when the cookie is Secure (`__Host-sid`, `__Secure-rt`). */
  secure: string
}

/** A copied credential, as the request that carried it presented it. */
export interface StolenCredential {
  /** `name=value` of the credential cookie, or null. */
  cookie: string | null
  /** The bearer token, or null. */
  bearer: string | null
  /** What the page calls the cookie (`session cookie`, `refresh token cookie`). */
  cookieLabel: string
}

/** Demo-mode adapters: read-only inspection of what the server keeps, and the attacker panel's theft. */
export interface StrategyDemo {
  /** Settings the page shows for this mount (e.g. the JWT revocation mode). */
  readonly info: Readonly<Record<string, unknown>>
  /** Whether the inspect/steal scope needs `credentials` registered (e.g. the JWT verifier). */
  readonly needsCredentials: boolean
  /** Extra attacks the page may replay with a stolen credential, beyond the protected routes (e.g. refresh). */
  readonly attacks: Readonly<Record<string, { method: 'GET' | 'POST', path: string }>>
  /** What the server keeps for the caller's own credential, secrets redacted; works after it stopped working. */
  inspect: (request: FastifyRequest) => Promise<object>
  /** The credential the request carries, or null when it carries none. */
  steal: (request: FastifyRequest) => StolenCredential | null
}

/** What every strategy is built from. */
export interface StrategyDeps {
  config: Config
  /** The strategy's store: the app's, with a key prefix of its own for every mount but the default one. */
  store: KvStore
  users: UserRepository
  /** Where it is mounted: `/{name}`. */
  mount: { name: string }
}
