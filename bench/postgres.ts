/**
 * The PostgreSQL side of the bench: the server settings of the `*-postgres` scenarios and the database's
 * CPU time per request. The database is the harness's (DATABASE_URL, else the local `test` database);
 * every bench server gets the schema BENCH_SCHEMA and its run's KEY_PREFIX, and names its connections
 * (`application_name`) after its scenario so that its backends can be told apart from the other
 * scenarios' servers, which stay connected between their turns.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { DEFAULT_TEST_DATABASE_URL, dropSchema } from '../harness/postgres.js'
import { clockTicks, processTicks } from './affinity.js'

/** The database every `*-postgres` scenario uses. */
export const benchDatabaseUrl = (): string => process.env.DATABASE_URL !== undefined && process.env.DATABASE_URL !== '' ? process.env.DATABASE_URL : DEFAULT_TEST_DATABASE_URL

/** The bench's own schema in that database (dropBenchSchema removes it). */
export const BENCH_SCHEMA = 'svjbench'

/** `application_name` of a scenario's connections. */
export const applicationName = (scenario: string): string => `svjbench-${scenario}`

/** The URL a scenario's server gets: the bench database, its connections named after the scenario. */
export function scenarioDatabaseUrl (scenario: string): string {
  const url = new URL(benchDatabaseUrl())
  // A parameter of the URL overrides the server's own application_name (node-postgres merges it last).
  url.searchParams.set('application_name', applicationName(scenario))
  return url.toString()
}

/** The store settings of a `*-postgres` scenario (on top of its strategy settings). */
export const postgresEnv = (scenario: string): Record<string, string> => ({ STORE: 'postgres', DATABASE_URL: scenarioDatabaseUrl(scenario), DATABASE_SCHEMA: BENCH_SCHEMA })

/** CPU ticks so far of each backend serving `scenario`'s server, by pid (this machine's /proc). */
export type BackendTicks = Map<number, number>

/**
 * utime + stime of every backend process serving the scenario's connections (pids from
 * pg_stat_activity, times from /proc/<pid>/stat), or null when the database is not on this machine (no
 * such /proc entries) or cannot be asked.
 */
export async function backendTicks (scenario: string): Promise<BackendTicks | null> {
  const client = new pg.Client({ connectionString: benchDatabaseUrl(), connectionTimeoutMillis: 2000 })
  client.on('error', () => {})
  try {
    await client.connect()
    const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName(scenario)])
    const ticks: BackendTicks = new Map()
    for (const { pid } of rows) {
      const t = processTicks(pid)
      if (t !== null) ticks.set(pid, t)
    }
    return rows.length > 0 && ticks.size === 0 ? null : ticks
  } catch {
    return null
  } finally {
    await client.end().catch(() => {})
  }
}

/**
 * The database's CPU seconds per request over a window (two backendTicks snapshots around it). A
 * backend that appeared in the window counts from zero; one that exited in it is lost (the pool keeps a
 * busy connection open, so under load that is rare), so the figure is a lower bound.
 */
export function cpuPerRequest (before: BackendTicks | null, after: BackendTicks | null, requests: number): number | null {
  if (before === null || after === null || requests <= 0) return null
  let ticks = 0
  for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0)
  return ticks / clockTicks() / requests
}

/** Drops the bench's schema (every scenario's rows, users included); run after a bench. */
export async function dropBenchSchema (): Promise<void> {
  await dropSchema(benchDatabaseUrl(), BENCH_SCHEMA)
}

/** A row one login wrote (key prefix included), the template of the look-alikes seedPostgresLogins writes. */
interface RowTemplate {
  table: string
  key: string
  /** The value of a string table's row, or the member of a set table's row. */
  value: string
  kind: 'string' | 'set'
  /** Expiry left when measured, ms (null: none). */
  ttlMs: number | null
  /** pg_column_size of the row: the bytes the row's data takes, before page and index overhead. */
  bytes: number
}

