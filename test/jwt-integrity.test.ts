/**
 * Refresh-token revocation that is final, and admin changes that are never left half done.
 *
 * 1. Logins racing an account change: a login whose password (or account state) was replaced by a
 *    password change, disable or revoke-all before the login was recorded does not survive it: 32
 *    concurrent logins around a change, and the same race made deterministic.
 * 2. Every refresh compares the family's login epoch with the user's: a family recorded before a
 *    change that its ending missed is refused at its next refresh (families older than the field: 0).
 * 3. A refresh whose family ended between spending the token and recording the rotation issues
 *    nothing: no access token, no refresh token.
 * 4. REFRESH_REUSE_GRACE cannot fork a login: a retry kills the first successor, only the immediately
 *    previous token qualifies, and once its successor was used the retry is reuse.
 * 5. An admin change whose strategy part fails after the user was bumped is retried, or answered with
 *    503 change_incomplete, never 200 half done.
 *
 * Everything goes over real HTTP against the real app and a real store. To land a concurrent event at
 * an exact point (between two store operations of one request), some tests wrap one method of the
 * app's real store for one call: the wrapper runs the other request, over HTTP, at that moment, then
 * the real operation. Test 5 also injects a store failure that way (memory has no other way to fail),
 * and on Redis stops a real redis-server between the bump and the ending.
 */
import { createHash } from 'node:crypto'
import t, { type Test } from 'tap'
import { StoreUnavailableError, type KvStore } from '../src/stores/index.js'
import { forEachStore, ownRedisTest, startApp, waitFor, type TestApp } from './helpers/app.js'
import { startOwnRedis } from './helpers/redis.js'
import type { Reply } from './helpers/http.js'
import { admin, bob, decodeJwt, jwtLogin, type JwtLogin } from './helpers/jwt.js'
import { JWT_KEYS } from '../src/strategies/jwt/store-keys.js'
import { SESSION_KEYS } from '../src/strategies/session/session-records.js'

type Method = 'get' | 'set' | 'swap' | 'setMembers'

/**
 * Wraps one method of the app's store: the first call whose key matches runs `before` (ahead of the
 * real call) or `after` (once it returned, before the caller sees the result). `fired` tells whether
 * it happened. Removed at teardown; `times` > 1 intercepts that many calls.
 */
function intercept (t: Test, store: KvStore, method: Method, match: (key: string) => boolean,
  hooks: { before?: () => Promise<void>, after?: () => Promise<void>, times?: number }): { fired: () => number, disarm: () => void } {
  let left = hooks.times ?? 1
  let fired = 0
  const real = (store[method] as (...args: unknown[]) => Promise<unknown>).bind(store)
  const wrapped = async (...args: unknown[]): Promise<unknown> => {
    if (left <= 0 || !match(args[0] as string)) return await real(...args)
    left--
    fired++
    if (hooks.before !== undefined) await hooks.before()
    const result = await real(...args)
    if (hooks.after !== undefined) await hooks.after()
    return result
  }
  Object.defineProperty(store, method, { value: wrapped, configurable: true, writable: true })
  const disarm = (): void => { left = 0 }
  t.teardown(() => { delete (store as unknown as Record<string, unknown>)[method] })
  return { fired: () => fired, disarm }
}

const sha256 = (token: string): string => createHash('sha256').update(token).digest('base64url')

async function userId (s: TestApp, username: string): Promise<string> {
  const user = await s.app.svj.users.findByUsername(username)
  if (user === null) throw new Error(`no user ${username}`)
  return user.id
}

/** The user's families that still have a record (the device list, without needing a login). */
async function liveFamilies (s: TestApp, username: string): Promise<string[]> {
  const id = await userId(s, username)
  const ids = await s.app.svj.store.setMembers(JWT_KEYS.userFamilies(id))
  const records = await s.app.svj.store.getMany(ids.map(f => JWT_KEYS.family(id, f)))
  return ids.filter((_f, i) => records[i] !== null)
}

async function refresh (s: TestApp, token: string): Promise<{ status: number, body: any }> {
  return await s.client().post('/jwt/refresh', { refresh_token: token })
}

async function me (s: TestApp, access: string): Promise<{ status: number, body: any }> {
  return await s.client().get('/jwt/api/me', { bearer: access })
}

