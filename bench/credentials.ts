import { loginJwt, loginSession, type Credential } from './http.js'
import type { Scenario } from './scenarios.js'
import { mapLimit } from './util.js'

export const BENCH_PASSWORD = 'bench-password'
export const benchUser = (i: number): string => `bench${i}`

export interface Logins {
  credentials: Credential[]
  ms: number
  concurrency: number
}

/**
 * Logs in `count` distinct bench users with bounded concurrency (scrypt is deliberately slow, so
 * unbounded concurrency would only queue work in libuv's thread pool). The baseline needs no login.
 */
export async function loginUsers (url: string, scenario: Scenario, count: number, concurrency = 8): Promise<Logins> {
  const started = Date.now()
  if (scenario.kind === 'baseline') return { credentials: [{ username: 'anonymous', header: null, bytes: 0 }], ms: 0, concurrency }
  const names = Array.from({ length: count }, (_, i) => benchUser(i))
  const credentials = await mapLimit(names, concurrency, async name => scenario.kind === 'session'
    ? await loginSession(url, name, BENCH_PASSWORD)
    : await loginJwt(url, name, BENCH_PASSWORD))
  return { credentials, ms: Date.now() - started, concurrency }
}
