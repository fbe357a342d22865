import type { Facet } from '../events/profile.js'
import type { Dimension } from '../events/schemas.js'
import type { Database, ProjectedEvent, Projection } from './projection.js'

/**
 * The identity graph. Nodes are the self, profile facets (values, skills, interests,
 * projects, seeking, people, emotions, body facets), themes (tags), tensions, their
 * domains and the three dimensions; edges are weighted and time-stamped.
 *
 * Every node and edge is stored as contributions keyed by their origin: an entry id,
 * a profile facet or a tension. A node's weight is the sum of its contributions, an
 * edge's too, and its first and last times the earliest and latest of them.
 * Retracting an entry or removing a facet deletes its origin's contributions, so
 * forgotten and removed things stop counting without a counter to keep in step, and
 * a rebuild gives the same rows as incremental application.
 */
export const graphProjection: Projection = {
  name: 'graph',
  version: 1,
  tables: ['graph_labels', 'graph_node_refs', 'graph_edge_refs'],
  schema: `
    CREATE TABLE graph_labels (node TEXT PRIMARY KEY, label TEXT NOT NULL, status TEXT, seq INTEGER NOT NULL);
    CREATE TABLE graph_node_refs (
      origin TEXT NOT NULL, node TEXT NOT NULL, weight REAL NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,
      PRIMARY KEY (origin, node)
    );
    CREATE INDEX graph_node_refs_node ON graph_node_refs(node, first);
    CREATE TABLE graph_edge_refs (
      origin TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL, kind TEXT NOT NULL,
      weight REAL NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,
      PRIMARY KEY (origin, source, target, kind)
    );
    CREATE INDEX graph_edge_refs_pair ON graph_edge_refs(source, target, kind);
  `,
  bind(db: Database) {
    const setLabel = db.prepare(
      `INSERT INTO graph_labels (node, label, status, seq) VALUES (?, ?, ?, ?)
       ON CONFLICT (node) DO UPDATE SET label = excluded.label, status = excluded.status, seq = excluded.seq
       WHERE excluded.seq > graph_labels.seq`
    )
    const setStatus = db.prepare('UPDATE graph_labels SET status = ?, seq = ? WHERE node = ? AND seq < ?')
    // Upserts keep the first time and move the last one: a facet set again is the same node, said again.
    const nodeRef = db.prepare(
      `INSERT INTO graph_node_refs (origin, node, weight, first, last) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (origin, node) DO UPDATE SET weight = excluded.weight, last = excluded.last`
    )
    const edgeRef = db.prepare(
      `INSERT INTO graph_edge_refs (origin, source, target, kind, weight, first, last) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (origin, source, target, kind) DO UPDATE SET weight = excluded.weight, last = excluded.last`
    )
    const hasOrigin = db.prepare('SELECT 1 FROM graph_node_refs WHERE origin = ? LIMIT 1')
    const touchNodes = db.prepare('UPDATE graph_node_refs SET last = ? WHERE origin = ?')
    const weighNode = db.prepare('UPDATE graph_node_refs SET weight = ? WHERE origin = ? AND node = ?')
    const weighEdges = db.prepare('UPDATE graph_edge_refs SET weight = ?, last = ? WHERE origin = ?')
    const dropNodes = db.prepare('DELETE FROM graph_node_refs WHERE origin = ?')
    const dropEdges = db.prepare('DELETE FROM graph_edge_refs WHERE origin = ?')

    const node = (origin: string, id: string, weight: number, time: number) => {
      nodeRef.run(origin, id, weight, time, time)
    }
    const edge = (origin: string, a: string, b: string, kind: EdgeKind, weight: number, time: number) => {
      // Co-occurrence is undirected: stored once, in a canonical order.
      const [source, target] = kind === 'co-occurs' && b < a ? [b, a] : [a, b]
      edgeRef.run(origin, source, target, kind, weight, time, time)
    }
    const forget = (origin: string) => {
      dropNodes.run(origin)
      dropEdges.run(origin)
    }

    return (event: ProjectedEvent) => {
      if (event.redacted) return
      switch (event.type) {
        case 'identity.created':
        case 'identity.renamed':
          setLabel.run(SELF, event.body.name, null, event.seq)
          return
        case 'reflection.recorded': {
          const b = event.body
          const origin = event.id
          const t = event.time
          const themes = [...new Set(b.tags)].sort().map(themeNode)
          const mood = b.mood ? emotionNode(b.mood) : null
          const dimension = b.dimension ? dimensionNode(b.dimension) : null
          for (const theme of themes) {
            node(origin, theme, 1, t)
            edge(origin, SELF, theme, 'mentions', 1, t)
          }
          for (let i = 0; i < themes.length; i++) {
            for (let j = i + 1; j < themes.length; j++) edge(origin, themes[i]!, themes[j]!, 'co-occurs', 1, t)
          }
          if (mood) {
            node(origin, mood, 1, t)
            edge(origin, SELF, mood, 'felt', 1, t)
            for (const theme of themes) edge(origin, theme, mood, 'felt-with', 1, t)
          }
          if (dimension) {
            node(origin, dimension, 1, t)
            for (const theme of themes) edge(origin, theme, dimension, 'in-dimension', 1, t)
            if (mood) edge(origin, mood, dimension, 'in-dimension', 1, t)
          }
          return
        }
        case 'reflection.retracted':
          forget(event.body.ref)
          return
        case 'profile.set': {
          const b = event.body
          const origin = facetOrigin(b.dimension, b.facet, b.key)
          const id = facetNode(b.facet, b.key)
          const weight = b.level ? b.level / 5 : 1
          node(origin, id, weight, event.time)
          node(origin, dimensionNode(b.dimension), 1, event.time)
          edge(origin, SELF, id, FACET_EDGES[b.facet], weight, event.time)
          edge(origin, id, dimensionNode(b.dimension), 'in-dimension', 1, event.time)
          return
        }
        case 'profile.removed':
          forget(facetOrigin(event.body.dimension, event.body.facet, event.body.key))
          return
        case 'tension.noted': {
          const b = event.body
          const id = tensionNode(b.id)
          if (hasOrigin.get(id)) return // a second note of the same id does not replace the first
          setLabel.run(id, b.name, 'open', event.seq)
          node(id, id, b.intensity, event.time)
          node(id, domainNode(b.domain), 1, event.time)
          edge(id, SELF, id, 'lives', b.intensity, event.time)
          edge(id, id, domainNode(b.domain), 'in-domain', b.intensity, event.time)
          return
        }
        case 'tension.shifted': {
          const id = tensionNode(event.body.id)
          if (!hasOrigin.get(id)) return
          touchNodes.run(event.time, id)
          weighNode.run(event.body.intensity, id, id)
          weighEdges.run(event.body.intensity, event.time, id)
          setStatus.run('open', event.seq, id, event.seq)
          return
        }
        case 'tension.resolved': {
          const id = tensionNode(event.body.id)
          if (!hasOrigin.get(id)) return
          touchNodes.run(event.time, id)
          setStatus.run('resolved', event.seq, id, event.seq)
          return
        }
        default:
          return
      }
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
