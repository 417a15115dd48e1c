import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { Page } from 'playwright-core'
import { launchChromium } from '../harness/browser.js'
import { PUBLIC_DIR } from '../src/routes/demo-routes.js'
import { DIAGRAM_DIR, parse } from '../tools/diagrams.js'
import { chromiumOrSkip } from './helpers/browser.js'
import { startApp, waitFor } from './helpers/app.js'

/**
 * The demo page's sequence diagrams section in a real browser (Debian's Chromium through playwright-core),
 * under the strict CSP: collapsed at first, one button per diagram of docs/diagrams, each shown as a
 * same-origin <img> that loads and is drawn with its own styles, its alt text the diagram's title, the
 * Korean SVG when the page is in Korean; nothing requested from elsewhere. Then every committed SVG, in
 * both languages, measured in Chromium: each label fits its box, arrow and image, which is what the
 * renderer's width estimate (0.6 em Latin, 1 em Hangul) promises.
 */
const STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
const ARTIFACTS = join(process.cwd(), 'test-artifacts')
const DOCS = process.env.UPDATE_DOCS_SCREENSHOT === '1'

const skip = chromiumOrSkip(t, 'demo page diagrams test')

/** The diagrams docs/diagrams has (English sources; each has its X.ko.txt, test/diagrams.test.ts checks that). */
const NAMES = readdirSync(DIAGRAM_DIR).filter(f => f.endsWith('.txt') && !f.endsWith('.ko.txt')).map(f => f.replace(/\.txt$/, '')).sort()
const titleOf = (name: string, lang: 'en' | 'ko'): string => parse(readFileSync(join(DIAGRAM_DIR, `${name}${lang === 'ko' ? '.ko' : ''}.txt`), 'utf8')).title

const IMG = '#diagrams img[data-role=diagram]'

/** The shown image as loaded: its src, natural width, alt, and how many of its pixels have the SVG's own colours. */
interface Shown { src: string, complete: boolean, naturalWidth: number, alt: string, styled: number }
async function shown (page: Page): Promise<Shown> {
  // A string: the test's own lib has no DOM types. The pixel count tells whether the SVG's <style> applied
  // (the actor boxes' fill #eef3fb; unstyled, they would be black).
  return await page.evaluate(`(() => {
    const img = document.querySelector(${JSON.stringify(IMG)})
    let styled = 0
    if (img.complete && img.naturalWidth > 0) {
      const canvas = document.createElement('canvas')
      canvas.width = img.naturalWidth
      canvas.height = img.naturalHeight
      const g = canvas.getContext('2d')
      g.drawImage(img, 0, 0)
      const d = g.getImageData(0, 0, canvas.width, canvas.height).data
      for (let i = 0; i < d.length; i += 4) if (d[i] === 0xee && d[i + 1] === 0xf3 && d[i + 2] === 0xfb) styled++
    }
    return { src: img.src, complete: img.complete, naturalWidth: img.naturalWidth, alt: img.alt, styled }
  })()`)
}

/** Waits until the shown image is `file`, loaded, and drawn with its styles; checks its alt text. */
async function expectShown (t: Test, page: Page, file: string, title: string, message: string): Promise<void> {
  let last: Shown | null = null
  const ok = await waitFor(async () => {
    last = await shown(page)
    return last.src.endsWith(`/diagrams/${file}`) && last.complete && last.naturalWidth > 0 && last.styled > 100
  }, 5000, 50)
  t.ok(ok, `${message}: ${file} loaded and drawn with its own styles`, { shown: last })
  t.ok(last !== null && (last as Shown).alt.startsWith(title), `${message}: the alt text starts with the diagram's title`, { alt: (last as Shown | null)?.alt, title })
}

async function pressed (page: Page): Promise<Record<string, string | null>> {
  return Object.fromEntries(await page.locator('#diagrams [data-role=diagram-list] button').evaluateAll(els => els.map(e => [e.getAttribute('data-diagram'), e.getAttribute('aria-pressed')])))
}

async function screenshot (page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true })
  const section = page.locator('#diagrams')
  await section.screenshot({ path: join(ARTIFACTS, name) })
  if (DOCS) await section.screenshot({ path: join(process.cwd(), 'docs', name) })
}

