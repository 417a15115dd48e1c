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
}

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
export function demoMounts (config: Pick<Config, 'strategies' | 'jwt'>): Mount[] {
  const mounts = defaultMounts(config)
  if (!config.strategies.includes('jwt')) return mounts
  for (const mode of REVOCATION_MODES) {
    if (mode !== config.jwt.revocation) mounts.push({ kind: 'jwt', name: `jwt-${mode}`, settings: { jwt: { revocation: mode } } })
  }
  return mounts
}

/** Builds every mount's strategy. Throws on an unknown kind, a bad or a repeated name. */
export function mountStrategies (deps: { config: Config, store: KvStore, users: UserRepository }, mounts: readonly Mount[]): Strategy[] {
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
    const store = name === mount.kind ? deps.store : prefixedStore(deps.store, `${name}:`)
    return create({ config, store, users: deps.users, mount: { name } })
  })
}
