import { createHash, randomBytes } from 'node:crypto'
import type { JwtConfig } from '../../config/config.js'
import { AppError, unauthorized } from '../../errors.js'
import type { KvStore } from '../../stores/kv-store.js'
import type { UserRepository } from '../../users/user-repository.js'
import type { User } from '../../users/user.js'

/** `rt:<sha256(token)>`: one refresh token. Only the hash is stored; the token itself is never kept. */
export interface RefreshRecord {
  familyId: string
  userId: string
  state: 'active' | 'spent'
  issuedAt: number
  spentAt?: number
}

/** `fam:<id>`: one login (a chain of rotated refresh tokens). Its id doubles as the device handle. */
export interface FamilyRecord {
  userId: string
  createdAt: number
  absoluteExpiresAt: number
  lastUsedAt: number
  userAgent: string
  ip: string
}

export interface FamilyEntry {
  familyId: string
  family: FamilyRecord
}

/** A login's next refresh token and what the access token is built from. */
export interface Issued {
  user: User
  familyId: string
  refreshToken: string
  /** Seconds the refresh token (and its cookie) may live: idle TTL, capped by the absolute lifetime. */
  maxAgeSec: number
}

/** 32 random bytes, base64url: exactly 43 characters. Anything else is rejected without a store lookup. */
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/

const rtKey = (hash: string): string => `rt:${hash}`
const famKey = (familyId: string): string => `fam:${familyId}`
const indexKey = (userId: string): string => `user-families:${userId}`
const hashOf = (token: string): string => createHash('sha256').update(token).digest('base64url')

export const invalidRefreshToken = (message: string): AppError => unauthorized('invalid_refresh_token', message)
const loginEnded = (): AppError => invalidRefreshToken('this login has ended (logout, revocation or idle expiry); log in again')

/**
 * Opaque rotating refresh tokens grouped in families, with reuse detection (seed 001): each refresh
 * spends the presented token and issues the next one; presenting a spent token again ends the whole
 * family. Spending is a compare-and-swap on the token record, so of N concurrent refreshes with one
 * token exactly one wins. `onFamilyEnded` lets the revocation mode react (the denylist marks the family).
 */
export class RefreshTokens {
  constructor (
    private readonly store: KvStore,
    private readonly users: UserRepository,
    private readonly config: Pick<JwtConfig, 'refreshTtlMs' | 'refreshAbsoluteTtlMs' | 'refreshReuseGraceMs'>,
    private readonly onFamilyEnded: (familyId: string) => Promise<void>
  ) {}

  /** A new family (login) with its first token. */
  async start (user: User, device: { userAgent: string, ip: string }): Promise<Issued> {
    const now = Date.now()
    const familyId = randomBytes(12).toString('base64url')
    const refreshToken = randomBytes(32).toString('base64url')
    const tokenHash = hashOf(refreshToken)
    const absoluteExpiresAt = now + this.config.refreshAbsoluteTtlMs
    const idleMs = Math.min(this.config.refreshTtlMs, absoluteExpiresAt - now)
    const family: FamilyRecord = { userId: user.id, createdAt: now, absoluteExpiresAt, lastUsedAt: now, ...device }
    await Promise.all([
      this.store.set(rtKey(tokenHash), JSON.stringify({ familyId, userId: user.id, state: 'active', issuedAt: now } satisfies RefreshRecord), idleMs),
      this.store.set(famKey(familyId), JSON.stringify(family), idleMs),
      this.store.setAdd(indexKey(user.id), familyId, this.config.refreshAbsoluteTtlMs)
    ])
    return { user, familyId, refreshToken, maxAgeSec: Math.ceil(idleMs / 1000) }
  }

  /**
   * Spends `presented` and issues the next token of its family. Throws 401 invalid_refresh_token
   * (unknown, expired, revoked, past the absolute lifetime), refresh_token_reused (spent before: the
   * family ends) or account_disabled (the family ends).
   */
  async rotate (presented: string): Promise<Issued> {
    if (!TOKEN_FORMAT.test(presented)) throw invalidRefreshToken('this is not a refresh token this server issued')
    const hash = hashOf(presented)
    const raw = await this.store.get(rtKey(hash))
    if (raw === null) throw invalidRefreshToken('unknown, expired or revoked refresh token; log in again')
    const record = JSON.parse(raw) as RefreshRecord
    const now = Date.now()
    if (record.state === 'spent') {
      // REFRESH_REUSE_GRACE: a client that lost the response to its refresh may retry the same token
      // for a few seconds and gets a second successor, without ending the family (see docs/jwt.md).
      const inGrace = this.config.refreshReuseGraceMs > 0 && now - (record.spentAt ?? 0) <= this.config.refreshReuseGraceMs
      if (!inGrace) {
        await this.end(record.userId, record.familyId)
        throw unauthorized('refresh_token_reused', 'this refresh token was already used: the whole login is revoked; log in again')
      }
      const live = await this.liveFamily(record, now)
      if (live === null) throw loginEnded()
      return await this.issueNext(record, live, now)
    }
    // Read the family before spending: a concurrent replay can only revoke it after our swap, so the
    // winner of a race is never refused by the losers' revocation (it answers 200 with tokens that the
    // revocation has already killed, which is what reuse detection wants).
    const family = await this.liveFamily(record, now)
    if (family === null) {
      // A concurrent replay may have spent the token and ended the family since our read: if the
      // record changed, decide again from what is stored now (that answer is refresh_token_reused).
      if (await this.store.get(rtKey(hash)) !== raw) return await this.rotate(presented)
      throw loginEnded()
    }
    const spent = JSON.stringify({ ...record, state: 'spent', spentAt: now } satisfies RefreshRecord)
    // The spent record is kept as long as the family could live, so a replay is recognised until then.
    const keepMs = Math.max(1, record.issuedAt + this.config.refreshAbsoluteTtlMs - now)
    if (!await this.store.swap(rtKey(hash), raw, spent, keepMs)) {
      // A concurrent refresh spent (or revocation deleted) it between our read and our swap: decide
      // again from what is stored now, exactly as for a replay.
      return await this.rotate(presented)
    }
    return await this.issueNext(record, family, now)
  }

