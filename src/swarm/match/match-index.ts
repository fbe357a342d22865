import { CosmicError } from '../../errors.js'
import {
  DEFAULT_SKILL_LEVEL,
  type MemberProfile,
  type NormalizedProfile,
  normalizeProfile,
  type ProjectEntry
} from './profile.js'
import {
  bestSimilarity,
  compareResults,
  DEFAULT_MIN_SIMILARITY,
  explainMember,
  explainProject,
  idf,
  type MatchResult,
  resolveWeights,
  resultOf,
  type SemanticInputs,
  type SphereStats,
  skillRaw,
  type Weights
} from './score.js'
import type { ProfileEmbeddings } from './semantic.js'
import { type Candidate, TopK } from './top-k.js'
import { DEFAULT_VOCABULARY, type Vocabulary } from './vocabulary.js'

export interface MatchOptions {
  /** How many results, 1 to 1000; 10 when not given. */
  readonly limit?: number
  /** Weights per component; missing ones take DEFAULT_WEIGHTS. A FeedbackModel's weights() re-rank. */
  readonly weights?: Partial<Weights>
  /** Which results: members, projects, or both (the default). */
  readonly kinds?: readonly ('member' | 'project')[]
  /** The cosine below which a project description does not count as similar (semantic hook only). */
  readonly minSimilarity?: number
}

export interface MatchIndexOptions {
  readonly vocabulary?: Vocabulary
}

/** A member's postings in one role: member slots, and for skills the level in the same position. */
interface Posting {
  readonly slots: number[]
  readonly levels: number[]
}

interface MemberEntry {
  readonly profile: NormalizedProfile
  readonly projects: readonly number[]
  readonly semantic: SemanticInputs['mine']
}

interface ProjectSlot {
  readonly owner: number
  readonly entry: ProjectEntry
  readonly key: string
  readonly vector: Float32Array | undefined
}

interface Query {
  readonly slot: number
  readonly me: NormalizedProfile
  readonly semantic: SemanticInputs['mine']
  readonly weights: Weights
  readonly limit: number
  readonly minSimilarity: number
  readonly members: boolean
  readonly projects: boolean
}

const MAX_LIMIT = 1000

function checkEmbeddings(embeddings: ProfileEmbeddings): void {
  for (const [what, vectors] of [
    ['labels', embeddings.labels],
    ['projects', embeddings.projects]
  ] as const) {
    if (!(vectors instanceof Map)) throw CosmicError.INVALID_INPUT(`embeddings: ${what} must be a Map`)
    for (const [label, vector] of vectors) {
      if (!(vector instanceof Float32Array)) {
        throw CosmicError.INVALID_INPUT(`embeddings: ${what} "${label}" is not a Float32Array`)
      }
    }
  }
}

function post(map: Map<string, Posting>, term: string): Posting {
  let posting = map.get(term)
  if (!posting) {
    posting = { slots: [], levels: [] }
    map.set(term, posting)
  }
  return posting
}

/** Removes one slot from a posting (order is not kept: scores never depend on it). */
function unpost(map: Map<string, Posting>, term: string, slot: number): void {
  const posting = map.get(term)
  if (!posting) return
  const i = posting.slots.indexOf(slot)
  if (i < 0) return
  const last = posting.slots.length - 1
  posting.slots[i] = posting.slots[last] as number
  posting.slots.pop()
  if (posting.levels.length > 0) {
    posting.levels[i] = posting.levels[last] as number
    posting.levels.pop()
  }
  if (posting.slots.length === 0) map.delete(term)
}

/**
 * The match index of one sphere: inverted postings from each normalised term to the
 * members (and projects) that hold it, per role (interest, skill with its level,
 * seeking, value, project term). A query scores only the members that share at least
 * one term with the person asking, accumulating contributions term by term into a
 * reused array, and keeps the best in a bounded heap; explanations are built for
 * the kept results alone.
 *
 * Everything is in memory and derived: the sphere view feeds it with `upsert` and
 * `remove`, and can rebuild it from its members' profiles at any time.
 */
export class MatchIndex {
  readonly vocabulary: Vocabulary
  private readonly slots: (MemberEntry | undefined)[] = []
  private readonly slotOf = new Map<string, number>()
  private readonly freeSlots: number[] = []
  private readonly interests = new Map<string, Posting>()
  private readonly skills = new Map<string, Posting>()
  private readonly seeking = new Map<string, Posting>()
  private readonly values = new Map<string, Posting>()
  private readonly projects: (ProjectSlot | undefined)[] = []
  private readonly freeProjects: number[] = []
  private readonly projectTerms = new Map<string, number[]>()
  private projectTotal = 0
  private embeddedProjects = 0
  // Scratch space for queries, indexed by slot; an entry is current when its mark equals the epoch.
  private memberScore = new Float64Array(0)
  private memberTouched = new Int32Array(0)
  private projectScore = new Float64Array(0)
  private projectMark = new Uint32Array(0)
  private epoch = 0
  private readonly stats: SphereStats

