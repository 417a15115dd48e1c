import { connect } from 'node:net'
import type { IncomingMessage } from 'node:http'
import t from 'tap'
import { forEachStore, redisTest, startApp, waitFor, type TestApp } from './helpers/app.js'
import type { Client, Reply } from './helpers/http.js'
import { admin, alice, bob } from './helpers/jwt.js'

// Touch interval = min(60s, idle / 10) = 300 ms: a request after that writes lastSeenAt back.
const IDLE_TTL = '3s'
const TOUCH_INTERVAL_MS = 300

async function loggedIn (s: TestApp, who: { username: string, password: string }): Promise<Client> {
  const c = s.client()
  const r = await c.post('/session/login', who)
  if (r.status !== 200) throw new Error(`login ${who.username}: ${r.status} ${r.text}`)
  return c
}

interface SlowRequest {
  /** Sends the rest of the body and resolves with the raw response once the server closes. */
  finish: () => Promise<{ status: number, head: string }>
}

/**
 * Starts `POST /session/api/notes` on a raw socket: headers (with Content-Length) and the first byte of
 * the body only. Resolves once the server has authenticated the request and started reading the body
 * (Fastify attaches its body reader only after the onRequest hooks, authentication among them, are done).
 */
async function slowNote (s: TestApp, cookie: string): Promise<SlowRequest> {
  const body = JSON.stringify({ text: 'sent slowly' })
  const { port } = new URL(s.url)
  let incoming: IncomingMessage | null = null
  const onRequest = (req: IncomingMessage): void => { if (req.url === '/session/api/notes') incoming = req }
  s.app.server.on('request', onRequest)
  const socket = connect(Number(port), '127.0.0.1')
  const chunks: Buffer[] = []
  socket.on('data', chunk => { chunks.push(chunk) })
  const closed = new Promise<void>(resolve => { socket.on('close', () => { resolve() }) })
  socket.write([
    'POST /session/api/notes HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    `Cookie: ${cookie}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '', ''
  ].join('\r\n') + body.slice(0, 1))
  const reading = await waitFor(() => (incoming as IncomingMessage | null)?.readableFlowing === true, 5000, 5)
  s.app.server.off('request', onRequest)
  if (!reading) throw new Error('the server never started reading the slow body')
  return {
    async finish () {
      socket.write(body.slice(1))
      await closed
      const text = Buffer.concat(chunks).toString('latin1')
      const head = text.slice(0, text.indexOf('\r\n\r\n'))
      return { status: Number(head.split(' ')[1]), head }
    }
  }
}

/** Waits until the session is older than the touch interval, so its next request writes lastSeenAt back. */
async function touchDue (): Promise<void> {
  // Nothing to poll: the condition is the passage of time itself.
  await new Promise(resolve => setTimeout(resolve, TOUCH_INTERVAL_MS + 100))
}

