/**
 * The story player: a lecturer picks one of the runner's stories and plays it step by step against the
 * side-by-side mounts (Next runs a step, Back shows an earlier one again). Each step shows its narration,
 * and per mode column the requests (method, path, the headers that matter, body), the response, what the
 * client holds afterwards, what the server keeps (GET /{mount}/demo/inspect), the checks, the expected vs
 * observed outcome, and the bytes on the wire. Words: the runner's (/story-words.json, written by
 * tools/story-words.ts at build time) plus the player's own (stories/words.ts). No inline script or style:
 * it runs under the page's strict CSP.
 */
import { STORIES, type Say, type StepDef, type StoryDef } from './stories/catalog.js'
import { decodeJwt, Net, type HeldCookie } from './stories/net.js'
import { mechanismOf, type ColumnResult, type ColumnState, type Exchange, type Lang, type Mechanism, type MountInfo, type Text } from './stories/types.js'
import { UI, type UiWords } from './stories/words.js'

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

export function mountStoryPlayer (root: HTMLElement, opts: { lang: 'en' | 'ko', mounts: Array<{ name: string, kind: string, revocation?: string, accessTtlSec?: number }> }): void {
  ensureStylesheet()
  let lang: Lang = opts.lang
  let words: WordsFile | null = null
  let wordsError = false
  const net = new Net()
  const mounts = opts.mounts
    .map(m => ({ mount: m as MountInfo, mechanism: mechanismOf(m) }))
    .filter((m): m is { mount: MountInfo, mechanism: Mechanism } => m.mechanism !== null)

  let story: StoryDef | null = null
  let mode = 'all'
  let cols: ColumnState[] = []
  let records: StepRecord[] = []
  let current = -1
  let running = false
  let optionsFor = ''

  const w = (): UiWords => UI[lang]
  const lw = (): LangWords | null => words?.words[lang] ?? null
  const storyWords = (): StoryWords | null => story === null ? null : lw()?.stories[story.slug] ?? null
  const playable = (): StoryDef[] => STORIES.filter(s => words?.words.en.stories[s.slug] !== undefined && words.stories.some(x => x.slug === s.slug))
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
  const backButton = h('button', { type: 'button', 'data-role': 'sp-back' })
  const nextButton = h('button', { type: 'button', 'data-role': 'sp-next', class: 'sp-primary' })
  const counter = h('span', { class: 'sp-counter', 'data-role': 'sp-counter', role: 'status', 'aria-live': 'polite' })
  const controls = h('div', { class: 'sp-controls' },
    h('label', {}, storyLabel, ' ', storySelect), h('label', {}, modeLabel, ' ', modeSelect), startButton, backButton, nextButton, counter)
  const header = h('div', { class: 'sp-story', 'data-role': 'sp-header' })
  const stepView = h('div', { class: 'sp-step', 'data-role': 'sp-step' })
  const summary = h('div', { class: 'sp-summary', 'data-role': 'sp-summary' })
  const wireNote = h('p', { class: 'sp-note' })
  const runnerOnly = h('details', { class: 'sp-runner-only', 'data-role': 'sp-runner-only' })
  root.classList.add('story-player')
  root.setAttribute('aria-labelledby', 'sp-heading')
  root.replaceChildren(heading, intro, controls, runnerOnly, header, stepView, summary, wireNote)

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
    // Options are rebuilt only when their words change, so a select keeps its state under the keyboard.
    const optionsKey = `${lang}:${words === null ? 0 : 1}`
    if (optionsFor !== optionsKey) {
      optionsFor = optionsKey
      storySelect.replaceChildren(...playable().map(s => h('option', { value: s.slug }, `${s.id}. ${lw()?.stories[s.slug]?.title ?? s.slug}`)))
      modeSelect.replaceChildren(h('option', { value: 'all' }, w().allModes), ...mounts.map(m => h('option', { value: m.mount.name }, `/${m.mount.name} (${m.mechanism})`)))
    }
    storySelect.value = story?.slug ?? ''
    modeSelect.value = mode
    startButton.textContent = current < 0 ? w().start : w().restart
    backButton.textContent = w().back
    nextButton.textContent = w().next
    const total = story?.steps.length ?? 0
    startButton.disabled = running || story === null
    backButton.disabled = running || current <= 0
    nextButton.disabled = running || story === null || current >= total - 1
    counter.textContent = words === null ? (wordsError ? w().wordsMissing : '') : story === null ? w().noStories : running ? w().running : current < 0 ? w().notStarted : `${w().stepOf(current + 1, total)}${current === total - 1 && records.length === total ? ` · ${w().done}` : ''}`
    wireNote.textContent = w().wireNote
    renderRunnerOnly()
  }

  /** The runner's stories the page cannot play (they start servers of their own), with the command for each. */
  function renderRunnerOnly (): void {
    const l = lw()
    const others = words === null || l === null ? [] : words.stories.filter(s => !STORIES.some(p => p.slug === s.slug) && l.stories[s.slug] !== undefined)
    if (others.length === 0) { runnerOnly.replaceChildren(); runnerOnly.hidden = true; return }
    runnerOnly.hidden = false
    const W = w()
    runnerOnly.replaceChildren(
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

  function renderStep (): void {
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

  storySelect.addEventListener('change', () => { story = STORIES.find(s => s.slug === storySelect.value) ?? null; restart(); render() })
  modeSelect.addEventListener('change', () => { mode = modeSelect.value; restart(); render() })
  startButton.addEventListener('click', () => { restart(); run(runStep(0)) })
  backButton.addEventListener('click', () => { if (current > 0) { current--; render() } })
  nextButton.addEventListener('click', () => {
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
    restart()
    render()
  })())
}
