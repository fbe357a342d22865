import type { Facet } from '../events/profile.js'
import type { Dimension } from '../events/schemas.js'
import { entryRowLookup } from './entry-rows.js'
import type { BatchFold, Database, ProjectedEvent, Projection } from './projection.js'

/**
 * The identity graph. Nodes are the self, profile facets (values, skills, interests,
 * projects, seeking, people, emotions, body facets), themes (tags), tensions, their
 * domains and the three dimensions; edges are weighted and time-stamped.
 *
 * `graph_nodes` and `graph_edges` hold the sums a query reads: weight, how many origins
 * make it (`count`), the first and last time of them. Two kinds of origin feed them:
 *
 * - An entry (its tags, mood and dimension, each contributing weight 1 at the entry's
 *   time) is one compact row of `graph_entries`, keyed by its seq; everything the entry
 *   adds follows from that row, so retraction takes exactly that back out.
 * - A profile facet or a tension has per-origin contributions (`graph_node_refs`,
 *   `graph_edge_refs`; `graph_origins` lists what each origin contributed), since a
 *   facet set again or a shifted tension replaces its weight.
 *
 * During a batch the sums are added up in memory per node and edge and written once
 * each at its end (the hot aggregates stay in the page cache). Taking a contribution
 * out subtracts exactly, drops what no origin makes any more, and recomputes the first
 * and last time from what remains (the entries' rows and the refs). Weights are stored
 * in millionths, as integers: sums that go up and down stay exact, and a rebuild gives
 * the same rows as incremental application, bit for bit, whatever the batches.
 */
