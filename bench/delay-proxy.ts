/**
 * A TCP proxy that delays every chunk, in each direction, by half a round-trip time: put between a
 * server and Redis, it makes each Redis round trip cost `rttMs` more, like a store on another host
 * (this kernel has no netem). Chunks leave in the order they arrived, per direction and overall.
 *
 * Sub-millisecond delays cannot come from setTimeout (libuv's timers tick in whole milliseconds: 0.25 ms
 * would become 1 ms). A worker thread serves as the clock instead: it sleeps in Atomics.wait (sub-ms
 * timeouts) until the earliest chunk is due and then posts a message, which wakes this thread's event
 * loop. Neither thread spins, so the proxy costs the CPU it shares with autocannon little beyond the copies.
 */
import { createServer, connect, type Server, type Socket } from 'node:net'
import { Worker } from 'node:worker_threads'

export interface DelayProxy {
  /** host:port to give the client instead of the upstream's. */
  host: string
  port: number
  /** The round-trip time added, in ms (each direction waits half of it). */
  readonly rttMs: number
  /** Changes the added round-trip time; chunks already queued keep their due times, order is kept. */
  setRtt: (rttMs: number) => void
  /** Chunks and bytes forwarded so far, both directions. */
  stats: () => { chunks: number, bytes: number, connections: number }
  close: () => Promise<void>
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6

/**
 * The clock thread. ctl[0]: generation, bumped by the main thread whenever `due` changes (ctl[1] = 1:
 * stop); due[0]: the
 * absolute time (hrtime, ms) of the earliest queued chunk, Infinity for none. When it is due the worker
 * posts 'tick' and waits for the next generation, so it never posts twice for the same deadline.
 */
const CLOCK = `
const { parentPort, workerData } = require('node:worker_threads')
const ctl = new Int32Array(workerData.ctl)
const due = new Float64Array(workerData.due)
const now = () => Number(process.hrtime.bigint()) / 1e6
for (;;) {
  const gen = Atomics.load(ctl, 0)
  if (Atomics.load(ctl, 1) === 1) break
  const target = due[0]
  const wait = target - now()
  if (wait > 0) {
    Atomics.wait(ctl, 0, gen, wait === Infinity ? undefined : wait)
    continue
  }
  parentPort.postMessage(0)
  Atomics.wait(ctl, 0, gen)
}
`

interface Item { due: number, to: Socket, chunk: Buffer | null }

/**
 * Listens on a free loopback port and forwards each connection to `upstream` (host, port), delaying
 * every chunk by rttMs / 2 in each direction. `rttMs` 0 forwards at once (still through the proxy).
 */
export async function startDelayProxy (upstream: { host: string, port: number }, rttMs: number): Promise<DelayProxy> {
  let half = validRtt(rttMs) / 2
  let current = rttMs
  const ctlBuf = new SharedArrayBuffer(8)
  const dueBuf = new SharedArrayBuffer(8)
  const ctl = new Int32Array(ctlBuf)
  const due = new Float64Array(dueBuf)
  due[0] = Infinity
  const clock = new Worker(CLOCK, { eval: true, workerData: { ctl: ctlBuf, due: dueBuf } })
  clock.unref()
  const queue: Item[] = []
  let head = 0
  let last = 0
  let chunks = 0
  let bytes = 0
  let connections = 0
  const sockets = new Set<Socket>()

  const arm = (): void => {
    due[0] = head < queue.length ? queue[head]!.due : Infinity
    Atomics.add(ctl, 0, 1)
    Atomics.notify(ctl, 0)
  }
  const deliver = (item: Item): void => {
    if (item.to.destroyed) return
    if (item.chunk === null) item.to.end()
    else item.to.write(item.chunk)
  }
  const flush = (): void => {
    const t = nowMs()
    while (head < queue.length && queue[head]!.due <= t) deliver(queue[head++]!)
    if (head === queue.length) {
      queue.length = 0
      head = 0
    } else if (head > 1024) {
      queue.splice(0, head)
      head = 0
    }
    arm()
  }
  clock.on('message', flush)

  const send = (to: Socket, chunk: Buffer | null): void => {
    if (chunk !== null) {
      chunks++
      bytes += chunk.length
    }
    if (half === 0 && head === queue.length) {
      deliver({ due: 0, to, chunk })
      return
    }
    // Never earlier than the chunk before it: a lowered delay must not reorder the stream.
    const at = Math.max(nowMs() + half, last)
    last = at
    const wasEmpty = head === queue.length
    queue.push({ due: at, to, chunk })
    if (wasEmpty) arm()
  }

  const server: Server = createServer(client => {
    connections++
    const backend = connect(upstream.port, upstream.host)
    client.setNoDelay(true)
    backend.setNoDelay(true)
    sockets.add(client)
    sockets.add(backend)
    client.on('data', chunk => { send(backend, chunk) })
    backend.on('data', chunk => { send(client, chunk) })
    client.on('end', () => { send(backend, null) })
    backend.on('end', () => { send(client, null) })
    const drop = (): void => {
      client.destroy()
      backend.destroy()
      sockets.delete(client)
      sockets.delete(backend)
    }
    client.on('error', drop)
    backend.on('error', drop)
    client.on('close', () => { sockets.delete(client); if (backend.writableEnded || backend.destroyed) sockets.delete(backend) })
    backend.on('close', () => { sockets.delete(backend); if (client.writableEnded || client.destroyed) sockets.delete(client) })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => { server.off('error', reject); resolve() })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the delay proxy has no port')

  return {
    host: '127.0.0.1',
    port: address.port,
    get rttMs () { return current },
    setRtt (ms) {
      half = validRtt(ms) / 2
      current = ms
    },
    stats: () => ({ chunks, bytes, connections }),
    async close () {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
      Atomics.store(ctl, 1, 1)
      Atomics.add(ctl, 0, 1)
      Atomics.notify(ctl, 0)
      await clock.terminate()
    }
  }
}

function validRtt (ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`a round-trip time must be a number of ms >= 0, got ${ms}`)
  return ms
}

/** A redis:// URL with its host and port replaced by the proxy's (user, password, db kept). */
export function viaProxy (redisUrl: string, proxy: Pick<DelayProxy, 'host' | 'port'>): string {
  const url = new URL(redisUrl)
  url.hostname = proxy.host
  url.port = String(proxy.port)
  return url.toString()
}
