import { fromHex } from '../events/crypto.js'
import type { Database, ProjectedEvent, Projection } from './projection.js'

/**
 * Signed headers of forgotten events, kept by their tombstones: `log`, audit and export
 * read them here. Keyed by the device whose log held the event and its seq there.
 */
export const redactionsProjection: Projection = {
  name: 'redactions',
  version: 2,
  tables: ['redactions'],
  schema: `
    CREATE TABLE redactions (
      device INTEGER NOT NULL, seq INTEGER NOT NULL, header BLOB NOT NULL, sig BLOB NOT NULL, leaf BLOB NOT NULL,
      size INTEGER NOT NULL, tombstone_seq INTEGER NOT NULL, ref TEXT NOT NULL,
      PRIMARY KEY (device, seq)
    ) WITHOUT ROWID;
    CREATE INDEX redactions_ref ON redactions(ref);
  `,
  bind(db: Database) {
    const insert = db.prepare(
      'INSERT OR IGNORE INTO redactions (device, seq, header, sig, leaf, size, tombstone_seq, ref) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
    )
    return (event: ProjectedEvent) => {
      if (event.redacted || event.type !== 'reflection.retracted') return
      for (const r of event.body.redacted) {
        insert.run(
          r.device,
          r.seq,
          fromHex(r.header),
          fromHex(r.sig),
          fromHex(r.leaf),
          r.size,
          event.seq,
          event.body.ref
        )
      }
    }
  }
}