export const graphProjection: Projection = {
  name: 'graph',
  version: 4,
  tables: [
    'graph_labels',
    'graph_entries',
    'graph_origins',
    'graph_node_refs',
    'graph_edge_refs',
    'graph_nodes',
    'graph_edges'
  ],
  schema: `
    CREATE TABLE graph_labels (node TEXT PRIMARY KEY, label TEXT NOT NULL, status TEXT, seq INTEGER NOT NULL);
    CREATE TABLE graph_entries (
      seq INTEGER PRIMARY KEY, id TEXT NOT NULL, time INTEGER NOT NULL, themes TEXT NOT NULL, mood TEXT, dimension TEXT
    );
    CREATE INDEX graph_entries_mood ON graph_entries(mood, dimension);
    CREATE TABLE graph_origins (origin TEXT PRIMARY KEY, refs TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE graph_node_refs (
      node TEXT NOT NULL, origin TEXT NOT NULL, weight INTEGER NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,
      PRIMARY KEY (node, origin)
    ) WITHOUT ROWID;
    CREATE TABLE graph_edge_refs (
      source TEXT NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL, origin TEXT NOT NULL,
      weight INTEGER NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,
      PRIMARY KEY (source, target, kind, origin)
    ) WITHOUT ROWID;
    CREATE TABLE graph_nodes (
      node TEXT PRIMARY KEY, weight INTEGER NOT NULL, count INTEGER NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE graph_edges (
      source TEXT NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL,
      weight INTEGER NOT NULL, count INTEGER NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,
      PRIMARY KEY (source, target, kind)
    ) WITHOUT ROWID;
  `,
  bind(db: Database): BatchFold {
    const setLabel = db.prepare(
      `INSERT INTO graph_labels (node, label, status, seq) VALUES (?, ?, ?, ?)
       ON CONFLICT (node) DO UPDATE SET label = excluded.label, status = excluded.status, seq = excluded.seq
       WHERE excluded.seq > graph_labels.seq`
    )
    const setStatus = db.prepare('UPDATE graph_labels SET status = ?, seq = ? WHERE node = ? AND seq < ?')
    const origins = new Origins(db)
    const insertEntry = db.prepare(
      'INSERT INTO graph_entries (seq, id, time, themes, mood, dimension) VALUES (?, ?, ?, ?, ?, ?)'
    )
    const deleteEntry = db.prepare('DELETE FROM graph_entries WHERE seq = ?')
    const findEntry = entryRowLookup<EntryRow>(db, 'graph_entries', 'seq, id, time, themes, mood, dimension')
    const sums = new Sums(db)
    const nodes = ledger(db, 'graph_node_refs', ['node'], (k) => sums.node(k[0] as string))
    const edges = ledger(db, 'graph_edge_refs', ['source', 'target', 'kind'], (k) =>
      sums.edge(k[0] as string, k[1] as string, k[2] as EdgeKind)
    )

    /**
     * Makes `origin` (a facet or a tension) contribute exactly `c` as of `time`: what it
     * said before and no longer says is taken out, what it says again keeps its first time.
     */
    const contribute = (origin: string, c: Contribution, time: number) => {
      const before = origins.get(origin)
      const old = before ?? { nodes: [], edges: [] }
      for (const id of old.nodes) if (!c.nodes.has(id)) nodes.remove([id], origin)
      for (const e of old.edges) if (!c.edges.has(e.join('\t'))) edges.remove(e, origin)
      for (const [id, weight] of c.nodes) nodes.put([id], origin, micro(weight), time, before !== null)
      for (const [source, target, kind, weight] of c.edges.values()) {
        edges.put([source, target, kind], origin, micro(weight), time, before !== null)
      }
      const refs: OriginRefs = {
        nodes: [...c.nodes.keys()],
        edges: [...c.edges.values()].map(([s, t, k]) => [s, t, k])
      }
      origins.set(origin, refs.nodes.length === 0 && refs.edges.length === 0 ? null : refs)
    }
    const forget = (origin: string) => contribute(origin, new Contribution(), 0)

    const step = (event: ProjectedEvent) => {
      if (event.redacted) return
      switch (event.type) {
        case 'identity.created':
        case 'identity.renamed':
          setLabel.run(SELF, event.body.name, null, event.seq)
          return
        case 'reflection.recorded': {
          const b = event.body
          const themes = b.tags.length > 1 ? [...new Set(b.tags)].sort() : b.tags
          const mood = b.mood ? b.mood.trim().toLowerCase() : null
          if (themes.length === 0 && mood === null) return // it adds nothing to the graph
          const dimension = b.dimension ?? null
          const joined = themes.join(' ')
          insertEntry.run(event.seq, event.id, event.time, joined, mood, dimension)
          sums.entry(sums.entryDeltas(themes, joined, mood, dimension), event.time, 1)
          return
        }
        case 'reflection.retracted': {
          const row = findEntry(event.body)
          if (row) {
            deleteEntry.run(row.seq)
            const themes = row.themes ? row.themes.split(' ') : []
            sums.entry(sums.entryDeltas(themes, row.themes, row.mood, row.dimension), row.time, -1)
          }
          return
        }
        case 'profile.set': {
          const b = event.body
          const id = facetNode(b.facet, b.key)
          const weight = b.level ? b.level / 5 : 1
          const c = new Contribution()
          c.node(id, weight)
          c.node(dimensionNode(b.dimension), 1)
          c.edge(SELF, id, FACET_EDGES[b.facet], weight)
          c.edge(id, dimensionNode(b.dimension), 'in-dimension', 1)
          contribute(facetOrigin(b.dimension, b.facet, b.key), c, event.time)
          return
        }
        case 'profile.removed':
          forget(facetOrigin(event.body.dimension, event.body.facet, event.body.key))
          return
        case 'tension.noted': {
          const b = event.body
          const id = tensionNode(b.id)
          if (origins.get(id)) return // a second note of the same id does not replace the first
          setLabel.run(id, b.name, 'open', event.seq)
          contribute(id, tensionContribution(id, domainNode(b.domain), b.intensity), event.time)
          return
        }
        case 'tension.shifted': {
          const id = tensionNode(event.body.id)
          const domain = tensionDomain(origins.get(id))
          if (domain === null) return
          contribute(id, tensionContribution(id, domain, event.body.intensity), event.time)
          setStatus.run('open', event.seq, id, event.seq)
          return
        }
        case 'tension.resolved': {
          const id = tensionNode(event.body.id)
          if (!origins.get(id)) return
          setStatus.run('resolved', event.seq, id, event.seq)
          return
        }
        default:
          return
      }
    }
    return {
      step,
      flush(held) {
        // The refs first: the sums' first and last times are recomputed from them. The sums
        // only add up, so with more batches to come in the transaction they wait (an ingest's
        // batches of 1,000 touched ~600 edges each, upserted again in every batch).
        nodes.flush()
        edges.flush()
        origins.flush()
        if (!held) sums.flush()
      },
      discard() {
        nodes.discard()
        edges.discard()
        origins.discard()
        sums.discard()
      }
    }
  }
}