  constructor(options: MatchIndexOptions = {}) {
    this.vocabulary = options.vocabulary ?? DEFAULT_VOCABULARY
    this.stats = {
      interestIdf: (term) => idf(this.interests.get(term)?.slots.length ?? 0, this.slotOf.size),
      valueIdf: (term) => idf(this.values.get(term)?.slots.length ?? 0, this.slotOf.size)
    }
  }

  /** Members in the index. */
  get size(): number {
    return this.slotOf.size
  }

  /** Projects in the index, across all members. */
  get projectCount(): number {
    return this.projectTotal
  }

  has(member: string): boolean {
    return this.slotOf.has(member)
  }

  /** A member's profile as the index holds it (normalised), or undefined. */
  profile(member: string): NormalizedProfile | undefined {
    const slot = this.slotOf.get(member)
    return slot === undefined ? undefined : this.slots[slot]?.profile
  }

  /**
   * Adds a member's shared profile, or replaces the one held: a facet no longer listed
   * stops matching. Refuses a malformed profile (INVALID_INPUT) and leaves the index
   * as it was. `embeddings` (from `embedProfile`) feed the semantic component.
   */
  upsert(profile: MemberProfile, embeddings?: ProfileEmbeddings): void {
    const normalized = normalizeProfile(profile, this.vocabulary)
    if (embeddings) checkEmbeddings(embeddings)
    this.remove(normalized.member)
    const slot = this.freeSlots.pop() ?? this.slots.length
    this.grow(slot + 1)
    for (const t of normalized.interests) post(this.interests, t.term).slots.push(slot)
    for (const t of normalized.seeking) post(this.seeking, t.term).slots.push(slot)
    for (const t of normalized.values) post(this.values, t.term).slots.push(slot)
    for (const t of normalized.skills) {
      const posting = post(this.skills, t.term)
      posting.slots.push(slot)
      posting.levels.push(t.level)
    }
    const projects: number[] = []
    for (const entry of normalized.projects) {
      const id = this.freeProjects.pop() ?? this.projects.length
      const vector = embeddings?.projects.get(entry.label)
      this.projects[id] = { owner: slot, entry, key: `${normalized.member}\u0000${entry.label}`, vector }
      if (vector) this.embeddedProjects++
      for (const term of entry.terms) {
        let posting = this.projectTerms.get(term)
        if (!posting) {
          posting = []
          this.projectTerms.set(term, posting)
        }
        posting.push(id)
      }
      projects.push(id)
    }
    this.projectTotal += projects.length
    this.growProjects(this.projects.length)
    const semantic: SemanticInputs['mine'][number][] = []
    if (embeddings) {
      for (const [kind, terms] of [
        ['interest', normalized.interests],
        ['seeking', normalized.seeking]
      ] as const) {
        for (const term of terms) {
          const vector = embeddings.labels.get(term.label)
          if (vector) semantic.push({ kind, term, vector })
        }
      }
    }
    this.slots[slot] = { profile: normalized, projects, semantic }
    this.slotOf.set(normalized.member, slot)
  }

  /** Takes a member (who left the sphere) and their projects out; false if they were not in. */
  remove(member: string): boolean {
    const slot = this.slotOf.get(member)
    if (slot === undefined) return false
    const entry = this.slots[slot] as MemberEntry
    const p = entry.profile
    for (const t of p.interests) unpost(this.interests, t.term, slot)
    for (const t of p.seeking) unpost(this.seeking, t.term, slot)
    for (const t of p.values) unpost(this.values, t.term, slot)
    for (const t of p.skills) unpost(this.skills, t.term, slot)
    for (const id of entry.projects) {
      const project = this.projects[id] as ProjectSlot
      for (const term of project.entry.terms) {
        const posting = this.projectTerms.get(term)
        if (!posting) continue
        const i = posting.indexOf(id)
        if (i >= 0) {
          posting[i] = posting[posting.length - 1] as number
          posting.pop()
        }
        if (posting.length === 0) this.projectTerms.delete(term)
      }
      if (project.vector) this.embeddedProjects--
      this.projects[id] = undefined
      this.freeProjects.push(id)
    }
    this.projectTotal -= entry.projects.length
    this.slots[slot] = undefined
    this.freeSlots.push(slot)
    this.slotOf.delete(member)
    return true
  }

