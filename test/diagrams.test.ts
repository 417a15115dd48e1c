/**
 * The sequence diagrams in docs/diagrams: every committed SVG is what `npm run diagrams` renders from its
 * text source today, nothing in them reaches outside the file, each has a Korean translation with the same
 * steps and protocol tokens, labels are measured wide enough for Hangul, and the notation's mistakes are
 * reported with the line they are on.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DIAGRAM_DIR, DiagramError, parse, render, renderAll, textWidth } from '../tools/diagrams.js'

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

/** The protocol tokens of a label, which a translation keeps as they are (a path, a key, an error code…). */
function tokens (label: string): string[] {
  const found = label.match(/\/[\w/.=-]+|[\w-]+:<[^>]+>|\b[a-z]+(?:_[a-z]+)+\b|\b[A-Z][A-Za-z_-]*[A-Z][A-Za-z_-]*\b|\b[1-5]\d\d\b/g) ?? []
  return [...new Set(found)].sort()
}

t.test('every diagram has a Korean translation with the same steps and the same protocol tokens', async t => {
  const sources = readdirSync(DIAGRAM_DIR).filter(f => f.endsWith('.txt'))
  const english = sources.filter(f => !f.endsWith('.ko.txt'))
  t.ok(english.length >= 7, `${english.length} English sources`)
  t.same(sources.filter(f => f.endsWith('.ko.txt')).sort(), english.map(f => f.replace(/\.txt$/, '.ko.txt')).sort(), 'one X.ko.txt per X.txt, and no Korean source without its English one')
  for (const f of english) {
    const ko = f.replace(/\.txt$/, '.ko.txt')
    if (!existsSync(join(DIAGRAM_DIR, ko))) continue
    const en = parse(readFileSync(join(DIAGRAM_DIR, f), 'utf8'), f)
    const kd = parse(readFileSync(join(DIAGRAM_DIR, ko), 'utf8'), ko)
    t.match(kd.title, /[\uac00-\ud7a3]/, `${ko}: the title is in Korean`)
    t.same(kd.participants.map(p => p.id), en.participants.map(p => p.id), `${ko}: the same participants`)
    const shape = (s: typeof en.statements[number]): string => s.kind === 'divider' ? 'divider' : `${s.kind} ${s.from} ${s.to} ${s.kind === 'message' ? s.style : ''} ${s.label.length}`
    t.same(kd.statements.map(shape), en.statements.map(shape), `${ko}: the same statements in the same order (arrows, styles, line breaks)`)
    en.statements.forEach((s, i) => {
      const k = kd.statements[i]
      if (k === undefined) return
      const label = (x: typeof s): string => x.kind === 'divider' ? x.label : x.label.join(' ')
      const missing = tokens(label(s)).filter(tok => !label(k).includes(tok))
      t.same(missing, [], `${ko} statement ${i + 1}: protocol tokens kept`, { en: label(s), ko: label(k) })
    })
  }
})

t.test('label widths: 0.6 em a Latin character, 1 em a Hangul one; a long title widens the image', async t => {
  t.equal(textWidth('ab'), 15.6)
  t.equal(textWidth('세션'), 26)
  t.equal(Math.round(textWidth('세션 id') * 10) / 10, 49.4, 'mixed: 2 em + 3 × 0.6 em')
  t.equal(textWidth('세션', 17), 34, 'at the title size')
  // 8 Hangul (104 px) and 10 Latin characters or spaces (78 px), plus the box's 24 px of padding.
  t.match(render(parse('participant A: 저장소 (메모리 또는 Redis)\nA -> A: x')), /<rect class="actor" x="[\d.]+" y="[\d.]+" width="206" /, 'a Korean participant box holds its label')
  const long = '세션 로그아웃: 기록을 지우면 쿠키의 모든 사본이 끝난다, 그리고 이 제목은 아주 길다'
  const svg = render(parse(`title: ${long}\nparticipant A: a\nA -> A: x`))
  const width = Number(/<svg [^>]*width="([\d.]+)"/.exec(svg)?.[1])
  t.ok(width >= Math.floor(24 + textWidth(long, 17) + 24), `the image (${width} px) holds the title (${textWidth(long, 17)} px) and its margins`)
})
