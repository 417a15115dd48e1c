import { randomBytes } from 'node:crypto'
import type { KvStore } from '../stores/kv-store.js'
import { AppError } from '../errors.js'
import { hashPassword, needsRehash, verifyPassword } from './password.js'
import { BENCH_PASSWORD, DEMO_USERS, LOGIN_ENDING_CHANGES, VERSION_BUMPING_CHANGES, epochOf, type Role, type User, type UserChange } from './user.js'

const userKey = (id: string): string => `user:${id}`
const usernameKey = (username: string): string => `username:${username.toLowerCase()}`
const MAX_UPDATE_ATTEMPTS = 10

/**
 * Users live in the configured store, so several server instances on one Redis share roles,
 * versions and disabled flags. Records are JSON under `user:<id>`, indexed by `username:<name>`.
 */
export class UserRepository {
  /** A hash of a random password, verified against when the username is unknown so both cases cost the same. */
  private dummyHash = ''

  constructor (private readonly store: KvStore, private readonly hashCost: number) {}

  async init (): Promise<void> {
    this.dummyHash = await hashPassword(randomBytes(16).toString('hex'), this.hashCost)
  }

  /** Creates the demo users and `benchUsers` bench users unless they already exist. */
  async seed (benchUsers: number): Promise<void> {
    for (const demo of DEMO_USERS) await this.createIfAbsent(demo.username, demo.role, await hashPassword(demo.password, this.hashCost))
    if (benchUsers === 0) return
    // One scrypt hash shared by every bench user: hashing thousands at startup would take minutes,
    // and these throwaway accounts share one published password anyway.
    const benchHash = await hashPassword(BENCH_PASSWORD, this.hashCost)
    const batch: Array<Promise<unknown>> = []
    for (let i = 0; i < benchUsers; i++) {
      batch.push(this.createIfAbsent(`bench${i}`, 'user', benchHash))
      if (batch.length === 500) await Promise.all(batch.splice(0))
    }
    await Promise.all(batch)
  }

  private async createIfAbsent (username: string, role: Role, passwordHash: string): Promise<void> {
    const id = `u_${randomBytes(9).toString('base64url')}`
    if (!await this.store.setIfAbsent(usernameKey(username), id)) return
    const now = Date.now()
    const user: User = { id, username, role, disabled: false, version: 1, epoch: 0, passwordHash, createdAt: now, updatedAt: now }
    await this.store.set(userKey(id), JSON.stringify(user))
  }

  async findById (id: string): Promise<User | null> {
    const raw = await this.store.get(userKey(id))
    return raw === null ? null : JSON.parse(raw) as User
  }

  async findByUsername (username: string): Promise<User | null> {
    const id = await this.store.get(usernameKey(username))
    return id === null ? null : await this.findById(id)
  }

  /**
   * Checks a username/password pair. Unknown users cost one scrypt like a wrong password and get the
   * same 401; a disabled account is only revealed to someone who knows its password.
   */
  async verifyCredentials (username: string, password: string): Promise<User> {
    const user = await this.findByUsername(username)
    const ok = await verifyPassword(password, user?.passwordHash ?? this.dummyHash)
    if (user === null || !ok) throw new AppError(401, 'invalid_credentials', 'unknown username or wrong password')
    if (user.disabled) throw new AppError(403, 'account_disabled', 'this account is disabled')
    if (needsRehash(user.passwordHash, this.hashCost)) await this.rehash(user, password)
    return user
  }

  /**
   * Stores a just-verified password again at the configured cost, so every real check costs what the
   * dummy hash for unknown usernames costs (and a raised PASSWORD_HASH_COST reaches old accounts).
   * Compare-and-swap on the record, and only while it still holds the hash that was verified: a
   * concurrent password change wins. Neither version nor epoch moves: nothing the user holds changes.
   */
  private async rehash (user: User, password: string): Promise<void> {
    const passwordHash = await hashPassword(password, this.hashCost)
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const raw = await this.store.get(userKey(user.id))
      if (raw === null) return
      const current = JSON.parse(raw) as User
      if (current.passwordHash !== user.passwordHash) return
      current.passwordHash = passwordHash
      if (await this.store.swap(userKey(user.id), raw, JSON.stringify(current))) {
        user.passwordHash = passwordHash
        return
      }
    }
  }

  /**
   * Applies an admin change with compare-and-swap, so concurrent changes never lose a version bump.
   * Returns the updated user, or null when the username is unknown.
   */
  async change (username: string, change: UserChange, detail: { role?: Role, password?: string } = {}): Promise<User | null> {
    const passwordHash = change === 'password' ? await hashPassword(detail.password ?? '', this.hashCost) : undefined
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const id = await this.store.get(usernameKey(username))
      if (id === null) return null
      const raw = await this.store.get(userKey(id))
      if (raw === null) return null
      const user = JSON.parse(raw) as User
      if (change === 'role' && detail.role !== undefined) user.role = detail.role
      if (change === 'disable') user.disabled = true
      if (change === 'enable') user.disabled = false
      if (passwordHash !== undefined) user.passwordHash = passwordHash
      if (VERSION_BUMPING_CHANGES.has(change)) user.version++
      if (LOGIN_ENDING_CHANGES.has(change)) user.epoch = epochOf(user) + 1
      user.updatedAt = Date.now()
      if (await this.store.swap(userKey(id), raw, JSON.stringify(user))) return user
    }
    throw new AppError(409, 'conflict', 'the user changed concurrently; try again')
  }
}
