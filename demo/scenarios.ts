/** The stories, each a claim about sessions or JWTs told against the real server (demo/README.md). */
import { COOKIES } from '../harness/fixtures.js'
import { promised, type LoginEvent, type Promised } from '../harness/promises.js'
import { hasRedisServer, startRedisServer } from '../harness/redis.js'
import { waitReady } from '../harness/server.js'
import { newKeyPrefix } from './servers.js'
import type { RunningServer } from './servers.js'
import { m, type Messages } from './i18n/index.js'
import { alice, bob, errorOf, isSharedStore, sleep, type AdminActor, type Observation, type Outcome, type Story, type Target } from './story.js'
import { MEASURED_STORIES } from './stories/measured.js'
import { until } from './stories/common.js'
import { SECURITY_STORIES } from './stories/index.js'

export interface Expected { outcome: Outcome, why: string }

type Slug = keyof Messages['scenarios']

export interface Scenario {
  id: number
  slug: Slug
  /** Set when the scenario needs servers the runner starts itself (special settings, two instances, a Redis to stop). */
  needsOwnServers?: true
  expect: (t: Target) => Expected
  run: (s: Story) => Promise<Observation>
}

/** A scenario's words in the chosen language: title, the claim it tests, the seed passage it answers, why each strategy does what it does. */
export const words = <S extends Slug>(slug: S): Messages['scenarios'][S] => m().scenarios[slug]
/** What a scenario that starts its own servers needs, in words (for the --url skip message). */
export function needs (slug: Slug): string {
  const w = words(slug)
  return 'needs' in w ? w.needs : ''
}

/** Whether what authentication reads comes from the instance's AUTH_CACHE once warm (jwt-none reads nothing anyway). */
const cachedReads = (t: Target): boolean => t.store === 'redis-cached' && t.strategy !== 'jwt-none'

/** `401 some_error`: a reply's status and error code, for check lines. */
const r = (reply: { status: number, body: any }): string => `${reply.status} ${errorOf(reply as never)}`

/** The outcome a story expects of a target, with the reason for each strategy (in the chosen language, read when asked). */
const expecting = (outcome: (t: Target) => Outcome, slug: Slug) => (t: Target): Expected => ({ outcome: outcome(t), why: words(slug).why[t.strategy] })

