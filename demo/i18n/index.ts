/** The runner's language: one message table per language (en.ts, ko.ts), chosen once by --lang or DEMO_LANG. */
import { en, type Messages } from './en.js'
import { ko } from './ko.js'

export type { Messages }
export const LANGS = { en, ko } as const
export type Lang = keyof typeof LANGS

let current: Messages = en

export function setLang (lang: Lang): void { current = LANGS[lang] }
/** The messages of the chosen language. */
export const m = (): Messages => current
export const isLang = (s: string): s is Lang => Object.hasOwn(LANGS, s)
