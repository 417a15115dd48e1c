/** The bench's credentials and probes over the harness's clients (the load itself goes through autocannon). */
import type { Login } from '../harness/fixtures.js'
import { send, type Reply } from '../harness/http.js'
import { loginJwt as harnessLoginJwt, loginSession as harnessLoginSession } from '../harness/login.js'

export type { Reply }

export interface Auth {
  cookie?: string
  bearer?: string
}

export async function call (base: string, method: string, path: string, options: Auth & { json?: unknown } = {}): Promise<Reply> {
  return await send(base + path, method, options)
}

/** The header a credential travels in, and its size on the wire (`Name: value\r\n`). */
export interface Credential {
  username: string
  header: { name: 'cookie' | 'authorization', value: string } | null
  /** Every header the credential travels in, when it is not one cookie or authorization header (peers). */
  headers?: Record<string, string>
  /** Bytes the credential adds to every request: the whole header line. 0 for the baseline. */
  bytes: number
  accessToken?: string
  refreshToken?: string
}

export const headerBytes = (name: string, value: string): number => Buffer.byteLength(`${name}: ${value}\r\n`)

/** POST /session/login → the `sid` cookie as a Cookie header value (`sid=<signed id>`). */
export async function loginSession (base: string, who: Login): Promise<Credential> {
  const { cookie } = await harnessLoginSession(base, who)
  return { username: who.username, header: { name: 'cookie', value: cookie }, bytes: headerBytes('Cookie', cookie) }
}

/** POST /jwt/login with transport "body" → access and refresh tokens. */
export async function loginJwt (base: string, who: Login): Promise<Credential & { accessToken: string, refreshToken: string }> {
  const { access, refresh } = await harnessLoginJwt(base, who)
  const value = `Bearer ${access}`
  return { username: who.username, header: { name: 'authorization', value }, bytes: headerBytes('Authorization', value), accessToken: access, refreshToken: refresh }
}

/** Logs `who` in through the strategy of `kind`. */
export async function login (base: string, kind: 'session' | 'jwt', who: Login): Promise<Credential> {
  return kind === 'session' ? await loginSession(base, who) : await loginJwt(base, who)
}

export function authOf (credential: Credential): Auth {
  if (credential.header === null) return {}
  return credential.header.name === 'cookie' ? { cookie: credential.header.value } : { bearer: credential.accessToken! }
}