const CHANGES = {
  password: { path: '/password', body: { password: 'bob-new-password' } },
  disable: { path: '/disable', body: undefined },
  revoke: { path: '/revoke', body: undefined }
} as const

forEachStore(t, async (t, store) => {
  for (const mode of ['none', 'version', 'denylist'] as const) {
    t.test(`JWT_REVOCATION=${mode}: 32 logins fired around a password change do not survive it`, async t => {
      const s = await startApp(t, { STORE: store, AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: mode })
      const boss = await jwtLogin(s, admin)
      // The change is sent among the logins: its own scrypt (hashing the new password) runs alongside
      // theirs, so it lands while most logins have read bob's record and are still checking the
      // password against it, or are recording their family.
      const login = async (): Promise<Reply> => await s.client().post('/jwt/login', { ...bob, transport: 'body' })
      const early = Array.from({ length: 8 }, login)
      const changing = s.client().post('/admin/users/bob/password', { password: 'bob-new-password' }, { bearer: boss.access })
      const logins = [...early, ...Array.from({ length: 24 }, login)]
      const change = await changing
      t.equal(change.status, 200, 'the password change is applied')
      const replies = await Promise.all(logins)
      const ok = replies.filter(r => r.status === 200)
      const refused = replies.filter(r => r.status !== 200)
      const codes = new Map<string, number>()
      for (const r of refused) codes.set(String(r.body.error), (codes.get(String(r.body.error)) ?? 0) + 1)
      t.comment(`store=${store} mode=${mode}: ${ok.length} logins got 200; refused: ${JSON.stringify(Object.fromEntries(codes))}`)
      t.ok(refused.every(r => r.status === 401 && ['invalid_credentials', 'login_superseded'].includes(r.body.error)), 'the others are refused with a stable code')
      t.ok(refused.every(r => r.body.access_token === undefined && r.body.refresh_token === undefined), 'a refused login carries no token')

      const survivors = []
      for (const r of ok) {
        const next = await refresh(s, r.body.refresh_token)
        if (next.status === 200) survivors.push('a refresh')
        if (mode !== 'none' && (await me(s, r.body.access_token)).status === 200) survivors.push('an access token')
      }
      t.same(survivors, [], `no login that got 200 refreshes${mode === 'none' ? '' : ' or authenticates'} after the change`)
      t.same(await liveFamilies(s, 'bob'), [], 'no family of bob is left')
      const fresh = await jwtLogin(s, { username: 'bob', password: 'bob-new-password' })
      t.equal((await s.client().get('/jwt/devices', { bearer: fresh.access })).body.length, 1, 'the device list shows only the login made after the change')
    })
  }

  t.test('a change that lands between the password check and the recording of the login refuses the login', async t => {
    const s = await startApp(t, { STORE: store, AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'version' })
    const boss = await jwtLogin(s, admin)
    const bobId = await userId(s, 'bob')
    for (const [change, { path, body }] of Object.entries(CHANGES)) {
      // The login has read bob's record (and is about to check the password against it) when the
      // admin's change is applied in full; then the login records its family.
      let adminReply: { status: number } = { status: 0 }
      const hook = intercept(t, s.app.svj.store, 'get', key => key === `user:${bobId}`, {
        after: async () => { adminReply = await s.client().post(`/admin/users/bob${path}`, body, { bearer: boss.access }) }
      })
      const login = await s.client().post('/jwt/login', { ...bob, transport: 'body' })
      t.equal(hook.fired(), 1, `${change}: the change ran inside the login`)
      t.equal(adminReply.status, 200, `${change}: the admin change succeeded`)
      t.equal(login.status, 401, `${change}: the login is refused`)
      t.equal(login.body.error, 'login_superseded', `${change}: login_superseded`)
      t.equal(login.body.access_token, undefined, `${change}: no access token`)
      t.equal(login.body.refresh_token, undefined, `${change}: no refresh token`)
      t.same(await liveFamilies(s, 'bob'), [], `${change}: no family was left behind`)
      // Put bob back for the next change.
      await s.client().post('/admin/users/bob/enable', undefined, { bearer: boss.access })
      await s.app.svj.users.change('bob', 'password', { password: bob.password })
    }
    const after = await jwtLogin(s, bob)
    t.equal((await me(s, after.access)).status, 200, 'a login after the changes works')
    t.equal((await refresh(s, after.refresh)).status, 200, 'and refreshes')
  })

  t.test('refresh re-checks the login epoch: a family recorded before a change is refused', async t => {
    const s = await startApp(t, { STORE: store, AUTH_STRATEGIES: 'jwt' })
    const expected = { password: 'invalid_refresh_token', disable: 'account_disabled', revoke: 'invalid_refresh_token' } as const
    for (const change of ['password', 'disable', 'revoke'] as const) {
      const l = await jwtLogin(s, bob)
      const sid = decodeJwt(l.access).payload.sid as string
      const fam = JWT_KEYS.family(decodeJwt(l.access).payload.sub as string, sid)
      // Applied to the user record only (another instance whose ending of the logins failed, a
      // direct edit): the family is still stored, and the refresh alone must notice.
      await s.app.svj.users.change('bob', change, { password: 'bob-new-password' })
      t.not(await s.app.svj.store.get(fam), null, `${change}: the family record is still there`)
      const r = await refresh(s, l.refresh)
      t.equal(r.status, 401, `${change}: refresh refused`)
      t.equal(r.body.error, expected[change], `${change}: ${expected[change]}`)
      t.equal(r.body.access_token, undefined, `${change}: no access token`)
      t.equal(await s.app.svj.store.get(fam), null, `${change}: the family ended`)
      await s.app.svj.users.change('bob', 'enable')
      await s.app.svj.users.change('bob', 'password', { password: bob.password })
    }

    // A family written before families recorded an epoch reads as epoch 0.
    const users = s.app.svj.users
    const l = await jwtLogin(s, bob)
    const sid = decodeJwt(l.access).payload.sid as string
    const key = JWT_KEYS.family(decodeJwt(l.access).payload.sub as string, sid)
    const family = JSON.parse((await s.app.svj.store.get(key))!)
    const epoch = family.epoch as number
    t.ok(epoch > 0, `the family recorded bob's epoch (${epoch})`)
    delete family.epoch
    await s.app.svj.store.set(key, JSON.stringify(family), await s.app.svj.store.ttl(key))
    // Bob's record as it was before the field existed, too.
    const bobRecord = JSON.parse((await s.app.svj.store.get(`user:${await userId(s, 'bob')}`))!)
    delete bobRecord.epoch
    await s.app.svj.store.set(`user:${bobRecord.id as string}`, JSON.stringify(bobRecord))
    const first = await refresh(s, l.refresh)
    t.equal(first.status, 200, 'an old family of an old user record refreshes (both read as epoch 0)')
    await users.change('bob', 'revoke')
    const second = await refresh(s, first.body.refresh_token)
    t.equal(second.status, 401, 'after revoke-all the old family is refused')
    t.equal(second.body.error, 'invalid_refresh_token')
  })

  for (const mode of ['none', 'version', 'denylist'] as const) {
    t.test(`JWT_REVOCATION=${mode}: a refresh whose family ends before it records the rotation issues nothing`, async t => {
      const plain = await startApp(t, { STORE: store, AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: mode })
      const grace = await startApp(t, { STORE: store, AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: mode, REFRESH_REUSE_GRACE: '5s' })
      // What ends the family while the refresh is between spending its token and updating the family.
      const events: Record<string, (s: TestApp, l: JwtLogin) => Promise<string>> = {
        // The same token replayed by someone else (no grace window): reuse detection ends the family.
        replay: async (s, l) => {
          const r = await refresh(s, l.refresh)
          return `${r.status} ${String(r.body.error)}`
        },
        logout: async (s, l) => String((await s.client().post('/jwt/logout', { refresh_token: l.refresh })).status),
        // The user removes the device from another login.
        'device removal': async (s, l) => {
          const other = await jwtLogin(s, bob)
          return String((await s.client().delete(`/jwt/devices/${decodeJwt(l.access).payload.sid as string}`, { bearer: other.access })).status)
        }
      }
      const expectedEvent: Record<string, string> = { replay: '401 refresh_token_reused', logout: '204', 'device removal': '204' }
      const cases = [
        ...Object.keys(events).map(event => ({ event, path: 'rotation', s: plain })),
        // A retry of the previous token inside REFRESH_REUSE_GRACE takes the same final step.
        ...['logout', 'device removal'].map(event => ({ event, path: 'grace retry', s: grace }))
      ]
      for (const { event, path, s } of cases) {
        const what = `${event} during a ${path}`
        const l = await jwtLogin(s, bob)
        if (path === 'grace retry') t.equal((await refresh(s, l.refresh)).status, 200, `${what}: first rotation`)
        const sid = decodeJwt(l.access).payload.sid as string
        let outcome = ''
        const hook = intercept(t, s.app.svj.store, 'swap', key => key === JWT_KEYS.family(decodeJwt(l.access).payload.sub as string, sid), {
          before: async () => { outcome = await events[event]!(s, l) }
        })
        const r = await refresh(s, l.refresh)
        t.equal(hook.fired(), 1, `${what}: the event ran between the spend and the family's update`)
        t.equal(outcome, expectedEvent[event], `${what}: the event itself answered ${expectedEvent[event]}`)
        t.equal(r.status, 401, `${what}: the refresh that lost the family is refused`)
        t.equal(r.body.error, 'invalid_refresh_token', `${what}: invalid_refresh_token`)
        t.equal(r.body.access_token, undefined, `${what}: no access token was signed`)
        t.equal(r.body.refresh_token, undefined, `${what}: no refresh token`)
        t.notOk((await liveFamilies(s, 'bob')).includes(sid), `${what}: the family stays ended`)
      }
    })
  }

  t.test('JWT_REVOCATION=version: concurrent refreshes with one token, raced by their own replays, never hand out an access token for a lost family', async t => {
    const s = await startApp(t, { STORE: store, AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'version' })
    const outcomes = new Map<string, number>()
    for (let round = 0; round < 10; round++) {
      const l = await jwtLogin(s, bob)
      const replies = await Promise.all(Array.from({ length: 6 }, async () => await refresh(s, l.refresh)))
      for (const r of replies) outcomes.set(`${r.status} ${String(r.body.error ?? '')}`.trim(), (outcomes.get(`${r.status} ${String(r.body.error ?? '')}`.trim()) ?? 0) + 1)
      t.ok(replies.filter(r => r.status === 200).length <= 1, `round ${round}: at most one 200`)
      t.ok(replies.every(r => r.status === 200 || (r.status === 401 && r.body.access_token === undefined && r.body.refresh_token === undefined)),
        `round ${round}: every refused refresh is a bare 401`)
      for (const r of replies.filter(r => r.status === 200)) {
        // A 200 means the family accepted this rotation (a rotation it refused deletes its token)
        // before a replay ended it: the refresh token is dead now, the access token a legitimate one
        // of that login (version mode keeps it until exp).
        t.not(await s.app.svj.store.get(`rt:${sha256(r.body.refresh_token as string)}`), null, `round ${round}: the 200's refresh token was accepted by its family`)
        t.equal((await refresh(s, r.body.refresh_token)).body.error, 'invalid_refresh_token', `round ${round}: the winner's refresh token died with the family`)
      }
    }
    t.comment(`store=${store}: outcomes over 10 rounds of 6: ${JSON.stringify(Object.fromEntries(outcomes))}`)
  })

  t.test('REFRESH_REUSE_GRACE cannot fork a login', async t => {
    const s = await startApp(t, { STORE: store, AUTH_STRATEGIES: 'jwt', REFRESH_REUSE_GRACE: '5s' })

    t.test('a retry kills the first successor; after the retry\'s successor is used, the old token is reuse', async t => {
      const l = await jwtLogin(s, bob)
      const rt1 = await refresh(s, l.refresh)
      const rt2 = await refresh(s, l.refresh)
      t.equal(rt1.status, 200)
      t.equal(rt2.status, 200, 'the retry inside the window succeeds')
      t.not(rt2.body.refresh_token, rt1.body.refresh_token)
      const devices = await s.client().get('/jwt/devices', { bearer: rt2.body.access_token })
      t.equal(devices.body.length, 1, 'the device list shows one login')
      const states = await s.app.svj.store.getMany([rt1.body.refresh_token, rt2.body.refresh_token].map(x => `rt:${sha256(x)}`))
      t.same(states.map(x => JSON.parse(x!).state), ['revoked', 'active'], 'only the retry\'s successor can still be rotated')
      const rt3 = await refresh(s, rt2.body.refresh_token)
      t.equal(rt3.status, 200, 'the retry\'s chain rotates on')
      const late = await refresh(s, l.refresh)
      t.equal(late.status, 401, 'once the successor was used, the old token is no longer a retry')
      t.equal(late.body.error, 'refresh_token_reused')
      t.equal((await refresh(s, rt3.body.refresh_token)).body.error, 'invalid_refresh_token', 'reuse ended the family')
    })

    t.test('the first successor, killed by the retry, no longer refreshes', async t => {
      const l = await jwtLogin(s, bob)
      const rt1 = await refresh(s, l.refresh)
      const rt2 = await refresh(s, l.refresh)
      t.equal(rt2.status, 200)
      const dead = await refresh(s, rt1.body.refresh_token)
      t.equal(dead.status, 401, 'the killed chain is refused')
      t.equal(dead.body.error, 'refresh_token_reused', 'and its use is reuse: it ends the login')
      t.equal(dead.body.access_token, undefined)
      t.equal((await refresh(s, rt2.body.refresh_token)).body.error, 'invalid_refresh_token', 'the whole family ended')
    })

    t.test('only the immediately previous token qualifies', async t => {
      const l = await jwtLogin(s, bob)
      const rt1 = await refresh(s, l.refresh)
      const rt2 = await refresh(s, rt1.body.refresh_token)
      t.equal(rt2.status, 200)
      const twoBack = await refresh(s, l.refresh)
      t.equal(twoBack.status, 401, 'a token two rotations back, inside the window, is refused')
      t.equal(twoBack.body.error, 'refresh_token_reused')
      t.equal((await refresh(s, rt2.body.refresh_token)).body.error, 'invalid_refresh_token', 'and ends the family')
    })

    t.test('concurrent retries leave exactly one live chain', async t => {
      const l = await jwtLogin(s, bob)
      const rt1 = await refresh(s, l.refresh)
      t.equal(rt1.status, 200)
      const retries = await Promise.all(Array.from({ length: 6 }, async () => await refresh(s, l.refresh)))
      t.ok(retries.every(r => r.status === 200 || (r.status === 401 && r.body.access_token === undefined)), 'each retry gets tokens or a bare 401')
      const issued = [rt1, ...retries].filter(r => r.status === 200).map(r => r.body.refresh_token as string)
      const records = await s.app.svj.store.getMany(issued.map(x => `rt:${sha256(x)}`))
      const active = records.filter(x => x !== null && JSON.parse(x).state === 'active')
      t.equal(active.length, 1, `one of the ${issued.length} refresh tokens handed out is live`)
      t.equal((await liveFamilies(s, 'bob')).length, 1, 'one login')
    })
  })
})