interface EntryRow {
  seq: number
  id: string
  time: number
  themes: string
  mood: string | null
  dimension: string | null
}

/** One weight, in millionths. */
const MICRO = 1_000_000

const THEME = 'theme:'
const EMOTION = 'emotion:'
const DIMENSION = 'dimension:'
/**
 * Node ids of entries' themes, moods and dimensions, made once: the same string each time
 * (its hash kept), where a new one per entry was hashed again at every lookup of the sums.
 */
const nodeIds = new Map<string, Map<string, string>>([
  [THEME, new Map()],
  [EMOTION, new Map()],
  [DIMENSION, new Map()]
])

function nodeId(prefix: string, key: string): string {
  const known = nodeIds.get(prefix) as Map<string, string>
  let id = known.get(key)
  if (id === undefined) {
    if (known.size >= 100_000) known.clear() // a bound, not a working set: a person's vocabulary is smaller
    id = prefix + key
    known.set(key, id)
  }
  return id
}

/**
 * What an entry adds to the graph, as calls of `to` (a node, or an edge's source, target
 * and kind): its themes (sorted, without repeats), its mood (lower-cased) and its
 * dimension (only when it has a theme or a mood). Each weighs 1 at the entry's time.
 */
function entryContribution(
  themes: readonly string[],
  mood: string | null,
  dimension: string | null,
  to: (source: string, target?: string, kind?: EdgeKind) => void
): void {
  const themeIds = themes.map((tag) => nodeId(THEME, tag))
  const moodId = mood === null ? null : nodeId(EMOTION, mood)
  const dimensionId = dimension && (themeIds.length > 0 || moodId) ? nodeId(DIMENSION, dimension) : null
  for (let i = 0; i < themeIds.length; i++) {
    const theme = themeIds[i] as string
    to(theme)
    to(SELF, theme, 'mentions')
    // Co-occurrence is undirected: stored once, in a canonical order (themes are sorted).
    for (let j = i + 1; j < themeIds.length; j++) to(theme, themeIds[j] as string, 'co-occurs')
    if (moodId) to(theme, moodId, 'felt-with')
    if (dimensionId) to(theme, dimensionId, 'in-dimension')
  }
  if (moodId) {
    to(moodId)
    to(SELF, moodId, 'felt')
    if (dimensionId) to(moodId, dimensionId, 'in-dimension')
  }
  if (dimensionId) to(dimensionId)
}

interface Delta {
  weight: number
  count: number
  /** Earliest and latest time added (null: none added). */
  first: number | null
  last: number | null
  /** Earliest first and latest last time of what was taken out (null: nothing). */
  removedFirst: number | null
  removedLast: number | null
}

interface EdgeDelta extends Delta {
  source: string
  target: string
  kind: EdgeKind
}

function emptyDelta(): Delta {
  return { weight: 0, count: 0, first: null, last: null, removedFirst: null, removedLast: null }
}

/**
 * The sums (`graph_nodes`, `graph_edges`), changed in memory during a batch and
 * written at its end: one upsert per node or edge touched, however many events did.
 * Edges are kept by source, then target, then kind (no key strings to build).
 */
class Sums {
  private readonly nodes = new Map<string, Delta>()
  private readonly edges = new Map<string, Map<string, Map<EdgeKind, EdgeDelta>>>()
  /** The batch's deltas of each combination of an entry's themes, mood and dimension (entryDeltas). */
  private readonly combinations = new Map<string, Delta[]>()
  private readonly upsertNode
  private readonly upsertEdge
  private readonly getNode
  private readonly getEdge
  private readonly dropNode
  private readonly dropEdge
  private readonly timeNode
  private readonly timeEdge
  private readonly nodeRefTimes
  private readonly edgeRefTimes
  private readonly entryTimes = new Map<
    string,
    { first: { get(...p: unknown[]): unknown }; last: { get(...p: unknown[]): unknown } }
  >()

