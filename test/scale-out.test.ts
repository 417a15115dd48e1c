/**
 * Scale-out over real HTTP: two instances of `node dist/server.js` behind HAProxy (scale/cluster.ts),
 * for each strategy. What holds with one memory store per instance (round robin, sticky), and with one
 * shared Redis. HAProxy names the instance that answered in x-served-by, so every assertion says which
 * instance answered what. Skipped loudly where haproxy is missing; an error under CI=true.
 */
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import t, { type Test } from 'tap'
import { send, type Reply } from '../harness/http.js'
import { COOKIES } from '../harness/fixtures.js'
import { parseArgs, startCluster, type Balance, type Cluster, type ClusterStore } from '../scale/cluster.js'
import { missingHaproxy, SERVED_BY, STICKY_COOKIE } from '../scale/haproxy.js'
import { waitFor } from './helpers/app.js'
import { Client } from './helpers/http.js'
import { alice, bob } from './helpers/jwt.js'
import { redisSkip, testRedisUrl } from './helpers/redis.js'

const haproxySkip = missingHaproxy('the scale-out tests (test/scale-out.test.ts)') ?? false

// Five clusters of two server processes and HAProxy, one after the other: about 50 s on an idle 2-core
// machine, and well over the suite's 120 s per file while the rest of the suite shares those cores.
t.setTimeout(360_000)

/** Every instance of every case runs with these (extra env on top of the cluster's own). */
const BASE_ENV: Record<string, string> = { LOGIN_RATE_LIMIT: 'off', LOG_LEVEL: 'warn' }

async function cluster (t: Test, balance: Balance, store: ClusterStore, env: Record<string, string> = {}): Promise<Cluster> {
  const full = { ...BASE_ENV, ...env }
  if (store === 'redis') full.REDIS_URL = await testRedisUrl()
  const c = await startCluster({ instances: 2, balance, store, env: full })
  t.teardown(c.stop)
  return c
}

const servedBy = (reply: Reply): string => reply.headers.get(SERVED_BY) ?? '(none)'
const other = (c: Cluster, name: string): string => c.instances.find(i => i.name !== name)!.name

/** `n` sequential requests; each answer as [instance, status]. */
async function rounds (n: number, request: () => Promise<Reply>): Promise<Array<[string, number]>> {
  const seen: Array<[string, number]> = []
  for (let i = 0; i < n; i++) {
    const reply = await request()
    seen.push([servedBy(reply), reply.status])
  }
  return seen
}

const byInstance = (seen: Array<[string, number]>): Record<string, number[]> => {
  const out: Record<string, number[]> = {}
  for (const [name, status] of seen) (out[name] ??= []).push(status)
  return out
}

t.test('npm run cluster: arguments', async t => {
  t.match(parseArgs(['--instances', '3', '--balance', 'sticky', '--store', 'redis', '--port', '0', 'JWT_REVOCATION=denylist', 'AUTH_CACHE=on']),
    { instances: 3, balance: 'sticky', store: 'redis', port: undefined, env: { JWT_REVOCATION: 'denylist', AUTH_CACHE: 'on' } }, 'KEY=VALUE pairs become every instance\'s extra env')
  t.match(parseArgs([]), { instances: 2, balance: 'round-robin', store: 'memory', port: 8080, env: {} }, 'defaults')
  t.throws(() => parseArgs(['--instances', '0']), /--instances/)
  t.throws(() => parseArgs(['--balance', 'random']), /--balance: expected one of round-robin, sticky/)
  t.throws(() => parseArgs(['--store', 'mongo']), /--store/)
  t.throws(() => parseArgs(['--port']), /--port needs a value/)
  t.throws(() => parseArgs(['lowercase=1']), /unknown argument lowercase=1/)
})

