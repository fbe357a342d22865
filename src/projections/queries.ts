import type { Database } from './projection.js'

/** Typed reads of the read model, shared by the CLI and the API. */

export interface EntryRow {
  id: string
  seq: number
  time: number
  text: string
  mood: string | null
  dimension: 'mind' | 'heart' | 'body' | null
  sealed: boolean
  privacy: 'private' | 'shareable'
  amendments: number
  amendedTime: number | null
  tags: string[]
}

interface RawEntry {
  id: string
  seq: number
  time: number
  text: string
  mood: string | null
  dimension: EntryRow['dimension']
  sealed: number
  privacy: EntryRow['privacy']
  amendments: number
  amended_time: number | null
  tags: string | null
}

const ENTRY_COLUMNS = `e.id, e.seq, e.time, e.text, e.mood, e.dimension, e.sealed, e.privacy, e.amendments, e.amended_time,
  (SELECT group_concat(tag, ' ') FROM (SELECT tag FROM entry_tags t WHERE t.entry_id = e.id ORDER BY tag)) AS tags`

function toEntry(row: RawEntry): EntryRow {
  return {
    id: row.id,
    seq: row.seq,
    time: row.time,
    text: row.text,
    mood: row.mood,
    dimension: row.dimension,
    sealed: row.sealed === 1,
    privacy: row.privacy,
    amendments: row.amendments,
    amendedTime: row.amended_time,
    tags: row.tags ? row.tags.split(' ') : []
  }
}

/** An entry by full id or by a unique prefix of at least 6 hex characters. */
export function findEntry(db: Database, idOrPrefix: string): EntryRow | undefined {
  const rows = db
    .prepare<[string], RawEntry>(`SELECT ${ENTRY_COLUMNS} FROM entries e WHERE e.id >= ? ORDER BY e.id LIMIT 2`)
    .all(idOrPrefix)
    .filter((r) => r.id.startsWith(idOrPrefix))
  if (rows.length === 0) return undefined
  if (rows.length > 1 && rows[0]?.id !== idOrPrefix) return undefined
  return toEntry(rows[0] as RawEntry)
}

export function countEntriesWithPrefix(db: Database, prefix: string): number {
  return db
    .prepare<[string], { id: string }>('SELECT id FROM entries WHERE id >= ? ORDER BY id LIMIT 2')
    .all(prefix)
    .filter((r) => r.id.startsWith(prefix)).length
}

export function entrySeqs(db: Database, id: string): { seq: number; kind: string }[] {
  return db
    .prepare<[string], { seq: number; kind: string }>(
      'SELECT seq, kind FROM entry_events WHERE entry_id = ? ORDER BY seq'
    )
    .all(id)
}

export function isRetracted(db: Database, id: string): boolean {
  return db.prepare('SELECT 1 FROM redactions WHERE ref = ? LIMIT 1').get(id) !== undefined
}

export interface TensionRow {
  id: string
  name: string
  poles: [string, string]
  domain: string
  intensity: number
  status: 'open' | 'resolved'
  loops: number
  insight: string | null
  toward: string | null
  created: number
  updated: number
  privacy: 'private' | 'shareable'
}

interface RawTension extends Omit<TensionRow, 'poles'> {
  poles: string
}

export function listTensions(db: Database, options: { includeResolved?: boolean } = {}): TensionRow[] {
  const where = options.includeResolved ? '' : "WHERE status = 'open'"
  return db
    .prepare<[], RawTension>(
      `SELECT id, name, poles, domain, intensity, status, loops, insight, toward, created, updated, privacy FROM tensions ${where} ORDER BY status, intensity DESC, id`
    )
    .all()
    .map((r) => ({ ...r, poles: JSON.parse(r.poles) as [string, string] }))
}

export function getTension(db: Database, id: string): TensionRow | undefined {
  return listTensions(db, { includeResolved: true }).find((t) => t.id === id)
}

export interface TensionPoint {
  seq: number
  time: number
  kind: 'noted' | 'shifted' | 'resolved'
  intensity: number
  toward: string | null
}

export function tensionSeries(db: Database, id: string): TensionPoint[] {
  return db
    .prepare<[string], TensionPoint>(
      'SELECT seq, time, kind, intensity, toward FROM tension_series WHERE id = ? ORDER BY seq'
    )
    .all(id)
}

export interface FacetRow {
  dimension: 'mind' | 'heart' | 'body'
  facet: string
  key: string
  value: string | null
  level: number | null
  privacy: 'private' | 'shareable'
  time: number
}

export function listProfile(db: Database): FacetRow[] {
  return db
    .prepare<[], FacetRow>(
      `SELECT dimension, facet, key, value, level, privacy, time FROM profile
       ORDER BY CASE dimension WHEN 'mind' THEN 0 WHEN 'heart' THEN 1 ELSE 2 END, facet, key`
    )
    .all()
}

export function hasFacet(db: Database, dimension: string, facet: string, key: string): boolean {
  return (
    db.prepare('SELECT 1 FROM profile WHERE dimension = ? AND facet = ? AND key = ?').get(dimension, facet, key) !==
    undefined
  )
}

export function getSetting(db: Database, name: string): string | undefined {
  return db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE name = ?').get(name)?.value
}

export function countRows(
  db: Database,
  table: 'entries' | 'tensions' | 'profile' | 'redactions' | 'mirrorbacks'
): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
}
