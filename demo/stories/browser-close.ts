/**
 * Sessions that end when the browser closes: a cookie without Max-Age or Expires (a browser-session cookie,
 * SESSION_COOKIE_PERSISTENT=false) against a persistent one (the default). The runner's cookie jar plays
 * the browser restart: it drops every cookie that has neither attribute, and the page's memory (where a
 * JWT client keeps its access token) is gone too. A JWT login comes back through its refresh cookie, which
 * is persistent (Max-Age); a session login survives only with a persistent cookie. Closing the browser is
 * not a logout either way: the server still holds the record until its idle limit.
 */
import { alice, errorOf, type Actor, type Observation } from '../story.js'
import { expectingOf, said, type StoryDef } from './common.js'

/** What a browser keeps when it restarts: the cookies with Max-Age or Expires. Returns the names it dropped. */
export function restartBrowser (actor: Actor): string[] {
  const dropped: string[] = []
  for (const [name, c] of actor.client.cookies) {
    if (c.attributes['max-age'] === undefined && c.attributes.expires === undefined) {
      actor.client.cookies.delete(name)
      dropped.push(name)
    }
  }
  // Script memory does not survive either: a JWT client's access token is gone.
  actor.access = null
  return dropped
}

const r = (reply: { status: number, body: any }): string => reply.status < 300 ? String(reply.status) : `${reply.status} ${errorOf(reply as never)}`

export const browserClose: StoryDef = {
  slug: 'browser-close',
  needsOwnServers: true,
  expect: expectingOf('browser-close', t => t.strategy === 'session' ? 'by-setting' : 'survives-restart'),
  async run (s): Promise<Observation> {
    const t = said('browser-close')
    const restart = async (actor: Actor): Promise<void> => {
      const dropped = restartBrowser(actor)
      s.say(t.restarts(dropped.length === 0 ? t.nothingDropped : dropped.join(', ')))
      actor.holds()
    }
    if (s.kind === 'jwt') {
      const { browser } = await s.aliceLoggedIn()
      s.say(t.jwtHolds)
      await restart(browser)
      const bare = await browser.call('/api/me')
      s.check(bare.status === 401, t.accessGone(r(bare)))
      const refresh = await browser.refresh()
      const back = await browser.call('/api/me')
      return refresh.status === 200 && back.status === 200
        ? { outcome: 'survives-restart', detail: t.jwtBack }
        : { outcome: 'rejected', detail: r(refresh) }
    }
    // Two session servers: the default, and SESSION_COOKIE_PERSISTENT=false.
    const [persistent, browserSession] = await Promise.all([s.server(), s.server({ SESSION_COOKIE_PERSISTENT: 'false' })])
    s.say(t.twoServers)
    const kept = s.actor(persistent, 'aliceLaptop')
    await kept.login(alice)
    const gone = s.actor(browserSession, 'alicePhone')
    await gone.login(alice)
    const copy = s.actor(browserSession, 'oldCopy')
    gone.client.copyCookiesTo(copy.client)
    await restart(kept)
    await restart(gone)
    const keptAfter = await kept.call('/api/me')
    const goneAfter = await gone.call('/api/me')
    s.check(keptAfter.status === 200, t.persistentSurvives(r(keptAfter)))
    s.check(goneAfter.status === 401, t.sessionCookieGone(r(goneAfter)))
    s.say(t.notALogout)
    const stillThere = await copy.call('/api/me')
    s.check(stillThere.status === 200, t.recordStays(r(stillThere)))
    await copy.inspect()
    return keptAfter.status === 200 && goneAfter.status === 401
      ? { outcome: 'by-setting', detail: t.sessionDetail }
      : { outcome: keptAfter.status === 200 ? 'survives-restart' : 'rejected', detail: `${r(keptAfter)} / ${r(goneAfter)}` }
  }
}
