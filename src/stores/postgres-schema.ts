import type { PoolClient } from 'pg'
import { ConfigError } from '../config/config-error.js'

/**
 * The tables of the PostgreSQL store, one per kind of record (the namespace a key starts with), so each
 * concept can be inspected, sized and cleaned on its own. Every table keeps the full store key (with
 * KEY_PREFIX and a further mount's `<name>:`) as its primary key: every hot-path lookup is a
 * primary-key probe, and several apps or test runs can share one schema.
 */
export const STRING_TABLES = {
  'user:': 'users',
  'username:': 'usernames',
  'sess:': 'sessions',
  'sess-end:': 'session_ends',
  'rt:': 'refresh_tokens',
  'fam:': 'refresh_families',
  'deny:': 'denylist',
  'deny-sid:': 'denylist',
  'revoked-before:': 'denylist',
  'login-limit-round:': 'login_limit_rounds'
} as const satisfies Record<string, string>

/** Sets (the per-user indexes): one row per member. */
export const SET_TABLES = {
  'user-sessions:': 'user_sessions',
  'user-families:': 'user_families'
} as const satisfies Record<string, string>

/** Whatever namespace the strategies do not declare (a future key, a test's key). */
export const GENERIC_STRING_TABLE = 'kv'
export const GENERIC_SET_TABLE = 'kv_sets'

/** @fastify/rate-limit's login counters (`login-limit:`), through PostgresKvStore.increment. */
export const COUNTER_TABLE = 'login_limits'

export type StringTable = typeof STRING_TABLES[keyof typeof STRING_TABLES] | typeof GENERIC_STRING_TABLE
export type SetTable = typeof SET_TABLES[keyof typeof SET_TABLES] | typeof GENERIC_SET_TABLE

export const ALL_STRING_TABLES: readonly StringTable[] = [...new Set<StringTable>([...Object.values(STRING_TABLES), GENERIC_STRING_TABLE])]
export const ALL_SET_TABLES: readonly SetTable[] = [...Object.values(SET_TABLES), GENERIC_SET_TABLE]

const stringTable = (name: string): string => `
CREATE TABLE ${name} (
  key text PRIMARY KEY,
  value text NOT NULL,
  -- NULL: no expiry. Rows past it are invisible to every read and removed by the periodic cleanup.
  expires_at timestamptz
);
CREATE INDEX ${name}_expires_at ON ${name} (expires_at) WHERE expires_at IS NOT NULL;`

const setTable = (name: string): string => `
CREATE TABLE ${name} (
  key text NOT NULL,
  member text NOT NULL,
  -- Every live member of a set carries the set's expiry (setAdd lengthens them all together).
  expires_at timestamptz,
  PRIMARY KEY (key, member)
);
CREATE INDEX ${name}_expires_at ON ${name} (expires_at) WHERE expires_at IS NOT NULL;`

/**
 * Versioned migrations, applied in order at startup, each once (recorded in `schema_migrations`). Never
 * edit one that has shipped: add the next version. They run with the store's schema as search_path.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number, name: string, sql: string }> = [
  {
    version: 1,
    name: 'typed tables per key namespace',
    sql: [...ALL_STRING_TABLES.map(stringTable), ...ALL_SET_TABLES.map(setTable)].join('\n')
  },
  {
    version: 2,
    name: 'login rate-limit counters',
    sql: `
CREATE TABLE ${COUNTER_TABLE} (
  key text PRIMARY KEY,
  count integer NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX ${COUNTER_TABLE}_expires_at ON ${COUNTER_TABLE} (expires_at);`
  }
]

/** Two-key advisory lock id: a constant for "svj migrations", the schema's hash as the second key. */
const MIGRATION_LOCK = 0x5f766a

/** Double-quoted SQL identifier (the schema name is validated by the config, quoted anyway). */
export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`

/**
 * Brings `schema` up to the newest migration, in one transaction under an advisory lock: instances
 * starting together run it one after the other (the second finds nothing left to do), and a failed
 * migration leaves nothing half-applied (PostgreSQL's DDL is transactional). A database migrated by a
 * newer server (a version this one does not know) is refused rather than used with the wrong layout.
 * Returns the versions applied now.
 */
export async function migrate (client: PoolClient, schema: string): Promise<number[]> {
  const applied: number[] = []
  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK, schema])
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`)
    await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`)
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())')
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations')
    const done = new Set(rows.map(r => r.version))
    const newest = Math.max(...MIGRATIONS.map(m => m.version))
    const unknown = [...done].filter(v => v > newest)
    if (unknown.length > 0) throw new ConfigError(`DATABASE_SCHEMA: schema ${schema} has migration ${Math.max(...unknown)}, newer than this server knows (${newest}): run the newer server`)
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue
      await client.query(migration.sql)
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name])
      applied.push(migration.version)
    }
    await client.query('COMMIT')
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    throw err
  }
  return applied
}
