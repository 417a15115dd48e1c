/**
 * Shared pieces of the property-based fuzz tests (test/fuzz-*.test.ts): the harness's raw keep-alive
 * HTTP client (use `wire()` to send a Unicode string as its UTF-8 bytes), the invariants every answer
 * must meet, the run settings (FUZZ_RUNS, FUZZ_SEED) and a watch for crashes and unhandled rejections.
 */
import fc from 'fast-check'
import type { Test } from 'tap'
import type { RawReply } from '../../harness/http.js'

/** Cases per target. `npm test` uses the default; `npm run fuzz` sets FUZZ_RUNS=10000. */
export function fuzzRuns (fallback = 1500): number {
  const raw = process.env.FUZZ_RUNS
  const n = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`FUZZ_RUNS must be a positive integer, got '${raw ?? ''}'`)
  return n
}

/** The seed of this run: FUZZ_SEED to replay one, else a fresh one (always printed). */
export function fuzzSeed (): number {
  const raw = process.env.FUZZ_SEED
  if (raw !== undefined && raw !== '') {
    const n = Number(raw)
    if (!Number.isSafeInteger(n)) throw new Error(`FUZZ_SEED must be an integer, got '${raw}'`)
    return n
  }
  return Math.floor(Math.random() * 0x7fffffff) ^ (Date.now() & 0xffff)
}

/** The raw keep-alive client (harness/http.ts): sends any header bytes Node's client accepts. */
export { RawClient, type RawReply, type RawRequest } from '../../harness/http.js'

/** A Unicode string as the latin1 string of its UTF-8 bytes: what reaches the server as raw bytes. */
export const wire = (s: string): string => Buffer.from(s, 'utf8').toString('latin1')

/** Characters Node's HTTP client (and fetch) refuse in a header value. */
const FORBIDDEN_IN_HEADER = /[\x00-\x08\x0a-\x1f\x7f]/g // eslint-disable-line no-control-regex

/** A string made sendable as a header value: UTF-8 bytes, with the characters no client can send removed. */
export const headerValue = (s: string): string => wire(s).replace(FORBIDDEN_IN_HEADER, '')

/**
 * Fastify's own answer to a header block above Node's 16 KiB limit, written on the socket before any
 * route (or our error handler) runs: JSON, but with Node's status text as `error`, not one of our codes.
 */
export function isHeaderOverflow (r: RawReply): boolean {
  return r.status === 431 && r.body?.error === 'Request Header Fields Too Large'
}

/**
 * The invariants of every answer: no 5xx; an error status has a JSON body with a string `error` code
 * (Fastify's 431 for an oversized header block being the one answer that never reaches the app);
 * a 2xx only when `allow2xx` says the request carried a valid credential.
 * Returns the broken invariant, or null.
 */
export function violation (r: RawReply, allow2xx: boolean): string | null {
  if (r.status >= 500) return `a ${r.status}: ${r.text.slice(0, 200)}`
  if (r.status >= 200 && r.status < 300) return allow2xx ? null : `a ${r.status} without a valid credential: ${r.text.slice(0, 200)}`
  if (isHeaderOverflow(r)) return null
  if (r.status < 400) return `unexpected status ${r.status}`
  if (!String(r.headers['content-type'] ?? '').startsWith('application/json')) return `a ${r.status} that is not JSON: ${String(r.headers['content-type'])}`
  if (typeof r.body !== 'object' || r.body === null || typeof r.body.error !== 'string' || !/^[a-z_]+$/.test(r.body.error)) {
    return `a ${r.status} without an error code: ${r.text.slice(0, 200)}`
  }
  if (/\bat \S+ \(|node_modules|\.ts:\d/.test(r.text)) return 'a stack trace in the body'
  return null
}

/**
 * Fails the test on any uncaught exception or unhandled rejection while the fuzz runs (the app runs in
 * this process, so a crash of the server would be one of these), and on MaxListenersExceededWarning.
 */
export function watchProcess (t: Test): { problems: string[] } {
  const problems: string[] = []
  const onRejection = (reason: unknown): void => { problems.push(`unhandledRejection: ${String((reason as Error)?.stack ?? reason)}`) }
  const onException = (err: Error): void => { problems.push(`uncaughtException: ${err.stack ?? String(err)}`) }
  const onWarning = (w: Error): void => { if (w.name === 'MaxListenersExceededWarning') problems.push(`warning: ${w.message}`) }
  process.on('unhandledRejection', onRejection)
  process.on('uncaughtException', onException)
  process.on('warning', onWarning)
  t.teardown(() => {
    process.off('unhandledRejection', onRejection)
    process.off('uncaughtException', onException)
    process.off('warning', onWarning)
  })
  return { problems }
}

/** Small edits to a real credential: the near misses a forger or a broken client produces. */
export type Mutation =
  | { op: 'flip', at: number, char: string }
  | { op: 'delete', at: number }
  | { op: 'insert', at: number, text: string }
  | { op: 'truncate', at: number }
  | { op: 'append', text: string }
  | { op: 'case' }
  | { op: 'repeat', times: number }
  | { op: 'percent' }
  | { op: 'quote' }
  | { op: 'none' }

const TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.+/=%'

/** Any string: ASCII, control characters, full Unicode (surrogate pairs included). */
export const anyString = (maxLength = 80): fc.Arbitrary<string> => fc.oneof(
  fc.string({ maxLength }),
  fc.string({ unit: 'binary', maxLength }),
  fc.string({ unit: fc.constantFrom(...TOKEN_CHARS.split('')), maxLength }),
  fc.constantFrom('', ' ', '\t', '.', '..', '...', '%', '%00', '%E0%A4%A', '\u0000', 'null', 'undefined', '[object Object]',
    '__proto__', 'constructor', '{}', '[]', '"', '\\', ';', ',', '=', 'é', '😀', '\uFEFF', '\u202E', 's:', 'Bearer')
)

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), char: fc.constantFrom(...TOKEN_CHARS.split('')) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: anyString(4) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('append' as const), text: anyString(8) }),
  fc.constant({ op: 'case' as const }),
  fc.record({ op: fc.constant('repeat' as const), times: fc.integer({ min: 2, max: 40 }) }),
  fc.constant({ op: 'percent' as const }),
  fc.constant({ op: 'quote' as const }),
  fc.constant({ op: 'none' as const })
)

