import { createHash, randomBytes } from 'node:crypto'
import type { JwtConfig } from '../../config/config.js'
import { AppError, RefreshRefused, unauthorized } from '../../errors.js'
import type { KvStore } from '../../stores/kv-store.js'
import type { UserRepository } from '../../users/user-repository.js'
import { epochOf, type User } from '../../users/user.js'
import { JWT_KEYS } from './store-keys.js'

/**
 * `rt:<sha256(token)>`: one refresh token. Only the hash is stored; the token itself is never kept.
 * `active` may be rotated once; `spent` was rotated (and names its `successor`); `revoked` was killed
 * by a grace retry of its predecessor (or tombstoned before it was written). At most one token of a
 * family is ever `active`: a rotation spends before it writes, a grace retry kills before it writes.
 */
export interface RefreshRecord {
  familyId: string
  userId: string
  state: 'active' | 'spent' | 'revoked'
  issuedAt: number
  spentAt?: number
  /** Hash of the token this one was rotated into (spent records written since the field exists). */
  successor?: string
}

/** `fam:{<userId>}:<id>`: one login (a chain of rotated refresh tokens). Its id doubles as the device handle. */
export interface FamilyRecord {
  userId: string
  createdAt: number
  absoluteExpiresAt: number
  lastUsedAt: number
  userAgent: string
  ip: string
  /** The user's `epoch` when the login verified the password; absent in older records (read as 0). */
  epoch?: number
  /**
   * Refreshes that came from an address or user agent this login had not seen (neither at login nor in
   * an earlier flag), oldest first, at most MAX_FLAGS: shown on the device list, never refused. Absent
   * until the first one.
   */
  flags?: DeviceFlag[]
}

/**
 * "Flag, don't block": a refresh from a new address or user agent still works (phones change networks
 * all the time), but the login remembers it so its owner can see it on the device list and end it.
 */
export interface DeviceFlag {
  kind: 'new_address' | 'new_user_agent'
  ip: string
  userAgent: string
  at: number
}

/** Where a request comes from, as a login records it. */
export interface Device { userAgent: string, ip: string }

/** Flags a login keeps (the newest): an address seen only in a dropped flag is flagged again when it comes back. */
export const MAX_FLAGS = 8

/**
 * The family's flags after a refresh from `device`: one more per kind when its address or user agent is
 * new to this login. Computed on the rotation's own family write, so flagging costs no extra round trip.
 */
