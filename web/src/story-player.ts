/**
 * The story player: a lecturer picks one of the runner's stories and plays it step by step against the
 * side-by-side mounts (Next runs a step, Back shows an earlier one again). Each step shows its narration,
 * and per mode column the requests (method, path, the headers that matter, body), the response, what the
 * client holds afterwards, what the server keeps (GET /{mount}/demo/inspect), the checks, the expected vs
 * observed outcome, and the bytes on the wire. Words: the runner's (/story-words.json, written by
 * tools/story-words.ts at build time) plus the player's own (stories/words.ts). No inline script or style:
 * it runs under the page's strict CSP.
 *
 * The stories that need servers of their own (the runner-only ones) are played by the runner on this
 * machine instead (Run on this machine: POST /demo/stories/:id/runs, stories/runner.ts): the player then
 * steps through what the runner recorded, beat by beat, one column per strategy, and ends with the runner's
 * matrix row. The page's own stories can be run that way too.
 */
import { STORIES, type Say, type StepDef, type StoryDef } from './stories/catalog.js'
import { decodeJwt, Net, type HeldCookie } from './stories/net.js'
import { mechanismOf, type ColumnResult, type ColumnState, type Exchange, type Lang, type Mechanism, type MountInfo, type Text } from './stories/types.js'
import { UI, type UiWords } from './stories/words.js'
import { beatsOf, RunRefused, runStory, type Beat, type RequestData, type RunnerReport, type RunnerResult, type RunnerStep } from './stories/runner.js'

/** The runner's stores (demo/run.ts --store); redis-cached is Redis with AUTH_CACHE=on. */
const RUN_STORES = ['memory', 'redis', 'redis-cached', 'postgres'] as const

/** A story run by the runner on this machine, and where the player is in what it recorded. */
interface RunView {
  slug: string
  id: number
  phase: 'running' | 'done' | 'failed'
  seconds: number
  store: string
  /** The language the runner told it in (its words do not change with the page's switch). */
  lang: Lang
  /** Why it failed, in the page's current language (the server's own message stays as sent). */
  message?: (w: UiWords) => string
  report?: RunnerReport
  beats: Map<string, Beat[]>
  total: number
  current: number
}

interface StoryWords {
  title: string
  claim: string
  seed: { source: string, quote: string }
  seedLabel: string
  why: Record<Mechanism, string>
  [key: string]: unknown
}
interface LangWords { outcome: Record<string, string>, claim: string, expected: string, observed: string, stories: Record<string, StoryWords> }
interface WordsFile { stories: Array<{ id: number, slug: string, expected: Record<Mechanism, string> }>, words: Record<Lang, LangWords> }

/** What the client and the attacker held, and what the server kept, when a step ended (per column). */
interface Snapshot { cookies: HeldCookie[], access: string | null, takenAt: number, loot: string[], keeps: string }

interface StepRecord {
  step: StepDef
  once?: ColumnResult
  results: Map<string, ColumnResult | Text>
  snapshots: Map<string, Snapshot>
}

function h<K extends keyof HTMLElementTagNameMap> (tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string | null>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v
    else e.setAttribute(k, v)
  }
  for (const c of children) if (c !== null) e.append(c)
  return e
}

/**
 * A narration with its figures masked: two runs of one story say the same thing with other figures, and a
 * table pads its columns to the widest figure, so runs of spaces count as one.
 */
const withoutFigures = (text: string): string => text.replace(/\d+(?:[.,]\d+)?/g, '#').replace(/ +/g, ' ')

/**
 * A runner narration as the terminal printed it: one paragraph per line, and the lines of a table (columns
 * aligned with runs of spaces) in a preformatted block that keeps them aligned.
 */
function narration (text: string, cls: string, role: string): HTMLElement {
  const box = h('div', { class: cls, 'data-role': role })
  let table: string[] = []
  const flush = (): void => { if (table.length > 0) { box.append(h('pre', { class: 'sp-say-table', tabindex: '0' }, table.join('\n'))); table = [] } }
  for (const line of text.split('\n')) {
    if (/\S {2,}\S/.test(line)) { table.push(line); continue }
    flush()
    box.append(h('p', {}, line))
  }
  flush()
  return box
}

/** The runner's labels end in a colon ("expected:"); a table header does not. */
const noColon = (s: string): string => s.replace(/:\s*$/, '')
const pretty = (v: unknown): string => typeof v === 'string' ? v : JSON.stringify(v, null, 2)
const isText = (v: ColumnResult | Text): v is Text => 'en' in v && 'ko' in v

