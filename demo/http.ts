/** The demo's HTTP client is the harness's (harness/http.ts): fetch with a cookie jar that keeps the attributes the server set. */
import type { Reply } from '../harness/http.js'
import { wireBytes, type WireBytes } from './wire-bytes.js'

export { Client, decodeJwt, type HeldCookie, type Reply } from '../harness/http.js'
export type { WireBytes }

export const redact = (secret: string, keep = 6): string => secret.length <= keep ? '…' : `${secret.slice(0, keep)}…`

/**
 * A reply's exchange on the wire, as the page's story player counts it (./wire-bytes.ts): the runner's
 * clients play browsers, so a POST counts the Origin a browser would add, unless `origin: false` (a story
 * that sends one without it on purpose).
 */
export function replyBytes (r: Reply, options: { origin?: boolean } = {}): WireBytes {
  const url = new URL(r.sent.url)
  const responseHeaders: Array<[string, string]> = []
  r.headers.forEach((value, name) => { responseHeaders.push([name, value]) })
  return wireBytes({
    method: r.sent.method,
    path: url.pathname + url.search,
    host: url.host,
    origin: options.origin === false ? null : url.origin,
    headers: Object.entries(r.sent.headers),
    body: r.sent.body,
    status: r.status,
    statusText: r.statusText,
    responseHeaders,
    setCookies: r.headers.getSetCookie(),
    responseText: r.text
  })
}
