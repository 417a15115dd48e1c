import type { ScenarioResult } from './runner.js'
import type { BreakdownChainResult } from './breakdown/compute.js'
import type { StepTag } from './breakdown/variants.js'

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** A round axis maximum above `max`: 1, 2 or 5 times a power of ten. */
function niceMax (max: number): number {
  if (!(max > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(max))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p
  return 10 * p
}

interface Panel { title: string, unit: string, values: Array<number | null>, color: string, digits: number }

/**
 * A self-contained SVG (no fonts, scripts or external requests) with two horizontal bar panels:
 * requests/s and p99 latency per scenario, medians of the runs. Failed scenarios are marked.
 */
export function renderChart (results: readonly ScenarioResult[], subtitle: string): string {
  const names = results.map(r => r.name + (r.status === 'failed' ? ' (failed)' : ''))
  const panels: Panel[] = [
    { title: 'requests/s (higher is better)', unit: '', values: results.map(r => r.load?.median.rps ?? null), color: '#3b7dd8', digits: 0 },
    { title: 'p99 latency, ms (lower is better)', unit: ' ms', values: results.map(r => r.load?.median.p99 ?? null), color: '#d8703b', digits: 0 }
  ]
  const labelW = 190
  const panelW = 330
  const gap = 40
  const rowH = 26
  const top = 64
  const width = labelW + panels.length * (panelW + gap) + 10
  const height = top + results.length * rowH + 40
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`)
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  out.push('<text x="10" y="20" font-size="15" font-weight="bold">session-vs-jwt: GET /{strategy}/api/me</text>')
  out.push(`<text x="10" y="38" fill="#555">${esc(subtitle)}</text>`)
  names.forEach((name, i) => {
    const y = top + i * rowH + rowH / 2 + 4
    out.push(`<text x="${labelW - 8}" y="${y}" text-anchor="end"${results[i]!.status === 'failed' ? ' fill="#b00020"' : ''}>${esc(name)}</text>`)
  })
  panels.forEach((panel, p) => {
    const x0 = labelW + p * (panelW + gap)
    const max = niceMax(Math.max(0, ...panel.values.map(v => v ?? 0)))
    out.push(`<text x="${x0}" y="${top - 10}" font-weight="bold">${esc(panel.title)}</text>`)
    for (let t = 0; t <= 4; t++) {
      const x = x0 + (panelW * t) / 4
      out.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${top + results.length * rowH}" stroke="#e3e3e3"/>`)
      out.push(`<text x="${x}" y="${top + results.length * rowH + 14}" text-anchor="middle" fill="#777" font-size="10">${Math.round((max * t) / 4).toLocaleString('en-US')}</text>`)
    }
    panel.values.forEach((v, i) => {
      const y = top + i * rowH + 4
      if (v === null) {
        out.push(`<text x="${x0 + 4}" y="${y + 13}" fill="#b00020">n/a</text>`)
        return
      }
      const w = Math.max(1, (v / max) * panelW)
      const fill = results[i]!.kind === 'baseline' ? '#8a8a8a' : panel.color
      out.push(`<rect x="${x0}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${fill}" rx="2"/>`)
      const text = `${v.toLocaleString('en-US', { maximumFractionDigits: panel.digits })}${panel.unit}`
      const inside = w > 70
      out.push(`<text x="${(inside ? x0 + w - 4 : x0 + w + 4).toFixed(1)}" y="${y + 13}" text-anchor="${inside ? 'end' : 'start'}" fill="${inside ? '#fff' : '#333'}">${esc(text)}</text>`)
    })
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}

const TAG_COLORS: Record<StepTag, string> = {
  framework: '#9e9e9e',
  app: '#616161',
  inherent: '#3b7dd8',
  cache: '#2e9e5b',
  library: '#d8703b',
  project: '#8e5bd8'
}

const TAG_NAMES: Record<StepTag, string> = {
  framework: 'framework floor',
  app: 'the project\'s app (every request)',
  inherent: 'inherent to the credential',
  cache: 'cache / memo (saves work)',
  library: 'plugin machinery',
  project: 'the project\'s auth hooks'
}

