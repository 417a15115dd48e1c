import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, helpText, loadConfig, OPTIONS, parseCli } from '../src/config/config.js'
import { parseDuration } from '../src/config/duration.js'
import { fastifyTrustProxy } from '../src/app.js'

const SECRET = 'x'.repeat(32)

t.test('defaults', async t => {
  const c = loadConfig({})
  t.same(c.strategies, ['session', 'jwt'])
  t.equal(c.store, 'memory')
  t.equal(c.redisUrl, 'redis://127.0.0.1:6379')
  t.equal(c.host, '127.0.0.1')
  t.equal(c.port, 3000)
  t.equal(c.logLevel, 'info')
  t.equal(c.cookieSecure, 'auto', 'COOKIE_SECURE=auto on a loopback HOST stays per request')
  t.equal(c.trustProxy, false)
  t.equal(c.maxSessionsPerUser, 0)
  t.equal(c.benchUsers, 0)
  t.equal(c.session.idleTtlMs, 30 * 60_000)
  t.equal(c.session.absoluteTtlMs, 12 * 3600_000)
  t.equal(c.session.rolling, false)
  t.equal(c.session.persistentCookie, true, 'the session cookie survives a browser restart unless told otherwise')
  t.equal(c.jwt.verifyCache, true)
  t.same(c.loginRateLimit, { max: 10, windowMs: 15 * 60_000 })
  t.same(c.loginRateLimitPerAddress, { max: 100, windowMs: 15 * 60_000 })
  const off = loadConfig({ LOGIN_RATE_LIMIT: 'off' })
  t.equal(off.loginRateLimit, null)
  t.equal(off.loginRateLimitPerAddress, null, 'off turns off both limits')
  t.same(loadConfig({ LOGIN_RATE_LIMIT_PER_ADDRESS: 'OFF' }).loginRateLimitPerAddress, null)
  t.equal(loadConfig({ JWT_VERIFY_CACHE: 'false' }).jwt.verifyCache, false)
  t.ok(Buffer.byteLength(c.session.secret) >= 32, 'a random secret is generated')
  t.match(c.warnings.join('\n'), /SESSION_SECRET is not set/, 'with a warning')
  t.not(loadConfig({}).session.secret, c.session.secret, 'random per start')
})

t.test('valid values', async t => {
  const c = loadConfig({
    AUTH_STRATEGIES: ' session ',
    STORE: 'redis',
    REDIS_URL: 'redis://h:1/2',
    PORT: '0',
    LOG_LEVEL: 'warn',
    SESSION_SECRET: SECRET,
    SESSION_IDLE_TTL: '900s',
    SESSION_ABSOLUTE_TTL: '14d',
    SESSION_ROLLING: 'true',
    SESSION_COOKIE_PERSISTENT: 'false',
    MAX_SESSIONS_PER_USER: '3',
    COOKIE_SECURE: 'false',
    BENCH_USERS: '100',
    ALLOWED_ORIGINS: 'https://a.example,http://b.example:8080'
  })
  t.same(c.strategies, ['session'])
  t.equal(c.store, 'redis')
  t.equal(c.port, 0)
  t.equal(c.session.secret, SECRET)
  t.equal(c.warnings.length, 0)
  t.equal(c.session.idleTtlMs, 900_000)
  t.equal(c.session.absoluteTtlMs, 14 * 86400_000)
  t.equal(c.session.rolling, true)
  t.equal(c.session.persistentCookie, false)
  t.equal(c.maxSessionsPerUser, 3)
  t.equal(c.cookieSecure, false)
  t.equal(c.benchUsers, 100)
  t.same(c.allowedOrigins, ['https://a.example', 'http://b.example:8080'])
})

t.test('durations', async t => {
  t.equal(parseDuration('900s'), 900_000)
  t.equal(parseDuration('15m'), 900_000)
  t.equal(parseDuration('12h'), 43_200_000)
  t.equal(parseDuration('14d'), 1_209_600_000)
  t.equal(parseDuration('90'), 90_000, 'plain seconds')
  for (const bad of ['-5', '1.5h', '15 m', 'm', '', '10w', '1e3', '99999999999999999d']) t.equal(parseDuration(bad), null, `rejects '${bad}'`)
})

