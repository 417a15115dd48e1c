/**
 * What the later stories (demo/stories/*.ts) measure with: the bytes a request really puts on the wire, a
 * Redis of the story's own whose INFO commandstats it may read, and the mount path of each JWT mode.
 */
import { request as httpRequest } from 'node:http'
import { Redis } from 'ioredis'
import { commandDelta, commandStats, type CommandDelta } from '../../bench/redis.js'
import { hasRedisServer, startRedisServer } from '../../harness/redis.js'
import { m, type Messages } from '../i18n/index.js'
import type { Expected, Scenario } from '../scenarios.js'
import type { Observation, Outcome, StrategyId, Story, Target } from '../story.js'

export type Slug = keyof Messages['scenarios']

/** A story's words in the chosen language (read when told, so --lang applies). */
export const said = <S extends Slug>(slug: S): Messages['scenarios'][S] => m().scenarios[slug]

/** The expected outcome of each strategy, with the story's reason for it. */
export const expectingOf = (slug: Slug, outcome: (t: Target) => Outcome) => (t: Target): Expected => ({ outcome: outcome(t), why: said(slug).why[t.strategy] })

export type StoryDef = Omit<Scenario, 'id'> & { run: (s: Story) => Promise<Observation> }

export interface Wire {
  status: number
  /** Bytes the request took on the wire: request line, every header, the body. */
  bytes: number
  storeOps: string | null
  body: any
}

/**
 * One request on a connection of its own (node:http, no keep-alive), counting what the socket wrote: the
 * request line and headers as sent (Host, Connection and the given ones), so two credentials compare byte
 * for byte. fetch cannot tell this.
 */
export async function wire (url: string, path: string, headers: Record<string, string>): Promise<Wire> {
  const { hostname, port } = new URL(url)
  return await new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port: Number(port), path, method: 'GET', headers, agent: false }, res => {
      const bytes = req.socket?.bytesWritten ?? 0
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: any = text
        try { body = JSON.parse(text) } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, bytes, storeOps: (res.headers['x-auth-store-ops'] as string | undefined) ?? null, body })
      })
    })
    req.on('error', reject)
    req.end()
  })
}

/** The mount a JWT mode is served under on a demo server started with JWT_REVOCATION=none: /jwt, /jwt-denylist, /jwt-version. */
export const jwtMount = (strategy: StrategyId): string => strategy === 'jwt-none' ? '/jwt' : `/${strategy}`
export const mountOf = (strategy: StrategyId): string => strategy === 'session' ? '/session' : jwtMount(strategy)

export interface OwnRedis {
  url: string
  /** Redis commands (INFO commandstats delta; its own INFO calls and AUTH_CACHE heartbeats left out) while `work` runs. */
  count: (work: () => Promise<void>) => Promise<CommandDelta>
}

/**
 * A redis-server of the story's own (never the shared one: its INFO counts only this story's server), or
 * null when none is installed (said loudly; an error with CI=true).
 */
export async function ownRedis (s: Story, why: string): Promise<OwnRedis | null> {
  if (!hasRedisServer()) {
    if (process.env.CI === 'true') throw new Error(`CI=true but redis-server is not installed (${why})`)
    process.stderr.write(`\n*** redis-server not found: SKIPPING ${why} ***\n\n`)
    return null
  }
  const redis = await startRedisServer()
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: true })
  client.on('error', () => {})
  await client.connect()
  s.onCleanup(async () => { client.disconnect(); await redis.dispose() })
  return {
    url: redis.url,
    async count (work) {
      const before = await commandStats(client)
      await work()
      const delta = commandDelta(before, await commandStats(client))
      // AUTH_CACHE heartbeats: a PUBLISH every 250 ms per cached instance, whatever the traffic; not a request's cost.
      const heartbeats = delta.byCommand.publish ?? 0
      delete delta.byCommand.publish
      return { total: delta.total - heartbeats, byCommand: delta.byCommand }
    }
  }
}

/** Polls `ok` every 100 ms until it holds or `ms` pass; whether it held. */
export async function until (ok: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await ok()) return true
    if (Date.now() > deadline) return false
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** A table as lines of fixed-width columns (wide characters count twice, as in the matrix). */
export function table (rows: string[][]): string {
  const cols = (s: string): number => [...s].reduce((n, ch) => n + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60]/.test(ch) ? 2 : 1), 0)
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map(r => cols(r[i] ?? ''))))
  return rows.map(r => r.map((c, i) => c + ' '.repeat(widths[i]! - cols(c))).join('  ').trimEnd()).join('\n')
}
