/** A minimal HTTP client for tests: real requests (harness/http.ts send), a cookie jar of name → value. */
import { clearsCookie, send, type Reply, type SendOptions } from '../../harness/http.js'

export { parseSetCookie, type Reply, type SetCookie } from '../../harness/http.js'

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
    const reply = await send<T>(this.baseUrl + path, method, { ...options, cookie: this.cookieHeader() } satisfies SendOptions)
    for (const c of reply.setCookies) {
      if (clearsCookie(c)) this.cookies.delete(c.name)
      else this.cookies.set(c.name, c.value)
    }
    return reply
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
