import { CosmicError } from '../../errors.js'
import { DEFAULT_SKILL_LEVEL, type FacetKind, type NormalizedProfile, type ProjectEntry, type Term } from './profile.js'

/**
 * The parts of a match score. For a member: shared interests (IDF-weighted),
 * complementary skills (my seeking against their skills, and their seeking against
 * my skills, by level) and shared values (IDF-weighted). For a project: my interests
 * and my seeking against the terms of its name and description, and the semantic similarity of its description when
 * embeddings were given.
 */
export const COMPONENTS = ['interests', 'skills', 'values', 'semantic'] as const
export type Component = (typeof COMPONENTS)[number]
export type Weights = Record<Component, number>
/** One number per component: the sum of the raw values of its matched items, before weighting. */
export type ComponentValues = Record<Component, number>

/**
 * Weights applied when the caller gives none; each raw item value is in [0, 1]. A
 * shared interest is worth its IDF, so a rare one (raw near 1) counts a little more
 * than an expert skill answering a seeking (raw 1 at level 5), and a popular one
 * (raw near 0.1) far less: rare common ground is the most specific evidence there is.
 * Values are few and widely shared, so they count least. docs/matching.md has the
 * synthetic evaluation of these choices, component by component.
 */
export const DEFAULT_WEIGHTS: Readonly<Weights> = Object.freeze({
  interests: 2,
  skills: 1.5,
  values: 0.75,
  semantic: 1
})

/** The highest skill level; a matched skill's raw value is level / SKILL_LEVEL_MAX. */
export const SKILL_LEVEL_MAX = 5

/** The default cosine below which a project description is not called similar. */
export const DEFAULT_MIN_SIMILARITY = 0.3

/** The defaults completed with what was given; refuses a weight that is negative or not a finite number. */
export function resolveWeights(weights: Partial<Weights> | undefined): Weights {
  const resolved: Weights = { ...DEFAULT_WEIGHTS }
  if (weights === undefined) return resolved
  if (typeof weights !== 'object' || weights === null) throw CosmicError.INVALID_INPUT('weights must be an object')
  for (const [key, value] of Object.entries(weights)) {
    if (!(COMPONENTS as readonly string[]).includes(key)) {
      throw CosmicError.INVALID_INPUT(`unknown weight "${key}"; use ${COMPONENTS.join(', ')}`)
    }
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw CosmicError.INVALID_INPUT(`weight ${key} must be a finite number of at least 0 (got ${String(value)})`)
    }
    resolved[key as Component] = value
  }
  return resolved
}

export function zeroComponents(): ComponentValues {
  return { interests: 0, skills: 0, values: 0, semantic: 0 }
}

/**
 * Inverse document frequency scaled to [0, 1]: the BM25 form ln(1 + (n - df + 0.5) / (df + 0.5)),
 * divided by its value for a term only one member holds. A term everyone holds is worth
 * almost nothing; the rarest term is worth 1.
 */
export function idf(df: number, n: number): number {
  if (df <= 0 || n <= 0) return 0
  const rarest = Math.log(1 + (n - 0.5) / 1.5)
  return Math.log(1 + (n - df + 0.5) / (df + 0.5)) / rarest
}

export function skillRaw(level: number): number {
  return level / SKILL_LEVEL_MAX
}

/** Cosine similarity; 0 when either vector is zero or their lengths differ. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number
    const y = b[i] as number
    dot += x * y
    na += x * x
    nb += y * y
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}

/** A facet on one side of a matched item, as its member wrote it. */
export interface FacetRef {
  readonly kind: FacetKind
  readonly label: string
  readonly level?: number
}

/** One reason two profiles met, and what it added to the score. */
export interface MatchedItem {
  readonly component: Component
  /** The normalised term both sides share (for `semantic`, the term of my facet). */
  readonly term: string
  readonly mine: FacetRef
  readonly theirs: FacetRef
  /** In [0, 1]: IDF for shared terms, level / 5 for skills, cosine for semantic. */
  readonly raw: number
  readonly weight: number
  /** raw × weight; the contributions of a result add up to its score. */
  readonly contribution: number
}

