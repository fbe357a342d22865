import { CosmicError } from '../errors.js'
import { describeNode, type EdgeKind, type NodeKind, SELF } from './graph.js'
import { bucketStart, type MentionKind, type PatternWindow, WINDOWS } from './patterns.js'
import type { Database } from './projection.js'
import { inOneRead, prepared, preparedRaw } from './statements.js'
import { idKey, sortedTags } from './timeline.js'

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

const ENTRY_COLUMNS =
  'e.id, e.seq, e.time, e.text, e.mood, e.dimension, e.sealed, e.privacy, e.amendments, e.amended_time, e.tags'

/** The columns of ENTRY_COLUMNS, in order, as a raw statement gives them. */
type EntryColumns = [
  id: string,
  seq: number,
  time: number,
  text: string,
  mood: string | null,
  dimension: EntryRow['dimension'],
  sealed: number,
  privacy: EntryRow['privacy'],
  amendments: number,
  amendedTime: number | null,
  tags: string | null
]

/** An entry of a timeline page from its raw columns (no search: no snippet or score yet, mirrorbacks attached after). */
function timelineEntry(r: EntryColumns): TimelineEntry {
  return {
    id: r[0],
    seq: r[1],
    time: r[2],
    text: r[3],
    mood: r[4],
    dimension: r[5],
    sealed: r[6] === 1,
    privacy: r[7],
    amendments: r[8],
    amendedTime: r[9],
    tags: tagList(r[10]),
    snippet: null,
    score: null,
    mirrorbacks: []
  }
}

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
    tags: tagList(row.tags)
  }
}

/** The tags column (space-separated, as recorded) as the sorted list an entry shows. */
function tagList(tags: string | null): string[] {
  return tags ? sortedTags(tags.split(' ')) : []
}

/**
 * The first two entries, in id order, from `prefix` on, whose ids start with it. Ids are
 * lower-case hex, indexed by their first 13 digits as an integer (`idkey`): a prefix
 * of those digits is a range of keys.
 */
function entriesWithPrefix<Row extends { id: string }>(db: Database, columns: string, prefix: string): Row[] {
  if (!/^[0-9a-f]{0,64}$/.test(prefix)) return [] // no id starts with it
  const head = prefix.slice(0, 13)
  const low = Number.parseInt(head.padEnd(13, '0'), 16)
  const high = Number.parseInt(head.padEnd(13, 'f'), 16)
  return prepared<[number, number, string], Row>(
    db,
    `SELECT ${columns} FROM entries e WHERE e.idkey BETWEEN ? AND ? AND e.id >= ? ORDER BY e.idkey, e.id LIMIT 2`
  )
    .all(low, high, prefix)
    .filter((r) => r.id.startsWith(prefix))
}

/** An entry by full id or by a unique prefix of at least 6 hex characters. */
export function findEntry(db: Database, idOrPrefix: string): EntryRow | undefined {
  const rows = entriesWithPrefix<RawEntry>(db, ENTRY_COLUMNS, idOrPrefix)
  if (rows.length === 0) return undefined
  if (rows.length > 1 && rows[0]?.id !== idOrPrefix) return undefined
  return toEntry(rows[0] as RawEntry)
}

export function countEntriesWithPrefix(db: Database, prefix: string): number {
  return entriesWithPrefix(db, 'e.id', prefix).length
}

/** The log positions that hold an entry's words: the entry itself, its amendments and its mirrorbacks. */
export function entrySeqs(db: Database, id: string): { seq: number; kind: string }[] {
  const entry = prepared<[number, string], { seq: number }>(
    db,
    'SELECT seq FROM entries WHERE idkey = ? AND id = ?'
  ).get(idKey(id), id)
  if (!entry) return []
  const later = prepared<[number], { seq: number; kind: string }>(
    db,
    'SELECT seq, kind FROM entry_events WHERE entry = ? ORDER BY seq'
  ).all(entry.seq)
  return [{ seq: entry.seq, kind: 'recorded' }, ...later]
}

