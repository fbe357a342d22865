import { toHex } from '../events/crypto.js'
import { PROJECTIONS } from '../projections/index.js'
import type { Database } from '../projections/projection.js'
import type { Home } from './home.js'
import type { Ledger } from './ledger.js'
import { type CatchUpProgress, ReadModel } from './read-model.js'

export interface RebuildReport {
  /** Events in the journal. */
  events: number
  /** Events applied by the rebuild (every event, redacted positions included). */
  applied: number
  ms: number
}

/**
 * Rebuilds every projection of the home's read model from seq 0: drops their tables,
 * catches up from the log, then purges (FTS5 optimize, WAL truncated) so nothing of
 * the old rows is left in the file. The read model is derived: this is always safe.
 */
export async function rebuild(home: Home, onProgress?: CatchUpProgress): Promise<RebuildReport> {
  const started = performance.now()
  const applied = await home.rebuildReadModel(onProgress)
  return { events: home.ledger.length, applied, ms: Math.round(performance.now() - started) }
}

/**
 * A throwaway read model as of time `until` (ms, inclusive): every projection, fed
 * from seq 0 with the events whose time is at most `until`. It lives in memory only
 * (no decrypted copy touches the disk) and never touches the home's own read model.
 * Forgotten words stay forgotten: a retracted entry is absent even as of a time
 * before its retraction, because its block is gone from the log.
 * Close it when done (or use `asOf`).
 */
export async function readModelAsOf(
  ledger: Ledger,
  until: number | undefined,
  onProgress?: CatchUpProgress
): Promise<{ model: ReadModel; events: number }> {
  const model = ReadModel.open(':memory:', null, PROJECTIONS)
  try {
    const events = await model.catchUp(ledger, onProgress, until)
    return { model, events }
  } catch (err) {
    model.close()
    throw err
  }
}

/** Answers `read` from a throwaway read model as of `until`, then drops it. */
export async function asOf<T>(
  home: Home,
  until: number,
  read: (db: Database, events: number) => T | Promise<T>,
  onProgress?: CatchUpProgress
): Promise<T> {
  const { model, events } = await readModelAsOf(home.ledger, until, onProgress)
  try {
    return await read(model.db, events)
  } finally {
    model.close()
  }
}

/**
 * Answers `read` from the live read model, or, with `until`, from a throwaway one as
 * of that time: the one switch every `--until` goes through.
 */
export async function readAt<T>(
  home: Home,
  until: number | undefined,
  read: (db: Database, events: number) => T | Promise<T>,
  onProgress?: CatchUpProgress
): Promise<T> {
  if (until === undefined) return read(home.readModel.db, home.readModel.position)
  return asOf(home, until, read, onProgress)
}

/**
 * Two states of the same history, as of `from` and as of `to` (from <= to), built in
 * one pass: the throwaway model is caught up to `from`, read, then caught up further
 * to `to` and read again.
 */
export async function twoStates<T>(
  home: Home,
  from: number,
  to: number | undefined,
  read: (db: Database, events: number) => T,
  onProgress?: CatchUpProgress
): Promise<[T, T]> {
  const { model, events } = await readModelAsOf(home.ledger, from, onProgress)
  try {
    const before = read(model.db, events)
    const more = await model.catchUp(home.ledger, onProgress, to)
    return [before, read(model.db, events + more)]
  } finally {
    model.close()
  }
}

/**
 * Every row of every projection table (and the checkpoints), each table sorted, blobs
 * in hex: two read models hold the same state exactly when their dumps are equal.
 */
export function dumpReadModel(model: ReadModel): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  const tables = ['checkpoints', 'ledger', ...model.projections.flatMap((p) => p.tables)]
  for (const table of tables) {
    // An FTS5 table's rowid is not a column: select it so the dump sees which entry a row indexes.
    const columns = table.endsWith('_fts') ? 'rowid AS _rowid, *' : '*'
    const rows = model.db.prepare(`SELECT ${columns} FROM ${table}`).all() as Record<string, unknown>[]
    out[table] = rows
      .map((row) => {
        for (const [key, value] of Object.entries(row)) if (value instanceof Uint8Array) row[key] = toHex(value)
        return JSON.stringify(row)
      })
      .sort()
  }
  return out
}