export interface PostgresFootprint {
  rows: RowTemplate[]
  totalBytes: number
}

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`

/** Every table of the bench schema shaped like the store's string (key, value) or set (key, member) tables. */
async function kvTables (client: pg.Client): Promise<Array<{ table: string, kind: 'string' | 'set' }>> {
  const { rows } = await client.query<{ table_name: string, cols: string[] }>(
    `SELECT table_name, array_agg(column_name::text) AS cols FROM information_schema.columns
     WHERE table_schema = $1 GROUP BY table_name`, [BENCH_SCHEMA])
  const tables: Array<{ table: string, kind: 'string' | 'set' }> = []
  for (const r of rows) {
    if (!r.cols.includes('key')) continue
    if (r.cols.includes('value')) tables.push({ table: r.table_name, kind: 'string' })
    else if (r.cols.includes('member')) tables.push({ table: r.table_name, kind: 'set' })
  }
  return tables
}

async function rowsUnder (client: pg.Client, prefix: string): Promise<RowTemplate[]> {
  const out: RowTemplate[] = []
  for (const { table, kind } of await kvTables(client)) {
    const col = kind === 'string' ? 'value' : 'member'
    const { rows } = await client.query<{ key: string, v: string, ttl: string | null, bytes: number }>(
      `SELECT key, ${col} AS v, (extract(epoch FROM expires_at - now()) * 1000)::bigint AS ttl, pg_column_size(t.*) AS bytes
       FROM ${ident(BENCH_SCHEMA)}.${ident(table)} t WHERE starts_with(key, $1)`, [prefix])
    for (const r of rows) out.push({ table, key: r.key, value: r.v, kind, ttlMs: r.ttl === null ? null : Number(r.ttl), bytes: r.bytes })
  }
  return out
}

/**
 * PostgreSQL's counterpart of measureLoginFootprint: one real login, and the rows it added under the
 * scenario's key prefix (pg_column_size per row). The rows become the template for seedPostgresLogins.
 */
export async function measurePostgresFootprint (prefix: string, login: () => Promise<void>): Promise<PostgresFootprint> {
  const client = new pg.Client({ connectionString: benchDatabaseUrl() })
  await client.connect()
  try {
    const id = (r: RowTemplate): string => `${r.table}\0${r.key}\0${r.kind === 'set' ? r.value : ''}`
    const before = new Set((await rowsUnder(client, prefix)).map(id))
    await login()
    const rows = (await rowsUnder(client, prefix)).filter(r => !before.has(id(r)))
    return { rows, totalBytes: rows.reduce((sum, r) => sum + r.bytes, 0) }
  } finally {
    await client.end().catch(() => {})
  }
}

/** The ids in a key (its last segment and a hash tag), which every look-alike replaces. */
function idsOf (keys: readonly string[]): string[] {
  const ids = new Set<string>()
  for (const key of keys) {
    const tag = /\{([^}]+)\}/.exec(key)?.[1]
    if (tag !== undefined) ids.add(tag)
    ids.add(key.slice(key.lastIndexOf(':') + 1).replace(/^\{(.*)\}$/, '$1'))
  }
  return [...ids].filter(id => id.length >= 8)
}

/**
 * Writes `count` look-alike logins straight into the bench schema: copies of the template rows with
 * every id replaced by a fresh one (in keys, values and members alike) and the same expiry, a batch per
 * INSERT ... SELECT FROM unnest(...). Like the Redis seeding, much faster than `count` scrypt logins.
 */
export async function seedPostgresLogins (footprint: PostgresFootprint, count: number): Promise<void> {
  const ids = idsOf(footprint.rows.map(r => r.key))
  const client = new pg.Client({ connectionString: benchDatabaseUrl() })
  await client.connect()
  try {
    const BATCH = 2000
    for (let start = 0; start < count; start += BATCH) {
      const byTable = new Map<string, { kind: 'string' | 'set', keys: string[], values: string[], ttls: Array<number | null> }>()
      for (let i = start; i < Math.min(count, start + BATCH); i++) {
        const map = ids.map(id => [id, randomId(id)] as const)
        const swap = (s: string): string => map.reduce((out, [from, to]) => out.split(from).join(to), s)
        for (const r of footprint.rows) {
          const batch = byTable.get(r.table) ?? { kind: r.kind, keys: [], values: [], ttls: [] }
          byTable.set(r.table, batch)
          batch.keys.push(swap(r.key))
          batch.values.push(swap(r.value))
          batch.ttls.push(r.ttlMs)
        }
      }
      for (const [table, b] of byTable) {
        const col = b.kind === 'string' ? 'value' : 'member'
        await client.query(
          `INSERT INTO ${ident(BENCH_SCHEMA)}.${ident(table)} (key, ${col}, expires_at)
           SELECT k, v, CASE WHEN t IS NULL THEN NULL ELSE now() + t * interval '1 millisecond' END
           FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u(k, v, t) ON CONFLICT DO NOTHING`, [b.keys, b.values, b.ttls])
      }
    }
  } finally {
    await client.end().catch(() => {})
  }
}

function randomId (id: string): string {
  // Same length and alphabet family, so seeded rows are the size of real ones.
  const head = /^[a-z]_/.test(id) ? id.slice(0, 2) : ''
  return head + randomBytes(Math.ceil(id.length * 0.75) + 2).toString('base64url').slice(0, id.length - head.length)
}

/** The bench schema's size on disk (tables, indexes and TOAST), MB. */
export async function benchSchemaMB (): Promise<number> {
  const client = new pg.Client({ connectionString: benchDatabaseUrl() })
  await client.connect()
  try {
    const { rows } = await client.query<{ bytes: string | null }>(
      `SELECT sum(pg_total_relation_size(c.oid)) AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind = 'r'`, [BENCH_SCHEMA])
    return Number(rows[0]?.bytes ?? 0) / 1024 / 1024
  } finally {
    await client.end().catch(() => {})
  }
}
