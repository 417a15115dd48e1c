/**
 * The sequence diagrams in docs/diagrams: every committed SVG is what `npm run diagrams` renders from its
 * text source today, nothing in them reaches outside the file, and the notation's mistakes are reported
 * with the line they are on.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DIAGRAM_DIR, DiagramError, parse, render, renderAll } from '../tools/diagrams.js'

t.test('every committed SVG is up to date with its source (else: npm run diagrams)', async t => {
  const rendered = renderAll()
  t.ok(rendered.length >= 7, `${rendered.length} diagrams`)
  for (const { source, svgPath, svg } of rendered) {
    t.ok(existsSync(svgPath), `${source} has its SVG`)
    t.equal(existsSync(svgPath) ? readFileSync(svgPath, 'utf8') : '', svg, `${svgPath} matches ${source}`)
  }
  for (const f of readdirSync(DIAGRAM_DIR).filter(f => f.endsWith('.svg'))) {
    t.ok(existsSync(join(DIAGRAM_DIR, f.replace(/\.svg$/, '.txt'))), `${f} has a text source`)
  }
})

t.test('the SVGs are self-contained: no script, no external font, image or link', async t => {
  for (const { source, svg } of renderAll()) {
    t.notMatch(svg, /<script|@import|@font-face|xlink:href|<image|url\((?!#)/i, `${source}: nothing loaded from elsewhere`)
    t.same(svg.match(/https?:\/\/[^"\s]+/g), ['http://www.w3.org/2000/svg'], `${source}: the only URL is the SVG namespace`)
  }
})

t.test('the notation: what each statement draws, and errors with their line', async t => {
  const d = parse('title: T\nparticipant A: alice\nparticipant B: server\n# a comment\nA -> B: POST /x\nB --> A: 200\nB --x A: 401 no\nB -> B: verify\\nexp\nnote A..B: both\n== part ==\n')
  t.same(d.participants, [{ id: 'A', label: 'alice' }, { id: 'B', label: 'server' }])
  t.same(d.statements.map(s => s.kind === 'message' ? s.style : s.kind), ['request', 'reply', 'refusal', 'request', 'note', 'divider'])
  t.same(d.statements[3], { kind: 'message', from: 'B', to: 'B', label: ['verify', 'exp'], style: 'request' }, '\\n breaks a label')
  const svg = render(d)
  t.match(svg, '<title id="diagram-title">T</title>')
  t.match(svg, /class="refusal"/)
  t.match(render(parse('participant A: a<b>&\nA -> A: x')), 'a&lt;b&gt;&amp;', 'labels are escaped')
  t.throws(() => parse('participant A: a\nA -> C: x', 'bad.txt'), new DiagramError("bad.txt:2: unknown participant 'C' (declare it with \"participant C: label\")"))
  t.throws(() => parse('participant A: a\nA => A: x', 'bad.txt'), /bad\.txt:2: cannot read "A => A: x"/)
  t.throws(() => parse('participant A: a\nparticipant A: b', 'bad.txt'), /declared twice/)
})
