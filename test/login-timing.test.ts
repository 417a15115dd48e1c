/**
 * User enumeration by timing (ASVS V2.2 / OWASP authentication cheat sheet): a login for an unknown
 * username must cost what a wrong password for a real one costs, i.e. one scrypt at PASSWORD_HASH_COST,
 * so the response time does not say whether the account exists. Attempts are interleaved (in a random
 * order per pair, so load drifting on a busy machine hits both sides alike) and medians are compared.
 *
 * Tolerance: the medians may differ by at most 30 % of the wrong-password median plus 5 ms. An early
 * return that skips scrypt for unknown users answers in about 1 ms against tens of ms for a hash at
 * cost 14 (checked: with the dummy-hash verification removed from UserRepository.verifyCredentials this
 * test fails), while scheduling noise on a loaded 2-core machine moves both medians together.
 */
import t from 'tap'
import { forEachStore, startApp } from './helpers/app.js'

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

const PAIRS = 24

forEachStore(t, async (t, store) => {
  t.test('unknown user and wrong password take the same time', async t => {
    const s = await startApp(t, { STORE: store, PASSWORD_HASH_COST: '14' })
    const c = s.client()
    const attempt = async (path: string, username: string): Promise<number> => {
      const started = process.hrtime.bigint()
      const r = await c.post(path, { username, password: 'not-the-password', transport: path === '/jwt/login' ? 'body' : undefined })
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      t.equal(r.status, 401, `${path} ${username}: 401`)
      t.equal(r.body.error, 'invalid_credentials', 'the same code either way')
      return ms
    }
    // Warm-up: JIT, connection, the first scrypt allocations.
    for (let i = 0; i < 3; i++) { await attempt('/session/login', 'alice'); await attempt('/jwt/login', 'nobody-here') }

    const unknown: number[] = []
    const wrong: number[] = []
    for (let i = 0; i < PAIRS; i++) {
      const path = i % 2 === 0 ? '/session/login' : '/jwt/login'
      const who = `mallory${i}`
      if (Math.random() < 0.5) {
        unknown.push(await attempt(path, who))
        wrong.push(await attempt(path, 'alice'))
      } else {
        wrong.push(await attempt(path, 'bob'))
        unknown.push(await attempt(path, who))
      }
    }
    const mUnknown = median(unknown)
    const mWrong = median(wrong)
    const tolerance = 0.3 * mWrong + 5
    t.comment(`store=${store}: median unknown user ${mUnknown.toFixed(1)} ms, wrong password ${mWrong.toFixed(1)} ms over ${PAIRS} pairs (tolerance ${tolerance.toFixed(1)} ms)`)
    t.ok(mWrong >= 5, `a wrong password really costs a hash (${mWrong.toFixed(1)} ms), so the comparison means something`)
    t.ok(Math.abs(mUnknown - mWrong) <= tolerance,
      `medians within ${tolerance.toFixed(1)} ms: unknown ${mUnknown.toFixed(1)} ms vs wrong password ${mWrong.toFixed(1)} ms`)
  })
})