export function flagsAfter (family: FamilyRecord, device: Device | null, now: number): DeviceFlag[] | undefined {
  if (device === null) return family.flags
  const flags = family.flags ?? []
  const added: DeviceFlag[] = []
  if (device.ip !== family.ip && !flags.some(f => f.ip === device.ip)) added.push({ kind: 'new_address', ip: device.ip, userAgent: device.userAgent, at: now })
  if (device.userAgent !== family.userAgent && !flags.some(f => f.userAgent === device.userAgent)) added.push({ kind: 'new_user_agent', ip: device.ip, userAgent: device.userAgent, at: now })
  return added.length === 0 ? family.flags : [...flags, ...added].slice(-MAX_FLAGS)
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

interface LiveFamily { raw: string, family: FamilyRecord, user: User }

/** 32 random bytes, base64url: exactly 43 characters. Anything else is rejected without a store lookup. */
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/

/**
 * How often one refresh decides again after losing a compare-and-swap to a concurrent writer of the
 * same token or family (another refresh, a grace retry). Losing that often means a flood of concurrent
 * retries of one token: the refresh is refused rather than looping.
 */
const MAX_ATTEMPTS = 5

const { refresh: rtKey, family: famKey, userFamilies: indexKey } = JWT_KEYS
const hashOf = (token: string): string => createHash('sha256').update(token).digest('base64url')
const newToken = (): { token: string, hash: string } => {
  const token = randomBytes(32).toString('base64url')
  return { token, hash: hashOf(token) }
}

export const invalidRefreshToken = (message: string): AppError => unauthorized('invalid_refresh_token', message)
const loginEnded = (): AppError => invalidRefreshToken('this login has ended (logout, revocation or idle expiry); log in again')
const reused = (): AppError => unauthorized('refresh_token_reused', 'this refresh token was already used: the whole login is revoked; log in again')
/** 401 login_superseded: the account changed (password, disable, revoke-all) while this login was being recorded. */
export const loginSuperseded = (): AppError =>
  unauthorized('login_superseded', 'the account was changed (password change, disable or revoke-all) while this login was being recorded; log in again')

/**
 * Opaque rotating refresh tokens grouped in families, with reuse detection: each refresh
 * spends the presented token and issues the next one; presenting a spent token again ends the whole
 * family. Spending is a compare-and-swap on the token record, so of N concurrent refreshes with one
 * token exactly one wins; a new token is only handed out once the family record has accepted the
 * rotation (a second compare-and-swap), so a family ended meanwhile issues nothing. A family records
 * the user's login `epoch`; a password change, disable or revoke-all bumps it and ends the family at its
 * next use even if the admin's own ending of it never ran. `onFamilyEnded` lets the revocation mode
 * react (the denylist marks the family).
 */
export class RefreshTokens {
  constructor (
    private readonly store: KvStore,
    private readonly users: UserRepository,
    private readonly config: Pick<JwtConfig, 'refreshTtlMs' | 'refreshAbsoluteTtlMs' | 'refreshReuseGraceMs'>,
    private readonly onFamilyEnded: (userId: string, familyId: string) => Promise<void>
  ) {}

  /**
   * A new family (login) with its first token, for a user whose password was just verified. Throws 401
   * login_superseded (and leaves nothing behind) when the account changed in a way that ends logins
   * between that verification and the family being recorded.
   */
  async start (user: User, device: Device): Promise<Issued> {
    const now = Date.now()
    const familyId = randomBytes(12).toString('base64url')
    const { token: refreshToken, hash: tokenHash } = newToken()
    const absoluteExpiresAt = now + this.config.refreshAbsoluteTtlMs
    const idleMs = Math.min(this.config.refreshTtlMs, absoluteExpiresAt - now)
    const epoch = epochOf(user)
    const family: FamilyRecord = { userId: user.id, createdAt: now, absoluteExpiresAt, lastUsedAt: now, ...device, epoch }
    await Promise.all([
      this.store.set(rtKey(tokenHash), JSON.stringify({ familyId, userId: user.id, state: 'active', issuedAt: now } satisfies RefreshRecord), idleMs),
      this.store.set(famKey(user.id, familyId), JSON.stringify(family), idleMs),
      this.store.setAdd(indexKey(user.id), familyId, this.config.refreshAbsoluteTtlMs)
    ])
    // Why reading the user again, after the family is recorded and indexed, closes the race with an
    // admin change: the admin first bumps the user's epoch (one compare-and-swap) and only then lists
    // this index to end the families in it. If this read still sees the epoch the password was
    // verified against, the bump comes after it, so after our writes: the admin's listing sees this
    // family and ends it. If it sees another epoch, the change may have listed the index before our
    // write, so we end the family ourselves. Either way no family outlives the change, and a refresh
    // that finds the epochs different ends it too (an admin ending that failed half way).
    const current = await this.users.findById(user.id)
    if (current === null || current.disabled || epochOf(current) !== epoch) {
      await this.end(user.id, familyId)
      throw loginSuperseded()
    }
    // The re-read record also carries a role change made meanwhile (and its version, for `ver`).
    return { user: current, familyId, refreshToken, maxAgeSec: Math.ceil(idleMs / 1000) }
  }

  /**
   * Spends `presented` and issues the next token of its family. Throws 401 invalid_refresh_token
   * (unknown, expired, revoked, past the absolute lifetime, ended by an account change, or the family
   * ended while rotating), refresh_token_reused (spent before: the family ends) or account_disabled
   * (the family ends).
   */
  async rotate (presented: string, device: Device | null = null, attempt = 0): Promise<Issued> {
    if (!TOKEN_FORMAT.test(presented)) throw invalidRefreshToken('this is not a refresh token this server issued')
    if (attempt >= MAX_ATTEMPTS) throw invalidRefreshToken('this refresh token is being used by too many requests at once; log in again')
    const hash = hashOf(presented)
    const raw = await this.store.get(rtKey(hash))
    if (raw === null) throw invalidRefreshToken('unknown, expired or revoked refresh token; log in again')
    const record = JSON.parse(raw) as RefreshRecord
    const now = Date.now()
    if (record.state !== 'active') return await this.retryOrReuse(presented, hash, raw, record, now, device, attempt)
    // Read the family before spending: a concurrent replay can only revoke it after our swap, so the
    // winner of a race is refused only when the revocation lands before the family accepts its
    // rotation (then nothing at all is issued).
    const live = await this.liveFamily(record, now)
    if (live === null) {
      // A concurrent replay may have spent the token and ended the family since our read: if the
      // record changed, decide again from what is stored now (that answer is refresh_token_reused).
      if (await this.store.get(rtKey(hash)) !== raw) return await this.rotate(presented, device, attempt + 1)
      throw loginEnded()
    }
    const next = newToken()
    const spent = JSON.stringify({ ...record, state: 'spent', spentAt: now, successor: next.hash } satisfies RefreshRecord)
    if (!await this.store.swap(rtKey(hash), raw, spent, this.keepMs(record, now))) {
      // A concurrent refresh spent (or revocation deleted) it between our read and our swap: decide
      // again from what is stored now, exactly as for a replay.
      return await this.rotate(presented, device, attempt + 1)
    }
    // Written only if absent: a grace retry of this token that ran since our swap may have
    // tombstoned the successor's key, and then its chain is the one that lives.
    const written = await this.store.setIfAbsent(rtKey(next.hash), this.activeRecord(record, live.user, now), this.idleMs(live.family, now))
    if (!written) throw invalidRefreshToken('this refresh was superseded by a retry of the same refresh token')
    return await this.commit(record.familyId, live, next, now, device)
  }

  /**
   * A token that is no longer active was presented. Inside REFRESH_REUSE_GRACE, a client that lost
   * the response to its refresh may retry the token it just rotated; only the immediately previous
   * token qualifies, and only while its successor is unused. The retry kills that successor (compare-
   * and-swap active → revoked) before issuing a new one, so one chain lives and the device list keeps
   * one login. Everything else is reuse: the family ends.
   */
  private async retryOrReuse (presented: string, hash: string, raw: string, record: RefreshRecord, now: number, device: Device | null, attempt: number): Promise<Issued> {
    const inGrace = record.state === 'spent' && record.successor !== undefined &&
      this.config.refreshReuseGraceMs > 0 && now - (record.spentAt ?? 0) <= this.config.refreshReuseGraceMs
    if (!inGrace || record.successor === undefined) return await this.reuseDetected(record)
    const live = await this.liveFamily(record, now)
    if (live === null) throw loginEnded()
    const successor = await this.kill(record.successor, record, now)
    // The successor was used: the grace is over, and the presenter holds a token two steps back.
    if (successor === 'used') return await this.reuseDetected(record)
    if (successor === 'contended') throw invalidRefreshToken('this refresh token is being used by too many requests at once; log in again')
    const next = newToken()
    await this.store.set(rtKey(next.hash), this.activeRecord(record, live.user, now), this.idleMs(live.family, now))
    // The spent record now names the new successor (spentAt unchanged: a retry never extends the
    // window), so a further retry kills this one in turn. A concurrent retry that claimed it first
    // wins; this one decides again from what is stored now.
    const renamed = JSON.stringify({ ...record, successor: next.hash } satisfies RefreshRecord)
    if (!await this.store.swap(rtKey(hash), raw, renamed, this.keepMs(record, now))) {
      await this.store.del(rtKey(next.hash))
      return await this.rotate(presented, device, attempt + 1)
    }
    return await this.commit(record.familyId, live, next, now, device)
  }

  /**
   * Makes sure the token with hash `successorHash` can never be rotated: active → revoked, or a
   * tombstone when it has not been written yet (a rotation still in flight, or cut short by a store
   * error). `used` when it was spent already (its holder used it); `contended` when concurrent writers
   * kept changing it.
   */
  private async kill (successorHash: string, of: RefreshRecord, now: number): Promise<'killed' | 'used' | 'contended'> {
    const tombstone = JSON.stringify({ familyId: of.familyId, userId: of.userId, state: 'revoked', issuedAt: now } satisfies RefreshRecord)
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      const raw = await this.store.get(rtKey(successorHash))
      if (raw === null) {
        if (await this.store.setIfAbsent(rtKey(successorHash), tombstone, this.keepMs(of, now))) return 'killed'
        continue
      }
      const successor = JSON.parse(raw) as RefreshRecord
      if (successor.state === 'spent') return 'used'
      if (successor.state === 'revoked') return 'killed'
      const revoked = JSON.stringify({ ...successor, state: 'revoked' } satisfies RefreshRecord)
      if (await this.store.swap(rtKey(successorHash), raw, revoked, this.keepMs(successor, now))) return 'killed'
    }
    return 'contended'
  }

  private async reuseDetected (record: RefreshRecord): Promise<never> {
    await this.end(record.userId, record.familyId)
    throw reused()
  }

  /**
   * Records the rotation in the family (compare-and-swap; moves its idle expiry forward) and only then
   * hands out the token already written as `next`. If the family ended meanwhile (revocation, reuse
   * detection, an admin change), the token is deleted and nothing is issued: no access token is ever
   * signed for a family that did not accept the rotation. A family merely updated concurrently (another
   * rotation's lastUsedAt) is checked again and retried a bounded number of times.
   */
  private async commit (familyId: string, live: LiveFamily, next: { token: string, hash: string }, now: number, device: Device | null): Promise<Issued> {
    let { raw, family } = live
    const { user } = live
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      const idleMs = this.idleMs(family, now)
      const flags = flagsAfter(family, device, now)
      const updated: FamilyRecord = { ...family, lastUsedAt: now, ...(flags === undefined ? {} : { flags }) }
      if (await this.store.swap(famKey(user.id, familyId), raw, JSON.stringify(updated), idleMs)) {
        await this.store.setAdd(indexKey(user.id), familyId, family.absoluteExpiresAt - now)
        return { user, familyId, refreshToken: next.token, maxAgeSec: Math.ceil(idleMs / 1000) }
      }
      const again = await this.store.get(famKey(user.id, familyId))
      if (again === null) break
      raw = again
      family = JSON.parse(again) as FamilyRecord
      if (family.userId !== user.id || familyEpoch(family) !== epochOf(user) || family.absoluteExpiresAt <= now) break
    }
    await this.store.del(rtKey(next.hash))
    throw loginEnded()
  }

  /**
   * The token's family and user, after checking both; null when the family has ended. Ends the family
   * (and throws) when it is past its absolute lifetime, the user may no longer log in, or the user's
   * epoch moved since the login (password change, disable, revoke-all).
   */
  private async liveFamily (record: RefreshRecord, now: number): Promise<LiveFamily | null> {
    const [raw, user] = await Promise.all([this.store.get(famKey(record.userId, record.familyId)), this.users.findById(record.userId)])
    if (raw === null) return null
    const family = JSON.parse(raw) as FamilyRecord
    if (family.absoluteExpiresAt <= now) {
      await this.end(record.userId, record.familyId)
      throw invalidRefreshToken('this login reached its absolute lifetime; log in again')
    }
    if (user === null || user.disabled) {
      await this.end(record.userId, record.familyId)
      throw new RefreshRefused('this account is disabled')
    }
    if (familyEpoch(family) !== epochOf(user)) {
      await this.end(record.userId, record.familyId)
      throw invalidRefreshToken('this login was ended by an account change (password change or revoke-all); log in again')
    }
    return { raw, family, user }
  }

  private activeRecord (of: RefreshRecord, user: User, now: number): string {
    return JSON.stringify({ familyId: of.familyId, userId: user.id, state: 'active', issuedAt: now } satisfies RefreshRecord)
  }

  /** The idle lifetime of a token issued now, capped by the family's absolute lifetime. */
  private idleMs (family: FamilyRecord, now: number): number {
    return Math.min(this.config.refreshTtlMs, family.absoluteExpiresAt - now)
  }

  /** A spent or revoked record is kept as long as its family could live, so a replay is recognised until then. */
  private keepMs (record: RefreshRecord, now: number): number {
    return Math.max(1, record.issuedAt + this.config.refreshAbsoluteTtlMs - now)
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
    // The families share the index's hash tag (the user id): one MGET on one slot, on Redis Cluster too.
    const raws = await this.store.getMany(ids.map(familyId => famKey(userId, familyId)))
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
    // The family, its index entry and its denylist mark all carry the user id as hash tag: one master.
    const [deleted] = await Promise.all([this.store.del(famKey(userId, familyId)), this.store.setRemove(indexKey(userId), familyId), this.onFamilyEnded(userId, familyId)])
    return deleted > 0
  }

  async endAll (userId: string): Promise<number> {
    const families = await this.list(userId)
    await Promise.all(families.map(async f => await this.end(userId, f.familyId)))
    return families.length
  }
}

/** A family's login epoch; records written before the field existed read as 0. */
function familyEpoch (family: FamilyRecord): number {
  return family.epoch ?? 0
}