t.test('scale-out behind HAProxy', { skip: haproxySkip }, async t => {
  t.test('npm run cluster: prints the balancer and each instance, serves through the balancer, stops everything on SIGINT', async t => {
    const tsx = createRequire(import.meta.url).resolve('tsx/cli')
    const child = spawn(process.execPath, [tsx, 'scale/cluster.ts', '--instances', '2', '--port', '0', 'LOG_LEVEL=warn'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString('utf8') })
    child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString('utf8') })
    const exited = new Promise<number | null>(resolve => child.once('exit', code => { resolve(code) }))
    t.teardown(() => { child.kill('SIGKILL') })
    t.ok(await waitFor(() => out.includes('Ctrl-C stops everything.\n') || child.exitCode !== null, 60_000), 'it printed its addresses')
    const lb = /load balancer +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1]
    const instances = [...out.matchAll(/instance i\d +(http:\/\/127\.0\.0\.1:\d+)/g)].map(m => m[1]!)
    t.ok(lb !== undefined && instances.length === 2, out)
    const served = new Set<string>()
    for (let i = 0; i < 4; i++) served.add(servedBy(await send(`${lb!}/ready`, 'GET')))
    t.same([...served].sort(), ['i1', 'i2'], 'round robin over both')
    for (const url of instances) t.equal((await send(`${url}/ready`, 'GET')).status, 200, `${url} answers directly`)
    child.kill('SIGINT')
    t.equal(await exited, 0, 'exit code 0')
    for (const url of [lb!, ...instances]) await t.rejects(send(`${url}/health`, 'GET'), `${url} is gone`)
  })

  t.test('memory stores, round robin: a login lives on the instance that made it', async t => {
    const c = await cluster(t, 'round-robin', 'memory')

    t.test('session: a fixed cookie answers 200 on its instance and 401 on the other, every second request', async t => {
      const login = await send(`${c.url}/session/login`, 'POST', { json: alice })
      t.equal(login.status, 200)
      const home = servedBy(login)
      const cookie = login.setCookies.filter(s => s.name === COOKIES.session).map(s => `${s.name}=${s.value}`)[0]!
      const seen = byInstance(await rounds(10, async () => await send(`${c.url}/session/api/me`, 'GET', { cookie })))
      t.same(Object.keys(seen).sort(), ['i1', 'i2'], 'round robin: both instances answered')
      t.ok(seen[home]!.every(s => s === 200), `${home}, which holds the session: always 200`)
      t.ok(seen[other(c, home)]!.every(s => s === 401), `${other(c, home)}: always 401`)
      t.ok(seen[home]!.length >= 4 && seen[home]!.length <= 6, `about every second request is 401 (${seen[home]!.length} of 10 were 200)`)
    })

    t.test('session: a browser-like client is logged out at the first request the other instance answers (its 401 clears the cookie)', async t => {
      const browser = new Client(c.url)
      const login = await browser.post('/session/login', alice)
      t.equal(login.status, 200)
      const home = servedBy(login)
      const first = await browser.get('/session/api/me')
      t.equal(servedBy(first), other(c, home), 'round robin: the next request goes to the other instance')
      t.equal(first.status, 401)
      t.equal(first.body.error, 'session_expired', 'an id it has never stored looks expired to it')
      t.notOk(browser.cookies.has(COOKIES.session), 'and its answer cleared the session cookie')
      const back = await browser.get('/session/api/me')
      t.equal(servedBy(back), home)
      t.equal(back.status, 401, 'so the instance that holds the session gets no cookie: logged out')
    })

    t.test('jwt: the access token works on every instance (stateless); the refresh token only on the one that issued it', async t => {
      const login = await send(`${c.url}/jwt/login`, 'POST', { json: { ...bob, transport: 'body' } })
      t.equal(login.status, 200)
      const home = servedBy(login)
      const seen = byInstance(await rounds(6, async () => await send(`${c.url}/jwt/api/me`, 'GET', { bearer: login.body.access_token })))
      t.same(seen, { i1: [200, 200, 200], i2: [200, 200, 200] }, 'JWT_REVOCATION=none: 200 on both instances, whatever the store')
      let refresh: string = login.body.refresh_token
      const answers: Array<[string, number]> = []
      for (let i = 0; i < 4; i++) {
        const reply = await send(`${c.url}/jwt/refresh`, 'POST', { json: { refresh_token: refresh } })
        answers.push([servedBy(reply), reply.status])
        if (reply.status === 200) refresh = reply.body.refresh_token
        else t.equal(reply.body.error, 'invalid_refresh_token')
      }
      t.same(answers.map(([name, status]) => status === (name === home ? 200 : 401)), [true, true, true, true],
        `refresh: 200 from ${home} (its store holds the family), 401 from the other: ${JSON.stringify(answers)}`)
      t.same(new Set(answers.map(a => a[0])).size, 2, 'both instances were asked')
    })

    t.test('the client address is the one HAProxy saw, not a forged X-Forwarded-For (through the balancer or around it); a forged X-Forwarded-Proto changes no cookie', async t => {
      const forged = { 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https' }
      const login = await send(`${c.url}/session/login`, 'POST', { json: alice, headers: forged })
      t.equal(login.status, 200)
      t.same(login.setCookies.map(s => [s.name, s.attributes.secure === true]), [[COOKIES.session, false]], 'plain sid: the balancer speaks http and says so')
      const cookie = `${COOKIES.session}=${login.setCookies[0]!.value}`
      const home = c.instances.find(i => i.name === servedBy(login))!
      const direct = await send(`${home.url}/session/devices`, 'GET', { cookie, headers: { 'x-forwarded-for': '7.7.7.7' } })
      t.equal(direct.status, 200)
      const ips = (direct.body as Array<{ ip: string }>).map(d => d.ip)
      t.ok(ips.length > 0 && ips.every(ip => ip === '127.0.0.1'), `the address the balancer saw (127.0.0.1), not 6.6.6.6 nor the balancer's own: ${ips.join(', ')}`)

      // TRUST_PROXY is the balancer's own address, not a hop count: a client that reaches an instance
      // directly is not taken for the proxy.
      const bypass = await send(`${home.url}/session/login`, 'POST', { json: bob, headers: { 'x-forwarded-for': '6.6.6.6' } })
      t.equal(bypass.status, 200)
      const bypassDevices = await send(`${home.url}/session/devices`, 'GET', { cookie: `${COOKIES.session}=${bypass.setCookies[0]!.value}` })
      t.same((bypassDevices.body as Array<{ ip: string }>).map(d => d.ip), ['127.0.0.1'], 'a login sent to the instance directly: its X-Forwarded-For is ignored')
    })
  })

  t.test('memory stores, sticky cookie: every request 200 until that instance stops; then logged out, while the other serves', async t => {
    const c = await cluster(t, 'sticky', 'memory')
    const browser = new Client(c.url)
    const login = await browser.post('/session/login', alice)
    t.equal(login.status, 200)
    const home = servedBy(login)
    t.equal(browser.cookies.get(STICKY_COOKIE), home, 'HAProxy inserted its cookie naming the instance')
    const jwt = new Client(c.url)
    // The same instance as the session (HAProxy's cookie says which), so stopping it ends both.
    jwt.cookies.set(STICKY_COOKIE, home)
    const jwtLogin = await jwt.post('/jwt/login', { ...bob, transport: 'body' })
    t.same([servedBy(jwtLogin), jwtLogin.status], [home, 200])
    let refresh: string = jwtLogin.body.refresh_token

    t.same(await rounds(8, async () => await browser.get('/session/api/me')), Array(8).fill([home, 200]), 'session: 200 from the same instance every time')
    for (let i = 0; i < 4; i++) {
      const reply = await jwt.post('/jwt/refresh', { refresh_token: refresh })
      t.same([servedBy(reply), reply.status], [home, 200], `refresh ${i + 1}: sticks to ${home}`)
      refresh = reply.body.refresh_token
    }

    const homeInstance = c.instances.find(i => i.name === home)!
    await homeInstance.stop()
    const after = await browser.get('/session/api/me')
    t.same([servedBy(after), after.status], [other(c, home), 401], 'its instance stopped: the other one answers, 401 (the session was in the stopped memory)')
    t.equal(browser.cookies.get(STICKY_COOKIE), other(c, home), 'HAProxy moved the client to the instance that serves')
    const again = await browser.post('/session/login', alice)
    t.same([servedBy(again), again.status], [other(c, home), 200], 'the other instance serves: logging in again works')
    t.same(await rounds(4, async () => await browser.get('/session/api/me')), Array(4).fill([other(c, home), 200]))
    const refused = await jwt.post('/jwt/refresh', { refresh_token: refresh })
    t.same([servedBy(refused), refused.status, refused.body.error], [other(c, home), 401, 'invalid_refresh_token'], 'jwt: the refresh family died with the instance')

    await homeInstance.start()
    // Cookieless requests are balanced afresh each time: the restarted instance gets its turn again.
    t.ok(await waitFor(async () => servedBy(await send(`${c.url}/health`, 'GET')) === home, 5000), `${home} serves again after start()`)
    t.same(await rounds(4, async () => await browser.get('/session/api/me')), Array(4).fill([other(c, home), 200]), 'the user stays where the new login lives')
  })

  /**
   * One Redis for every instance. One line per case: a cached mode (e.g. AUTH_CACHE=on) joins with its
   * env. The access token after a logout: stateless with JWT_REVOCATION=none (works until it expires),
   * refused on every instance by denylist and version.
   */
  const SHARED: Array<{ name: string, env: Record<string, string> }> = [
    { name: 'redis', env: {} },
    { name: 'redis, JWT_REVOCATION=denylist', env: { JWT_REVOCATION: 'denylist' } },
    // The cached mode: each instance answers from its own memory, and a logout through one must still be
    // final on the other at once (Redis client tracking invalidates the other instance's copy).
    { name: 'redis, AUTH_CACHE=on, JWT_REVOCATION=denylist', env: { AUTH_CACHE: 'on', JWT_REVOCATION: 'denylist' } }
  ]
  for (const shared of SHARED) {
    t.test(`${shared.name}, round robin: every request 200 on every instance; a logout through one is final on all`, { skip: redisSkip() }, async t => {
      const c = await cluster(t, 'round-robin', 'redis', shared.env)

      t.test('session', async t => {
        const browser = new Client(c.url)
        t.equal((await browser.post('/session/login', alice)).status, 200)
        t.same(byInstance(await rounds(6, async () => await browser.get('/session/api/me'))), { i1: [200, 200, 200], i2: [200, 200, 200] })
        const cookie = `${COOKIES.session}=${browser.cookies.get(COOKIES.session)!}`
        if (shared.env.AUTH_CACHE === 'on') {
          // Both instances have read the record by now: each answers from its own cache, without Redis.
          // Polled: a cache that noticed a late event-loop pulse (a starved CPU) waits for a heartbeat first.
          const hits = new Set<string>()
          await waitFor(async () => {
            const reply = await send(`${c.url}/session/api/me`, 'GET', { cookie })
            if (reply.headers.get('x-auth-store-ops') === '0') hits.add(servedBy(reply))
            return hits.size === 2
          }, 5000)
          t.same([...hits].sort(), ['i1', 'i2'], 'AUTH_CACHE=on: both instances serve the session from their cache (0 store ops)')
        }
        const logout = await browser.post('/session/logout', {})
        t.equal(logout.status, 204)
        const seen = byInstance(await rounds(6, async () => await send(`${c.url}/session/api/me`, 'GET', { cookie })))
        t.same(seen, { i1: [401, 401, 401], i2: [401, 401, 401] }, `logged out through ${servedBy(logout)}: the old cookie is refused on both`)
      })

      t.test('jwt', async t => {
        const login = await send(`${c.url}/jwt/login`, 'POST', { json: { ...bob, transport: 'body' } })
        t.equal(login.status, 200)
        const access: string = login.body.access_token
        let refresh: string = login.body.refresh_token
        const refreshes: Array<[string, number]> = []
        for (let i = 0; i < 4; i++) {
          const reply = await send(`${c.url}/jwt/refresh`, 'POST', { json: { refresh_token: refresh } })
          refreshes.push([servedBy(reply), reply.status])
          refresh = reply.body.refresh_token
        }
        t.same(byInstance(refreshes), { i1: [200, 200], i2: [200, 200] }, 'the refresh family is in the shared store: each instance rotates it')
        const logout = await send(`${c.url}/jwt/logout`, 'POST', { json: { refresh_token: refresh }, bearer: access })
        t.equal(logout.status, 204)
        const refused = byInstance(await rounds(4, async () => await send(`${c.url}/jwt/refresh`, 'POST', { json: { refresh_token: refresh } })))
        t.same(refused, { i1: [401, 401], i2: [401, 401] }, `logged out through ${servedBy(logout)}: the refresh token is refused on both`)
        const stateless = (shared.env.JWT_REVOCATION ?? 'none') === 'none'
        const after = stateless ? 200 : 401
        t.same(byInstance(await rounds(4, async () => await send(`${c.url}/jwt/api/me`, 'GET', { bearer: access }))), { i1: [after, after], i2: [after, after] },
          stateless ? 'JWT_REVOCATION=none: the access token still works on both until it expires' : 'the access token is refused on both')
      })
    })
  }
})