t.test('demo page: the sequence diagrams section, in English and Korean, under the strict CSP', { skip }, async t => {
  t.ok(existsSync(join(PUBLIC_DIR, 'diagrams.js')), 'the section\'s script is built (npm run build)')
  for (const name of NAMES) {
    for (const file of [`${name}.svg`, `${name}.ko.svg`]) {
      t.equal(existsSync(join(PUBLIC_DIR, 'diagrams', file)) ? readFileSync(join(PUBLIC_DIR, 'diagrams', file), 'utf8') : '', readFileSync(join(DIAGRAM_DIR, file), 'utf8'), `npm run build copies docs/diagrams/${file}`)
    }
  }
  const s = await startApp(t, { AUTH_STRATEGIES: 'session,jwt', JWT_REVOCATION: 'none', DEMO_MODE: 'true' })
  const browser = await launchChromium({ viewport: { width: 1366, height: 900 } })
  t.teardown(browser.close)
  const { page } = browser
  const problems: string[] = []
  const diagramRequests: string[] = []
  page.on('pageerror', err => { problems.push(`page error: ${err.message}`) })
  page.on('requestfailed', req => { problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`) })
  page.on('console', msg => { if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text()) })
  page.on('request', req => {
    if (!req.url().startsWith(`${s.url}/`)) problems.push(`external request: ${req.url()}`)
    else if (req.url().includes('/diagrams/')) diagramRequests.push(new URL(req.url()).pathname)
  })
  // The document under the strict CSP (as in test/demo-page.test.ts); the SVGs come with the server's own
  // page headers, whose CSP allows no inline style in a document: an image is not one.
  await page.route(url => url.pathname === '/', async route => {
    const response = await route.fetch()
    await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': STRICT_CSP } })
  })

  await page.goto(`${s.url}/?lang=en`)
  const details = page.locator('details#diagrams')
  t.equal(await details.count(), 1, 'the section is a <details>')
  t.equal(await details.getAttribute('open'), null, 'collapsed at first')
  t.ok(await page.locator(IMG).isHidden(), 'no diagram on screen while collapsed')
  t.same(await page.locator('#diagrams summary').textContent(), 'Sequence diagrams', 'its summary says what it holds')
  const order = await page.evaluate('Array.from(document.body.children).map(e => e.id).filter(id => id !== "")') as string[]
  t.ok(order.indexOf('diagrams') > order.indexOf('stories') && order.indexOf('stories') > order.indexOf('panel-attacker'), 'after the attacker panel and the story player', { order })

  // Opened from the keyboard, like any <summary>.
  await page.focus('#diagrams summary')
  await page.keyboard.press('Enter')
  t.ok(await waitFor(async () => await details.getAttribute('open') !== null, 2000, 25), 'Enter on the summary opens the section')

  const buttons = page.locator('#diagrams [data-role=diagram-list] button')
  t.same((await buttons.evaluateAll(els => els.map(e => e.getAttribute('data-diagram') ?? ''))).sort(), NAMES, 'one button per diagram in docs/diagrams')
  const english = await buttons.allTextContents()
  t.ok(english.every(n => /^[A-Z][\x20-\x7e]+$/.test(n)), 'each button named in English', { english })
  t.equal(await page.getAttribute('#diagrams [data-role=diagram-list]', 'aria-label'), 'Diagram', 'the button group is labelled')
  await expectShown(t, page, 'login.svg', titleOf('login', 'en'), 'the first diagram is shown at once')

  for (const name of NAMES) {
    await page.click(`#diagrams button[data-diagram="${name}"]`)
    await expectShown(t, page, `${name}.svg`, titleOf(name, 'en'), `${name} clicked`)
    t.same(await pressed(page), Object.fromEntries(NAMES.map(n => [n, String(n === name)])), `${name}: aria-pressed on it alone`)
  }
  // Buttons work from the keyboard: focus one and press Space.
  await page.focus('#diagrams button[data-diagram="session-logout"]')
  await page.keyboard.press('Space')
  await expectShown(t, page, 'session-logout.svg', titleOf('session-logout', 'en'), 'Space on a focused button')
  t.equal((await pressed(page))['session-logout'], 'true', 'Space: aria-pressed follows')
  await screenshot(page, 'demo-diagrams.png')

  await page.selectOption('#lang', 'ko')
  await expectShown(t, page, 'session-logout.ko.svg', titleOf('session-logout', 'ko'), 'Korean: the same diagram in Korean')
  t.ok(await waitFor(async () => await page.locator('#diagrams summary').textContent() === '시퀀스 다이어그램', 2000, 25), 'Korean: the summary')
  const korean = await buttons.allTextContents()
  t.ok(korean.every(n => /[\uac00-\ud7a3]/.test(n)), 'Korean: each button named in Korean', { korean })
  await page.click('#diagrams button[data-diagram="reuse-detection"]')
  await expectShown(t, page, 'reuse-detection.ko.svg', titleOf('reuse-detection', 'ko'), 'Korean: another diagram chosen')
  await screenshot(page, 'demo-diagrams-ko.png')
  for (const name of NAMES) {
    await page.click(`#diagrams button[data-diagram="${name}"]`)
    await expectShown(t, page, `${name}.ko.svg`, titleOf(name, 'ko'), `Korean: ${name} clicked`)
  }

  await page.selectOption('#lang', 'en')
  await expectShown(t, page, `${NAMES.at(-1) ?? ''}.svg`, titleOf(NAMES.at(-1) ?? '', 'en'), 'back to English: the English SVG again')

  t.ok(diagramRequests.length > 0 && diagramRequests.every(p => /^\/diagrams\/[\w-]+(\.ko)?\.svg$/.test(p)), 'the images come from this origin\'s /diagrams/', { diagramRequests })
  t.same(problems, [], 'no CSP violation, page error, failed or external request')
})

/**
 * In-page: every text of the SVG in `document` against the shape it belongs to (a participant's box, a
 * note, a divider's box, a message's arrow) and the image's width; returns the labels that overflow.
 */
const OVERFLOWS = `(() => {
  const svg = document.querySelector('svg')
  const width = svg.viewBox.baseVal.width
  const kids = Array.from(svg.children)
  const out = []
  kids.forEach((el, i) => {
    if (el.tagName !== 'text') return
    const box = el.getBBox()
    let prev
    for (let j = i - 1; j >= 0 && prev === undefined; j--) if (kids[j].tagName !== 'text') prev = kids[j]
    let next
    for (let j = i + 1; j < kids.length && next === undefined; j++) if (kids[j].tagName !== 'text') next = kids[j]
    const cls = el.getAttribute('class') || ''
    const middle = el.getAttribute('text-anchor') === 'middle'
    let lo = 0
    let hi = width
    let what = 'image'
    if (cls === 'actor-text' || cls === 'divider-text' || (!middle && prev !== undefined && prev.getAttribute('class') === 'note')) {
      lo = prev.x.baseVal.value
      hi = lo + prev.width.baseVal.value
      what = prev.getAttribute('class')
    } else if (middle && next !== undefined && next.tagName === 'line') {
      lo = Math.min(Number(next.getAttribute('x1')), Number(next.getAttribute('x2')))
      hi = Math.max(Number(next.getAttribute('x1')), Number(next.getAttribute('x2')))
      what = 'arrow'
    }
    if (box.x < lo || box.x + box.width > hi) out.push(what + ' [' + lo.toFixed(1) + ', ' + hi.toFixed(1) + '] < text [' + box.x.toFixed(1) + ', ' + (box.x + box.width).toFixed(1) + ']: ' + el.textContent)
  })
  return { texts: kids.filter(k => k.tagName === 'text').length, out }
})()`

t.test('every diagram, English and Korean, drawn in Chromium: each label fits its box, arrow and the image', { skip }, async t => {
  const browser = await launchChromium({ viewport: { width: 1500, height: 1000 } })
  t.teardown(browser.close)
  const files = readdirSync(DIAGRAM_DIR).filter(f => f.endsWith('.svg')).sort()
  t.ok(files.some(f => f.endsWith('.ko.svg')), 'the Korean SVGs are among them')
  for (const f of files) {
    // Inline in a blank document: no request, and the SVG's <style> applies as it does in an <img>.
    await browser.page.setContent(`<!doctype html><meta charset="utf-8"><body style="margin:0">${readFileSync(join(DIAGRAM_DIR, f), 'utf8')}</body>`)
    const { texts, out } = await browser.page.evaluate(OVERFLOWS) as { texts: number, out: string[] }
    t.ok(texts > 10, `${f}: ${texts} labels measured`)
    t.same(out, [], `${f}: no label overflows`)
  }
})
