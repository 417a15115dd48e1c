/**
 * `npm run diagrams`: renders the sequence diagrams docs/diagrams/*.txt to docs/diagrams/*.svg. A small
 * renderer of our own: the maintained renderers on npm (mermaid and its CLI) need a browser. The SVG is
 * self-contained (no script, no external font or image, system font stacks only) and deterministic, so
 * test/diagrams.test.ts can check that the committed SVGs match their sources. `--check` only compares.
 * `X.ko.txt` is X.txt in Korean (the same statements, protocol tokens untranslated) and renders to `X.ko.svg`.
 *
 * The notation, one statement a line (`#` starts a comment):
 *   title: Login                        the diagram's title
 *   participant B: alice's browser      a column, by id, left to right in order of declaration
 *   B -> S: POST /session/login         a request (solid arrow); `\n` in a label breaks the line
 *   S --> B: 200 Set-Cookie: sid=…      a reply (dashed arrow)
 *   S --x B: 401 session_revoked        a refusal (dashed, red)
 *   S -> S: verify signature, exp       a step inside one participant (an arrow back to itself)
 *   note S: text                        a note over one participant; `note B..R: text` spans columns
 *   == Logout ==                        a divider across the diagram
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface Participant { id: string, label: string }
export type Statement =
  | { kind: 'message', from: string, to: string, label: string[], style: 'request' | 'reply' | 'refusal' }
  | { kind: 'note', from: string, to: string, label: string[] }
  | { kind: 'divider', label: string }

export interface Diagram { title: string, participants: Participant[], statements: Statement[] }

export class DiagramError extends Error {}

const ARROWS: Record<string, 'request' | 'reply' | 'refusal'> = { '->': 'request', '-->': 'reply', '--x': 'refusal' }

export function parse (source: string, name = 'diagram'): Diagram {
  const diagram: Diagram = { title: '', participants: [], statements: [] }
  const known = (id: string, line: number): string => {
    if (!diagram.participants.some(p => p.id === id)) throw new DiagramError(`${name}:${line}: unknown participant '${id}' (declare it with "participant ${id}: label")`)
    return id
  }
  const lines = (text: string): string[] => text.split('\\n').map(s => s.trim())
  source.split('\n').forEach((raw, i) => {
    const line = raw.trim()
    const n = i + 1
    if (line === '' || line.startsWith('#')) return
    let m: RegExpExecArray | null
    if ((m = /^title:\s*(.+)$/.exec(line)) !== null) diagram.title = m[1]!
    else if ((m = /^participant\s+(\w+)\s*:\s*(.+)$/.exec(line)) !== null) {
      if (diagram.participants.some(p => p.id === m![1])) throw new DiagramError(`${name}:${n}: participant '${m[1]}' declared twice`)
      diagram.participants.push({ id: m[1]!, label: m[2]! })
    } else if ((m = /^==\s*(.+?)\s*==$/.exec(line)) !== null) diagram.statements.push({ kind: 'divider', label: m[1]! })
    else if ((m = /^note\s+(\w+)(?:\.\.(\w+))?\s*:\s*(.+)$/.exec(line)) !== null) {
      diagram.statements.push({ kind: 'note', from: known(m[1]!, n), to: known(m[2] ?? m[1]!, n), label: lines(m[3]!) })
    } else if ((m = /^(\w+)\s*(-->|--x|->)\s*(\w+)\s*:\s*(.+)$/.exec(line)) !== null) {
      diagram.statements.push({ kind: 'message', from: known(m[1]!, n), to: known(m[3]!, n), label: lines(m[4]!), style: ARROWS[m[2]!]! })
    } else throw new DiagramError(`${name}:${n}: cannot read "${line}"`)
  })
  if (diagram.participants.length === 0) throw new DiagramError(`${name}: no participants`)
  return diagram
}

// Layout in pixels. Labels use a monospace stack so their width can be computed without measuring fonts.
const FONT = 13
const TITLE_FONT = 17
const LINE = 16
const MARGIN = 24
const BOX_H = 34
const MIN_GAP = 150

const WIDE = /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\uff00-\uff60]/

/**
 * Width of a label at `size` px in the monospace stack: 0.6 em a Latin character (the stack's fonts), 1 em
 * a wide one (Hangul, CJK). The monospace fonts have no Hangul, so the browser draws it in a fallback font
 * whose square glyphs are at most 1 em (0.94 em in Nanum Gothic): two 0.6 em cells would over-widen every
 * Korean box by a fifth.
 */
export function textWidth (s: string, size = FONT): number {
  let w = 0
  for (const ch of s) w += WIDE.test(ch) ? size : size * 0.6
  return w
}
const widest = (lines: string[]): number => Math.max(0, ...lines.map(line => textWidth(line)))

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const r = (n: number): string => String(Math.round(n * 10) / 10)

