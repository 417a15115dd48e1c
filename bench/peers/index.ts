/**
 * Peers: what a user would pick instead of this project, measured in the same run as its strategies.
 * Each peer is a small server in this folder, started as its own node process (through tsx) on the port
 * the runner gives it, with `users` accounts bench0..bench{users-1} / BENCH_PASSWORD held in memory.
 * Every peer answers GET /ready (200 once listening), POST /login {username, password} (all but the
 * bare one) and GET /api/me with {id, username, role}. See README.md here for what each one configures.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { benchUser } from '../../harness/fixtures.js'
import { send } from '../../harness/http.js'
import { supervise } from '../../harness/server.js'

export interface PeerServer { url: string, pid: number, stop: () => Promise<void> }

export interface Peer {
  name: string
  description: string
  store: 'none' | 'redis'
  /** Starts the peer as its own node process on `port` (loopback), with `users` accounts bench0..bench{users-1} / BENCH_PASSWORD where it has logins. */
  start: (options: { port: number, redisUrl: string | null, users: number, keyPrefix: string }) => Promise<PeerServer>
  /** Logs user i in and returns the headers each measured request carries (cookie or authorization); {} for no auth. */
  login: (url: string, i: number) => Promise<Record<string, string>>
  /** The measured GET route. */
  path: string
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
// tsx's ESM loader by absolute URL, so the peer starts the same whatever the caller's working directory.
const TSX = import.meta.resolve('tsx')

/**
 * Runs bench/peers/`file` as `node --import tsx <file>` (one process: its pid is the server's) with only
 * PATH, HOME and the peer's settings in its environment, and waits until GET /ready answers 200.
 */
async function startPeer (name: string, file: string, options: Parameters<Peer['start']>[0], store: Peer['store']): Promise<PeerServer> {
  if (store === 'redis' && options.redisUrl === null) throw new Error(`${name} keeps its sessions in Redis: it needs a redisUrl`)
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'production',
    PORT: String(options.port),
    BENCH_USERS: String(options.users),
    KEY_PREFIX: options.keyPrefix,
    ...(store === 'redis' && options.redisUrl !== null ? { REDIS_URL: options.redisUrl } : {})
  }
  const child = spawn(process.execPath, ['--import', TSX, fileURLToPath(new URL(file, import.meta.url))], {
    cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  const keep = (chunk: Buffer): void => { output = (output + chunk.toString('utf8')).slice(-4000) }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const supervised = supervise(child, name)
  const url = `http://127.0.0.1:${options.port}`
  await supervised.ready(url, 30_000, () => output)
  return {
    url,
    pid: child.pid ?? -1,
    async stop () { await supervised.stop() }
  }
}

/** POST /login as bench{i}; the reply's cookies (session peers) or its token (JWT peers) as request headers. */
async function login (url: string, i: number, carry: 'cookie' | 'bearer'): Promise<Record<string, string>> {
  const reply = await send(`${url}/login`, 'POST', { json: benchUser(i) })
  if (reply.status !== 200) throw new Error(`peer login of bench${i}: ${reply.status} ${reply.text}`)
  if (carry === 'bearer') {
    if (typeof reply.body?.token !== 'string') throw new Error(`peer login of bench${i}: no token in ${reply.text}`)
    return { authorization: `Bearer ${reply.body.token as string}` }
  }
  const cookie = reply.setCookies.filter(c => c.value !== '').map(c => `${c.name}=${c.value}`).join('; ')
  if (cookie === '') throw new Error(`peer login of bench${i}: no session cookie`)
  return { cookie }
}

function peer (name: string, file: string, store: Peer['store'], carry: 'cookie' | 'bearer' | null, description: string): Peer {
  return {
    name,
    description,
    store,
    path: '/api/me',
    start: async options => await startPeer(name, file, options, store),
    login: async (url, i) => carry === null ? {} : await login(url, i, carry)
  }
}

export const PEERS: Peer[] = [
  peer('peer-fastify-bare', './fastify-bare.ts', 'none', null,
    'bare Fastify, a constant user and no authentication: the floor'),
  peer('peer-fastify-jwt', './fastify-jwt.ts', 'none', 'bearer',
    '@fastify/jwt as its README configures it (string secret, HS256), request.jwtVerify() in onRequest'),
  peer('peer-fastify-session-redis', './fastify-session-redis.ts', 'redis', 'cookie',
    '@fastify/session + connect-redis (ioredis) at their defaults (rolling: every request writes the session back)'),
  peer('peer-express-session-redis', './express-session-redis.ts', 'redis', 'cookie',
    'express-session + connect-redis (ioredis), resave and saveUninitialized false (each request: GET + EXPIRE)'),
  peer('peer-express-jwt', './express-jwt.ts', 'none', 'bearer',
    'express + jsonwebtoken 9 with a string secret (verify pays the key parse each call, auth0/node-jsonwebtoken#966)')
]

/** The peer called `name`; throws with the known names otherwise. */
export function peerNamed (name: string): Peer {
  const found = PEERS.find(p => p.name === name)
  if (found === undefined) throw new Error(`no peer ${name}: ${PEERS.map(p => p.name).join(', ')}`)
  return found
}
