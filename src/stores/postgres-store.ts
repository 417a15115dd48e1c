import pg from 'pg'
import { ConfigError } from '../config/config-error.js'
import { CrossSlotKeys, StoreUnavailableError, sameSlot, type ConditionalWrite, type KvStore } from './kv-store.js'
import {
  ALL_SET_TABLES, ALL_STRING_TABLES, COUNTER_TABLE, GENERIC_SET_TABLE, GENERIC_STRING_TABLE, SET_TABLES, STRING_TABLES,
  migrate, quoteIdent, type SetTable, type StringTable
} from './postgres-schema.js'

export interface PostgresStoreOptions {
  url: string
  schema: string
  prefix: string
  /** How long startup (and every later connection attempt) waits for the server. */
  connectTimeoutMs?: number
  /** Per statement, enforced by the server and by the client: a hung database fails closed. */
  statementTimeoutMs?: number
  /** Connections in the pool. */
  poolSize?: number
  /** How often expired rows are deleted; 0 turns the timer off (tests call sweep()). */
  cleanupIntervalMs?: number
}

const CLEANUP_INTERVAL_MS = 30_000

/** A row is live while it has no expiry or its expiry is still ahead. Part of every read. */
const LIVE = '(expires_at IS NULL OR expires_at > now())'
/** `now() + ttl`, or NULL (no expiry) for a NULL ttl; the ttl is whole milliseconds. */
const expiry = (param: string): string => `now() + ${param}::float8 * interval '1 millisecond'`
/** Milliseconds left, Redis PTTL style (-1: no expiry). */
const MS_LEFT = 'CASE WHEN expires_at IS NULL THEN -1 ELSE greatest(1, ceil(extract(epoch FROM expires_at - now()) * 1000))::int8 END'

const ttlParam = (ttlMs: number | undefined): number | null => ttlMs === undefined ? null : Math.max(1, Math.ceil(ttlMs))

/**
 * SQLSTATE classes that mean "the database cannot serve now", not "this statement is wrong":
 * connection exceptions (08), insufficient resources (53), operator intervention (57: shutdown, crash
 * recovery, statement timeout), system errors (58), and a serialization failure or deadlock (40).
 */
const UNAVAILABLE_SQLSTATE = /^(08|53|57|58|40)/

/** Whether a pg failure is the database being away (503), rather than a bug in a statement (500). */
export function isUnavailable (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  // Socket errors (ECONNREFUSED, ECONNRESET, ...), pg's own timeouts and "Connection terminated" carry no SQLSTATE.
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true
  return UNAVAILABLE_SQLSTATE.test(code)
}

/**
 * PostgreSQL over node-postgres (a Pool): typed tables per key namespace (postgres-schema.ts), each
 * method one statement (one round trip), the conditional writes as single conditional UPDATE/INSERT
 * statements whose row locks make them atomic. A database that is down or hung fails every call at
 * once or within the statement timeout (503 store_unavailable); the pool opens new connections per
 * query, so service resumes by itself when the database is back.
 */
export class PostgresKvStore implements KvStore {
  readonly kind = 'postgres' as const
  readonly pool: pg.Pool
  private readonly cleaner: NodeJS.Timeout | null
  private sweeping: Promise<number> | null = null
  private readonly t: (table: string) => string

  private constructor (pool: pg.Pool, readonly schema: string, private readonly prefix: string, cleanupIntervalMs: number) {
    this.pool = pool
    const qualified = new Map<string, string>()
    for (const table of [...ALL_STRING_TABLES, ...ALL_SET_TABLES, COUNTER_TABLE]) qualified.set(table, `${quoteIdent(schema)}.${table}`)
    this.t = table => qualified.get(table)!
    if (cleanupIntervalMs > 0) {
      this.cleaner = setInterval(() => { this.sweep().catch(() => {}) }, cleanupIntervalMs)
      this.cleaner.unref()
    } else {
      this.cleaner = null
    }
  }

