import t from 'tap'
import { startApp } from './helpers/app.js'

t.test('the verified-token cache never answers for another token', async t => {
  const s = await startApp(t, { AUTH_STRATEGIES: 'jwt', BENCH_USERS: '12' })
  const c = s.client()
  const tokens: Array<[string, string]> = []
  for (let i = 0; i < 12; i++) {
    const r = await c.post('/jwt/login', { username: `bench${i}`, password: 'bench-password', transport: 'body' })
    tokens.push([`bench${i}`, r.body.access_token])
  }
  // Interleaved and concurrent, so every answer after the first per token comes from the cache.
  for (let round = 0; round < 5; round++) {
    const answers = await Promise.all(tokens.map(async ([, token]) => await c.get('/jwt/api/me', { bearer: token })))
    answers.forEach((r, i) => { t.equal(r.body.username, tokens[i]![0], `round ${round}: token ${i} is its own user`) })
  }
  const [, cached] = tokens[0]!
  const [header, payload, signature] = cached.split('.') as [string, string, string]
  const otherPayload = tokens[1]![1].split('.')[1]!
  for (const forged of [`${header}.${otherPayload}.${signature}`, `${cached}x`, cached.slice(0, -1), `${header}.${payload}.`, ` ${cached}`.trim() + '=']) {
    const r = await c.get('/jwt/api/me', { bearer: forged })
    t.equal(r.status, 401, 'a variant of a cached token is verified on its own')
    t.equal(r.body.error, 'invalid_token')
  }
  t.equal((await c.get('/jwt/api/me', { bearer: cached })).body.username, 'bench0', 'and the original still works')
})
