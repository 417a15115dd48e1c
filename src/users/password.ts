import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'

const KEY_LENGTH = 32
const BLOCK_SIZE = 8
const PARALLELISM = 1

function scryptAsync (password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, options, (err, key) => { if (err === null) resolve(key); else reject(err) })
  })
}

function options (logN: number): ScryptOptions {
  const N = 2 ** logN
  // scrypt needs 128 * N * r bytes; give it that plus headroom instead of Node's 32 MiB default.
  return { N, r: BLOCK_SIZE, p: PARALLELISM, maxmem: 128 * N * BLOCK_SIZE * 2 }
}

/** Hashes a password with scrypt and a random salt: `scrypt$logN$r$p$salt$hash` (base64url parts). */
export async function hashPassword (password: string, logN: number): Promise<string> {
  const salt = randomBytes(16)
  const key = await scryptAsync(password, salt, options(logN))
  return ['scrypt', logN, BLOCK_SIZE, PARALLELISM, salt.toString('base64url'), key.toString('base64url')].join('$')
}

/** Checks a password against a stored hash in constant time; a malformed hash never matches. */
export async function verifyPassword (password: string, stored: string): Promise<boolean> {
  const [scheme, logN, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined || Number(r) !== BLOCK_SIZE || Number(p) !== PARALLELISM) return false
  const expected = Buffer.from(hash, 'base64url')
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64url'), options(Number(logN)))
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}
