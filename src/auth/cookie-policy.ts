import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config/config.js'
import type { StrategyCookie } from '../strategies/strategy.js'

/**
 * Cookie names and the Secure flag, per request under COOKIE_SECURE=auto.
 *
 * Each strategy declares its cookies (Strategy.cookies: a plain name like `sid`, `rt`, and the prefixed
 * Secure one, `__Host-sid`, `__Secure-rt`), and @fastify/session takes one fixed cookie name per
 * registration. Under `auto` (only ever left in place for a loopback HOST) the strategies use the plain
 * names, and this plugin turns a request that came over https (as Fastify sees it, TRUST_PROXY included)
 * into a prefixed, Secure one at the edges:
 * - in: `request.cookies.sid` becomes the value of `__Host-sid` (and `rt` that of `__Secure-rt`). A plain
 *   `sid`/`rt` sent over https is dropped: anyone on the network can plant one over http, while a browser
 *   only stores a prefixed cookie that came over https from this host;
 * - out: `reply.setCookie`/`clearCookie` of `sid`/`rt` write `__Host-sid`/`__Secure-rt` with Secure.
 * Plain http requests are left alone and get plain cookies. Nothing is added to other requests.
 */

type CookieOptions = Record<string, unknown> | undefined

/** Whether the cookies of this request get Secure and the prefixed names. */
export function secureCookies (config: Pick<Config, 'cookieSecure'>, request: FastifyRequest): boolean {
  return config.cookieSecure === 'auto' ? request.protocol === 'https' : config.cookieSecure
}

/** The name a cookie has on the wire for this request: `sid` or `__Host-sid`, `rt` or `__Secure-rt`. */
export function cookieNameFor (config: Pick<Config, 'cookieSecure'>, request: FastifyRequest, cookie: StrategyCookie): string {
  return secureCookies(config, request) ? cookie.secure : cookie.plain
}

/** The name a strategy uses internally (what `request.cookies` holds it under after this plugin). */
export function internalCookieName (config: Pick<Config, 'cookieSecure'>, cookie: StrategyCookie): string {
  return config.cookieSecure === true ? cookie.secure : cookie.plain
}

// One pair of functions shared by every https request (no closure per request); `this` is the reply.
type SetCookie = (this: FastifyReply, name: string, value: string, options?: CookieOptions) => FastifyReply
type ClearCookie = (this: FastifyReply, name: string, options?: CookieOptions) => FastifyReply
const kOriginal = Symbol('cookie-policy.original')
const kPrefixed = Symbol('cookie-policy.prefixed')
interface PatchedReply { [kOriginal]: { setCookie: SetCookie, clearCookie: ClearCookie }, [kPrefixed]: ReadonlyMap<string, string> }

function secureSetCookie (this: FastifyReply, name: string, value: string, options?: CookieOptions): FastifyReply {
  const patched = this as unknown as PatchedReply
  const prefixed = patched[kPrefixed].get(name)
  const original = patched[kOriginal].setCookie
  return prefixed === undefined ? original.call(this, name, value, options) : original.call(this, prefixed, value, { ...options, secure: true })
}

function secureClearCookie (this: FastifyReply, name: string, options?: CookieOptions): FastifyReply {
  const patched = this as unknown as PatchedReply
  const prefixed = patched[kPrefixed].get(name)
  const original = patched[kOriginal].clearCookie
  return prefixed === undefined ? original.call(this, name, options) : original.call(this, prefixed, { ...options, secure: true })
}

export const cookiePolicy = fp(async function cookiePolicy (app, opts: { config: Pick<Config, 'cookieSecure'>, cookies: readonly StrategyCookie[] }) {
  if (opts.config.cookieSecure !== 'auto') return
  const prefixedByPlain = new Map(opts.cookies.map(c => [c.plain, c.secure]))
  app.addHook('onRequest', function secureCookiesOverHttps (request, reply, done) {
    if (request.protocol !== 'https') {
      done()
      return
    }
    const cookies = request.cookies
    for (const [plain, prefixed] of prefixedByPlain) {
      const value = cookies[prefixed]
      if (value === undefined) delete cookies[plain]
      else cookies[plain] = value
    }
    const patched = reply as unknown as PatchedReply & { setCookie: SetCookie, clearCookie: ClearCookie }
    patched[kOriginal] = { setCookie: patched.setCookie, clearCookie: patched.clearCookie }
    patched[kPrefixed] = prefixedByPlain
    patched.setCookie = secureSetCookie
    patched.clearCookie = secureClearCookie
    done()
  })
}, { name: 'cookie-policy', dependencies: ['@fastify/cookie'] })
