import type { Facet } from '../events/profile.js'
import type { Dimension } from '../events/schemas.js'
import type { Database, ProjectedEvent, Projection } from './projection.js'

/**
 * The identity graph. Nodes are the self, profile facets (values, skills, interests,
 * projects, seeking, people, emotions, body facets), themes (tags), tensions, their
 * domains and the three dimensions; edges are weighted and time-stamped.
 *
 * Every node and edge is made of contributions keyed by their origin: an entry id, a
 * profile facet or a tension (`graph_node_refs`, `graph_edge_refs`; `graph_origins`
 * lists what each origin contributed). `graph_nodes` and `graph_edges` hold the sums
 * (weight, how many origins, first and last time), kept in step on every change so a
 * query reads a few hundred rows, not every contribution. Retracting an entry or
 * removing a facet takes exactly its origin's contributions back out, so forgotten
 * and removed things stop counting. Weights are stored in millionths, as integers:
 * sums that go up and down stay exact, and a rebuild gives the same rows as
 * incremental application, bit for bit.
 */
export const graphProjection: Projection = {
  name: 'graph',
  version: 2,
  tables: ['graph_labels', 'graph_origins', 'graph_node_refs', 'graph_edge_refs', 'graph_nodes', 'graph_edges'],
  schema: `
    CREATE TABLE graph_labels (node TEXT PRIMARY KEY, label TEXT NOT NULL, status TEXT, seq INTEGER NOT NULL);
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
  bind(db: Database) {
    const setLabel = db.prepare(
      `INSERT INTO graph_labels (node, label, status, seq) VALUES (?, ?, ?, ?)
       ON CONFLICT (node) DO UPDATE SET label = excluded.label, status = excluded.status, seq = excluded.seq
       WHERE excluded.seq > graph_labels.seq`
    )
    const setStatus = db.prepare('UPDATE graph_labels SET status = ?, seq = ? WHERE node = ? AND seq < ?')
    const origins = {
      get: db.prepare<[string], { refs: string }>('SELECT refs FROM graph_origins WHERE origin = ?'),
      put: db.prepare('INSERT OR REPLACE INTO graph_origins (origin, refs) VALUES (?, ?)'),
      drop: db.prepare('DELETE FROM graph_origins WHERE origin = ?')
    }
    const nodes = ledger(db, 'graph_node_refs', 'graph_nodes', ['node'])
    const edges = ledger(db, 'graph_edge_refs', 'graph_edges', ['source', 'target', 'kind'])

    /**
     * Makes `origin` contribute exactly `c` as of `time`: what it said before and no
     * longer says is taken out, what it says again keeps its first time.
     */
    const contribute = (origin: string, c: Contribution, time: number) => {
      const before = origins.get.get(origin)
      const old: { nodes: string[]; edges: [string, string, string][] } = before
        ? (JSON.parse(before.refs) as { nodes: string[]; edges: [string, string, string][] })
        : { nodes: [], edges: [] }
      for (const id of old.nodes) if (!c.nodes.has(id)) nodes.remove([id], origin)
      for (const e of old.edges) if (!c.edges.has(e.join('\t'))) edges.remove(e, origin)
      for (const [id, weight] of c.nodes) nodes.put([id], origin, micro(weight), time, before !== undefined)
      for (const [source, target, kind, weight] of c.edges.values()) {
        edges.put([source, target, kind], origin, micro(weight), time, before !== undefined)
      }
      const refs = { nodes: [...c.nodes.keys()], edges: [...c.edges.values()].map(([s, t, k]) => [s, t, k]) }
      if (refs.nodes.length === 0 && refs.edges.length === 0) origins.drop.run(origin)
      else origins.put.run(origin, JSON.stringify(refs))
    }
    const forget = (origin: string) => contribute(origin, new Contribution(), 0)

    return (event: ProjectedEvent) => {
      if (event.redacted) return
      switch (event.type) {
        case 'identity.created':
        case 'identity.renamed':
          setLabel.run(SELF, event.body.name, null, event.seq)
          return
        case 'reflection.recorded': {
          const b = event.body
          const c = new Contribution()
          const themes = [...new Set(b.tags)].sort().map(themeNode)
          const mood = b.mood ? emotionNode(b.mood) : null
          const dimension = b.dimension ? dimensionNode(b.dimension) : null
          for (const theme of themes) {
            c.node(theme, 1)
            c.edge(SELF, theme, 'mentions', 1)
          }
          for (let i = 0; i < themes.length; i++) {
            for (let j = i + 1; j < themes.length; j++) c.edge(themes[i]!, themes[j]!, 'co-occurs', 1)
          }
          if (mood) {
            c.node(mood, 1)
            c.edge(SELF, mood, 'felt', 1)
            for (const theme of themes) c.edge(theme, mood, 'felt-with', 1)
          }
          if (dimension && (themes.length > 0 || mood)) {
            c.node(dimension, 1)
            for (const theme of themes) c.edge(theme, dimension, 'in-dimension', 1)
            if (mood) c.edge(mood, dimension, 'in-dimension', 1)
          }
          contribute(event.id, c, event.time)
          return
        }
        case 'reflection.retracted':
          forget(event.body.ref)
          return
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
          if (origins.get.get(id)) return // a second note of the same id does not replace the first
          setLabel.run(id, b.name, 'open', event.seq)
          contribute(id, tensionContribution(id, domainNode(b.domain), b.intensity), event.time)
          return
        }
        case 'tension.shifted': {
          const id = tensionNode(event.body.id)
          const domain = tensionDomain(origins.get.get(id)?.refs)
          if (domain === null) return
          contribute(id, tensionContribution(id, domain, event.body.intensity), event.time)
          setStatus.run('open', event.seq, id, event.seq)
          return
        }
        case 'tension.resolved': {
          const id = tensionNode(event.body.id)
          if (!origins.get.get(id)) return
          setStatus.run('resolved', event.seq, id, event.seq)
          return
        }
        default:
          return
      }
    }
  }
}

/** What one origin says: its nodes and edges with their weights, at one time. */
class Contribution {
  readonly nodes = new Map<string, number>()
  readonly edges = new Map<string, [string, string, EdgeKind, number]>()
  node(id: string, weight: number): void {
    this.nodes.set(id, weight)
  }
  edge(a: string, b: string, kind: EdgeKind, weight: number): void {
    // Co-occurrence is undirected: stored once, in a canonical order.
    const [source, target] = kind === 'co-occurs' && b < a ? [b, a] : [a, b]
    this.edges.set(`${source}\t${target}\t${kind}`, [source, target, kind, weight])
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
function tensionDomain(refs: string | undefined): string | null {
  if (!refs) return null
  const { nodes } = JSON.parse(refs) as { nodes: string[] }
  return nodes.find((n) => n.startsWith('domain:')) ?? null
}

/** Weights in millionths: integers add and subtract exactly. */
function micro(weight: number): number {
  return Math.round(weight * 1_000_000)
}

/**
 * Contributions to one kind of aggregate (nodes or edges): the per-origin rows and
 * the sums, kept in step. `key` columns name the aggregate (node, or source, target, kind).
 */
function ledger(db: Database, refs: string, sums: string, key: readonly string[]) {
  const keyCols = key.join(', ')
  const keyMatch = key.map((k) => `${k} = ?`).join(' AND ')
  const keyParams = key.map(() => '?').join(', ')
  const getRef = db.prepare<unknown[], { weight: number; first: number; last: number }>(
    `SELECT weight, first, last FROM ${refs} WHERE ${keyMatch} AND origin = ?`
  )
  const insertRef = db.prepare(
    `INSERT INTO ${refs} (${keyCols}, origin, weight, first, last) VALUES (${keyParams}, ?, ?, ?, ?)`
  )
  const updateRef = db.prepare(`UPDATE ${refs} SET weight = ?, last = ? WHERE ${keyMatch} AND origin = ?`)
  const deleteRef = db.prepare(`DELETE FROM ${refs} WHERE ${keyMatch} AND origin = ?`)
  const add = db.prepare(
    `INSERT INTO ${sums} (${keyCols}, weight, count, first, last) VALUES (${keyParams}, ?, 1, ?, ?)
     ON CONFLICT (${keyCols}) DO UPDATE SET weight = weight + excluded.weight, count = count + 1,
       first = min(first, excluded.first), last = max(last, excluded.last)`
  )
  const change = db.prepare(`UPDATE ${sums} SET weight = weight + ?, last = max(last, ?) WHERE ${keyMatch}`)
  const subtract = db.prepare(`UPDATE ${sums} SET weight = weight - ?, count = count - 1 WHERE ${keyMatch}`)
  const dropEmpty = db.prepare(`DELETE FROM ${sums} WHERE ${keyMatch} AND count <= 0`)
  // Only after a contribution leaves: the remaining ones decide the first and last time.
  const retime = db.prepare(
    `UPDATE ${sums} SET first = (SELECT min(first) FROM ${refs} WHERE ${keyMatch}),
       last = (SELECT max(last) FROM ${refs} WHERE ${keyMatch}) WHERE ${keyMatch}`
  )
  return {
    put(k: readonly string[], origin: string, weight: number, time: number, mayExist: boolean): void {
      const old = mayExist ? getRef.get(...k, origin) : undefined
      if (!old) {
        insertRef.run(...k, origin, weight, time, time)
        add.run(...k, weight, time, time)
        return
      }
      updateRef.run(weight, time, ...k, origin)
      change.run(weight - old.weight, time, ...k)
    },
    remove(k: readonly string[], origin: string): void {
      const old = getRef.get(...k, origin)
      if (!old) return
      deleteRef.run(...k, origin)
      subtract.run(old.weight, ...k)
      if (dropEmpty.run(...k).changes === 0) retime.run(...k, ...k, ...k)
    }
  }
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
