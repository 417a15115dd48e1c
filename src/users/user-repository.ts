import { randomBytes } from 'node:crypto'
import type { KvStore } from '../stores/kv-store.js'
import { AppError } from '../errors.js'
import { hashPassword, needsRehash, verifyPassword } from './password.js'
import { BENCH_PASSWORD, DEMO_USERS, LOGIN_ENDING_CHANGES, VERSION_BUMPING_CHANGES, epochOf, type Role, type User, type UserChange } from './user.js'

const userKey = (id: string): string => `user:${id}`
const usernameKey = (username: string): string => `username:${username.toLowerCase()}`
/** Demo mode: a demo account's id by its published name, so the reset finds it after a rename. */
const demoIdKey = (username: string): string => `demo-user:${username.toLowerCase()}`
const MAX_UPDATE_ATTEMPTS = 10

/**
 * Users live in the configured store, so several server instances on one Redis share roles,
 * versions and disabled flags. Records are JSON under `user:<id>`, indexed by `username:<name>`.
 */
export class UserRepository {
  /** A hash of a random password, verified against when the username is unknown so both cases cost the same. */
  private dummyHash = ''
  /** Demo mode only: the demo users this server keeps alive, by lower-case name, with their hashes made once. */
  private readonly demoUsers = new Map<string, { username: string, role: Role, passwordHash: string }>()

  /**
   * `demoMode`: the published demo users exist, and come back when their records vanish (a Redis that
   * restarted empty). Outside demo mode, records marked `demo` (left by an earlier demo run on the same
   * store) are treated as unknown users. `adminPassword` replaces the demo admin's published password.
   */
  constructor (private readonly store: KvStore, private readonly hashCost: number, private readonly mode: { demoMode: boolean, adminPassword: string | null } = { demoMode: false, adminPassword: null }) {}

  async init (): Promise<void> {
    // ADMIN_PASSWORD wins over the published admin password, in demo mode too (ensureAdmin creates it).
    const demos = this.mode.demoMode ? DEMO_USERS.filter(demo => demo.role !== 'admin' || this.mode.adminPassword === null) : []
    // scrypt runs on libuv's thread pool: hashing in parallel shortens startup.
    const [dummyHash = '', ...hashes] = await Promise.all([randomBytes(16).toString('hex'), ...demos.map(demo => demo.password)].map(async p => await hashPassword(p, this.hashCost)))
    this.dummyHash = dummyHash
    demos.forEach((demo, i) => { this.demoUsers.set(demo.username.toLowerCase(), { username: demo.username, role: demo.role, passwordHash: hashes[i]! }) })
  }