t.test('each invalid value is a ConfigError naming the variable', async t => {
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{ STORE: 'mongo' }, 'STORE', /memory, redis/],
    [{ PORT: 'abc' }, 'PORT', /integer/],
    [{ PORT: '70000' }, 'PORT', /0 to 65535/],
    [{ PORT: '-1' }, 'PORT', /integer/],
    [{ SESSION_IDLE_TTL: '-5' }, 'SESSION_IDLE_TTL', /duration/],
    [{ SESSION_IDLE_TTL: '0' }, 'SESSION_IDLE_TTL', /at least 1s/],
    [{ SESSION_ABSOLUTE_TTL: 'forever' }, 'SESSION_ABSOLUTE_TTL', /duration/],
    [{ SESSION_SECRET: 'short' }, 'SESSION_SECRET', /at least 32 bytes/],
    [{ AUTH_STRATEGIES: 'session,oauth' }, 'AUTH_STRATEGIES', /session, jwt.*oauth/],
    [{ AUTH_STRATEGIES: ',' }, 'AUTH_STRATEGIES', /session, jwt/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /info/],
    [{ COOKIE_SECURE: 'maybe' }, 'COOKIE_SECURE', /auto, true or false/],
    [{ SESSION_ROLLING: '2' }, 'SESSION_ROLLING', /true or false/],
    [{ SESSION_COOKIE_PERSISTENT: 'sometimes' }, 'SESSION_COOKIE_PERSISTENT', /true or false/],
    [{ SESSION_REDIS_STORE: 'connect' }, 'SESSION_REDIS_STORE', /own, connect-redis/],
    [{ BENCH_USERS: '-1' }, 'BENCH_USERS', /integer/],
    [{ MAX_SESSIONS_PER_USER: '1.5' }, 'MAX_SESSIONS_PER_USER', /integer/],
    [{ REDIS_URL: 'http://localhost' }, 'REDIS_URL', /redis:\/\//],
    [{ ALLOWED_ORIGINS: 'not a url' }, 'ALLOWED_ORIGINS', /origins/],
    [{ ALLOWED_ORIGINS: 'https://a.example/path' }, 'ALLOWED_ORIGINS', /origins/],
    [{ PASSWORD_HASH_COST: '8' }, 'PASSWORD_HASH_COST', /14 to 20/],
    [{ JWT_REVOCATION: 'sometimes' }, 'JWT_REVOCATION', /none, denylist, version/],
    [{ JWT_CLOCK_TOLERANCE: '5m' }, 'JWT_CLOCK_TOLERANCE', /0s to 1m/],
    [{ KEY_PREFIX: 'has space' }, 'KEY_PREFIX', /letters/],
    [{ LOGIN_RATE_LIMIT: '10' }, 'LOGIN_RATE_LIMIT', /10\/15m, or off/],
    [{ LOGIN_RATE_LIMIT: '0/15m' }, 'LOGIN_RATE_LIMIT', /or off/],
    [{ LOGIN_RATE_LIMIT_PER_ADDRESS: '5/never' }, 'LOGIN_RATE_LIMIT_PER_ADDRESS', /or off/]
  ]
  for (const [env, name, allowed] of cases) {
    try {
      loadConfig({ SESSION_SECRET: SECRET, JWT_SECRET: SECRET, ...env })
      t.fail(`${JSON.stringify(env)} should fail`)
    } catch (err) {
      t.type(err, ConfigError)
      const message = (err as Error).message
      t.ok(message.startsWith(`${name}:`), `names ${name}: ${message}`)
      t.match(message, allowed, 'says what is allowed')
      t.notMatch(message, /\n/, 'one line')
    }
  }
})

t.test('flags override the environment', async t => {
  const cli = parseCli(['--store', 'redis', '--port=4000', '--strategies', 'session', '--redis-url', 'redis://x:1', '--host', '0.0.0.0', '--bench-users', '5', '--log-level', 'debug'])
  t.equal(cli.help, false)
  const c = loadConfig({ STORE: 'memory', PORT: '1', SESSION_SECRET: SECRET }, cli.overrides)
  t.equal(c.store, 'redis')
  t.equal(c.port, 4000)
  t.same(c.strategies, ['session'])
  t.equal(c.redisUrl, 'redis://x:1')
  t.equal(c.host, '0.0.0.0')
  t.equal(c.benchUsers, 5)
  t.equal(c.logLevel, 'debug')
  t.equal(parseCli(['--help']).help, true)
  t.throws(() => parseCli(['--nope']), ConfigError)
  t.throws(() => parseCli(['positional']), ConfigError)
})

