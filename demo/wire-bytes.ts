/**
 * An exchange's size on the wire, counted the way the page's story player counts it
 * (web/src/stories/net.ts), so the runner's `--json` request steps and the page give the same numbers for
 * the same request. HTTP/1.1 as written: request line, Host, Origin (a browser sends it on every request
 * but GET and HEAD), the headers the client set, Content-Length, Cookie, then the body; status line, the
 * response headers, every Set-Cookie, then the body. Headers a browser adds by itself (User-Agent,
 * Accept…) are not counted, nor the demo-only x-demo-set-cookie.
 *
 * Pure (TextEncoder only, no Node and no DOM API), so the page and the runner could share this one module.
 */
export interface WireBytes { reqHead: number, reqBody: number, resHead: number, resBody: number }

export interface WireExchange {
  method: string
  /** The request target: path and query. */
  path: string
  /** `host[:port]` of the server, and the origin a page on it sends as Origin (null: a request sent without one). */
  host: string
  origin: string | null
  /** The request headers the client set, Cookie included (any case; a browser's own are left out here). */
  headers: Array<[string, string]>
  body: string
  status: number
  statusText: string
  /** The response headers (Set-Cookie is counted from `setCookies`; both it and x-demo-set-cookie are skipped here). */
  responseHeaders: Array<[string, string]>
  /** Every Set-Cookie header line, its value at full length. */
  setCookies: string[]
  responseText: string
}

const encoder = new TextEncoder()
export const byteSize = (s: string): number => encoder.encode(s).length
const headerBytes = (headers: Array<[string, string]>): number => headers.reduce((n, [k, v]) => n + byteSize(`${k}: ${v}\r\n`), 0)

/** What a browser sends whatever the page does: the page does not count it, so neither does this. */
const BROWSER_OWN = /^(user-agent|accept|accept-language|accept-encoding|connection|sec-fetch-.*|sec-ch-.*)$/
/** Sent once each, whoever names them: added below as a browser would. */
const COUNTED_BELOW = new Set(['host', 'content-length'])

export function wireBytes (x: WireExchange): WireBytes {
  const set = x.headers.filter(([k]) => !BROWSER_OWN.test(k.toLowerCase()) && !COUNTED_BELOW.has(k.toLowerCase()))
  const head: Array<[string, string]> = [['Host', x.host]]
  if (x.origin !== null && x.method !== 'GET' && x.method !== 'HEAD' && !set.some(([k]) => k.toLowerCase() === 'origin')) head.push(['Origin', x.origin])
  head.push(...set)
  if (x.body !== '') head.push(['content-length', String(byteSize(x.body))])
  const reqHead = byteSize(`${x.method} ${x.path} HTTP/1.1\r\n`) + headerBytes(head) + 2

  const shown = x.responseHeaders.filter(([k]) => k.toLowerCase() !== 'set-cookie' && k.toLowerCase() !== 'x-demo-set-cookie')
  const resHead = byteSize(`HTTP/1.1 ${x.status} ${x.statusText}\r\n`) + headerBytes(shown) + headerBytes(x.setCookies.map(c => ['set-cookie', c])) + 2
  return { reqHead, reqBody: byteSize(x.body), resHead, resBody: byteSize(x.responseText) }
}
