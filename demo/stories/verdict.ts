/**
 * The closing story, "is JWT a bad default?": the project's own figures side by side, measured here on one
 * demo server that mounts the session and every JWT mode (/session, /jwt = none, /jwt-denylist,
 * /jwt-version): bytes per request, store round trips per request, what the server keeps per login,
 * how long a copied credential works after logout, and the client code a JWT needs on top. CPU figures
 * only from bench/results/latest.json, when there is one, with its date and commit. Then the note's
 * critique and the counter-arguments, so the class ends on evidence.
 */
import { existsSync, readFileSync } from 'node:fs'
import { COOKIES } from '../../harness/fixtures.js'
import { MECHANISMS, promised, type Mechanism } from '../../harness/promises.js'
import { alice, type Observation } from '../story.js'
import { Client, decodeJwt } from '../http.js'
import { expectingOf, mountOf, said, table, wire, type StoryDef } from './common.js'

/**
 * The JWT-only client code of the runner, counted in demo/story.ts's own source: the lines of Actor's
 * `refresh` (renewing the access token) and `accessExp` (knowing when it expires), each from its first line
 * to its closing brace. Everything else the runner's client does (send a request, keep cookies) both
 * strategies use alike, and a browser does it for any cookie.
 */
export function jwtClientLines (): { methods: string[], lines: number } {
  const source = readFileSync(new URL('../story.ts', import.meta.url), 'utf8').split('\n')
  const methods = ['refresh', 'accessExp']
  let lines = 0
  for (const method of methods) {
    const start = source.findIndex(line => new RegExp(`^  (async )?${method} \\(`).test(line))
    const end = source.findIndex((line, i) => i > start && line === '  }')
    if (start < 0 || end < 0) throw new Error(`demo/story.ts: no method ${method} of Actor`)
    lines += end - start + 1
  }
  return { methods, lines }
}

interface Figures {
  bytes: number
  storeOps: string
  keeps: number | null
  windowSec: number | null
  endedBy: string
}

/** bench/results/latest.json's CPU per request (median of its rounds), if the file exists. */
function benchCpu (): { when: string, commit: string, rows: Array<[string, number]> } | null {
  const file = 'bench/results/latest.json'
  if (!existsSync(file)) return null
  const report = JSON.parse(readFileSync(file, 'utf8'))
  const names: Record<Mechanism, string> = { session: 'session-redis', 'jwt-none': 'jwt-none', 'jwt-denylist': 'jwt-denylist', 'jwt-version': 'jwt-version' }
  const rows: Array<[string, number]> = []
  for (const m of MECHANISMS) {
    const scenario = (report.scenarios ?? []).find((x: any) => x.name === names[m])
    const cpu = scenario?.load?.median?.serverCpuUs
    if (typeof cpu === 'number') rows.push([names[m], cpu])
  }
  return { when: String(report.finishedAt ?? report.startedAt ?? '?'), commit: String(report.machine?.gitCommit ?? '?'), rows }
}

export const verdict: StoryDef = {
  slug: 'verdict',
  needsOwnServers: true,
  expect: expectingOf('verdict', t => promised(t.strategy, 'logout') === 'immediate' ? 'rejected' : 'until-exp'),
  async run (s): Promise<Observation> {
    const t = said('verdict')
    const server = await s.server({ AUTH_STRATEGIES: 'session,jwt', JWT_REVOCATION: 'none' })
    s.say(t.oneServer)
    const figures = new Map<Mechanism, Figures>()
    await Promise.all(MECHANISMS.map(async mechanism => {
      const mount = mountOf(mechanism)
      const client = new Client(server.url, `verdict-${mechanism}/1.0`)
      const login = await client.request('POST', `${mount}/login`, { json: alice })
      if (login.status !== 200) throw new Error(`${mount}/login: ${login.status} ${login.text}`)
      const bearer = mechanism === 'session' ? null : login.body.access_token as string
      const sid = client.cookies.get(COOKIES.session)
      const credential: Record<string, string> = bearer === null ? { cookie: `${sid!.name}=${sid!.value}` } : { authorization: `Bearer ${bearer}` }
      const once = await wire(server.url, `${mount}/api/me`, credential)
      const inspect = await client.request('GET', `${mount}/demo/inspect`, { bearer })
      const keeps = inspect.status === 200
        ? (inspect.body.serverKeeps as Array<{ key: string, value: unknown }>).filter(k => k.value !== null).reduce((n, k) => n + k.key.length + JSON.stringify(k.value).length, 0)
        : null
      // Logout, then the credential copied before it: how long it keeps working (polled every 250 ms).
      await client.request('POST', `${mount}/logout`, { bearer })
      const loggedOutAt = Date.now()
      let windowSec: number | null = null
      let endedBy = ''
      const exp = bearer === null ? Date.now() : 1000 * Number(decodeJwt(bearer).payload.exp)
      for (;;) {
        const res = await wire(server.url, `${mount}/api/me`, credential)
        if (res.status !== 200) {
          windowSec = Math.round((Date.now() - loggedOutAt) / 100) / 10
          endedBy = `${res.status} ${String(res.body?.error ?? '')}`
          break
        }
        if (Date.now() > exp + 3000) break
        await new Promise(resolve => setTimeout(resolve, 250))
      }
      figures.set(mechanism, { bytes: once.bytes, storeOps: once.storeOps ?? '?', keeps, windowSec, endedBy })
    }))

    const clientCode = jwtClientLines()
    const rows = [[t.colMechanism, t.colBytes, t.colStoreOps, t.colKeeps, t.colWindow, t.colClient]]
    for (const mechanism of MECHANISMS) {
      const f = figures.get(mechanism)!
      rows.push([
        mechanism,
        String(f.bytes),
        f.storeOps,
        f.keeps === null ? '?' : String(f.keeps),
        f.windowSec === null ? t.never : f.windowSec < 0.5 ? t.atOnce(f.endedBy) : t.seconds(f.windowSec, f.endedBy),
        mechanism === 'session' ? '0' : `+${clientCode.lines}`
      ])
    }
    s.say(`${t.tableTitle}\n${table(rows)}`)
    s.say(t.notes(clientCode.methods.join(', ')))
    const cpu = benchCpu()
    s.say(cpu === null ? t.noBench : t.bench(cpu.when, cpu.commit, cpu.rows.map(([name, us]) => `${name} ${us.toFixed(1)} µs`).join(', ')))
    for (const line of t.critique) s.say(`${t.critiqueTag} ${line}`)
    for (const line of t.counter) s.say(`${t.counterTag} ${line}`)
    s.say(t.evidence(figures.get('session')!.bytes, figures.get('jwt-none')!.bytes))

    const own = figures.get(s.target.strategy)!
    s.check(figures.get('session')!.bytes < figures.get('jwt-none')!.bytes, t.sessionSmaller(figures.get('session')!.bytes, figures.get('jwt-none')!.bytes))
    s.check(figures.get('jwt-none')!.storeOps === '0', t.noneNoStore(figures.get('jwt-none')!.storeOps))
    if (own.windowSec === null) return { outcome: 'works', detail: t.ownNever }
    return own.windowSec < 0.5
      ? { outcome: 'rejected', detail: t.ownAtOnce(own.endedBy) }
      : { outcome: 'until-exp', detail: t.ownUntil(own.windowSec, own.endedBy), seconds: own.windowSec }
  }
}
