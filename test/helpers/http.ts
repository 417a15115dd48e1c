/** A minimal HTTP client for tests: the harness's fetch client (harness/http.ts) with a jar of name → value. */
import { JarClient, type Reply, type SetCookie } from '../../harness/http.js'

export { parseSetCookie, type Reply, type SetCookie } from '../../harness/http.js'

export interface RequestOptions {
  json?: unknown
  body?: string
  headers?: Record<string, string>
  bearer?: string
}

export class Client extends JarClient<string> {
  protected hold (c: SetCookie): string { return c.value }

  /** Every cookie of the jar (tests set paths by hand where it matters). */
  cookieHeader (): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
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