  /**
   * ADMIN_PASSWORD at startup: creates `admin` (role admin) when there is none. An existing account keeps
   * its password (first start only, like most images: change it later through the admin routes), except
   * a demo admin left by an earlier demo run, whose published password is replaced.
   */
  async ensureAdmin (): Promise<'created' | 'replaced-demo' | 'kept' | 'none'> {
    const password = this.mode.adminPassword
    if (password === null) return await this.hasAdmin() ? 'kept' : 'none'
    const passwordHash = await hashPassword(password, this.hashCost)
    if (await this.createIfAbsent('admin', 'admin', passwordHash)) return 'created'
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const id = await this.store.get(usernameKey('admin'))
      const raw = id === null ? null : await this.store.get(userKey(id))
      if (id === null || raw === null) {
        if (await this.createIfAbsent('admin', 'admin', passwordHash)) return 'created'
        continue
      }
      const user = JSON.parse(raw) as User
      if (user.demo !== true) return 'kept'
      const now = Date.now()
      const owned: User = { ...user, role: 'admin', disabled: false, passwordHash, version: user.version + 1, epoch: epochOf(user) + 1, updatedAt: now }
      delete owned.demo
      if (await this.store.swap(userKey(id), raw, JSON.stringify(owned))) return 'replaced-demo'
    }
    throw new AppError('conflict', 'the admin account changed concurrently; restart')
  }

  /** Whether a usable (not demo, not disabled) `admin` account with the admin role exists. */
  private async hasAdmin (): Promise<boolean> {
    const admin = await this.findByUsername('admin')
    return admin !== null && admin.demo !== true && admin.role === 'admin' && !admin.disabled
  }

  /** Creates the demo users (demo mode only) and `benchUsers` bench users unless they already exist. */
  async seed (benchUsers: number): Promise<void> {
    for (const demo of this.demoUsers.values()) await this.createIfAbsent(demo.username, demo.role, demo.passwordHash, true)
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

  private async createIfAbsent (username: string, role: Role, passwordHash: string, demo = false): Promise<boolean> {
    const id = `u_${randomBytes(9).toString('base64url')}`
    if (!await this.store.setIfAbsent(usernameKey(username), id)) return false
    const now = Date.now()
    const user: User = { id, username, role, disabled: false, version: 1, epoch: 0, passwordHash, createdAt: now, updatedAt: now, ...(demo ? { demo } : {}) }
    await this.store.set(userKey(id), JSON.stringify(user))
    if (demo) await this.store.set(demoIdKey(username), id)
    return true
  }

  /** Whether `findById(id)` would be answered from the AUTH_CACHE right now, without a store round trip. */
  cached (id: string): boolean {
    return this.store.cached?.([userKey(id)]) === true
  }

  async findById (id: string): Promise<User | null> {
    const raw = await this.store.get(userKey(id))
    return raw === null ? null : JSON.parse(raw) as User
  }

  /**
   * The account `username` names. The index entry counts only while the record still carries that name:
   * a rename that stopped between its steps (see rename) can leave the old name pointing at the renamed
   * record, and that alias must not log anyone in.
   */
  async findByUsername (username: string): Promise<User | null> {
    const id = await this.store.get(usernameKey(username))
    const user = id === null ? null : await this.findById(id)
    return user !== null && user.username.toLowerCase() === username.toLowerCase() ? user : null
  }

  /**
   * The account a login names. In demo mode a demo user whose records vanished (the store restarted
   * empty) is created again first, from hashes made at startup: no scrypt here, so the timing of unknown
   * users and wrong passwords stays what verifyCredentials makes it. Outside demo mode a record left by
   * a demo run is no account at all.
   */
  private async findForLogin (username: string): Promise<User | null> {
    const user = await this.findByUsername(username)
    if (user !== null) return user.demo === true && !this.mode.demoMode ? null : user
    const demo = this.demoUsers.get(username.toLowerCase())
    if (demo === undefined) return null
    await this.recreateDemo(demo)
    return await this.findByUsername(username)
  }

  /**
   * Creates a demo account again, as published. A username index entry left without its record (half a
   * wipe), or naming a record renamed since (a rename that stopped before its last step), is dropped
   * first so that the account can be made again.
   */
  private async recreateDemo (demo: { username: string, role: Role, passwordHash: string }): Promise<void> {
    const staleId = await this.store.get(usernameKey(demo.username))
    const stale = staleId === null ? null : await this.findById(staleId)
    if (staleId !== null && stale?.username.toLowerCase() !== demo.username.toLowerCase()) await this.store.swap(usernameKey(demo.username), staleId, null)
    await this.createIfAbsent(demo.username, demo.role, demo.passwordHash, true)
  }

  /**
   * Checks a username/password pair. Unknown users cost one scrypt like a wrong password and get the
   * same 401; a disabled account is only revealed to someone who knows its password.
   */
  async verifyCredentials (username: string, password: string): Promise<User> {
    const user = await this.findForLogin(username)
    const ok = await verifyPassword(password, user?.passwordHash ?? this.dummyHash)
    if (user === null || !ok) throw new AppError('invalid_credentials', 'unknown username or wrong password')
    if (user.disabled) throw new AppError('account_disabled', 'this account is disabled')
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

  /** The demo accounts this server restores (demo mode; the admin only while it has the published password). */
  demoUsernames (): string[] {
    return [...this.demoUsers.values()].map(demo => demo.username)
  }

  /**
   * Demo mode's reset: puts a demo account back as published (role, enabled, password) and bumps its
   * version and epoch, so every credential issued before is dead. Returns null for a name that is not a
   * demo account here, or whose record is no longer a demo one (ADMIN_PASSWORD took the admin over).
   */
  async restoreDemo (username: string): Promise<User | null> {
    const demo = this.demoUsers.get(username.toLowerCase())
    if (demo === undefined) return null
    await this.undoDemoRename(demo.username)
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const id = await this.store.get(usernameKey(demo.username))
      const raw = id === null ? null : await this.store.get(userKey(id))
      if (id === null || raw === null) {
        // Gone (a store that restarted empty, or half a wipe): created as published, and bumped on the
        // next round like any.
        await this.recreateDemo(demo)
        continue
      }
      const user = JSON.parse(raw) as User
      if (user.demo !== true) return null
      const restored: User = { ...user, role: demo.role, disabled: false, passwordHash: demo.passwordHash, version: user.version + 1, epoch: epochOf(user) + 1, updatedAt: Date.now() }
      if (await this.store.swap(userKey(id), raw, JSON.stringify(restored))) {
        // Demo records made before the id index existed get it here, so their next rename is undone too.
        await this.store.set(demoIdKey(demo.username), id)
        return restored
      }
    }
    throw new AppError('conflict', 'the user changed concurrently; try again')
  }

  /**
   * A demo account an admin renamed (the rename story) gets its published name back, so the reset
   * restores and logs out that account rather than creating a second one under the old name while the
   * renamed one keeps its logins. Left alone when the published name belongs to another account now.
   */
  private async undoDemoRename (published: string): Promise<void> {
    const id = await this.store.get(demoIdKey(published))
    const user = id === null ? null : await this.findById(id)
    if (user === null || user.demo !== true || user.username.toLowerCase() === published.toLowerCase()) return
    try {
      await this.rename(user.username, published)
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'username_taken')) throw err
    }
  }

  /**
   * Renames an account: `username:<next>` is claimed first (setIfAbsent, so two renames to one name cannot
   * both win), then the record is rewritten with compare-and-swap, then the old name's index entry is
   * dropped (swap, only while it still points at this account). Nothing else moves: no version or epoch
   * bump, so no login ends. Every step is safe to repeat: a retry after a failure between steps finds its
   * own claim on the new name (or the record already renamed) and finishes the rest. If the record cannot
   * be written, the claim is released again. Returns null for an unknown username; throws username_taken
   * when another account has the name.
   */
  async rename (username: string, next: string): Promise<User | null> {
    const oldKey = usernameKey(username)
    const newKey = usernameKey(next)
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const id = await this.store.get(oldKey)
      if (id === null) return null
      const raw = await this.store.get(userKey(id))
      if (raw === null) return null
      const user = JSON.parse(raw) as User
      if (user.username.toLowerCase() !== username.toLowerCase()) {
        // The old name still points at a record renamed since: an earlier rename stopped before its last
        // step. Finish it (drop the alias); the name is then unknown, unless this very rename is the retry.
        await this.store.swap(oldKey, id, null)
        return user.username === next ? user : null
      }
      if (user.username === next) return user
      if (newKey !== oldKey && !await this.store.setIfAbsent(newKey, id) && await this.store.get(newKey) !== id) {
        throw new AppError('username_taken', `another account is already named ${next}`)
      }
      const renamed: User = { ...user, username: next, updatedAt: Date.now() }
      if (await this.store.swap(userKey(id), raw, JSON.stringify(renamed))) {
        if (newKey !== oldKey) await this.store.swap(oldKey, id, null)
        return renamed
      }
    }
    const id = await this.store.get(oldKey)
    if (id !== null && newKey !== oldKey) await this.store.swap(newKey, id, null)
    throw new AppError('conflict', 'the user changed concurrently; try again')
  }

  /**
   * Applies an admin change with compare-and-swap, so concurrent changes never lose a version bump.
   * Returns the updated user, or null when the username is unknown.
   */
  async change (username: string, change: Exclude<UserChange, 'rename'>, detail: { role?: Role, password?: string } = {}): Promise<User | null> {
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
    throw new AppError('conflict', 'the user changed concurrently; try again')
  }
}