  constructor(private readonly db: Database) {
    const merge = `weight = weight + excluded.weight, count = count + excluded.count,
      first = min(first, excluded.first), last = max(last, excluded.last)`
    this.upsertNode = db.prepare(
      `INSERT INTO graph_nodes (node, weight, count, first, last) VALUES (?, ?, ?, ?, ?) ON CONFLICT (node) DO UPDATE SET ${merge}`
    )
    this.upsertEdge = db.prepare(
      `INSERT INTO graph_edges (source, target, kind, weight, count, first, last) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (source, target, kind) DO UPDATE SET ${merge}`
    )
    this.getNode = db.prepare<[string], SumRow>('SELECT count, first, last FROM graph_nodes WHERE node = ?')
    this.getEdge = db.prepare<[string, string, string], SumRow>(
      'SELECT count, first, last FROM graph_edges WHERE source = ? AND target = ? AND kind = ?'
    )
    this.dropNode = db.prepare('DELETE FROM graph_nodes WHERE node = ?')
    this.dropEdge = db.prepare('DELETE FROM graph_edges WHERE source = ? AND target = ? AND kind = ?')
    this.timeNode = db.prepare('UPDATE graph_nodes SET first = ?, last = ? WHERE node = ?')
    this.timeEdge = db.prepare(
      'UPDATE graph_edges SET first = ?, last = ? WHERE source = ? AND target = ? AND kind = ?'
    )
    this.nodeRefTimes = db.prepare<[string], Bounds>(
      'SELECT min(first) AS first, max(last) AS last FROM graph_node_refs WHERE node = ?'
    )
    this.edgeRefTimes = db.prepare<[string, string, string], Bounds>(
      'SELECT min(first) AS first, max(last) AS last FROM graph_edge_refs WHERE source = ? AND target = ? AND kind = ?'
    )
  }

  node(id: string): Delta {
    let d = this.nodes.get(id)
    if (!d) {
      d = emptyDelta()
      this.nodes.set(id, d)
    }
    return d
  }

  edge(source: string, target: string, kind: EdgeKind): Delta {
    let byTarget = this.edges.get(source)
    if (!byTarget) {
      byTarget = new Map()
      this.edges.set(source, byTarget)
    }
    let byKind = byTarget.get(target)
    if (!byKind) {
      byKind = new Map()
      byTarget.set(target, byKind)
    }
    let d = byKind.get(kind)
    if (!d) {
      d = { ...emptyDelta(), source, target, kind }
      byKind.set(kind, d)
    }
    return d
  }

  /**
   * The deltas an entry with these themes (sorted, without repeats; `joined` with spaces),
   * mood and dimension adds to, as entryContribution names them: found once per batch for
   * each combination. A person's entries repeat few of them (the million-event fixture:
   * 1,239 in 708,509 entries, about 1,000 in a batch of 8,192 events), so most entries
   * skip the map lookups of their nodes and edges.
   */
  entryDeltas(themes: readonly string[], joined: string, mood: string | null, dimension: string | null): Delta[] {
    // Unambiguous: a dimension is a word, tags hold no whitespace, the mood comes last.
    const key = `${dimension ?? ''}\n${joined}\n${mood ?? ''}`
    let deltas = this.combinations.get(key)
    if (!deltas) {
      const found: Delta[] = []
      entryContribution(themes, mood, dimension, (source, target, kind) => {
        found.push(target === undefined ? this.node(source) : this.edge(source, target, kind as EdgeKind))
      })
      deltas = found
      this.combinations.set(key, deltas)
    }
    return deltas
  }