t.test('--help lists every setting', async t => {
  const help = helpText()
  for (const option of OPTIONS) t.match(help, option.env)
  t.match(help, '--strategies')
  t.match(help, '--redis-url')
})

t.test('the server process refuses a bad configuration with one line and a non-zero exit', async t => {
  const run = (env: Record<string, string>, args: string[] = []): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, ['dist/server.js', ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 20_000 })
  for (const [env, name] of [[{ STORE: 'mongo' }, 'STORE'], [{ PORT: 'abc' }, 'PORT'], [{ SESSION_IDLE_TTL: '-5' }, 'SESSION_IDLE_TTL'], [{ SESSION_SECRET: 'short' }, 'SESSION_SECRET']] as const) {
    const r = run(env)
    t.equal(r.status, 2, `${name}: exit 2`)
    const lines = String(r.stderr).trim().split('\n')
    t.equal(lines.length, 1, `${name}: one line`)
    t.match(lines[0], new RegExp(`^config error: ${name}:`))
  }
  const unreachable = run({ STORE: 'redis', REDIS_URL: 'redis://127.0.0.1:1' })
  t.equal(unreachable.status, 2)
  t.match(String(unreachable.stderr), /REDIS_URL: cannot reach/)
  const noCluster = run({ STORE: 'redis', REDIS_CLUSTER_NODES: '127.0.0.1:1' })
  t.equal(noCluster.status, 2)
  t.match(String(noCluster.stderr), /^config error: REDIS_CLUSTER_NODES: cannot reach 127\.0\.0\.1:1 /, 'an unreachable cluster is named as such')
  const help = run({}, ['--help'])
  t.equal(help.status, 0)
  t.match(String(help.stdout), /AUTH_STRATEGIES/)
})

t.test('TRUST_PROXY: false, a hop count or proxy addresses, never true', async t => {
  const load = (value: string): ReturnType<typeof loadConfig> => loadConfig({ SESSION_SECRET: SECRET, JWT_SECRET: SECRET, TRUST_PROXY: value })
  for (const value of ['true', 'TRUE', 'yes', 'on']) {
    try {
      load(value)
      t.fail(`TRUST_PROXY=${value} should fail`)
    } catch (err) {
      t.type(err, ConfigError)
      const message = (err as Error).message
      t.ok(message.startsWith('TRUST_PROXY:'), `names TRUST_PROXY: ${message}`)
      t.match(message, /TRUST_PROXY=1\b/, 'says to write a hop count')
      t.match(message, /TRUST_PROXY=10\.0\.0\.0\/8/, 'or the proxies\' addresses')
      t.notMatch(message, /\n/, 'one line')
    }
  }
  t.equal(load('false').trustProxy, false)
  t.equal(load('0').trustProxy, false)
  t.equal(load('1').trustProxy, 1)
  t.equal(load('2').trustProxy, 2)
  t.same(load('10.0.0.0/8, 192.168.1.7,::1,fd00::/8,loopback').trustProxy, ['10.0.0.0/8', '192.168.1.7', '::1', 'fd00::/8', 'loopback'])
  for (const bad of ['33', 'proxy', '10.0.0.0/33', '::1/129', '10.0.0.1/8/1', '10.0.0.0/x', '300.1.1.1', '1.5', '10.0.0.1,example.com']) {
    t.throws(() => load(bad), { name: 'ConfigError', message: /^TRUST_PROXY: expected false, a hop count/ }, `refuses '${bad}'`)
  }
  const hops = fastifyTrustProxy(2)
  t.type(hops, 'function', 'a hop count is handed to Fastify as a function: a bare number would trust nothing')
  if (typeof hops === 'function') t.same([0, 1, 2, 3].map(hop => hops('203.0.113.1', hop)), [true, true, false, false], 'the nearest two hops are trusted')
  t.equal(fastifyTrustProxy(false), false)
  t.same(fastifyTrustProxy(['10.0.0.0/8']), ['10.0.0.0/8'])

  const server = spawnSync(process.execPath, ['dist/server.js'], { env: { PATH: process.env.PATH, TRUST_PROXY: 'true' }, encoding: 'utf8', timeout: 20_000 })
  t.equal(server.status, 2, 'the server refuses to start')
  const lines = String(server.stderr).trim().split('\n')
  t.equal(lines.length, 1, 'with one line')
  t.match(lines[0], /^config error: TRUST_PROXY: .*TRUST_PROXY=1/)
})

