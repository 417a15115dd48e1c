/** The eleven stories, each a claim about sessions or JWTs told against the real server (demo/README.md). */
import { COOKIES } from '../harness/fixtures.js'
import { promised, type LoginEvent, type Promised } from '../harness/promises.js'
import { hasRedisServer, startRedisServer } from '../harness/redis.js'
import { waitReady } from '../harness/server.js'
import { newKeyPrefix } from './servers.js'
import type { RunningServer } from './servers.js'
import { alice, bob, errorOf, sleep, type AdminActor, type Observation, type Outcome, type Story, type Target } from './story.js'

export interface Expected { outcome: Outcome, why: string }

export interface Scenario {
  id: number
  slug: string
  title: string
  /** The claim the story tests, as printed before it runs. */
  claim: string
  /** Set when the scenario needs servers the runner starts itself (special settings, two instances, a Redis to stop). */
  needsOwnServers?: string
  expect: (t: Target) => Expected
  run: (s: Story) => Promise<Observation>
}

type PerStrategy<T> = Record<Target['strategy'], T>
/** The outcome a story expects of a target, with the reason for each strategy. */
const expecting = (outcome: (t: Target) => Outcome, why: PerStrategy<string>) => (t: Target): Expected => ({ outcome: outcome(t), why: why[t.strategy] })

/** A story's outcome as harness/promises.ts promises it for `event`, in the story's words, with its reasons. */
const promisedOutcome = (event: LoginEvent, why: PerStrategy<string>, words: (p: Promised, t: Target) => Outcome = p => p === 'immediate' ? 'rejected' : 'until-exp') =>
  expecting(t => words(promised(t.strategy, event), t), why)

/**
 * An admin of the story's strategy changes alice's account in `body`; alice is restored afterwards
 * (matters with --url, harmless otherwise).
 */
async function adminOnAlice (s: Story, server: RunningServer, body: (a: AdminActor) => Promise<Observation>): Promise<Observation> {
  const a = await s.admin(server)
  try {
    return await body(a)
  } finally {
    if (s.target.url !== null) {
      // A fresh admin login: the story's admin token may have expired while the story waited.
      const restorer = await s.admin(server)
      for (const [change, json] of [['enable', undefined], ['role', { role: 'user' }], ['password', { password: alice.password }]] as const) {
        await restorer.client.request('POST', `/admin/users/alice/${change}`, { ...(json === undefined ? {} : { json }), bearer: restorer.access })
      }
    }
  }
}

