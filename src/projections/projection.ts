import type { Database } from 'better-sqlite3-multiple-ciphers'
import type { EventType, TypedBody } from '../events/catalog.js'
import { toHex } from '../events/crypto.js'
import type { Privacy, SignedEvent } from '../events/envelope.js'

/**
 * What a projection sees of an event. A retracted event reaches projections
 * only as its position: its words are gone, and so is everything derived from them.
 */
export type ProjectedEvent =
  | ({
      readonly seq: number
      /** The device whose log holds it, and its seq there (`seq` is its position in the merged order). */
      readonly device: number
      readonly logSeq: number
      readonly id: string
      readonly time: number
      readonly privacy: Privacy
      readonly redacted: false
    } & TypedBody)
  | {
      readonly seq: number
      readonly device: number
      readonly logSeq: number
      readonly redacted: true
      readonly type?: EventType
      readonly time?: number
    }

/** The fold step of a projection: one event in, its rows changed. */
export type Step = (event: ProjectedEvent) => void

/**
 * A fold that keeps some work in memory during a batch (counts and sums added up per
 * key, written once per key instead of once per event). `flush` writes it at the end
 * of the batch, inside the batch's transaction, before the checkpoint advances; it
 * must leave exactly the rows that applying the events one by one would have left,
 * whatever the batch boundaries (a rebuild batches differently). `discard` drops it
 * when the transaction rolls back.
 *
 * `held`: more batches go into the same transaction before it commits (an ingest, a long
 * catch-up: `ReadModel.holdCommits`). A fold may then keep what only adds up (sums, counts)
 * for a later flush; the read model flushes every fold without `held` before each commit,
 * so what commits is the same, and a rollback discards it with the rows.
 */
export interface BatchFold {
  readonly step: Step
  flush(held?: boolean): void
  discard(): void
  /**
   * Optional: after a batch that forgot words (a retraction) is committed, what it takes to
   * leave no trace of them (the timeline merges its full-text index when a forgotten entry
   * had earlier versions).
   */
  forget?(): void
}

/**
 * A projection is a named, versioned fold of the log into its own tables. `evolve`
 * reads nothing but the event and its own tables (time comes from the event), so
 * a rebuild from seq 0 gives the same rows as incremental application.
 * Bumping `version` drops its tables and rebuilds it from the log.
 */
export interface Projection {
  readonly name: string
  readonly version: number
  /** Tables (and virtual tables) it owns, dropped on rebuild. */
  readonly tables: readonly string[]
  /** DDL creating them. */
  readonly schema: string
  /**
   * Prepares statements once and returns the fold step (or a fold that batches). `rebuild`:
   * the fold writes a rebuild's new file, from seq 0, which nobody reads before `finish`
   * (`ReadModel.rebuild`); it may leave out what `finish` builds at the end in one go.
   */
  bind(db: Database, options?: { rebuild?: boolean }): Step | BatchFold
  /** Optional: at the end of a rebuild, builds what the fold left out (the full-text index from the rows). */
  finish?(db: Database): void
  /** Optional compaction after bulk work: a long ingest, a rebuild (FTS5 optimize: the index in one segment). */
  purge?(db: Database): void
  /**
   * Optional: on, before the batches of a long catch-up (a rebuild, a version bump, an
   * import), defers upkeep that pays off only for a model that keeps changing (FTS5
   * merging its segments); off after the last batch, and when a read model opens (a
   * process may have stopped between). Rows are the same either way.
   */
  bulk?(db: Database, on: boolean): void
}

export type { Database }

/** What projections see of an event at position `pos` of the merged order (default: its seq, one device). */
export function projected(event: SignedEvent, pos = event.header.seq, device = 0): ProjectedEvent {
  const logSeq = event.header.seq
  if (event.redacted) {
    return { seq: pos, device, logSeq, redacted: true, type: event.header.type, time: event.header.time }
  }
  return {
    seq: pos,
    device,
    logSeq,
    id: toHex(event.id),
    time: event.header.time,
    privacy: event.header.privacy,
    redacted: false,
    type: event.header.type,
    body: event.body
  } as ProjectedEvent
}
