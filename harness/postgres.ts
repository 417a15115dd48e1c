/**
 * The harness's PostgreSQL: one policy for the tests and the benchmarks (`openPostgres`), a schema of the
 * caller's own in a shared database, and throwaway clusters (initdb + pg_ctl) for the tests that stop
 * the database. Dev tooling only (not part of the server). Never touches a schema or a cluster it did not
 * create: `dropSchema` drops only the caller's schema.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { freePort } from './redis.js'

const execFileAsync = promisify(execFile)

/** The database the tests and the bench use when DATABASE_URL is unset (the local server's `test` database). */
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'

/** One connection and a `SELECT 1`; false when nothing answers within `timeoutMs`. */
export async function postgresAnswers (url: string, timeoutMs = 1000): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/** Polls until the database answers; throws after `timeoutMs`. */
export async function waitForPostgres (url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await postgresAnswers(url)) {
    if (Date.now() > deadline) throw new Error(`postgres at ${url} does not answer`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/**
 * Whether `url` answers, decided synchronously (a short child process), so a test file can decide to
 * skip before any subtest starts.
 */
function answersNow (url: string): boolean {
  const probe = "import pg from 'pg'; const c = new pg.Client({ connectionString: process.argv[1], connectionTimeoutMillis: 2000 }); c.on('error', () => {}); try { await c.connect(); await c.query('SELECT 1'); process.exit(0) } catch { process.exit(1) }"
  return spawnSync(process.execPath, ['--input-type=module', '-e', probe, url], { cwd: join(import.meta.dirname, '..'), stdio: 'ignore', timeout: 10_000 }).status === 0
}

let decided: { url: string | null, reason: string | null } | undefined

/**
 * The one PostgreSQL policy, decided once per process: DATABASE_URL when set (it must answer, else an
 * error), else the local `test` database (DEFAULT_TEST_DATABASE_URL) when it answers, else null after a
 * loud warning: the caller skips what needs PostgreSQL. With CI=true a missing PostgreSQL is an error,
 * never a skip. Returns the reason to skip, or null when there is a database (postgresUrl()).
 */
export function missingPostgres (who: string): string | null {
  decided ??= decide()
  if (decided.reason === null) return null
  if (process.env.CI === 'true') throw new Error(`CI=true but no PostgreSQL for ${who}: set DATABASE_URL or run one on 127.0.0.1:5432 with a \`test\` database`)
  console.error(`\n*** no PostgreSQL (DATABASE_URL unset, nothing at ${DEFAULT_TEST_DATABASE_URL}): SKIPPING ${who} ***\n`)
  return decided.reason
}

function decide (): { url: string | null, reason: string | null } {
  const fromEnv = process.env.DATABASE_URL
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!answersNow(fromEnv)) throw new Error(`DATABASE_URL is set but does not answer: ${fromEnv}`)
    return { url: fromEnv, reason: null }
  }
  if (answersNow(DEFAULT_TEST_DATABASE_URL)) return { url: DEFAULT_TEST_DATABASE_URL, reason: null }
  return { url: null, reason: `no PostgreSQL: DATABASE_URL unset and nothing answers at ${DEFAULT_TEST_DATABASE_URL}` }
}

/** The database the policy gives (DATABASE_URL or the local `test` database), or null: see missingPostgres. */
export function postgresUrl (who: string): string | null {
  return missingPostgres(who) === null ? decided!.url : null
}

/** A fresh schema name for one test or bench run (the store creates it; dropSchema removes it). */
export const ownSchema = (label = 'test'): string => `${label}_${randomBytes(6).toString('hex')}`

/** Drops the caller's own schema and everything in it; a database that is gone is fine. */
export async function dropSchema (url: string, schema: string): Promise<void> {
  if (schema === 'public') throw new Error('refusing to drop the public schema')
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '""')}" CASCADE`)
  } catch {
    // A cluster a fault test already removed keeps nothing to drop.
  } finally {
    await client.end().catch(() => {})
  }
}

export interface PostgresCluster {
  url: string
  port: number
  /** Immediate shutdown (like a crash: no checkpoint), or a fast one with `graceful`. */
  stop: (graceful?: boolean) => Promise<void>
  /** Starts it again on the same port and data directory (after stop). */
  start: () => Promise<void>
  /** Stops it and removes its data directory. */
  dispose: () => Promise<void>
}

const asRoot = (): boolean => userInfo().uid === 0
/** PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user. */
const runAs = (command: string, args: string[]): [string, string[]] => asRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]

/** Whether this machine can make a throwaway cluster (initdb and pg_ctl on PATH; as root, a `postgres` user). */
export function canStartCluster (): boolean {
  const ok = (command: string, args: string[]): boolean => spawnSync(command, args, { stdio: 'ignore' }).status === 0
  if (!ok('initdb', ['--version']) || !ok('pg_ctl', ['--version'])) return false
  return !asRoot() || ok('id', ['-u', 'postgres'])
}

/**
 * A PostgreSQL cluster of our own in a temp dir, on a free loopback port, trust auth, no fsync (safe to
 * stop: nothing else uses it). Its `postgres` database is the caller's.
 */
export async function startPostgresCluster (): Promise<PostgresCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'svj-pg-'))
  const data = join(dir, 'data')
  mkdirSync(data, { mode: 0o700 })
  if (asRoot()) {
    const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres']).toString().trim())
    for (const path of [dir, data]) chownSync(path, id('-u'), id('-g'))
  }
  // Asynchronous: a test's load keeps running while the cluster starts or stops.
  const run = async (command: string, args: string[]): Promise<void> => {
    const [cmd, full] = runAs(command, args)
    try {
      await execFileAsync(cmd, full)
    } catch (err) {
      const { stderr, stdout } = err as { stderr?: string, stdout?: string }
      throw new Error(`${command} ${args.join(' ')} failed: ${stderr ?? ''}${stdout ?? ''}`)
    }
  }
  await run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '--no-instructions'])
  const port = await freePort()
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  let running = false
  const cluster: PostgresCluster = {
    url,
    port,
    async start () {
      await run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start'])
      running = true
      await waitForPostgres(url)
    },
    async stop (graceful = false) {
      if (!running) return
      running = false
      await run('pg_ctl', ['-D', data, '-w', '-m', graceful ? 'fast' : 'immediate', 'stop'])
    },
    async dispose () {
      await cluster.stop().catch(() => {})
      rmSync(dir, { recursive: true, force: true })
    }
  }
  process.once('exit', () => {
    if (!running) return
    const [cmd, full] = runAs('pg_ctl', ['-D', data, '-m', 'immediate', 'stop'])
    spawnSync(cmd, full, { stdio: 'ignore' })
    rmSync(dir, { recursive: true, force: true })
  })
  await cluster.start()
  return cluster
}
