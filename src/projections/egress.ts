import type { Database, ProjectedEvent, Projection } from './projection.js'

/**
 * Consents (who may receive what, until when, and whether revoked) and the egress
 * ledger (every request that left the device), as the mirror engine reads them
 * before any byte leaves.
 */
export const egressProjection: Projection = {
  name: 'egress',
  version: 1,
  tables: ['consents', 'egress'],
  schema: `
    CREATE TABLE consents (
      id TEXT PRIMARY KEY, seq INTEGER NOT NULL, time INTEGER NOT NULL, audience TEXT NOT NULL,
      scope TEXT NOT NULL, until INTEGER, revoked_seq INTEGER, revoked_time INTEGER
    );
    CREATE INDEX consents_audience ON consents(audience, seq);
    CREATE TABLE egress (
      id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, time INTEGER NOT NULL, endpoint TEXT NOT NULL,
      purpose TEXT NOT NULL, model TEXT NOT NULL, consent TEXT NOT NULL, sent TEXT NOT NULL,
      bytes INTEGER NOT NULL, content_bytes INTEGER NOT NULL, payload_hash TEXT NOT NULL, attempt INTEGER NOT NULL
    );
    CREATE INDEX egress_time ON egress(time);
  `,
  bind(db: Database) {
    const grant = db.prepare(
      'INSERT OR IGNORE INTO consents (id, seq, time, audience, scope, until) VALUES (?, ?, ?, ?, ?, ?)'
    )
    const revoke = db.prepare(
      'UPDATE consents SET revoked_seq = ?, revoked_time = ? WHERE id = ? AND (revoked_seq IS NULL OR revoked_seq > ?)'
    )
    const record = db.prepare(
      `INSERT OR IGNORE INTO egress (id, seq, time, endpoint, purpose, model, consent, sent, bytes, content_bytes, payload_hash, attempt)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
    )
    return (event: ProjectedEvent) => {
      if (event.redacted) return
      switch (event.type) {
        case 'consent.granted': {
          const b = event.body
          grant.run(event.id, event.seq, event.time, b.audience, JSON.stringify(b.scope), b.until ?? null)
          return
        }
        case 'consent.revoked':
          revoke.run(event.seq, event.time, event.body.ref, event.seq)
          return
        case 'egress.recorded': {
          const b = event.body
          record.run(
            event.id,
            event.seq,
            event.time,
            b.endpoint,
            b.purpose,
            b.model,
            b.consent,
            JSON.stringify(b.sent),
            b.bytes,
            b.contentBytes,
            b.payloadHash,
            b.attempt
          )
          return
        }
        default:
          return
      }
    }
  }
}

export interface ConsentRow {
  id: string
  seq: number
  time: number
  audience: string
  scope: string[]
  until: number | null
  revokedSeq: number | null
  revokedTime: number | null
}

interface RawConsent {
  id: string
  seq: number
  time: number
  audience: string
  scope: string
  until: number | null
  revoked_seq: number | null
  revoked_time: number | null
}

function toConsent(r: RawConsent): ConsentRow {
  return {
    id: r.id,
    seq: r.seq,
    time: r.time,
    audience: r.audience,
    scope: JSON.parse(r.scope) as string[],
    until: r.until,
    revokedSeq: r.revoked_seq,
    revokedTime: r.revoked_time
  }
}

export function listConsents(db: Database, audience?: string): ConsentRow[] {
  const rows =
    audience === undefined
      ? db.prepare<[], RawConsent>('SELECT * FROM consents ORDER BY seq').all()
      : db.prepare<[string], RawConsent>('SELECT * FROM consents WHERE audience = ? ORDER BY seq').all(audience)
  return rows.map(toConsent)
}

/** The newest consent in force for an audience and scope at a time, if any. */
export function consentInForce(db: Database, audience: string, scope: string, at: number): ConsentRow | undefined {
  return listConsents(db, audience)
    .reverse()
    .find((c) => c.revokedSeq === null && (c.until === null || c.until > at) && c.scope.includes(scope))
}

export interface EgressRow {
  id: string
  seq: number
  time: number
  endpoint: string
  purpose: 'mirror' | 'evolution'
  model: string
  consent: string
  sent: string[]
  bytes: number
  contentBytes: number
  payloadHash: string
  attempt: number
}

interface RawEgress extends Omit<EgressRow, 'sent' | 'contentBytes' | 'payloadHash'> {
  sent: string
  content_bytes: number
  payload_hash: string
}

/** The ledger, oldest first. */
export function listEgress(db: Database, options: { since?: number; endpoint?: string } = {}): EgressRow[] {
  const rows = db
    .prepare<[number, string | null, string | null, string | null], RawEgress>(
      'SELECT * FROM egress WHERE time >= ? AND (? IS NULL OR substr(endpoint, 1, length(?)) = ?) ORDER BY seq'
    )
    .all(options.since ?? 0, options.endpoint ?? null, options.endpoint ?? null, options.endpoint ?? null)
  return rows.map((r) => ({
    id: r.id,
    seq: r.seq,
    time: r.time,
    endpoint: r.endpoint,
    purpose: r.purpose,
    model: r.model,
    consent: r.consent,
    sent: JSON.parse(r.sent) as string[],
    bytes: r.bytes,
    contentBytes: r.content_bytes,
    payloadHash: r.payload_hash,
    attempt: r.attempt
  }))
}
