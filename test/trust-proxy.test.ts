/**
 * TRUST_PROXY end to end: which X-Forwarded-For hop becomes the client address, as the per-address
 * login limit counts it and the device list shows it.
 */
import t from 'tap'
import { forEachStore, startApp, type TestApp } from './helpers/app.js'
import { bob } from './helpers/jwt.js'

const via = (forwardedFor: string): { headers: Record<string, string> } => ({ headers: { 'x-forwarded-for': forwardedFor } })

/** The address each strategy's device list shows for a login sent with this X-Forwarded-For. */
async function shownAddresses (s: TestApp, forwardedFor: string): Promise<string[]> {
  const session = s.client()
  if ((await session.post('/session/login', bob, via(forwardedFor))).status !== 200) throw new Error('session login failed')
  const sessionDevices = await session.get('/session/devices')
  const jwt = s.client()
  const login = await jwt.post('/jwt/login', bob, via(forwardedFor))
  if (login.status !== 200) throw new Error('jwt login failed')
  const jwtDevices = await jwt.get('/jwt/devices', { bearer: login.body.access_token })
  return [...sessionDevices.body, ...jwtDevices.body].map((device: { ip: string }) => device.ip)
}

forEachStore(t, async (t, store) => {
  t.test('TRUST_PROXY=1: the address the one proxy saw, not what the client wrote before it', async t => {
    const s = await startApp(t, { STORE: store, TRUST_PROXY: '1', LOGIN_RATE_LIMIT: '100/1m', LOGIN_RATE_LIMIT_PER_ADDRESS: '4/1m' })
    t.same(await shownAddresses(s, '6.6.6.6, 10.1.2.3'), ['10.1.2.3', '10.1.2.3'], 'both device lists show 10.1.2.3')
    const c = s.client()
    t.equal((await c.post('/session/login', bob, via('7.7.7.7, 10.1.2.3'))).status, 200)
    t.equal((await c.post('/session/login', bob, via('8.8.8.8, 10.1.2.3'))).status, 200)
    t.equal((await c.post('/session/login', bob, via('9.9.9.9, 10.1.2.3'))).status, 429, 'a new forged first hop does not reset the count of 10.1.2.3')
    t.equal((await c.post('/session/login', bob, via('6.6.6.6, 10.1.2.4'))).status, 200, 'the limit was 10.1.2.3\'s, not 6.6.6.6\'s')
  })

  t.test('TRUST_PROXY as addresses: only the listed proxies\' hops are believed', async t => {
    const one = await startApp(t, { STORE: store, TRUST_PROXY: '127.0.0.1/32' })
    t.same(await shownAddresses(one, '6.6.6.6, 10.1.2.3'), ['10.1.2.3', '10.1.2.3'], '127.0.0.1 is trusted, 10.1.2.3 is not a listed proxy')
    const two = await startApp(t, { STORE: store, TRUST_PROXY: 'loopback, 10.0.0.0/8' })
    t.same(await shownAddresses(two, '6.6.6.6, 10.1.2.3'), ['6.6.6.6', '6.6.6.6'], 'with 10.0.0.0/8 listed too, the hop before it is the client')
    const other = await startApp(t, { STORE: store, TRUST_PROXY: '192.0.2.1' })
    t.same(await shownAddresses(other, '6.6.6.6, 10.1.2.3'), ['127.0.0.1', '127.0.0.1'], 'a peer that is not listed: the header is ignored')
  })

  t.test('TRUST_PROXY=false: X-Forwarded-For is ignored', async t => {
    const s = await startApp(t, { STORE: store, TRUST_PROXY: 'false', LOGIN_RATE_LIMIT: '100/1m', LOGIN_RATE_LIMIT_PER_ADDRESS: '2/1m' })
    t.same(await shownAddresses(s, '6.6.6.6, 10.1.2.3'), ['127.0.0.1', '127.0.0.1'], 'the socket\'s address')
    t.equal((await s.client().post('/session/login', bob, via('10.9.9.9'))).status, 429, 'every login above came from 127.0.0.1, whatever the header said')
  })
})
