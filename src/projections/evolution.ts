import type { Database } from './projection.js'
import {
  type GraphEdge,
  type GraphNode,
  type IdentityGraph,
  identityGraph,
  listTensions,
  mentionTotals,
  type TensionRow
} from './queries.js'

/**
 * Evolution is a diff of two states of the read model, not a projection of its own:
 * a read model as of `from` and one as of `to` (each rebuilt from the log, see
 * src/store/replay.ts) are each summarised into a Snapshot, and `diffSnapshots`
 * compares them. Rebuilding is what makes removals visible: a facet removed, an entry
 * retracted or a tension resolved between the two times leaves no row in today's
 * tables to date it by, but it is there in the earlier state and gone in the later.
 */
export interface Snapshot {
  /** The time this state is as of (ms), or null for "now". */
  at: number | null
  /** Events the state was built from. */
  events: number
  graph: IdentityGraph
  tensions: TensionRow[]
  themes: Record<string, number>
  emotions: Record<string, number>
}

export function snapshot(db: Database, at: number | null, events: number): Snapshot {
  const totals = mentionTotals(db)
  return {
    at,
    events,
    graph: identityGraph(db),
    tensions: listTensions(db, { includeResolved: true }),
    themes: totals.themes,
    emotions: totals.emotions
  }
}

export interface NodeChange {
  id: string
  kind: GraphNode['kind']
  label: string
}

export interface EdgeChange {
  source: string
  target: string
  kind: GraphEdge['kind']
  before: number
  after: number
}

export type TensionChangeKind = 'new' | 'resolved' | 'returned' | 'shifted' | 'unchanged'

export interface TensionChange {
  id: string
  name: string
  change: TensionChangeKind
  before: { intensity: number; status: string; loops: number } | null
  after: { intensity: number; status: string; loops: number }
  /** after.intensity - before.intensity (after.intensity for a new tension). */
  delta: number
}

export interface FrequencyChange {
  key: string
  before: number
  after: number
  delta: number
}

export interface Evolution {
  from: number | null
  to: number | null
  events: { before: number; after: number }
  graph: {
    nodesAdded: NodeChange[]
    nodesRemoved: NodeChange[]
    edgesAdded: EdgeChange[]
    edgesRemoved: EdgeChange[]
    /** Edges in both states whose weight changed, largest change first. */
    edgesChanged: EdgeChange[]
  }
  tensions: TensionChange[]
  themes: FrequencyChange[]
  emotions: FrequencyChange[]
  /** One line per notable change, for people and for an `evolution.noted` event. */
  summary: string[]
}

const edgeKey = (e: { source: string; target: string; kind: string }) => `${e.source}\u0000${e.target}\u0000${e.kind}`

