/**
 * HAProxy in front of the cluster's instances: its configuration, generated per run into a temp dir, and
 * the process (through the harness's supervise, like every child server). The runtime API (a unix socket
 * in the same dir) moves a restarted instance to its new port and tells whether a server is up.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { supervise, sleep } from '../harness/server.js'

export type Balance = 'round-robin' | 'sticky'
export const BALANCES: readonly Balance[] = ['round-robin', 'sticky']

/** The sticky cookie HAProxy inserts (its value is the instance's name), and the header naming who answered. */
export const STICKY_COOKIE = 'SERVERID'
export const SERVED_BY = 'x-served-by'

export const HAPROXY = process.env.HAPROXY ?? 'haproxy'

export const hasHaproxy = (): boolean => spawnSync(HAPROXY, ['-v'], { stdio: 'ignore' }).status === 0

/**
 * Null when haproxy runs here, else the reason, after a loud warning (the caller skips). With CI=true a
 * missing haproxy is an error, never a skip (.ci/setup-haproxy.sh installs it).
 */
export function missingHaproxy (who: string): string | null {
  if (hasHaproxy()) return null
  if (process.env.CI === 'true') throw new Error(`CI=true but no haproxy for ${who}: run .ci/setup-haproxy.sh (Debian's haproxy) or set HAPROXY`)
  console.error(`\n*** haproxy not found: SKIPPING ${who} (apt-get install haproxy, or .ci/setup-haproxy.sh) ***\n`)
  return `no haproxy here (${HAPROXY} -v fails)`
}

/**
 * The address HAProxy connects to the instances from. On Linux every 127.x.y.z is loopback, so the
 * balancer gets an address of its own and the instances trust X-Forwarded-For from it alone
 * (TRUST_PROXY=127.0.0.2): a client that reaches an instance directly, from 127.0.0.1, is not taken for
 * the proxy, so what it writes in X-Forwarded-For is ignored (SECURITY.md, "Behind a reverse proxy").
 * Where 127.0.0.2 cannot be bound (macOS), 127.0.0.1: direct local clients are then trusted too.
 */
export async function proxySourceAddress (): Promise<string> {
  const ok = await new Promise<boolean>(resolve => {
    const probe = createServer()
    probe.once('error', () => { resolve(false) })
    probe.listen(0, '127.0.0.2', () => { probe.close(() => { resolve(true) }) })
  })
  return ok ? '127.0.0.2' : '127.0.0.1'
}

export interface BackendServer { name: string, port: number }

export interface HaproxyConfigOptions {
  port: number
  balance: Balance
  servers: readonly BackendServer[]
  /** Where HAProxy connects to the instances from (proxySourceAddress). */
  source: string
  /** The runtime API socket (admin level: set server addr, show stat). */
  socket: string
}

/** The haproxy.cfg of one run. */
export function haproxyConfig (o: HaproxyConfigOptions): string {
  const lines = [
    'global',
    '  maxconn 4096',
    `  stats socket ${o.socket} mode 600 level admin`,
    '',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout check 3s',
    // X-Forwarded-For: the client's address, appended after whatever the client wrote; the instances
    // believe only this last hop (TRUST_PROXY = the balancer's source address).
    '  option forwardfor',
    // A request whose server refuses the connection (stopped) goes to another one at the first retry,
    // instead of an error while the health check has not yet marked it down.
    '  retries 2',
    '  option redispatch 1',
    '',
    'frontend lb',
    `  bind 127.0.0.1:${o.port}`,
    // The balancer speaks plain http: a client's own X-Forwarded-Proto must not make an instance believe
    // it is https (COOKIE_SECURE=auto decides cookie names and the Secure flag from it).
    '  http-request set-header X-Forwarded-Proto http',
    '  default_backend app',
    '',
    'backend app',
    '  balance roundrobin',
    ...(o.balance === 'sticky' ? [`  cookie ${STICKY_COOKIE} insert indirect nocache`] : []),
    '  option httpchk GET /ready',
    '  http-check expect status 200',
    // Which instance answered: the tests and the demo read it (the server itself does not say).
    `  http-response set-header ${SERVED_BY} %s`,
    // Two failed checks mark an instance down (one slow answer on a busy machine does not), one passed up.
    `  default-server check inter 200ms fall 2 rise 1 source ${o.source}`,
    ...o.servers.map(s => `  server ${s.name} 127.0.0.1:${s.port}${o.balance === 'sticky' ? ` cookie ${s.name}` : ''}`),
    ''
  ]
  return lines.join('\n')
}

