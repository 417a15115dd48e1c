/**
 * The PostgreSQL side of the bench: the server settings of the `*-postgres` scenarios and the database's
 * CPU time per request. The database is the harness's (DATABASE_URL, else the local `test` database);
 * every bench server gets the schema BENCH_SCHEMA and its run's KEY_PREFIX, and names its connections
 * (`application_name`) after its scenario so that its backends can be told apart from the other
 * scenarios' servers, which stay connected between their turns.
 */
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
