import SQLite from 'better-sqlite3-multiple-ciphers'

/**
 * Time spent inside SQLite on this thread: every call of better-sqlite3 that runs SQL
 * (`prepare`, `exec`, a statement's `run`, `get`, `all`; transactions are BEGIN and COMMIT
 * statements, so their commits count) is timed while `measure` runs. The read model has
 * one connection, written from one thread, so this is the part of a replay or an ingest
 * that no second thread can take: with two cores, a rate of R events/s leaves that thread
 * 1e6 / R µs an event for it and everything else it does.
 *
 * Timing costs a little per call (two clock reads); it is measured on an empty function
 * wrapped the same way and taken off, call by call. The run that is timed this way is a
 * run of its own, not the one whose wall time the benchmark reports.
 */
export interface SqliteTime {
  /** Time inside SQLite calls (ms), less the timing's own cost. */
  ms: number
  calls: number
  /** What timing one call cost (ns), taken off `ms`. */
  overheadNs: number
}

type Method = (...args: unknown[]) => unknown

export async function measureSqlite<T>(work: () => Promise<T>): Promise<{ result: T; sqlite: SqliteTime }> {
  const probe = new SQLite(':memory:')
  const statement = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, Method>
  probe.close()
  const database = SQLite.prototype as unknown as Record<string, Method>
  const targets: [Record<string, Method>, string][] = [
    [database, 'prepare'],
    [database, 'exec'],
    [statement, 'run'],
    [statement, 'get'],
    [statement, 'all']
  ]
  let total = 0n
  let calls = 0
  const timed = (original: Method): Method =>
    function (this: unknown, ...args: unknown[]) {
      const start = process.hrtime.bigint()
      try {
        return original.apply(this, args)
      } finally {
        total += process.hrtime.bigint() - start
        calls++
      }
    }
  const originals = targets.map(([owner, name]) => owner[name] as Method)
  targets.forEach(([owner, name], i) => {
    owner[name] = timed(originals[i] as Method)
  })
  try {
    const result = await work()
    const measured = { total, calls }
    const overhead = perCallOverheadNs(timed)
    const ms = Math.max(0, Number(measured.total) - overhead * measured.calls) / 1e6
    return { result, sqlite: { ms, calls: measured.calls, overheadNs: overhead } }
  } finally {
    targets.forEach(([owner, name], i) => {
      owner[name] = originals[i] as Method
    })
  }
}

/** What timing one call costs (ns): an empty function wrapped as the SQLite calls are, the median of several rounds. */
function perCallOverheadNs(timed: (original: Method) => Method): number {
  const empty = timed(() => undefined)
  const rounds: number[] = []
  for (let r = 0; r < 7; r++) {
    const n = 200_000
    const start = process.hrtime.bigint()
    for (let i = 0; i < n; i++) empty()
    rounds.push(Number(process.hrtime.bigint() - start) / n)
  }
  rounds.sort((a, b) => a - b)
  return rounds[3] as number
}