/** Applies mutations to a value (positions are taken modulo its length). */
export function mutate (value: string, mutations: readonly Mutation[]): string {
  let v = value
  for (const m of mutations) {
    const at = v.length === 0 ? 0 : ('at' in m ? m.at % v.length : 0)
    switch (m.op) {
      case 'flip': v = v.slice(0, at) + m.char + v.slice(at + 1); break
      case 'delete': v = v.slice(0, at) + v.slice(at + 1); break
      case 'insert': v = v.slice(0, at) + m.text + v.slice(at); break
      case 'truncate': v = v.slice(0, at); break
      case 'append': v = v + m.text; break
      case 'case': v = v === v.toUpperCase() ? v.toLowerCase() : v.toUpperCase(); break
      case 'repeat': v = v.repeat(m.times); break
      case 'percent': v = encodeURIComponent(v.replace(/[\uD800-\uDFFF]/g, c => `%${c.charCodeAt(0).toString(16)}`)); break
      case 'quote': v = `"${v}"`; break
      case 'none': break
    }
  }
  return v
}

export interface FuzzOutcome {
  cases: number
  seed: number
  statuses: Map<number, number>
}

/**
 * Runs one fuzz target with fast-check and reports it: the seed (replay with FUZZ_SEED=<seed>), the
 * number of cases and the statuses seen. `check` sends one request and returns a broken invariant or null.
 */
export async function runTarget<T> (t: Test, name: string, arbitrary: fc.Arbitrary<T>, check: (value: T) => Promise<{ problem: string | null, status: number }>, watched: { problems: string[] }): Promise<FuzzOutcome> {
  const seed = fuzzSeed()
  const numRuns = fuzzRuns()
  const statuses = new Map<number, number>()
  let cases = 0
  t.comment(`fuzz ${name}: seed ${seed}, ${numRuns} cases (replay: FUZZ_SEED=${seed} FUZZ_RUNS=${numRuns})`)
  const started = Date.now()
  const result = await fc.check(fc.asyncProperty(arbitrary, async value => {
    cases++
    const { problem, status } = await check(value)
    statuses.set(status, (statuses.get(status) ?? 0) + 1)
    if (problem !== null) throw new Error(problem)
    if (watched.problems.length > 0) throw new Error(watched.problems.join('\n'))
    return true
  }), { seed, numRuns, endOnFailure: process.env.FUZZ_SHRINK === 'false' })
  const summary = [...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')
  t.comment(`fuzz ${name}: ${result.numRuns} cases passed in ${Date.now() - started} ms, seed ${seed}; statuses ${summary}`)
  if (result.failed) {
    t.fail(`fuzz ${name} failed (seed ${seed}, path ${result.counterexamplePath ?? '?'}): ${String((result.errorInstance as Error | undefined)?.message ?? result.errorInstance)}\ncounterexample: ${fc.stringify(result.counterexample)}`)
  } else {
    t.equal(result.numRuns, numRuns, `fuzz ${name}: ${numRuns} cases, every invariant held`)
  }
  t.same(watched.problems, [], `fuzz ${name}: no crash, unhandled rejection or listener leak`)
  return { cases, seed, statuses }
}