export interface MatchResult {
  readonly kind: 'member' | 'project'
  /** The matched member, or the member who shared the project. */
  readonly member: string
  readonly name: string | undefined
  /** The project's label, for a project. */
  readonly project: string | undefined
  /** The sum of the items' contributions, in the order they are listed. */
  readonly score: number
  /** Raw value per component (before weights): what a feedback event records. */
  readonly components: ComponentValues
  readonly items: readonly MatchedItem[]
}

/** What scoring needs to know about the sphere as a whole. */
export interface SphereStats {
  interestIdf(term: string): number
  valueIdf(term: string): number
}

/** Embeddings of one side of a project match, when a semantic hook is in use. */
export interface SemanticInputs {
  /** My interest and seeking facets with their label embeddings, in listing order. */
  readonly mine: readonly { readonly kind: FacetKind; readonly term: Term; readonly vector: Float32Array }[]
  readonly project: Float32Array | undefined
  readonly minSimilarity: number
}

/** Calls `visit` for each term two sorted lists share, in term order. */
function join<A extends Term, B extends Term>(a: readonly A[], b: readonly B[], visit: (x: A, y: B) => void): void {
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const x = a[i] as A
    const y = b[j] as B
    if (x.term === y.term) {
      visit(x, y)
      i++
      j++
    } else if (x.term < y.term) i++
    else j++
  }
}

function joinTerms(a: readonly Term[], terms: readonly string[], visit: (x: Term) => void): void {
  let i = 0
  let j = 0
  while (i < a.length && j < terms.length) {
    const x = a[i] as Term
    const y = terms[j] as string
    if (x.term === y) {
      visit(x)
      i++
      j++
    } else if (x.term < y) i++
    else j++
  }
}

/**
 * Why `them` matches `me`, item by item, in a fixed order: shared interests, then my
 * seeking against their skills, then their seeking against my skills, then shared
 * values, each by term. The index adds contributions in this same order, so a
 * result's score is exactly the sum of its items.
 */
export function explainMember(
  me: NormalizedProfile,
  them: NormalizedProfile,
  weights: Weights,
  stats: SphereStats
): MatchedItem[] {
  const items: MatchedItem[] = []
  if (weights.interests > 0) {
    join(me.interests, them.interests, (mine, theirs) => {
      const raw = stats.interestIdf(mine.term)
      items.push({
        component: 'interests',
        term: mine.term,
        mine: { kind: 'interest', label: mine.label },
        theirs: { kind: 'interest', label: theirs.label },
        raw,
        weight: weights.interests,
        contribution: weights.interests * raw
      })
    })
  }
  if (weights.skills > 0) {
    join(me.seeking, them.skills, (mine, theirs) => {
      const raw = skillRaw(theirs.level)
      items.push({
        component: 'skills',
        term: mine.term,
        mine: { kind: 'seeking', label: mine.label },
        theirs: { kind: 'skill', label: theirs.label, level: theirs.level },
        raw,
        weight: weights.skills,
        contribution: weights.skills * raw
      })
    })
    join(me.skills, them.seeking, (mine, theirs) => {
      const raw = skillRaw(mine.level)
      items.push({
        component: 'skills',
        term: mine.term,
        mine: { kind: 'skill', label: mine.label, level: mine.level },
        theirs: { kind: 'seeking', label: theirs.label },
        raw,
        weight: weights.skills,
        contribution: weights.skills * raw
      })
    })
  }
  if (weights.values > 0) {
    join(me.values, them.values, (mine, theirs) => {
      const raw = stats.valueIdf(mine.term)
      items.push({
        component: 'values',
        term: mine.term,
        mine: { kind: 'value', label: mine.label },
        theirs: { kind: 'value', label: theirs.label },
        raw,
        weight: weights.values,
        contribution: weights.values * raw
      })
    })
  }
  return items
}

/**
 * The score explainMember's items add up to, computed without building them: the same
 * terms, the same products, added in the same order, so the float is identical.
 */
