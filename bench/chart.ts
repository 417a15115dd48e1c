import type { ScenarioResult } from './runner.js'

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
