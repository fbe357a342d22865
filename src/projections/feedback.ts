import type { Database, ProjectedEvent, Projection } from './projection.js'

/**
 * The person's `match.feedback` events, one row each by journal seq (a redelivered
 * event changes nothing): what the on-device re-ranking model is learned from, in
 * journal order. The model itself is not stored; it is refitted from these rows.
 */
export const feedbackProjection: Projection = {
  name: 'feedback',
  version: 1,
  tables: ['match_feedback'],
  schema: `
    CREATE TABLE match_feedback (
      seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, sphere TEXT NOT NULL, member TEXT NOT NULL,
      helpful INTEGER NOT NULL, interests REAL NOT NULL, skills REAL NOT NULL, "values" REAL NOT NULL,
      semantic REAL NOT NULL
    );
  `,
  bind(db: Database) {
    const insert = db.prepare(
      `INSERT OR IGNORE INTO match_feedback (seq, time, sphere, member, helpful, interests, skills, "values", semantic)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
    )
    return (event: ProjectedEvent) => {
      if (event.redacted || event.type !== 'match.feedback') return
      const { sphere, member, helpful, components: c } = event.body
      insert.run(event.seq, event.time, sphere, member, helpful ? 1 : 0, c.interests, c.skills, c.values, c.semantic)
    }
  }
}

export interface FeedbackRow {
  seq: number
  time: number
  sphere: string
  member: string
  helpful: boolean
  components: { interests: number; skills: number; values: number; semantic: number }
}

/** Feedback in journal order, of every sphere or of one. */
export function listFeedback(db: Database, options: { sphere?: string } = {}): FeedbackRow[] {
  const rows = db
    .prepare<
      string[],
      Omit<FeedbackRow, 'helpful' | 'components'> & {
        helpful: number
        interests: number
        skills: number
        values: number
        semantic: number
      }
    >(
      `SELECT seq, time, sphere, member, helpful, interests, skills, "values", semantic FROM match_feedback
       ${options.sphere ? 'WHERE sphere = ?' : ''} ORDER BY seq`
    )
    .all(...(options.sphere ? [options.sphere] : []))
  return rows.map((r) => ({
    seq: r.seq,
    time: r.time,
    sphere: r.sphere,
    member: r.member,
    helpful: r.helpful === 1,
    components: { interests: r.interests, skills: r.skills, values: r.values, semantic: r.semantic }
  }))
}