  /** An entry at `time` added (+1) or taken out (-1): each weighs 1 on what it makes. */
  entry(deltas: readonly Delta[], time: number, by: 1 | -1): void {
    const weight = by * MICRO
    for (let i = 0; i < deltas.length; i++) {
      const d = deltas[i] as Delta
      d.weight += weight
      d.count += by
      if (by === 1) added(d, time, time)
      else removed(d, time, time)
    }
  }

  flush(): void {
    for (const [id, d] of this.nodes) {
      if (d.count !== 0 || d.weight !== 0 || d.first !== null || d.last !== null) {
        this.upsertNode.run(id, d.weight, d.count, d.first ?? NO_FIRST, d.last ?? NO_LAST)
      }
    }
    for (const d of this.edgeDeltas()) {
      if (d.count !== 0 || d.weight !== 0 || d.first !== null || d.last !== null) {
        this.upsertEdge.run(d.source, d.target, d.kind, d.weight, d.count, d.first ?? NO_FIRST, d.last ?? NO_LAST)
      }
    }
    for (const [id, d] of this.nodes) {
      if (d.removedFirst === null) continue
      const row = this.getNode.get(id)
      if (!row) continue
      if (row.count <= 0) this.dropNode.run(id)
      else if (needsRetime(d, row)) {
        const t = this.bounds(this.nodeRefTimes.get(id), nodeCondition(id))
        this.timeNode.run(t.first, t.last, id)
      }
    }
    for (const d of this.edgeDeltas()) {
      if (d.removedFirst === null) continue
      const row = this.getEdge.get(d.source, d.target, d.kind)
      if (!row) continue
      if (row.count <= 0) this.dropEdge.run(d.source, d.target, d.kind)
      else if (needsRetime(d, row)) {
        const refs = this.edgeRefTimes.get(d.source, d.target, d.kind)
        const t = this.bounds(refs, edgeCondition(d.source, d.target, d.kind))
        this.timeEdge.run(t.first, t.last, d.source, d.target, d.kind)
      }
    }
    this.discard()
  }

  discard(): void {
    this.nodes.clear()
    this.edges.clear()
    this.combinations.clear()
  }

  private *edgeDeltas(): Generator<EdgeDelta> {
    for (const byTarget of this.edges.values()) {
      for (const byKind of byTarget.values()) yield* byKind.values()
    }
  }

  /** The earliest and latest time over the refs and the entries that still make a node or edge. */
  private bounds(refs: Bounds | undefined, condition: Condition | null): { first: number; last: number } {
    let first = refs?.first ?? null
    let last = refs?.last ?? null
    for (const alternative of condition ?? []) {
      const statements = this.entryStatements(alternative.sql)
      const earliest = statements.first.get(...alternative.params) as { time: number } | undefined
      const latest = statements.last.get(...alternative.params) as { time: number } | undefined
      if (earliest) first = first === null ? earliest.time : Math.min(first, earliest.time)
      if (latest) last = last === null ? latest.time : Math.max(last, latest.time)
    }
    if (first === null || last === null) throw new Error('graph: a node or edge with origins but no times')
    return { first, last }
  }

  /** Entries in log order, which is time order: the first match is the earliest, the last the latest. */
  private entryStatements(sql: string) {
    let s = this.entryTimes.get(sql)
    if (!s) {
      s = {
        first: this.db.prepare(`SELECT time FROM graph_entries WHERE ${sql} ORDER BY seq LIMIT 1`),
        last: this.db.prepare(`SELECT time FROM graph_entries WHERE ${sql} ORDER BY seq DESC LIMIT 1`)
      }
      this.entryTimes.set(sql, s)
    }
    return s
  }
}

interface SumRow {
  count: number
  first: number
  last: number
}

/**
 * Stand-ins for "no time added" in an upsert (min and max leave the stored times as they
 * are; NOT NULL is checked before the conflict is). They never stay in a row: only a
 * change to an existing node or edge lacks a time.
 */
const NO_FIRST = Number.MAX_SAFE_INTEGER
const NO_LAST = -1

interface Bounds {
  first: number | null
  last: number | null
}

function added(d: Delta, first: number, last: number): void {
  if (d.first === null || first < d.first) d.first = first
  if (d.last === null || last > d.last) d.last = last
}