  /**
   * The token's family and user, after checking both; null when the family has ended. Ends the family
   * (and throws) when it is past its absolute lifetime or the user may no longer log in.
   */
  private async liveFamily (record: RefreshRecord, now: number): Promise<{ raw: string, family: FamilyRecord, user: User } | null> {
    const [raw, user] = await Promise.all([this.store.get(famKey(record.familyId)), this.users.findById(record.userId)])
    if (raw === null) return null
    const family = JSON.parse(raw) as FamilyRecord
    if (family.absoluteExpiresAt <= now) {
      await this.end(record.userId, record.familyId)
      throw invalidRefreshToken('this login reached its absolute lifetime; log in again')
    }
    if (user === null || user.disabled) {
      await this.end(record.userId, record.familyId)
      throw unauthorized('account_disabled', 'this account is disabled')
    }
    return { raw, family, user }
  }

  /** Writes the family's next token and moves the family's idle expiry forward. */
  private async issueNext (record: RefreshRecord, { raw, family, user }: { raw: string, family: FamilyRecord, user: User }, now: number): Promise<Issued> {
    const refreshToken = randomBytes(32).toString('base64url')
    const tokenHash = hashOf(refreshToken)
    const idleMs = Math.min(this.config.refreshTtlMs, family.absoluteExpiresAt - now)
    await this.store.set(rtKey(tokenHash), JSON.stringify({ familyId: record.familyId, userId: user.id, state: 'active', issuedAt: now } satisfies RefreshRecord), idleMs)
    const next: FamilyRecord = { ...family, lastUsedAt: now }
    // Compare-and-swap, so a revocation that ran meanwhile is never undone by writing the family back;
    // the token just issued then belongs to an ended family and is refused at its first use.
    if (await this.store.swap(famKey(record.familyId), raw, JSON.stringify(next), idleMs)) {
      await this.store.setAdd(indexKey(user.id), record.familyId, family.absoluteExpiresAt - now)
    } else {
      await this.store.del(rtKey(tokenHash))
    }
    return { user, familyId: record.familyId, refreshToken, maxAgeSec: Math.ceil(idleMs / 1000) }
  }

  /** The family a refresh token belongs to (for logout), or null when it is unknown. */
  async familyOf (presented: string): Promise<{ userId: string, familyId: string } | null> {
    if (!TOKEN_FORMAT.test(presented)) return null
    const raw = await this.store.get(rtKey(hashOf(presented)))
    if (raw === null) return null
    const record = JSON.parse(raw) as RefreshRecord
    return { userId: record.userId, familyId: record.familyId }
  }

  /** The user's live families; ids whose record has expired are dropped from the index on the way. */
  async list (userId: string): Promise<FamilyEntry[]> {
    const ids = await this.store.setMembers(indexKey(userId))
    if (ids.length === 0) return []
    const raws = await this.store.getMany(ids.map(famKey))
    const live: FamilyEntry[] = []
    const stale: string[] = []
    ids.forEach((familyId, i) => {
      const raw = raws[i]
      const family = raw === null || raw === undefined ? null : JSON.parse(raw) as FamilyRecord
      if (family !== null && family.userId === userId) live.push({ familyId, family })
      else stale.push(familyId)
    })
    if (stale.length > 0) await this.store.setRemove(indexKey(userId), ...stale)
    return live
  }

  /**
   * Ends one family: its record and its index entry. True when it was live. Its token records stay
   * until their TTL: without the family they refresh nothing, and a spent one must still be
   * recognised as reuse (deleting it could turn a concurrent replay into a mere "unknown token").
   */
  async end (userId: string, familyId: string): Promise<boolean> {
    const [deleted] = await Promise.all([this.store.del(famKey(familyId)), this.store.setRemove(indexKey(userId), familyId), this.onFamilyEnded(familyId)])
    return deleted > 0
  }

  async endAll (userId: string): Promise<number> {
    const families = await this.list(userId)
    await Promise.all(families.map(async f => await this.end(userId, f.familyId)))
    return families.length
  }
}
