import { boolean, duration, list, oneOf, optional, secrets, secretsOrRandom, text, type Option, type Read } from '../../config/options.js'

export const JWT_ALGORITHMS = ['HS256', 'EdDSA', 'ES256'] as const
export type JwtAlgorithm = typeof JWT_ALGORITHMS[number]
export const REVOCATION_MODES = ['none', 'denylist', 'version'] as const
export type RevocationMode = typeof REVOCATION_MODES[number]

export interface JwtConfig {
  algorithm: JwtAlgorithm
  /** HS256 signing secret: the first of `secrets`. */
  secret: string
  /** JWT_SECRET as a list: the first signs, every one verifies (HS256 rotation). */
  secrets: string[]
  privateKeyFile: string | null
  publicKeyFile: string | null
  /** Public keys of earlier EdDSA/ES256 key pairs, still published in the JWKS and accepted until removed. */
  previousPublicKeyFiles: string[]
  accessTtlMs: number
  issuer: string
  audience: string
  clockToleranceSec: number
  revocation: RevocationMode
  refreshTtlMs: number
  refreshAbsoluteTtlMs: number
  refreshReuseGraceMs: number
  /** fast-jwt's cache of verified tokens; off only to measure what it buys. */
  verifyCache: boolean
}

/** The JWT strategy's settings (access tokens, then refresh tokens), in the order `--help` lists them. */
export const JWT_OPTIONS = {
  algorithm: { env: 'JWT_ALG', ...oneOf(JWT_ALGORITHMS, 'HS256'), help: `access token algorithm (${JWT_ALGORITHMS.join(', ')})` },
  secrets: { env: 'JWT_SECRET', ...secrets(), help: 'HS256 secret(s), each at least 32 bytes: new,old,... (the first signs, all verify); random per start with a warning when unset' },
  privateKeyFile: { env: 'JWT_PRIVATE_KEY_FILE', ...optional('(generated)'), help: 'PEM private key for EdDSA/ES256; generated at start when absent' },
  publicKeyFile: { env: 'JWT_PUBLIC_KEY_FILE', ...optional('(derived)'), help: 'PEM public key for EdDSA/ES256' },
  previousPublicKeyFiles: { env: 'JWT_PREVIOUS_PUBLIC_KEY_FILE', ...list(), help: 'comma list of PEM public keys of earlier EdDSA/ES256 key pairs: published in the JWKS and accepted until removed' },
  accessTtl: { env: 'JWT_ACCESS_TTL', ...duration('15m', 1000, 24 * 3600 * 1000), help: 'access token lifetime' },
  issuer: { env: 'JWT_ISSUER', ...text('session-vs-jwt'), help: 'iss claim issued and required' },
  audience: { env: 'JWT_AUDIENCE', ...text('session-vs-jwt-api'), help: 'aud claim issued and required' },
  clockTolerance: { env: 'JWT_CLOCK_TOLERANCE', ...duration('5s', 0, 60_000), help: 'allowed clock skew when checking exp/nbf/iat, at most 60s' },
  revocation: { env: 'JWT_REVOCATION', ...oneOf(REVOCATION_MODES, 'none'), help: `access token revocation mode (${REVOCATION_MODES.join(', ')})` },
  refreshTtl: { env: 'REFRESH_TTL', ...duration('14d', 1000), help: 'refresh token idle lifetime' },
  refreshAbsoluteTtl: { env: 'REFRESH_ABSOLUTE_TTL', ...duration('30d', 1000), help: 'refresh family absolute lifetime' },
  refreshReuseGrace: { env: 'REFRESH_REUSE_GRACE', ...duration('0s', 0, 60_000), help: 'window in which a just-rotated refresh token may be retried' },
  verifyCache: { env: 'JWT_VERIFY_CACHE', ...boolean(true), help: 'cache verified access tokens until exp (false only to measure what it buys)' }
} satisfies Record<string, Option<unknown>>

/**
 * The JWT strategy's configuration. JWT_SECRET is only read (and only generated, with a warning, when
 * unset) for HS256 with the strategy mounted; otherwise there are no secrets.
 */
export function jwtConfig (read: Read, mounted: boolean, warnings: string[]): JwtConfig {
  const o = JWT_OPTIONS
  const algorithm = read(o.algorithm)
  const secrets = algorithm === 'HS256' && mounted ? secretsOrRandom(read, o.secrets, warnings) : []
  return {
    algorithm,
    secret: secrets[0] ?? '',
    secrets,
    privateKeyFile: read(o.privateKeyFile),
    publicKeyFile: read(o.publicKeyFile),
    previousPublicKeyFiles: read(o.previousPublicKeyFiles),
    accessTtlMs: read(o.accessTtl),
    issuer: read(o.issuer),
    audience: read(o.audience),
    clockToleranceSec: read(o.clockTolerance) / 1000,
    revocation: read(o.revocation),
    refreshTtlMs: read(o.refreshTtl),
    refreshAbsoluteTtlMs: read(o.refreshAbsoluteTtl),
    refreshReuseGraceMs: read(o.refreshReuseGrace),
    verifyCache: read(o.verifyCache)
  }
}
