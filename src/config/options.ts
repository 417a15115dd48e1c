import { randomBytes } from 'node:crypto'
import { ConfigError } from './config-error.js'
import { formatDuration, parseDuration } from './duration.js'

/**
 * One setting, declared once: where it is read from, the default `--help` and the README show, and how a
 * value is parsed and bounded. For most kinds the default is also the value parsed when the setting is
 * unset, so it cannot drift from what the help says; the others (secrets, optional files) show a label
 * such as `(random per start)` and handle "unset" themselves.
 */
export interface Option<T> {
  readonly env: string
  readonly flag?: string
  /** As `--help` prints it ('' prints as `none`) and the README's configuration table shows it. */
  readonly default: string
  readonly help: string
  /** Keep surrounding whitespace (secrets: it is part of the value). Other values are trimmed. */
  readonly untrimmed?: boolean
  /** Parses the value (undefined: unset or blank); throws a ConfigError that starts with `env`. */
  readonly parse: (value: string | undefined, env: string) => T
}

/** What a kind of option (integer, duration, ...) contributes to an Option. */
export type Kind<T> = Pick<Option<T>, 'default' | 'parse' | 'untrimmed'>

export type Env = Record<string, string | undefined>

/** Reads one option's value from the flags, then the environment, through its parse. */
export type Read = <T>(option: Option<T>) => T

export function reader (env: Env, overrides: Env = {}): Read {
  return <T>(option: Option<T>): T => {
    const given = overrides[option.env] ?? env[option.env]
    const value = option.untrimmed === true ? given : given?.trim()
    return option.parse(value === '' ? undefined : value, option.env)
  }
}

/** The one shape of a bad value: `NAME: expected <allowed>; got '<value>'`. */
export function fail (env: string, allowed: string, got: string): never {
  throw new ConfigError(`${env}: expected ${allowed}; got '${got}'`)
}

/** At most `max` attempts per `windowMs`. */
export interface LoginRateLimit {
  max: number
  windowMs: number
}

/** A kind whose default is a real value: an unset option parses its default. */
export function valued<T> (def: string, parse: (value: string, env: string) => T): Kind<T> {
  return { default: def, parse: (value, env) => parse(value ?? def, env) }
}

const TRUE = ['true', '1', 'yes', 'on']
const FALSE = ['false', '0', 'no', 'off']

/** true/false (also 1/0, yes/no, on/off); undefined for anything else. */
function truth (value: string): boolean | undefined {
  const lower = value.toLowerCase()
  return TRUE.includes(lower) ? true : FALSE.includes(lower) ? false : undefined
}

export function oneOf<T extends string> (allowed: readonly T[], def: NoInfer<T>): Kind<T> {
  return valued(def, (value, env) =>
    (allowed as readonly string[]).includes(value) ? value as T : fail(env, `one of ${allowed.join(', ')}`, value))
}

/** A comma list of distinct names from `allowed` (duplicates dropped), at least one. */
export function subsetOf<T extends string> (allowed: readonly T[], def: readonly NoInfer<T>[]): Kind<T[]> {
  return valued(def.join(','), (value, env) => {
    const names = [...new Set(value.split(',').map(s => s.trim()).filter(s => s !== ''))]
    if (names.length === 0) fail(env, `a comma list of ${allowed.join(', ')}`, value)
    for (const name of names) {
      if (!(allowed as readonly string[]).includes(name)) fail(env, `a comma list of ${allowed.join(', ')}`, name)
    }
    return names as T[]
  })
}

export function integer (def: number, min: number, max: number): Kind<number> {
  return valued(String(def), (value, env) => {
    const n = /^\d+$/.test(value) ? Number(value) : NaN
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : fail(env, `an integer from ${min} to ${max}`, value)
  })
}

/** A duration (900s, 15m, 12h, 14d or plain seconds) in milliseconds, from minMs (to maxMs). */
export function duration (def: string, minMs: number, maxMs = Number.MAX_SAFE_INTEGER): Kind<number> {
  const range = maxMs === Number.MAX_SAFE_INTEGER ? `at least ${formatDuration(minMs)}` : `from ${formatDuration(minMs)} to ${formatDuration(maxMs)}`
  return valued(def, (value, env) => {
    const ms = parseDuration(value)
    return ms !== null && ms >= minMs && ms <= maxMs ? ms : fail(env, `a duration like 900s, 15m, 12h, 14d or plain seconds, ${range}`, value)
  })
}

export function boolean (def: boolean): Kind<boolean> {
  return valued(String(def), (value, env) => truth(value) ?? fail(env, 'true or false', value))
}

/** auto, true or false; what auto means is decided with the other settings (see loadConfig). */
export function autoOrBoolean (): Kind<boolean | 'auto'> {
  return valued('auto', (value, env) =>
    value.toLowerCase() === 'auto' ? 'auto' : truth(value) ?? fail(env, 'auto, true or false', value))
}

/** Free text, optionally held to a pattern. */
export function text (def: string, pattern?: RegExp, allowed = ''): Kind<string> {
  return valued(def, (value, env) => pattern === undefined || pattern.test(value) ? value : fail(env, allowed, value))
}

/** Free text with no default value: null when unset; `label` is what help shows instead. */
export function optional (label: string): Kind<string | null> {
  return { default: label, parse: value => value ?? null }
}

/** A comma list (blanks dropped), empty by default; each item held to `item` when given. */
export function list (item?: { allowed: string, test: (item: string) => boolean }): Kind<string[]> {
  return valued('', (value, env) => {
    const items = value.split(',').map(s => s.trim()).filter(s => s !== '')
    if (item !== undefined) for (const s of items) if (!item.test(s)) fail(env, item.allowed, s)
    return items
  })
}

/** `n/duration` attempts per window, or off (null). */
export function rateLimit (def: string): Kind<LoginRateLimit | null> {
  return valued(def, (value, env) => {
    if (value.toLowerCase() === 'off') return null
    const slash = value.indexOf('/')
    const max = slash > 0 && /^\d+$/.test(value.slice(0, slash)) ? Number(value.slice(0, slash)) : NaN
    const windowMs = slash > 0 ? parseDuration(value.slice(slash + 1)) : null
    return max >= 1 && max <= 1_000_000 && windowMs !== null && windowMs >= 1000 ? { max, windowMs } : fail(env, 'attempts/duration like 10/15m, or off', value)
  })
}

/**
 * A comma list of secrets (the first signs, all verify), each at least 32 bytes, distinct; null when
 * unset (see `secretsOrRandom`).
 */
export function secrets (): Kind<string[] | null> {
  return {
    default: '(random per start)',
    untrimmed: true,
    parse: (value, env) => {
      if (value === undefined) return null
      const list = value.split(',')
      list.forEach((s, i) => {
        if (Buffer.byteLength(s) < 32) fail(env, 'a secret of at least 32 bytes (or new,old,... each at least 32 bytes)', `${list.length > 1 ? `secret ${i + 1} of ${list.length}: ` : ''}${Buffer.byteLength(s)} bytes`)
      })
      if (new Set(list).size !== list.length) fail(env, 'distinct secrets', 'the same secret twice')
      return list
    }
  }
}

/** The option's secrets, or one random secret with a warning when it is unset. */
export function secretsOrRandom (read: Read, option: Option<string[] | null>, warnings: string[]): string[] {
  const list = read(option)
  if (list !== null) return list
  warnings.push(`${option.env} is not set: using a random secret, so credentials end when the process restarts and several instances cannot share them`)
  return [randomBytes(32).toString('base64url')]
}
