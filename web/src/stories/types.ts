/** The story player's shared types: languages, mounts, what one step did on one mode column. */

export type Lang = 'en' | 'ko'
export const LANGS: readonly Lang[] = ['en', 'ko']
/** A text the player shows, in both languages (the player re-renders when the language changes). */
export type Text = Record<Lang, string>
export const tx = (en: string, ko: string): Text => ({ en, ko })

/** The mechanisms of harness/promises.ts: a mount maps to one of them. */
export type Mechanism = 'session' | 'jwt-none' | 'jwt-denylist' | 'jwt-version'

/** A mount as GET /demo/info lists it. */
export interface MountInfo { name: string, kind: string, revocation?: string, accessTtlSec?: number }

export function mechanismOf (m: MountInfo): Mechanism | null {
  if (m.kind === 'session') return 'session'
  if (m.kind !== 'jwt') return null
  const mech = `jwt-${m.revocation ?? 'none'}`
  return mech === 'jwt-none' || mech === 'jwt-denylist' || mech === 'jwt-version' ? mech : null
}

/** One request the page made, as sent and as received, with its size on the wire. */
export interface Exchange {
  /** Who sent it: a key of the player's actor words (aliceBrowser, attacker, admin, page). */
  actor: string
  method: string
  path: string
  /** The request headers that matter (set by the page, or the cookies the browser adds), values shortened. */
  headers: Array<[string, string]>
  body: unknown
  status: number
  error: string | null
  storeOps: string | null
  response: unknown
  ms: number
  bytes: { reqHead: number, reqBody: number, resHead: number, resBody: number }
  /** Set when the server replayed a stolen credential for the attacker (POST /demo/attack). */
  replayed?: { method: string, path: string, status: number, storeOps: string | null, error: string | null }
}

export interface Check { ok: boolean, text: Text }

/** What a story observed on one column: an outcome code of the runner (demo/story.ts Outcome) and a line. */
export interface Observed { outcome: string, detail: Text }

/** What one step did on one column. */
export interface ColumnResult {
  exchanges: Exchange[]
  checks: Check[]
  observed?: Observed
  /** Shown instead of requests, e.g. "sessions have no refresh token". */
  note?: Text
  /** A page the lecturer opens in a new tab (the XSS lab: its pages refuse to be framed). */
  link?: { href: string, text: Text }
}

/** The credentials a column's client (and its attacker) hold through a story. */
export interface ColumnState {
  mount: MountInfo
  mechanism: Mechanism
  /** The access token in this page's memory (JWT mounts). */
  access: string | null
  /** The attacker's copy: a loot id of POST /{mount}/demo/steal. */
  loot: string | null
  lootHolds: string[]
  /** The last observation, so a later step can confirm it (the role story's refresh). */
  observed?: Observed
  /** What a story keeps between its steps on this column (a second device's token, a device id, byte counts). */
  memo?: Record<string, unknown>
}
