import Fastify from 'fastify'
import fastifyJwt, { type FastifyJWTOptions } from '@fastify/jwt'
import type { Test } from 'tap'
import { COOKIES, cookieNames } from '../../harness/fixtures.js'
import type { TestApp } from './app.js'
import type { Client, Reply } from './http.js'

export { alice, benchUser, bob, demoAdmin as admin } from '../../harness/fixtures.js'
export { decodeJwt } from '../../harness/http.js'

/** The JWT_SECRET that test/helpers/app.ts's testEnv sets. */
export const TEST_JWT_SECRET = 'test-jwt-secret-test-jwt-secret-test-jwt'

export interface JwtLogin {
  client: Client
  access: string
  /** The refresh token: from the body (transport body) or the cookie jar (transport cookie). */
  refresh: string
  reply: Reply
}

/** Logs in through /jwt/login and returns the client (its cookie jar holds the refresh cookie, if any). */
export async function jwtLogin (s: TestApp, who: { username: string, password: string }, transport: 'cookie' | 'body' = 'body'): Promise<JwtLogin> {
  const client = s.client()
  const reply = await client.post('/jwt/login', { ...who, transport })
  if (reply.status !== 200) throw new Error(`jwt login ${who.username}: ${reply.status} ${reply.text}`)
  const refresh = transport === 'body' ? reply.body.refresh_token : client.cookies.get(COOKIES.refresh) ?? client.cookies.get(cookieNames(true).refresh) ?? ''
  return { client, access: reply.body.access_token, refresh, reply }
}

/** base64url(JSON) of a value: for hand-made `alg: none` tokens, which no library will produce. */
export const segment = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

export type Signer = (payload: Record<string, unknown>, options?: Record<string, unknown>) => string

/** @fastify/jwt with `options` in a throwaway Fastify instance, closed at teardown. */
async function jwtPlugin (t: Test, options: FastifyJWTOptions): Promise<ReturnType<typeof Fastify>['jwt']> {
  const f = Fastify({ logger: false })
  await f.register(fastifyJwt, options)
  await f.ready()
  t.teardown(async () => { await f.close() })
  return f.jwt
}

/** A token signer on @fastify/jwt, for forging tokens with any key, algorithm, header or claims. */
export async function makeSigner (t: Test, options: FastifyJWTOptions): Promise<Signer> {
  const jwt = await jwtPlugin(t, options)
  return (payload, signOptions) => jwt.sign(payload, signOptions as any)
}

/** A verifier on @fastify/jwt with the given options (another service checking our tokens). */
export async function makeVerifier (t: Test, options: FastifyJWTOptions): Promise<(token: string) => Record<string, any>> {
  const jwt = await jwtPlugin(t, options)
  return token => jwt.verify(token)
}

/** Claims that pass the server's checks for the given user (sub/ver/sid may still be checked by the mode). */
export function validClaims (payload: Record<string, any>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { sub, preferred_username: username, role, ver, sid } = payload
  return { sub, preferred_username: username, role, ver, sid, jti: `forged-${Math.random().toString(36).slice(2)}`, ...extra }
}
