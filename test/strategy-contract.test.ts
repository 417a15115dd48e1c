/**
 * One contract, run against every registered strategy (and a second mount of one, under its own name and
 * settings), on both stores, shaped like test/store.test.ts: whatever the credential, a login, /api/me,
 * logout, an admin revoke-all, a role change, the device list and bad credentials behave the same from
 * the client's side. What differs between strategies (how a login is presented and renewed) is stated
 * here, per kind, independently of src: the adapters below are the test's own account of each strategy.
 */
import t, { type Test } from 'tap'
import { startInProcess } from '../harness/in-process.js'
import { STRATEGY_KINDS, type Mount, type StrategyKind } from '../src/strategies/registry.js'
import { forEachStore, testEnv, withTestStore } from './helpers/app.js'
import { Client, type Reply } from './helpers/http.js'
import { admin, alice, bob } from './helpers/jwt.js'

interface Who { username: string, password: string }

/** A client's view of one login: how it is presented, renewed and ended. */
interface Credential {
  /** Calls a route of the mount with the credential. */
  call: (method: 'GET' | 'POST' | 'DELETE', path: string, json?: unknown) => Promise<Reply>
  /** Gets a fresh credential for the same login where the strategy has one (refresh); the reply says whether it could. */
  renew: () => Promise<Reply | null>
  logout: () => Promise<Reply>
}

interface Adapter {
  login: (url: string, mount: string, who: Who) => Promise<{ reply: Reply, credential: Credential | null }>
}

const ADAPTERS: Record<StrategyKind, Adapter> = {
  session: {
    async login (url, mount, who) {
      const client = new Client(url)
      const reply = await client.post(`/${mount}/login`, who)
      if (reply.status !== 200) return { reply, credential: null }
      return {
        reply,
        credential: {
          call: async (method, path, json) => await client.request(method, `/${mount}${path}`, json === undefined ? {} : { json }),
          // A session is renewed by using it; there is nothing else to present.
          renew: async () => null,
          logout: async () => await client.post(`/${mount}/logout`)
        }
      }
    }
  },
  jwt: {
    async login (url, mount, who) {
      const client = new Client(url)
      const reply = await client.post(`/${mount}/login`, { ...who, transport: 'body' })
      if (reply.status !== 200) return { reply, credential: null }
      let access: string = reply.body.access_token
      let refresh: string = reply.body.refresh_token
      return {
        reply,
        credential: {
          call: async (method, path, json) => await client.request(method, `/${mount}${path}`, { bearer: access, ...(json === undefined ? {} : { json }) }),
          async renew () {
            const r = await client.post(`/${mount}/refresh`, { refresh_token: refresh })
            if (r.status === 200) {
              access = r.body.access_token
              refresh = r.body.refresh_token
            }
            return r
          },
          logout: async () => await client.post(`/${mount}/logout`, { refresh_token: refresh }, { bearer: access })
        }
      }
    }
  }
}

/** Every registered kind under its own name, plus a second JWT mount with another revocation mode. */
const MOUNTS: Mount[] = [
  ...STRATEGY_KINDS.map(kind => ({ kind })),
  { kind: 'jwt', name: 'jwt-denylist', settings: { jwt: { revocation: 'denylist' } } }
]

/** Whether the credential still authenticates on /api/me, after a renewal where the strategy has one. */
async function stillWorks (c: Credential): Promise<boolean> {
  const renewed = await c.renew()
  if (renewed !== null && renewed.status !== 200) return false
  return (await c.call('GET', '/api/me')).status === 200
}