  /**
   * The members and projects that match `forMember` best, each with the items that
   * explain its score. Scores only candidates that share a term with the member
   * (and, with embeddings, the embedded projects); never the member or their own projects.
   */
  matches(forMember: string, options: MatchOptions = {}): MatchResult[] {
    const query = this.query(forMember, options)
    const { me, slot, weights, limit } = query
    const results: MatchResult[] = []
    this.nextEpoch()
    if (query.members) {
      for (const candidate of this.rankMembers(query)) {
        const them = (this.slots[candidate.id] as MemberEntry).profile
        results.push(
          resultOf('member', them.member, them.name, undefined, explainMember(me, them, weights, this.stats))
        )
      }
    }
    if (query.projects) {
      const top = new TopK(limit)
      const touched = this.accumulateProjects(query)
      const score = this.projectScore
      for (const id of touched) {
        const value = score[id] as number
        const project = this.projects[id] as ProjectSlot
        if (project.owner === slot || value <= 0 || !top.admits(value)) continue
        top.offer({ id, score: value, key: project.key })
      }
      for (const candidate of top.sorted()) results.push(this.projectResult(query, candidate.id))
    }
    return results.sort(compareResults).slice(0, limit)
  }

  /**
   * The same ranking as `matches`, computed by explaining every member and project in
   * the sphere: the reference the tests and the benchmark hold the index to.
   */
  matchesByScan(forMember: string, options: MatchOptions = {}): MatchResult[] {
    const query = this.query(forMember, options)
    const results: MatchResult[] = []
    if (query.members) {
      for (const entry of this.slots) {
        if (!entry || entry.profile.member === forMember) continue
        const result = resultOf(
          'member',
          entry.profile.member,
          entry.profile.name,
          undefined,
          explainMember(query.me, entry.profile, query.weights, this.stats)
        )
        if (result.score > 0) results.push(result)
      }
    }
    if (query.projects) {
      this.projects.forEach((project, id) => {
        if (!project || project.owner === query.slot) return
        const result = this.projectResult(query, id)
        if (result.score > 0) results.push(result)
      })
    }
    return results.sort(compareResults).slice(0, query.limit)
  }

  /**
   * How `member` scores for `forMember`, whether or not it would make the top: the
   * result a person gives feedback on, with the components it had. A member who
   * shares nothing with them scores 0 with no items; NOT_FOUND for either one
   * without a profile here.
   */
  explainMember(forMember: string, member: string, options: Pick<MatchOptions, 'weights'> = {}): MatchResult {
    const query = this.query(forMember, { weights: options.weights ?? {} })
    const slot = this.slotOf.get(member)
    if (slot === undefined) throw CosmicError.NOT_FOUND(`member ${member} has shared no profile in this sphere`)
    const them = (this.slots[slot] as MemberEntry).profile
    return resultOf(
      'member',
      them.member,
      them.name,
      undefined,
      explainMember(query.me, them, query.weights, this.stats)
    )
  }

