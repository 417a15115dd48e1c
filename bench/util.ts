/** Small helpers shared by the bench modules. */

export { sleep } from '../harness/server.js'

export function median (values: readonly number[]): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** min / median / max of one figure over the rounds (null when a run lacks it). */
export interface Range { min: number, median: number, max: number }

export function rangeOf (values: Array<number | null>): Range | null {
  if (values.length === 0 || values.some(v => v === null)) return null
  const v = values as number[]
  return { min: Math.min(...v), median: median(v), max: Math.max(...v) }
}

/** (max - min) / median: 0.1 means the runs spread over 10% of the median. */
export function spread (values: readonly number[]): number {
  if (values.length < 2) return 0
  const m = median(values)
  return m === 0 ? 0 : (Math.max(...values) - Math.min(...values)) / m
}

/** Runs `work` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R> (items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  async function worker (): Promise<void> {
    while (next < items.length) {
      const i = next++
      results[i] = await work(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

export const round = (n: number, digits = 2): number => Number.isFinite(n) ? Number(n.toFixed(digits)) : n

export function fmtInt (n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return 'n/a'
  return Math.round(n).toLocaleString('en-US')
}

export function fmtNum (n: number | null | undefined, digits = 2): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return 'n/a'
  return n.toFixed(digits)
}
