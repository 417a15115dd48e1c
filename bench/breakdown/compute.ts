import type { ScenarioResult } from '../runner.js'
import { rangeOf, type Range } from '../util.js'
import { BREAKDOWN_CHAINS, type BreakdownChain, type StepTag } from './variants.js'

export interface BreakdownStepResult {
  scenario: string
  label: string
  adds: string
  tag: StepTag
  /** Chain steps that did not run (not selected, or failed) just before this one: their cost is in this step. */
  includes: string[]
  /** This scenario's server CPU per request, µs, over the rounds. */
  serverCpuUs: Range | null
  /** Server CPU per request minus the previous step's, µs, paired round by round (min / median / max). */
  stepUs: Range | null
  /** Redis CPU per request, µs (Redis steps), for reference: not part of the step. */
  redisCpuUs: Range | null
  /** Rounds in which both this step and the previous one were measured. */
  rounds: number
}

export interface BreakdownChainResult {
  name: string
  title: string
  steps: BreakdownStepResult[]
  /** Steps of the chain that were not measured in this run. */
  missing: string[]
}

const measured = (r: ScenarioResult | undefined): r is ScenarioResult =>
  r !== undefined && r.status === 'ok' && r.load !== null && r.load.runs.some(x => x.serverCpuUs !== null)

/**
 * Each chain's steps with the figures of this run: a step is its scenario's server CPU per request minus
 * the previous measured step's, in the same round (the rounds interleave every scenario, so both ran in
 * the same minute), summarised as min / median / max over the rounds. A chain needs two measured steps.
 */
export function computeBreakdown (results: readonly ScenarioResult[], chains: readonly BreakdownChain[] = BREAKDOWN_CHAINS): BreakdownChainResult[] {
  const out: BreakdownChainResult[] = []
  for (const chain of chains) {
    const steps: BreakdownStepResult[] = []
    const missing: string[] = []
    let skipped: string[] = []
    let previous: ScenarioResult | null = null
    for (const step of chain.steps) {
      const r = results.find(x => x.name === step.scenario)
      if (!measured(r)) {
        missing.push(step.scenario)
        skipped.push(step.scenario)
        continue
      }
      const diffs: number[] = []
      for (const run of r.load!.runs) {
        if (run.serverCpuUs === null) continue
        if (previous === null) {
          diffs.push(run.serverCpuUs)
          continue
        }
        const before = previous.load!.runs.find(x => x.round === run.round)?.serverCpuUs ?? null
        if (before !== null) diffs.push(run.serverCpuUs - before)
      }
      steps.push({
        scenario: step.scenario,
        label: step.label,
        adds: step.adds,
        tag: step.tag,
        includes: previous === null ? [] : skipped,
        serverCpuUs: r.load!.ranges.serverCpuUs,
        stepUs: rangeOf(diffs),
        redisCpuUs: r.load!.ranges.redisCpuUs,
        rounds: diffs.length
      })
      skipped = []
      previous = r
    }
    if (steps.length >= 2) out.push({ name: chain.name, title: chain.title, steps, missing })
  }
  return out
}
