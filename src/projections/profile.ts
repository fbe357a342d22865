import type { Database, ProjectedEvent, Projection } from './projection.js'

/** The whole-human profile as it stands, plus the person's name and mode flags. */
export const profileProjection: Projection = {
  name: 'profile',
  version: 1,
  tables: ['profile', 'settings'],
  schema: `
    CREATE TABLE profile (
      dimension TEXT NOT NULL, facet TEXT NOT NULL, key TEXT NOT NULL, value TEXT, level INTEGER,
      privacy TEXT NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL, PRIMARY KEY (dimension, facet, key)
    );
    CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL, seq INTEGER NOT NULL);
  `,
  bind(db: Database) {
    const set = db.prepare(
      `INSERT INTO profile (dimension, facet, key, value, level, privacy, seq, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (dimension, facet, key) DO UPDATE SET value = excluded.value, level = excluded.level,
       privacy = excluded.privacy, seq = excluded.seq, time = excluded.time WHERE excluded.seq > profile.seq`
    )
    const remove = db.prepare('DELETE FROM profile WHERE dimension = ? AND facet = ? AND key = ? AND seq < ?')
    const setting = db.prepare(
      `INSERT INTO settings (name, value, seq) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET value = excluded.value, seq = excluded.seq WHERE excluded.seq > settings.seq`
    )
    return (event: ProjectedEvent) => {
      if (event.redacted) return
      switch (event.type) {
        case 'profile.set': {
          const b = event.body
          set.run(b.dimension, b.facet, b.key, b.value ?? null, b.level ?? null, event.privacy, event.seq, event.time)
          return
        }
        case 'profile.removed':
          remove.run(event.body.dimension, event.body.facet, event.body.key, event.seq)
          return
        case 'identity.created':
        case 'identity.renamed':
          setting.run('name', event.body.name, event.seq)
          return
        case 'config.changed':
          setting.run('config', JSON.stringify(event.body), event.seq)
          return
        default:
          return
      }
    }
  }
}