function removed(d: Delta, first: number, last: number): void {
  if (d.removedFirst === null || first < d.removedFirst) d.removedFirst = first
  if (d.removedLast === null || last > d.removedLast) d.removedLast = last
}

/**
 * Whether the first or last time may have been one of the contributions taken out.
 * Every contribution's times are those of its own events, so no two share one: when what
 * left came strictly after the first and strictly before the last, both stay as they are.
 */
function needsRetime(d: Delta, row: SumRow): boolean {
  return (d.removedFirst as number) <= row.first || (d.removedLast as number) >= row.last
}

/**
 * Which entries (rows of graph_entries) make a node or an edge, as SQL: the rows matching
 * any of the alternatives; null when no entry can. Moods are found through their index (a
 * mood by each dimension, so that the rows come in log order); dimensions and themes by a
 * scan in log order, from the start for the first time and from the end for the last, which
 * stops at the first row that matches: only a retraction or a facet removed needs it, and
 * every entry with a dimension makes its node, so the nearest one is near. An index on the
 * dimension cost every entry one more insert (~0.7 µs an event) to spare those scans.
 */
type Condition = { sql: string; params: (string | null)[] }[]

const HAS_THEME = "instr(' ' || themes || ' ', ?) > 0"
const DIMENSIONS: readonly (Dimension | null)[] = [null, 'mind', 'heart', 'body']

/** Entries with this mood, one alternative per dimension (each one index range in log order). */
function withMood(mood: string): Condition {
  return DIMENSIONS.map((d) => ({ sql: 'mood = ? AND dimension IS ?', params: [mood, d] }))
}

function themeOf(id: string): string | null {
  return id.startsWith('theme:') ? ` ${id.slice('theme:'.length)} ` : null
}

function moodOf(id: string): string | null {
  return id.startsWith('emotion:') ? id.slice('emotion:'.length) : null
}

function dimensionOf(id: string): string | null {
  return id.startsWith('dimension:') ? id.slice('dimension:'.length) : null
}

function nodeCondition(id: string): Condition | null {
  const theme = themeOf(id)
  if (theme !== null) return [{ sql: HAS_THEME, params: [theme] }]
  const mood = moodOf(id)
  if (mood !== null) return withMood(mood)
  const dimension = dimensionOf(id)
  if (dimension !== null) return [{ sql: 'dimension = ?', params: [dimension] }]
  return null
}

function edgeCondition(source: string, target: string, kind: EdgeKind): Condition | null {
  switch (kind) {
    case 'mentions':
    case 'felt':
      return source === SELF ? nodeCondition(target) : null
    case 'co-occurs': {
      const a = themeOf(source)
      const b = themeOf(target)
      return a !== null && b !== null ? [{ sql: `${HAS_THEME} AND ${HAS_THEME}`, params: [a, b] }] : null
    }
    case 'felt-with': {
      const theme = themeOf(source)
      const mood = moodOf(target)
      return theme !== null && mood !== null
        ? DIMENSIONS.map((d) => ({ sql: `mood = ? AND dimension IS ? AND ${HAS_THEME}`, params: [mood, d, theme] }))
        : null
    }
    case 'in-dimension': {
      const dimension = dimensionOf(target)
      if (dimension === null) return null
      const theme = themeOf(source)
      if (theme !== null) return [{ sql: `dimension = ? AND ${HAS_THEME}`, params: [dimension, theme] }]
      const mood = moodOf(source)
      if (mood !== null) return [{ sql: 'mood = ? AND dimension = ?', params: [mood, dimension] }]
      return null
    }
    default:
      return null
  }
}

/** What a facet or a tension says: its nodes and edges with their weights, at one time. */
class Contribution {
  readonly nodes = new Map<string, number>()
  readonly edges = new Map<string, [string, string, EdgeKind, number]>()
  node(id: string, weight: number): void {
    this.nodes.set(id, weight)
  }
  edge(a: string, b: string, kind: EdgeKind, weight: number): void {
    this.edges.set(`${a}\t${b}\t${kind}`, [a, b, kind, weight])
  }
}