t.test('DEMO_MODE: auto is on only for a loopback HOST; remote demo mode needs DEMO_ALLOW_REMOTE', async t => {
  t.equal(loadConfig({}).demoMode, true, 'auto on 127.0.0.1: on')
  t.equal(loadConfig({ HOST: '::1' }).demoMode, true, 'auto on ::1: on')
  t.equal(loadConfig({ HOST: 'localhost' }).demoMode, true, 'auto on localhost: on')
  t.equal(loadConfig({ HOST: '0.0.0.0' }).demoMode, false, 'auto on 0.0.0.0: off')
  t.equal(loadConfig({ HOST: '192.168.1.10', DEMO_MODE: 'auto' }).demoMode, false, 'auto on a LAN address: off')
  t.equal(loadConfig({ DEMO_MODE: 'false' }).demoMode, false, 'false: off, on loopback too')
  t.throws(() => loadConfig({ HOST: '0.0.0.0', DEMO_MODE: 'true' }), { name: 'ConfigError', message: /DEMO_MODE: .*DEMO_ALLOW_REMOTE=true/ }, 'true on 0.0.0.0 is refused')
  const remote = loadConfig({ HOST: '0.0.0.0', DEMO_MODE: 'true', DEMO_ALLOW_REMOTE: 'true' })
  t.equal(remote.demoMode, true, 'with DEMO_ALLOW_REMOTE=true it runs')
  t.match(remote.warnings.join('\n'), /DEMO_MODE=true on HOST=0\.0\.0\.0.*admin-password/, '…with a warning')
  t.throws(() => loadConfig({ DEMO_MODE: 'sometimes' }), { name: 'ConfigError', message: /DEMO_MODE: expected auto, true or false/ })
})

t.test('DEMO_UNSAFE_CSRF: only in demo mode on a loopback HOST', async t => {
  t.equal(loadConfig({}).demoUnsafeCsrf, false, 'off by default')
  t.equal(loadConfig({ DEMO_UNSAFE_CSRF: 'true' }).demoUnsafeCsrf, true, 'demo mode on 127.0.0.1: allowed')
  t.throws(() => loadConfig({ DEMO_UNSAFE_CSRF: 'true', DEMO_MODE: 'false' }), { name: 'ConfigError', message: /DEMO_UNSAFE_CSRF: .*DEMO_MODE off/ }, 'outside demo mode: refused')
  t.throws(() => loadConfig({ DEMO_UNSAFE_CSRF: 'true', HOST: '0.0.0.0', DEMO_MODE: 'true', DEMO_ALLOW_REMOTE: 'true' }), { name: 'ConfigError', message: /DEMO_UNSAFE_CSRF: .*HOST=0\.0\.0\.0/ }, 'a remote demo (DEMO_ALLOW_REMOTE) cannot have it either')
  t.throws(() => loadConfig({ DEMO_UNSAFE_CSRF: 'maybe' }), { name: 'ConfigError', message: /DEMO_UNSAFE_CSRF/ })
})

t.test('COOKIE_SECURE: auto stays per request only for a loopback HOST', async t => {
  t.equal(loadConfig({}).cookieSecure, 'auto')
  t.equal(loadConfig({ HOST: '0.0.0.0' }).cookieSecure, true, 'any other HOST: Secure cookies')
  t.equal(loadConfig({ HOST: '0.0.0.0', COOKIE_SECURE: 'false' }).cookieSecure, false, 'false still forces plain cookies')
  t.equal(loadConfig({ COOKIE_SECURE: 'true' }).cookieSecure, true, 'true still forces Secure cookies')
})