/** The inspection answer as a few lines (the server's own words: not translated). */
function formatRecord (body: { note?: string, serverKeeps?: Array<{ key: string, ttlSec?: number | null, value: unknown, note?: string }> }, w: UiWords): string {
  const lines = [body.note ?? '']
  for (const k of body.serverKeeps ?? []) {
    const ttl = k.ttlSec === undefined || k.ttlSec === null ? '' : w.expiresIn(k.ttlSec)
    lines.push(`${k.key}${ttl}: ${k.value === null ? `nothing${k.note === undefined ? '' : ` (${k.note})`}` : typeof k.value === 'string' ? k.value : JSON.stringify(k.value)}`)
  }
  if ((body.serverKeeps ?? []).length === 0) lines.push(w.keepsNothing)
  return lines.filter(l => l !== '').join('\n')
}

function ensureStylesheet (): void {
  if (document.querySelector('link[href="/story-player.css"]') !== null) return
  document.head.append(h('link', { rel: 'stylesheet', href: '/story-player.css' }))
}

export function mountStoryPlayer (root: HTMLElement, opts: { lang: 'en' | 'ko', mounts: Array<{ name: string, kind: string, revocation?: string, accessTtlSec?: number }>, store?: string }): void {
  ensureStylesheet()
  let lang: Lang = opts.lang
  let words: WordsFile | null = null
  let wordsError = false
  const net = new Net()
  const mounts = opts.mounts
    .map(m => ({ mount: m as MountInfo, mechanism: mechanismOf(m) }))
    .filter((m): m is { mount: MountInfo, mechanism: Mechanism } => m.mechanism !== null)

  let story: StoryDef | null = null
  /** The chosen story's slug: a story of the page (then `story` is set) or one only the runner plays. */
  let selected = ''
  let runView: RunView | null = null
  let runStore: string = (RUN_STORES as readonly string[]).includes(opts.store ?? '') ? opts.store! : 'memory'
  let mode = 'all'
  let cols: ColumnState[] = []
  let records: StepRecord[] = []
  let current = -1
  let running = false
  let optionsFor = ''

  const w = (): UiWords => UI[lang]
  const lw = (): LangWords | null => words?.words[lang] ?? null
  const storyWords = (): StoryWords | null => selected === '' ? null : lw()?.stories[selected] ?? null
  const playable = (): StoryDef[] => STORIES.filter(s => words?.words.en.stories[s.slug] !== undefined && words.stories.some(x => x.slug === s.slug))
  /** The runner's stories the page cannot play itself: they need servers of their own, so the runner plays them. */
  const runnerOnly = (): WordsFile['stories'] => words === null ? [] : words.stories.filter(s => !STORIES.some(p => p.slug === s.slug) && words?.words.en.stories[s.slug] !== undefined)
  const expectedOf = (mech: Mechanism): string | null => words?.stories.find(s => s.slug === story?.slug)?.expected[mech] ?? null
  const outcomeLabel = (code: string): string => lw()?.outcome[code] ?? code

  function say (s: Say): string {
    if (!('runner' in s)) return s[lang]
    const sw = storyWords()
    const found = s.runner.map(k => sw?.[k]).filter((v): v is string => typeof v === 'string')
    return found.length > 0 ? found.join(' · ') : s.fallback[lang]
  }

  // The skeleton: controls, the story's claim, the step, the summary.
  const heading = h('h2', { id: 'sp-heading' })
  const intro = h('p', { class: 'sp-intro' })
  const storyLabel = h('span')
  const storySelect = h('select', { 'data-role': 'sp-story' })
  const modeLabel = h('span')
  const modeSelect = h('select', { 'data-role': 'sp-mode' })
  const startButton = h('button', { type: 'button', 'data-role': 'sp-start' })
  const runButton = h('button', { type: 'button', 'data-role': 'sp-run' })
  const storeLabel = h('span')
  const storeSelect = h('select', { 'data-role': 'sp-store' })
  const backButton = h('button', { type: 'button', 'data-role': 'sp-back' })
  const nextButton = h('button', { type: 'button', 'data-role': 'sp-next', class: 'sp-primary' })
  const counter = h('span', { class: 'sp-counter', 'data-role': 'sp-counter', role: 'status', 'aria-live': 'polite' })
  const controls = h('div', { class: 'sp-controls' },
    h('label', {}, storyLabel, ' ', storySelect), h('label', {}, modeLabel, ' ', modeSelect), startButton, h('label', {}, storeLabel, ' ', storeSelect), runButton, backButton, nextButton, counter)
  const runStatus = h('p', { class: 'sp-run-status', 'data-role': 'sp-run-status', role: 'status', 'aria-live': 'polite' })
  const header = h('div', { class: 'sp-story', 'data-role': 'sp-header' })
  const stepView = h('div', { class: 'sp-step', 'data-role': 'sp-step' })
  const summary = h('div', { class: 'sp-summary', 'data-role': 'sp-summary' })
  const wireNote = h('p', { class: 'sp-note' })
  const runnerOnlyList = h('details', { class: 'sp-runner-only', 'data-role': 'sp-runner-only' })
  root.classList.add('story-player')
  root.setAttribute('aria-labelledby', 'sp-heading')
  root.replaceChildren(heading, intro, controls, runnerOnlyList, header, runStatus, stepView, summary, wireNote)

  function selectedColumns (): ColumnState[] {
    return mounts.filter(m => mode === 'all' || m.mount.name === mode).map(m => ({ mount: m.mount, mechanism: m.mechanism, access: null, loot: null, lootHolds: [] }))
  }

  function restart (): void {
    cols = selectedColumns()
    records = []
    current = -1
  }

  function renderControls (): void {
    heading.textContent = w().heading
    intro.textContent = w().intro
    storyLabel.textContent = w().story
    modeLabel.textContent = w().modes
    storeLabel.textContent = w().runStore
    // Options are rebuilt only when their words change, so a select keeps its state under the keyboard.
    const optionsKey = `${lang}:${words === null ? 0 : 1}`
    if (optionsFor !== optionsKey) {
      optionsFor = optionsKey
      const others = runnerOnly()
      storySelect.replaceChildren(...playable().map(s => h('option', { value: s.slug }, `${s.id}. ${lw()?.stories[s.slug]?.title ?? s.slug}`)),
        ...(others.length === 0 ? [] : [h('optgroup', { label: w().runGroup }, ...others.map(s => h('option', { value: s.slug }, `${s.id}. ${lw()?.stories[s.slug]?.title ?? s.slug}`)))]))
      modeSelect.replaceChildren(h('option', { value: 'all' }, w().allModes), ...mounts.map(m => h('option', { value: m.mount.name }, `/${m.mount.name} (${m.mechanism})`)))
      storeSelect.replaceChildren(...RUN_STORES.map(k => h('option', { value: k }, k === opts.store ? `${k} (${w().thisServer})` : k)))
    }
    storySelect.value = selected
    modeSelect.value = mode
    storeSelect.value = runStore
    const W = w()
    const runnerOnlyStory = story === null && selected !== ''
    const runActive = runView?.phase === 'running'
    startButton.textContent = current < 0 || runView !== null ? W.start : W.restart
    startButton.hidden = runnerOnlyStory
    runButton.textContent = runnerOnlyStory ? W.runHere : W.runInRunner
    runButton.hidden = selected === ''
    backButton.textContent = W.back
    nextButton.textContent = W.next
    // While the runner runs, the story stays chosen: what comes back is that story's recording.
    storySelect.disabled = runActive
    storeSelect.disabled = running || runActive
    runButton.disabled = running || runActive
    if (runView !== null || runnerOnlyStory) {
      const done = runView?.phase === 'done' ? runView : null
      startButton.disabled = runActive
      backButton.disabled = done === null || done.current <= 0
      nextButton.disabled = done === null || done.current >= done.total - 1
      counter.textContent = done === null ? (runView === null ? W.runNotStarted : '') : `${W.stepOf(done.current + 1, done.total)}${done.current === done.total - 1 ? ` · ${W.done}` : ''}`
    } else {
      const total = story?.steps.length ?? 0
      startButton.disabled = running || story === null
      backButton.disabled = running || current <= 0
      nextButton.disabled = running || story === null || current >= total - 1
      counter.textContent = words === null ? (wordsError ? W.wordsMissing : '') : story === null ? W.noStories : running ? W.running : current < 0 ? W.notStarted : `${W.stepOf(current + 1, total)}${current === total - 1 && records.length === total ? ` · ${W.done}` : ''}`
    }
    wireNote.textContent = runView === null ? W.wireNote : W.runWireNote
    renderRunnerOnly()
  }

  /** The run's state in one line: running (with the seconds so far), failed (why), or what the steps are. */
  function renderRunStatus (): void {
    const W = w()
    const r = runView
    runStatus.hidden = r === null
    if (r === null) { runStatus.replaceChildren(); return }
    runStatus.className = `sp-run-status ${r.phase === 'failed' ? 'bad' : ''}`
    runStatus.dataset.phase = r.phase
    const text = r.phase === 'running'
      ? W.runProgress(r.id, Math.round(r.seconds), r.store)
      : r.phase === 'failed'
        ? r.message?.(W) ?? ''
        : `${W.recorded(Math.round(r.report?.seconds ?? r.seconds), r.store)}${r.lang === lang ? '' : ` ${W.recordedIn[r.lang]}`}`
    runStatus.textContent = text
  }

  /** The runner's stories the page cannot play (they start servers of their own), with the command for each. */
  function renderRunnerOnly (): void {
    const l = lw()
    const others = l === null ? [] : runnerOnly()
    if (others.length === 0) { runnerOnlyList.replaceChildren(); runnerOnlyList.hidden = true; return }
    runnerOnlyList.hidden = false
    const W = w()
    runnerOnlyList.replaceChildren(
      h('summary', {}, W.runnerOnly(others.length)),
      h('p', {}, W.runnerOnlyWhy),
      h('ul', {}, ...others.map(s => {
        const sw = l?.stories[s.slug]
        const needs = typeof sw?.needs === 'string' ? ` (${W.needs}: ${sw.needs})` : ''
        return h('li', { 'data-slug': s.slug }, `${s.id}. ${sw?.title ?? s.slug}${needs}: `, h('code', {}, `npm run demo -- --story ${s.slug}`))
      })))
  }

  function renderHeader (): void {
    const sw = storyWords()
    const l = lw()
    if (sw === null || l === null) { header.replaceChildren(); return }
    header.replaceChildren(
      h('h3', {}, sw.title),
      h('p', { class: 'sp-claim' }, h('strong', {}, l.claim), ' ', sw.claim),
      h('blockquote', { class: 'sp-seed' }, h('span', { class: 'sp-seed-label' }, sw.seedLabel), ' ', sw.seed.quote)
    )
  }

  function exchangeView (x: Exchange): HTMLElement {
    const W = w()
    const req = [`${x.method} ${x.path}`, ...x.headers.map(([k, v]) => `${k}: ${v}`)]
    if (x.body !== undefined) req.push('', JSON.stringify(x.body))
    const ops = x.storeOps === null ? '' : ` · ${W.storeOps} ${x.storeOps}`
    const res = `${x.status}${x.error === null ? '' : ` ${x.error}`} · ${x.ms} ms${ops}`
    const b = x.bytes
    const parts: Array<Node | string | null> = [
      h('p', { class: 'sp-actor' }, W.actors[x.actor] ?? x.actor),
      h('pre', { class: 'sp-req', 'aria-label': W.request, tabindex: '0' }, req.join('\n')),
      // A replay's own answer is what counts; the page's POST /demo/attack merely carried it.
      h('p', { class: `sp-res ${x.replayed !== undefined ? 'muted' : x.status < 400 ? 'ok' : 'bad'}` }, `→ ${res}`)
    ]
    if (x.replayed !== undefined) {
      const r = x.replayed
      parts.push(h('p', { class: `sp-res ${r.status < 400 ? 'ok' : 'bad'}` }, `${W.replayedAs} ${r.method} ${r.path} → ${r.status}${r.error === null ? '' : ` ${r.error}`}${r.storeOps === null ? '' : ` · ${W.storeOps} ${r.storeOps}`}`))
    }
    const resText = pretty(x.response)
    if (resText !== '') parts.push(h('details', {}, h('summary', {}, W.response), h('pre', { class: 'sp-body', tabindex: '0' }, resText)))
    parts.push(h('p', { class: 'sp-wire', 'data-role': 'sp-wire' }, `${W.wire}: ${W.wireLine(b.reqHead + b.reqBody, b.reqHead, b.reqBody, b.resHead + b.resBody, b.resHead, b.resBody)}`))
    return h('div', { class: 'sp-exchange' }, ...parts)
  }

  function holdsView (col: ColumnState, snap: Snapshot): HTMLElement {
    const W = w()
    const lines: string[] = snap.cookies.map(c => W.cookie(c.name, c.chars, c.attributes))
    if (snap.access !== null) {
      const jwt = decodeJwt(snap.access)
      lines.push(W.token(new TextEncoder().encode(snap.access).length))
      if (jwt !== null) {
        lines.push(W.expIn(Math.round((jwt.payload.exp ?? 0) - snap.takenAt / 1000)))
        lines.push(`payload ${JSON.stringify(jwt.payload)}`)
        lines.push(`header ${JSON.stringify(jwt.header)}`)
      }
    }
    if (lines.length === 0) lines.push(W.holdsNothing)
    if (snap.loot.length > 0) lines.push(`${W.attackerHolds} ${snap.loot.join(', ')}`)
    return h('div', { class: 'sp-block' }, h('h5', {}, W.holds), h('pre', { class: 'sp-holds', 'data-role': 'sp-holds', 'data-mode': col.mount.name, tabindex: '0', 'aria-label': `${W.holds} /${col.mount.name}` }, lines.join('\n')))
  }

  function verdictView (col: ColumnState, observed: { outcome: string, detail: Text }): HTMLElement {
    const W = w()
    const expected = expectedOf(col.mechanism)
    const ok = expected === observed.outcome
    return h('div', { class: `sp-verdict ${ok ? 'ok' : 'bad'}`, 'data-role': 'sp-verdict', 'data-mode': col.mount.name, 'data-ok': String(ok) },
      h('span', { class: 'sp-mark' }, ok ? W.ok : W.bad), ' ',
      `${W.expectedShort}: ${expected === null ? '?' : outcomeLabel(expected)} · ${W.observedShort}: ${outcomeLabel(observed.outcome)} (${observed.detail[lang]})`)
  }

  function resultView (r: ColumnResult): Array<Node | string> {
    const W = w()
    const parts: Array<Node | string> = r.exchanges.map(exchangeView)
    if (r.note !== undefined) parts.push(h('p', { class: 'sp-na' }, r.note[lang]))
    if (r.link !== undefined) parts.push(h('p', { class: 'sp-link' }, h('a', { href: r.link.href, target: '_blank', rel: 'noopener', 'data-role': 'sp-link' }, r.link.text[lang])))
    if (r.checks.length > 0) {
      parts.push(h('ul', { class: 'sp-checks', 'aria-label': W.checks }, ...r.checks.map(c => h('li', { class: c.ok ? 'ok' : 'bad' }, `${c.ok ? W.ok : W.bad} ${c.text[lang]}`))))
    }
    return parts
  }

  function columnHead (col: ColumnState): HTMLElement {
    return h('h4', {}, `/${col.mount.name}`, ' ', h('small', {}, col.mechanism))
  }

  /** The strategies of the run the mode choice shows (a mount stands for its mechanism). */
  function runColumns (report: RunnerReport): RunnerResult[] {
    const mech = mode === 'all' ? null : mounts.find(m => m.mount.name === mode)?.mechanism ?? null
    return report.results.filter(r => mech === null || r.strategy === mech)
  }

  /** The actor's name as the runner printed it: a step's text starts with "<actor>: ". */
  const actorOf = (text: string): string => { const i = text.indexOf(': '); return i === -1 ? '' : text.slice(0, i) }
  const afterActor = (text: string): string => { const i = text.indexOf(': '); return i === -1 ? text : text.slice(i + 2) }

  /** One recorded step: a request (method, path, status, error code, store ops, ms, bytes when counted), what a client holds, what the server keeps, a check. */
  function recordedStepView (step: RunnerStep, strategy: string): HTMLElement {
    const W = w()
    if (step.kind === 'request') {
      const d = (step.data ?? {}) as RequestData
      const ops = d.storeOps === null || d.storeOps === undefined ? '' : ` · ${W.storeOps} ${d.storeOps}`
      const line = d.method === undefined ? afterActor(step.text) : `${d.method} ${d.path ?? ''} → ${d.status ?? '?'}${d.error === null || d.error === undefined ? '' : ` ${d.error}`}${ops} · ${d.ms ?? '?'} ms`
      const parts: Array<Node | string | null> = [
        h('p', { class: 'sp-actor' }, actorOf(step.text)),
        h('p', { class: `sp-res ${(d.status ?? 0) > 0 && (d.status ?? 0) < 400 ? 'ok' : 'bad'}`, 'data-role': 'sp-recorded-request' }, line)
      ]
      const b = d.bytes
      if (b !== undefined) parts.push(h('p', { class: 'sp-wire', 'data-role': 'sp-wire' }, `${W.wire}: ${W.wireLine(b.reqHead + b.reqBody, b.reqHead, b.reqBody, b.resHead + b.resBody, b.resHead, b.resBody)}`))
      parts.push(h('details', {}, h('summary', {}, W.runnerLine), h('pre', { class: 'sp-body', tabindex: '0' }, step.text)))
      return h('div', { class: 'sp-exchange' }, ...parts)
    }
    if (step.kind === 'holds') return h('div', { class: 'sp-block' }, h('h5', {}, W.holds), h('pre', { class: 'sp-holds', 'data-role': 'sp-holds', 'data-mode': strategy, tabindex: '0' }, step.text))
    if (step.kind === 'server') return h('div', { class: 'sp-block' }, h('h5', {}, W.keeps), h('pre', { class: 'sp-keeps', 'data-role': 'sp-keeps', 'data-mode': strategy, tabindex: '0' }, step.text))
    if (step.kind === 'check') {
      const ok = (step.data as { ok?: unknown } | undefined)?.ok === true
      return h('ul', { class: 'sp-checks', 'aria-label': W.checks }, h('li', { class: ok ? 'ok' : 'bad' }, `${ok ? W.ok : W.bad} ${afterActor(step.text)}`))
    }
    return h('p', { class: 'sp-na' }, step.text)
  }

  function recordedVerdict (r: RunnerResult): HTMLElement {
    const W = w()
    return h('div', { class: `sp-verdict ${r.match ? 'ok' : 'bad'}`, 'data-role': 'sp-verdict', 'data-mode': r.strategy, 'data-ok': String(r.match) },
      h('span', { class: 'sp-mark' }, r.match ? W.ok : W.bad), ' ',
      `${W.expectedShort}: ${r.expected.label} · ${W.observedShort}: ${r.observed.label} (${r.observed.detail})`)
  }

  /** Beat n of every column: its narration, its steps; a column whose story is over shows its verdict. */
  function renderRunStep (view: RunView): void {
    const report = view.report
    if (view.phase !== 'done' || report === undefined) { stepView.replaceChildren(); return }
    const W = w()
    const shown = runColumns(report)
    const beatsNow = shown.map(r => view.beats.get(r.strategy)?.[view.current])
    // One narration for all when the columns still telling their story agree; otherwise each column says its own.
    // Narrations that differ only in their figures (each column's run measured its own, e.g. the verdict
    // story's table) are shown once, the first column's, and say so.
    const says = beatsNow.filter(b => b !== undefined).map(b => b.say)
    const same = says.length > 0 && says.every(x => x !== null && x === says[0])
    const figuresOnly = !same && says.length > 1 && says.every(x => x !== null && withoutFigures(x) === withoutFigures(says[0] ?? ''))
    const common = same || figuresOnly ? says[0] ?? null : null
    const grid = h('div', { class: `sp-grid sp-cols-${Math.min(Math.max(shown.length, 1), 4)}` })
    shown.forEach((r, i) => {
      const beats = view.beats.get(r.strategy) ?? []
      const beat = beatsNow[i]
      const cell = h('div', { class: 'sp-col', 'data-mode': r.strategy }, h('h4', {}, r.strategy, ' ', h('small', {}, `${r.seconds} s`)))
      if (beat === undefined) {
        cell.append(h('p', { class: 'sp-na' }, W.endedAt(beats.length)))
      } else {
        if (common === null && beat.say !== null) cell.append(narration(beat.say, 'sp-col-say', 'sp-col-say'))
        for (const step of beat.steps) cell.append(recordedStepView(step, r.strategy))
      }
      if (view.current >= beats.length - 1) cell.append(recordedVerdict(r))
      grid.append(cell)
    })
    const lead = common === null ? h('p', { class: 'sp-say', 'data-role': 'sp-say' }, W.sayPerColumn) : narration(common, 'sp-say', 'sp-say')
    if (figuresOnly) lead.append(h('p', { class: 'sp-say-note' }, W.sayFiguresOf(shown[0]?.strategy ?? '')))
    stepView.replaceChildren(lead, grid)
  }

  /** At the end: the runner's matrix row, expected vs observed per strategy, with the runner's why. */
  function renderRunSummary (view: RunView): void {
    const report = view.report
    if (view.phase !== 'done' || report === undefined || view.current !== view.total - 1) { summary.replaceChildren(); return }
    const W = w()
    const l = lw()
    const row = report.matrix[0]
    const rows = runColumns(report).map(r => {
      const cell = row?.cells[r.strategy]
      const ok = cell?.match ?? r.match
      return h('tr', {},
        h('th', { scope: 'row' }, r.strategy),
        h('td', {}, r.expected.label),
        h('td', {}, `${cell?.label ?? r.observed.label} (${r.observed.detail})${r.checksFailed.length > 0 ? ` · ${W.checksFailed}: ${r.checksFailed.join('; ')}` : ''}`),
        h('td', { class: `sp-mark ${ok ? 'ok' : 'bad'}`, 'data-role': 'sp-summary-verdict', 'data-mode': r.strategy, 'data-ok': String(ok) }, ok ? W.ok : W.bad),
        h('td', {}, r.expected.why))
    })
    summary.replaceChildren(h('h4', {}, W.summary), h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, W.mode), h('th', { scope: 'col' }, noColon(l?.expected ?? W.expectedShort)), h('th', { scope: 'col' }, noColon(l?.observed ?? W.observedShort)), h('th', { scope: 'col' }, '✔/✘'), h('th', { scope: 'col' }, W.why))),
      h('tbody', {}, ...rows)))
  }

  function renderStep (): void {
    if (runView !== null) { renderRunStep(runView); return }
    const rec = records[current]
    if (rec === undefined) { stepView.replaceChildren(); return }
    const W = w()
    const grid = h('div', { class: 'sp-grid' })
    if (rec.once !== undefined) {
      grid.classList.add('sp-once')
      grid.append(h('div', { class: 'sp-col', 'data-mode': 'all' }, h('h4', {}, W.shared), ...resultView(rec.once)))
    }
    if (rec.once === undefined) {
      grid.classList.add(`sp-cols-${Math.min(cols.length, 4)}`)
      for (const col of cols) {
        const r = rec.results.get(col.mount.name)
        const snap = rec.snapshots.get(col.mount.name)
        const cell = h('div', { class: 'sp-col', 'data-mode': col.mount.name }, columnHead(col))
        if (r === undefined) cell.append(h('p', { class: 'sp-progress', 'data-role': 'sp-progress', 'data-mode': col.mount.name, 'aria-live': 'polite' }, W.running))
        else if (isText(r)) cell.append(h('p', { class: 'sp-na' }, `${W.notApplicable} ${r[lang]}`))
        else {
          cell.append(...resultView(r))
          if (r.observed !== undefined) cell.append(verdictView(col, r.observed))
        }
        if (snap !== undefined) {
          cell.append(holdsView(col, snap))
          cell.append(h('div', { class: 'sp-block' }, h('h5', {}, W.keeps, ' ', h('small', {}, `GET /${col.mount.name}/demo/inspect`)), h('pre', { class: 'sp-keeps', 'data-role': 'sp-keeps', 'data-mode': col.mount.name, tabindex: '0', 'aria-label': `${W.keeps} /${col.mount.name}` }, snap.keeps)))
        }
        grid.append(cell)
      }
    }
    stepView.replaceChildren(h('p', { class: 'sp-say', 'data-role': 'sp-say' }, say(rec.step.say)), grid)
  }

  /** At the end: the observed outcome of each column (its last observation) against the expected one. */
  function renderSummary (): void {
    if (runView !== null) { renderRunSummary(runView); return }
    if (story === null || current !== story.steps.length - 1 || records.length !== story.steps.length || running) { summary.replaceChildren(); return }
    const W = w()
    const sw = storyWords()
    const rows = cols.map(col => {
      let observed: { outcome: string, detail: Text } | undefined
      for (const rec of records) {
        const r = rec.results.get(col.mount.name)
        if (r !== undefined && !isText(r) && r.observed !== undefined) observed = r.observed
      }
      const expected = expectedOf(col.mechanism)
      const ok = observed !== undefined && observed.outcome === expected
      // A story observed outside the player (the XSS lab's tab) says where, instead of a ✘ it did not see.
      const elsewhere = story?.observedIn
      return h('tr', {},
        h('th', { scope: 'row' }, `/${col.mount.name} (${col.mechanism})`),
        h('td', {}, expected === null ? '?' : outcomeLabel(expected)),
        h('td', {}, elsewhere !== undefined ? elsewhere[lang] : observed === undefined ? '–' : `${outcomeLabel(observed.outcome)} (${observed.detail[lang]})`),
        elsewhere !== undefined
          ? h('td', { class: 'sp-mark', 'data-role': 'sp-summary-verdict', 'data-mode': col.mount.name, 'data-ok': 'elsewhere' }, W.labMark)
          : h('td', { class: `sp-mark ${ok ? 'ok' : 'bad'}`, 'data-role': 'sp-summary-verdict', 'data-mode': col.mount.name, 'data-ok': String(ok) }, ok ? W.ok : W.bad),
        h('td', {}, sw?.why[col.mechanism] ?? ''))
    })
    const l = lw()
    summary.replaceChildren(h('h4', {}, W.summary), h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, W.mode), h('th', { scope: 'col' }, noColon(l?.expected ?? W.expectedShort)), h('th', { scope: 'col' }, noColon(l?.observed ?? W.observedShort)), h('th', { scope: 'col' }, '✔/✘'), h('th', { scope: 'col' }, W.why))),
      h('tbody', {}, ...rows)))
  }

  function render (): void {
    renderControls()
    renderHeader()
    renderRunStatus()
    renderStep()
    renderSummary()
  }

  async function snapshot (col: ColumnState): Promise<Snapshot> {
    const cookies = col.mount.kind === 'session' ? net.jar.at('/') : net.jar.at(`/${col.mount.name}`)
    let keeps: string
    try {
      const r = await fetch(`/${col.mount.name}/demo/inspect`, { credentials: 'same-origin', headers: col.access === null || col.mount.kind !== 'jwt' ? {} : { authorization: `Bearer ${col.access}` } })
      const body = await r.json() as Parameters<typeof formatRecord>[0] & { error?: string }
      keeps = r.ok ? formatRecord(body, w()) : w().inspectFailed(`${r.status} ${body.error ?? ''}`)
    } catch (err) {
      keeps = w().inspectFailed(String(err))
    }
    return { cookies: cookies.map(c => ({ ...c })), access: col.mount.kind === 'jwt' ? col.access : null, takenAt: Date.now(), loot: col.loot === null ? [] : [...col.lootHolds], keeps }
  }

  async function runStep (index: number): Promise<void> {
    if (story === null) return
    const step = story.steps[index]
    if (step === undefined) return
    const rec: StepRecord = { step, results: new Map(), snapshots: new Map() }
    records[index] = rec
    records.length = index + 1
    current = index
    running = true
    render()
    try {
      if (step.once !== undefined) {
        rec.once = await step.once({ net, cols, mounts: mounts.map(m => m.mount) })
      } else if (step.each !== undefined) {
        const each = step.each
        await Promise.all(cols.map(async col => {
          const skip = step.skip?.(col.mechanism) ?? null
          if (skip !== null) { rec.results.set(col.mount.name, skip); return }
          const progress = (t: Text): void => {
            const el = stepView.querySelector(`[data-role="sp-progress"][data-mode="${col.mount.name}"]`)
            if (el !== null) el.textContent = t[lang]
          }
          try {
            rec.results.set(col.mount.name, await each({ net, col, progress }))
          } catch (err) {
            rec.results.set(col.mount.name, { exchanges: [], checks: [{ ok: false, text: { en: String(err), ko: String(err) } }] })
          }
          if (records[current] === rec) renderStep()
        }))
      }
      if (step.once === undefined) {
        const snaps = await Promise.all(cols.map(snapshot))
        cols.forEach((col, i) => { rec.snapshots.set(col.mount.name, snaps[i]!) })
      }
    } finally {
      running = false
      render()
    }
  }

  function run (work: Promise<unknown>): void {
    work.catch((err: unknown) => { console.error(err); running = false; render() })
  }

  /** Runs the chosen story in the runner on this machine (it starts servers of its own) and shows what it recorded. */
  async function runInRunner (): Promise<void> {
    const entry = words?.stories.find(s => s.slug === selected)
    if (entry === undefined) return
    const view: RunView = { slug: entry.slug, id: entry.id, phase: 'running', seconds: 0, store: runStore, lang, beats: new Map(), total: 0, current: 0 }
    runView = view
    restart()
    render()
    const mine = (): boolean => runView === view
    try {
      const end = await runStory(entry.id, { lang: view.lang, store: view.store }, seconds => {
        view.seconds = seconds
        if (mine()) renderRunStatus()
      })
      view.seconds = end.seconds ?? view.seconds
      if (end.state === 'done') {
        view.report = end.result
        for (const r of end.result.results) view.beats.set(r.strategy, beatsOf(r.steps))
        view.total = Math.max(1, ...[...view.beats.values()].map(b => b.length))
        view.phase = 'done'
      } else {
        view.phase = 'failed'
        view.message = W => W.runFailed(end.code, end.error)
      }
    } catch (err) {
      view.phase = 'failed'
      view.message = err instanceof RunRefused
        ? err.code === 'run_in_progress' ? W => W.runBusy : err.code === 'runner_unavailable' ? W => W.runUnavailable(err.message, entry.slug) : W => W.runFailed(err.code, err.message)
        : W => W.runFailed('network', String(err))
    }
    if (mine()) render()
  }

  storySelect.addEventListener('change', () => {
    selected = storySelect.value
    story = STORIES.find(s => s.slug === selected) ?? null
    runView = null
    restart()
    render()
  })
  storeSelect.addEventListener('change', () => { runStore = storeSelect.value })
  runButton.addEventListener('click', () => { run(runInRunner()) })
  // With a recorded run the mode only chooses the columns shown: nothing runs again.
  modeSelect.addEventListener('change', () => { mode = modeSelect.value; if (runView === null) restart(); render() })
  startButton.addEventListener('click', () => { runView = null; restart(); run(runStep(0)) })
  backButton.addEventListener('click', () => {
    if (runView !== null) { if (runView.current > 0) { runView.current--; render() } return }
    if (current > 0) { current--; render() }
  })
  nextButton.addEventListener('click', () => {
    if (runView !== null) { if (runView.current < runView.total - 1) { runView.current++; render() } return }
    if (story === null || current >= story.steps.length - 1) return
    if (records[current + 1] !== undefined) { current++; render() } else run(runStep(current + 1))
  })
  document.addEventListener('svj:lang', ev => {
    const next = (ev as CustomEvent<{ lang?: string }>).detail?.lang
    if (next === 'en' || next === 'ko') { lang = next; render() }
  })

  render()
  run((async () => {
    const r = await fetch('/story-words.json')
    if (!r.ok) { wordsError = true; render(); return }
    words = await r.json() as WordsFile
    story = playable()[0] ?? null
    selected = story?.slug ?? ''
    restart()
    render()
  })())
}
