import { boolean, duration, oneOf, secrets, secretsOrRandom, type Option, type Read } from '../../config/options.js'

export const SESSION_REDIS_STORES = ['own', 'connect-redis'] as const
export type SessionRedisStore = typeof SESSION_REDIS_STORES[number]

export interface SessionConfig {
  /** The signing secret: the first of `secrets`. */
  secret: string
  /** SESSION_SECRET as a list: the first signs, every one verifies (rotation without logging anyone out). */
  secrets: string[]
  idleTtlMs: number
  absoluteTtlMs: number
  rolling: boolean
  /**
   * true: the cookie carries Expires (the idle limit ahead), so it survives a browser restart while the
   * session lives. false: a browser-session cookie (neither attribute), which the browser drops when it
   * closes; the server's idle and absolute limits apply either way.
   */
  persistentCookie: boolean
  /**
   * The Redis session store: the project's own (records only created by a login, every later write a
   * conditional update) or connect-redis, whose unconditional SET lets a request in flight re-create a
   * revoked session. connect-redis is only the benchmark's "plugin defaults" reference.
   */
  redisStore: SessionRedisStore
}

/** The session strategy's settings, in the order `--help` lists them. */
export const SESSION_OPTIONS = {
  secrets: { env: 'SESSION_SECRET', ...secrets(), help: 'cookie signing secret(s), each at least 32 bytes: new,old,... (the first signs, all verify); random per start with a warning when unset' },
  idleTtl: { env: 'SESSION_IDLE_TTL', ...duration('30m', 1000), help: 'sliding idle timeout, enforced by the server' },
  absoluteTtl: { env: 'SESSION_ABSOLUTE_TTL', ...duration('12h', 1000), help: 'hard cap from login, whatever the activity' },
  rolling: { env: 'SESSION_ROLLING', ...boolean(false), help: 're-send the cookie and write the store on every response' },
  persistentCookie: { env: 'SESSION_COOKIE_PERSISTENT', ...boolean(true), help: 'cookie with Expires (survives a browser restart while the session lives); false: a browser-session cookie (no Expires or Max-Age), dropped when the browser closes' },
  redisStore: { env: 'SESSION_REDIS_STORE', ...oneOf(SESSION_REDIS_STORES, 'own'), help: 'own, or connect-redis for the benchmark\'s plugin-defaults reference only (its unconditional write lets an in-flight request revive a revoked session)' }
} satisfies Record<string, Option<unknown>>

/**
 * The session strategy's configuration. SESSION_SECRET is only read (and only generated, with a
 * warning, when unset) if the strategy is mounted; otherwise there are no secrets.
 */
export function sessionConfig (read: Read, mounted: boolean, warnings: string[]): SessionConfig {
  const o = SESSION_OPTIONS
  const secrets = mounted ? secretsOrRandom(read, o.secrets, warnings) : []
  return {
    secret: secrets[0] ?? '',
    secrets,
    idleTtlMs: read(o.idleTtl),
    absoluteTtlMs: read(o.absoluteTtl),
    rolling: read(o.rolling),
    persistentCookie: read(o.persistentCookie),
    redisStore: read(o.redisStore)
  }
}
