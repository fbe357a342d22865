import type { Database, ProjectedEvent, Projection } from './projection.js'

/**
 * Journal entries as they read now: amended text replaces, a retracted entry and
 * everything derived from it is gone (rows and full-text terms). `entry_events`
 * remembers which log positions hold an entry's words, so retraction knows what
 * to forget. Mirrorbacks sit under their entries.
 */
export const timelineProjection: Projection = {
  name: 'timeline',
  version: 1,
  tables: ['entries', 'entry_tags', 'entry_events', 'mirrorbacks', 'entries_fts'],
  schema: `
    CREATE TABLE entries (
      id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, time INTEGER NOT NULL, text TEXT NOT NULL,
      mood TEXT, dimension TEXT, sealed INTEGER NOT NULL, privacy TEXT NOT NULL,
      amendments INTEGER NOT NULL DEFAULT 0, amended_time INTEGER
    );
    CREATE INDEX entries_time ON entries(time);
    CREATE INDEX entries_dimension ON entries(dimension, time);
    CREATE TABLE entry_tags (entry_id TEXT NOT NULL, tag TEXT NOT NULL, time INTEGER NOT NULL, PRIMARY KEY (entry_id, tag));
    CREATE INDEX entry_tags_tag ON entry_tags(tag, time);
    CREATE TABLE entry_events (entry_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (entry_id, seq));
    CREATE TABLE mirrorbacks (
      id TEXT PRIMARY KEY, ref TEXT NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL,
      text TEXT NOT NULL, themes TEXT NOT NULL, engine TEXT NOT NULL
    );
    CREATE INDEX mirrorbacks_ref ON mirrorbacks(ref);
    CREATE VIRTUAL TABLE entries_fts USING fts5(text, tags, mood, tokenize = 'unicode61 remove_diacritics 2');
  `,
  bind(db: Database) {
    const insertEntry = db.prepare(
      'INSERT OR IGNORE INTO entries (id, seq, time, text, mood, dimension, sealed, privacy) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
    )
    const insertTag = db.prepare('INSERT OR IGNORE INTO entry_tags (entry_id, tag, time) VALUES (?, ?, ?)')
    const insertEvent = db.prepare('INSERT OR IGNORE INTO entry_events (entry_id, seq, kind) VALUES (?, ?, ?)')
    const insertFts = db.prepare('INSERT INTO entries_fts (rowid, text, tags, mood) VALUES (?, ?, ?, ?)')
    const getEntry = db.prepare<[string], { seq: number; mood: string | null }>(
      'SELECT seq, mood FROM entries WHERE id = ?'
    )
    const tagsOf = db.prepare<[string], { tag: string }>('SELECT tag FROM entry_tags WHERE entry_id = ? ORDER BY tag')
    const amend = db.prepare('UPDATE entries SET text = ?, amendments = amendments + 1, amended_time = ? WHERE id = ?')
    const deleteFts = db.prepare('DELETE FROM entries_fts WHERE rowid = ?')
    const insertMirror = db.prepare(
      'INSERT OR IGNORE INTO mirrorbacks (id, ref, seq, time, text, themes, engine) VALUES (?, ?, ?, ?, ?, ?, ?)'
    )
    const deleteEntry = db.prepare('DELETE FROM entries WHERE id = ?')
    const deleteTags = db.prepare('DELETE FROM entry_tags WHERE entry_id = ?')
    const deleteEvents = db.prepare('DELETE FROM entry_events WHERE entry_id = ?')
    const deleteMirrors = db.prepare('DELETE FROM mirrorbacks WHERE ref = ?')

    return (event: ProjectedEvent) => {
      if (event.redacted) return
      switch (event.type) {
        case 'reflection.recorded': {
          const b = event.body
          const inserted = insertEntry.run(
            event.id,
            event.seq,
            event.time,
            b.text,
            b.mood ?? null,
            b.dimension ?? null,
            b.sealed ? 1 : 0,
            event.privacy
          )
          if (inserted.changes === 0) return // redelivered
          for (const tag of b.tags) insertTag.run(event.id, tag, event.time)
          insertEvent.run(event.id, event.seq, 'recorded')
          insertFts.run(event.seq, b.text, b.tags.join(' '), b.mood ?? '')
          return
        }
        case 'reflection.amended': {
          const entry = getEntry.get(event.body.ref)
          if (!entry) return
          if (insertEvent.run(event.body.ref, event.seq, 'amended').changes === 0) return
          amend.run(event.body.text, event.time, event.body.ref)
          const tags = tagsOf.all(event.body.ref).map((r) => r.tag)
          deleteFts.run(entry.seq)
          insertFts.run(entry.seq, event.body.text, tags.join(' '), entry.mood ?? '')
          return
        }
        case 'mirrorback.generated': {
          const entry = getEntry.get(event.body.ref)
          if (!entry) return
          insertEvent.run(event.body.ref, event.seq, 'mirrorback')
          insertMirror.run(
            event.id,
            event.body.ref,
            event.seq,
            event.time,
            event.body.text,
            JSON.stringify(event.body.themes),
            JSON.stringify(event.body.engine)
          )
          return
        }
        case 'reflection.retracted': {
          const entry = getEntry.get(event.body.ref)
          if (!entry) return
          deleteFts.run(entry.seq)
          deleteMirrors.run(event.body.ref)
          deleteTags.run(event.body.ref)
          deleteEvents.run(event.body.ref)
          deleteEntry.run(event.body.ref)
          return
        }
        default:
          return
      }
    }
  },
  purge(db: Database) {
    // Without optimize, FTS5 keeps a deleted row's terms in its index segments.
    db.prepare("INSERT INTO entries_fts (entries_fts) VALUES ('optimize')").run()
  }
}
