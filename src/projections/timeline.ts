import type { BatchFold, Database, ProjectedEvent, Projection } from './projection.js'

/**
 * Journal entries as they read now: amended text replaces, a retracted entry and
 * everything derived from it is gone (rows and full-text terms). Mirrorbacks sit
 * under their entries.
 *
 * Rows are keyed by log position (seq), which only grows: an insert lands at the end
 * of its B-tree, so a batch writes a few pages instead of one random page per row.
 * The event id is random; the one index on it holds `idkey`, its first 13 hex digits
 * as an integer (52 bits, see idKey), a quarter of the size of the hex text, so it
 * stays in the page cache; a lookup checks the whole id too.
 * `entry_events` remembers which later log positions (amendments, mirrorbacks) hold
 * an entry's words, so retraction knows what to forget; the entry's own position is
 * its seq. `tags` holds the entry's tags as recorded, space-separated (a tag has no
 * spaces); `entry_tags` indexes them by tag, newest last.
 *
 * The full-text index reads its text from `entries` (an FTS5 external-content table:
 * the words are stored once; its rowid is the entry's seq). A new entry is indexed at
 * once. Changing or removing an entry's words waits for the end of the batch: FTS5
 * writes a segment whenever it is given a rowid below the last one it was given (an
 * older entry), so those changes go in together, in rowid order, with the values it
 * indexed (the `delete` command) and the ones it should now hold. A retracted entry is
 * deleted in FTS5's secure-delete mode: its terms leave the index segments there and then,
 * where an ordinary delete only marks them until a merge, so forgetting it needs no
 * `optimize` of the whole index (measured on a million events: a retraction 6.3 -> 3.1 s,
 * the optimize was 2.6 s of it). An amendment deletes the version before the ordinary way
 * (in secure-delete mode, each delete searches every segment: a catch-up of a million
 * events with 63,000 amendments took minutes), so retracting an entry that was amended also
 * merges the index (`forget`). A rebuild into a new file (`ReadModel.rebuild`) indexes
 * nothing as it goes and every entry at its end (FTS5's `rebuild`, reading `entries`):
 * measured on 1M events, ~6 s instead of ~9 s.
 */
