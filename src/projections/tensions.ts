import type { Database, ProjectedEvent, Projection } from './projection.js'

/** A tension counts as quiet below this intensity; rising from quiet to LOUD again is a loop. */
export const QUIET = 0.2
export const LOUD = 0.4

/**
 * Each tension's current state and its full intensity series. A loop is a return:
 * a resolved tension that shifts again, or a quiet one that grows loud again.
 */
export const tensionsProjection: Projection = {
  name: 'tensions',
  version: 1,
  tables: ['tensions', 'tension_series'],
  schema: `
    CREATE TABLE tensions (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, poles TEXT NOT NULL, domain TEXT NOT NULL,
      intensity REAL NOT NULL, status TEXT NOT NULL, quiet INTEGER NOT NULL, loops INTEGER NOT NULL DEFAULT 0,
      insight TEXT, toward TEXT, created INTEGER NOT NULL, updated INTEGER NOT NULL, privacy TEXT NOT NULL
    );
    CREATE TABLE tension_series (
      id TEXT NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL, kind TEXT NOT NULL,
      intensity REAL NOT NULL, toward TEXT, PRIMARY KEY (id, seq)
    );
    CREATE INDEX tension_series_time ON tension_series(time);
  `,
  bind(db: Database) {
    const insert = db.prepare(
      `INSERT OR IGNORE INTO tensions (id, name, poles, domain, intensity, status, quiet, created, updated, privacy)
       VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)`
    )
    const get = db.prepare<[string], { intensity: number; status: string; quiet: number }>(
      'SELECT intensity, status, quiet FROM tensions WHERE id = ?'
    )
    const point = db.prepare(
      'INSERT OR IGNORE INTO tension_series (id, seq, time, kind, intensity, toward) VALUES (?, ?, ?, ?, ?, ?)'
    )
    const shift = db.prepare(
      `UPDATE tensions SET intensity = ?, toward = ?, status = 'open', quiet = ?, loops = loops + ?, updated = ? WHERE id = ?`
    )
    const resolve = db.prepare(`UPDATE tensions SET status = 'resolved', insight = ?, updated = ? WHERE id = ?`)
    return (event: ProjectedEvent) => {
      if (event.redacted) return
      switch (event.type) {
        case 'tension.noted': {
          const b = event.body
          const quiet = b.intensity < QUIET ? 1 : 0
          if (
            insert.run(
              b.id,
              b.name,
              JSON.stringify(b.poles),
              b.domain,
              b.intensity,
              quiet,
              event.time,
              event.time,
              event.privacy
            ).changes
          ) {
            point.run(b.id, event.seq, event.time, 'noted', b.intensity, null)
          }
          return
        }
        case 'tension.shifted': {
          const b = event.body
          const current = get.get(b.id)
          if (!current) return
          if (point.run(b.id, event.seq, event.time, 'shifted', b.intensity, b.toward ?? null).changes === 0) return
          const returned = current.status === 'resolved' || (current.quiet === 1 && b.intensity >= LOUD)
          const quiet = b.intensity < QUIET ? 1 : current.quiet === 1 && b.intensity < LOUD ? 1 : 0
          shift.run(b.intensity, b.toward ?? null, quiet, returned ? 1 : 0, event.time, b.id)
          return
        }
        case 'tension.resolved': {
          const b = event.body
          const current = get.get(b.id)
          if (!current) return
          if (point.run(b.id, event.seq, event.time, 'resolved', current.intensity, null).changes === 0) return
          resolve.run(b.insight, event.time, b.id)
          return
        }
        default:
          return
      }
    }
  }
}
