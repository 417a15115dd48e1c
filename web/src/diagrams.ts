/**
 * The page's sequence diagrams section: one button per diagram of docs/diagrams (the build copies the SVGs
 * to /diagrams/), the chosen one shown as an <img> in the page's language (X.ko.svg in Korean). An <img>
 * is what the strict CSP allows (img-src 'self'; object-src 'none' rules out <object>), and an SVG drawn as
 * an image runs no script and loads nothing.
 */
import { MESSAGES, type Lang, type Messages } from './i18n.js'
import { say } from './say.js'

export type DiagramName = keyof Messages['diagrams']

/** In the order of docs/diagrams/README.md: login first, then the endings, then the three JWT modes. */
export const DIAGRAMS: readonly DiagramName[] = ['login', 'session-logout', 'refresh-rotation', 'reuse-detection', 'revocation-none', 'revocation-denylist', 'revocation-version']

export const diagramSrc = (name: DiagramName, lang: Lang): string => `/diagrams/${name}${lang === 'ko' ? '.ko' : ''}.svg`

/**
 * Fills `root`'s `[data-role=diagram-list]` with the buttons and shows the first diagram in
 * `[data-role=diagram]` (an <img>); follows the page's `svj:lang` event for the image and its alt text
 * (the buttons' names follow the switch through say()).
 */
export function mountDiagrams (root: HTMLElement, lang: Lang): void {
  const list = root.querySelector<HTMLElement>('[data-role="diagram-list"]')
  const img = root.querySelector<HTMLImageElement>('img[data-role="diagram"]')
  if (list === null || img === null) throw new Error('missing [data-role=diagram-list] or img[data-role=diagram]')
  let chosen: DiagramName = DIAGRAMS[0]!
  let current = lang
  const buttons = DIAGRAMS.map(name => {
    const button = document.createElement('button')
    button.type = 'button'
    button.dataset.diagram = name
    say(button, m => m.diagrams[name].name)
    button.addEventListener('click', () => { chosen = name; show() })
    return button
  })
  list.replaceChildren(...buttons)

  const show = (): void => {
    img.src = diagramSrc(chosen, current)
    img.alt = MESSAGES[current].diagrams[chosen].alt
    img.dataset.diagram = chosen
    for (const button of buttons) button.setAttribute('aria-pressed', String(button.dataset.diagram === chosen))
  }

  document.addEventListener('svj:lang', ev => {
    const next = (ev as CustomEvent<{ lang?: unknown }>).detail?.lang
    if (next !== 'en' && next !== 'ko') return
    current = next
    show()
  })
  show()
}
