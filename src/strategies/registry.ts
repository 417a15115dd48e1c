import type { Config } from '../config/config.js'
import { prefixedStore } from '../stores/prefixed-store.js'
import type { KvStore } from '../stores/kv-store.js'
import type { UserRepository } from '../users/user-repository.js'
import { createJwtStrategy } from './jwt/jwt-strategy.js'
import { REVOCATION_MODES } from './jwt/options.js'
import { createSessionStrategy } from './session/session-strategy.js'
import type { Strategy, StrategyDeps } from './strategy.js'

/**
 * Every strategy the server knows, by kind. A new strategy is a folder under src/strategies and one line
 * here; AUTH_STRATEGIES, the admin routes, the demo routes and the tests all read this table.
 */
export const STRATEGY_REGISTRY = {
  session: createSessionStrategy,
  jwt: createJwtStrategy
} as const satisfies Record<string, (deps: StrategyDeps) => Strategy>

export type StrategyKind = keyof typeof STRATEGY_REGISTRY
export const STRATEGY_KINDS = Object.keys(STRATEGY_REGISTRY) as StrategyKind[]

/** Settings a mount may override: the strategy's own config sections. */
export interface MountSettings {
  session?: Partial<Config['session']>
  jwt?: Partial<Config['jwt']>
}

/**
 * One mounted instance of a strategy. The default mount of a kind is named after it (`/session`,
 * `/jwt`); further mounts of the same kind (e.g. `/jwt-denylist` with JWT_REVOCATION=denylist beside
 * `/jwt`) take their own name, settings and store key prefix, so their logins never mix.
 */
export interface Mount {
  kind: StrategyKind
  /** URL prefix and principal name; defaults to the kind. Lowercase letters, digits and dashes. */
  name?: string
  settings?: MountSettings
  /**
   * Demo mode only: the mount keeps its records elsewhere than the app's store, so the page shows that
   * store beside the others. `cache`: through a second, demo-only auth cache (DEMO_CACHED_MOUNTS);
   * `postgres`: in a PostgreSQL store while the app's store is memory or Redis (DEMO_POSTGRES_MOUNTS).
   * Needs the matching entry in mountStrategies' `via` deps.
   */
  via?: MountVia
}

export type MountVia = 'cache' | 'postgres'

/** The store (and the user repository) a `via` mount reads. */
export interface ViaDeps { store: KvStore, users: UserRepository }

const MOUNT_NAME = /^[a-z][a-z0-9-]{0,31}$/

/** The mounts AUTH_STRATEGIES names: each kind once, under its own name. */
export function defaultMounts (config: Pick<Config, 'strategies'>): Mount[] {
  return config.strategies.map(kind => ({ kind }))
}

/**
 * Demo mode: every JWT revocation mode side by side, so one admin action shows its effect on each at
 * the same moment. The configured mode stays at `/jwt`; the others are mounted as `/jwt-<mode>` (own
 * audience, own store prefix, own refresh cookie path). AUTH_STRATEGIES still decides whether JWTs are
 * mounted at all; outside demo mode only defaultMounts applies.
 */
export function demoMounts (config: Pick<Config, 'strategies' | 'jwt' | 'demoCachedMounts' | 'demoPostgresMounts'>): Mount[] {
  const mounts = defaultMounts(config)
  if (config.strategies.includes('jwt')) {
    for (const mode of REVOCATION_MODES) {
      if (mode !== config.jwt.revocation) mounts.push({ kind: 'jwt', name: `jwt-${mode}`, settings: { jwt: { revocation: mode } } })
    }
  }
  // DEMO_CACHED_MOUNTS: the cached mode beside the others. Denylist is the JWT mode to cache: it refuses a
  // single logout too, so the column shows jwt-none's cost with a revocation that is final.
  const beside = (via: MountVia, suffix: string): void => {
    if (config.strategies.includes('session')) mounts.push({ kind: 'session', name: `session-${suffix}`, via })
    if (config.strategies.includes('jwt')) mounts.push({ kind: 'jwt', name: `jwt-denylist-${suffix}`, settings: { jwt: { revocation: 'denylist' } }, via })
  }
  if (config.demoCachedMounts !== null) beside('cache', 'cached')
  // DEMO_POSTGRES_MOUNTS: the same pair on PostgreSQL, so the page compares a store's cost, not its promise.
  if (config.demoPostgresMounts) beside('postgres', 'postgres')
  return mounts
}

/** Builds every mount's strategy. Throws on an unknown kind, a bad or a repeated name. */
export function mountStrategies (deps: { config: Config, store: KvStore, users: UserRepository, via?: Partial<Record<MountVia, ViaDeps>> }, mounts: readonly Mount[]): Strategy[] {
  const names = new Set<string>()
  return mounts.map(mount => {
    const create = STRATEGY_REGISTRY[mount.kind] as ((deps: StrategyDeps) => Strategy) | undefined
    if (create === undefined) throw new Error(`unknown strategy kind '${String(mount.kind)}'; known: ${STRATEGY_KINDS.join(', ')}`)
    const name = mount.name ?? mount.kind
    if (!MOUNT_NAME.test(name)) throw new Error(`mount name '${name}': expected lowercase letters, digits and dashes`)
    if (names.has(name) || ['admin', 'baseline', 'demo', 'health', 'ready'].includes(name)) throw new Error(`mount name '${name}' is taken`)
    names.add(name)
    const config: Config = {
      ...deps.config,
      session: { ...deps.config.session, ...mount.settings?.session },
      jwt: { ...deps.config.jwt, ...mount.settings?.jwt }
    }
    const via = mount.via === undefined ? null : deps.via?.[mount.via] ?? null
    if (mount.via !== undefined && via === null) throw new Error(`mount '${name}' reads via ${mount.via}, and no such store was opened`)
    const base = via?.store ?? deps.store
    const store = name === mount.kind ? base : prefixedStore(base, `${name}:`)
    return create({ config, store, users: via?.users ?? deps.users, mount: { name } })
  })
}