export const timelineProjection: Projection = {
  name: 'timeline',
  version: 2,
  tables: ['entries', 'entry_tags', 'entry_events', 'mirrorbacks', 'entries_fts'],
  schema: `
    CREATE TABLE entries (
      seq INTEGER PRIMARY KEY, id TEXT NOT NULL, idkey INTEGER NOT NULL, time INTEGER NOT NULL, text TEXT NOT NULL,
      mood TEXT, dimension TEXT, tags TEXT NOT NULL, sealed INTEGER NOT NULL, privacy TEXT NOT NULL,
      amendments INTEGER NOT NULL DEFAULT 0, amended_time INTEGER
    );
    CREATE INDEX entries_idkey ON entries(idkey);
    CREATE INDEX entries_time ON entries(time);
    CREATE INDEX entries_dimension ON entries(dimension, time);
    CREATE TABLE entry_tags (tag TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (tag, seq)) WITHOUT ROWID;
    CREATE TABLE entry_events (
      entry INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (entry, seq)
    ) WITHOUT ROWID;
    CREATE TABLE mirrorbacks (
      seq INTEGER PRIMARY KEY, id TEXT NOT NULL, ref TEXT NOT NULL, time INTEGER NOT NULL,
      text TEXT NOT NULL, themes TEXT NOT NULL, engine TEXT NOT NULL
    );
    CREATE VIRTUAL TABLE entries_fts USING fts5(
      text, tags, mood, content = 'entries', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2'
    );
  `,
  bind(db: Database, options?: { rebuild?: boolean }): BatchFold {
    // A rebuild indexes every entry's words at the end (`finish`), once, in rowid order.
    const indexNow = options?.rebuild !== true
    const insertEntry = db.prepare(
      `INSERT OR IGNORE INTO entries (seq, id, idkey, time, text, mood, dimension, tags, sealed, privacy)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    )
    const insertTag = db.prepare('INSERT OR IGNORE INTO entry_tags (tag, seq) VALUES (?, ?)')
    const insertEvent = db.prepare('INSERT OR IGNORE INTO entry_events (entry, seq, kind) VALUES (?, ?, ?)')
    const insertFts = db.prepare('INSERT INTO entries_fts (rowid, text, tags, mood) VALUES (?, ?, ?, ?)')
    const lookup = db.prepare<
      [number, string],
      { seq: number; text: string; mood: string | null; tags: string; amendments: number }
    >('SELECT seq, text, mood, tags, amendments FROM entries WHERE idkey = ? AND id = ?')
    const getEntry = (id: string) => lookup.get(idKey(id), id)
    const amend = db.prepare('UPDATE entries SET text = ?, amendments = amendments + 1, amended_time = ? WHERE seq = ?')
    const unindex = db.prepare(
      "INSERT INTO entries_fts (entries_fts, rowid, text, tags, mood) VALUES ('delete', ?, ?, ?, ?)"
    )
    /** Whether the index is in FTS5's secure-delete mode (read once; it is a setting kept in the table). */
    let secure: boolean | undefined
    const secureDelete = (on: boolean) => {
      secure ??=
        db.prepare<[], { v: number }>("SELECT v FROM entries_fts_config WHERE k = 'secure-delete'").get()?.v === 1
      if (secure === on) return
      db.prepare(`INSERT INTO entries_fts (entries_fts, rank) VALUES ('secure-delete', ${on ? 1 : 0})`).run()
      secure = on
    }
    /**
     * Index changes of older entries, by seq, for the end of the batch: what the index
     * holds for the entry now (its values before the batch changed them) and what it
     * should hold (null: nothing, the entry is gone).
     */
    const changes = new Map<number, { indexed: Indexed; next: Indexed | null; amended: boolean }>()
    const reindex = (entry: { seq: number; amendments: number } & Indexed, next: Indexed | null) => {
      const known = changes.get(entry.seq)
      if (known) known.next = next
      else {
        const indexed = { text: entry.text, tags: entry.tags, mood: entry.mood }
        changes.set(entry.seq, { indexed, next, amended: entry.amendments > 0 })
      }
    }
    /** A forgotten entry had earlier versions, deleted from the index the ordinary way: merge it after the commit. */
    let mergeOnForget = false
    const insertMirror = db.prepare(
      'INSERT OR IGNORE INTO mirrorbacks (seq, id, ref, time, text, themes, engine) VALUES (?, ?, ?, ?, ?, ?, ?)'
    )
    const deleteEntry = db.prepare('DELETE FROM entries WHERE seq = ?')
    const deleteTag = db.prepare('DELETE FROM entry_tags WHERE tag = ? AND seq = ?')
    const deleteEvents = db.prepare('DELETE FROM entry_events WHERE entry = ?')
    const deleteMirrors = db.prepare(
      "DELETE FROM mirrorbacks WHERE seq IN (SELECT seq FROM entry_events WHERE entry = ? AND kind = 'mirrorback')"
    )

    const step = (event: ProjectedEvent) => {
      if (event.redacted) return
      switch (event.type) {
        case 'reflection.recorded': {
          const b = event.body
          const tags = b.tags.join(' ')
          const inserted = insertEntry.run(
            event.seq,
            event.id,
            idKey(event.id),
            event.time,
            b.text,
            b.mood ?? null,
            b.dimension ?? null,
            tags,
            b.sealed ? 1 : 0,
            event.privacy
          )
          if (inserted.changes === 0) return // redelivered
          for (const tag of b.tags) insertTag.run(tag, event.seq)
          if (indexNow) insertFts.run(event.seq, b.text, tags, b.mood ?? '')
          return
        }
        case 'reflection.amended': {
          const entry = getEntry(event.body.ref)
          if (!entry) return
          if (insertEvent.run(entry.seq, event.seq, 'amended').changes === 0) return
          amend.run(event.body.text, event.time, entry.seq)
          if (indexNow) reindex(entry, { text: event.body.text, tags: entry.tags, mood: entry.mood })
          return
        }
        case 'mirrorback.generated': {
          const entry = getEntry(event.body.ref)
          if (!entry) return
          insertEvent.run(entry.seq, event.seq, 'mirrorback')
          insertMirror.run(
            event.seq,
            event.id,
            event.body.ref,
            event.time,
            event.body.text,
            JSON.stringify(event.body.themes),
            JSON.stringify(event.body.engine)
          )
          return
        }
        case 'reflection.retracted': {
          const entry = getEntry(event.body.ref)
          if (!entry) return
          if (indexNow) reindex(entry, null)
          deleteMirrors.run(entry.seq)
          if (entry.tags) for (const tag of entry.tags.split(' ')) deleteTag.run(tag, entry.seq)
          deleteEvents.run(entry.seq)
          deleteEntry.run(entry.seq)
          return
        }
        default:
          return
      }
    }
    return {
      step,
      flush() {
        if (changes.size === 0) return
        const order = [...changes].sort(([x], [y]) => x - y)
        // Forgotten entries first, in FTS5's secure-delete mode: their terms leave the index segments now.
        for (const [seq, { indexed, next, amended }] of order) {
          if (next) continue
          secureDelete(timelineSettings.secureDelete)
          unindex.run(seq, indexed.text, indexed.tags, indexed.mood ?? '')
          if (amended) mergeOnForget = true
        }
        // Amended ones the ordinary way: the version before stays in the log (history), and its
        // terms, marked deleted, in the index until a merge.
        for (const [seq, { indexed, next }] of order) {
          if (!next) continue
          secureDelete(false)
          unindex.run(seq, indexed.text, indexed.tags, indexed.mood ?? '')
          insertFts.run(seq, next.text, next.tags, next.mood ?? '')
        }
        changes.clear()
      },
      forget() {
        if (!mergeOnForget || !timelineSettings.mergeAmendedOnForget) return
        // The terms of its earlier versions are only marked deleted: a merge of every segment drops them.
        db.prepare("INSERT INTO entries_fts (entries_fts) VALUES ('optimize')").run()
        mergeOnForget = false
      },
      discard() {
        changes.clear()
        secure = undefined // the setting may have rolled back with the transaction
      }
    }
  },
  finish(db: Database) {
    // The entries as they are now, indexed in one pass (an external-content table reads its rows).
    db.prepare("INSERT INTO entries_fts (entries_fts) VALUES ('rebuild')").run()
  },
  purge(db: Database) {
    // After bulk work: the index in one segment (nothing left for FTS5 to merge during later writes).
    db.prepare("INSERT INTO entries_fts (entries_fts) VALUES ('optimize')").run()
  },
  bulk(db: Database, on: boolean) {
    // FTS5 writes a segment per transaction and, with automerge, merges segments as they
    // accumulate: each entry's terms are written again at every level they climb. A long
    // catch-up writes them once and leaves the merging to the end (a rebuild's purge is
    // an optimize, one merge of everything); FTS5 still merges a level that reaches 16
    // segments (crisismerge), so the index stays bounded if it stops midway. Measured on
    // 357k entries in batches of 8192: 17% less CPU for the FTS5 inserts.
    const current = db.prepare<[], { v: number }>("SELECT v FROM entries_fts_config WHERE k = 'automerge'").get()?.v
    const wanted = on ? 0 : FTS_AUTOMERGE
    if ((current ?? FTS_AUTOMERGE) !== wanted) {
      db.prepare(`INSERT INTO entries_fts (entries_fts, rank) VALUES ('automerge', ${wanted})`).run()
    }
  }
}

/**
 * Tests only, to show what stays without each: `secureDelete` false deletes a retracted
 * entry from the full-text index the ordinary way (FTS5 marks its terms deleted until a
 * merge); `mergeAmendedOnForget` false skips the merge after retracting an amended entry.
 */
export const timelineSettings = { secureDelete: true, mergeAmendedOnForget: true }

/** FTS5's default automerge: merge a level once it holds this many segments. */
const FTS_AUTOMERGE = 4

/** What the full-text index holds for an entry. */
interface Indexed {
  text: string
  tags: string
  mood: string | null
}

/** The first 13 hex digits of an id (52 bits) as an integer: the key of the index on ids. */
export function idKey(id: string): number {
  return Number.parseInt(id.slice(0, 13), 16)
}

/**
 * Tags without repeats, in the order SQLite sorts text (by code point, which is UTF-8
 * byte order): the order `ORDER BY tag` gives, so stored and queried tags agree.
 */
export function sortedTags(tags: readonly string[]): string[] {
  // Most lists come sorted already: then there is nothing to remove or move.
  for (let i = 1; i < tags.length; i++) {
    if (compareCodePoints(tags[i - 1] as string, tags[i] as string) >= 0)
      return [...new Set(tags)].sort(compareCodePoints)
  }
  return [...tags]
}

/** Compares two strings by code point (UTF-16 order differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    // Surrogates (U+D800..U+DFFF) encode code points above U+FFFF: they sort after every other unit.
    const sx = x >= 0xd800 && x <= 0xdfff
    const sy = y >= 0xd800 && y <= 0xdfff
    if (sx !== sy) return sx ? 1 : -1
    return x - y
  }
  return a.length - b.length
}
