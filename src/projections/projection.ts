import type { Database } from 'better-sqlite3-multiple-ciphers'
import type { EventType, TypedBody } from '../events/catalog.js'
import type { Privacy } from '../events/envelope.js'

/**
 * What a projection sees of an event. A retracted event reaches projections
 * only as its position: its words are gone, and so is everything derived from them.
 */
export type ProjectedEvent =
  | ({
      readonly seq: number
      readonly id: string
      readonly time: number
      readonly privacy: Privacy
      readonly redacted: false
    } & TypedBody)
  | { readonly seq: number; readonly redacted: true; readonly type?: EventType; readonly time?: number }

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
  /** Prepares statements once and returns the fold step. */
  bind(db: Database): (event: ProjectedEvent) => void
  /** Optional work after a batch that removed words (e.g. FTS5 optimize so no term survives). */
  purge?(db: Database): void
}

export type { Database }