export const SCENARIOS: Scenario[] = [
  {
    id: 1,
    slug: 'login',
    title: 'Log in and call a protected route',
    claim: 'A session is a random id in a cookie plus a record on the server; a JWT carries its claims itself and is checked by signature. Watch the store ops: what each request costs.',
    expect: expecting(() => 'works', {
      session: 'the cookie\'s id finds the record: 1 store read per request',
      'jwt-none': 'signature and exp are checked locally: 0 store reads',
      'jwt-denylist': 'signature, then one denylist lookup: 1 store read',
      'jwt-version': 'signature, then the user\'s version: 1 store read'
    }),
    async run (s) {
      const { browser } = await s.aliceLoggedIn()
      await browser.inspect()
      const me = await browser.call('/api/me')
      s.check(me.storeOps === (s.target.strategy === 'jwt-none' ? '0' : '1'), `x-auth-store-ops is ${me.storeOps ?? 'missing'} (${s.target.strategy === 'jwt-none' ? '0: nothing looked up' : '1 round trip'})`)
      await browser.call('/api/admin')
      return me.status === 200 ? { outcome: 'works', detail: `200, ${me.storeOps ?? '?'} store op(s)` } : { outcome: 'rejected', detail: `${me.status} ${errorOf(me)}` }
    }
  },
  {
    id: 2,
    slug: 'logout',
    title: 'Log out, then replay the old credential',
    claim: 'Logging out of a session deletes its record, so the cookie is dead at once; a JWT cannot be "logged out" without server state and stays valid until exp.',
    expect: promisedOutcome('logout', {
      session: 'logout deleted the record the cookie points to',
      'jwt-none': 'nothing on the server knows the token was logged out; only its refresh token dies',
      'jwt-denylist': 'logout put the token\'s jti (and its login) on the denylist',
      'jwt-version': 'logout does not change the user\'s version, so the token\'s ver still matches'
    }),
    async run (s) {
      const { server, browser } = await s.aliceLoggedIn()
      const old = s.actor(server, 'the old copy')
      browser.stealInto(old)
      s.say('alice logs out; we kept a copy of what her browser held before')
      await browser.logout()
      s.mark()
      await old.inspect()
      const seen = await s.judge(old)
      if (s.kind === 'jwt') {
        const r = await old.refresh()
        s.check(r.status === 401, `the old refresh token is refused at once (${r.status} ${errorOf(r)})`)
      }
      return seen
    }
  },
  {
    id: 3,
    slug: 'role',
    title: 'An admin changes the user\'s role (stale claims)',
    claim: 'A role inside a JWT is a copy taken at issue time: after a change the token keeps the old role until it is re-issued; a session reads the role from the server.',
    expect: promisedOutcome('role', {
      session: 'the role lives in the session record, which the change rewrote',
      'jwt-none': 'the old token still says role "user" until it expires and a refresh issues a new one',
      'jwt-denylist': 'a role change is not a revocation: the token is not denied, its claim is just stale',
      'jwt-version': 'the change bumped the user\'s version, so the old token is refused and a refresh brings the new role'
    }, (p, t) => p === 'until-exp' ? 'until-refresh' : t.strategy === 'session' ? 'at-once' : 'old-token-rejected'),
    async run (s) {
      const { server, browser } = await s.aliceLoggedIn()
      await browser.call('/api/admin')
      return await adminOnAlice(s, server, async a => {
        s.say('the admin promotes alice to admin')
        await a.change('alice', 'role', { role: 'admin' })
        if (s.kind === 'session') {
          const r = await browser.call('/api/admin')
          await browser.inspect()
          return r.status === 200 ? { outcome: 'at-once', detail: '200 on the very next request' } : { outcome: 'works', detail: `${r.status} ${errorOf(r)}: the new role is not seen` }
        }
        const seen = await s.judge(browser, '/api/admin', r => r.status === 403)
        s.say('the client refreshes (as it does when its access token expires or is refused)')
        const refreshed = await browser.refresh()
        const after = await browser.call('/api/admin')
        s.check(refreshed.status === 200 && after.status === 200, `after the refresh the new role works (${after.status})`)
        if (seen.outcome === 'until-exp') return { outcome: 'until-refresh', detail: `old role for ${seen.seconds ?? '?'} s, new role after refresh`, ...(seen.seconds === undefined ? {} : { seconds: seen.seconds }) }
        if (seen.outcome === 'rejected') return { outcome: 'old-token-rejected', detail: `${seen.detail}; refresh → new role` }
        return { outcome: 'works', detail: `the old role stayed: ${seen.detail}` }
      })
    }
  },
  {
    id: 4,
    slug: 'disable',
    title: 'The account is disabled',
    claim: 'Disabling an account should lock the user out; a stateless JWT cannot see it and stays trusted until exp.',
    expect: promisedOutcome('disable', {
      session: 'disable deleted every session record of the user',
      'jwt-none': 'the refresh families end at once, but the access token is checked by signature only',
      'jwt-denylist': 'disable wrote "revoked before version N" for the user, checked on every request',
      'jwt-version': 'disable bumped the version (and the user record says disabled)'
    }),
    async run (s) {
      const { server, browser } = await s.aliceLoggedIn()
      return await adminOnAlice(s, server, async a => {
        await a.change('alice', 'disable')
        const seen = await s.judge(browser)
        if (s.kind === 'jwt') {
          const r = await browser.refresh()
          s.check(r.status === 401, `refresh is refused at once (${r.status} ${errorOf(r)})`)
        }
        const again = s.actor(server, 'alice, logging in again')
        const login = await again.login(alice)
        s.check(login.status === 403 && errorOf(login) === 'account_disabled', `a new login is refused (${login.status} ${errorOf(login)})`)
        await a.change('alice', 'enable')
        return seen
      })
    }
  },
  {
    id: 5,
    slug: 'password',
    title: 'The password is changed: is every device logged out?',
    claim: 'After a password change (often: after a theft) every existing login should end; with sessions the per-user index finds them all; plain JWTs live on until exp.',
    expect: promisedOutcome('password', {
      session: 'the change ended every session of the user, on every device',
      'jwt-none': 'every refresh family ends, but issued access tokens live until exp',
      'jwt-denylist': 'the user is marked "revoked before version N"',
      'jwt-version': 'the version bump refuses every older token'
    }),
    async run (s) {
      const server = await s.server()
      const laptop = s.actor(server, 'alice\'s laptop')
      const phone = s.actor(server, 'alice\'s phone')
      await laptop.login(alice)
      await phone.login(alice)
      return await adminOnAlice(s, server, async a => {
        await a.change('alice', 'password', { password: 'a-brand-new-password' })
        const phoneNow = await phone.call('/api/me')
        const seen = await s.judge(laptop)
        s.check((phoneNow.status === 200) === (seen.outcome !== 'rejected'), `the phone fares like the laptop (${phoneNow.status})`)
        const oldPw = await s.actor(server, 'someone with the old password').login(alice)
        s.check(oldPw.status === 401, `the old password no longer logs in (${oldPw.status})`)
        const newPw = await s.actor(server, 'alice with the new password').login({ username: 'alice', password: 'a-brand-new-password' }, { quiet: true })
        s.check(newPw.status === 200, `the new password does (${newPw.status})`)
        return seen
      })
    }
  },
  {
    id: 6,
    slug: 'stolen-access',
    title: 'A credential stolen before logout is replayed by another client',
    claim: 'A stolen session cookie or access token works for the thief exactly as for the owner; what logout does to the thief\'s copy is the difference.',
    expect: promisedOutcome('logout', {
      session: 'the victim\'s logout deleted the record the thief\'s copy points to',
      'jwt-none': 'the thief\'s copy verifies until exp; logout only ended the refresh token',
      'jwt-denylist': 'logout denied the token\'s jti and its login',
      'jwt-version': 'logout does not bump the version; only a revoke/password change would'
    }),
    async run (s) {
      const server = await s.server()
      const victim = s.actor(server, 'alice')
      const thief = s.actor(server, 'thief')
      await victim.login(alice)
      s.say(s.kind === 'session'
        ? 'the thief copies the session cookie (malware, a shared computer, a proxy log: HttpOnly only stops page script)'
        : 'the thief copies the access token (readable by any script on the page, or from a log)')
      victim.stealInto(thief, s.kind === 'session' ? 'all' : 'access')
      const before = await thief.call('/api/me')
      s.check(before.status === 200, 'before logout the server cannot tell the thief from alice')
      s.say('alice logs out')
      await victim.logout()
      s.mark()
      return await s.judge(thief)
    }
  },
  {
    id: 7,
    slug: 'stolen-refresh',
    title: 'A stolen refresh token: the attacker refreshes first, then the victim',
    claim: 'Rotating refresh tokens detect theft: when an already used token of a family comes back, the whole family is destroyed and everyone must log in again.',
    expect: promisedOutcome('reuse', {
      session: 'a session cookie does not rotate: both copies keep working and nothing notices',
      'jwt-none': 'reuse ends the family (no more refreshes), but the attacker\'s last access token lives until exp',
      'jwt-denylist': 'reuse ends the family and denies every access token of that login',
      'jwt-version': 'ending a family does not bump the user version: the attacker\'s access token lives until exp'
    }, p => p === 'n/a' ? 'undetected' : p === 'immediate' ? 'rejected' : 'until-exp'),
    async run (s) {
      const server = await s.server()
      const victim = s.actor(server, 'alice')
      const attacker = s.actor(server, 'attacker')
      await victim.login(alice)
      if (s.kind === 'session') {
        s.say('the attacker copies the session cookie; sessions have no refresh token to rotate')
        victim.stealInto(attacker)
        const a = await attacker.call('/api/me')
        const v = await victim.call('/api/me')
        s.mark()
        return a.status === 200 && v.status === 200 ? { outcome: 'undetected', detail: 'both copies get 200; nothing flags the copy' } : { outcome: 'rejected', detail: `${a.status}/${v.status}` }
      }
      s.say('the attacker copies the refresh token cookie (not the access token)')
      victim.stealInto(attacker, 'refresh')
      s.say('the attacker refreshes first and gets a fresh pair')
      const stolen = await attacker.refresh()
      s.check(stolen.status === 200, `the attacker's refresh succeeds (${stolen.status})`)
      s.say('later, the victim\'s client refreshes with the token it holds, which the attacker already spent')
      const reuse = await victim.refresh()
      s.mark()
      s.check(reuse.status === 401 && errorOf(reuse) === 'refresh_token_reused', `reuse detected: ${reuse.status} ${errorOf(reuse)}`)
      await victim.inspect()
      const attackerRefresh = await attacker.refresh()
      s.check(attackerRefresh.status === 401, `the attacker's newer refresh token is dead too (${attackerRefresh.status} ${errorOf(attackerRefresh)})`)
      s.say('what is left: the access token the attacker got from the stolen refresh')
      return await s.judge(attacker)
    }
  },
  {
    id: 8,
    slug: 'expiry',
    title: 'The access token expires and the client refreshes silently',
    claim: 'Short-lived access tokens plus a long-lived refresh token: when the access token expires, the client quietly gets a new one. A session instead slides: it lives while used and ends when idle.',
    needsOwnServers: 'short lifetimes (JWT_ACCESS_TTL=4s, SESSION_IDLE_TTL=3s)',
    expect: expecting(t => t.strategy === 'session' ? 'idle-expiry' : 'silent-refresh', {
      session: 'the idle timeout slides with activity and ends a session left idle (SESSION_IDLE_TTL=3s here)',
      'jwt-none': 'token_expired → POST /jwt/refresh → new access token, no new login',
      'jwt-denylist': 'same refresh flow in every mode',
      'jwt-version': 'same refresh flow in every mode'
    }),
    async run (s) {
      if (s.kind === 'session') {
        const { browser } = await s.aliceLoggedIn({ SESSION_IDLE_TTL: '3s' })
        s.say('alice keeps working: one request a second for 4.5 s, longer than the 3 s idle timeout')
        let ok = true
        for (let i = 0; i < 5; i++) {
          await sleep(900)
          ok = (await browser.call('/api/me', { quiet: i < 4 })).status === 200 && ok
        }
        s.check(ok, 'every request of the active period was accepted (the idle timer slides)')
        s.say('then she leaves the tab idle for 3.5 s (idleness cannot be polled: this is a deliberate pause)')
        await sleep(3500)
        s.mark()
        const r = await browser.call('/api/me')
        return ok && errorOf(r) === 'session_expired' ? { outcome: 'idle-expiry', detail: 'active 4.5 s: 200s; after 3.5 s idle: 401 session_expired' } : { outcome: 'works', detail: `${r.status} ${errorOf(r)}` }
      }
      const { browser } = await s.aliceLoggedIn()
      s.mark()
      const seen = await s.judge(browser)
      s.check(seen.outcome === 'until-exp', `the access token expired on its own (${seen.detail})`)
      s.say('the client sees token_expired and refreshes without asking alice for her password')
      const before = browser.client.cookies.get(COOKIES.refresh)?.value
      const r = await browser.refresh()
      s.check(r.status === 200 && browser.client.cookies.get(COOKIES.refresh)?.value !== before, 'the refresh token rotated (a new one replaced the spent one)')
      const retry = await browser.call('/api/me')
      return r.status === 200 && retry.status === 200 ? { outcome: 'silent-refresh', detail: `expired after ${seen.seconds ?? '?'} s; refreshed, retried: 200` } : { outcome: 'rejected', detail: `${r.status} ${errorOf(r)}` }
    }
  },
  {
    id: 9,
    slug: 'limit',
    title: 'A concurrent-login limit pushes the oldest device out',
    claim: 'A server that keeps sessions can cap logins per user and end the oldest; with JWTs the cap can only act on refresh families.',
    needsOwnServers: 'MAX_SESSIONS_PER_USER=2',
    expect: promisedOutcome('evicted', {
      session: 'the third login ended the oldest session record',
      'jwt-none': 'the oldest refresh family ended; its access token lives until exp',
      'jwt-denylist': 'ending the oldest family also denied its access tokens',
      'jwt-version': 'ending a family does not bump the user version'
    }),
    async run (s) {
      const server = await s.server({ MAX_SESSIONS_PER_USER: '2' })
      const phone = s.actor(server, 'alice\'s phone')
      const laptop = s.actor(server, 'alice\'s laptop')
      const tablet = s.actor(server, 'alice\'s tablet')
      await phone.login(alice, { quiet: true })
      await sleep(5) // distinct creation times
      await laptop.login(alice, { quiet: true })
      s.say('the phone and the laptop are logged in (MAX_SESSIONS_PER_USER=2); now the tablet logs in')
      await tablet.login(alice, { quiet: true })
      s.mark()
      const devices = await tablet.client.request('GET', `${tablet.prefix}/devices`, { bearer: tablet.access })
      tablet.printReply('GET', `${tablet.prefix}/devices`, devices)
      if (Array.isArray(devices.body)) s.say(`devices left: ${devices.body.map((d: { userAgent: string }) => d.userAgent).join(', ')}`)
      if (s.kind === 'jwt') {
        const r = await phone.refresh()
        s.check(r.status === 401, `the phone's refresh token is refused (${r.status} ${errorOf(r)})`)
      }
      return await s.judge(phone)
    }
  },
  {
    id: 10,
    slug: 'scale-out',
    title: 'Two server instances behind one address: log in on A, call B',
    claim: 'Sessions in one server\'s memory do not exist on another: scale-out needs sticky sessions, clustering or a shared store like Redis; a JWT verifies anywhere the key is.',
    needsOwnServers: 'two instances',
    expect: t => {
      if (t.store === 'redis') return { outcome: 'works', why: 'both instances share the Redis store (and the signing secret)' }
      return {
        session: { outcome: 'rejected' as const, why: 'B\'s memory has no record of A\'s session' },
        'jwt-none': { outcome: 'works' as const, why: 'B verifies the signature with the same secret; it needs nothing else (a refresh on B fails though)' },
        'jwt-denylist': { outcome: 'works' as const, why: 'B\'s denylist is empty, so it accepts the token, even one logged out on A' },
        'jwt-version': { outcome: 'rejected' as const, why: 'B looks the user up in its own memory store, where that user id does not exist' }
      }[t.strategy]
    },
    async run (s) {
      // One key prefix for both: with Redis they share every record, as two instances of one app would.
      const keyPrefix = newKeyPrefix()
      const [a, b] = [await s.server({}, { keyPrefix }), await s.server({}, { keyPrefix })]
      s.say(`instance A at ${a.url}, instance B at ${b.url}, same secrets, ${s.target.store === 'redis' ? 'one shared Redis' : 'each with its own memory store'}`)
      const onA = s.actor(a, 'alice (via A)')
      await onA.login(alice)
      const onB = s.actor(b, 'alice (via B)')
      onA.stealInto(onB)
      const r = await onB.call('/api/me')
      if (s.kind === 'jwt') {
        const refresh = await onB.refresh()
        s.check((refresh.status === 200) === (s.target.store === 'redis'), `refresh on B: ${refresh.status} ${refresh.status === 200 ? '' : errorOf(refresh)} (the refresh family lives in ${s.target.store === 'redis' ? 'the shared Redis' : 'A\'s memory'})`)
      }
      return r.status === 200 ? { outcome: 'works', detail: 'B answers 200' } : { outcome: 'rejected', detail: `B answers ${r.status} ${errorOf(r)}` }
    }
  },
  {
    id: 11,
    slug: 'redis-down',
    title: 'Redis goes down and comes back',
    claim: 'Whatever needs the store fails when the store is down; a stateless JWT keeps verifying. The server must fail closed (503, never a 200 it cannot check) and recover by itself.',
    needsOwnServers: 'a Redis of its own to stop and start',
    expect: expecting(t => t.strategy === 'jwt-none' ? 'keeps-working' : 'fails-closed', {
      session: 'every request needs the session record: 503 while Redis is down',
      'jwt-none': 'access tokens need no store; refresh and login do (503)',
      'jwt-denylist': 'the denylist cannot be checked, so the token is not trusted: 503',
      'jwt-version': 'the version cannot be checked: 503'
    }),
    async run (s) {
      if (!hasRedisServer()) {
        if (process.env.CI === 'true') throw new Error('CI=true but redis-server is not installed')
        s.say('redis-server is not installed: skipped')
        return { outcome: 'skipped', detail: 'no redis-server' }
      }
      const redis = await startRedisServer({ persist: true })
      s.onCleanup(async () => { await redis.dispose() })
      const server = await s.server({}, { store: 'redis', redisUrl: redis.url })
      s.say(`this story always uses Redis: a redis-server of its own (${redis.url}), the only one it ever stops`)
      const browser = s.actor(server, 'alice\'s browser')
      await browser.login(alice)
      await browser.call('/api/me')
      s.say('Redis stops (it saves a snapshot first, so its data can come back)')
      await redis.stop(true)
      s.mark()
      const down = await browser.call('/api/me')
      if (s.kind === 'jwt') {
        const r = await browser.refresh()
        s.check(r.status === 503, `refresh needs the store: ${r.status} ${errorOf(r)}`)
      }
      const login = await s.actor(server, 'bob').login(bob)
      s.check(login.status === 503, `login needs the store: ${login.status} ${errorOf(login)}`)
      s.say('Redis starts again; the server reconnects by itself (polling /ready)')
      await redis.restart()
      const started = Date.now()
      const ready = await waitReady(server.url, { timeoutMs: 15_000 }).then(() => true, () => false)
      s.check(ready, `ready again after ${((Date.now() - started) / 1000).toFixed(1)} s`)
      const back = await browser.call('/api/me')
      if (s.kind === 'jwt') {
        const r = await browser.refresh({ quiet: false })
        s.check(r.status === 200, `refresh works again (${r.status})`)
      }
      s.check(back.status === 200, `the same credential works again after recovery (${back.status})`)
      if (down.status === 500) s.say(`the server logged: ${server.errors.join(' | ').slice(0, 1500)}`)
      if (down.status === 503) return { outcome: 'fails-closed', detail: `503 ${errorOf(down)} while down, 200 after recovery` }
      if (down.status === 200) return { outcome: 'keeps-working', detail: '200 while down (no store needed), refresh 503' }
      return { outcome: 'rejected', detail: `${down.status} ${errorOf(down)} while down` }
    }
  }
]
