/** The demo's HTTP client is the harness's (harness/http.ts): fetch with a cookie jar that keeps the attributes the server set. */
export { Client, decodeJwt, type HeldCookie, type Reply } from '../harness/http.js'

export const redact = (secret: string, keep = 6): string => secret.length <= keep ? '…' : `${secret.slice(0, keep)}…`