  private query(forMember: string, options: MatchOptions): Query {
    const slot = this.slotOf.get(forMember)
    if (slot === undefined) throw CosmicError.NOT_FOUND(`member ${forMember} has shared no profile in this sphere`)
    const limit = options.limit ?? 10
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw CosmicError.INVALID_INPUT(`limit must be a whole number from 1 to ${MAX_LIMIT} (got ${String(limit)})`)
    }
    const kinds = options.kinds ?? ['member', 'project']
    for (const kind of kinds) {
      if (kind !== 'member' && kind !== 'project') {
        throw CosmicError.INVALID_INPUT(`kinds must be "member" or "project" (got ${String(kind)})`)
      }
    }
    const minSimilarity = options.minSimilarity ?? DEFAULT_MIN_SIMILARITY
    if (typeof minSimilarity !== 'number' || !(minSimilarity >= -1 && minSimilarity <= 1)) {
      throw CosmicError.INVALID_INPUT(`minSimilarity must be a number from -1 to 1 (got ${String(minSimilarity)})`)
    }
    const entry = this.slots[slot] as MemberEntry
    return {
      slot,
      me: entry.profile,
      semantic: entry.semantic,
      weights: resolveWeights(options.weights),
      limit,
      minSimilarity,
      members: kinds.includes('member'),
      projects: kinds.includes('project')
    }
  }

  private projectResult(query: Query, id: number): MatchResult {
    const project = this.projects[id] as ProjectSlot
    const owner = (this.slots[project.owner] as MemberEntry).profile
    const semantic = this.semanticInputs(query, project)
    const items = explainProject(query.me, project.entry, query.weights, this.stats, semantic)
    return resultOf('project', owner.member, owner.name, project.entry.label, items)
  }

  private semanticInputs(query: Query, project: ProjectSlot): SemanticInputs | undefined {
    if (query.semantic.length === 0 || !project.vector) return undefined
    return { mine: query.semantic, project: project.vector, minSimilarity: query.minSimilarity }
  }

  /**
   * The best `limit` members for `me`. Each of my terms adds its contribution to every
   * member in its posting, into a reused array indexed by slot (a member is a
   * candidate from their first shared term on); a bounded heap keeps the best. Terms
   * are added in the order explainMember lists items (by component, then by my
   * term), so the accumulated float is exactly the explanation's sum.
   */
  private rankMembers(query: Query): Candidate[] {
    const { me, weights, limit, slot } = query
    const n = this.slotOf.size
    const score = this.memberScore
    const touched = this.memberTouched
    let count = 0
    // A slot's score is 0 until a term reaches it: every contribution is positive (weights > 0, idf > 0, level >= 1).
    const add = (slots: readonly number[], contribution: number) => {
      for (let i = 0; i < slots.length; i++) {
        const s = slots[i] as number
        const value = score[s] as number
        if (value === 0) touched[count++] = s
        score[s] = value + contribution
      }
    }
    if (weights.interests > 0) {
      for (const t of me.interests) {
        const posting = this.interests.get(t.term)
        if (posting) add(posting.slots, weights.interests * idf(posting.slots.length, n))
      }
    }
    if (weights.skills > 0) {
      for (const t of me.seeking) {
        const posting = this.skills.get(t.term)
        if (!posting) continue
        const { slots, levels } = posting
        for (let i = 0; i < slots.length; i++) {
          const s = slots[i] as number
          const value = score[s] as number
          if (value === 0) touched[count++] = s
          score[s] = value + weights.skills * skillRaw(levels[i] as number)
        }
      }
      for (const t of me.skills) {
        const posting = this.seeking.get(t.term)
        if (posting) add(posting.slots, weights.skills * skillRaw(t.level))
      }
    }
    if (weights.values > 0) {
      for (const t of me.values) {
        const posting = this.values.get(t.term)
        if (posting) add(posting.slots, weights.values * idf(posting.slots.length, n))
      }
    }
    const top = new TopK(limit)
    for (let i = 0; i < count; i++) {
      const s = touched[i] as number
      const value = score[s] as number
      score[s] = 0
      if (s !== slot && top.admits(value))
        top.offer({ id: s, score: value, key: (this.slots[s] as MemberEntry).profile.member })
    }
    return top.sorted()
  }

  /** The same for projects: my interests, then my seeking, against project terms, then semantic similarity. */
  private accumulateProjects(query: Query): number[] {
    const { me, weights } = query
    const touched: number[] = []
    const score = this.projectScore
    const mark = this.projectMark
    const epoch = this.epoch
    const n = this.slotOf.size
    const add = (id: number, contribution: number) => {
      if (mark[id] !== epoch) {
        mark[id] = epoch
        score[id] = 0
        touched.push(id)
      }
      score[id] = (score[id] as number) + contribution
    }
    if (weights.interests > 0) {
      for (const t of me.interests) {
        const posting = this.projectTerms.get(t.term)
        if (!posting) continue
        const contribution = weights.interests * idf(this.interests.get(t.term)?.slots.length ?? 0, n)
        for (const id of posting) add(id, contribution)
      }
    }
    if (weights.skills > 0) {
      const contribution = weights.skills * skillRaw(DEFAULT_SKILL_LEVEL)
      for (const t of me.seeking) {
        const posting = this.projectTerms.get(t.term)
        if (posting) for (const id of posting) add(id, contribution)
      }
    }
    // No index over vectors yet: with embeddings, every embedded project is compared (linear in their number).
    if (weights.semantic > 0 && query.semantic.length > 0 && this.embeddedProjects > 0) {
      this.projects.forEach((project, id) => {
        if (!project?.vector) return
        const best = bestSimilarity({
          mine: query.semantic,
          project: project.vector,
          minSimilarity: query.minSimilarity
        })
        if (best) add(id, weights.semantic * best.similarity)
      })
    }
    return touched
  }

  private nextEpoch(): void {
    this.epoch = (this.epoch + 1) >>> 0
    if (this.epoch === 0) {
      this.projectMark.fill(0)
      this.epoch = 1
    }
  }

  private grow(size: number): void {
    if (size <= this.memberScore.length) return
    const capacity = Math.max(size, this.memberScore.length * 2, 1024)
    this.memberScore = new Float64Array(capacity)
    this.memberTouched = new Int32Array(capacity)
  }

  private growProjects(size: number): void {
    if (size <= this.projectScore.length) return
    const capacity = Math.max(size, this.projectScore.length * 2, 1024)
    const mark = new Uint32Array(capacity)
    mark.set(this.projectMark)
    this.projectScore = new Float64Array(capacity)
    this.projectMark = mark
  }
}
