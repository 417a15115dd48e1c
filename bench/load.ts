import autocannon from 'autocannon'
import type { Credential } from './http.js'

/** What one autocannon run measured. */
export interface LoadResult {
  durationSec: number
  requests: number
  /** Requests sent, including those still in flight when the run stopped (the server may have handled them). */
  sent: number
  rps: number
  latencyMs: { mean: number, p50: number, p97_5: number, p99: number, max: number }
  errors: number
  timeouts: number
  non2xx: number
  statusCodes: Record<string, number>
  /** Sum and count of the `x-auth-store-ops` response header (count 0 when the route does not send it). */
  headerOps: { sum: number, count: number }
}

const OPS_HEADER = 'x-auth-store-ops'

interface RawHeaders { headers?: unknown }

/** Adds up x-auth-store-ops from the raw header list of each response (cheap: no header object is built). */
function countStoreOps (client: autocannon.Client, into: { sum: number, count: number }): void {
  client.on('headers', (info: unknown) => {
    const raw = (info as RawHeaders).headers
    if (!Array.isArray(raw)) return
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string
      if (name.length === OPS_HEADER.length && name.toLowerCase() === OPS_HEADER) {
        into.sum += Number(raw[i + 1])
        into.count++
      }
    }
  })
}

function summarise (result: autocannon.Result, headerOps: { sum: number, count: number }): LoadResult {
  const statusCodes: Record<string, number> = {}
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = (stat as { count?: number }).count ?? 0
  const latency = result.latency as autocannon.Histogram & { p97_5: number }
  return {
    durationSec: result.duration,
    requests: result.requests.total,
    sent: Math.max(result.requests.sent ?? 0, result.requests.total),
    rps: result.duration > 0 ? result.requests.total / result.duration : 0,
    latencyMs: { mean: latency.mean, p50: latency.p50, p97_5: latency.p97_5, p99: latency.p99, max: latency.max },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes,
    headerOps
  }
}

export interface LoadOptions {
  url: string
  path: string
  connections: number
  durationSec: number
  /**
   * Credentials to send. Connection i sends credentials i, i+C, i+2C, ... in turn (C = connections):
   * every connection has its own credentials and every logged-in user is used. Empty: no credential.
   */
  credentials: readonly Credential[]
}

/** GET load on a protected (or baseline) route through autocannon's programmatic API, in this process. */
export async function runLoad (options: LoadOptions): Promise<LoadResult> {
  const { connections, credentials } = options
  const perConnection: autocannon.Request[][] = []
  for (let i = 0; i < connections; i++) {
    const mine: autocannon.Request[] = []
    if (credentials.length === 0) {
      mine.push({ method: 'GET', path: options.path })
    } else {
      for (let j = i % credentials.length; j < credentials.length; j += connections) {
        const { header, headers } = credentials[j]!
        mine.push({ method: 'GET', path: options.path, headers: headers ?? (header === null ? {} : { [header.name]: header.value }) })
      }
    }
    perConnection.push(mine)
  }
  const headerOps = { sum: 0, count: 0 }
  let next = 0
  const result = await autocannon({
    url: options.url,
    connections,
    duration: options.durationSec,
    // The first request of each connection is built from `requests`; setupClient then gives the
    // connection its own list, so no two connections share a credential.
    requests: perConnection[0],
    setupClient (client) {
      client.setRequests(perConnection[next++ % connections]!)
      countStoreOps(client, headerOps)
    }
  })
  return summarise(result, headerOps)
}

/** One refresh chain per connection: the newest refresh token of one login. */
export interface RefreshChain {
  username: string
  refreshToken: string
  /** A request whose answer never arrived (run stopped): the token may be spent, so the chain needs a new login. */
  pending: boolean
  /** A refresh failed: the chain is dead. */
  broken: boolean
}

/**
 * POST /jwt/refresh load: each connection walks its own chain, sending the token the previous answer
 * returned (a real client's behaviour; reusing a token would trigger reuse detection).
 */
export async function runRefreshLoad (options: { url: string, chains: RefreshChain[], durationSec: number }): Promise<LoadResult> {
  const { chains } = options
  let next = 0
  const makeRequests = (chain: RefreshChain): autocannon.Request[] => [{
    method: 'POST',
    path: '/jwt/refresh',
    headers: { 'content-type': 'application/json' },
    setupRequest (req) {
      chain.pending = true
      return { ...req, body: JSON.stringify({ refresh_token: chain.refreshToken }) }
    },
    onResponse (status: number, body: string) {
      chain.pending = false
      if (status === 200) chain.refreshToken = (JSON.parse(body) as { refresh_token: string }).refresh_token
      else chain.broken = true
    }
  }]
  const headerOps = { sum: 0, count: 0 }
  const result = await autocannon({
    url: options.url,
    connections: chains.length,
    duration: options.durationSec,
    // Placeholder for the first build; setupClient replaces it before anything is sent.
    requests: [{ method: 'POST', path: '/jwt/refresh', headers: { 'content-type': 'application/json' }, body: '{}' }],
    setupClient (client) {
      client.setRequests(makeRequests(chains[next++ % chains.length]!))
    }
  })
  return summarise(result, headerOps)
}
