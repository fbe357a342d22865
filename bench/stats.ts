import { readFileSync } from 'node:fs'

/** Small helpers shared by the benchmarks. */

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[index] as number
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

export function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6
}

export function now(): bigint {
  return process.hrtime.bigint()
}

/**
 * CPU time (user + system, ms) of this process's main thread alone, from /proc on Linux (10 ms
 * ticks): with work in a worker thread, the main thread's time is what bounds the wall time
 * when the other core is free. Elsewhere, the whole process's time.
 */
export function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * (1000 / 100)
  } catch {
    const used = process.cpuUsage()
    return (used.user + used.system) / 1000
  }
}

/** CPU time (user + system, ms) of the whole process: every thread. */
export function processCpuMs(): number {
  const used = process.cpuUsage()
  return (used.user + used.system) / 1000
}