export function render (d: Diagram): string {
  const index = new Map(d.participants.map((p, i) => [p.id, i]))
  const boxW = d.participants.map(p => Math.max(90, textWidth(p.label) + 24))
  const gaps = d.participants.slice(1).map((_, i) => Math.max(MIN_GAP, boxW[i]! / 2 + boxW[i + 1]! / 2 + 24))
  // Widen the gaps a label spans until it fits, narrowest spans first.
  const spans = d.statements.flatMap(s => {
    if (s.kind !== 'message') return []
    const a = index.get(s.from)!
    const b = index.get(s.to)!
    if (a === b) return a < gaps.length ? [{ lo: a, hi: a + 1, need: widest(s.label) + 52 }] : []
    return [{ lo: Math.min(a, b), hi: Math.max(a, b), need: widest(s.label) + 44 }]
  }).sort((x, y) => (x.hi - x.lo) - (y.hi - y.lo))
  for (const { lo, hi, need } of spans) {
    const have = gaps.slice(lo, hi).reduce((a, b) => a + b, 0)
    if (have < need) for (let i = lo; i < hi; i++) gaps[i]! += (need - have) / (hi - lo)
  }
  const xs: number[] = []
  let x = MARGIN + boxW[0]! / 2
  d.participants.forEach((_, i) => { xs.push(x); x += gaps[i] ?? 0 })

  // Horizontal extent: boxes, self-message labels and notes may reach beyond the outer lifelines.
  let left = MARGIN
  // The title is drawn in a proportional sans-serif, whose characters are no wider on average than the
  // monospace estimate at its size: a long title (a Korean one above all) widens the image, never overflows it.
  let right = Math.max(xs[xs.length - 1]! + boxW[boxW.length - 1]! / 2, MARGIN + textWidth(d.title, TITLE_FONT))
  for (const s of d.statements) {
    if (s.kind === 'message' && s.from === s.to) right = Math.max(right, xs[index.get(s.from)!]! + 44 + widest(s.label))
    if (s.kind === 'note') {
      const a = xs[Math.min(index.get(s.from)!, index.get(s.to)!)]!
      const b = xs[Math.max(index.get(s.from)!, index.get(s.to)!)]!
      const w = Math.max(widest(s.label) + 20, b - a + 40)
      left = Math.min(left, (a + b) / 2 - w / 2)
      right = Math.max(right, (a + b) / 2 + w / 2)
    }
  }
  const shift = MARGIN - left
  for (let i = 0; i < xs.length; i++) xs[i]! += shift
  const width = right + shift + MARGIN

  const body: string[] = []
  const titleH = d.title === '' ? 0 : 34
  let y = MARGIN + titleH + BOX_H + 18
  for (const s of d.statements) {
    if (s.kind === 'divider') {
      body.push(`<line class="divider" x1="${r(MARGIN / 2)}" y1="${r(y + 8)}" x2="${r(width - MARGIN / 2)}" y2="${r(y + 8)}"/>`)
      const w = textWidth(s.label) + 20
      body.push(`<rect class="divider-box" x="${r(width / 2 - w / 2)}" y="${r(y - 3)}" width="${r(w)}" height="22" rx="3"/>`)
      body.push(`<text class="divider-text" x="${r(width / 2)}" y="${r(y + 12)}" text-anchor="middle">${esc(s.label)}</text>`)
      y += 38
    } else if (s.kind === 'note') {
      const a = xs[Math.min(index.get(s.from)!, index.get(s.to)!)]!
      const b = xs[Math.max(index.get(s.from)!, index.get(s.to)!)]!
      const w = Math.max(widest(s.label) + 20, b - a + 40)
      const h = s.label.length * LINE + 12
      body.push(`<rect class="note" x="${r((a + b) / 2 - w / 2)}" y="${r(y)}" width="${r(w)}" height="${r(h)}" rx="2"/>`)
      s.label.forEach((line, i) => body.push(`<text x="${r((a + b) / 2 - w / 2 + 10)}" y="${r(y + 6 + LINE * (i + 1) - 4)}">${esc(line)}</text>`))
      y += h + 14
    } else if (s.from === s.to) {
      const cx = xs[index.get(s.from)!]!
      const h = s.label.length * LINE
      s.label.forEach((line, i) => body.push(`<text x="${r(cx + 36)}" y="${r(y + LINE * (i + 1) - 4)}">${esc(line)}</text>`))
      const top = y + 4
      const bottom = y + Math.max(h, LINE) + 6
      body.push(`<path class="${s.style}" d="M${r(cx)} ${r(top)} H${r(cx + 28)} V${r(bottom)} H${r(cx + 4)}" marker-end="url(#head-${s.style})"/>`)
      y = bottom + 16
    } else {
      const x1 = xs[index.get(s.from)!]!
      const x2 = xs[index.get(s.to)!]!
      const mid = (x1 + x2) / 2
      s.label.forEach((line, i) => body.push(`<text class="${s.style === 'refusal' ? 'refusal-text' : ''}" x="${r(mid)}" y="${r(y + LINE * (i + 1) - 4)}" text-anchor="middle">${esc(line)}</text>`.replace(' class=""', '')))
      const ay = y + s.label.length * LINE + 4
      const end = x2 + (x2 > x1 ? -3 : 3)
      body.push(`<line class="${s.style}" x1="${r(x1)}" y1="${r(ay)}" x2="${r(end)}" y2="${r(ay)}" marker-end="url(#head-${s.style})"/>`)
      y = ay + 16
    }
  }
  const bottomY = y + 4
  const height = bottomY + BOX_H + MARGIN
  const heads: string[] = []
  for (const d of ['request', 'reply', 'refusal']) {
    heads.push(`<marker id="head-${d}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path class="head-${d}" d="M0 0 L10 5 L0 10 z"/></marker>`)
  }
  const boxes = (top: number): string[] => d.participants.map((p, i) => [
    `<rect class="actor" x="${r(xs[i]! - boxW[i]! / 2)}" y="${r(top)}" width="${r(boxW[i]!)}" height="${BOX_H}" rx="4"/>`,
    `<text class="actor-text" x="${r(xs[i]!)}" y="${r(top + BOX_H / 2 + 5)}" text-anchor="middle">${esc(p.label)}</text>`
  ].join('')).flat()
  const boxTop = MARGIN + titleH
  const lifelines = xs.map(x => `<line class="lifeline" x1="${r(x)}" y1="${r(boxTop + BOX_H)}" x2="${r(x)}" y2="${r(bottomY)}"/>`)
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${r(width)}" height="${r(height)}" viewBox="0 0 ${r(width)} ${r(height)}" role="img" aria-labelledby="diagram-title">`,
    `<title id="diagram-title">${esc(d.title === '' ? 'Sequence diagram' : d.title)}</title>`,
    '<style>',
    `text{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono",monospace;font-size:${FONT}px;fill:#1b1f24}`,
    `.title{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif;font-size:${TITLE_FONT}px;font-weight:700}`,
    '.actor{fill:#eef3fb;stroke:#3b5b8c;stroke-width:1.2}.actor-text{font-weight:700}',
    '.lifeline{stroke:#8a96a8;stroke-width:1;stroke-dasharray:4 4}',
    '.request{stroke:#1b1f24;stroke-width:1.4;fill:none}.reply{stroke:#1b1f24;stroke-width:1.4;stroke-dasharray:6 4;fill:none}',
    '.refusal{stroke:#b3261e;stroke-width:1.6;stroke-dasharray:6 4;fill:none}.refusal-text{fill:#b3261e;font-weight:700}',
    '.head-request,.head-reply{fill:#1b1f24}.head-refusal{fill:#b3261e}',
    '.note{fill:#fff8d6;stroke:#b59b2f;stroke-width:1}',
    '.divider{stroke:#3b5b8c;stroke-width:1}.divider-box{fill:#3b5b8c}.divider-text{fill:#ffffff;font-weight:700}',
    '</style>',
    `<defs>${heads.join('')}</defs>`,
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    d.title === '' ? '' : `<text class="title" x="${MARGIN}" y="${MARGIN + 18}">${esc(d.title)}</text>`,
    ...lifelines,
    ...boxes(boxTop),
    ...body,
    ...boxes(bottomY),
    '</svg>',
    ''
  ].filter(line => line !== '').join('\n') + '\n'
}

export const DIAGRAM_DIR = fileURLToPath(new URL('../docs/diagrams/', import.meta.url))

/** Every source in docs/diagrams and the SVG it renders to. */
export function renderAll (dir = DIAGRAM_DIR): Array<{ source: string, svgPath: string, svg: string }> {
  return readdirSync(dir).filter(f => f.endsWith('.txt')).sort().map(f => ({
    source: f,
    svgPath: join(dir, f.replace(/\.txt$/, '.svg')),
    svg: render(parse(readFileSync(join(dir, f), 'utf8'), f))
  }))
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check')
  let stale = 0
  try {
    for (const { source, svgPath, svg } of renderAll()) {
      let current = ''
      try { current = readFileSync(svgPath, 'utf8') } catch { /* not rendered yet */ }
      if (current === svg) continue
      if (check) { stale++; console.error(`out of date: ${svgPath} (from ${source}); run npm run diagrams`) } else { writeFileSync(svgPath, svg); console.log(`wrote ${svgPath}`) }
    }
  } catch (err) {
    if (!(err instanceof DiagramError)) throw err
    console.error(err.message)
    process.exit(2)
  }
  process.exitCode = stale === 0 ? 0 : 1
}
