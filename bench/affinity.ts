/**
 * CPU placement and CPU accounting of the measured processes: each measured server gets a core of its own
 * (taskset from util-linux), the bench (autocannon, in this process) and the bench's Redis share the rest,
 * and a server's CPU time is read from /proc/<pid>/stat (utime + stime, every thread of the process).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'

export interface CpuPlan {
  /** Whether taskset exists and there are at least 2 CPUs to split. */
  enabled: boolean
  /** taskset CPU lists: the measured server's core, and the rest (bench, autocannon, Redis). */
  serverCpus: string
  otherCpus: string
  /** Every CPU: a server's mask until it is pinned (it inherits the bench's, which is otherCpus). */
  allCpus: string
  /** Why pinning is off, when it is. */
  reason: string | null
}

const hasTaskset = (): boolean => spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0

export function cpuPlan (): CpuPlan {
  const n = availableParallelism()
  const serverCpus = String(n - 1)
  const otherCpus = n <= 2 ? '0' : `0-${n - 2}`
  const allCpus = `0-${n - 1}`
  if (n < 2) return { enabled: false, serverCpus, otherCpus, allCpus, reason: `only ${n} CPU: nothing to pin apart` }
  if (!hasTaskset()) return { enabled: false, serverCpus, otherCpus, allCpus, reason: 'taskset (util-linux) is not installed' }
  return { enabled: true, serverCpus, otherCpus, allCpus, reason: null }
}

/** Sets the CPU affinity of every thread of `pid` (threads created later inherit it). Returns an error text, or null. */
export function pin (pid: number, cpus: string): string | null {
  const r = spawnSync('taskset', ['-a', '-cp', cpus, String(pid)], { encoding: 'utf8' })
  return r.status === 0 ? null : `taskset -a -cp ${cpus} ${pid}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`
}

let ticks: number | null = null
/** Clock ticks per second of /proc/<pid>/stat's times (getconf CLK_TCK; 100 on Linux in practice). */
export function clockTicks (): number {
  if (ticks !== null) return ticks
  try {
    ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
  } catch {}
  if (ticks === null || !Number.isFinite(ticks) || ticks <= 0) ticks = 100
  return ticks
}

/** utime + stime of `pid` in clock ticks (fields 14 and 15 of /proc/<pid>/stat), or null where /proc is missing. */
export function processTicks (pid: number): number | null {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // The command name (field 2) may contain spaces and parentheses: fields are counted after its last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(rest[14 - 3])
  const stime = Number(rest[15 - 3])
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : null
}
