/**
 * The player's HTTP client: fetch, plus what a browser page cannot see directly. Script cannot read
 * Set-Cookie or an HttpOnly cookie, so the jar below follows the server's `x-demo-set-cookie` header
 * (each Set-Cookie with its value redacted to its length) to know which cookies the browser holds, with
 * which attributes, and how many bytes their Cookie header costs. Sizes are HTTP/1.1 as written on the
 * wire: request line, Host, Origin (sent on a POST), Cookie and the headers the page set, the body;
 * status line, the response headers fetch exposes, the Set-Cookie headers, the body. Headers the browser
 * adds by itself (User-Agent, Accept…) and the demo-only x-demo-set-cookie are not counted.
 */
import type { Exchange } from './types.js'

export interface HeldCookie { name: string, path: string, chars: number, attributes: string, setCookie: string }

const enc = new TextEncoder()
const size = (s: string): number => enc.encode(s).length

/** `abcdef...(37 chars, redacted)` → 37; the server's redaction of a Set-Cookie value (src/routes/demo-routes.ts). */
const valueChars = (shown: string): number => Number(/\((\d+) chars/.exec(shown)?.[1] ?? shown.length)

export class CookieJar {
  readonly cookies = new Map<string, HeldCookie>()

  /** Applies the Set-Cookie headers of one response (as x-demo-set-cookie repeats them). */
  apply (header: string | null): void {
    if (header === null) return
    for (const one of header.split(' | ')) {
      const eq = one.indexOf('=')
      const semi = one.indexOf(';')
      const name = one.slice(0, eq)
      const shown = one.slice(eq + 1, semi === -1 ? undefined : semi)
      const attributes = semi === -1 ? '' : one.slice(semi + 1).trim()
      const path = /(?:^|;\s*)Path=([^;]*)/i.exec(attributes)?.[1] ?? '/'
      const key = `${name}|${path}`
      const expired = /Expires=Thu, 01 Jan 1970/i.test(attributes) || /Max-Age=0(?:;|$)/i.test(attributes)
      if (shown === '' || expired) this.cookies.delete(key)
      else this.cookies.set(key, { name, path, chars: valueChars(shown), attributes, setCookie: one })
    }
  }

  /** The cookies the browser sends to `path` (RFC 6265 path match). */
  sentTo (path: string): HeldCookie[] {
    const p = path.split('?')[0] ?? path
    return [...this.cookies.values()].filter(c => p === c.path || (p.startsWith(c.path) && (c.path.endsWith('/') || p[c.path.length] === '/')))
  }

  /** The cookies stored for exactly this path (what one mount's client holds). */
  at (path: string): HeldCookie[] {
    return [...this.cookies.values()].filter(c => c.path === path)
  }

  clear (): void { this.cookies.clear() }
}

export interface SendOptions { body?: object, bearer?: string | null, cookies?: boolean, actor: string }

const shorten = (s: string, keep = 14): string => s.length <= keep ? s : `${s.slice(0, keep)}…(${s.length} chars)`

function errorOf (body: unknown): string | null {
  return typeof body === 'object' && body !== null && 'error' in body ? String((body as { error: unknown }).error) : null
}

export class Net {
  readonly jar = new CookieJar()

  async send (method: string, path: string, opts: SendOptions): Promise<Exchange> {
    const headers: Record<string, string> = {}
    const bodyText = opts.body === undefined ? '' : JSON.stringify(opts.body)
    if (opts.body !== undefined) headers['content-type'] = 'application/json'
    if (opts.bearer !== undefined && opts.bearer !== null) headers.authorization = `Bearer ${opts.bearer}`
    const withCookies = opts.cookies !== false
    const cookies = withCookies ? this.jar.sentTo(path) : []

    // What goes on the wire, header by header (values in full for the count, shortened for the screen).
    const wire: Array<[string, string]> = [['Host', location.host]]
    if (method !== 'GET' && method !== 'HEAD') wire.push(['Origin', location.origin])
    for (const [k, v] of Object.entries(headers)) wire.push([k, v])
    if (bodyText !== '') wire.push(['content-length', String(size(bodyText))])
    const cookieHeader = cookies.map(c => `${c.name}=${'x'.repeat(c.chars)}`).join('; ')
    if (cookieHeader !== '') wire.push(['Cookie', cookieHeader])
    const reqHead = size(`${method} ${path} HTTP/1.1\r\n`) + wire.reduce((n, [k, v]) => n + size(`${k}: ${v}\r\n`), 0) + 2

    const shown: Array<[string, string]> = []
    if (headers.authorization !== undefined) shown.push(['Authorization', `Bearer ${shorten(opts.bearer ?? '', 12)}`])
    if (cookies.length > 0) shown.push(['Cookie', cookies.map(c => `${c.name}=…(${c.chars} chars)`).join('; ')])
    if (headers['content-type'] !== undefined) shown.push(['Content-Type', headers['content-type']])

    const started = performance.now()
    const res = await fetch(path, { method, headers, credentials: withCookies ? 'same-origin' : 'omit', ...(bodyText === '' ? {} : { body: bodyText }) })
    const text = await res.text()
    const ms = Math.round(performance.now() - started)
    const setCookie = res.headers.get('x-demo-set-cookie')
    if (withCookies) this.jar.apply(setCookie)
    let response: unknown = text
    try { response = text === '' ? '' : JSON.parse(text) } catch { /* not JSON */ }

    let resHead = size(`HTTP/1.1 ${res.status} ${res.statusText}\r\n`) + 2
    res.headers.forEach((v, k) => { if (k !== 'x-demo-set-cookie') resHead += size(`${k}: ${v}\r\n`) })
    // Set-Cookie is hidden from script: its size from the redacted copy plus the value's real length.
    for (const one of setCookie === null ? [] : setCookie.split(' | ')) {
      const eq = one.indexOf('=')
      const semi = one.indexOf(';')
      const shownValue = one.slice(eq + 1, semi === -1 ? undefined : semi)
      resHead += size(`set-cookie: ${one}\r\n`) - size(shownValue) + (shownValue === '' ? 0 : valueChars(shownValue))
    }

    const exchange: Exchange = {
      actor: opts.actor,
      method,
      path,
      headers: shown,
      body: opts.body,
      status: res.status,
      error: errorOf(response),
      storeOps: res.headers.get('x-auth-store-ops'),
      response,
      ms,
      bytes: { reqHead, reqBody: size(bodyText), resHead, resBody: size(text) }
    }
    if (path === '/demo/attack' && typeof response === 'object' && response !== null && 'status' in response) {
      const r = response as { method: string, path: string, status: number, storeOps: string | null, body: unknown }
      exchange.replayed = { method: r.method, path: r.path, status: r.status, storeOps: r.storeOps, error: errorOf(r.body) }
    }
    return exchange
  }
}

/** The header and payload of a JWT (anyone holding it can read them; only the signature needs the key). */
export function decodeJwt (token: string): { header: unknown, payload: { exp?: number, [k: string]: unknown } } | null {
  const [h, p] = token.split('.')
  if (h === undefined || p === undefined) return null
  const seg = (s: string): unknown => {
    const b64 = s.replace(/-/g, '+').replace(/_/g, '/')
    return JSON.parse(decodeURIComponent(Array.from(atob(b64), c => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('')))
  }
  try {
    return { header: seg(h), payload: seg(p) as { exp?: number } }
  } catch {
    return null
  }
}

/** The status a step judges by: the replayed request's for the attacker, else the page's own. */
export const statusOf = (x: Exchange): number => x.replayed?.status ?? x.status
export const errorCodeOf = (x: Exchange): string | null => x.replayed === undefined ? x.error : x.replayed.error
