import type { Database, ProjectedEvent, Projection } from './projection.js'

/**
 * What the person published into spheres, from their own journal: each
 * `share.published` (with the sphere envelope it became) and whether a
 * `share.retracted` withdrew it; and the spheres they joined and left. The sphere
 * side (what peers see) lives in each sphere's view, not here.
 */
export const sharesProjection: Projection = {
  name: 'shares',
  version: 1,
  tables: ['shares', 'memberships'],
  schema: `
    CREATE TABLE shares (
      id TEXT PRIMARY KEY, seq INTEGER NOT NULL, time INTEGER NOT NULL, sphere TEXT NOT NULL,
      source TEXT NOT NULL, kind TEXT NOT NULL, item TEXT, summary TEXT,
      retracted_seq INTEGER, retracted_time INTEGER
    );
    CREATE INDEX shares_source ON shares(source);
    CREATE INDEX shares_item ON shares(item);
    CREATE TABLE memberships (
      sphere TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, joined INTEGER NOT NULL,
      left_time INTEGER, removed INTEGER NOT NULL DEFAULT 0
    );
  `,
  bind(db: Database) {
    const publish = db.prepare(
      'INSERT OR IGNORE INTO shares (id, seq, time, sphere, source, kind, item, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
    )
    const retract = db.prepare(
      'UPDATE shares SET retracted_seq = ?, retracted_time = ? WHERE id = ? AND retracted_seq IS NULL'
    )
    const join = db.prepare(
      `INSERT INTO memberships (sphere, name, role, joined) VALUES (?, ?, ?, ?)
       ON CONFLICT(sphere) DO UPDATE SET name = excluded.name, role = excluded.role, joined = excluded.joined,
       left_time = NULL, removed = 0`
    )
    const leave = db.prepare('UPDATE memberships SET left_time = ?, removed = ? WHERE sphere = ?')
    return (event: ProjectedEvent) => {
      if (event.redacted) return
      switch (event.type) {
        case 'share.published': {
          const b = event.body
          publish.run(event.id, event.seq, event.time, b.sphere, b.source, b.kind, b.item ?? null, b.summary ?? null)
          return
        }
        case 'share.retracted':
          retract.run(event.seq, event.time, event.body.ref)
          return
        case 'sphere.joined':
          join.run(event.body.sphere, event.body.name, event.body.role, event.time)
          return
        case 'sphere.left':
          leave.run(event.time, event.body.removed ? 1 : 0, event.body.sphere)
          return
        default:
          return
      }
    }
  }
}

export interface ShareRow {
  id: string
  seq: number
  time: number
  sphere: string
  source: string
  kind: 'entry' | 'facet' | 'summary' | 'other'
  item: string | null
  summary: string | null
  retractedSeq: number | null
  retractedTime: number | null
}

const SHARE_COLUMNS = `id, seq, time, sphere, source, kind, item, summary,
  retracted_seq AS retractedSeq, retracted_time AS retractedTime`

export function listShares(db: Database, options: { sphere?: string; live?: boolean } = {}): ShareRow[] {
  const where: string[] = []
  const args: string[] = []
  if (options.sphere) {
    where.push('sphere = ?')
    args.push(options.sphere)
  }
  if (options.live) where.push('retracted_seq IS NULL')
  return db
    .prepare<string[], ShareRow>(
      `SELECT ${SHARE_COLUMNS} FROM shares ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq`
    )
    .all(...args)
}

/** The live shares a reference names: the share.published id, the sphere envelope id, or the source (entry id, facet). */
export function sharesFor(db: Database, ref: string, sphere?: string): ShareRow[] {
  const rows = db
    .prepare<[string, string, string], ShareRow>(
      `SELECT ${SHARE_COLUMNS} FROM shares WHERE retracted_seq IS NULL AND (id = ? OR item = ? OR source = ?) ORDER BY seq`
    )
    .all(ref, ref, ref)
  return sphere ? rows.filter((r) => r.sphere === sphere) : rows
}
