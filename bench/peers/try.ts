/**
 * One peer alone, for a quick look: `npx tsx bench/peers/try.ts <name> [seconds]` starts it (Redis peers
 * use REDIS_URL, else 127.0.0.1:6379, under a throwaway key prefix deleted afterwards), logs bench0 in
 * and runs autocannon (10 connections) on its measured route. Indicative only: the real figures come from
 * the bench runner, which interleaves peers and strategies.
 */
import { randomBytes } from 'node:crypto'
import autocannon from 'autocannon'
import { deleteKeys, freePort } from '../../harness/redis.js'
import { PEERS, peerNamed } from './index.js'

const name = process.argv[2]
if (name === undefined) throw new Error(`usage: tsx bench/peers/try.ts <name> [seconds]; names: ${PEERS.map(p => p.name).join(', ')}`)
const peer = peerNamed(name)
const seconds = Number(process.argv[3] ?? '3')
const redisUrl = peer.store === 'redis' ? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' : null
const keyPrefix = `peer-try:${randomBytes(6).toString('hex')}:`
const server = await peer.start({ port: await freePort(), redisUrl, users: 1, keyPrefix })
try {
  const headers = await peer.login(server.url, 0)
  const result = await autocannon({ url: server.url + peer.path, headers, connections: 10, duration: seconds })
  const non2xx = result.non2xx + result.errors
  console.log(`${peer.name}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms${non2xx > 0 ? `, ${non2xx} non-2xx/errors` : ''}`)
} finally {
  await server.stop()
  if (redisUrl !== null) await deleteKeys(redisUrl, keyPrefix)
}
