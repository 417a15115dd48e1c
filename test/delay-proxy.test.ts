import { randomBytes } from 'node:crypto'
import { createServer, connect, type Socket } from 'node:net'
import t from 'tap'
import { Redis } from 'ioredis'
import { startDelayProxy, viaProxy } from '../bench/delay-proxy.js'
import { redisTest } from './helpers/app.js'
import { deleteKeys, testRedisUrl } from './helpers/redis.js'

const elapsedMs = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6

const inverted = (data: Buffer): Buffer => Buffer.from(data.map(b => b ^ 0xff))

/**
 * A TCP server that answers every byte with its bitwise complement: the answer differs from what was
 * sent (so both directions are checked) and does not depend on how the stream was cut into chunks.
 */
async function inverter (): Promise<{ port: number, close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createServer(socket => {
    sockets.add(socket)
    socket.on('data', chunk => { socket.write(inverted(chunk)) })
    socket.on('end', () => { socket.end() })
    socket.on('close', () => { sockets.delete(socket) })
  })
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return {
    port: address.port,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}

/** Sends `data` in one write and collects `expected` bytes of answer; resolves with them and the time taken. */
async function exchange (socket: Socket, data: Buffer, expected: number): Promise<{ answer: Buffer, ms: number }> {
  return await new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    let received = 0
    const start = process.hrtime.bigint()
    const onData = (chunk: Buffer): void => {
      parts.push(chunk)
      received += chunk.length
      if (received >= expected) {
        socket.off('data', onData)
        socket.off('error', reject)
        resolve({ answer: Buffer.concat(parts), ms: elapsedMs(start) })
      }
    }
    socket.on('data', onData)
    socket.on('error', reject)
    socket.write(data)
  })
}

t.test('a round trip through the proxy costs at least the RTT, and bytes pass intact both ways', async t => {
  const upstream = await inverter()
  t.teardown(upstream.close)
  const proxy = await startDelayProxy({ host: '127.0.0.1', port: upstream.port }, 40)
  t.teardown(proxy.close)
  const socket = connect(proxy.port, proxy.host)
  t.teardown(() => { socket.destroy() })
  await new Promise<void>(resolve => { socket.once('connect', resolve) })

  // Small messages: each answer is one chunk back, so each exchange is one delayed round trip.
  for (let i = 0; i < 5; i++) {
    const data = randomBytes(64)
    const { answer, ms } = await exchange(socket, data, data.length)
    t.ok(ms >= 40, `round trip ${i + 1} took ${ms.toFixed(2)} ms (>= 40)`)
    t.ok(ms < 400, `round trip ${i + 1} took ${ms.toFixed(2)} ms (well under 10x the RTT)`)
    t.same(answer, inverted(data), 'the answer is the upstream\'s, byte for byte')
  }

  // A large message travels in many chunks each way: any lost, altered or reordered chunk shows.
  proxy.setRtt(2)
  const big = randomBytes(1 << 20)
  const { answer } = await exchange(socket, big, big.length)
  t.equal(answer.length, big.length, 'every byte came back')
  t.ok(answer.equals(inverted(big)), '1 MiB each way, in order and intact')
  t.equal(proxy.stats().connections, 1, 'one connection through the proxy')
  t.ok(proxy.stats().bytes >= 2 * big.length, 'the proxy carried the bytes both ways')
})

t.test('a sub-millisecond RTT is not rounded away', async t => {
  const upstream = await inverter()
  t.teardown(upstream.close)
  const proxy = await startDelayProxy({ host: '127.0.0.1', port: upstream.port }, 0.5)
  t.teardown(proxy.close)
  t.equal(proxy.rttMs, 0.5)
  const socket = connect(proxy.port, proxy.host)
  t.teardown(() => { socket.destroy() })
  await new Promise<void>(resolve => { socket.once('connect', resolve) })
  const times: number[] = []
  for (let i = 0; i < 50; i++) times.push((await exchange(socket, Buffer.from(`ping ${i}`), `ping ${i}`.length)).ms)
  times.sort((a, b) => a - b)
  t.ok(times[0]! >= 0.5, `the fastest of 50 round trips took ${times[0]!.toFixed(3)} ms (>= 0.5)`)
  t.comment(`0.5 ms RTT: median round trip ${times[25]!.toFixed(3)} ms`)
})

t.test('rtt 0 forwards without a delay; a negative RTT is refused', async t => {
  const upstream = await inverter()
  t.teardown(upstream.close)
  const proxy = await startDelayProxy({ host: '127.0.0.1', port: upstream.port }, 0)
  t.teardown(proxy.close)
  const socket = connect(proxy.port, proxy.host)
  t.teardown(() => { socket.destroy() })
  await new Promise<void>(resolve => { socket.once('connect', resolve) })
  const { answer } = await exchange(socket, Buffer.from('abc'), 3)
  t.same(answer, inverted(Buffer.from('abc')))
  t.throws(() => { proxy.setRtt(-1) }, /round-trip time/)
})

redisTest(t, 'Redis through the proxy: every command pays the RTT, values round-trip intact', async t => {
  const url = await testRedisUrl()
  const prefix = `test:delay-proxy:${randomBytes(6).toString('hex')}:`
  t.teardown(async () => { await deleteKeys(url, prefix) })
  const target = new URL(url)
  const proxy = await startDelayProxy({ host: target.hostname, port: Number(target.port || 6379) }, 10)
  t.teardown(proxy.close)
  const client = new Redis(viaProxy(url, proxy), { maxRetriesPerRequest: 1 })
  t.teardown(() => { client.disconnect() })
  await client.ping()

  const value = randomBytes(256 * 1024).toString('base64')
  let start = process.hrtime.bigint()
  await client.set(`${prefix}v`, value)
  t.ok(elapsedMs(start) >= 10, `SET took ${elapsedMs(start).toFixed(2)} ms (>= 10)`)
  start = process.hrtime.bigint()
  const back = await client.get(`${prefix}v`)
  t.ok(elapsedMs(start) >= 10, `GET took ${elapsedMs(start).toFixed(2)} ms (>= 10)`)
  t.equal(back, value, 'the 256 KiB value comes back unchanged')

  start = process.hrtime.bigint()
  for (let i = 0; i < 5; i++) await client.ping()
  t.ok(elapsedMs(start) >= 50, `5 sequential PINGs took ${elapsedMs(start).toFixed(2)} ms (>= 5 x 10)`)
})
