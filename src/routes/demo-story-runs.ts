import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { assertSameSite } from '../auth/csrf.js'
import type { Config } from '../config/config.js'
import { AppError } from '../errors.js'
import { PUBLIC_DIR } from './demo-routes.js'

/**
 * Demo mode only: the page's story player runs one of the runner's stories (demo/run.ts) on this machine
 * and shows what it recorded. The stories the page cannot play itself need servers of their own (other
 * settings, several instances, a Redis to stop, a second site); the runner starts them, so the page asks
 * this server to start the runner:
 * - `POST /demo/stories/:id/runs` `{lang, store?}` → 202 `{runId}`: one run at a time (409
 *   `run_in_progress`), same-site requests only (like POST /demo/reset); 501 `runner_unavailable` where the
 *   runner cannot start (a production image without tsx, or no build);
 * - `GET /demo/stories/runs/:runId` → `{state: 'running', seconds}`, `{state: 'done', result}` (the
 *   runner's `--json` report) or `{state: 'failed', error, code}`.
 *
 * The child is `node --import tsx demo/run.ts --story N --json` (no shell) with a minimal environment:
 * never the server's secrets, only what the runner needs to find its tools and stores. It runs in a process
 * group of its own, so a time limit or the server's close ends the servers the runner started too.
 */
export interface StoryRunnerSettings {
  /** The package root: where the runner, tsx and dist/server.js are looked up, and the child's cwd. */
  root: string
  /** The runner script, relative to root. */
  script: string
  /** The run is killed after this long. */
  timeLimitMs: number
}

export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const STORY_RUNNER_DEFAULTS: StoryRunnerSettings = { root: PACKAGE_ROOT, script: join('demo', 'run.ts'), timeLimitMs: 5 * 60_000 }

export const RUN_LANGS = ['en', 'ko'] as const
/** The runner's --store kinds; redis-cached is Redis with AUTH_CACHE=on. */
export const RUN_STORES = ['memory', 'redis', 'redis-cached', 'postgres'] as const
type RunLang = typeof RUN_LANGS[number]
type RunStore = typeof RUN_STORES[number]

/** The server's environment variables a run may see: how to find node, redis-server and Chromium, and the shared stores. */
const PASSED_ENV = ['PATH', 'HOME', 'TMPDIR', 'CI', 'CHROMIUM_PATH', 'REDIS_URL', 'DATABASE_URL'] as const

/**
 * The child's environment: only PASSED_ENV, so SESSION_SECRET, JWT_SECRET, ADMIN_PASSWORD and whatever
 * else the server holds never reach it (the runner's servers use the demo's own published secrets).
 */
export function runnerEnv (env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key of PASSED_ENV) {
    const value = env[key]
    if (value !== undefined && value !== '') out[key] = value
  }
  return out
}

/** The runner's story ids, from the build's story-words.json (tools/story-words.ts writes it from demo/scenarios.ts). */
export function runnerStoryIds (publicDir = PUBLIC_DIR): number[] {
  try {
    const words = JSON.parse(readFileSync(join(publicDir, 'story-words.json'), 'utf8')) as { stories?: Array<{ id?: unknown }> }
    return (words.stories ?? []).map(s => s.id).filter((id): id is number => Number.isInteger(id))
  } catch {
    return []
  }
}

/** Why the runner cannot start here, or null: it runs from source through tsx, against the built server. */
export function runnerMissing (settings: StoryRunnerSettings, storyIds: readonly number[]): string | null {
  if (!existsSync(join(settings.root, settings.script))) return `the story runner (${settings.script}) is not part of this installation`
  try {
    createRequire(join(settings.root, 'package.json')).resolve('tsx')
  } catch {
    return 'the story runner needs tsx, a development dependency this installation does not have (npm ci installs it)'
  }
  if (!existsSync(join(settings.root, 'dist', 'server.js'))) return 'the story runner starts dist/server.js, which is not built: run npm run build'
  if (storyIds.length === 0) return 'the story list (dist/public/story-words.json) is missing: run npm run build'
  return null
}

