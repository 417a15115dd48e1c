/**
 * Stale claims beyond the role: an admin renames alice (POST /admin/users/:username/username). The role
 * story shows one claim going stale; the username is another: an access token carries
 * `preferred_username` from its issue until it is refreshed, in every JWT mode, because a rename bumps no
 * version (it ends nothing). A session's record is rewritten by the rename, so its next request shows the
 * new name.
 */
import { decodeJwt } from '../http.js'
import { alice, errorOf, type Observation } from '../story.js'
import { expectingOf, said, type StoryDef } from './common.js'

const NEW_NAME = 'alice-renamed'

export const rename: StoryDef = {
  slug: 'rename',
  needsOwnServers: true,
  expect: expectingOf('rename', t => t.strategy === 'session' ? 'renamed' : 'until-refresh'),
  async run (s): Promise<Observation> {
    const t = said('rename')
    const { server, browser } = await s.aliceLoggedIn()
    const before = await browser.call('/api/me')
    s.check(before.body?.username === 'alice', t.before(String(before.body?.username)))
    const admin = await s.admin(server)
    s.onCleanup(async () => {
      // Back to alice for whatever runs next on this server (a fresh admin login: the story's may have expired).
      const restorer = await s.admin(server)
      await restorer.client.request('POST', `/admin/users/${NEW_NAME}/username`, { json: { username: 'alice' }, bearer: restorer.access })
    })
    s.say(t.renames(NEW_NAME))
    if (admin.kind === 'jwt' && (admin.accessExp() ?? 0) - Date.now() / 1000 < 1.5) await admin.refresh({ quiet: true })
    const renamed = await admin.client.request('POST', '/admin/users/alice/username', { json: { username: NEW_NAME }, bearer: admin.access })
    admin.printReply('POST', '/admin/users/alice/username', renamed)
    s.mark()
    if (renamed.status !== 200) throw new Error(`rename: ${renamed.status} ${renamed.text}`)
    if (browser.access !== null) {
      const ver = Number(decodeJwt(browser.access).payload.ver)
      s.check(renamed.body.user.version === ver, t.noVersionBump(ver, Number(renamed.body.user.version)))
    }
    const newLogin = await s.actor(server, 'newPassword').login({ username: NEW_NAME, password: alice.password }, { quiet: true })
    s.check(newLogin.status === 200, t.newNameLogsIn(newLogin.status))
    if (s.kind === 'session') {
      const me = await browser.call('/api/me')
      return me.status === 200 && me.body.username === NEW_NAME
        ? { outcome: 'renamed', detail: t.sessionAtOnce(NEW_NAME) }
        : { outcome: 'works', detail: t.sessionStale(`${me.status} ${String(me.body?.username ?? errorOf(me))}`) }
    }
    // "Accepted" here means: still answering with the old name. Measured until the token stops answering.
    const seen = await s.judge(browser, '/api/me', res => res.status < 300 && res.body?.username === 'alice')
    s.say(t.refreshes)
    const refreshed = await browser.refresh()
    const after = await browser.call('/api/me')
    s.check(refreshed.status === 200 && after.body?.username === NEW_NAME, t.refreshBringsName(String(after.body?.username ?? after.status)))
    if (seen.outcome === 'until-exp') return { outcome: 'until-refresh', detail: t.tokenStale(String(seen.seconds ?? '?')), ...(seen.seconds === undefined ? {} : { seconds: seen.seconds }) }
    return { outcome: seen.outcome === 'rejected' ? 'rejected' : 'works', detail: seen.detail }
  }
}