forEachStore(t, async (t, store) => {
  t.test('an admin change whose ending fails after the bump is retried, or reported as 503 change_incomplete', async t => {
    const s = await startApp(t, { STORE: store, JWT_REVOCATION: 'version' })
    const boss = await jwtLogin(s, admin)
    const bobId = await userId(s, 'bob')
    const sessionLogin = async (): Promise<ReturnType<TestApp['client']>> => {
      const c = s.client()
      t.equal((await c.post('/session/login', bob)).status, 200)
      return c
    }
    // Store failures injected into this one store method for bob's login indexes (both strategies
    // list them to end the logins); everything else is the real store.
    const failing = (times: number): ReturnType<typeof intercept> => intercept(t, s.app.svj.store, 'setMembers', key => key === JWT_KEYS.userFamilies(bobId) || key === SESSION_KEYS.userSessions(bobId), {
      before: async () => { throw new StoreUnavailableError(new Error('injected failure')) },
      times
    })

    // A failure that passes: the retry applies the change, the admin gets 200.
    const l1 = await jwtLogin(s, bob)
    const s1 = await sessionLogin()
    const once = failing(1)
    const ok = await s.client().post('/admin/users/bob/revoke', undefined, { bearer: boss.access })
    t.equal(once.fired(), 1, 'one store call failed')
    t.equal(ok.status, 200, 'a transient failure is retried')
    // Demo mode mounts the other JWT modes beside /jwt; they held no login of this user.
    t.same(ok.body.loginsAffected, { session: 1, jwt: 1, 'jwt-none': 0, 'jwt-denylist': 0 }, 'both strategies ended their login (the side-by-side mounts had none)')
    t.equal((await refresh(s, l1.refresh)).status, 401)
    t.equal((await s1.get('/session/api/me')).status, 401)

    // A failure that lasts: 503 change_incomplete, never 200 with the change half done.
    const l2 = await jwtLogin(s, bob)
    const s2 = await sessionLogin()
    const versionBefore = (await s.app.svj.users.findById(bobId))!.version
    const lasting = failing(1000)
    const failed = await s.client().post('/admin/users/bob/revoke', undefined, { bearer: boss.access })
    t.ok(lasting.fired() >= 2, `the strategies were retried (${lasting.fired()} failed calls)`)
    t.equal(failed.status, 503, 'reported')
    t.equal(failed.body.error, 'change_incomplete')
    t.match(failed.body.message, /send the same request again/)
    t.equal(failed.headers.get('retry-after'), '1')
    t.equal((await s.app.svj.users.findById(bobId))!.version, versionBefore + 1, 'the user record was changed')
    lasting.disarm()
    // Meanwhile the JWT login is already dead: its epoch no longer matches.
    t.equal((await me(s, l2.access)).status, 401, 'version mode: the old access token is refused')
    const r = await refresh(s, l2.refresh)
    t.equal(r.status, 401, 'the old family is refused at its next refresh')
    t.equal(r.body.error, 'invalid_refresh_token')
    const again = await s.client().post('/admin/users/bob/revoke', undefined, { bearer: boss.access })
    t.equal(again.status, 200, 'the admin repeats the request: it is applied in full')
    t.equal(again.body.loginsAffected.session, 1, 'the session the failed attempt left is ended now')
    t.equal((await s2.get('/session/api/me')).status, 401)
  })
})

