/** The shapes the API answers with (docs/api.md; the same JSON as `cosmic … --json`). */

export type Dimension = 'mind' | 'heart' | 'body'
export type Privacy = 'private' | 'shareable'

export interface EventJson {
  id: string
  seq: number
  time: number
  type: string
  privacy: Privacy
  body: unknown
}

export interface Mirrorback {
  id: string
  seq: number
  time: number
  text: string
  themes: string[]
  engine: { kind: string; model: string }
}

export interface Entry {
  id: string
  seq: number
  time: number
  text: string
  mood: string | null
  dimension: Dimension | null
  sealed: boolean
  privacy: Privacy
  amendments: number
  amendedTime: number | null
  tags: string[]
  snippet: string | null
  mirrorbacks: Mirrorback[]
}

export interface TensionMoment {
  id: string
  name: string
  poles: [string, string]
  domain: string
  kind: 'noted' | 'shifted' | 'resolved'
  intensity: number
  toward: string | null
}

export type TimelineItem =
  | { kind: 'entry'; type: string; seq: number; time: number; entry: Entry }
  | { kind: 'tension'; type: string; seq: number; time: number; tension: TensionMoment }

export interface TimelinePage {
  items: TimelineItem[]
  next: string | null
  until: number | null
  search: string | null
}

export interface Tension {
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
  privacy: Privacy
}

export interface TensionPoint {
  seq: number
  time: number
  kind: 'noted' | 'shifted' | 'resolved'
  intensity: number
  toward: string | null
}

export interface TensionDetail {
  until: number | null
  tension: Tension
  series: TensionPoint[]
  loops: number
}

export interface GraphNode {
  id: string
  kind: string
  label: string
  dimension: Dimension | null
  weight: number
  first: number | null
  last: number | null
  status: string | null
}

export interface GraphEdge {
  source: string
  target: string
  kind: string
  weight: number
  count: number
  first: number
  last: number
}

export interface IdentityGraph {
  nodes: GraphNode[]
  edges: GraphEdge[]
}

export interface Count {
  key: string
  count: number
}

export interface PatternsReport {
  until: number | null
  window: 'week' | 'month'
  buckets: { bucket: string; start: number; themes: Count[]; emotions: Count[] }[]
  themes: Count[]
  emotions: Count[]
  pairs: { a: string; b: string; count: number }[]
  loops: { id: string; name: string; loops: number; status: string; intensity: number }[]
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
  summary: string[]
  themes: FrequencyChange[]
  emotions: FrequencyChange[]
  tensions: {
    id: string
    name: string
    change: string
    delta: number
    after: { intensity: number; status: string }
  }[]
  graph: {
    nodesAdded: { id: string; kind: string; label: string }[]
    nodesRemoved: { id: string; kind: string; label: string }[]
  }
}

export interface AuditReport {
  ok: boolean
  length: number
  verified: number
  redacted: number
  tree: { ok: boolean; treeHash: string | null; reason?: string }
  firstFailure: { seq: number | null; code: string; reason: string } | null
}

export interface Status {
  home: string
  author: string
  name: string | null
  events: number
  lastEvent: number | null
  entries: number
  openTensions: number
  facets: number
  redacted: number
}

export interface ConfigView {
  settings: {
    mode: 'local' | 'hybrid' | 'cloud'
    engine: 'builtin' | 'local_llm' | 'remote_llm'
    sync: boolean
    modelPath: string | null
    remoteUrl: string | null
    remoteModel: string | null
    contextTokens: number
    maxTokens: number
  }
  recorded: string[]
  warnings: string[]
  apiKey: string
}

export interface ReplayAsOf {
  mode: 'as-of'
  until: number
  events: number
  entries: number
  openTensions: number
  facets: number
  lastEvent: number | null
}

export interface SphereSummary {
  key: string
  name: string
  role: 'creator' | 'member'
  joined: number
  members: number
  items: number
  writable: boolean
  openInvites: number
  /** The newest key (epoch) of the sphere this device holds: 0 until it is first rotated. */
  epoch: number
  /** When that key was rotated in (ms), null for epoch 0. */
  rotated: number | null
  /** This device holds the newest key and waits for a member to admit it. */
  pending: boolean
  /** The sphere moved to a new key without this home. */
  leftBehind: boolean
  /** Why this device could not follow the newest key, if it could not. */
  keyProblem: string | null
}

/** What removing a member answers: they are out, and the sphere moved to a key they never get. */
export interface SphereRemoval {
  removed: string
  epoch: number
  members: number
}

export interface SphereInvite {
  sphere: string
  code: string
  id: string
  expires: number
  online: boolean
}

export interface SphereMember {
  member: string
  name: string
  admin: boolean
  writers: string[]
  since: number
  addedBy: string
}

export interface SphereMembers {
  sphere: string
  name: string
  epoch: number
  rotated: number | null
  pending: boolean
  leftBehind: boolean
  members: SphereMember[]
  rejected: unknown[]
}

export interface NamedCount {
  name: string
  count: number
}

export type FeedBody =
  | { text: string; tags: string[]; mood?: string; dimension?: Dimension; written: number }
  | { from: number; to: number; entries: number; themes: NamedCount[]; emotions: NamedCount[] }
  | { text: string; replyTo?: string }

export interface FeedItem {
  id: string
  /** The key (epoch) of the sphere it was shared under. */
  epoch: number
  author: string
  authorName: string
  seq: number
  time: number
  type: 'sphere.entry.shared' | 'sphere.summary.shared' | 'sphere.post'
  body: FeedBody
}

export interface ShareRow {
  id: string
  seq: number
  time: number
  sphere: string
  source: string
  kind: 'entry' | 'facet' | 'summary' | 'other'
  item: string | null
  summary: string | null
  retractedSeq: number | null
  retractedTime: number | null
}

export interface PeersView {
  online: boolean
  peers: { peer: string; topics: string[]; initiator: boolean; since: number }[]
}

/** A facet of the whole-human profile (GET /api/profile). */
export interface ProfileFacet {
  dimension: Dimension
  facet: string
  key: string
  value: string | null
  level: number | null
  privacy: Privacy
  time: number
}

export type MatchComponent = 'interests' | 'skills' | 'values' | 'semantic'
export type ComponentValues = Record<MatchComponent, number>

export interface MatchFacetRef {
  kind: 'skill' | 'interest' | 'value' | 'seeking' | 'project'
  label: string
  level?: number
}

/** One reason two profiles met (docs/matching.md). */
export interface MatchedItem {
  component: MatchComponent
  term: string
  mine: MatchFacetRef
  theirs: MatchFacetRef
  raw: number
  weight: number
  contribution: number
}

export interface MatchResult {
  kind: 'member' | 'project'
  member: string
  name?: string
  project?: string
  score: number
  components: ComponentValues
  items: MatchedItem[]
}

export interface MatchModel {
  base: ComponentValues
  adjustments: ComponentValues
  weights: ComponentValues
  bias: number
  events: number
  helpful: number
  notHelpful: number
}

export interface MatchesView {
  sphere: string
  name: string
  for: { member: string; name: string }
  profiles: number
  weights: ComponentValues
  feedback: number
  results: MatchResult[]
  model?: MatchModel
}

export interface FeedbackAnswer {
  id: string
  member: string
  name: string
  helpful: boolean
  feedback: number
  weights: ComponentValues
}
