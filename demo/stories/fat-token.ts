/**
 * Fat tokens: claims grow (group memberships, as some identity providers put in tokens) until the token no
 * longer fits a cookie (4096 bytes per cookie, the size browsers must at least keep) and every request
 * carries it. The JWT grows through the demo-only POST /jwt/demo/fat-token; the session's request is the
 * same at every size, because whatever the server keeps about the login stays in its record. Bytes are the
 * request's real bytes on the wire (common.ts wire).
 */
import { COOKIES } from '../../harness/fixtures.js'
import { Client } from '../http.js'
import { alice, errorOf, type Observation } from '../story.js'
import { expectingOf, said, table, wire, type StoryDef } from './common.js'

/** Group counts the story issues tokens for. */
export const GROUP_STEPS = [0, 25, 50, 100, 110, 200] as const
/** The most a browser must keep of one cookie (name, value and attributes; RFC 6265 §6.1). */
export const COOKIE_LIMIT = 4096

export const fatToken: StoryDef = {
  slug: 'fat-token',
  needsOwnServers: true,
  expect: expectingOf('fat-token', t => t.strategy === 'session' ? 'same-size' : 'grows'),
  async run (s): Promise<Observation> {
    const t = said('fat-token')
    // Both strategies on one server, so one table compares them; /jwt runs the story's mode.
    const server = await s.server({ AUTH_STRATEGIES: 'session,jwt' })
    const browser = new Client(server.url, 'fat-token/1.0')
    const sessionLogin = await browser.request('POST', '/session/login', { json: alice })
    const jwtLogin = await browser.request('POST', '/jwt/login', { json: alice })
    if (sessionLogin.status !== 200 || jwtLogin.status !== 200) throw new Error(`login failed: ${sessionLogin.status}/${jwtLogin.status}`)
    const sid = browser.cookies.get(COOKIES.session)!
    const cookie = `${sid.name}=${sid.value}`
    const access = jwtLogin.body.access_token as string
    s.say(t.how)
    const rows = [[t.colGroups, t.colToken, t.colCookie, t.colJwtRequest, t.colSessionRequest, t.colAnswer]]
    const jwtBytes: number[] = []
    const sessionBytes: number[] = []
    let refused = ''
    for (const groups of GROUP_STEPS) {
      const fat = await browser.request('POST', '/jwt/demo/fat-token', { json: { groups }, bearer: access })
      if (fat.status !== 200) throw new Error(`POST /jwt/demo/fat-token: ${fat.status} ${fat.text}`)
      const token = fat.body.access_token as string
      const [viaJwt, viaSession] = await Promise.all([
        wire(server.url, '/jwt/api/me', { authorization: `Bearer ${token}` }),
        wire(server.url, '/session/api/me', { cookie })
      ])
      jwtBytes.push(viaJwt.bytes)
      sessionBytes.push(viaSession.bytes)
      // As a cookie it would be `at=<token>` plus its attributes: the value alone already decides.
      const fits = `at=${token}`.length <= COOKIE_LIMIT
      const answer = viaJwt.status === 200 ? '200' : `${viaJwt.status} ${errorOf({ body: viaJwt.body } as never)}`
      if (viaJwt.status !== 200 && refused === '') refused = t.refusedAt(groups, token.length, answer)
      rows.push([String(groups), String(token.length), fits ? t.yes : t.no, String(viaJwt.bytes), String(viaSession.bytes), answer])
    }
    s.say(table(rows))
    const grows = jwtBytes.every((b, i) => i === 0 || b > jwtBytes[i - 1]!)
    const same = sessionBytes.every(b => b === sessionBytes[0])
    const perGroup = (jwtBytes.at(-1)! - jwtBytes[0]!) / (GROUP_STEPS.at(-1)! - GROUP_STEPS[0])
    s.check(grows, t.jwtGrows(jwtBytes[0]!, jwtBytes.at(-1)!, perGroup.toFixed(1)))
    s.check(same, t.sessionSame(sessionBytes[0]!))
    s.check(refused !== '', refused === '' ? t.neverRefused : refused)
    s.say(t.perMinute(jwtBytes[0]!, jwtBytes[2]!, sessionBytes[0]!))
    const first = jwtBytes[0]!
    const last = jwtBytes.at(-1)!
    if (s.kind === 'session') {
      return same ? { outcome: 'same-size', detail: t.detailSession(sessionBytes[0]!) } : { outcome: 'grows', detail: t.detailJwt(sessionBytes[0]!, sessionBytes.at(-1)!) }
    }
    return grows ? { outcome: 'grows', detail: t.detailJwt(first, last) } : { outcome: 'same-size', detail: t.detailJwt(first, last) }
  }
}
