import { createHash, createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { JwtAlgorithm, JwtConfig } from '../../config/config.js'
import { ConfigError } from '../../config/config-error.js'

/** One entry of a JWK Set (RFC 7517), public members only. */
export interface PublicJwk {
  kty: string
  crv: string
  x: string
  y?: string
  kid: string
  alg: JwtAlgorithm
  use: 'sig'
}

/** What signing and verifying access tokens needs, resolved once at startup. */
export interface JwtKeys {
  algorithm: JwtAlgorithm
  /** HS256: the shared secret; EdDSA/ES256: PEM private key (fast-jwt takes PEM strings). */
  signingKey: string
  /** HS256: the shared secret; EdDSA/ES256: PEM public key. */
  verifyKey: string
  /**
   * RFC 7638 thumbprint of the public key; for HS256, of the secret as an `oct` JWK (a SHA-256 of the
   * secret: it tells nothing an HMAC in any token does not, and a secret of 32+ bytes cannot be guessed from it).
   */
  kid: string
  /**
   * Keys that no longer sign but still verify, during a rotation: HS256 secrets after the first of
   * JWT_SECRET, or EdDSA/ES256 public keys from JWT_PREVIOUS_PUBLIC_KEY_FILE. A token's `kid` picks one.
   */
  previous: Array<{ kid: string, verifyKey: string }>
  /** The public key set served at /jwt/.well-known/jwks.json (current key first, then previous ones); null for HS256. */
  jwks: { keys: PublicJwk[] } | null
}

const KEY_TYPES: Record<Exclude<JwtAlgorithm, 'HS256'>, { describe: string, generate: () => { privateKey: KeyObject } }> = {
  EdDSA: { describe: 'an Ed25519 key', generate: () => generateKeyPairSync('ed25519') },
  ES256: { describe: 'an EC P-256 key', generate: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }) }
}

function fits (algorithm: Exclude<JwtAlgorithm, 'HS256'>, key: KeyObject): boolean {
  if (algorithm === 'EdDSA') return key.asymmetricKeyType === 'ed25519'
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
}

/** RFC 7638: SHA-256 over the required public members in lexicographic order, base64url. */
export function jwkThumbprint (jwk: { kty?: string, crv?: string, x?: string, y?: string, k?: string }): string {
  const members = jwk.kty === 'oct'
    ? { k: jwk.k, kty: jwk.kty }
    : jwk.kty === 'EC'
      ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
      : { crv: jwk.crv, kty: jwk.kty, x: jwk.x }
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url')
}

function readPrivateKey (file: string, algorithm: Exclude<JwtAlgorithm, 'HS256'>): KeyObject {
  let key: KeyObject
  try {
    key = createPrivateKey(readFileSync(file))
  } catch (err) {
    throw new ConfigError(`JWT_PRIVATE_KEY_FILE: expected a readable PEM private key; got '${file}' (${(err as Error).message})`)
  }
  if (!fits(algorithm, key)) {
    throw new ConfigError(`JWT_PRIVATE_KEY_FILE: expected ${KEY_TYPES[algorithm].describe} for JWT_ALG=${algorithm}; got a ${key.asymmetricKeyType ?? 'different'} key in '${file}'`)
  }
  return key
}

/**
 * Resolves the private key, in this order: JWT_PRIVATE_KEY_FILE when it exists; else a new key pair,
 * written to JWT_PRIVATE_KEY_FILE (mode 0600) when that is set, so the kid survives restarts, or kept in
 * memory with a warning. The public key is always derived from the private one; a JWT_PUBLIC_KEY_FILE
 * that exists must match it, and one that does not exist is written.
 */
