import { benchUser } from '../harness/fixtures.js'
import { login, type Credential } from './http.js'
import type { Scenario } from './scenarios.js'
import { mapLimit } from './util.js'

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
  const kind = scenario.kind
  const credentials = await mapLimit(Array.from({ length: count }, (_, i) => benchUser(i)), concurrency, async who => await login(url, kind, who))
  return { credentials, ms: Date.now() - started, concurrency }
}