function tensionContribution(id: string, domainId: string, intensity: number): Contribution {
  const c = new Contribution()
  c.node(id, intensity)
  c.node(domainId, 1)
  c.edge(SELF, id, 'lives', intensity)
  c.edge(id, domainId, 'in-domain', intensity)
  return c
}

/** The domain node a tension's contribution names (its refs list it), or null for an unknown tension. */
function tensionDomain(refs: OriginRefs | null): string | null {
  if (!refs) return null
  return refs.nodes.find((n) => n.startsWith('domain:')) ?? null
}

/** What one origin (a facet or a tension) contributes to: its nodes and edges. */
interface OriginRefs {
  nodes: string[]
  edges: [string, string, string][]
}

/**
 * `graph_origins`, read through a cache for the batch and written once per origin at its
 * end: a tension shifted or a facet set a thousand times in a batch reads and writes its
 * row once, not each time. Only this projection writes the table, so the cache is what
 * the table would hold.
 */
class Origins {
  private readonly cache = new Map<string, OriginRefs | null>()
  private readonly dirty = new Set<string>()
  private readonly read
  private readonly put
  private readonly drop

  constructor(db: Database) {
    this.read = db.prepare<[string], { refs: string }>('SELECT refs FROM graph_origins WHERE origin = ?')
    this.put = db.prepare('INSERT OR REPLACE INTO graph_origins (origin, refs) VALUES (?, ?)')
    this.drop = db.prepare('DELETE FROM graph_origins WHERE origin = ?')
  }

  get(origin: string): OriginRefs | null {
    let refs = this.cache.get(origin)
    if (refs === undefined) {
      const row = this.read.get(origin)
      refs = row ? (JSON.parse(row.refs) as OriginRefs) : null
      this.cache.set(origin, refs)
    }
    return refs
  }

  /** What the origin contributes to now (null: nothing, the row goes). */
  set(origin: string, refs: OriginRefs | null): void {
    this.cache.set(origin, refs)
    this.dirty.add(origin)
  }

  flush(): void {
    for (const origin of this.dirty) {
      const refs = this.cache.get(origin) ?? null
      if (refs) this.put.run(origin, JSON.stringify(refs))
      else this.drop.run(origin)
    }
    this.discard()
  }

  discard(): void {
    this.cache.clear()
    this.dirty.clear()
  }
}

/** Weights in millionths: integers add and subtract exactly. */
function micro(weight: number): number {
  return Math.round(weight * MICRO)
}

/**
 * Per-origin contributions of facets and tensions to one kind of sum (nodes or edges).
 * `key` columns name the sum (node, or source, target, kind); `sum` gives its delta.
 * Rows are read through a cache for the batch and written once each at its end (`flush`),
 * like `Origins`.
 */
function ledger(db: Database, refs: string, key: readonly string[], sum: (k: readonly string[]) => Delta) {
  const keyCols = key.join(', ')
  const keyMatch = key.map((k) => `${k} = ?`).join(' AND ')
  const keyParams = key.map(() => '?').join(', ')
  const getRef = db.prepare<unknown[], RefRow>(
    `SELECT weight, first, last FROM ${refs} WHERE ${keyMatch} AND origin = ?`
  )
  const putRef = db.prepare(
    `INSERT OR REPLACE INTO ${refs} (${keyCols}, origin, weight, first, last) VALUES (${keyParams}, ?, ?, ?, ?)`
  )
  const deleteRef = db.prepare(`DELETE FROM ${refs} WHERE ${keyMatch} AND origin = ?`)
  /** The batch's rows by key and origin: what the table holds for them now (null: no row). */
  const cache = new Map<string, { k: readonly string[]; origin: string; row: RefRow | null; dirty: boolean }>()
  const entry = (k: readonly string[], origin: string, mayExist: boolean) => {
    const id = `${k.join('\0')}\0${origin}`
    let e = cache.get(id)
    if (!e) {
      e = { k, origin, row: (mayExist ? getRef.get(...k, origin) : undefined) ?? null, dirty: false }
      cache.set(id, e)
    }
    return e
  }
  return {
    put(k: readonly string[], origin: string, weight: number, time: number, mayExist: boolean): void {
      const e = entry(k, origin, mayExist)
      const old = e.row
      const d = sum(k)
      e.dirty = true
      if (!old) {
        e.row = { weight, first: time, last: time }
        d.weight += weight
        d.count += 1
        added(d, time, time)
        return
      }
      e.row = { weight, first: old.first, last: time }
      d.weight += weight - old.weight
      if (d.last === null || time > d.last) d.last = time
    },
    remove(k: readonly string[], origin: string): void {
      const e = entry(k, origin, true)
      const old = e.row
      if (!old) return
      e.row = null
      e.dirty = true
      // The remaining contributions decide the first and last time (at the end of the batch).
      const d = sum(k)
      d.weight -= old.weight
      d.count -= 1
      removed(d, old.first, old.last)
    },
    flush(): void {
      for (const e of cache.values()) {
        if (!e.dirty) continue
        if (e.row) putRef.run(...e.k, e.origin, e.row.weight, e.row.first, e.row.last)
        else deleteRef.run(...e.k, e.origin)
      }
      cache.clear()
    },
    discard(): void {
      cache.clear()
    }
  }
}