export function diffSnapshots(before: Snapshot, after: Snapshot, options: { maxChanged?: number } = {}): Evolution {
  const beforeNodes = new Map(before.graph.nodes.map((n) => [n.id, n]))
  const afterNodes = new Map(after.graph.nodes.map((n) => [n.id, n]))
  const nodeChange = (n: GraphNode): NodeChange => ({ id: n.id, kind: n.kind, label: n.label })
  const nodesAdded = after.graph.nodes.filter((n) => !beforeNodes.has(n.id)).map(nodeChange)
  const nodesRemoved = before.graph.nodes.filter((n) => !afterNodes.has(n.id)).map(nodeChange)

  const beforeEdges = new Map(before.graph.edges.map((e) => [edgeKey(e), e]))
  const afterEdges = new Map(after.graph.edges.map((e) => [edgeKey(e), e]))
  const edgesAdded: EdgeChange[] = []
  const edgesChanged: EdgeChange[] = []
  for (const [key, e] of afterEdges) {
    const old = beforeEdges.get(key)
    const change = { source: e.source, target: e.target, kind: e.kind, before: old?.weight ?? 0, after: e.weight }
    if (!old) edgesAdded.push(change)
    else if (old.weight !== e.weight) edgesChanged.push(change)
  }
  const edgesRemoved: EdgeChange[] = []
  for (const [key, e] of beforeEdges) {
    if (!afterEdges.has(key))
      edgesRemoved.push({ source: e.source, target: e.target, kind: e.kind, before: e.weight, after: 0 })
  }
  edgesChanged.sort(
    (a, b) => Math.abs(b.after - b.before) - Math.abs(a.after - a.before) || edgeKey(a).localeCompare(edgeKey(b))
  )

  const oldTensions = new Map(before.tensions.map((t) => [t.id, t]))
  const tensions: TensionChange[] = after.tensions.map((t) => {
    const old = oldTensions.get(t.id)
    const state = (x: TensionRow) => ({ intensity: x.intensity, status: x.status, loops: x.loops })
    let change: TensionChangeKind
    if (!old) change = 'new'
    else if (t.loops > old.loops || (old.status === 'resolved' && t.status === 'open')) change = 'returned'
    else if (old.status === 'open' && t.status === 'resolved') change = 'resolved'
    else if (old.intensity !== t.intensity || old.toward !== t.toward) change = 'shifted'
    else change = 'unchanged'
    return {
      id: t.id,
      name: t.name,
      change,
      before: old ? state(old) : null,
      after: state(t),
      delta: round(t.intensity - (old?.intensity ?? 0))
    }
  })
  const order: Record<TensionChangeKind, number> = { returned: 0, new: 1, resolved: 2, shifted: 3, unchanged: 4 }
  tensions.sort(
    (a, b) => order[a.change] - order[b.change] || Math.abs(b.delta) - Math.abs(a.delta) || a.id.localeCompare(b.id)
  )

  const themes = frequencyChanges(before.themes, after.themes)
  const emotions = frequencyChanges(before.emotions, after.emotions)
  const maxChanged = options.maxChanged ?? 20

  const evolution: Evolution = {
    from: before.at,
    to: after.at,
    events: { before: before.events, after: after.events },
    graph: { nodesAdded, nodesRemoved, edgesAdded, edgesRemoved, edgesChanged: edgesChanged.slice(0, maxChanged) },
    tensions,
    themes,
    emotions,
    summary: []
  }
  evolution.summary = summarize(evolution)
  return evolution
}

function frequencyChanges(before: Record<string, number>, after: Record<string, number>): FrequencyChange[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)])
  const out: FrequencyChange[] = []
  for (const key of keys) {
    const b = before[key] ?? 0
    const a = after[key] ?? 0
    if (a !== b) out.push({ key, before: b, after: a, delta: a - b })
  }
  return out.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || x.key.localeCompare(y.key))
}

function summarize(e: Evolution): string[] {
  const lines: string[] = []
  const labels = (nodes: NodeChange[]) =>
    nodes
      .filter((n) => n.kind !== 'dimension')
      .slice(0, 8)
      .map((n) => `${n.kind} ${n.label}`)
      .join(', ')
  const newEvents = e.events.after - e.events.before
  lines.push(`${newEvents} event${newEvents === 1 ? '' : 's'} in between`)
  if (e.graph.nodesAdded.length) lines.push(`new in the graph: ${labels(e.graph.nodesAdded)}`)
  if (e.graph.nodesRemoved.length) lines.push(`gone from the graph: ${labels(e.graph.nodesRemoved)}`)
  for (const t of e.tensions) {
    if (t.change === 'unchanged') continue
    const from = t.before ? t.before.intensity.toFixed(2) : null
    const to = t.after.intensity.toFixed(2)
    if (t.change === 'new') lines.push(`tension ${t.name}: new, at ${to}`)
    else if (t.change === 'resolved') lines.push(`tension ${t.name}: resolved`)
    else if (t.change === 'returned')
      lines.push(`tension ${t.name}: returned (${from} -> ${to}, loops ${t.after.loops})`)
    else lines.push(`tension ${t.name}: ${from} -> ${to}`)
  }
  const rising = e.themes.filter((f) => f.delta > 0).slice(0, 5)
  if (rising.length) lines.push(`themes named more: ${rising.map((f) => `${f.key} +${f.delta}`).join(', ')}`)
  const fading = e.themes.filter((f) => f.delta < 0).slice(0, 5)
  if (fading.length) lines.push(`themes forgotten: ${fading.map((f) => `${f.key} ${f.delta}`).join(', ')}`)
  const felt = e.emotions.filter((f) => f.delta > 0).slice(0, 5)
  if (felt.length) lines.push(`moods: ${felt.map((f) => `${f.key} +${f.delta}`).join(', ')}`)
  return lines
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6
}
