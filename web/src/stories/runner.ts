/**
 * A story played by the runner on this machine (POST /demo/stories/:id/runs, src/routes/demo-story-runs.ts):
 * its report's types, the start and the polling, and the beats the player steps through. The runner tells
 * each strategy's story on its own, so its steps do not line up across strategies: each column's steps are
 * grouped into beats that start at each narration (`say`) step, and the player shows beat n of every column.
 */

/** The runner's --json report (demo/run.ts): what the player reads of it. */
export interface RunnerStep { kind: string, text: string, data?: unknown }
export interface RunnerResult {
  scenario: number
  strategy: string
  store: string
  expected: { outcome: string, why: string, label: string }
  observed: { outcome: string, detail: string, label: string, seconds?: number }
  match: boolean
  checksFailed: string[]
  steps: RunnerStep[]
  seconds: number
}
export interface RunnerReport {
  ok: boolean
  lang: string
  store: string
  strategies: string[]
  seconds: number
  mismatches: number
  matrix: Array<{ scenario: number, title: string, cells: Record<string, { expected: string, observed: string, label: string, seconds: number | null, match: boolean }> }>
  results: RunnerResult[]
}

/** A request step's data (demo/story.ts Actor.send); `bytes` only from runners that count them. */
export interface RequestData {
  actor?: string
  method?: string
  path?: string
  status?: number
  error?: string | null
  storeOps?: string | number | null
  ms?: number
  bytes?: { reqHead: number, reqBody: number, resHead: number, resBody: number }
}

/** One beat of one column: the narration that opens it (null before the first one) and the steps up to the next. */
export interface Beat { say: string | null, steps: RunnerStep[] }

/** Groups a strategy's steps into beats; narrations in a row open one beat together. */
export function beatsOf (steps: readonly RunnerStep[]): Beat[] {
  const beats: Beat[] = []
  for (const step of steps) {
    const last = beats[beats.length - 1]
    if (step.kind === 'say') {
      if (last !== undefined && last.steps.length === 0 && last.say !== null) last.say += `\n${step.text}`
      else beats.push({ say: step.text, steps: [] })
    } else if (last === undefined) {
      beats.push({ say: null, steps: [step] })
    } else {
      last.steps.push(step)
    }
  }
  return beats
}

/** What the page learns about a run while it polls. */
export type RunState =
  | { state: 'running', seconds: number }
  | { state: 'done', seconds: number, result: RunnerReport }
  | { state: 'failed', seconds?: number, code: string, error: string }

/** Refused before it started: 409 run_in_progress, 501 runner_unavailable, 4xx others. */
export class RunRefused extends Error {
  constructor (readonly status: number, readonly code: string, message: string) { super(message) }
}

async function json (r: Response): Promise<Record<string, unknown>> {
  try { return await r.json() as Record<string, unknown> } catch { return {} }
}

/** Starts a run and polls it every `intervalMs` until it ends; `progress` hears each running answer. */
export async function runStory (id: number, body: { lang: string, store: string }, progress: (seconds: number) => void, intervalMs = 500): Promise<RunState & { state: 'done' | 'failed' }> {
  const started = await fetch(`/demo/stories/${id}/runs`, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const start = await json(started)
  if (started.status !== 202 || typeof start.runId !== 'string') {
    throw new RunRefused(started.status, String(start.error ?? started.status), String(start.message ?? ''))
  }
  for (;;) {
    await new Promise(resolve => setTimeout(resolve, intervalMs))
    const r = await fetch(`/demo/stories/runs/${start.runId}`, { credentials: 'same-origin' })
    const state = await json(r) as unknown as RunState & { error?: string, message?: string }
    if (r.status !== 200) throw new RunRefused(r.status, String(state.error ?? r.status), String(state.message ?? ''))
    if (state.state === 'running') progress(state.seconds)
    else return state
  }
}