export function isRetracted(db: Database, id: string): boolean {
  return prepared<[string], unknown>(db, 'SELECT 1 FROM redactions WHERE ref = ? LIMIT 1').get(id) !== undefined
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
  return prepared<[], RawTension>(
    db,
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
  return prepared<[string], TensionPoint>(
    db,
    'SELECT seq, time, kind, intensity, toward FROM tension_series WHERE id = ? ORDER BY seq'
  ).all(id)
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
  return prepared<[], FacetRow>(
    db,
    `SELECT dimension, facet, key, value, level, privacy, time FROM profile
       ORDER BY CASE dimension WHEN 'mind' THEN 0 WHEN 'heart' THEN 1 ELSE 2 END, facet, key`
  ).all()
}

export function hasFacet(db: Database, dimension: string, facet: string, key: string): boolean {
  return (
    prepared(db, 'SELECT 1 FROM profile WHERE dimension = ? AND facet = ? AND key = ?').get(dimension, facet, key) !==
    undefined
  )
}

export function getSetting(db: Database, name: string): string | undefined {
  return prepared<[string], { value: string }>(db, 'SELECT value FROM settings WHERE name = ?').get(name)?.value
}

export function countRows(
  db: Database,
  table: 'entries' | 'tensions' | 'profile' | 'redactions' | 'mirrorbacks'
): number {
  return (prepared(db, `SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n
}

/* ---------- timeline: entries and tension moments, newest first, filtered, searched, paged ---------- */

export const TIMELINE_TYPES = ['reflection.recorded', 'tension.noted', 'tension.shifted', 'tension.resolved'] as const
export type TimelineType = (typeof TIMELINE_TYPES)[number]

export interface TimelineQuery {
  /** Event types to show (default: all of TIMELINE_TYPES). Tag, dimension and search apply to entries only. */
  types?: readonly TimelineType[]
  tag?: string
  dimension?: 'mind' | 'heart' | 'body'
  /** Inclusive time range, ms since the epoch. */
  from?: number
  to?: number
  /**
   * Words to find (FTS5 over text, tags and mood); results are ranked by bm25, best first,
   * among the newest `rankWindow` matches, then among the next ones, and so on.
   */
  search?: string
  limit?: number
  /** The opaque `next` of the previous page. */
  cursor?: string
  /** How many matches, newest first, a search ranks together (default SEARCH_RANK_WINDOW). */
  rankWindow?: number
}

/**
 * A search ranks at most this many matches together. bm25 scores every match it ranks
 * (~0.5 µs each on these machines, half of it finding each entry's length), so a word in
 * a hundred thousand entries of a million took 55-65 ms for its first page. Matches are
 * ranked in windows of this many, newest first: the best of the newest 20,000, then the
 * best of the 20,000 before them, and so on; a search with fewer matches (nearly all,
 * and every rare word) is one window, ranked exactly as a whole. In a journal the recent
 * entries are the likelier ones to be looked for, and every match is still reached by
 * paging on.
 */
export const SEARCH_RANK_WINDOW = 20_000

export interface MirrorbackRow {
  id: string
  seq: number
  time: number
  text: string
  themes: string[]
  engine: { kind: string; model: string; promptHash: string }
}

export interface TimelineEntry extends EntryRow {
  /** With a search: the best passage, matches between « and ». */
  snippet: string | null
  /** With a search: bm25 score, lower is better. */
  score: number | null
  mirrorbacks: MirrorbackRow[]
}

export interface TimelineTensionMoment {
  id: string
  name: string
  poles: [string, string]
  domain: string
  kind: 'noted' | 'shifted' | 'resolved'
  intensity: number
  toward: string | null
}

export type TimelineItem =
  | { kind: 'entry'; type: 'reflection.recorded'; seq: number; time: number; entry: TimelineEntry }
  | {
      kind: 'tension'
      type: 'tension.noted' | 'tension.shifted' | 'tension.resolved'
      seq: number
      time: number
      tension: TimelineTensionMoment
    }

export interface TimelinePage {
  items: TimelineItem[]
  /** Pass as `cursor` for the next page; null on the last one. */
  next: string | null
}

export const SNIPPET_OPEN = '«'
export const SNIPPET_CLOSE = '»'

/**
 * By time: the last item's time and seq. Ranked: the last item's score and seq, and the
 * window of matches it was ranked in (seqs above `l` up to `h`; absent: every match).
 */
type Cursor = { t: number; s: number } | { r: number; s: number; l?: number; h?: number }

function encodeCursor(cursor: Cursor): string {
  return btoa(JSON.stringify(cursor)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

function decodeCursor(text: string, ranked: boolean): Cursor {
  let parsed: unknown
  try {
    parsed = JSON.parse(atob(text.replaceAll('-', '+').replaceAll('_', '/')))
  } catch {
    parsed = null
  }
  const p = parsed as Record<string, unknown> | null
  const ok =
    p !== null &&
    typeof p === 'object' &&
    Number.isSafeInteger(p.s) &&
    (ranked
      ? typeof p.r === 'number' &&
        Number.isFinite(p.r) &&
        (p.l === undefined) === (p.h === undefined) &&
        (p.l === undefined || (Number.isSafeInteger(p.l) && Number.isSafeInteger(p.h)))
      : Number.isSafeInteger(p.t))
  if (!ok) {
    throw CosmicError.INVALID_INPUT(
      `--cursor "${text}" is not a cursor of this query (pass the "next" value of the previous page, with the same --search)`
    )
  }
  return p as Cursor
}

/**
 * Turns what a person typed into an FTS5 query that cannot be a syntax error: every
 * word becomes a quoted string (quotes doubled), "a phrase" stays a phrase, a trailing
 * * asks for a prefix, and OR between two terms stays OR. Everything else is a word.
 */
export function ftsQuery(input: string): string {
  const tokens = input.match(/"[^"]*"?|\S+/g) ?? []
  const terms: string[] = []
  let pendingOr = false
  for (const token of tokens) {
    if (token === 'OR') {
      if (terms.length > 0) pendingOr = true
      continue
    }
    let body = token
    let prefix = false
    if (body.startsWith('"')) body = body.replace(/^"|"$/g, '')
    else if (body.endsWith('*')) {
      body = body.replace(/\*+$/, '')
      prefix = true
    }
    if (!/[\p{L}\p{N}]/u.test(body)) continue // nothing the tokenizer would index
    const term = `"${body.replaceAll('"', '""')}"${prefix ? '*' : ''}`
    if (pendingOr) terms.push('OR')
    pendingOr = false
    terms.push(term)
  }
  if (terms.length === 0) {
    throw CosmicError.INVALID_INPUT(`--search ${JSON.stringify(input)} has no words to look for`)
  }
  return terms.join(' ')
}

const MAX_PAGE = 500

/** One item of a page, before its row is read: where it sits in the order, and which table holds it. */
interface PageKey {
  kind: 'entry' | 'tension'
  seq: number
  time: number
  /** A tension moment's rowid in tension_series (keyed by tension and seq, not by seq alone). */
  row?: number
  /** A search's bm25 score. */
  score?: number
  /** The window of matches a search ranked it in (seqs above low, up to high); absent: every match. */
  window?: RankWindow
  /** An entry's JSON columns, when its keys query read them too (see `timelineJson`). */
  json?: EntryJson
}

/** An entry as JSON: its fields from id to amendedTime (ENTRY_JSON), and its tags column. */
type EntryJson = [head: string, tags: string | null]

interface RankWindow {
  low: number
  high: number
}

/**
 * A page in two steps: the keys (time and seq) of the entries and tension moments that
 * could be on it, from the time indexes alone, merged; then the rows of just the items
 * on the page, one query per table (`IN` over the page's keys). The rows read, their
 * text and tags turned into objects, are the page's and no more.
 */
export function timeline(db: Database, query: TimelineQuery = {}): TimelinePage {
  return inOneRead(db, () => {
    const page = pageKeys(db, query)
    return { items: pageItems(db, page.keys, page.match), next: page.next }
  })
}

/**
 * The same page as `timeline`, with its items as JSON text: exactly what serializing
 * `timeline(db, query).items` by the API's response schema (TimelineOutput) writes, byte
 * for byte (test/timeline-json.test.ts checks it), without the objects in between. SQLite
 * writes each entry's columns and mirrorbacks as JSON itself (json_object, in C), so an
 * uncached GET /api/timeline neither turns every column into a JavaScript value (on
 * Node 20, better-sqlite3 sets each through the V8 API: the most costly part of a page)
 * nor escapes the texts again in JavaScript. Measured on the 1M home, server CPU per
 * request: ~235 -> ~200 µs. In a loop of the query alone it is no faster than `timeline`:
 * what it saves is the serializer's work and the garbage.
 */
export function timelineJson(db: Database, query: TimelineQuery = {}): TimelinePageJson {
  return inOneRead(db, () => {
    const page = pageKeys(db, query, true)
    return { items: pageItemsJson(db, page.keys, page.match), next: page.next }
  })
}

export interface TimelinePageJson {
  /** A JSON array of TimelineItem, as text. */
  items: string
  next: string | null
}

/** A page before its rows are read: its keys in order, the cursor of the next page, and a search's FTS5 query. */
interface PageKeys {
  keys: PageKey[]
  next: string | null
  match: string | null
}

/** `withJson`: entries in time order come with their JSON columns, read by the keys query itself. */
function pageKeys(db: Database, query: TimelineQuery, withJson = false): PageKeys {
  const limit = query.limit ?? 20
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw CosmicError.INVALID_INPUT(`--limit must be a whole number from 1 to ${MAX_PAGE}`)
  }
  const types = new Set(query.types && query.types.length > 0 ? query.types : TIMELINE_TYPES)
  for (const type of types) {
    if (!TIMELINE_TYPES.includes(type)) {
      throw CosmicError.INVALID_INPUT(`--type must be one of ${TIMELINE_TYPES.join(', ')} (got "${type}")`)
    }
  }
  const ranked = query.search !== undefined
  const cursor = query.cursor ? decodeCursor(query.cursor, ranked) : null
  const entryOnly = query.tag !== undefined || query.dimension !== undefined || ranked

  const entries = types.has('reflection.recorded') ? entryKeys(db, query, cursor, limit + 1, withJson) : []
  const tensionTypes = [...types].filter((t) => t.startsWith('tension.')).map((t) => t.slice('tension.'.length))
  // With a full page of entries, a moment older than the last of them cannot make the page.
  const floor = entries.length > limit ? (entries[limit] as PageKey).time : undefined
  const moments =
    !entryOnly && tensionTypes.length > 0 ? momentKeys(db, query, tensionTypes, cursor, limit + 1, floor) : []

  let keys: PageKey[]
  if (ranked || moments.length === 0) keys = entries
  else if (entries.length === 0) keys = moments
  else keys = [...entries, ...moments].sort((a, b) => b.time - a.time || b.seq - a.seq)
  const more = keys.length > limit
  keys = keys.slice(0, limit)
  const last = keys[keys.length - 1]
  let next: string | null = null
  if (more && last) {
    next =
      ranked && last.kind === 'entry'
        ? encodeCursor({
            r: last.score ?? 0,
            s: last.seq,
            ...(last.window ? { l: last.window.low, h: last.window.high } : {})
          })
        : encodeCursor({ t: last.time, s: last.seq })
  }
  return { keys, next, match: ranked ? ftsQuery(query.search as string) : null }
}

/**
 * `LIMIT n` (and `OFFSET m`) written into the SQL, not bound as parameters. This SQLite
 * (3.53, built with STAT4) plans a LIMIT by its bound value, so it marks the statement
 * to be prepared again on its next step after every binding of that parameter, even to
 * the same value: every page re-parsed and re-planned its keys queries (measured on the
 * 1M home: 15 -> 10 µs for the entry keys, 10 -> 3 µs for the tension moments). A page
 * size is one of a few hundred values, so the statements stay few (see `prepared`).
 */
function limitSql(limit: number, offset = 0): string {
  if (!Number.isSafeInteger(limit) || limit < 0 || !Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(`not a LIMIT or OFFSET: ${limit}, ${offset}`)
  }
  return offset === 0 ? `LIMIT ${limit}` : `LIMIT ${limit} OFFSET ${offset}`
}

/** `(?, ?, …)` for n values. */
function placeholders(n: number): string {
  return `(${'?, '.repeat(n - 1)}?)`
}

/** The rows of the keys, in the keys' order: entries with their mirrorbacks (and with a search, snippets), tension moments. */
function pageItems(db: Database, keys: readonly PageKey[], match: string | null): TimelineItem[] {
  const entrySeqs: number[] = []
  const momentRows: number[] = []
  for (const k of keys) {
    if (k.kind === 'entry') entrySeqs.push(k.seq)
    else momentRows.push(k.row as number)
  }
  const entries = new Map<number, TimelineEntry>()
  if (entrySeqs.length > 0) {
    const rows = preparedRaw<number[], EntryColumns>(
      db,
      `SELECT ${ENTRY_COLUMNS} FROM entries e WHERE e.seq IN ${placeholders(entrySeqs.length)}`
    ).all(...entrySeqs)
    for (const r of rows) entries.set(r[1], timelineEntry(r))
    attachMirrorbacks(db, [...entries.values()])
    if (match !== null) {
      for (const k of keys) {
        const entry = entries.get(k.seq)
        if (!entry) continue
        entry.snippet = snippetOf(db, match, k.seq)
        entry.score = k.score ?? null
      }
    }
  }
  const moments = momentRows.length > 0 ? tensionMoments(db, momentRows) : new Map<number, TimelineItem>()
  const items: TimelineItem[] = []
  for (const k of keys) {
    if (k.kind === 'entry') {
      const entry = entries.get(k.seq)
      if (entry) items.push(entryItem(entry))
    } else {
      const moment = moments.get(k.row as number)
      if (moment) items.push(moment)
    }
  }
  return items
}

/** A search's best passage of an entry's text, matches between « and ». */
function snippetOf(db: Database, match: string, seq: number): string | null {
  const snippet = prepared<[string, number], { snippet: string }>(
    db,
    `SELECT snippet(entries_fts, 0, '${SNIPPET_OPEN}', '${SNIPPET_CLOSE}', '…', 16) AS snippet
     FROM entries_fts WHERE entries_fts MATCH ? AND rowid = CAST(? AS INTEGER)`
  )
  return snippet.get(match, seq)?.snippet ?? null
}

/**
 * An entry's fields from id to amendedTime as one JSON object, in the order of the API's
 * TimelineEntry schema. SQLite escapes a text as JSON.stringify does (", \, and below
 * U+0020: \b \t \n \f \r, else \u00xx), and every number here is an INTEGER column.
 */
const ENTRY_JSON = `json_object('id', e.id, 'seq', e.seq, 'time', e.time, 'text', e.text, 'mood', e.mood,
  'dimension', e.dimension, 'sealed', json(CASE e.sealed WHEN 1 THEN 'true' ELSE 'false' END),
  'privacy', e.privacy, 'amendments', e.amendments, 'amendedTime', e.amended_time)`

/** A mirrorback as a JSON object (MirrorbackRow): the engine's fields in the schema's order, whatever the stored order. */
const MIRRORBACK_JSON = `json_object('id', m.id, 'seq', m.seq, 'time', m.time, 'text', m.text, 'themes', json(m.themes),
  'engine', json_object('kind', m.engine ->> 'kind', 'model', m.engine ->> 'model', 'promptHash', m.engine ->> 'promptHash'))`

/**
 * The page's entries, by a JSON array of their seqs (one statement for every page size,
 * its text a constant: nothing to build or hash per page), and their mirrorbacks.
 */
const ENTRIES_JSON_SQL = `SELECT e.seq, e.time, ${ENTRY_JSON}, e.tags FROM json_each(?) AS k JOIN entries e ON e.seq = k.value`
const MIRRORBACKS_JSON_SQL = `SELECT ev.entry, ${MIRRORBACK_JSON} FROM entry_events ev JOIN mirrorbacks m ON m.seq = ev.seq
  WHERE ev.entry IN (SELECT value FROM json_each(?)) AND ev.kind = 'mirrorback' ORDER BY m.seq`

/** `pageItems` as JSON text (see `timelineJson`). */
function pageItemsJson(db: Database, keys: readonly PageKey[], match: string | null): string {
  const entrySeqs: number[] = []
  const unread: number[] = []
  const momentRows: number[] = []
  for (const k of keys) {
    if (k.kind === 'tension') momentRows.push(k.row as number)
    else {
      entrySeqs.push(k.seq)
      if (!k.json) unread.push(k.seq)
    }
  }
  // A search's keys come from the full-text index: their rows are read here.
  const rows = new Map<number, [time: number, json: EntryJson]>()
  if (unread.length > 0) {
    for (const [seq, time, head, tags] of preparedRaw<[string], [number, number, string, string | null]>(
      db,
      ENTRIES_JSON_SQL
    ).all(JSON.stringify(unread))) {
      rows.set(seq, [time, [head, tags]])
    }
  }
  const mirrorbacks = new Map<number, string[]>()
  if (entrySeqs.length > 0) {
    const found = preparedRaw<[string], [entry: number, json: string]>(db, MIRRORBACKS_JSON_SQL).all(
      JSON.stringify(entrySeqs)
    )
    for (const [entry, json] of found) {
      const list = mirrorbacks.get(entry)
      if (list) list.push(json)
      else mirrorbacks.set(entry, [json])
    }
  }
  const moments = momentRows.length > 0 ? tensionMoments(db, momentRows) : new Map<number, TimelineItem>()
  const items: string[] = []
  for (const k of keys) {
    if (k.kind === 'entry') {
      const row = k.json ? ([k.time, k.json] as const) : rows.get(k.seq)
      if (!row) continue
      const [time, [head, tags]] = row
      const snippet = match === null ? 'null' : JSON.stringify(snippetOf(db, match, k.seq))
      const score = match === null ? 'null' : JSON.stringify(k.score ?? null)
      // head is a JSON object: its closing brace makes way for the fields SQLite does not write.
      items.push(
        `{"kind":"entry","type":"reflection.recorded","seq":${k.seq},"time":${time},"entry":${head.slice(0, -1)},"tags":${tagsJson(tags)},"snippet":${snippet},"score":${score},"mirrorbacks":[${mirrorbacks.get(k.seq)?.join(',') ?? ''}]}}`
      )
    } else {
      const moment = moments.get(k.row as number)
      // Built in the schema's key order, of strings and finite numbers: JSON.stringify writes what the serializer writes.
      if (moment) items.push(JSON.stringify(moment))
    }
  }
  return `[${items.join(',')}]`
}

/** What fast-json-stringify (and JSON.stringify) must escape in a string: ", \, controls, surrogates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what JSON escapes
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/

/** `JSON.stringify(tagList(tags))`, without the call for the usual tags: plain words, sorted already. */
function tagsJson(tags: string | null): string {
  const list = tagList(tags)
  if (list.length === 0) return '[]'
  return NEEDS_ESCAPE.test(tags as string) ? JSON.stringify(list) : `["${list.join('","')}"]`
}

function entryKeys(
  db: Database,
  query: TimelineQuery,
  cursor: Cursor | null,
  limit: number,
  withJson: boolean
): PageKey[] {
  if (query.search !== undefined) return searchKeys(db, query, cursor, limit)
  const where: string[] = []
  const params: (string | number)[] = []
  if (query.tag !== undefined) {
    where.push('EXISTS (SELECT 1 FROM entry_tags t WHERE t.tag = ? AND t.seq = e.seq)')
    params.push(normalTag(query.tag))
  }
  if (query.dimension !== undefined) {
    where.push('e.dimension = ?')
    params.push(query.dimension)
  }
  if (query.from !== undefined) {
    where.push('e.time >= ?')
    params.push(query.from)
  }
  if (query.to !== undefined) {
    where.push('e.time <= ?')
    params.push(query.to)
  }
  if (cursor && 't' in cursor) {
    where.push('(e.time < ? OR (e.time = ? AND e.seq < ?))')
    params.push(cursor.t, cursor.t, cursor.s)
  }
  const filters = where.length ? ` WHERE ${where.join(' AND ')}` : ''
  const order = `ORDER BY e.time DESC, e.seq DESC ${limitSql(limit)}`
  if (!withJson) {
    return preparedRaw<unknown[], [seq: number, time: number]>(
      db,
      `SELECT e.seq, e.time FROM entries e${filters} ${order}`
    )
      .all(...params)
      .map(([seq, time]) => ({ kind: 'entry', seq, time }))
  }
  // The rows come by the same walk of the time index as their keys: no second lookup of
  // the page's seqs. At most one row past the page (or a few, displaced by tension moments) is read for nothing.
  return preparedRaw<unknown[], [seq: number, time: number, head: string, tags: string | null]>(
    db,
    `SELECT e.seq, e.time, ${ENTRY_JSON}, e.tags FROM entries e${filters} ${order}`
  )
    .all(...params)
    .map(([seq, time, head, tags]) => ({ kind: 'entry', seq, time, json: [head, tags] }))
}

function normalTag(tag: string): string {
  return tag.trim().replace(/^#+/, '').toLowerCase()
}

/**
 * Entries matching a search, best first within each window of matches (newest window
 * first, see SEARCH_RANK_WINDOW): bm25 ranks a window's matches and keeps the page's
 * seqs, going on to the next window while the page is not full; the page's rows and
 * snippets are read afterwards (a snippet reads and tokenizes
 * the text: for the 20 shown, not for the tens of thousands a common word matches). The
 * ranking touches no entry row: a time range is a range of seqs (an entry's time grows
 * with its seq), a tag is a key of entry_tags, and only a dimension reads the entry.
 * FTS5 stays the outer loop: joined with entries, SQLite may instead walk the entries of
 * a dimension and search the index once for each (1M events: 76 s).
 */
function searchKeys(db: Database, query: TimelineQuery, cursor: Cursor | null, limit: number): PageKey[] {
  const match = ftsQuery(query.search as string)
  const size = query.rankWindow ?? SEARCH_RANK_WINDOW
  if (!Number.isSafeInteger(size) || size < 1) throw CosmicError.INVALID_INPUT('rankWindow must be a positive integer')
  // The seqs a time range covers: a time range is a range of seqs (an entry's time grows with its seq).
  let low = -1 // exclusive
  let high = Number.MAX_SAFE_INTEGER // inclusive
  if (query.from !== undefined) {
    const first = prepared<[number], { seq: number }>(
      db,
      'SELECT seq FROM entries WHERE time >= ? ORDER BY time LIMIT 1'
    ).get(query.from)
    if (!first) return []
    low = first.seq - 1
  }
  if (query.to !== undefined) {
    const last = prepared<[number], { seq: number }>(
      db,
      'SELECT seq FROM entries WHERE time <= ? ORDER BY time DESC LIMIT 1'
    ).get(query.to)
    if (!last) return []
    high = last.seq
  }
  const where: string[] = []
  const params: (string | number)[] = []
  if (query.tag !== undefined) {
    where.push('EXISTS (SELECT 1 FROM entry_tags t WHERE t.tag = ? AND t.seq = entries_fts.rowid)')
    params.push(normalTag(query.tag))
  }
  if (query.dimension !== undefined) {
    where.push('EXISTS (SELECT 1 FROM entries d WHERE d.seq = entries_fts.rowid AND d.dimension = ?)')
    params.push(query.dimension)
  }
  const filters = where.length ? ` AND ${where.join(' AND ')}` : ''
  // CAST: a number is bound as a REAL, and FTS5 ignores a rowid constraint that is not an INTEGER.
  const inWindow = 'entries_fts.rowid > CAST(? AS INTEGER) AND entries_fts.rowid <= CAST(? AS INTEGER)'
  // The seq below the newest `size` matches up to `top` (the window's exclusive low end), or the range's low end.
  const windowBelow = (top: number): RankWindow => {
    const below = prepared<[string, number, number], { seq: number }>(
      db,
      `SELECT rowid AS seq FROM entries_fts WHERE entries_fts MATCH ? AND ${inWindow} ORDER BY rowid DESC ${limitSql(1, size)}`
    ).get(match, low, top)
    return { low: below ? below.seq : low, high: top }
  }
  // Text weighs more than tags, tags more than the mood word.
  const rank = (window: RankWindow, after: { r: number; s: number } | null, count: number) => {
    const page = after ? 'WHERE score > ? OR (score = ? AND seq < ?)' : ''
    const sql = `SELECT seq, score FROM (
        SELECT entries_fts.rowid AS seq, bm25(entries_fts, 10.0, 4.0, 2.0) AS score
        FROM entries_fts WHERE entries_fts MATCH ? AND ${inWindow}${filters}
      ) ${page} ORDER BY score, seq DESC ${limitSql(count)}`
    const pageParams = after ? [after.r, after.r, after.s] : []
    return prepared<unknown[], { seq: number; score: number }>(db, sql).all(
      match,
      window.low,
      window.high,
      ...params,
      ...pageParams
    )
  }
  const keys: PageKey[] = []
  try {
    // A cursor of a page before windows (no l, h) goes on over every match, as it began.
    let window: RankWindow | null =
      cursor && 'r' in cursor
        ? cursor.l === undefined
          ? { low, high }
          : { low: Math.max(low, cursor.l), high: Math.min(high, cursor.h as number) }
        : windowBelow(high)
    let after = cursor && 'r' in cursor ? { r: cursor.r, s: cursor.s } : null
    while (window && keys.length < limit) {
      const whole = window.low === low && window.high === high
      for (const r of rank(window, after, limit - keys.length)) {
        keys.push({ kind: 'entry', seq: r.seq, time: 0, score: r.score, ...(whole ? {} : { window }) })
      }
      // The next window: the matches below this one, if any are left in the range.
      window = keys.length < limit && window.low > low ? windowBelow(window.low) : null
      after = null
    }
  } catch (err) {
    // ftsQuery quotes every term, so this is a safety net, not a path people should meet.
    if ((err as { code?: string }).code?.startsWith('SQLITE_')) {
      throw CosmicError.INVALID_INPUT(
        `--search ${JSON.stringify(query.search)} cannot be searched for: ${(err as Error).message}`
      )
    }
    throw err
  }
  // The time of a ranked key is not used: the page keeps the ranking's order.
  return keys
}

function entryItem(entry: TimelineEntry): TimelineItem {
  return { kind: 'entry', type: 'reflection.recorded', seq: entry.seq, time: entry.time, entry }
}

const TENSION_KINDS = TIMELINE_TYPES.filter((t) => t.startsWith('tension.')).length

function momentKeys(
  db: Database,
  query: TimelineQuery,
  kinds: string[],
  cursor: Cursor | null,
  limit: number,
  floor: number | undefined
): PageKey[] {
  const where: string[] = []
  const params: (string | number)[] = []
  // Every moment is one of the three kinds: asked for all of them, there is nothing to filter.
  if (kinds.length < TENSION_KINDS) {
    where.push(`s.kind IN ${placeholders(kinds.length)}`)
    params.push(...kinds)
  }
  const from = floor === undefined ? query.from : Math.max(floor, query.from ?? floor)
  if (from !== undefined) {
    where.push('s.time >= ?')
    params.push(from)
  }
  if (query.to !== undefined) {
    where.push('s.time <= ?')
    params.push(query.to)
  }
  if (cursor && 't' in cursor) {
    where.push('(s.time < ? OR (s.time = ? AND s.seq < ?))')
    params.push(cursor.t, cursor.t, cursor.s)
  }
  return preparedRaw<unknown[], [row: number, seq: number, time: number]>(
    db,
    `SELECT s.rowid, s.seq, s.time FROM tension_series s
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.time DESC, s.seq DESC ${limitSql(limit)}`
  )
    .all(...params)
    .map(([row, seq, time]) => ({ kind: 'tension', seq, time, row }))
}

/** Tension moments by their rowids in tension_series, with their tension's name, poles and domain. */
function tensionMoments(db: Database, rows: readonly number[]): Map<number, TimelineItem> {
  const found = prepared<
    number[],
    {
      row: number
      id: string
      seq: number
      time: number
      kind: TimelineTensionMoment['kind']
      intensity: number
      toward: string | null
      name: string
      poles: string
      domain: string
    }
  >(
    db,
    `SELECT s.rowid AS row, s.id, s.seq, s.time, s.kind, s.intensity, s.toward, t.name, t.poles, t.domain
     FROM tension_series s JOIN tensions t ON t.id = s.id WHERE s.rowid IN ${placeholders(rows.length)}`
  ).all(...rows)
  const out = new Map<number, TimelineItem>()
  for (const r of found) {
    out.set(r.row, {
      kind: 'tension',
      type: `tension.${r.kind}` as 'tension.noted' | 'tension.shifted' | 'tension.resolved',
      seq: r.seq,
      time: r.time,
      tension: {
        id: r.id,
        name: r.name,
        poles: JSON.parse(r.poles) as [string, string],
        domain: r.domain,
        kind: r.kind,
        intensity: r.intensity,
        toward: r.toward
      }
    })
  }
  return out
}

function attachMirrorbacks(db: Database, entries: TimelineEntry[]): void {
  if (entries.length === 0) return
  const bySeq = new Map(entries.map((e) => [e.seq, e]))
  const rows = prepared<
    number[],
    { entry: number; id: string; seq: number; time: number; text: string; themes: string; engine: string }
  >(
    db,
    `SELECT ev.entry, m.id, m.seq, m.time, m.text, m.themes, m.engine
     FROM entry_events ev JOIN mirrorbacks m ON m.seq = ev.seq
     WHERE ev.entry IN ${placeholders(bySeq.size)} AND ev.kind = 'mirrorback' ORDER BY m.seq`
  ).all(...bySeq.keys())
  for (const r of rows) {
    bySeq.get(r.entry)?.mirrorbacks.push({
      id: r.id,
      seq: r.seq,
      time: r.time,
      text: r.text,
      themes: JSON.parse(r.themes) as string[],
      engine: JSON.parse(r.engine) as MirrorbackRow['engine']
    })
  }
}

/** Every entry, oldest first, with its mirrorbacks (for the readable export). */
export function allEntries(db: Database): TimelineEntry[] {
  const entries = prepared<[], RawEntry>(db, `SELECT ${ENTRY_COLUMNS} FROM entries e ORDER BY e.time, e.seq`)
    .all()
    .map((r) => ({ ...toEntry(r), snippet: null, score: null, mirrorbacks: [] as MirrorbackRow[] }))
  for (let i = 0; i < entries.length; i += 500) attachMirrorbacks(db, entries.slice(i, i + 500))
  return entries
}

/* ---------- identity graph ---------- */

export interface GraphNode {
  id: string
  kind: NodeKind
  label: string
  dimension: 'mind' | 'heart' | 'body' | null
  /** Sum of contributions: mentions of a theme or mood, a facet's level / 5, a tension's intensity. */
  weight: number
  first: number | null
  last: number | null
  /** Tensions: open or resolved. */
  status: string | null
}

export interface GraphEdge {
  source: string
  target: string
  kind: EdgeKind
  weight: number
  /** How many entries, facets or tensions make this edge. */
  count: number
  first: number
  last: number
}

export interface IdentityGraph {
  nodes: GraphNode[]
  edges: GraphEdge[]
}

export function identityGraph(db: Database, options: { dimension?: 'mind' | 'heart' | 'body' } = {}): IdentityGraph {
  const labels = new Map(
    prepared<[], { node: string; label: string; status: string | null }>(
      db,
      'SELECT node, label, status FROM graph_labels'
    )
      .all()
      .map((r) => [r.node, r])
  )
  // Weights are stored in millionths (exact sums); people read them as decimals.
  const nodeRows = prepared<[], { node: string; weight: number; first: number; last: number }>(
    db,
    'SELECT node, weight / 1e6 AS weight, first, last FROM graph_nodes ORDER BY node'
  ).all()
  const edgeRows = prepared<[], GraphEdge>(
    db,
    `SELECT source, target, kind, weight / 1e6 AS weight, count, first, last FROM graph_edges
       ORDER BY source, target, kind`
  ).all()
  const self = labels.get(SELF)
  const nodes: GraphNode[] = [
    {
      id: SELF,
      kind: 'self',
      label: self?.label ?? 'me',
      dimension: null,
      weight: 1,
      first: null,
      last: null,
      status: null
    }
  ]
  for (const r of nodeRows) {
    if (r.node === SELF) continue
    const described = describeNode(r.node)
    const known = labels.get(r.node)
    nodes.push({
      id: r.node,
      kind: described.kind,
      label: known?.label ?? described.label,
      dimension: described.dimension,
      weight: round(r.weight),
      first: r.first,
      last: r.last,
      status: known?.status ?? null
    })
  }
  let edges = edgeRows.map((e) => ({ ...e, weight: round(e.weight) }))
  let kept = nodes
  if (options.dimension) {
    const dimension = options.dimension
    const dimensionId = `dimension:${dimension}`
    const keep = new Set<string>([SELF, dimensionId])
    for (const n of nodes) if (n.dimension === dimension) keep.add(n.id)
    for (const e of edges) {
      if (e.kind !== 'in-dimension') continue
      if (e.target === dimensionId) keep.add(e.source)
    }
    kept = nodes.filter((n) => keep.has(n.id))
    edges = edges.filter((e) => keep.has(e.source) && keep.has(e.target))
  }
  return { nodes: kept, edges }
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6
}

/* ---------- patterns ---------- */

export interface PatternCount {
  key: string
  count: number
}

export interface PatternBucket {
  bucket: string
  /** First millisecond of the bucket, UTC. */
  start: number
  themes: PatternCount[]
  emotions: PatternCount[]
}

export interface PatternPair {
  a: string
  b: string
  count: number
}

export interface TensionLoop {
  id: string
  name: string
  loops: number
  status: 'open' | 'resolved'
  intensity: number
}

export interface PatternsReport {
  window: PatternWindow
  /** Newest first. */
  buckets: PatternBucket[]
  /** All-time totals, most frequent first. */
  themes: PatternCount[]
  emotions: PatternCount[]
  /** Themes and moods named in the same entry, most frequent first; ids are `theme:x` and `emotion:y`. */
  pairs: PatternPair[]
  /** Tensions that came back after going quiet or being resolved. */
  loops: TensionLoop[]
}

export function patterns(
  db: Database,
  options: { window?: PatternWindow; buckets?: number; top?: number } = {}
): PatternsReport {
  const window = options.window ?? 'week'
  if (!WINDOWS.includes(window)) throw CosmicError.INVALID_INPUT(`--window must be week or month (got "${window}")`)
  const bucketLimit = options.buckets ?? 12
  const top = options.top ?? 10
  const recent = prepared<[string, number], { bucket: string }>(
    db,
    'SELECT DISTINCT bucket FROM pattern_buckets WHERE window = ? ORDER BY bucket DESC LIMIT ?'
  )
    .all(window, bucketLimit)
    .map((r) => r.bucket)
  const counts = prepared<[string, string, string], PatternCount>(
    db,
    'SELECT key, count FROM pattern_buckets WHERE window = ? AND bucket = ? AND kind = ? ORDER BY count DESC, key'
  )
  const buckets = recent.map((bucket) => ({
    bucket,
    start: bucketStart(window, bucket),
    themes: counts.all(window, bucket, 'theme'),
    emotions: counts.all(window, bucket, 'emotion')
  }))
  // Every mention is in exactly one month: the month buckets add up to the all-time totals.
  const totals = prepared<[string, number], PatternCount>(
    db,
    `SELECT key, sum(count) AS count FROM pattern_buckets WHERE window = 'month' AND kind = ?
     GROUP BY key ORDER BY count DESC, key LIMIT ?`
  )
  const pairs = prepared<[number], PatternPair>(
    db,
    'SELECT a, b, count FROM pattern_pairs ORDER BY count DESC, a, b LIMIT ?'
  ).all(top)
  const loops = prepared<[], TensionLoop>(
    db,
    'SELECT id, name, loops, status, intensity FROM tensions WHERE loops > 0 ORDER BY loops DESC, id'
  ).all()
  return {
    window,
    buckets,
    themes: totals.all('theme', top),
    emotions: totals.all('emotion', top),
    pairs,
    loops
  }
}

/** All-time counts of every theme and mood (evolution compares two of these). */
export function mentionTotals(db: Database): { themes: Record<string, number>; emotions: Record<string, number> } {
  const rows = prepared<[], { kind: MentionKind; key: string; count: number }>(
    db,
    `SELECT kind, key, sum(count) AS count FROM pattern_buckets WHERE window = 'month'
       GROUP BY kind, key ORDER BY kind, key`
  ).all()
  const out = { themes: {} as Record<string, number>, emotions: {} as Record<string, number> }
  for (const r of rows) (r.kind === 'theme' ? out.themes : out.emotions)[r.key] = r.count
  return out
}
