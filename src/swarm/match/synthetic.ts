import { Random } from '../../fixtures/random.js'
import { MatchIndex } from './match-index.js'
import type { Facet, MemberProfile } from './profile.js'
import type { Weights } from './score.js'

/**
 * A seeded synthetic sphere with planted ground truth, to measure how well matching
 * finds the people it should.
 *
 * Planted communities have two sides of 10 to 14 members. Every member of side A has
 * the two skills side B seeks, at level 3 to 5, and seeks the two skills side B has;
 * side B the reverse. The community has three rare interests (drawn from a long
 * tail that noise members also draw from) and two values; each member holds a random
 * two or more of the interests and one or more of the values. The truth for a member
 * is the other side of their community: every one of them answers what the member
 * seeks and seeks what the member offers.
 *
 * Everyone else is noise: popular skills (often the very skills the communities
 * trade in, at any level), popular interests and values drawn with a Zipf-like skew,
 * seeking of popular skills, a few long-tail interests, some projects. For every
 * community there are also about as many decoys: noise members with one of a side's
 * skills at level 3 to 5 who seek one of the other side's, but share none of its
 * interests. Community members carry noise facets too. Labels come in the ways
 * people write them ("TS", "typescript", "TypeScript").
 */
/** Popular skills, each with the ways people write it (normalisation must fold them). */
const SKILLS: readonly (readonly string[])[] = [
  ['TypeScript', 'typescript', 'TS'],
  ['JavaScript', 'JS', 'javascript'],
  ['Python', 'python'],
  ['SQL'],
  ['React', 'ReactJS', 'react.js'],
  ['Node.js', 'NodeJS'],
  ['Go', 'Golang'],
  ['Rust'],
  ['Kubernetes', 'k8s'],
  ['Machine learning', 'ML', 'machine-learning'],
  ['Data analysis', 'data analytics'],
  ['UX design', 'UX', 'user experience'],
  ['Graphic design', 'visual design'],
  ['Copywriting'],
  ['Project management'],
  ['Fundraising', 'grant writing'],
  ['Photography', 'photographs'],
  ['Video editing'],
  ['Public speaking'],
  ['Facilitation'],
  ['Accounting'],
  ['Marketing'],
  ['Community organising'],
  ['Translation', 'translations'],
  ['Carpentry'],
  ['Electronics'],
  ['Statistics', 'stats'],
  ['DevOps', 'dev ops'],
  ['C++', 'cpp'],
  ['PostgreSQL', 'Postgres'],
  ['Research'],
  ['Teaching'],
  ['Illustration', 'illustrations'],
  ['3D modelling'],
  ['Sound engineering'],
  ['Legal advice'],
  ['Bookkeeping'],
  ['Welding'],
  ['Sewing'],
  ['Mobile apps', 'mobile app']
]

const INTERESTS: readonly (readonly string[])[] = [
  ['Hiking', 'hiking', 'trekking'],
  ['Board games', 'board game', 'boardgames'],
  ['Science fiction', 'sci-fi'],
  ['Cooking', 'cookery'],
  ['Gardening'],
  ['Music'],
  ['Reading', 'books'],
  ['Running', 'jogging'],
  ['Cycling', 'biking'],
  ['Climate', 'climate change'],
  ['Open source', 'open-source software', 'FOSS'],
  ['Travel'],
  ['Chess'],
  ['Yoga'],
  ['Film', 'films'],
  ['Podcasts', 'podcast'],
  ['History'],
  ['Philosophy'],
  ['Astronomy'],
  ['Birdwatching'],
  ['Urban planning'],
  ['Economics'],
  ['Poetry'],
  ['Languages'],
  ['Painting'],
  ['Dance'],
  ['Theatre'],
  ['Crafts'],
  ['Permaculture'],
  ['Video games', 'gaming']
]

const VALUES: readonly (readonly string[])[] = [
  ['Honesty', 'honesty', 'truthfulness'],
  ['Freedom', 'liberty'],
  ['Autonomy', 'independence'],
  ['Transparency', 'openness'],
  ['Fairness', 'equity'],
  ['Kindness', 'compassion'],
  ['Sustainability'],
  ['Privacy'],
  ['Community'],
  ['Curiosity'],
  ['Courage'],
  ['Humility'],
  ['Creativity'],
  ['Excellence'],
  ['Loyalty'],
  ['Simplicity']
]

const LONG_TAIL_FIRST = (
  'medieval quantum urban coastal alpine nordic baroque analog tropical soviet victorian desert arctic volcanic ' +
  'lunar cellular maritime byzantine celtic aztec ottoman renaissance industrial rural martian prehistoric gothic ' +
  'minimalist brutalist polar mughal andean saharan himalayan amazonian balkan khmer etruscan minoan mayan'
).split(' ')
const LONG_TAIL_SECOND = (
  'cartography beekeeping architecture folklore typography botany metallurgy glassblowing calligraphy navigation ' +
  'textiles ceramics acoustics mycology geology linguistics puppetry weaving bookbinding perfumery clockmaking ' +
  'origami falconry lacemaking brewing fermentation mosaics stonemasonry tapestry cryptography shipbuilding ' +
  'horology ornithology numismatics heraldry dyeing lutherie papermaking printmaking enamelling'
).split(' ')

