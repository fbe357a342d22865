import { blake2b256, fromHex, toHex } from '../events/crypto.js'
import { decodeHeader } from '../events/envelope.js'
import type { Database } from './projection.js'

/**
 * The log position of the entry a tombstone retracts, read from the tombstone itself:
 * it carries the signed header of every event it forgets, and the entry's header is the
 * one whose BLAKE2b-256 is the entry id (`ref`); the seq comes from that signed header.
 * Undefined when the tombstone does not carry it (no tombstone this software writes).
 */
export function tombstonedEntrySeq(body: {
  readonly ref: string
  readonly redacted: readonly { readonly header: string }[]
}): number | undefined {
  for (const r of body.redacted) {
    const bytes = fromHex(r.header)
    if (toHex(blake2b256(bytes)) === body.ref) return decodeHeader(bytes).seq
  }
  return undefined
}

/**
 * A lookup of the compact per-entry rows a projection keeps (keyed by the entry's seq,
 * with its id as a plain column, not indexed): by the seq the tombstone names, which is
 * the entry's position while one device writes the journal; else (another device's
 * entry, whose position in the merged order is not its seq in its log) by scanning for
 * the id.
 */
export function entryRowLookup<Row extends { id: string }>(db: Database, table: string, columns: string) {
  const bySeq = db.prepare<[number], Row>(`SELECT ${columns} FROM ${table} WHERE seq = ?`)
  const byId = db.prepare<[string], Row>(`SELECT ${columns} FROM ${table} WHERE id = ?`)
  return (body: Parameters<typeof tombstonedEntrySeq>[0]): Row | undefined => {
    const seq = tombstonedEntrySeq(body)
    if (seq === undefined) return byId.get(body.ref)
    const row = bySeq.get(seq)
    return row && row.id === body.ref ? row : byId.get(body.ref)
  }
}
