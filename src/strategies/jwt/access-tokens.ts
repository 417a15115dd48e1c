import { randomBytes } from 'node:crypto'
import type { FastifyJWTOptions, JWT } from '@fastify/jwt'
import { createDecoder, createVerifier, type VerifierOptions } from 'fast-jwt'
import type { JwtConfig } from '../../config/config.js'
import { AppError, unauthorized } from '../../errors.js'
import { ROLES, type Role, type User } from '../../users/user.js'
import type { JwtKeys } from './jwt-keys.js'

/** RFC 9068 media type of JWT access tokens, required in the `typ` header on verify. */
export const ACCESS_TOKEN_TYP = 'at+jwt'

/**
 * Largest bearer token accepted, in bytes. Ours are about 450; the cap bounds the work an attacker can
 * make the verifier do. Headers above Node's own limit (16 KiB) never reach the app: Node answers 431.
 */
export const MAX_ACCESS_TOKEN_BYTES = 4096

/** Verified tokens remembered by fast-jwt's cache (per verifier); entries never outlive `exp`. */
const VERIFIER_CACHE_SIZE = 10_000

/** The claims of an access token. Nothing personal beyond the login handle, nothing secret. */
export interface AccessClaims {
  iss: string
  aud: string
  /** User id. */
  sub: string
  /** Login handle shown by /api/me, so stateless mode needs no lookup (the only identity claim; see src/strategies/jwt/README.md). */
  preferred_username: string
  role: Role
  /** The user's `version` when the token was issued. */
  ver: number
  /** The refresh family (login) this token belongs to. */
  sid: string
  jti: string
  iat: number
  exp: number
  nbf?: number
}

export const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'preferred_username', 'role', 'ver', 'sid', 'jti', 'iat', 'exp'] as const

/** RFC 6750 §3: no `error` attribute when the request carried no token at all. */
export const CHALLENGE_MISSING = { 'www-authenticate': 'Bearer' }
export const CHALLENGE_INVALID = { 'www-authenticate': 'Bearer error="invalid_token"' }

export const invalidToken = (message: string): AppError => unauthorized('invalid_token', message, CHALLENGE_INVALID)
export const tokenRevoked = (message: string): AppError => unauthorized('token_revoked', message, CHALLENGE_INVALID)

/**
 * fast-jwt verifier options for one key. The verifier accepts exactly the configured algorithm (so
 * `none` and HS256-with-the-public-key are refused), requires `typ: at+jwt`, iss, aud and every claim
 * above, and caches verified tokens until they expire.
 */
function verifierOptions (config: JwtConfig, keys: JwtKeys): Omit<VerifierOptions, 'key'> & { maxAge: number } {
  const toleranceMs = config.clockToleranceSec * 1000
  return {
    algorithms: [keys.algorithm],
    allowedIss: config.issuer,
    allowedAud: config.audience,
    requiredClaims: [...REQUIRED_CLAIMS],
    checkTyp: ACCESS_TOKEN_TYP,
    // fast-jwt takes the tolerance in milliseconds (it is added to exp and subtracted from nbf).
    clockTolerance: toleranceMs,
    // Counted from iat: a token claiming a longer life than we issue (an old token after
    // JWT_ACCESS_TTL was lowered) is refused as expired.
    maxAge: config.accessTtlMs + toleranceMs,
    cache: config.verifyCache ? VERIFIER_CACHE_SIZE : false,
    // The token itself is the cache key: fast-jwt's default hashes every token (decode the header,
    // SHA-256) only to save memory (at most ~4 MB here), and that hash was the largest auth cost per
    // request. A whole-token key cannot collide, which is what fast-jwt's startup warning is about.
    cacheKeyBuilder: (token: string) => token
  }
}

/**
 * @fastify/jwt options: one signer and one verifier for the current key, built at startup. Every token
 * carries the signing key's `kid`, so tokens signed by a key that is later retired are recognised.
 */
export function jwtPluginOptions (config: JwtConfig, keys: JwtKeys): FastifyJWTOptions {
  const verify = verifierOptions(config, keys)
  return {
    secret: keys.algorithm === 'HS256' ? keys.signingKey : { private: keys.signingKey, public: keys.verifyKey },
    sign: {
      algorithm: keys.algorithm,
      iss: config.issuer,
      aud: config.audience,
      // @fastify/jwt reads plain numbers as seconds.
      expiresIn: config.accessTtlMs / 1000,
      // fast-jwt's header option is typed as a full header; alg is the same as `algorithm`.
      header: { alg: keys.algorithm, typ: ACCESS_TOKEN_TYP },
      kid: keys.kid
    },
    // @fastify/jwt reads maxAge in seconds.
    verify: { ...verify, maxAge: verify.maxAge / 1000 }
  }
}