ownRedisTest(t, 'Redis stopped between the bump and the ending: 503 change_incomplete, and the change is final once repeated', async t => {
  // Persisting, and stopped gracefully, so the bump is still there when it comes back.
  const redis = await startOwnRedis({ persist: true })
  t.teardown(async () => { await redis.dispose() })
  const s = await startApp(t, { STORE: 'redis', REDIS_URL: redis.url, AUTH_STRATEGIES: 'jwt', JWT_REVOCATION: 'version' })
  const boss = await jwtLogin(s, admin)
  const l = await jwtLogin(s, bob)
  const bobId = await userId(s, 'bob')
  const hook = intercept(t, s.app.svj.store, 'swap', key => key === `user:${bobId}`, { after: async () => { await redis.stop(true) } })
  const change = await s.client().post('/admin/users/bob/password', { password: 'bob-new-password' }, { bearer: boss.access })
  t.equal(hook.fired(), 1, 'Redis stopped right after the user record was changed')
  t.equal(change.status, 503)
  t.equal(change.body.error, 'change_incomplete', 'the admin is told the change is incomplete')
  await redis.restart()
  t.ok(await waitFor(async () => (await s.client().get('/ready')).status === 200, 10_000, 50), 'Redis is back')
  t.equal((await s.app.svj.users.findById(bobId))!.epoch, 1, 'the change itself was saved')
  t.equal((await me(s, l.access)).status, 401, 'the old access token is refused (version mode)')
  const r = await refresh(s, l.refresh)
  t.equal(r.status, 401, 'the family the ending missed is refused at its next refresh')
  t.equal(r.body.error, 'invalid_refresh_token')
  const again = await s.client().post('/admin/users/bob/password', { password: 'bob-new-password' }, { bearer: boss.access })
  t.equal(again.status, 200, 'repeating the request completes it')
  t.equal((await s.client().post('/jwt/login', { ...bob, transport: 'body' })).status, 401, 'the old password is gone')
  t.equal((await jwtLogin(s, { username: 'bob', password: 'bob-new-password' })).reply.status, 200)
})
