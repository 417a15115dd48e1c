import { readFileSync } from 'node:fs'
import t from 'tap'
import { AppError, ERRORS, RefreshRefused, unauthorized, type ErrorCode } from '../src/errors.js'
import { forEachStore, startApp } from './helpers/app.js'
import { alice, jwtLogin } from './helpers/jwt.js'

const CODES = Object.keys(ERRORS) as ErrorCode[]

t.test('the catalog: stable snake_case codes, each with a 4xx or 5xx status', async t => {
  for (const code of CODES) {
    t.match(code, /^[a-z]+(_[a-z]+)*$/, `${code}: snake_case`)
    t.ok(ERRORS[code] >= 400 && ERRORS[code] <= 599, `${code}: ${ERRORS[code]} is an error status`)
  }
})

t.test('AppError takes its status from the catalog; unauthorized() takes only 401 codes (tsc checks the misuses)', async t => {
  t.equal(new AppError('too_many_attempts', 'slow down', { 'retry-after': '3' }).statusCode, 429)
  t.equal(unauthorized('token_expired', 'refresh it').statusCode, 401)
  t.equal(new RefreshRefused('this account is disabled').statusCode, 401)
  t.equal(new RefreshRefused('this account is disabled').code, 'account_disabled')
  // @ts-expect-error forbidden is a 403 code
  t.equal(unauthorized('forbidden', 'no').statusCode, 403)
  // @ts-expect-error not a catalog code
  t.equal(new AppError('no_such_code', 'no').statusCode, undefined)
})

/** Codes src/README.md does not name yet (the docs' to-do; remove one when it is documented). */
const NOT_YET_DOCUMENTED: ErrorCode[] = []

/**
 * src/README.md and the catalog agree: every snake_case name in backticks in the `## Errors` section (prose or
 * in a `| \`code\` | status | ... |` table) is a catalog code, a table row says the catalog's status, and
 * the catalog's codes are documented in the file (but for NOT_YET_DOCUMENTED).
 */
t.test('src/README.md documents the catalog\'s codes and no others', async t => {
  const markdown = readFileSync('src/README.md', 'utf8')
  const start = markdown.search(/^## Errors\s*$/m)
  t.ok(start >= 0, 'src/README.md has an ## Errors section')
  const rest = markdown.slice(start)
  const next = rest.slice(1).search(/^## /m)
  const section = next < 0 ? rest : rest.slice(0, next + 1)
  const named = new Set([...section.matchAll(/`([a-z]+(?:_[a-z]+)+)`/g)].map(m => m[1] as string))
  t.ok(named.size >= 10, `the section names codes (${named.size})`)
  for (const code of named) t.ok(code in ERRORS, `${code}, named in ## Errors, is a catalog code`)
  for (const line of section.split('\n')) {
    const row = /^\| `([a-z_]+)` \| ([^|]*) \|/.exec(line.trim())
    if (row === null || !((row[1] as string) in ERRORS)) continue
    const code = row[1] as ErrorCode
    t.equal(Number(/\b[45]\d\d\b/.exec(row[2] as string)?.[0]), ERRORS[code], `${code}: the table says the catalog's status`)
  }
  for (const code of CODES) {
    if (!NOT_YET_DOCUMENTED.includes(code)) t.match(markdown, `\`${code}\``, `${code} is documented`)
  }
})

forEachStore(t, async (t, store) => {
  t.test('errors answer with their catalog status; a refresh refused for a disabled account is the one 401 account_disabled', async t => {
    const s = await startApp(t, { STORE: store })
    const c = s.client()
    const json = { 'content-type': 'application/json' }
    const l = await jwtLogin(s, alice)
    const replies = [
      await c.get('/no/such/route'),
      await c.request('POST', '/session/login', { body: '{"username":', headers: json }),
      await c.post('/session/login', { username: ['alice'], password: 'x' }),
      await c.post('/session/login', { username: 'alice', password: 'wrong-password-123' }),
      await c.get('/session/api/me'),
      await c.get('/jwt/api/me', { bearer: 'header.payload.signature' }),
      await c.get('/jwt/api/admin', { bearer: l.access }),
      await c.post('/jwt/refresh', { refresh_token: 'x'.repeat(43) })
    ]
    await s.app.svj.users.change('alice', 'disable')
    const refused = await c.post('/jwt/refresh', { refresh_token: l.refresh })
    replies.push(await c.post('/session/login', alice))
    const seen = replies.map(r => r.body.error as ErrorCode)
    t.same(seen, ['not_found', 'invalid_json', 'invalid_request', 'invalid_credentials', 'missing_credentials', 'invalid_token', 'forbidden', 'invalid_refresh_token', 'account_disabled'])
    for (const r of replies) t.equal(r.status, ERRORS[r.body.error as ErrorCode], `${r.body.error as string}: ${ERRORS[r.body.error as ErrorCode]}`)
    t.equal(refused.body.error, 'account_disabled')
    t.equal(refused.status, 401, 'a refresh refused for a disabled account: 401, so the client logs in again')
    t.equal(replies.at(-1)?.status, 403, 'the same code at login: 403')
  })
})
