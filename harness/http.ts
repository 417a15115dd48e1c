/**
 * The harness's HTTP clients: `send` (one fetch), `JarClient` (fetch with a cookie jar; `Client` keeps
 * the attributes the server set) and `RawClient` (node:http over one keep-alive agent, for any header bytes
 * and for load), plus the readers every caller needs: bodies, Set-Cookie headers and JWT payloads.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { parseSetCookie, type SetCookie } from './set-cookie.js'

export { parseSetCookie, type SetCookie }

/** A body as every client reads it: parsed when the server says JSON, else the text. */
export function parseBody (contentType: string | string[] | undefined | null, text: string, lenient = false): any {
  if (text === '' || !String(contentType ?? '').includes('json')) return text
  if (!lenient) return JSON.parse(text)
  try { return JSON.parse(text) } catch { return text }
}

/** A Set-Cookie that deletes the cookie (what logout and a failed refresh send). */
export const clearsCookie = (c: SetCookie): boolean => c.attributes['max-age'] === '0' || c.value === ''

/** The value of the first non-empty `name` cookie among raw Set-Cookie headers. */
export function cookieValue (setCookies: readonly string[], name: string): string | undefined {
  for (const line of setCookies) {
    const c = parseSetCookie(line)
    if (c.name === name && c.value !== '') return c.value
  }
  return undefined
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

export interface Reply<T = any> {
  status: number
  statusText: string
  headers: Headers
  body: T
  text: string
  setCookies: SetCookie[]
  /** Round trip in whole milliseconds. */
  ms: number
  /** x-auth-store-ops, when the route is protected. */
  storeOps: string | null
  /** The request as given to fetch (fetch adds its own headers besides): what its size is counted from (demo/wire-bytes.ts). */
  sent: { method: string, url: string, headers: Record<string, string>, body: string }
}

export interface SendOptions {
  json?: unknown
  body?: string
  headers?: Record<string, string>
  /** A Cookie header value (`name=value; ...`); an explicit `cookie` header wins. */
  cookie?: string
  bearer?: string | null
}

/** One request with fetch (no redirects followed). */
export async function send<T = any> (url: string, method: string, options: SendOptions = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers }
  if (options.cookie !== undefined && options.cookie !== '') headers.cookie ??= options.cookie
  if (options.bearer !== undefined && options.bearer !== null) headers.authorization = `Bearer ${options.bearer}`
  let body = options.body
  if (options.json !== undefined) {
    body = JSON.stringify(options.json)
    headers['content-type'] ??= 'application/json'
  }
  const started = performance.now()
  const response = await fetch(url, { method, headers, body, redirect: 'manual' })
  const text = await response.text()
  const ms = Math.round(performance.now() - started)
  return {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    body: parseBody(response.headers.get('content-type'), text),
    text,
    setCookies: response.headers.getSetCookie().map(parseSetCookie),
    ms,
    storeOps: response.headers.get('x-auth-store-ops'),
    sent: { method, url, headers, body: body ?? '' }
  }
}

/**
 * fetch with a cookie jar: every Set-Cookie is kept (a clearing one deletes), and `cookieHeader(path)` is sent
 * with each request. `C` is how the jar holds a cookie: its value (tests), or the whole Set-Cookie (demo).
 */
export abstract class JarClient<C> {
  readonly cookies = new Map<string, C>()

  constructor (readonly baseUrl: string, readonly userAgent?: string) {}

  /** What the jar keeps of a cookie the server set. */
  protected abstract hold (c: SetCookie): C

  /** The Cookie header for a request to `path` ('' for none). */
  abstract cookieHeader (path?: string): string

  async request<T = any> (method: string, path: string, options: SendOptions = {}): Promise<Reply<T>> {
    const headers = this.userAgent === undefined ? options.headers : { 'user-agent': this.userAgent, ...options.headers }
    const reply = await send<T>(this.baseUrl + path, method, { ...options, headers, cookie: this.cookieHeader(path) })
    for (const c of reply.setCookies) {
      if (clearsCookie(c)) this.cookies.delete(c.name)
      else this.cookies.set(c.name, this.hold(c))
    }
    return reply
  }
}

