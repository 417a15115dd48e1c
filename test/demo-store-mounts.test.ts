/**
 * The demo's columns on other stores, beside the usual four on one server:
 * - DEMO_CACHED_MOUNTS (STORE=redis): `session-cached` and `jwt-denylist-cached` read through an auth cache
 *   of their own. A repeated request on them costs no store read, the uncached mounts still read the
 *   store, and one admin action ends the logins on both kinds of mount.
 * - DEMO_POSTGRES_MOUNTS (STORE=memory or redis): `session-postgres` and `jwt-denylist-postgres` keep their
 *   records in PostgreSQL, their users in the app's store, so the same admin action reaches them too.
 */
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config/config.js'
import { demoMounts } from '../src/strategies/registry.js'
import { send, type Reply } from '../harness/http.js'
import { alice, demoAdmin } from '../harness/fixtures.js'
import { postgresTest, redisTest, startApp, waitFor, type TestApp } from './helpers/app.js'
import { dropSchema, ownSchema, testPostgresUrl } from './helpers/postgres.js'
import pg from 'pg'

type Credential = { cookie: string } | { bearer: string }

async function login (app: TestApp, mount: string): Promise<Credential> {
  const reply = await send(`${app.url}/${mount}/login`, 'POST', { json: alice })
  if (reply.status !== 200) throw new Error(`login on /${mount}: ${reply.status} ${reply.text}`)
  if (typeof reply.body?.access_token === 'string') return { bearer: reply.body.access_token }
  const cookie = reply.setCookies.find(c => c.name.startsWith('sid') && c.value !== '')
  if (cookie === undefined) throw new Error(`login on /${mount}: no session cookie`)
  return { cookie: `${cookie.name}=${cookie.value}` }
}

const me = async (app: TestApp, mount: string, credential: Credential): Promise<Reply> => await send(`${app.url}/${mount}/api/me`, 'GET', credential)

t.test('config: cached demo mounts need demo mode and a single Redis without AUTH_CACHE', async t => {
  const on = { DEMO_MODE: 'true', DEMO_CACHED_MOUNTS: 'true' }
  t.throws(() => loadConfig({ ...on }), new ConfigError('DEMO_CACHED_MOUNTS: the cache is kept exact by invalidations from one Redis, so it needs STORE=redis without REDIS_CLUSTER_NODES; got STORE=memory'))
  t.throws(() => loadConfig({ ...on, DEMO_MODE: 'false', STORE: 'redis' }), new ConfigError('DEMO_CACHED_MOUNTS: it adds demo mounts, and DEMO_MODE is off'))
  t.throws(() => loadConfig({ ...on, STORE: 'redis', AUTH_CACHE: 'on' }), /DEMO_CACHED_MOUNTS: AUTH_CACHE=on already serves every column/)
  t.throws(() => loadConfig({ ...on, STORE: 'redis', SESSION_REDIS_STORE: 'connect-redis' }), /DEMO_CACHED_MOUNTS: connect-redis reads sessions from Redis itself/)
  const config = loadConfig({ ...on, STORE: 'redis' })
  t.same(demoMounts(config).filter(m => m.via === 'cache').map(m => m.name), ['session-cached', 'jwt-denylist-cached'])
  t.same(demoMounts(loadConfig({ DEMO_MODE: 'true' })).filter(m => m.via !== undefined), [], 'off by default')
  t.same(demoMounts(loadConfig({ ...on, STORE: 'redis', AUTH_STRATEGIES: 'jwt' })).filter(m => m.via === 'cache').map(m => m.name), ['jwt-denylist-cached'], 'only the mounted kinds get a cached column')
})

t.test('config: PostgreSQL demo mounts need demo mode and another main store', async t => {
  t.throws(() => loadConfig({ DEMO_POSTGRES_MOUNTS: 'true', DEMO_MODE: 'false' }), new ConfigError('DEMO_POSTGRES_MOUNTS: it adds demo mounts, and DEMO_MODE is off'))
  t.throws(() => loadConfig({ DEMO_POSTGRES_MOUNTS: 'true', DEMO_MODE: 'true', STORE: 'postgres' }), /DEMO_POSTGRES_MOUNTS: STORE=postgres already keeps every column in PostgreSQL/)
  t.same(demoMounts(loadConfig({ DEMO_POSTGRES_MOUNTS: 'true', DEMO_MODE: 'true' })).filter(m => m.via === 'postgres').map(m => m.name), ['session-postgres', 'jwt-denylist-postgres'])
})

