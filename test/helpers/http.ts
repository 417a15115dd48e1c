/** A minimal HTTP client for tests: real requests with fetch, a cookie jar, parsed Set-Cookie headers. */
import { parseSetCookie, type SetCookie } from '../../tools/set-cookie.js'

export { parseSetCookie, type SetCookie }

export interface Reply<T = any> {
  status: number
  headers: Headers
  body: T
  text: string
  setCookies: SetCookie[]
}

export interface RequestOptions {
  json?: unknown
  body?: string
  headers?: Record<string, string>
  bearer?: string
}

export class Client {
  readonly cookies = new Map<string, string>()

  constructor (readonly baseUrl: string) {}

  cookieHeader (): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  async request<T = any> (method: string, path: string, options: RequestOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers }
    if (this.cookies.size > 0 && headers.cookie === undefined) headers.cookie = this.cookieHeader()
    if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`
    let body = options.body
    if (options.json !== undefined) {
      body = JSON.stringify(options.json)
      headers['content-type'] ??= 'application/json'
    }
    const response = await fetch(this.baseUrl + path, { method, headers, body, redirect: 'manual' })
    const text = await response.text()
    const setCookies = response.headers.getSetCookie().map(parseSetCookie)
    for (const c of setCookies) {
      const expired = c.attributes['max-age'] === '0' || c.value === ''
      if (expired) this.cookies.delete(c.name)
      else this.cookies.set(c.name, c.value)
    }
    let parsed: any = text
    if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') parsed = JSON.parse(text)
    return { status: response.status, headers: response.headers, body: parsed, text, setCookies }
  }

  get<T = any> (path: string, options?: RequestOptions): Promise<Reply<T>> { return this.request('GET', path, options) }
  post<T = any> (path: string, json?: unknown, options: RequestOptions = {}): Promise<Reply<T>> {
    return this.request('POST', path, json === undefined ? options : { ...options, json })
  }

  delete<T = any> (path: string, options?: RequestOptions): Promise<Reply<T>> { return this.request('DELETE', path, options) }

  /** A second client holding a copy of this one's cookies: a stolen or replayed credential. */
  clone (): Client {
    const copy = new Client(this.baseUrl)
    for (const [k, v] of this.cookies) copy.cookies.set(k, v)
    return copy
  }
}