  /**
   * Connects, applies the migrations (postgres-schema.ts) and starts the cleanup timer. Throws
   * StoreUnavailableError when the database does not answer within the timeout.
   */
  static async connect (options: PostgresStoreOptions): Promise<PostgresKvStore> {
    const statementTimeout = options.statementTimeoutMs ?? 2000
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      // Server side: a statement stuck on a lock or a slow plan is cancelled (57014, a 503).
      statement_timeout: statementTimeout,
      // Client side: a server that accepts but never answers (paused, partitioned) fails closed too;
      // the pool discards that connection.
      query_timeout: statementTimeout + 500,
      idle_in_transaction_session_timeout: 10_000,
      keepAlive: true,
      application_name: 'session-vs-jwt'
    })
    // An idle connection that dies (database restarted) is reported here; the pool drops it by itself.
    pool.on('error', () => {})
    let client: pg.PoolClient | undefined
    try {
      client = await pool.connect()
      await migrate(client, options.schema)
      client.release()
    } catch (err) {
      client?.release(true)
      await pool.end().catch(() => {})
      if (!(err instanceof ConfigError) && isUnavailable(err)) throw new StoreUnavailableError(err)
      throw err
    }
    return new PostgresKvStore(pool, options.schema, options.prefix, options.cleanupIntervalMs ?? CLEANUP_INTERVAL_MS)
  }

  private async q<R extends pg.QueryResultRow = pg.QueryResultRow> (name: string, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      // Named: each pooled connection parses and plans a statement once, then only binds values.
      return await this.pool.query<R>({ name, text, values })
    } catch (err) {
      if (isUnavailable(err)) throw new StoreUnavailableError(err)
      throw err
    }
  }

  private stringTable (key: string): StringTable {
    const ns = namespaceOf(key)
    return ns !== undefined && Object.hasOwn(STRING_TABLES, ns) ? STRING_TABLES[ns as keyof typeof STRING_TABLES] : GENERIC_STRING_TABLE
  }

  private setTable (key: string): SetTable {
    const ns = namespaceOf(key)
    return ns !== undefined && Object.hasOwn(SET_TABLES, ns) ? SET_TABLES[ns as keyof typeof SET_TABLES] : GENERIC_SET_TABLE
  }

  /**
   * Where a key of either kind may live (for `del` and `ttl`, which take both): its string table and its
   * set table. A key used the other way than its namespace says (a set under `sess:`) lands in the
   * generic table of its kind.
   */
  private tablesOf (key: string): { strings: StringTable, sets: SetTable } {
    return { strings: this.stringTable(key), sets: this.setTable(key) }
  }

  async get (key: string): Promise<string | null> {
    const table = this.stringTable(key)
    const { rows } = await this.q<{ value: string }>(`get:${table}`, `SELECT value FROM ${this.t(table)} WHERE key = $1 AND ${LIVE}`, [this.prefix + key])
    return rows[0]?.value ?? null
  }

  async getMany (keys: string[]): Promise<Array<string | null>> {
    if (keys.length === 0) return []
    const byTable = new Map<StringTable, string[]>()
    for (const key of keys) {
      const table = this.stringTable(key)
      let list = byTable.get(table)
      if (list === undefined) byTable.set(table, list = [])
      list.push(this.prefix + key)
    }
    const tables = [...byTable.keys()].sort()
    // One statement whatever the mix of tables: a UNION ALL of primary-key lookups.
    const text = tables.map((table, i) => `SELECT key, value FROM ${this.t(table)} WHERE key = ANY($${i + 1}::text[]) AND ${LIVE}`).join(' UNION ALL ')
    const { rows } = await this.q<{ key: string, value: string }>(`getMany:${tables.join(',')}`, text, tables.map(table => byTable.get(table)))
    const found = new Map(rows.map(r => [r.key, r.value]))
    return keys.map(key => found.get(this.prefix + key) ?? null)
  }

  async set (key: string, value: string, ttlMs?: number): Promise<void> {
    const table = this.stringTable(key)
    await this.q(`set:${table}`, `INSERT INTO ${this.t(table)} (key, value, expires_at) VALUES ($1, $2, ${expiry('$3')})
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`, [this.prefix + key, value, ttlParam(ttlMs)])
  }

  async setIfAbsent (key: string, value: string, ttlMs?: number): Promise<boolean> {
    const table = this.stringTable(key)
    // An expired row not yet cleaned up counts as absent: it is overwritten, a live one is left alone.
    const { rowCount } = await this.q(`setIfAbsent:${table}`, `INSERT INTO ${this.t(table)} AS t (key, value, expires_at) VALUES ($1, $2, ${expiry('$3')})
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
      WHERE t.expires_at IS NOT NULL AND t.expires_at <= now()`, [this.prefix + key, value, ttlParam(ttlMs)])
    return rowCount === 1
  }

  async swap (key: string, expected: string, next: string | null, ttlMs?: number): Promise<boolean> {
    const table = this.stringTable(key)
    // The row lock orders concurrent swaps; each re-checks `value = $2` on the row as the previous one
    // left it (READ COMMITTED re-evaluation), so exactly one caller that saw `expected` wins.
    const { rowCount } = next === null
      ? await this.q(`swapDelete:${table}`, `DELETE FROM ${this.t(table)} WHERE key = $1 AND value = $2 AND ${LIVE}`, [this.prefix + key, expected])
      : await this.q(`swap:${table}`, `UPDATE ${this.t(table)} SET value = $3, expires_at = ${expiry('$4')} WHERE key = $1 AND value = $2 AND ${LIVE}`,
        [this.prefix + key, expected, next, ttlParam(ttlMs)])
    return rowCount === 1
  }

  async setIfCurrent (key: string, prefix: string, value: string, ttlMs?: number, unlessKey?: string): Promise<ConditionalWrite> {
    // The same rule as on Redis (one statement here, but one slot there): a layout that mixes tags fails everywhere.
    if (unlessKey !== undefined && !sameSlot(key, unlessKey)) throw new CrossSlotKeys([key, unlessKey])
    const table = this.stringTable(key)
    const guard = unlessKey === undefined ? null : this.stringTable(unlessKey)
    // `cur` locks the row (waiting for a writer in flight, then reading what it left); the UPDATE
    // writes only that locked row, so the answer and the write agree. Never an INSERT: a missing key stays missing.
    const blocked = guard === null ? 'false' : `EXISTS (SELECT 1 FROM ${this.t(guard)} WHERE key = $5 AND ${LIVE})`
    const { rows } = await this.q<{ outcome: ConditionalWrite }>(`setIfCurrent:${table}:${guard ?? ''}`, `
      WITH cur AS (SELECT key, value FROM ${this.t(table)} WHERE key = $1 AND ${LIVE} FOR UPDATE),
      guard AS (SELECT ${blocked} AS blocked),
      upd AS (
        UPDATE ${this.t(table)} t SET value = $3, expires_at = ${expiry('$4')}
        FROM cur, guard WHERE t.key = cur.key AND NOT guard.blocked AND starts_with(cur.value, $2)
        RETURNING 1
      )
      SELECT CASE
        WHEN NOT EXISTS (SELECT 1 FROM cur) THEN 'missing'
        WHEN (SELECT blocked FROM guard) THEN 'blocked'
        WHEN EXISTS (SELECT 1 FROM upd) THEN 'written'
        ELSE 'changed' END AS outcome`,
    [this.prefix + key, prefix, value, ttlParam(ttlMs), ...(unlessKey === undefined ? [] : [this.prefix + unlessKey])])
    return rows[0]!.outcome
  }

  async del (...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0
    const byTable = new Map<string, Set<string>>()
    for (const key of keys) {
      const { strings, sets } = this.tablesOf(key)
      for (const table of [strings, sets]) {
        let list = byTable.get(table)
        if (list === undefined) byTable.set(table, list = new Set())
        list.add(this.prefix + key)
      }
    }
    const tables = [...byTable.keys()].sort()
    // One statement, so every key goes at once (atomic) in one round trip; counts the keys that were live.
    const ctes = tables.map((table, i) => `d${i} AS (DELETE FROM ${this.t(table)} WHERE key = ANY($${i + 1}::text[]) RETURNING key, ${LIVE} AS live)`)
    const text = `WITH ${ctes.join(', ')} SELECT count(DISTINCT key)::int AS n FROM (${tables.map((_, i) => `SELECT key FROM d${i} WHERE live`).join(' UNION ALL ')}) AS deleted`
    const { rows } = await this.q<{ n: number }>(`del:${tables.join(',')}`, text, tables.map(table => [...byTable.get(table)!]))
    return rows[0]!.n
  }

  async setAdd (key: string, member: string, ttlMs?: number): Promise<void> {
    const table = this.setTable(key)
    const t = this.t(table)
    // The set's expiry is that of its live members (all equal): a new one joins at the later of the set's
    // expiry and its own ttl, and the others are lengthened to it. No live member: a new set.
    await this.q(`setAdd:${table}`, `
      WITH cur AS (
        SELECT max(coalesce(expires_at, 'infinity')) AS until FROM ${t} WHERE key = $1 AND ${LIVE}
      ), target AS (
        SELECT CASE
          WHEN until IS NULL THEN ${expiry('$3')}
          WHEN until = 'infinity' THEN NULL
          WHEN $3 IS NULL THEN until
          ELSE greatest(until, ${expiry('$3')}) END AS exp
        FROM cur
      ), lengthen AS (
        UPDATE ${t} SET expires_at = target.exp FROM target
        WHERE key = $1 AND member <> $2 AND expires_at > now() AND expires_at < target.exp
      )
      INSERT INTO ${t} (key, member, expires_at) SELECT $1, $2, exp FROM target
      ON CONFLICT (key, member) DO UPDATE SET expires_at = EXCLUDED.expires_at`, [this.prefix + key, member, ttlParam(ttlMs)])
  }

  async setRemove (key: string, ...members: string[]): Promise<void> {
    if (members.length === 0) return
    const table = this.setTable(key)
    await this.q(`setRemove:${table}`, `DELETE FROM ${this.t(table)} WHERE key = $1 AND member = ANY($2::text[])`, [this.prefix + key, members])
  }

  async setMembers (key: string): Promise<string[]> {
    const table = this.setTable(key)
    const { rows } = await this.q<{ member: string }>(`setMembers:${table}`, `SELECT member FROM ${this.t(table)} WHERE key = $1 AND ${LIVE}`, [this.prefix + key])
    return rows.map(r => r.member)
  }

  async ttl (key: string): Promise<number> {
    const { strings, sets } = this.tablesOf(key)
    const parts: string[] = []
    parts.push(`SELECT ${MS_LEFT} AS ms FROM ${this.t(strings)} WHERE key = $1 AND ${LIVE}`)
    // A set lives while it has a live member; an empty set is gone (-2), as in Redis.
    parts.push(`SELECT CASE WHEN bool_or(expires_at IS NULL) THEN -1 ELSE greatest(1, ceil(extract(epoch FROM max(expires_at) - now()) * 1000))::int8 END AS ms FROM ${this.t(sets)} WHERE key = $1 AND ${LIVE} HAVING count(*) > 0`)
    const { rows } = await this.q<{ ms: string }>(`ttl:${strings}:${sets}`, parts.join(' UNION ALL ') + ' LIMIT 1', [this.prefix + key])
    return rows[0] === undefined ? -2 : Number(rows[0].ms)
  }

  /**
   * A fixed-window counter, for @fastify/rate-limit (postgres-rate-limit.ts), outside the KvStore
   * interface: adds one and answers the count and the window's milliseconds left. The first hit of a
   * window (no row, or an expired one) starts it at 1. One statement, atomic under the row lock, so
   * concurrent attempts each get a distinct count, as Redis's INCR gives them.
   */
  async increment (key: string, windowMs: number): Promise<{ current: number, ttl: number }> {
    const { rows } = await this.q<{ current: number, ttl: string }>('increment', `
      INSERT INTO ${this.t(COUNTER_TABLE)} AS c (key, count, expires_at) VALUES ($1, 1, ${expiry('$2')})
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN c.expires_at <= now() THEN 1 ELSE c.count + 1 END,
        expires_at = CASE WHEN c.expires_at <= now() THEN EXCLUDED.expires_at ELSE c.expires_at END
      RETURNING count AS current, greatest(0, ceil(extract(epoch FROM expires_at - now()) * 1000))::int8 AS ttl`,
    [this.prefix + key, Math.max(1, Math.ceil(windowMs))])
    return { current: rows[0]!.current, ttl: Number(rows[0]!.ttl) }
  }

  async ping (): Promise<void> {
    await this.q('ping', 'SELECT 1', [])
  }

  /**
   * Deletes every expired row now (reads already ignore them); returns how many. Several instances may
   * sweep at once: a row another one deleted is simply skipped. A row that a write has just renewed is
   * re-checked under its lock and kept.
   */
  async sweep (): Promise<number> {
    this.sweeping ??= (async () => {
      const tables = [...ALL_STRING_TABLES, ...ALL_SET_TABLES, COUNTER_TABLE]
      const ctes = tables.map((table, i) => `d${i} AS (DELETE FROM ${this.t(table)} WHERE expires_at <= now() RETURNING 1)`)
      const text = `WITH ${ctes.join(', ')} SELECT (${tables.map((_, i) => `(SELECT count(*) FROM d${i})`).join(' + ')})::int AS n`
      const { rows } = await this.q<{ n: number }>('sweep', text, [])
      return rows[0]!.n
    })().finally(() => { this.sweeping = null })
    return await this.sweeping
  }

  async close (): Promise<void> {
    if (this.cleaner !== null) clearInterval(this.cleaner)
    await this.sweeping?.catch(() => {})
    await this.pool.end()
  }
}

/**
 * The namespace a key belongs to (`sess:`, `rt:`, ...), after an optional `<mount>:` (a further mount's
 * view of the store, prefixed-store.ts); undefined when it names none the store knows.
 */
export function namespaceOf (key: string): string | undefined {
  const first = key.indexOf(':')
  if (first < 0) return undefined
  const head = key.slice(0, first + 1)
  if (known(head)) return head
  const second = key.indexOf(':', first + 1)
  if (second < 0 || !/^[a-z0-9-]+$/.test(key.slice(0, first))) return undefined
  const next = key.slice(first + 1, second + 1)
  return known(next) ? next : undefined
}

const known = (ns: string): boolean => Object.hasOwn(STRING_TABLES, ns) || Object.hasOwn(SET_TABLES, ns)
