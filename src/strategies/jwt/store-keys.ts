/**
 * Every store key the JWT strategy writes, in one place (the demo inspection reads the same names).
 * The part in braces is the key's Redis Cluster hash tag. Everything that belongs to one user carries
 * the user id, so what is read or written together lands on one slot: the denylist check reads its
 * three marks in one MGET, and the device list reads the families named in the user's index in one
 * MGET. A refresh token is looked up by its hash alone (the presenter's user is not known before the
 * read), so it has no tag; each of its writes is a single-key compare-and-swap.
 */
export const JWT_KEYS = {
  /** `rt:<sha256>`: one refresh token, by the SHA-256 of the token (the token itself is never stored). */
  refresh: (hash: string): string => `rt:${hash}`,
  /** `fam:{<userId>}:<familyId>`: one login, a chain of rotated refresh tokens. */
  family: (userId: string, familyId: string): string => `fam:{${userId}}:${familyId}`,
  /** `user-families:{<userId>}`: the user's live families (device list, revoke-all). */
  userFamilies: (userId: string): string => `user-families:{${userId}}`,
  /** `deny:{<userId>}:<jti>`: denylist, one access token. */
  deny: (userId: string, jti: string): string => `deny:{${userId}}:${jti}`,
  /** `deny-sid:{<userId>}:<familyId>`: denylist, every access token of one login. */
  denyFamily: (userId: string, familyId: string): string => `deny-sid:{${userId}}:${familyId}`,
  /** `revoked-before:{<userId>}`: denylist, a user version; every token of that user with a smaller `ver` is revoked. */
  revokedBefore: (userId: string): string => `revoked-before:{${userId}}`
} as const
