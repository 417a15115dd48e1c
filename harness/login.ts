/** Logging in through each strategy's real login route, as the tests, the bench, the demo and the soak do. */
import { COOKIES, adminOf, cookieNames, type Login } from './fixtures.js'
import { send, type Reply } from './http.js'

export class LoginError extends Error {}

export type StrategyKind = 'session' | 'jwt'

export interface SessionLogin {
  /** `sid=<signed id>`: the Cookie header value that carries the session. */
  cookie: string
  reply: Reply
}

/** POST /session/login → the session cookie. Throws LoginError unless 200 with a session cookie. */
export async function loginSession (base: string, who: Login): Promise<SessionLogin> {
  const reply = await send(`${base}/session/login`, 'POST', { json: who })
  if (reply.status !== 200) throw new LoginError(`session login of ${who.username}: ${reply.status} ${reply.text}`)
  const names = [COOKIES.session, cookieNames(true).session]
  const set = reply.setCookies.find(c => names.includes(c.name) && c.value !== '')
  if (set === undefined) throw new LoginError(`session login of ${who.username}: no session cookie`)
  return { cookie: `${set.name}=${set.value}`, reply }
}

export interface JwtLogin {
  access: string
  /** From the body (transport body) or the refresh cookie (transport cookie). */
  refresh: string
  reply: Reply
}

/** POST /jwt/login → access and refresh tokens. Throws LoginError unless 200 with both. */
export async function loginJwt (base: string, who: Login, transport: 'body' | 'cookie' = 'body'): Promise<JwtLogin> {
  const reply = await send(`${base}/jwt/login`, 'POST', { json: { ...who, transport } })
  const names = [COOKIES.refresh, cookieNames(true).refresh]
  const refresh = transport === 'body' ? reply.body?.refresh_token : reply.setCookies.find(c => names.includes(c.name))?.value
  if (reply.status !== 200 || typeof reply.body?.access_token !== 'string' || typeof refresh !== 'string') {
    throw new LoginError(`jwt login of ${who.username}: ${reply.status} ${reply.text}`)
  }
  return { access: reply.body.access_token, refresh, reply }
}

/** Logs the admin in with `login` (through either strategy), with the password adminOf(env) says. */
export async function loginAdmin<T> (env: Record<string, string | undefined>, login: (who: Login) => Promise<T>): Promise<T> {
  return await login(adminOf(env))
}
