/** fetch helpers for logins, admin changes and probes (the load itself goes through autocannon). */

export interface Reply {
  status: number
  headers: Headers
  body: any
}

export interface Auth {
  cookie?: string
  bearer?: string
}

export async function call (base: string, method: string, path: string, options: Auth & { json?: unknown } = {}): Promise<Reply> {
  const headers: Record<string, string> = {}
  if (options.cookie !== undefined) headers.cookie = options.cookie
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`
  let body: string | undefined
  if (options.json !== undefined) {
    body = JSON.stringify(options.json)
    headers['content-type'] = 'application/json'
  }
  const res = await fetch(base + path, { method, headers, body, redirect: 'manual' })
  const text = await res.text()
  let parsed: any = text
  if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text)
  return { status: res.status, headers: res.headers, body: parsed }
}

/** The header a credential travels in, and its size on the wire (`Name: value\r\n`). */
export interface Credential {
  username: string
  header: { name: 'cookie' | 'authorization', value: string } | null
  /** Bytes the credential adds to every request: the whole header line. 0 for the baseline. */
  bytes: number
  accessToken?: string
  refreshToken?: string
}

const headerBytes = (name: string, value: string): number => Buffer.byteLength(`${name}: ${value}\r\n`)

export class LoginError extends Error {}

/** POST /session/login → the `sid` cookie as a Cookie header value (`sid=<signed id>`). */
export async function loginSession (base: string, username: string, password: string): Promise<Credential> {
  const res = await fetch(`${base}/session/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password })
  })
  const text = await res.text()
  if (res.status !== 200) throw new LoginError(`session login of ${username}: ${res.status} ${text}`)
  const setCookie = res.headers.getSetCookie().find(c => /^(__Host-)?sid=/.test(c))
  if (setCookie === undefined) throw new LoginError(`session login of ${username}: no sid cookie`)
  const value = setCookie.split(';')[0]!
  return { username, header: { name: 'cookie', value }, bytes: headerBytes('Cookie', value) }
}

export interface TokenPair {
  access_token: string
  refresh_token: string
  expires_in: number
}

/** POST /jwt/login with transport "body" → access and refresh tokens. */
export async function loginJwt (base: string, username: string, password: string): Promise<Credential & { accessToken: string, refreshToken: string }> {
  const res = await call(base, 'POST', '/jwt/login', { json: { username, password, transport: 'body' } })
  if (res.status !== 200 || typeof res.body?.access_token !== 'string' || typeof res.body?.refresh_token !== 'string') {
    throw new LoginError(`jwt login of ${username}: ${res.status} ${JSON.stringify(res.body)}`)
  }
  const pair = res.body as TokenPair
  const value = `Bearer ${pair.access_token}`
  return {
    username,
    header: { name: 'authorization', value },
    bytes: headerBytes('Authorization', value),
    accessToken: pair.access_token,
    refreshToken: pair.refresh_token
  }
}

export function authOf (credential: Credential): Auth {
  if (credential.header === null) return {}
  return credential.header.name === 'cookie' ? { cookie: credential.header.value } : { bearer: credential.accessToken! }
}
