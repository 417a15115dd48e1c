/**
 * Scale-out behind a load balancer, four ways: memory stores with round robin, memory stores with sticky
 * sessions (until the instance dies), one shared store (the run's --store when it is a shared one, else
 * Redis), and the cached mode (STORE=redis AUTH_CACHE=on).
 * The runner plays the balancer over two instances it starts itself (demo/servers.ts): it alternates
 * between them for round robin and keeps to one for sticky; `npm run cluster` (scale/) runs the same
 * setups behind a real HAProxy.
 */
import { promised } from '../../harness/promises.js'
import { m } from '../i18n/index.js'
import { newKeyPrefix, type RunningServer } from '../servers.js'
import { alice, errorOf, isRedisStore, isSharedStore, type Actor, type Observation, type StoreKind, type Story } from '../story.js'
import { expectingOf, ownRedis, said, until, type StoryDef } from './common.js'

const r = (reply: { status: number, body: any }): string => reply.status < 300 ? String(reply.status) : `${reply.status} ${errorOf(reply as never)}`

/**
 * This story's instances do not wait for an access token to expire: 60 s tokens keep a slow machine from
 * turning a step into an expiry. Every instance shares the demo secrets (DEMO_ENV).
 */
const ENV = { JWT_ACCESS_TTL: '60s' }

/**
 * Every instance the story needs, two at a time: the memory pair, the first of each shared pair, then the
 * second of each shared pair (the first creates the demo users the second then finds).
 * A shared pair shares one key prefix: two instances of one app. The shared pair runs on `sharedStore`
 * (PostgreSQL needs no Redis); the cached pair needs Redis.
 */
async function instances (s: Story, sharedStore: StoreKind, redisUrl: string | null): Promise<{ memory: [RunningServer, RunningServer], shared: [RunningServer, RunningServer] | null, cached: [RunningServer, RunningServer] | null }> {
  const memory = { store: 'memory' as const }
  const withRedis = redisUrl === null ? {} : { redisUrl }
  const shared = sharedStore === 'postgres' || redisUrl !== null ? { store: sharedStore, keyPrefix: newKeyPrefix(), ...withRedis } : null
  const cached = redisUrl === null ? null : { store: 'redis-cached' as const, keyPrefix: newKeyPrefix(), ...withRedis }
  // Two at a time: stories run four at once (--jobs), and six servers starting together on a small machine miss their start window.
  const [ma, mb] = await Promise.all([s.server(ENV, memory), s.server(ENV, memory)])
  const pair = async (): Promise<[RunningServer | null, RunningServer | null]> => await Promise.all([
    shared === null ? null : s.server(ENV, shared), cached === null ? null : s.server(ENV, cached)
  ])
  const [sa, ca] = await pair()
  const [sb, cb] = await pair()
  return { memory: [ma, mb], shared: sa === null || sb === null ? null : [sa, sb], cached: ca === null || cb === null ? null : [ca, cb] }
}