export function scoreMember(
  me: NormalizedProfile,
  them: NormalizedProfile,
  weights: Weights,
  stats: SphereStats
): number {
  let score = 0
  if (weights.interests > 0) {
    join(me.interests, them.interests, (mine) => {
      score += weights.interests * stats.interestIdf(mine.term)
    })
  }
  if (weights.skills > 0) {
    join(me.seeking, them.skills, (_, theirs) => {
      score += weights.skills * skillRaw(theirs.level)
    })
    join(me.skills, them.seeking, (mine) => {
      score += weights.skills * skillRaw(mine.level)
    })
  }
  if (weights.values > 0) {
    join(me.values, them.values, (mine) => {
      score += weights.values * stats.valueIdf(mine.term)
    })
  }
  return score
}

/** My best cosine against a project description: the facet, and the similarity. */
export function bestSimilarity(semantic: SemanticInputs): { index: number; similarity: number } | null {
  if (!semantic.project) return null
  let best: { index: number; similarity: number } | null = null
  for (let index = 0; index < semantic.mine.length; index++) {
    const similarity = cosine(semantic.mine[index]!.vector, semantic.project)
    if (similarity >= semantic.minSimilarity && (best === null || similarity > best.similarity)) {
      best = { index, similarity }
    }
  }
  return best
}

/**
 * Why a project matches `me`: my interests, then my seeking, against the terms of
 * its name and description, then the semantic similarity of its description to my
 * closest interest or seeking facet (only with embeddings). On the same scale as a
 * member: an interest it mentions is worth that interest's IDF in the sphere, a
 * seeking it mentions what a skill of the default level would be.
 */
export function explainProject(
  me: NormalizedProfile,
  project: ProjectEntry,
  weights: Weights,
  stats: SphereStats,
  semantic: SemanticInputs | undefined
): MatchedItem[] {
  const items: MatchedItem[] = []
  const theirs: FacetRef = { kind: 'project', label: project.label }
  if (weights.interests > 0) {
    joinTerms(me.interests, project.terms, (mine) => {
      const raw = stats.interestIdf(mine.term)
      items.push({
        component: 'interests',
        term: mine.term,
        mine: { kind: 'interest', label: mine.label },
        theirs,
        raw,
        weight: weights.interests,
        contribution: weights.interests * raw
      })
    })
  }
  if (weights.skills > 0) {
    joinTerms(me.seeking, project.terms, (mine) => {
      const raw = skillRaw(DEFAULT_SKILL_LEVEL)
      items.push({
        component: 'skills',
        term: mine.term,
        mine: { kind: 'seeking', label: mine.label },
        theirs,
        raw,
        weight: weights.skills,
        contribution: weights.skills * raw
      })
    })
  }
  if (weights.semantic > 0 && semantic) {
    const best = bestSimilarity(semantic)
    if (best) {
      const facet = semantic.mine[best.index]!
      items.push({
        component: 'semantic',
        term: facet.term.term,
        mine: { kind: facet.kind, label: facet.term.label },
        theirs,
        raw: best.similarity,
        weight: weights.semantic,
        contribution: weights.semantic * best.similarity
      })
    }
  }
  return items
}

/** A result from its items: the score is their sum in listing order. */
export function resultOf(
  kind: 'member' | 'project',
  member: string,
  name: string | undefined,
  project: string | undefined,
  items: readonly MatchedItem[]
): MatchResult {
  const components = zeroComponents()
  let score = 0
  for (const item of items) {
    score += item.contribution
    components[item.component] += item.raw
  }
  return { kind, member, name, project, score, components, items }
}

/** Best first: higher score, then members before projects, then member key, then project label. */
export function compareResults(a: MatchResult, b: MatchResult): number {
  if (a.score !== b.score) return b.score - a.score
  if (a.kind !== b.kind) return a.kind === 'member' ? -1 : 1
  if (a.member !== b.member) return a.member < b.member ? -1 : 1
  const pa = a.project ?? ''
  const pb = b.project ?? ''
  return pa < pb ? -1 : pa > pb ? 1 : 0
}