async function contract (t: Test, url: string, mount: Mount): Promise<void> {
  const name = mount.name ?? mount.kind
  const adapter = ADAPTERS[mount.kind]
  const adminLogin = (await ADAPTERS.session.login(url, 'session', admin)).credential!
  const adminCall = async (path: string, json?: unknown): Promise<Reply> => await adminLogin.call('POST', `/../admin${path}`, json)

  t.test('bad credentials: 401 invalid_credentials, the same for an unknown user', async t => {
    for (const who of [{ ...alice, password: 'wrong-password' }, { username: 'nobody', password: 'whatever-password' }]) {
      const { reply, credential } = await adapter.login(url, name, who)
      t.equal(reply.status, 401, `${who.username}: 401`)
      t.equal(reply.body.error, 'invalid_credentials')
      t.equal(credential, null)
    }
    const anonymous = await new Client(url).get(`/${name}/api/me`)
    t.equal(anonymous.status, 401, 'no credential: 401')
    t.equal(anonymous.body.error, 'missing_credentials')
  })

  t.test('login → me → logout: the login ends', async t => {
    const { reply, credential } = await adapter.login(url, name, alice)
    t.equal(reply.status, 200)
    const me = await credential!.call('GET', '/api/me')
    t.equal(me.status, 200)
    t.same(me.body, { id: me.body.id, username: 'alice', role: 'user', strategy: name }, 'the principal names the mount')
    t.equal((await credential!.logout()).status, 204)
    t.notOk(await stillWorks(credential!), 'after logout the login can no longer be used or renewed')
  })

  t.test('devices: each login once, only on its own mount', async t => {
    const { credential } = await adapter.login(url, name, bob)
    const devices = await credential!.call('GET', '/devices')
    t.equal(devices.status, 200)
    t.equal(devices.body.length, 1, 'one login of bob on this mount')
    t.equal(devices.body.filter((d: { current: boolean }) => d.current).length, 1, 'marked current')
    const other = MOUNTS.find(m => (m.name ?? m.kind) !== name)!
    const elsewhere = (await ADAPTERS[other.kind].login(url, other.name ?? other.kind, bob)).credential!
    t.equal((await elsewhere.call('GET', '/devices')).body.length, 1, `a login on ${other.name ?? other.kind} is not listed here`)
    t.equal((await credential!.call('GET', '/devices')).body.length, 1, 'and this list is unchanged')
    const id = devices.body[0].id
    t.equal((await credential!.call('DELETE', `/devices/${encodeURIComponent(id)}`)).status, 204, 'removing it')
    t.notOk(await stillWorks(credential!), 'ends it')
    t.ok(await stillWorks(elsewhere), 'and not the login on the other mount')
  })

  t.test('admin revoke-all ends every login of the user', async t => {
    const { credential } = await adapter.login(url, name, bob)
    t.ok(await stillWorks(credential!), 'works before')
    const r = await adminCall('/users/bob/revoke')
    t.equal(r.status, 200)
    t.ok(r.body.loginsAffected[name] >= 1, `the mount reports the logins it ended (${JSON.stringify(r.body.loginsAffected)})`)
    t.notOk(await stillWorks(credential!), 'cannot be used or renewed after')
  })

  t.test('a role change reaches the login without a new login', async t => {
    const { credential } = await adapter.login(url, name, alice)
    t.equal((await credential!.call('GET', '/api/admin')).status, 403, 'a user is refused the admin route')
    t.equal((await adminCall('/users/alice/role', { role: 'admin' })).status, 200)
    try {
      const renewed = await credential!.renew()
      if (renewed !== null) t.equal(renewed.status, 200, 'renewal carries the new role')
      t.equal((await credential!.call('GET', '/api/admin')).status, 200, 'the new role is in effect')
    } finally {
      t.equal((await adminCall('/users/alice/role', { role: 'user' })).status, 200, 'alice is a user again')
    }
  })
}

forEachStore(t, async (t, store) => {
  const env = testEnv({ STORE: store, AUTH_STRATEGIES: STRATEGY_KINDS.join(','), JWT_REVOCATION: 'none' })
  const cleanup = await withTestStore(env)
  const server = await startInProcess(env, { mounts: MOUNTS })
  t.teardown(async () => {
    await server.close()
    await cleanup()
  })
  for (const mount of MOUNTS) {
    await t.test(`${mount.name ?? mount.kind} (${mount.kind})`, async t => { await contract(t, server.url, mount) })
  }
})