const signed = (v: number, digits = 1): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`

/**
 * The cost breakdown as a waterfall (self-contained SVG: no fonts, scripts or external requests): per
 * chain, one row per step; each bar runs from the previous step's median server CPU per request to this
 * step's, coloured by what kind of cost it is, with the step's median (and min–max) over the rounds.
 */
export function renderWaterfall (chains: readonly BreakdownChainResult[], subtitle: string): string {
  const labelW = 300
  const barW = 430
  const valueW = 300
  const rowH = 22
  const titleH = 26
  const gapH = 14
  const legendH = 40
  const top = 58 + legendH
  const width = labelW + barW + valueW + 20
  const x0 = labelW + 10
  const max = niceMax(Math.max(0, ...chains.flatMap(c => c.steps.map(s => s.serverCpuUs?.median ?? 0))))
  const x = (us: number): number => x0 + (Math.max(0, us) / max) * barW
  const bodyH = chains.reduce((h, c) => h + titleH + c.steps.length * rowH + gapH, 0)
  const height = top + bodyH + 34
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`)
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`)
  out.push('<text x="10" y="20" font-size="15" font-weight="bold">Where the microseconds go: server CPU per request, step by step</text>')
  out.push(`<text x="10" y="38" fill="#555">${esc(subtitle)}</text>`)
  const tags = Object.keys(TAG_COLORS) as StepTag[]
  tags.forEach((tag, i) => {
    const lx = 10 + (i % 3) * 260
    const ly = 52 + Math.floor(i / 3) * 18
    out.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${TAG_COLORS[tag]}" rx="2"/>`)
    out.push(`<text x="${lx + 18}" y="${ly + 10}" fill="#333">${esc(TAG_NAMES[tag])}</text>`)
  })
  out.push(`<rect x="${10 + 3 * 260}" y="52" width="12" height="12" fill="#cccccc" stroke="#555" stroke-dasharray="3,2" rx="2"/>`)
  out.push(`<text x="${10 + 3 * 260 + 18}" y="62" fill="#333">dashed: the step lowered the cost</text>`)
  out.push(`<text x="${10 + 3 * 260}" y="80" fill="#555" font-size="11">right: step median (min … max) → total</text>`)
  const bottom = top + bodyH - gapH
  for (let t = 0; t <= 5; t++) {
    const gx = x0 + (barW * t) / 5
    out.push(`<line x1="${gx}" y1="${top}" x2="${gx}" y2="${bottom}" stroke="#ececec"/>`)
    out.push(`<text x="${gx}" y="${bottom + 14}" text-anchor="middle" fill="#777" font-size="10">${((max * t) / 5).toLocaleString('en-US', { maximumFractionDigits: 1 })}</text>`)
  }
  out.push(`<text x="${x0 + barW / 2}" y="${bottom + 28}" text-anchor="middle" fill="#555" font-size="11">server µs CPU per request (median over the rounds)</text>`)
  let y = top
  for (const chain of chains) {
    out.push(`<text x="10" y="${y + 17}" font-weight="bold" font-size="13">${esc(chain.title)}</text>`)
    y += titleH
    let prevEnd: number | null = null
    chain.steps.forEach((step, i) => {
      const end = step.serverCpuUs?.median ?? null
      const start = i === 0 ? 0 : prevEnd
      const label = step.label + (step.includes.length > 0 ? ` (+ ${step.includes.length} not run)` : '')
      out.push(`<text x="${labelW}" y="${y + 15}" text-anchor="end" fill="#222">${esc(label)}</text>`)
      if (end === null || start === null) {
        out.push(`<text x="${x0 + 4}" y="${y + 15}" fill="#b00020">n/a</text>`)
      } else {
        const a = Math.min(start, end)
        const b = Math.max(start, end)
        const w = Math.max(1, x(b) - x(a))
        out.push(`<rect x="${x(a).toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${TAG_COLORS[step.tag]}" rx="2"${end < start ? ' fill-opacity="0.75" stroke="#555" stroke-dasharray="3,2"' : ''}/>`)
        if (i > 0 && prevEnd !== null) out.push(`<line x1="${x(prevEnd).toFixed(1)}" y1="${y - 3}" x2="${x(prevEnd).toFixed(1)}" y2="${y + 3}" stroke="#888"/>`)
        const s = step.stepUs
        const text = s === null
          ? `${end.toFixed(1)} µs`
          : i === 0
            ? `${s.median.toFixed(1)} µs`
            : `${signed(s.median)} µs${s.min === s.max ? '' : ` (${signed(s.min)} … ${signed(s.max)})`} → ${end.toFixed(0)} µs`
        out.push(`<text x="${x0 + barW + 8}" y="${y + 15}" fill="#333">${esc(text)}</text>`)
      }
      prevEnd = end
      y += rowH
    })
    y += gapH
  }
  out.push('</svg>')
  return out.join('\n') + '\n'
}