/** Long-tail interests: "medieval cartography", "lunar beekeeping", ... (1,600 of them). */
const LONG_TAIL: readonly string[] = LONG_TAIL_FIRST.flatMap((a) => LONG_TAIL_SECOND.map((b) => `${a} ${b}`))

/** Zipf-like weights (1 / rank^0.9): a few entries are far more common than the rest. */
function zipf<T>(items: readonly T[]): (readonly [T, number])[] {
  return items.map((item, rank) => [item, 1 / (rank + 1) ** 0.9] as const)
}

const SKILL_WEIGHTS = zipf(SKILLS)
const INTEREST_WEIGHTS = zipf(INTERESTS)
const VALUE_WEIGHTS = zipf(VALUES)

export interface SyntheticOptions {
  /** Members in the sphere, communities included. */
  readonly members: number
  readonly seed: number
  /** Share of members placed in planted communities; 0.1 when not given. */
  readonly communityShare?: number
  /** Members per side of a community, both included; [10, 14] when not given. */
  readonly sideSize?: readonly [number, number]
  /** Share of members who share a project; 0.1 when not given. */
  readonly projectShare?: number
}

export interface SyntheticSphere {
  readonly profiles: readonly MemberProfile[]
  /** For each community member, the members planted as their matches. */
  readonly truth: ReadonlyMap<string, ReadonlySet<string>>
}

function hexKey(random: Random): string {
  let hex = ''
  for (let i = 0; i < 8; i++)
    hex += Math.floor(random.next() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0')
  return hex
}

/** Distinct picks by weight (or fewer, when there are not enough entries). */
function distinct<T>(random: Random, entries: readonly (readonly [T, number])[], count: number, not: Set<T>): T[] {
  const picked: T[] = []
  for (let tries = 0; picked.length < count && tries < count * 20; tries++) {
    const item = random.weighted(entries)
    if (!not.has(item)) {
      not.add(item)
      picked.push(item)
    }
  }
  return picked
}

/** A random subset of the items, at least `min` of them, in their order. */
function some<T>(random: Random, items: readonly T[], min: number): T[] {
  const picked = items.filter(() => random.chance(0.5))
  for (const item of items) if (picked.length < min && !picked.includes(item)) picked.push(item)
  return picked
}

function noiseFacets(random: Random, facets: Facet[], scale: number): void {
  const usedSkills = new Set<readonly string[]>()
  const usedInterests = new Set<readonly string[]>()
  for (const forms of distinct(random, SKILL_WEIGHTS, Math.round(random.int(2, 5) * scale), usedSkills)) {
    facets.push({ kind: 'skill', label: random.pick(forms), level: random.int(1, 5) })
  }
  for (const forms of distinct(random, SKILL_WEIGHTS, Math.round(random.int(1, 3) * scale), usedSkills)) {
    facets.push({ kind: 'seeking', label: random.pick(forms) })
  }
  for (const forms of distinct(random, INTEREST_WEIGHTS, Math.round(random.int(3, 6) * scale), usedInterests)) {
    facets.push({ kind: 'interest', label: random.pick(forms) })
  }
  for (let i = random.int(0, 2); i > 0; i--) facets.push({ kind: 'interest', label: random.pick(LONG_TAIL) })
  for (const forms of distinct(random, VALUE_WEIGHTS, Math.round(random.int(2, 4) * scale), new Set())) {
    facets.push({ kind: 'value', label: random.pick(forms) })
  }
}

function project(random: Random): Facet {
  const topic = random.pick(LONG_TAIL)
  const interest = random.pick(random.weighted(INTEREST_WEIGHTS))
  const skill = random.pick(random.weighted(SKILL_WEIGHTS))
  const other = random.pick(random.weighted(SKILL_WEIGHTS))
  return {
    kind: 'project',
    label: `${topic} atlas`,
    text: `An open atlas of ${topic} for people into ${interest.toLowerCase()}, built with ${skill}; we need help with ${other}.`
  }
}

/** A sphere of `members` profiles with planted complementary communities (see the module comment). */
export function syntheticSphere(options: SyntheticOptions): SyntheticSphere {
  const random = new Random(options.seed)
  const [minSide, maxSide] = options.sideSize ?? [10, 14]
  const inCommunities = Math.floor(options.members * (options.communityShare ?? 0.1))
  const projectShare = options.projectShare ?? 0.1
  const profiles: MemberProfile[] = []
  const truth = new Map<string, Set<string>>()
  const usedTail = new Set<string>()

  let planted = 0
  while (planted + 2 * minSide <= inCommunities) {
    const sides = [random.int(minSide, maxSide), random.int(minSide, maxSide)] as const
    if (planted + sides[0] + sides[1] > inCommunities) break
    const skills = distinct(random, SKILL_WEIGHTS, 4, new Set())
    const offered = [skills.slice(0, 2), skills.slice(2, 4)] as const
    const interests = distinct(
      random,
      LONG_TAIL.map((t) => [t, 1] as const),
      3,
      usedTail
    )
    const values = distinct(random, VALUE_WEIGHTS, 2, new Set())
    const members: string[][] = [[], []]
    for (const side of [0, 1] as const) {
      for (let i = 0; i < sides[side]; i++) {
        const member = hexKey(random)
        const facets: Facet[] = []
        for (const forms of offered[side])
          facets.push({ kind: 'skill', label: random.pick(forms), level: random.int(3, 5) })
        for (const forms of offered[1 - side] as (readonly string[])[]) {
          facets.push({ kind: 'seeking', label: random.pick(forms) })
        }
        for (const interest of some(random, interests, 2)) facets.push({ kind: 'interest', label: interest })
        for (const forms of some(random, values, 1)) facets.push({ kind: 'value', label: random.pick(forms) })
        noiseFacets(random, facets, 0.5)
        if (random.chance(projectShare)) facets.push(project(random))
        profiles.push({ member, name: `member ${profiles.length}`, facets })
        members[side]!.push(member)
      }
    }
    // Decoys: noise members with one side's skills and seeking, but none of the community's interests or values.
    for (let i = random.int(minSide, maxSide); i > 0; i--) {
      const side = random.int(0, 1)
      const facets: Facet[] = []
      for (const forms of some(random, offered[side] as (readonly string[])[], 1)) {
        facets.push({ kind: 'skill', label: random.pick(forms), level: random.int(3, 5) })
      }
      for (const forms of some(random, offered[1 - side] as (readonly string[])[], 1)) {
        facets.push({ kind: 'seeking', label: random.pick(forms) })
      }
      noiseFacets(random, facets, 1)
      profiles.push({ member: hexKey(random), name: `member ${profiles.length}`, facets })
    }
    for (const side of [0, 1] as const) {
      const other = new Set(members[1 - side])
      for (const member of members[side]!) truth.set(member, other)
    }
    planted += sides[0] + sides[1]
  }
  while (profiles.length < options.members) {
    const facets: Facet[] = []
    noiseFacets(random, facets, 1)
    if (random.chance(projectShare)) facets.push(project(random))
    profiles.push({ member: hexKey(random), name: `member ${profiles.length}`, facets })
  }
  // Communities and noise interleaved, as members join a real sphere.
  for (let i = profiles.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1))
    ;[profiles[i], profiles[j]] = [profiles[j] as MemberProfile, profiles[i] as MemberProfile]
  }
  return { profiles, truth }
}