redisTest(t, 'cached and uncached columns side by side: no store read on a hit, one admin action ends both', async t => {
  const app = await startApp(t, { STORE: 'redis', DEMO_MODE: 'true', DEMO_CACHED_MOUNTS: 'true', KEY_PREFIX: `test:${randomBytes(6).toString('hex')}:` })
  const info = await send(`${app.url}/demo/info`, 'GET')
  const mounts = info.body.mounts as Array<{ name: string, cached: boolean, revocation?: string }>
  t.same(mounts.map(m => [m.name, m.cached]), [['session', false], ['jwt', false], ['jwt-denylist', false], ['jwt-version', false], ['session-cached', true], ['jwt-denylist-cached', true]], '/demo/info says which columns read through the cache')
  t.equal(mounts.find(m => m.name === 'jwt-denylist-cached')?.revocation, 'denylist')

  const names = ['session', 'jwt-denylist', 'session-cached', 'jwt-denylist-cached']
  const creds = new Map<string, Credential>()
  for (const name of names) creds.set(name, await login(app, name))
  for (const name of names) {
    const credential = creds.get(name) as Credential
    t.equal((await me(app, name, credential)).status, 200, `${name}: accepted`)
    if (name.endsWith('-cached')) {
      // The heartbeat must have come back before the cache serves; polled, not slept.
      const hit: { reply?: Reply } = {}
      t.ok(await waitFor(async () => (hit.reply = await me(app, name, credential)).storeOps === '0', 5000), `${name}: a repeated request costs no store read`)
      t.equal(hit.reply?.status, 200)
    } else {
      t.not((await me(app, name, credential)).storeOps, '0', `${name}: reads the store on every request`)
    }
  }

  const admin = await send(`${app.url}/jwt/login`, 'POST', { json: demoAdmin })
  const revoke = await send(`${app.url}/admin/users/alice/revoke`, 'POST', { bearer: admin.body.access_token })
  t.equal(revoke.status, 200, 'revoke-all')
  t.equal(revoke.body.loginsAffected?.['session-cached'], 1, 'the answer counts the cached session mount\'s login')
  t.equal(revoke.body.loginsAffected?.['jwt-denylist-cached'], 1, 'and the cached JWT mount\'s')
  for (const name of names) {
    const last: { reply?: Reply } = {}
    t.ok(await waitFor(async () => (last.reply = await me(app, name, creds.get(name) as Credential)).status === 401, 2000, 5), `${name}: refused after revoke-all`)
    t.match(last.reply?.body?.error, /session_revoked|token_revoked/, `${name}: refused as revoked`)
  }
})

postgresTest(t, 'PostgreSQL columns beside the memory ones: records in the database, one admin action ends them all', async t => {
  const url = testPostgresUrl()
  const schema = ownSchema()
  t.teardown(async () => { await dropSchema(url, schema) })
  const app = await startApp(t, { DEMO_MODE: 'true', DEMO_POSTGRES_MOUNTS: 'true', DATABASE_URL: url, DATABASE_SCHEMA: schema })
  const info = await send(`${app.url}/demo/info`, 'GET')
  t.equal(info.body.store, 'memory')
  const mounts = info.body.mounts as Array<{ name: string, store: string, cached: boolean }>
  t.same(mounts.map(m => [m.name, m.store]), [['session', 'memory'], ['jwt', 'memory'], ['jwt-denylist', 'memory'], ['jwt-version', 'memory'], ['session-postgres', 'postgres'], ['jwt-denylist-postgres', 'postgres']], '/demo/info says where each column keeps its records')

  const names = ['session', 'session-postgres', 'jwt-denylist-postgres']
  const creds = new Map<string, Credential>()
  for (const name of names) {
    creds.set(name, await login(app, name))
    const reply = await me(app, name, creds.get(name) as Credential)
    t.equal(reply.status, 200, `${name}: accepted`)
    t.equal(reply.storeOps, '1', `${name}: one store read per request`)
  }
  // The rows are really in the database: the session mount's record and the JWT mount's refresh family.
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const sessions = await client.query(`SELECT count(*)::int AS n FROM "${schema}".sessions`)
    t.equal(sessions.rows[0].n, 1, 'the PostgreSQL session mount wrote one session row (the memory mount none)')
    const families = await client.query(`SELECT count(*)::int AS n FROM "${schema}".refresh_families`)
    t.equal(families.rows[0].n, 1, 'and the JWT mount one refresh family')
  } finally {
    await client.end()
  }

  const admin = await send(`${app.url}/jwt/login`, 'POST', { json: demoAdmin })
  const revoke = await send(`${app.url}/admin/users/alice/revoke`, 'POST', { bearer: admin.body.access_token })
  t.equal(revoke.status, 200, 'revoke-all')
  t.equal(revoke.body.loginsAffected?.['session-postgres'], 1, 'the answer counts the PostgreSQL session mount\'s login')
  for (const name of names) {
    const reply = await me(app, name, creds.get(name) as Credential)
    t.equal(reply.status, 401, `${name}: refused at once after revoke-all`)
    t.match(reply.body?.error, /session_revoked|token_revoked/, `${name}: refused as revoked`)
  }
})
