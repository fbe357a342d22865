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