/** A cookie as the client holds it: the attributes exactly as the server's Set-Cookie gave them. */
export interface HeldCookie extends SetCookie {
  receivedAt: number
}

/** A browser-like client: keeps each cookie's attributes and sends it only under its Path. */
export class Client extends JarClient<HeldCookie> {
  protected hold (c: SetCookie): HeldCookie { return { ...c, receivedAt: Date.now() } }

  cookieHeader (path = '/'): string {
    return [...this.cookies.values()].filter(c => path.startsWith(String(c.attributes.path ?? '/'))).map(c => `${c.name}=${c.value}`).join('; ')
  }

  /** A copy of this client's cookies in another client: what a thief holds after copying them. */
  copyCookiesTo (other: Client, names?: string[]): void {
    for (const [name, c] of this.cookies) if (names === undefined || names.includes(name)) other.cookies.set(name, { ...c })
  }
}

export interface RawReply {
  status: number
  headers: IncomingHttpHeaders
  text: string
  body: any
  /** Set-Cookie headers as sent. */
  setCookies: string[]
}

export interface RawRequest {
  method: string
  path: string
  headers?: Record<string, string>
  body?: string | Buffer
}

/**
 * A real HTTP client over one keep-alive agent. Header values go out as given (Node's client refuses
 * only NUL..US except tab, DEL and characters above U+00FF, which no browser or fetch can send either).
 */
export class RawClient {
  private readonly agent: Agent
  private readonly host: string
  private readonly port: number

  constructor (baseUrl: string, private readonly options: { sockets?: number, headers?: Record<string, string> } = {}) {
    const url = new URL(baseUrl)
    this.host = url.hostname
    this.port = Number(url.port)
    this.agent = new Agent({ keepAlive: true, maxSockets: options.sockets ?? 4 })
  }

  /** A JSON API call: `json` as the body, a bearer token and a Cookie header when given. */
  async call (method: string, path: string, opts: { json?: unknown, bearer?: string, cookie?: string } = {}): Promise<RawReply> {
    const headers: Record<string, string> = {}
    if (opts.json !== undefined) headers['content-type'] = 'application/json'
    if (opts.bearer !== undefined) headers.authorization = `Bearer ${opts.bearer}`
    if (opts.cookie !== undefined) headers.cookie = opts.cookie
    return await this.send({ method, path, headers, ...(opts.json === undefined ? {} : { body: JSON.stringify(opts.json) }) })
  }

  async send (req: RawRequest): Promise<RawReply> {
    try {
      return await this.once(req, false)
    } catch (err) {
      // Node's documented keep-alive race: the server closed a pooled socket just as it was reused
      // (Fastify closes the connection after its 431 without saying Connection: close). Retried once on
      // a fresh connection; a server that really dropped the request fails the retry too.
      if ((err as { reusedSocket?: boolean }).reusedSocket === true) return await this.once(req, true)
      throw err
    }
  }

  private async once (req: RawRequest, fresh: boolean): Promise<RawReply> {
    const headers: Record<string, string | number> = { ...this.options.headers, ...req.headers }
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body)
    // A header block Node will refuse (431) gets a connection of its own: the server closes it after.
    const size = Object.entries(headers).reduce((n, [k, v]) => n + k.length + String(v).length + 4, 0)
    const agent = fresh || size > 8 * 1024 ? false : this.agent
    return await new Promise((resolve, reject) => {
      const r = httpRequest({ agent, host: this.host, port: this.port, method: req.method, path: req.path, headers }, res => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          const body = parseBody(res.headers['content-type'], text, true)
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body, setCookies: res.headers['set-cookie'] ?? [] })
        })
      })
      r.on('error', (err: Error) => { reject(Object.assign(err, { reusedSocket: r.reusedSocket })) })
      if (req.body !== undefined) r.write(req.body)
      r.end()
    })
  }

  close (): void { this.agent.destroy() }
}
