import { Signer } from '@fastify/cookie'

interface UnsignResult { valid: boolean, renew: boolean, value: string | null }

const INVALID: UnsignResult = Object.freeze({ valid: false, renew: false, value: null })

/**
 * @fastify/cookie's Signer with a bounded memo of verified cookies. @fastify/session computes two
 * HMACs per request (unsign the cookie, then sign the id again in its Session constructor) for the
 * same few thousand active ids; both answers are deterministic, so each is computed once per id.
 * Only valid signatures are remembered, so garbage cookies cannot evict much; the oldest entry goes
 * first when the memo is full. The crypto itself stays in @fastify/cookie.
 *
 * Secret rotation (`new,old,...`): the first secret signs, all verify. A cookie verified by an older
 * secret comes back with `renew: true` and is not remembered, so `sign(id)` yields the id signed with
 * the current secret, which is what @fastify/session then sets when the session is saved. Cookies
 * signed with the current secret stay on the memo's path (no HMAC after the first request).
 */
export class CachedSigner {
  private readonly signer: InstanceType<typeof Signer>
  private readonly idBySigned = new Map<string, string>()
  private readonly signedById = new Map<string, string>()

  constructor (secrets: string | string[], private readonly maxEntries = 50_000) {
    this.signer = new Signer(secrets, 'sha256')
  }

  sign (value: string): string {
    const known = this.signedById.get(value)
    if (known !== undefined) return known
    const signed = this.signer.sign(value)
    this.remember(signed, value)
    return signed
  }

  unsign (signed: string): UnsignResult {
    const value = this.idBySigned.get(signed)
    if (value !== undefined) return { valid: true, renew: false, value }
    const result = this.signer.unsign(signed) as UnsignResult
    if (!result.valid || result.value === null) return INVALID
    // Remembering an old signature would also make sign(id) hand it out again.
    if (result.renew) return result
    this.remember(signed, result.value)
    return result
  }

  private remember (signed: string, value: string): void {
    if (this.idBySigned.size >= this.maxEntries) {
      const oldest = this.idBySigned.keys().next().value as string
      const oldestId = this.idBySigned.get(oldest) as string
      this.idBySigned.delete(oldest)
      this.signedById.delete(oldestId)
    }
    this.idBySigned.set(signed, value)
    this.signedById.set(value, signed)
  }
}
