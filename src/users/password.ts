import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

const KEY_LENGTH = 32
const BLOCK_SIZE = 8
const PARALLELISM = 1
/** scrypt needs 128 * N * r bytes; a stored hash asking for more than this is refused, not computed. */
const MAX_MEMORY = 2 ** 30

/** The scrypt parameters of a stored hash, as `scrypt$logN$r$p$salt$hash` records them. */
interface HashParams {
  logN: number
  r: number
  p: number
  salt: string
  hash: string
}

function scryptAsync (password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, options, (err, key) => { if (err === null) resolve(key); else reject(err) })
  })
}

function options ({ logN, r, p }: { logN: number, r: number, p: number }): ScryptOptions {
  const N = 2 ** logN
  // scrypt needs 128 * N * r bytes; give it that plus headroom instead of Node's 32 MiB default.
  return { N, r, p, maxmem: 128 * N * r * 2 }
}

function parse (stored: string): HashParams | null {
  const [scheme, logN, r, p, salt, hash, extra] = stored.split('$')
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined || extra !== undefined) return null
  const params = { logN: Number(logN), r: Number(r), p: Number(p), salt, hash }
  const small = (n: number, max: number): boolean => Number.isInteger(n) && n >= 1 && n <= max
  if (!small(params.logN, 30) || !small(params.r, 32) || !small(params.p, 16) || 128 * 2 ** params.logN * params.r > MAX_MEMORY) return null
  return params
}

/** Hashes a password with scrypt and a random salt: `scrypt$logN$r$p$salt$hash` (base64url parts). */
export async function hashPassword (password: string, logN: number): Promise<string> {
  const salt = randomBytes(16)
  const key = await scryptAsync(password, salt, options({ logN, r: BLOCK_SIZE, p: PARALLELISM }))
  return ['scrypt', logN, BLOCK_SIZE, PARALLELISM, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/**
 * Checks a password against a stored hash in constant time, with the scrypt parameters the hash was
 * made with (so hashes from an earlier cost still verify); a malformed hash never matches.
 */
export async function verifyPassword (password: string, stored: string): Promise<boolean> {
  const params = parse(stored)
  if (params === null) return false
  const expected = Buffer.from(params.hash, 'base64url')
  const actual = await scryptAsync(password, Buffer.from(params.salt, 'base64url'), options(params))
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}

/** Whether a stored hash was made with other parameters than hashPassword(…, logN) would use now. */
export function needsRehash (stored: string, logN: number): boolean {
  const params = parse(stored)
  return params === null || params.logN !== logN || params.r !== BLOCK_SIZE || params.p !== PARALLELISM
}