/** A story's outcome as harness/promises.ts promises it for `event`, in the story's words, with its reasons. */
const promisedOutcome = (event: LoginEvent, slug: Slug, outcomeOf: (p: Promised, t: Target) => Outcome = p => p === 'immediate' ? 'rejected' : 'until-exp') =>
  expecting(t => outcomeOf(promised(t.strategy, event), t), slug)

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
    expect: target => ({ outcome: 'works', why: cachedReads(target) ? words('login').whyCached : words('login').why[target.strategy] }),
    async run (s) {
      const t = words('login')
      const { browser } = await s.aliceLoggedIn()
      await browser.inspect()
      const me = await browser.call('/api/me')
      if (cachedReads(s.target)) {
        // The login may already have read (and so cached) what /api/me reads; either way the cache serves
        // once its invalidation channel is confirmed, a heartbeat within a second of the start.
        let warm = await browser.call('/api/admin')
        if (warm.storeOps !== '0') {
          await until(async () => (warm = await browser.call('/api/me', { quiet: true })).storeOps === '0', 3000)
          browser.printReply('GET', `${browser.prefix}/api/me`, warm)
        }
        s.check((me.storeOps === '0' || me.storeOps === '1') && warm.storeOps === '0', t.storeOpsCached(me.storeOps ?? t.missing, warm.storeOps ?? t.missing))
        return me.status === 200 ? { outcome: 'works', detail: t.works(me.storeOps ?? '?') } : { outcome: 'rejected', detail: r(me) }
      }
      s.check(me.storeOps === (s.target.strategy === 'jwt-none' ? '0' : '1'), t.storeOpsCheck(me.storeOps ?? t.missing, s.target.strategy === 'jwt-none'))
      await browser.call('/api/admin')
      return me.status === 200 ? { outcome: 'works', detail: t.works(me.storeOps ?? '?') } : { outcome: 'rejected', detail: r(me) }
    }
  },
  {
    id: 2,
    slug: 'logout',
    expect: promisedOutcome('logout', 'logout'),
    async run (s) {
      const t = words('logout')
      const { server, browser } = await s.aliceLoggedIn()
      const old = s.actor(server, 'oldCopy')
      browser.stealInto(old)
      s.say(t.logsOut)
      await browser.logout()
      s.mark()
      await old.inspect()
      const seen = await s.judge(old)
      if (s.kind === 'jwt') {
        const refresh = await old.refresh()
        s.check(refresh.status === 401, t.oldRefreshRefused(r(refresh)))
      }
      return seen
    }
  },
  {
    id: 3,
    slug: 'role',
    expect: promisedOutcome('role', 'role', (p, t) => p === 'until-exp' ? 'until-refresh' : t.strategy === 'session' ? 'at-once' : 'old-token-rejected'),
    async run (s) {
      const t = words('role')
      const { server, browser } = await s.aliceLoggedIn()
      await browser.call('/api/admin')
      return await adminOnAlice(s, server, async a => {
        s.say(t.promotes)
        await a.change('alice', 'role', { role: 'admin' })
        if (s.kind === 'session') {
          const res = await browser.call('/api/admin')
          await browser.inspect()
          return res.status === 200 ? { outcome: 'at-once', detail: t.nextRequest } : { outcome: 'works', detail: t.notSeen(r(res)) }
        }
        const seen = await s.judge(browser, '/api/admin', res => res.status === 403)
        s.say(t.clientRefreshes)
        const refreshed = await browser.refresh()
        const after = await browser.call('/api/admin')
        s.check(refreshed.status === 200 && after.status === 200, t.newRoleWorks(after.status))
        if (seen.outcome === 'until-exp') return { outcome: 'until-refresh', detail: t.staleThenRefresh(String(seen.seconds ?? '?')), ...(seen.seconds === undefined ? {} : { seconds: seen.seconds }) }
        if (seen.outcome === 'rejected') return { outcome: 'old-token-rejected', detail: t.refreshNewRole(seen.detail) }
        return { outcome: 'works', detail: t.oldRoleStayed(seen.detail) }
      })
    }
  },
  {
    id: 4,
    slug: 'disable',
    expect: promisedOutcome('disable', 'disable'),
    async run (s) {
      const t = words('disable')
      const { server, browser } = await s.aliceLoggedIn()
      return await adminOnAlice(s, server, async a => {
        await a.change('alice', 'disable')
        const seen = await s.judge(browser)
        if (s.kind === 'jwt') {
          const refresh = await browser.refresh()
          s.check(refresh.status === 401, t.refreshRefused(r(refresh)))
        }
        const again = s.actor(server, 'aliceLoggingInAgain')
        const login = await again.login(alice)
        s.check(login.status === 403 && errorOf(login) === 'account_disabled', t.loginRefused(r(login)))
        await a.change('alice', 'enable')
        return seen
      })
    }
  },
  {
    id: 5,
    slug: 'password',
    expect: promisedOutcome('password', 'password'),
    async run (s) {
      const t = words('password')
      const server = await s.server()
      const laptop = s.actor(server, 'aliceLaptop')
      const phone = s.actor(server, 'alicePhone')
      await laptop.login(alice)
      await phone.login(alice)
      return await adminOnAlice(s, server, async a => {
        await a.change('alice', 'password', { password: 'a-brand-new-password' })
        const phoneNow = await phone.call('/api/me')
        const seen = await s.judge(laptop)
        s.check((phoneNow.status === 200) === (seen.outcome !== 'rejected'), t.phoneLikeLaptop(phoneNow.status))
        const oldPw = await s.actor(server, 'oldPassword').login(alice)
        s.check(oldPw.status === 401, t.oldPasswordFails(oldPw.status))
        const newPw = await s.actor(server, 'newPassword').login({ username: 'alice', password: 'a-brand-new-password' }, { quiet: true })
        s.check(newPw.status === 200, t.newPasswordWorks(newPw.status))
        return seen
      })
    }
  },
  {
    id: 6,
    slug: 'stolen-access',
    expect: promisedOutcome('logout', 'stolen-access'),
    async run (s) {
      const t = words('stolen-access')
      const server = await s.server()
      const victim = s.actor(server, 'alice')
      const thief = s.actor(server, 'thief')
      await victim.login(alice)
      s.say(s.kind === 'session' ? t.copiesCookie : t.copiesToken)
      victim.stealInto(thief, s.kind === 'session' ? 'all' : 'access')
      const before = await thief.call('/api/me')
      s.check(before.status === 200, t.cannotTell)
      s.say(t.logsOut)
      await victim.logout()
      s.mark()
      return await s.judge(thief)
    }
  },
  {
    id: 7,
    slug: 'stolen-refresh',
    expect: promisedOutcome('reuse', 'stolen-refresh', p => p === 'n/a' ? 'undetected' : p === 'immediate' ? 'rejected' : 'until-exp'),
    async run (s) {
      const t = words('stolen-refresh')
      const server = await s.server()
      const victim = s.actor(server, 'alice')
      const attacker = s.actor(server, 'attacker')
      await victim.login(alice)
      if (s.kind === 'session') {
        s.say(t.sessionCopies)
        victim.stealInto(attacker)
        const a = await attacker.call('/api/me')
        const v = await victim.call('/api/me')
        s.mark()
        return a.status === 200 && v.status === 200 ? { outcome: 'undetected', detail: t.bothWork } : { outcome: 'rejected', detail: `${a.status}/${v.status}` }
      }
      s.say(t.copiesRefresh)
      victim.stealInto(attacker, 'refresh')
      s.say(t.refreshesFirst)
      const stolen = await attacker.refresh()
      s.check(stolen.status === 200, t.attackerRefreshOk(stolen.status))
      s.say(t.victimLater)
      const reuse = await victim.refresh()
      s.mark()
      s.check(reuse.status === 401 && errorOf(reuse) === 'refresh_token_reused', t.reuseDetected(r(reuse)))
      await victim.inspect()
      const attackerRefresh = await attacker.refresh()
      s.check(attackerRefresh.status === 401, t.attackerDead(r(attackerRefresh)))
      s.say(t.whatIsLeft)
      return await s.judge(attacker)
    }
  },
  {
    id: 8,
    slug: 'expiry',
    needsOwnServers: true,
    expect: expecting(t => t.strategy === 'session' ? 'idle-expiry' : 'silent-refresh', 'expiry'),
    async run (s) {
      const t = words('expiry')
      if (s.kind === 'session') {
        const { browser } = await s.aliceLoggedIn({ SESSION_IDLE_TTL: '3s' })
        s.say(t.keepsWorking)
        // From here the idle timer runs: a lecturer's pause would end the session early.
        s.hold()
        let ok = true
        for (let i = 0; i < 5; i++) {
          await sleep(900)
          ok = (await browser.call('/api/me', { quiet: i < 4 })).status === 200 && ok
        }
        s.check(ok, t.allAccepted)
        s.say(t.leavesIdle)
        await sleep(3500)
        s.mark()
        const res = await browser.call('/api/me')
        return ok && errorOf(res) === 'session_expired' ? { outcome: 'idle-expiry', detail: t.idleDetail } : { outcome: 'works', detail: r(res) }
      }
      // Always 4 s here, also when --step or --pace lengthen the other stories' tokens: this story is about watching one expire.
      const { browser } = await s.aliceLoggedIn({ JWT_ACCESS_TTL: '4s' })
      s.mark()
      const seen = await s.judge(browser)
      s.check(seen.outcome === 'until-exp', t.expiredOnItsOwn(seen.detail))
      s.say(t.refreshesQuietly)
      const before = browser.client.cookies.get(COOKIES.refresh)?.value
      const refresh = await browser.refresh()
      s.check(refresh.status === 200 && browser.client.cookies.get(COOKIES.refresh)?.value !== before, t.rotated)
      const retry = await browser.call('/api/me')
      return refresh.status === 200 && retry.status === 200 ? { outcome: 'silent-refresh', detail: t.refreshedDetail(String(seen.seconds ?? '?')) } : { outcome: 'rejected', detail: r(refresh) }
    }
  },
  {
    id: 9,
    slug: 'limit',
    needsOwnServers: true,
    expect: promisedOutcome('evicted', 'limit'),
    async run (s) {
      const t = words('limit')
      const server = await s.server({ MAX_SESSIONS_PER_USER: '2' })
      const phone = s.actor(server, 'alicePhone')
      const laptop = s.actor(server, 'aliceLaptop')
      const tablet = s.actor(server, 'aliceTablet')
      await phone.login(alice, { quiet: true })
      await sleep(5) // distinct creation times
      await laptop.login(alice, { quiet: true })
      s.say(t.tabletLogsIn)
      await tablet.login(alice)
      s.mark()
      const devices = await tablet.client.request('GET', `${tablet.prefix}/devices`, { bearer: tablet.access })
      tablet.printReply('GET', `${tablet.prefix}/devices`, devices)
      if (Array.isArray(devices.body)) s.say(t.devicesLeft(devices.body.map((d: { userAgent: string }) => d.userAgent).join(', ')))
      if (s.kind === 'jwt') {
        const refresh = await phone.refresh()
        s.check(refresh.status === 401, t.phoneRefused(r(refresh)))
      }
      return await s.judge(phone)
    }
  },
  {
    id: 10,
    slug: 'scale-out',
    needsOwnServers: true,
    expect: target => {
      const t = words('scale-out')
      if (isSharedStore(target.store)) return { outcome: 'works', why: t.whyShared(m().stores[target.store]) }
      const outcome: Outcome = { session: 'rejected' as const, 'jwt-none': 'works' as const, 'jwt-denylist': 'works' as const, 'jwt-version': 'rejected' as const }[target.strategy]
      return { outcome, why: t.why[target.strategy] }
    },
    async run (s) {
      const t = words('scale-out')
      // One key prefix for both: with a shared store they share every record, as two instances of one app would.
      const keyPrefix = newKeyPrefix()
      const [a, b] = [await s.server({}, { keyPrefix }), await s.server({}, { keyPrefix })]
      const shared = isSharedStore(s.target.store)
      const sharedName = shared ? m().stores[s.target.store] : null
      s.say(t.instances(a.url, b.url, sharedName))
      const onA = s.actor(a, 'viaA')
      await onA.login(alice)
      const onB = s.actor(b, 'viaB')
      onA.stealInto(onB)
      const res = await onB.call('/api/me')
      if (s.kind === 'jwt') {
        const refresh = await onB.refresh()
        s.check((refresh.status === 200) === shared, t.refreshOnB(refresh.status === 200 ? '200' : r(refresh), sharedName))
      }
      return res.status === 200 ? { outcome: 'works', detail: t.bAnswers('200') } : { outcome: 'rejected', detail: t.bAnswers(r(res)) }
    }
  },
  {
    id: 11,
    slug: 'redis-down',
    needsOwnServers: true,
    expect: target => {
      const t = words('redis-down')
      // Stopping the store means stopping PostgreSQL: the shared database is never stopped (see notOnPostgres).
      if (target.store === 'postgres') return { outcome: 'skipped', why: t.notOnPostgres }
      return { outcome: target.strategy === 'jwt-none' ? 'keeps-working' : 'fails-closed', why: t.why[target.strategy] }
    },
    async run (s) {
      const t = words('redis-down')
      if (s.target.store === 'postgres') {
        s.say(t.notOnPostgres)
        return { outcome: 'skipped', detail: t.notOnPostgresDetail }
      }
      if (!hasRedisServer()) {
        if (process.env.CI === 'true') throw new Error('CI=true but redis-server is not installed')
        s.say(t.noRedisServer)
        return { outcome: 'skipped', detail: t.noRedisDetail }
      }
      const redis = await startRedisServer({ persist: true })
      s.onCleanup(async () => { await redis.dispose() })
      // The cached mode keeps its cache in front of this Redis too: it must fail closed all the same.
      const cached = s.target.store === 'redis-cached'
      const server = await s.server({}, { store: cached ? 'redis-cached' : 'redis', redisUrl: redis.url })
      s.say(t.ownRedis(redis.url, cached))
      const browser = s.actor(server, 'aliceBrowser')
      await browser.login(alice)
      await browser.call('/api/me')
      s.say(t.stops)
      await redis.stop(true)
      s.mark()
      const stoppedAt = Date.now()
      const down = await browser.call('/api/me')
      let cacheAnswered = false
      let closedAfter: number | null = null
      if (cached && s.target.strategy !== 'jwt-none' && down.status === 200) {
        // AUTH_CACHE answered before this instance handled the lost connection (safe: a stopped Redis takes
        // no revocation). Report it as it is, and how long it took to fail closed after all.
        cacheAnswered = true
        await until(async () => {
          if ((await browser.call('/api/me', { quiet: true })).status !== 503) return false
          closedAfter = Date.now() - stoppedAt
          return true
        }, 3000)
        s.say(t.cacheAnsweredWhileDown(down.storeOps ?? '?', closedAfter === null ? null : String(closedAfter)))
      }
      if (s.kind === 'jwt') {
        const refresh = await browser.refresh()
        s.check(refresh.status === 503, t.refreshNeedsStore(r(refresh)))
      }
      const login = await s.actor(server, 'bob').login(bob)
      s.check(login.status === 503, t.loginNeedsStore(r(login)))
      s.say(t.starts)
      await redis.restart()
      const started = Date.now()
      const ready = await waitReady(server.url, { timeoutMs: 15_000 }).then(() => true, () => false)
      s.check(ready, t.readyAgain(((Date.now() - started) / 1000).toFixed(1)))
      const back = await browser.call('/api/me')
      if (s.kind === 'jwt') {
        const refresh = await browser.refresh({ quiet: false })
        s.check(refresh.status === 200, t.refreshWorks(refresh.status))
      }
      s.check(back.status === 200, t.sameCredential(back.status))
      if (down.status === 500) s.say(t.serverLogged(server.errors.join(' | ').slice(0, 1500)))
      if (down.status === 503) return { outcome: 'fails-closed', detail: t.failsClosed(errorOf(down)) }
      // Failing closed once the instance noticed the outage is the promise; a cache that kept answering is not.
      if (cacheAnswered) return { outcome: closedAfter === null ? 'keeps-working' : 'fails-closed', detail: t.cacheAnsweredDetail(down.storeOps ?? '?', closedAfter === null ? null : String(closedAfter)) }
      if (down.status === 200) return { outcome: 'keeps-working', detail: t.keepsWorking }
      return { outcome: 'rejected', detail: t.whileDown(r(down)) }
    }
  }
]

SCENARIOS.push(...MEASURED_STORIES)
SCENARIOS.push(...SECURITY_STORIES)
