/**
 * Cost over time: a session reads the store on every request; a JWT (JWT_REVOCATION=none) only when its
 * access token is refreshed. Store commands per minute per user, for request rates and access TTLs, from
 * figures this story measures on a redis-server of its own (INFO commandstats deltas, so every command
 * counts, those run inside Lua scripts too), with and without AUTH_CACHE.
 */
import { Client } from '../http.js'
import { alice, type Observation } from '../story.js'
import { expectingOf, ownRedis, said, table, until, type StoryDef } from './common.js'

/** Requests measured per figure; the per-request figure is their average. */
const REQUESTS = 20
const REFRESHES = 5
export const RATES = [1, 10] as const
export const TTL_MINUTES = [5, 15] as const
/** The session's touch write: at most one per min(60 s, SESSION_IDLE_TTL / 10); 30 min idle here, so one a minute. */
const TOUCHES_PER_MINUTE = 1
/** AUTH_CACHE_TTL (60 s by default): a cached entry is read again at most once a minute. */
const CACHE_REREADS_PER_MINUTE = 1

export const costOverTime: StoryDef = {
  slug: 'cost-over-time',
  needsOwnServers: true,
  expect: expectingOf('cost-over-time', t => t.strategy === 'jwt-none' ? 'per-refresh' : 'per-request'),
  async run (s): Promise<Observation> {
    const t = said('cost-over-time')
    const redis = await ownRedis(s, 'the cost-over-time story (it counts commands on a Redis of its own)')
    if (redis === null) return { outcome: 'skipped', detail: t.noRedis }
    // Nothing here waits for an expiry: 60 s tokens keep a slow machine from expiring one mid-measurement.
    const env = { STORE: 'redis', JWT_ACCESS_TTL: '60s' }
    const options = { store: 'redis' as const, redisUrl: redis.url }
    const [plain, cached, rolling] = await Promise.all([
      s.server(env, options),
      s.server({ ...env, AUTH_CACHE: 'on' }, options),
      s.kind === 'session' ? s.server({ ...env, SESSION_ROLLING: 'true' }, options) : Promise.resolve(null)
    ])
    s.say(t.own(redis.url))
    const prefix = `/${s.kind}`

    /**
     * Redis commands and x-auth-store-ops per protected request, averaged over REQUESTS after a warm-up
     * (with AUTH_CACHE: until the cache answers, which needs the record read once and a first heartbeat).
     */
    async function perRequest (url: string, cache = false): Promise<{ commands: number, header: number }> {
      const c = new Client(url, 'cost/1.0')
      const login = await c.request('POST', `${prefix}/login`, { json: alice })
      const bearer = s.kind === 'jwt' ? login.body.access_token as string : null
      const me = async (): Promise<string | null> => (await c.request('GET', `${prefix}/api/me`, { bearer })).storeOps
      await me()
      if (cache) await until(async () => await me() === '0', 3000)
      let header = 0
      const delta = await redis!.count(async () => {
        for (let i = 0; i < REQUESTS; i++) header += Number(await me() ?? 0)
      })
      return { commands: delta.total / REQUESTS, header: header / REQUESTS }
    }

    const base = await perRequest(plain.url)
    const hot = await perRequest(cached.url, true)
    s.say(t.perRequest(base.commands.toFixed(2), base.header.toFixed(2), REQUESTS))
    s.say(t.perRequestCached(hot.commands.toFixed(2), hot.header.toFixed(2)))
    s.check(Math.abs(base.commands - base.header) < 0.01, t.headerAgrees(base.commands.toFixed(2), base.header.toFixed(2)))

    // What a login costs beside its requests: refreshes for JWTs, touch writes for sessions.
    let refresh = 0
    let touch = 0
    if (s.kind === 'jwt') {
      const c = new Client(plain.url, 'cost/1.0')
      await c.request('POST', '/jwt/login', { json: alice })
      const delta = await redis.count(async () => {
        for (let i = 0; i < REFRESHES; i++) {
          const r = await c.request('POST', '/jwt/refresh')
          if (r.status !== 200) throw new Error(`refresh: ${r.status} ${r.text}`)
        }
      })
      refresh = delta.total / REFRESHES
      s.say(t.perRefresh(refresh.toFixed(1), Object.entries(delta.byCommand).map(([k, v]) => `${k} ${v / REFRESHES}`).join(', ')))
    } else {
      // SESSION_ROLLING=true writes on every request: its extra commands are what one touch write costs.
      const rolled = await perRequest(rolling!.url)
      touch = rolled.commands - base.commands
      s.say(t.perTouch(touch.toFixed(1)))
    }

    const perMinute = (rate: number, ttl: number, perReq: number, cache: boolean): number => {
      const requests = 60 * rate
      const reads = cache ? Math.min(requests, CACHE_REREADS_PER_MINUTE) * (s.target.strategy === 'jwt-none' ? 0 : 1) : requests * perReq
      return s.kind === 'jwt' ? reads + refresh / ttl : reads + TOUCHES_PER_MINUTE * touch
    }
    const rows = [[t.colRate, ...TTL_MINUTES.map(ttl => t.colTtl(ttl)), ...TTL_MINUTES.map(ttl => t.colTtlCached(ttl))]]
    for (const rate of RATES) {
      rows.push([t.rate(rate), ...TTL_MINUTES.map(ttl => perMinute(rate, ttl, base.commands, false).toFixed(1)), ...TTL_MINUTES.map(ttl => perMinute(rate, ttl, base.commands, true).toFixed(1))])
    }
    s.say(`${t.tableTitle(s.target.strategy)}\n${table(rows)}`)
    s.say(s.kind === 'session' ? t.formulaSession : t.formulaJwt)
    const at10 = perMinute(10, 15, base.commands, false)
    const at1 = perMinute(1, 15, base.commands, false)
    if (base.commands >= 0.5) {
      s.check(at10 > at1 * 5, t.scalesWithRate(at1.toFixed(1), at10.toFixed(1)))
      return { outcome: 'per-request', detail: t.detailPerRequest(base.commands.toFixed(2), at10.toFixed(0)) }
    }
    s.check(Math.abs(at10 - at1) < 0.01, t.flatInRate(at10.toFixed(2)))
    return { outcome: 'per-refresh', detail: t.detailPerRefresh(refresh.toFixed(1), perMinute(10, 5, 0, false).toFixed(2)) }
  }
}
