/**
 * Placeholder until the peers land: the interface the bench runner imports, and no peers. The real
 * bench/peers/index.ts (written in parallel) replaces this file as a whole.
 */
export interface PeerServer { url: string, pid: number, stop: () => Promise<void> }
export interface Peer {
  name: string // e.g. 'peer-fastify-bare'
  description: string
  store: 'none' | 'redis'
  /** Starts the peer as its own node process on `port` (loopback), with `users` accounts bench0..bench{users-1} / BENCH_PASSWORD where it has logins. */
  start: (options: { port: number, redisUrl: string | null, users: number, keyPrefix: string }) => Promise<PeerServer>
  /** Logs user i in and returns the headers each measured request carries (cookie or authorization); {} for no auth. */
  login: (url: string, i: number) => Promise<Record<string, string>>
  /** The measured GET route. */
  path: string
}
export const PEERS: Peer[] = []
