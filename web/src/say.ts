/**
 * Text that follows the language switch: every element the page writes a message into remembers the
 * message (a function of the table), so a switch rewrites them all. The markup names its messages with
 * `data-i18n="key"` (text) and `data-i18n-aria="key"` (aria-label).
 */
import { MESSAGES, type Messages, type StringKey } from './i18n.js'

type Msg = (m: Messages) => string

const texts = new Map<Element, Msg>()
const labels = new Map<Element, Msg>()
let current: Messages = MESSAGES.en

const isKey = (key: string | null): key is StringKey => key !== null && typeof (MESSAGES.en as Record<string, unknown>)[key] === 'string'

/** Writes a message into `el` now and again after every language switch. */
export function say (el: Element, msg: Msg): void {
  texts.set(el, msg)
  el.textContent = msg(current)
}

export function sayKey (el: Element, key: StringKey): void {
  say(el, m => m[key])
}

/** Registers the markup's data-i18n / data-i18n-aria elements under `root`. */
export function translateTree (root: ParentNode): void {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    const key = el.getAttribute('data-i18n')
    if (isKey(key)) sayKey(el, key)
    else console.error(`unknown message ${String(key)}`)
  }
  for (const el of root.querySelectorAll('[data-i18n-aria]')) {
    const key = el.getAttribute('data-i18n-aria')
    if (!isKey(key)) { console.error(`unknown message ${String(key)}`); continue }
    labels.set(el, m => m[key])
    el.setAttribute('aria-label', current[key])
  }
}

/** Rewrites every registered message in `messages`' language. */
export function retranslate (messages: Messages): void {
  current = messages
  for (const [el, msg] of texts) el.textContent = msg(messages)
  for (const [el, msg] of labels) el.setAttribute('aria-label', msg(messages))
}