export interface Evaluation {
  readonly k: number
  readonly queries: number
  /** Mean over queries of (planted matches in the top k) / k. */
  readonly precisionAtK: number
  /** Mean over queries of (planted matches in the top k) / (planted matches). */
  readonly recallAtK: number
}

export interface EvaluationOptions {
  /** How many community members to query (a seeded sample); all when not given. */
  readonly queries?: number
  readonly seed?: number
  readonly k?: number
  readonly weights?: Partial<Weights>
}

/** Precision and recall at k of member matches, against the planted truth. */
export function evaluate(index: MatchIndex, sphere: SyntheticSphere, options: EvaluationOptions = {}): Evaluation {
  const k = options.k ?? 10
  let askers = [...sphere.truth.keys()]
  if (options.queries !== undefined && options.queries < askers.length) {
    const random = new Random(options.seed ?? 1)
    for (let i = askers.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1))
      ;[askers[i], askers[j]] = [askers[j] as string, askers[i] as string]
    }
    askers = askers.slice(0, options.queries)
  }
  let precision = 0
  let recall = 0
  for (const member of askers) {
    const relevant = sphere.truth.get(member) as ReadonlySet<string>
    const top = index.matches(member, { limit: k, kinds: ['member'], weights: options.weights })
    const hits = top.filter((r) => relevant.has(r.member)).length
    precision += hits / k
    recall += hits / relevant.size
  }
  const n = askers.length
  return { k, queries: n, precisionAtK: n ? precision / n : 0, recallAtK: n ? recall / n : 0 }
}

/** Builds a synthetic sphere, indexes it and evaluates it: what the test and the benchmark report. */
export function evaluateSynthetic(
  sphere: SyntheticOptions,
  options: EvaluationOptions = {}
): Evaluation & { members: number } {
  const generated = syntheticSphere(sphere)
  const index = new MatchIndex()
  for (const profile of generated.profiles) index.upsert(profile)
  return { members: index.size, ...evaluate(index, generated, options) }
}