/** How a failed run is reported to the page (`code` is stable; `error` is for people). */
type FailCode = 'runner_failed' | 'run_timed_out' | 'server_closing'

interface Run {
  id: string
  story: number
  store: RunStore
  lang: RunLang
  startedAt: number
  child: ChildProcess | null
  state: 'running' | 'done' | 'failed'
  seconds?: number
  result?: unknown
  error?: string
  code?: FailCode
}

/** Finished runs kept for the page to fetch (it fetches each once; a reload may fetch it again). */
const KEEP_RUNS = 8
/** A story's report is a few hundred KB at most (the verdict story is the largest); more is a runaway. */
const MAX_STDOUT = 16 * 1024 * 1024
/** The end of the runner's stderr, for the page when a run fails (the runner's own usage or crash message). */
const STDERR_TAIL = 2000
/** After SIGTERM, how long the runner and its servers get before SIGKILL. */
const KILL_GRACE_MS = 3000

function killGroup (child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try { process.kill(-child.pid, signal) } catch { /* the group is gone */ }
}

export interface StoryRunOptions {
  config: Config
  runner?: Partial<StoryRunnerSettings>
}

export const demoStoryRuns = fp(async function demoStoryRuns (app: FastifyInstance, opts: StoryRunOptions) {
  const settings: StoryRunnerSettings = { ...STORY_RUNNER_DEFAULTS, ...opts.runner }
  const storyIds = runnerStoryIds()
  const allowedOrigins = new Set(opts.config.allowedOrigins)
  const runs = new Map<string, Run>()
  let active: Run | null = null
  /** Runners not yet exited, a timed-out one in its grace period too: the server's close waits for them. */
  const living = new Set<ChildProcess>()

  function finish (run: Run, outcome: Pick<Run, 'state' | 'result' | 'error' | 'code'>): void {
    if (run.state !== 'running') return
    Object.assign(run, outcome)
    run.seconds = Math.round((Date.now() - run.startedAt) / 100) / 10
    run.child = null
    if (active === run) active = null
    const ok = outcome.state === 'done' && (outcome.result as { ok?: unknown }).ok === true
    // One line per run; the runner's output stays out of the log (it is the page's to show).
    app.log.info({ story: run.story, store: run.store, lang: run.lang, seconds: run.seconds, state: run.state, ok, ...(run.code === undefined ? {} : { code: run.code }) }, 'demo story run')
    while (runs.size > KEEP_RUNS) runs.delete(runs.keys().next().value as string)
  }

  function start (run: Run): void {
    const args = ['--import', 'tsx', join(settings.root, settings.script), '--story', String(run.story), '--json', '--lang', run.lang, '--store', run.store]
    // detached: the runner leads a process group of its own, and the servers it starts are in it.
    const child = spawn(process.execPath, args, { cwd: settings.root, env: runnerEnv(process.env), stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    run.child = child
    living.add(child)
    const out: Buffer[] = []
    let outBytes = 0
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length
      if (outBytes > MAX_STDOUT) { killGroup(child, 'SIGKILL'); return }
      out.push(chunk)
    })
    child.stderr.on('data', (chunk: Buffer) => { err = (err + chunk.toString('utf8')).slice(-STDERR_TAIL) })
    const limit = setTimeout(() => {
      finish(run, { state: 'failed', code: 'run_timed_out', error: `the run took longer than ${Math.round(settings.timeLimitMs / 1000)} s and was stopped` })
      stop(child)
    }, settings.timeLimitMs)
    child.on('error', e => {
      clearTimeout(limit)
      living.delete(child)
      finish(run, { state: 'failed', code: 'runner_failed', error: `the runner did not start: ${e.message}` })
    })
    child.on('close', (code, signal) => {
      clearTimeout(limit)
      living.delete(child)
      // The runner exits 1 when an outcome differs from the expected one, and still prints its report.
      let result: unknown = null
      if (outBytes <= MAX_STDOUT) {
        try { result = JSON.parse(Buffer.concat(out).toString('utf8')) } catch { /* no report */ }
      }
      if (result !== null && typeof result === 'object' && Array.isArray((result as { matrix?: unknown }).matrix)) {
        finish(run, { state: 'done', result })
      } else {
        const why = outBytes > MAX_STDOUT ? 'its report was larger than 16 MB' : signal !== null ? `it was stopped by ${signal}` : `it exited with code ${String(code)}`
        finish(run, { state: 'failed', code: 'runner_failed', error: `the runner printed no report: ${why}${err.trim() === '' ? '' : `\n${err.trim()}`}` })
      }
    })
  }

  function stop (child: ChildProcess): void {
    killGroup(child, 'SIGTERM')
    setTimeout(() => { killGroup(child, 'SIGKILL') }, KILL_GRACE_MS).unref()
  }

  app.addHook('onClose', async () => {
    if (active !== null) finish(active, { state: 'failed', code: 'server_closing', error: 'the server closed during the run' })
    await Promise.all([...living].map(async child => {
      const closed = new Promise<void>(resolve => { child.once('close', () => { resolve() }) })
      stop(child)
      await closed
    }))
  })

  app.post<{ Params: { id: string }, Body: { lang: RunLang, store?: RunStore } }>('/demo/stories/:id/runs', {
    schema: {
      params: {
        type: 'object',
        required: ['id'],
        // The id as the runner numbers its stories, in decimal; without a build no list, so any small number (then 501).
        properties: { id: storyIds.length > 0 ? { type: 'string', enum: storyIds.map(String) } : { type: 'string', pattern: '^[1-9][0-9]{0,2}$' } }
      },
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['lang'],
        properties: { lang: { type: 'string', enum: RUN_LANGS }, store: { type: 'string', enum: RUN_STORES } }
      }
    }
  }, async (request, reply) => {
    // No credential guards it (demo mode on loopback), but another site's page must not start runs here.
    assertSameSite(request, allowedOrigins)
    reply.header('cache-control', 'no-store')
    const missing = runnerMissing(settings, storyIds)
    if (missing !== null) throw new AppError('runner_unavailable', `${missing}; the runner-only stories run with npm run demo in a checkout`)
    if (active !== null) throw new AppError('run_in_progress', `story ${active.story} is running on this machine (started ${Math.round((Date.now() - active.startedAt) / 1000)} s ago); one run at a time`)
    const run: Run = { id: randomBytes(9).toString('base64url'), story: Number(request.params.id), store: request.body.store ?? 'memory', lang: request.body.lang, startedAt: Date.now(), child: null, state: 'running' }
    runs.set(run.id, run)
    active = run
    start(run)
    return await reply.code(202).send({ runId: run.id, story: run.story, store: run.store, lang: run.lang })
  })

  app.get<{ Params: { runId: string } }>('/demo/stories/runs/:runId', {
    schema: { params: { type: 'object', required: ['runId'], properties: { runId: { type: 'string', pattern: '^[A-Za-z0-9_-]{12}$' } } } }
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    const run = runs.get(request.params.runId)
    if (run === undefined) throw new AppError('run_not_found', 'no run with that id (the server restarted, or it is long finished)')
    const base = { runId: run.id, story: run.story, store: run.store, lang: run.lang }
    if (run.state === 'running') return { ...base, state: 'running', seconds: Math.round((Date.now() - run.startedAt) / 100) / 10 }
    if (run.state === 'done') return { ...base, state: 'done', seconds: run.seconds, result: run.result }
    return { ...base, state: 'failed', seconds: run.seconds, code: run.code, error: run.error }
  })
}, { name: 'demo-story-runs' })
