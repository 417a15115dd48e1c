/**
 * "Flag, don't block": a stolen refresh token is used from another address. The notes suggest refusing a
 * refresh from an unknown IP or device; that would log out every phone that changes networks, so the
 * project records instead: the refresh works, and the login's owner sees a flag on her device list
 * (GET /{mount}/devices) and can end that login. The attacker works through the demo's attacker tool
 * (POST /demo/attack, remote address 203.0.113.66), so the story also runs against --url.
 */
import type { Scenario } from '../scenarios.js'
import { m } from '../i18n/index.js'
import { alice, errorOf, type Actor, type Outcome } from '../story.js'
import type { Reply } from '../http.js'

const words = (): ReturnType<typeof m>['scenarios']['new-device'] => m().scenarios['new-device']

interface ListedDevice { id: string, current: boolean, ip: string, userAgent: string, flags?: Array<{ kind: string, ip: string, userAgent: string, at: string }> }

/** A request of `actor` outside its strategy's usual calls, printed like every other step. */
async function request (actor: Actor, method: string, path: string, json?: unknown): Promise<Reply> {
  await actor.story.pause()
  const r = await actor.client.request(method, path, { ...(json === undefined ? {} : { json }), bearer: actor.access })
  actor.printReply(method, path, r)
  return r
}

export const newDevice: Scenario = {
  id: 20,
  slug: 'new-device',
  expect: t => ({ outcome: t.strategy === 'session' ? 'not-flagged' : 'flagged', why: words().why[t.strategy] }),
  async run (s) {
    const t = words()
    const server = await s.server()
    const victim = s.actor(server, 'alice')
    const attacker = s.actor(server, 'attacker')
    await victim.login(alice)
    s.say(s.kind === 'jwt' ? t.stealsRefresh : t.stealsCookie)
    // The steal route copies what this request carries (the refresh cookie rides under Path=/jwt).
    const stolen = await request(victim, 'POST', `${victim.prefix}/demo/steal`)
    if (stolen.status !== 200) throw new Error(`steal: ${stolen.status} ${errorOf(stolen)}`)
    s.say(s.kind === 'jwt' ? t.attackerRefreshes : t.attackerCalls)
    const attack = await request(attacker, 'POST', '/demo/attack', { loot: stolen.body.loot, action: s.kind === 'jwt' ? 'refresh' : 'me' })
    const replayed = attack.body as { status: number, path: string }
    s.check(replayed.status === 200, t.notBlocked(`${replayed.path} → ${replayed.status}`))
    s.mark()
    s.say(t.victimLooks)
    const listed = await request(victim, 'GET', `${victim.prefix}/devices`)
    const devices = Array.isArray(listed.body) ? listed.body as ListedDevice[] : []
    const own = devices.find(d => d.current)
    for (const d of devices) s.say(t.device(d.userAgent, d.ip, (d.flags ?? []).map(f => `${f.kind} ${f.ip} ${f.userAgent}`).join(', ')))
    const flag = own?.flags?.find(f => f.kind === 'new_address' && f.ip === '203.0.113.66')
    const outcome: Outcome = flag === undefined ? 'not-flagged' : 'flagged'
    await victim.inspect()
    if (own !== undefined) {
      s.say(flag === undefined ? t.nothingToSee : t.endsIt)
      const ended = await request(victim, 'DELETE', `${victim.prefix}/devices/${own.id}`)
      s.check(ended.status === 204, t.ended(ended.status))
      const after = await request(attacker, 'POST', '/demo/attack', { loot: stolen.body.loot, action: s.kind === 'jwt' ? 'refresh' : 'me' })
      const status = (after.body as { status: number }).status
      s.check(status === 401, t.attackerOut(status))
    }
    return { outcome, detail: flag === undefined ? t.notFlaggedDetail(replayed.status) : t.flaggedDetail(replayed.status, flag.ip) }
  }
}