/** One runtime API command; resolves with HAProxy's answer. */
export async function runtimeCommand (socket: string, command: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const conn = createConnection(socket)
    let answer = ''
    conn.setEncoding('utf8')
    conn.on('data', (chunk: string) => { answer += chunk })
    conn.on('error', reject)
    conn.on('end', () => { resolve(answer) })
    conn.end(`${command}\n`)
  })
}

export interface Haproxy {
  url: string
  config: string
  /** The instances' state as the balancer sees it ('UP', 'DOWN', ...). */
  status: (server: string) => Promise<string>
  /** Polls until `server` is in `state` (e.g. 'UP' after a restart, 'DOWN' after a stop). */
  waitStatus: (server: string, state: 'UP' | 'DOWN', timeoutMs?: number) => Promise<void>
  /** Points `server` at another port (an instance started again gets a new one). */
  moveServer: (server: string, port: number) => Promise<void>
  output: () => string
  alive: () => boolean
  stop: () => Promise<void>
}

/** Writes the configuration into a temp dir, checks it (haproxy -c), starts HAProxy, resolves once /ready answers through it. */
export async function startHaproxy (options: Omit<HaproxyConfigOptions, 'socket'>): Promise<Haproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'svj-lb-'))
  const socket = join(dir, 'admin.sock')
  const file = join(dir, 'haproxy.cfg')
  const config = haproxyConfig({ ...options, socket })
  writeFileSync(file, config)
  const check = spawnSync(HAPROXY, ['-c', '-q', '-f', file], { encoding: 'utf8' })
  if (check.status !== 0) {
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`haproxy refused the generated configuration:\n${check.stdout}${check.stderr}\n${config}`)
  }
  // -db: stay in the foreground (supervise stops it with SIGTERM).
  const child = spawn(HAPROXY, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  const keep = (chunk: Buffer): void => {
    lines.push(...chunk.toString('utf8').split('\n').filter(l => l !== ''))
    if (lines.length > 50) lines.splice(0, lines.length - 50)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const supervised = supervise(child, 'haproxy')
  const output = (): string => lines.join('\n')
  const url = `http://127.0.0.1:${options.port}`
  try {
    await supervised.ready(url, 20_000, output)
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    throw err
  }

  const status = async (server: string): Promise<string> => {
    const csv = await runtimeCommand(socket, 'show stat')
    // CSV: pxname,svname,...; the 18th column is status.
    const row = csv.split('\n').map(l => l.split(',')).find(cols => cols[0] === 'app' && cols[1] === server)
    if (row === undefined) throw new Error(`haproxy knows no server ${server}:\n${csv}`)
    return row[17] ?? '?'
  }
  const waitStatus = async (server: string, state: 'UP' | 'DOWN', timeoutMs = 10_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs
    let last = ''
    while (Date.now() < deadline) {
      last = await status(server)
      if (last.startsWith(state)) return
      await sleep(50)
    }
    throw new Error(`haproxy: server ${server} is ${last}, not ${state}, after ${timeoutMs} ms`)
  }
  return {
    url,
    config,
    status,
    waitStatus,
    async moveServer (server, port) {
      const answer = await runtimeCommand(socket, `set server app/${server} addr 127.0.0.1 port ${port}`)
      if (!/changed|no need to change/i.test(answer)) throw new Error(`haproxy did not move ${server}: ${answer.trim()}`)
    },
    output,
    alive: supervised.alive,
    async stop () {
      await supervised.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