interface RefRow {
  weight: number
  first: number
  last: number
}

export const SELF = 'self'

export type NodeKind =
  | 'self'
  | 'skill'
  | 'interest'
  | 'project'
  | 'seeking'
  | 'value'
  | 'emotion'
  | 'person'
  | 'body'
  | 'theme'
  | 'tension'
  | 'domain'
  | 'dimension'

export type EdgeKind =
  | 'mentions'
  | 'co-occurs'
  | 'felt'
  | 'felt-with'
  | 'in-dimension'
  | 'in-domain'
  | 'lives'
  | 'has-skill'
  | 'interested-in'
  | 'works-on'
  | 'seeks'
  | 'values'
  | 'feels'
  | 'relates-to'
  | 'body'

const FACET_EDGES: Record<Facet, EdgeKind> = {
  skill: 'has-skill',
  interest: 'interested-in',
  project: 'works-on',
  seeking: 'seeks',
  value: 'values',
  emotion: 'feels',
  relationship: 'relates-to',
  health: 'body',
  activity: 'body',
  presence: 'body'
}

/** Node ids are `kind:key`, readable in JSON and DOT output; moods and emotion facets share `emotion:`. */
export function themeNode(tag: string): string {
  return `theme:${tag}`
}

export function emotionNode(mood: string): string {
  return `emotion:${mood.trim().toLowerCase()}`
}

export function dimensionNode(dimension: Dimension): string {
  return `dimension:${dimension}`
}

export function tensionNode(id: string): string {
  return `tension:${id}`
}

export function domainNode(domain: string): string {
  return `domain:${domain.trim().toLowerCase()}`
}

function facetNode(facet: string, key: string): string {
  if (facet === 'emotion') return emotionNode(key)
  if (facet === 'relationship') return `person:${key}`
  if (facet === 'health' || facet === 'activity' || facet === 'presence') return `body:${facet}/${key}`
  return `${facet}:${key}`
}

function facetOrigin(dimension: string, facet: string, key: string): string {
  return `profile:${dimension}/${facet}/${key}`
}

const KIND_DIMENSION: Partial<Record<NodeKind, Dimension>> = {
  skill: 'mind',
  interest: 'mind',
  project: 'mind',
  seeking: 'mind',
  value: 'heart',
  emotion: 'heart',
  person: 'heart',
  body: 'body'
}

/** What a node id says about itself: its kind, a label and the dimension it belongs to, if any. */
export function describeNode(id: string): { kind: NodeKind; label: string; dimension: Dimension | null } {
  if (id === SELF) return { kind: 'self', label: 'me', dimension: null }
  const colon = id.indexOf(':')
  const kind = id.slice(0, colon) as NodeKind
  const key = id.slice(colon + 1)
  if (kind === 'dimension') return { kind, label: key, dimension: key as Dimension }
  return { kind, label: key, dimension: KIND_DIMENSION[kind] ?? null }
}
