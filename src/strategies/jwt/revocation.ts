import type { Config, RevocationMode } from '../../config/config.js'
import type { KvStore } from '../../stores/kv-store.js'
import type { UserRepository } from '../../users/user-repository.js'
import type { User, UserChange } from '../../users/user.js'
import { JWT_KEYS } from './store-keys.js'
import { tokenRevoked, type AccessClaims } from './access-tokens.js'

/**
 * How access tokens are revoked before `exp` (JWT_REVOCATION). Refresh families end at once in every
 * mode; this decides what happens to the access tokens already handed out, and what each protected
 * request costs: `none` 0 store round trips, `denylist` and `version` exactly 1.
 */
export interface AccessRevocation {
  readonly mode: RevocationMode
  /** Store round trips `check` makes per protected request (sent as x-auth-store-ops). */
  readonly storeOpsPerRequest: 0 | 1
  /**
   * What `check(claims)` called right after this will cost: `storeOpsPerRequest`, or 0 when AUTH_CACHE
   * holds everything it reads (x-auth-store-ops).
   */
  roundTrips: (claims: AccessClaims) => 0 | 1
  /** Throws 401 token_revoked when a verified token has been revoked. */
  check: (claims: AccessClaims) => Promise<void>
  /** Logout: the presented access token stops working (denylist mode). */
  tokenLoggedOut: (claims: AccessClaims) => Promise<void>
  /** A refresh family of the user ended (logout, device removal, reuse detection, limit, disable...). */
  familyEnded: (userId: string, familyId: string) => Promise<void>
  /** An admin change was applied to the user record (version already bumped). */
  userChanged: (user: User, change: UserChange) => Promise<void>
}

const { deny: denyKey, denyFamily: denyFamilyKey, revokedBefore: revokedBeforeKey } = JWT_KEYS

/** Changes after which the denylist rejects every outstanding token of the user. */
const REVOKING_CHANGES: ReadonlySet<UserChange> = new Set(['disable', 'password', 'revoke'])

const denylistKeys = (claims: AccessClaims): string[] => [denyKey(claims.sub, claims.jti), denyFamilyKey(claims.sub, claims.sid), revokedBeforeKey(claims.sub)]

const nothing = async (): Promise<void> => {}

export function createRevocation (config: Config, store: KvStore, users: UserRepository): AccessRevocation {
  // A denylist entry is useless once every token it could match has expired (tolerance included).
  const lifetimeMs = config.jwt.accessTtlMs + config.jwt.clockToleranceSec * 1000

  switch (config.jwt.revocation) {
    case 'none':
      return { mode: 'none', storeOpsPerRequest: 0, roundTrips: () => 0, check: nothing, tokenLoggedOut: nothing, familyEnded: nothing, userChanged: nothing }

    case 'denylist':
      return {
        mode: 'denylist',
        storeOpsPerRequest: 1,
        roundTrips: claims => store.cached?.(denylistKeys(claims)) === true ? 0 : 1,
        async check (claims) {
          // One MGET: the token, its login, and the user's "revoked before version N" mark. All three
          // carry the user id as their hash tag, so on Redis Cluster too this is one command to one master.
          const [token, family, revokedBefore] = await store.getMany(denylistKeys(claims))
          if (token !== null || family !== null) throw tokenRevoked('this login was ended (logout or forced logout)')
          if (revokedBefore !== null && revokedBefore !== undefined && claims.ver < Number(revokedBefore)) {
            throw tokenRevoked('the account was revoked, disabled or had its password changed after this token was issued')
          }
        },
        async tokenLoggedOut (claims) {
          const ttlMs = claims.exp * 1000 + config.jwt.clockToleranceSec * 1000 - Date.now()
          if (ttlMs > 0) await store.set(denyKey(claims.sub, claims.jti), '1', ttlMs)
        },
        async familyEnded (userId, familyId) {
          await store.set(denyFamilyKey(userId, familyId), '1', lifetimeMs)
        },
        async userChanged (user, change) {
          // A version, not a time: tokens issued after the change carry the new `ver` and pass, even
          // within the same second, and no clock comparison between instances is involved.
          if (REVOKING_CHANGES.has(change)) await store.set(revokedBeforeKey(user.id), String(user.version), lifetimeMs)
        }
      }

    case 'version':
      return {
        mode: 'version',
        storeOpsPerRequest: 1,
        roundTrips: claims => users.cached(claims.sub) ? 0 : 1,
        async check (claims) {
          // One GET of the user record; every version-bumping change (role too) rejects older tokens.
          const user = await users.findById(claims.sub)
          if (user === null || user.disabled || user.version !== claims.ver) {
            throw tokenRevoked('the account changed since this token was issued (role, password, disable or revoke); refresh it')
          }
        },
        tokenLoggedOut: nothing,
        familyEnded: nothing,
        userChanged: nothing
      }
  }
}
