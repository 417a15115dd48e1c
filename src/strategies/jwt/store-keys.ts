/** Every store key the JWT strategy writes, in one place (the demo inspection reads the same names). */
export const JWT_KEYS = {
  /** One refresh token, by the SHA-256 of the token (the token itself is never stored). */
  refresh: (hash: string): string => `rt:${hash}`,
  /** One login: a chain of rotated refresh tokens. */
  family: (familyId: string): string => `fam:${familyId}`,
  /** The user's live families (device list, revoke-all). */
  userFamilies: (userId: string): string => `user-families:${userId}`,
  /** Denylist: one access token, by jti. */
  deny: (jti: string): string => `deny:${jti}`,
  /** Denylist: every access token of one login. */
  denyFamily: (familyId: string): string => `deny-sid:${familyId}`,
  /** Denylist: holds a user version; every token of that user with a smaller `ver` is revoked. */
  revokedBefore: (userId: string): string => `revoked-before:${userId}`
} as const
