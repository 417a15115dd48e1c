const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 }
const DURATION = /^(\d+)(s|m|h|d)?$/

/** Parses `900s`, `15m`, `12h`, `14d` or plain seconds into milliseconds; null when malformed. */
export function parseDuration (value: string): number | null {
  const match = DURATION.exec(value.trim())
  if (match === null) return null
  const amount = Number(match[1])
  const unit = match[2] ?? 's'
  const ms = amount * (UNIT_SECONDS[unit] as number) * 1000
  return Number.isSafeInteger(ms) ? ms : null
}

/** Formats milliseconds back into the shortest exact duration string, for logs and help text. */
export function formatDuration (ms: number): string {
  const seconds = Math.round(ms / 1000)
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds !== 0 && seconds % size === 0) return `${seconds / size}${unit}`
  }
  return `${seconds}s`
}
