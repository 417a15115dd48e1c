import { canStartCluster, missingPostgres, postgresUrl, startPostgresCluster, type PostgresCluster } from '../../harness/postgres.js'

export { dropSchema, ownSchema } from '../../harness/postgres.js'

/** A PostgreSQL cluster of the test's own (safe to stop and start again); see harness/postgres.ts. */
export type OwnPostgres = PostgresCluster
export const startOwnPostgres = startPostgresCluster

const decided: { shared?: string | false, own?: string | false } = {}

/**
 * Why a PostgreSQL test cannot run here, or false when it can: the harness's one policy
 * (harness/postgres.ts missingPostgres), decided once per test process before any subtest starts.
 * `own`: the test starts and stops a cluster of its own (initdb, pg_ctl), whatever DATABASE_URL says.
 * Throws under CI=true instead of skipping.
 */
export function postgresSkip (options: { own?: boolean } = {}): string | false {
  if (options.own === true) {
    decided.own ??= canStartCluster() ? false : ownMissing()
    return decided.own
  }
  decided.shared ??= missingPostgres('every PostgreSQL test') ?? false
  return decided.shared
}

function ownMissing (): string {
  if (process.env.CI === 'true') throw new Error('CI=true but no initdb/pg_ctl on PATH (or, as root, no postgres user) for the tests that stop their own PostgreSQL')
  console.error('\n*** initdb/pg_ctl not found: SKIPPING the tests that stop their own PostgreSQL ***\n')
  return 'no initdb/pg_ctl on PATH (the test stops a PostgreSQL of its own)'
}

/**
 * The database the tests use, by the harness's one policy: DATABASE_URL, else the local `test`
 * database. Only tests declared through forEachStore or postgresTest (test/helpers/app.ts) get here,
 * so a missing PostgreSQL is an error, never a silent pass. Each test gets a schema of its own in it.
 */
export function testPostgresUrl (): string {
  const url = postgresUrl('every PostgreSQL test')
  if (url === null) throw new Error('no PostgreSQL for this test: declare it with forEachStore or postgresTest (test/helpers/app.ts), which skip it when there is none')
  return url
}
