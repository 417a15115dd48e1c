import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, loadavg, platform, release, totalmem } from 'node:os'
import { createRequire } from 'node:module'
import { clockTicks } from './affinity.js'

export interface MachineInfo {
  node: string
  platform: string
  cpuModel: string
  cpuCount: number
  memoryGiB: number
  gitCommit: string
  gitDirty: boolean
  autocannon: string
  /** 1, 5 and 15 minute load averages when the bench started: above 0.5 per CPU the machine was already busy. */
  loadAverageAtStart: number[]
  /** CLK_TCK: /proc/<pid>/stat counts CPU time in these units. */
  clockTicks: number
}

function git (args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return ''
  }
}

export function machineInfo (): MachineInfo {
  const require = createRequire(import.meta.url)
  let autocannon = 'unknown'
  try {
    autocannon = (JSON.parse(readFileSync(require.resolve('autocannon/package.json'), 'utf8')) as { version: string }).version
  } catch {}
  const cpu = cpus()
  return {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cpuCount: cpu.length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    gitCommit: git(['rev-parse', '--short=12', 'HEAD']) || 'unknown',
    // Uncommitted changes under src/ mean the measured server is not exactly the commit.
    gitDirty: git(['status', '--porcelain', '--', 'src']) !== '',
    autocannon,
    loadAverageAtStart: loadavg().map(v => Number(v.toFixed(2))),
    clockTicks: clockTicks()
  }
}