t.test('ADMIN_PASSWORD and ADMIN_PASSWORD_FILE', async t => {
  t.equal(loadConfig({}).adminPassword, null, 'unset: no admin password')
  t.equal(loadConfig({ ADMIN_PASSWORD: 'twelve-chars' }).adminPassword, 'twelve-chars', '12 characters are enough')
  t.throws(() => loadConfig({ ADMIN_PASSWORD: 'eleven-char' }), { name: 'ConfigError', message: /ADMIN_PASSWORD: expected a password of at least 12 characters; got '11 characters'/ })
  t.notMatch(String((() => { try { loadConfig({ ADMIN_PASSWORD: 'eleven-char' }) } catch (err) { return (err as Error).message } })()), /eleven-char/, 'the error never repeats the password')
  const dir = mkdtempSync(join(tmpdir(), 'svj-admin-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const file = join(dir, 'admin-password')
  writeFileSync(file, 'a-secret-from-a-file\n')
  t.equal(loadConfig({ ADMIN_PASSWORD_FILE: file }).adminPassword, 'a-secret-from-a-file', 'read from the file, trailing newline dropped')
  writeFileSync(file, 'short\n')
  t.throws(() => loadConfig({ ADMIN_PASSWORD_FILE: file }), { name: 'ConfigError', message: /ADMIN_PASSWORD_FILE: expected a password of at least 12 characters/ })
  t.throws(() => loadConfig({ ADMIN_PASSWORD_FILE: join(dir, 'missing') }), { name: 'ConfigError', message: /ADMIN_PASSWORD_FILE: expected a readable file; got .*ENOENT/ })
  t.throws(() => loadConfig({ ADMIN_PASSWORD: 'twelve-chars', ADMIN_PASSWORD_FILE: file }), { name: 'ConfigError', message: /either ADMIN_PASSWORD or ADMIN_PASSWORD_FILE/ })
})

t.test('REDIS_CLUSTER_NODES: a host:port list, only with STORE=redis', async t => {
  t.same(loadConfig({}).redisClusterNodes, [], 'unset: no cluster')
  t.same(loadConfig({ STORE: 'redis', REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b.internal:7001,[::1]:7002' }).redisClusterNodes,
    [{ host: '10.0.0.1', port: 7000 }, { host: 'redis-b.internal', port: 7001 }, { host: '::1', port: 7002 }])
  for (const bad of ['10.0.0.1', '10.0.0.1:0', '10.0.0.1:70000', 'redis://10.0.0.1:7000', '10.0.0.1:7000,,10.0.0.2:7000', '::1:7000', '[nope]:7000', 'a b:7000']) {
    t.throws(() => loadConfig({ STORE: 'redis', REDIS_CLUSTER_NODES: bad }), { name: 'ConfigError', message: /^REDIS_CLUSTER_NODES: expected a comma list of host:port/ }, `refuses '${bad}'`)
  }
  t.throws(() => loadConfig({ STORE: 'redis', REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.1:7000' }), { name: 'ConfigError', message: /each node once/ })
  t.throws(() => loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000' }), { name: 'ConfigError', message: /^REDIS_CLUSTER_NODES: set, but STORE=memory; set STORE=redis/ }, 'a cluster for the memory store is a mistake')
})

t.test('several bad values: the error names the first in --help order', async t => {
  // One bad value per option, from the server's, the session's, the shared and the JWT settings.
  const bad: Array<[string, string]> = [
    ['STORE', 'mongo'], ['PORT', 'abc'], ['LOGIN_RATE_LIMIT', '10'], ['SESSION_IDLE_TTL', '-5'],
    ['SESSION_REDIS_STORE', 'connect'], ['BENCH_USERS', '-1'], ['PASSWORD_HASH_COST', '8'], ['JWT_ALG', 'RS256'],
    ['JWT_REVOCATION', 'sometimes'], ['REFRESH_REUSE_GRACE', '61s'], ['JWT_VERIFY_CACHE', 'maybe']
  ]
  const order = OPTIONS.map(o => o.env)
  t.same(bad.map(([name]) => name), [...bad.map(([name]) => name)].sort((a, b) => order.indexOf(a) - order.indexOf(b)), 'the cases are in --help order')
  for (const [i, [first, firstValue]] of bad.entries()) {
    for (const [later, laterValue] of bad.slice(i + 1)) {
      t.throws(() => loadConfig({ SESSION_SECRET: SECRET, JWT_SECRET: SECRET, [later]: laterValue, [first]: firstValue }),
        { name: 'ConfigError', message: new RegExp(`^${first}: `) }, `${first} and ${later}: ${first}`)
    }
  }
})

t.test('the defaults --help prints are the values used when a setting is unset', async t => {
  const secrets = { SESSION_SECRET: SECRET, JWT_SECRET: SECRET }
  // Labels like (random per start) or (none) describe what happens when unset; every other default is a value.
  const printed = Object.fromEntries(OPTIONS.filter(o => !o.default.startsWith('(')).map(o => [o.env, o.default]))
  t.ok(Object.keys(printed).length >= 30, 'most defaults are values')
  t.same(loadConfig({ ...printed, ...secrets }), loadConfig(secrets))
})