forEachStore(t, async (t, store) => {
  const env = { STORE: store, AUTH_STRATEGIES: 'session', SESSION_IDLE_TTL: IDLE_TTL }

  t.test('a request in flight cannot resurrect a revoked session (slow body across a revoke)', async t => {
    const s = await startApp(t, env)
    const root = await loggedIn(s, admin)
    const victim = await loggedIn(s, alice)
    await touchDue()
    const slow = await slowNote(s, victim.cookieHeader())

    const revoke = await root.post('/admin/users/alice/revoke')
    t.equal(revoke.status, 200)
    t.equal(revoke.body.loginsAffected.session, 1, 'the revoke ends the one session')
    const during = await victim.clone().get('/session/api/me')
    t.equal(during.status, 401, 'the cookie is refused while the slow request is still in flight')

    const done = await slow.finish()
    t.equal(done.status, 201, 'the slow request itself completes (it was authenticated when it arrived)')
    t.match(done.head, /set-cookie: sid=;/i, 'and its response clears the cookie instead of refreshing it')

    const after = await victim.get('/session/api/me')
    t.equal(after.status, 401, 'the revoked cookie still answers 401 after the write-back')
    t.equal(after.body.error, 'session_revoked')

    // A fresh login is the only session the user has: a later revoke-all counts exactly it.
    const again = await loggedIn(s, alice)
    const devices = await again.get('/session/devices')
    t.equal(devices.body.length, 1, 'the device list shows only the new login')
    const second = await root.post('/admin/users/alice/revoke')
    t.equal(second.body.loginsAffected.session, 1, 'revoke-all reports the one live session')
    t.equal((await again.get('/session/api/me')).status, 401)
    t.equal((await victim.get('/session/api/me')).status, 401, 'and nothing of the first session came back meanwhile')
  })

  t.test('a touch write-back racing a role change does not restore the old role', async t => {
    const s = await startApp(t, env)
    const root = await loggedIn(s, admin)
    const user = await loggedIn(s, alice)
    await touchDue()
    const slow = await slowNote(s, user.cookieHeader())

    const promote = await root.post('/admin/users/alice/role', { role: 'admin' })
    t.equal(promote.status, 200)
    t.equal(promote.body.loginsAffected.session, 1)
    t.equal((await user.get('/session/api/me')).body.role, 'admin', 'the new role applies at once')

    const done = await slow.finish()
    t.equal(done.status, 201, 'the slow request completes')
    t.notMatch(done.head, /set-cookie: sid=;/i, 'the session is still live: its cookie is not cleared')

    const me = await user.get('/session/api/me')
    t.equal(me.status, 200, 'the session survives')
    t.equal(me.body.role, 'admin', 'the stale write-back did not restore role=user')
    t.equal((await user.get('/session/api/admin')).status, 200)
    // And the other way round: a demotion is not undone either.
    await touchDue()
    const slow2 = await slowNote(s, user.cookieHeader())
    t.equal((await root.post('/admin/users/alice/role', { role: 'user' })).status, 200)
    t.equal((await slow2.finish()).status, 201)
    t.equal((await user.get('/session/api/admin')).status, 403, 'the demotion stands after the write-back')
  })

  t.test('logins racing a password change do not survive it', async t => {
    const s = await startApp(t, { STORE: store, AUTH_STRATEGIES: 'session' })
    const root = await loggedIn(s, admin)
    let password = bob.password
    let survivors = 0
    let succeeded = 0
    for (let round = 0; round < 3; round++) {
      const next = `bob-new-password-${round}`
      const clients = Array.from({ length: 32 }, () => s.client())
      // Fired in the middle of the logins: the change's own scrypt hash queues among theirs, so its
      // epoch bump lands while some logins have verified the old password and not yet been recorded.
      const login = async (c: Client): Promise<Reply> => await c.post('/session/login', { username: 'bob', password })
      const early = clients.slice(0, 8).map(login)
      const change = root.post('/admin/users/bob/password', { password: next })
      const logins = [...early, ...clients.slice(8).map(login)]
      const results = await Promise.all(logins)
      t.equal((await change).status, 200, `round ${round}: the password change succeeds`)
      t.comment(`round ${round}: ${results.filter(r => r.status === 200).length} of 32 logins answered 200`)
      password = next
      for (const [i, r] of results.entries()) {
        t.ok([200, 401].includes(r.status), `round ${round}, login ${i}: ${r.status} ${r.status === 200 ? '' : String(r.body.error)}`)
        if (r.status !== 200) continue
        succeeded++
        const me = await clients[i]!.get('/session/api/me')
        if (me.status !== 401) survivors++
      }
    }
    t.comment(`${survivors} of the ${succeeded} logins that got 200 still authenticate`)
    t.equal(survivors, 0, `none of the ${succeeded} logins that got 200 with the old password still authenticates`)
    t.equal((await s.client().post('/session/login', { username: 'bob', password })).status, 200, 'the current password logs in')
  })
})

redisTest(t, 'SESSION_REDIS_STORE=connect-redis keeps the benchmark\'s plugin-defaults reference working', async t => {
  const s = await startApp(t, { STORE: 'redis', AUTH_STRATEGIES: 'session', SESSION_ROLLING: 'true', SESSION_REDIS_STORE: 'connect-redis' })
  const c = await loggedIn(s, alice)
  const me = await c.get('/session/api/me')
  t.equal(me.status, 200)
  t.equal(me.setCookies.length, 1, 'rolling: the cookie is re-sent on every response')
  const id = decodeURIComponent(c.cookies.get('sid') ?? '').split('.')[0] ?? ''
  const record = JSON.parse(await s.app.svj.store.get(`sess:${id}`) ?? '{}')
  t.match(record, { auth: { username: 'alice' } }, 'the record is in Redis')
  t.notOk('rev' in record, 'written by connect-redis, not by the project\'s store (which adds a revision)')
  t.equal((await s.client().post('/admin/users/alice/revoke')).status, 401, 'admin routes need a login')
  const root = await loggedIn(s, admin)
  t.equal((await root.post('/admin/users/alice/revoke')).body.loginsAffected.session, 1)
  t.equal((await c.get('/session/api/me')).status, 401, 'revocation works (outside the write-back race)')
})
