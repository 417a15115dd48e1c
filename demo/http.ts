/** The demo's HTTP client: real requests with fetch, a cookie jar that keeps the attributes the server set. */
import { parseSetCookie as parseRawSetCookie, type SetCookie } from '../tools/set-cookie.js'

/** A cookie as the client holds it: the attributes exactly as the server's Set-Cookie gave them. */
export interface HeldCookie extends SetCookie {
  receivedAt: number
}

export function parseSetCookie (header: string): HeldCookie {
  return { ...parseRawSetCookie(header), receivedAt: Date.now() }
}

export interface Reply {
  status: number
  headers: Headers
  body: any
  text: string
  ms: number
  /** x-auth-store-ops, when the route is protected. */
  storeOps: string | null
}

export interface RequestOptions {
  json?: unknown
  bearer?: string | null
  headers?: Record<string, string>
}

export class Client {
  readonly cookies = new Map<string, HeldCookie>()

  constructor (public baseUrl: string, readonly userAgent: string) {}

  async request (method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...options.headers }
    const sendable = [...this.cookies.values()].filter(c => path.startsWith(String(c.attributes.path ?? '/')))
    if (sendable.length > 0) headers.cookie = sendable.map(c => `${c.name}=${c.value}`).join('; ')
    if (options.bearer !== undefined && options.bearer !== null) headers.authorization = `Bearer ${options.bearer}`
    let body: string | undefined
    if (options.json !== undefined) {
      body = JSON.stringify(options.json)
      headers['content-type'] = 'application/json'
    }
    const started = performance.now()
    const response = await fetch(this.baseUrl + path, { method, headers, body, redirect: 'manual' })
    const text = await response.text()
    const ms = Math.round(performance.now() - started)
    for (const c of response.headers.getSetCookie().map(parseSetCookie)) {
      if (c.attributes['max-age'] === '0' || c.value === '') this.cookies.delete(c.name)
      else this.cookies.set(c.name, c)
    }
    let parsed: any = text
    if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text)
    return { status: response.status, headers: response.headers, body: parsed, text, ms, storeOps: response.headers.get('x-auth-store-ops') }
  }

  /** A copy of this client's cookies in another client: what a thief holds after copying them. */
  copyCookiesTo (other: Client, names?: string[]): void {
    for (const [name, c] of this.cookies) if (names === undefined || names.includes(name)) other.cookies.set(name, { ...c })
  }
}

/** Decodes a JWT's header and payload without verifying it: what any holder of the token can read. */
export function decodeJwt (token: string): { header: Record<string, any>, payload: Record<string, any>, signature: string } {
  const [header = '', payload = '', signature = ''] = token.split('.')
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
    signature
  }
}

export const redact = (secret: string, keep = 6): string => secret.length <= keep ? '…' : `${secret.slice(0, keep)}…`