export const loadBalancer: StoryDef = {
  slug: 'load-balancer',
  needsOwnServers: true,
  expect: expectingOf('load-balancer', t => t.strategy === 'session' || t.strategy === 'jwt-version' ? 'shared-store' : 'any-instance'),
  async run (s): Promise<Observation> {
    const t = said('load-balancer')
    const jwt = s.kind === 'jwt'

    // The shared setup runs on --store's store when it is a shared one (the plain one for redis-cached: the
    // cached setup comes next), else on Redis; the Redis for it and the cached setup: --store's, else a
    // redis-server of the story's own.
    const sharedStore: StoreKind = s.target.store === 'postgres' ? 'postgres' : 'redis'
    const sharedName = m().stores[sharedStore]
    const redisUrl = isRedisStore(s.target.store) ? s.target.redisUrl : (await ownRedis(s, `the ${isSharedStore(s.target.store) ? 'cached part' : 'shared-Redis and cached parts'} of the load-balancer story`))?.url ?? null
    const { memory: [a, b], shared, cached } = await instances(s, sharedStore, redisUrl)

    // 1. Memory stores, round robin: the runner sends request n to instance n mod 2.
    s.say(t.roundRobin(a.url, b.url))
    const viaA = s.actor(a, 'viaA')
    await viaA.login(alice)
    const viaB = s.actor(b, 'viaB')
    viaA.stealInto(viaB)
    const onB = await viaB.call('/api/me')
    if (jwt) {
      const refreshB = await viaB.refresh({ quiet: true })
      s.check(refreshB.status === 401, t.refreshOnlyWhereIssued(r(refreshB)))
    }
    const worksOnB = onB.status === 200

    // 2. Memory stores, sticky: every request to A, until A dies; then the balancer can only send it to B.
    s.say(t.sticky)
    const sticky = s.actor(a, 'aliceBrowser')
    await sticky.login(alice, { quiet: true })
    let stickyOk = true
    for (let i = 0; i < 3; i++) stickyOk = (await sticky.call('/api/me', { quiet: i > 0 })).status === 200 && stickyOk
    s.check(stickyOk, t.stickyWorks)
    s.say(t.kills)
    await a.stop()
    const moved = s.actor(b, 'viaB')
    sticky.stealInto(moved)
    const afterDeath = await moved.call('/api/me')
    s.check((afterDeath.status === 200) === worksOnB, t.afterDeath(r(afterDeath)))
    if (jwt) {
      const refresh = await moved.refresh({ quiet: true })
      s.check(refresh.status === 401, t.refreshDied(r(refresh)))
    }

    if (shared === null) s.say(t.noRedis)
    else {
      // 3. One shared store, round robin: either instance answers for every login.
      const [ra, rb] = shared
      s.say(t.shared(sharedName))
      const sa = s.actor(ra, 'viaA')
      await sa.login(alice, { quiet: true })
      const sb = s.actor(rb, 'viaB')
      sa.stealInto(sb)
      const answer = await sb.call('/api/me')
      s.check(answer.status === 200, t.sharedWorks(r(answer)))
      if (jwt) {
        const refresh = await sb.refresh({ quiet: true })
        s.check(refresh.status === 200, t.sharedRefresh(r(refresh), sharedName))
      }
      if (cached === null) s.say(t.noRedisCached)
      else await cachedPart(s, cached)
    }
    return worksOnB
      ? { outcome: 'any-instance', detail: t.detailAny(r(onB), sharedName) }
      : { outcome: 'shared-store', detail: t.detailShared(r(onB), sharedName) }
  }
}

/**
 * 4. STORE=redis AUTH_CACHE=on: B answers from its cache (0 store ops) once warm; a logout through A reaches
 * B's cache through Redis's invalidation before A even answers, so B judges the very next request afresh.
 */
async function cachedPart (s: Story, [ca, cb]: [RunningServer, RunningServer]): Promise<void> {
  const t = said('load-balancer')
  s.say(t.cached)
  const holder = s.actor(ca, 'viaA')
  await holder.login(alice, { quiet: true })
  const onB: Actor = s.actor(cb, 'viaB')
  holder.stealInto(onB)
  // The cache serves once its invalidation channel is confirmed (a heartbeat) and the record was read once.
  let last = await onB.call('/api/me', { quiet: true })
  const warm = await until(async () => {
    last = await onB.call('/api/me', { quiet: true })
    return last.status === 200 && last.storeOps === '0'
  }, 3000)
  onB.printReply('GET', `${onB.prefix}/api/me`, last)
  const none = s.target.strategy === 'jwt-none'
  s.check(warm, t.cachedZero(last.storeOps ?? '?', none))
  s.say(t.logoutOnA)
  await holder.logout()
  const after = await onB.call('/api/me')
  const immediate = promised(s.target.strategy, 'logout') === 'immediate'
  s.check(immediate ? after.status === 401 : after.status === 200, t.cachedAfterLogout(r(after), immediate))
}