function resolvePrivateKey (config: JwtConfig, algorithm: Exclude<JwtAlgorithm, 'HS256'>, warnings: string[]): KeyObject {
  const { privateKeyFile, publicKeyFile } = config
  if (privateKeyFile !== null && existsSync(privateKeyFile)) return readPrivateKey(privateKeyFile, algorithm)
  if (publicKeyFile !== null && existsSync(publicKeyFile)) {
    // Generating a private key now would never match the public key others already trust.
    throw new ConfigError(`JWT_PRIVATE_KEY_FILE: expected the private key matching JWT_PUBLIC_KEY_FILE '${publicKeyFile}'; got ${privateKeyFile === null ? 'nothing' : `a missing file '${privateKeyFile}'`}`)
  }
  const { privateKey } = KEY_TYPES[algorithm].generate()
  if (privateKeyFile === null) {
    warnings.push(`JWT_PRIVATE_KEY_FILE is not set: using a generated ${algorithm} key, so access tokens end when the process restarts and several instances cannot share them`)
  } else {
    try {
      writeFileSync(privateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' })
    } catch (err) {
      throw new ConfigError(`JWT_PRIVATE_KEY_FILE: expected a writable path for the generated key; got '${privateKeyFile}' (${(err as Error).message})`)
    }
    warnings.push(`JWT_PRIVATE_KEY_FILE '${privateKeyFile}' did not exist: generated a new ${algorithm} key there`)
  }
  return privateKey
}

function checkPublicKeyFile (file: string | null, publicKey: KeyObject): void {
  if (file === null) return
  const derived = publicKey.export({ type: 'spki', format: 'pem' })
  if (!existsSync(file)) {
    try {
      writeFileSync(file, derived, { mode: 0o644, flag: 'wx' })
    } catch (err) {
      throw new ConfigError(`JWT_PUBLIC_KEY_FILE: expected a writable path; got '${file}' (${(err as Error).message})`)
    }
    return
  }
  let given: KeyObject
  try {
    given = createPublicKey(readFileSync(file))
  } catch (err) {
    throw new ConfigError(`JWT_PUBLIC_KEY_FILE: expected a readable PEM public key; got '${file}' (${(err as Error).message})`)
  }
  if (!given.equals(publicKey)) {
    throw new ConfigError(`JWT_PUBLIC_KEY_FILE: expected the public half of JWT_PRIVATE_KEY_FILE; got a different key in '${file}'`)
  }
}

/** The kid of an HS256 secret: the RFC 7638 thumbprint of its `oct` JWK. */
export function secretKid (secret: string): string {
  return jwkThumbprint(createSecretKey(Buffer.from(secret)).export({ format: 'jwk' }))
}

function publicJwkOf (publicKey: KeyObject, algorithm: JwtAlgorithm): PublicJwk {
  const jwk = publicKey.export({ format: 'jwk' })
  return {
    kty: jwk.kty as string,
    crv: jwk.crv as string,
    x: jwk.x as string,
    ...(jwk.y === undefined ? {} : { y: jwk.y }),
    kid: jwkThumbprint(jwk),
    alg: algorithm,
    use: 'sig'
  }
}

function readPreviousPublicKey (file: string, algorithm: Exclude<JwtAlgorithm, 'HS256'>): KeyObject {
  let key: KeyObject
  try {
    key = createPublicKey(readFileSync(file))
  } catch (err) {
    throw new ConfigError(`JWT_PREVIOUS_PUBLIC_KEY_FILE: expected a readable PEM public key; got '${file}' (${(err as Error).message})`)
  }
  if (!fits(algorithm, key)) {
    throw new ConfigError(`JWT_PREVIOUS_PUBLIC_KEY_FILE: expected ${KEY_TYPES[algorithm].describe} for JWT_ALG=${algorithm}; got a ${key.asymmetricKeyType ?? 'different'} key in '${file}'`)
  }
  return key
}

/** Loads (or generates) the access token keys. Runs once at startup; throws ConfigError on bad keys. */
export function loadJwtKeys (config: JwtConfig, warnings: string[]): JwtKeys {
  const algorithm = config.algorithm
  if (algorithm === 'HS256') {
    if (config.previousPublicKeyFiles.length > 0) {
      warnings.push('JWT_PREVIOUS_PUBLIC_KEY_FILE is ignored with JWT_ALG=HS256: list earlier secrets after the current one in JWT_SECRET')
    }
    const secrets = config.secrets.length > 0 ? config.secrets : [config.secret]
    const secret = secrets[0] as string
    const older = secrets.slice(1)
    return {
      algorithm,
      signingKey: secret,
      verifyKey: secret,
      kid: secretKid(secret),
      previous: older.map(s => ({ kid: secretKid(s), verifyKey: s })),
      jwks: null
    }
  }
  const privateKey = resolvePrivateKey(config, algorithm, warnings)
  const publicKey = createPublicKey(privateKey)
  checkPublicKeyFile(config.publicKeyFile, publicKey)
  const current = publicJwkOf(publicKey, algorithm)
  const previous: JwtKeys['previous'] = []
  const previousJwks: PublicJwk[] = []
  const seen = new Set([current.kid])
  for (const file of config.previousPublicKeyFiles) {
    const key = readPreviousPublicKey(file, algorithm)
    const jwk = publicJwkOf(key, algorithm)
    if (seen.has(jwk.kid)) {
      throw new ConfigError(`JWT_PREVIOUS_PUBLIC_KEY_FILE: expected keys other than the signing key and each other; got the same key twice ('${file}')`)
    }
    seen.add(jwk.kid)
    previous.push({ kid: jwk.kid, verifyKey: key.export({ type: 'spki', format: 'pem' }) as string })
    previousJwks.push(jwk)
  }
  return {
    algorithm,
    signingKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    verifyKey: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    kid: current.kid,
    previous,
    jwks: { keys: [current, ...previousJwks] }
  }
}