type KeyVerifier = (token: string) => AccessClaims

/**
 * Verifiers for the keys that no longer sign (JwtKeys.previous), one cached fast-jwt verifier per key.
 * Consulted only after the current key's verifier refused a token's signature, so tokens signed with
 * the current key (and tokens from before kids existed, which only the current key can verify) cost
 * nothing more. The token's `kid` is looked up in a Map of our own kids: any other kid, or none,
 * leaves the current key's refusal standing, and the chosen verifier still enforces the one algorithm.
 */
export class PreviousKeys {
  private readonly byKid = new Map<string, KeyVerifier>()
  private readonly decodeHeader = createDecoder({ complete: true, checkTyp: ACCESS_TOKEN_TYP })

  constructor (config: JwtConfig, keys: JwtKeys) {
    const options = verifierOptions(config, keys)
    for (const { kid, verifyKey } of keys.previous) {
      this.byKid.set(kid, createVerifier({ ...options, key: verifyKey }) as KeyVerifier)
    }
  }

  get size (): number {
    return this.byKid.size
  }

  /** The verifier of the previous key this token names, or null (malformed, no kid, or not one of ours). */
  verifierFor (token: string): KeyVerifier | null {
    let kid: unknown
    try {
      kid = (this.decodeHeader(token) as { header: { kid?: unknown } }).header.kid
    } catch {
      return null
    }
    return typeof kid === 'string' ? this.byKid.get(kid) ?? null : null
  }
}

/** The previous-key verifiers of each scope's @fastify/jwt decorator (one app may hold several scopes). */
const previousKeysOf = new WeakMap<JWT, PreviousKeys>()

/** Lets verifyAccessToken(jwt, ...) fall back to these previous keys for tokens `jwt` refuses. */
export function bindPreviousKeys (jwt: JWT, previous: PreviousKeys): void {
  if (previous.size > 0) previousKeysOf.set(jwt, previous)
}

/** The claims a new access token carries for this user and login. */
export function accessClaims (user: User, familyId: string): Pick<AccessClaims, 'sub' | 'preferred_username' | 'role' | 'ver' | 'sid' | 'jti'> {
  return {
    sub: user.id,
    preferred_username: user.username,
    role: user.role,
    ver: user.version,
    sid: familyId,
    jti: randomBytes(16).toString('base64url')
  }
}

/**
 * The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), or null when the header is
 * absent or uses another scheme. A Bearer header with no usable token is an invalid token, not a missing one.
 */
export function bearerToken (header: string | undefined): string | null {
  if (header === undefined || header.length < 6 || header.slice(0, 6).toLowerCase() !== 'bearer') return null
  if (header.length > 6 && header[6] !== ' ') return null
  const token = header.slice(7)
  if (token.length > MAX_ACCESS_TOKEN_BYTES) throw invalidToken(`the token is larger than ${MAX_ACCESS_TOKEN_BYTES} bytes`)
  if (token === '' || token.includes(' ')) throw invalidToken('expected Authorization: Bearer <token>')
  return token
}

const isString = (v: unknown): v is string => typeof v === 'string' && v !== ''

/** The current key first (the hot path: a cache hit by token); a previous key only on a signature refusal. */
function verifyWithAnyKey (jwt: JWT, token: string): AccessClaims {
  try {
    return jwt.verify<AccessClaims>(token)
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'FAST_JWT_INVALID_SIGNATURE') throw err
    const verifier = previousKeysOf.get(jwt)?.verifierFor(token) ?? null
    if (verifier === null) throw err
    return verifier(token)
  }
}

/**
 * Verifies signature, algorithm, typ and claims with the cached verifier, then the claim types the
 * verifier does not know about. Every failure is a 401 with a stable code, never a 500: the input is
 * the attacker's.
 */
export function verifyAccessToken (jwt: JWT, token: string): AccessClaims {
  let claims: AccessClaims
  try {
    claims = verifyWithAnyKey(jwt, token)
  } catch (err) {
    // fast-jwt's TokenError codes (@fastify/jwt does not re-export the class).
    const code = (err as { code?: unknown }).code
    if (code === 'FAST_JWT_EXPIRED') throw unauthorized('token_expired', 'the access token has expired; refresh it', CHALLENGE_INVALID)
    throw invalidToken(typeof code === 'string' && code.startsWith('FAST_JWT_') ? (err as Error).message : 'the access token could not be verified')
  }
  if (!isString(claims.sub) || !isString(claims.sid) || !isString(claims.jti) || !isString(claims.preferred_username) ||
      !Number.isSafeInteger(claims.ver) || !(ROLES as readonly unknown[]).includes(claims.role)) {
    throw invalidToken('the access token claims have the wrong types')
  }
  return claims
}
