import {
  DEFAULT_VOCABULARY,
  FACET_KINDS,
  type Facet,
  type FacetKind,
  MatchIndex,
  type MemberProfile,
  type Vocabulary
} from './match/index.js'
import type { FacetItem, MemberRecord } from './sphere.js'

/** The most facets of one member the index reads (MemberProfileSchema's limit); the rest, in view order, are left out. */
export const MAX_FACETS_PER_MEMBER = 1000

const LABEL_MAX = 200
const TEXT_MAX = 4000

/** What matching reads of a sphere: its members, their shared facets, and a version of its views (SphereChain has all three). */
export interface MatchSource {
  members(): Promise<readonly MemberRecord[]>
  facets(): Promise<readonly FacetItem[]>
  /** Changes whenever a view it reads changes (Autobase's fork and version of each). */
  readonly viewVersion: string
}

/** A sphere's match index as of one version of its view. */
export interface SphereMatchIndex {
  readonly index: MatchIndex
  /** `fork:version` of each view it was built from. */
  readonly version: string
  readonly members: ReadonlyMap<string, MemberRecord>
}

function isMatchKind(facet: string): facet is FacetKind {
  return (FACET_KINDS as readonly string[]).includes(facet)
}

/**
 * The members' shared profiles as the match index takes them, from the sphere view:
 * each `sphere.facet.shared` of a matchable facet (skill, interest, value, seeking,
 * project) becomes a facet whose label is the facet's key, with the level of a skill
 * and the value of a project as its description. Only current members count (the
 * view drops a member's facets when they leave or are removed, and a retracted facet
 * is gone from it); a facet whose key has no letter or digit is left out rather than
 * failing the whole sphere, since peers wrote it. Pure: the same view, the same
 * profiles.
 */
export function profilesFromView(
  members: readonly MemberRecord[],
  facets: readonly FacetItem[],
  vocabulary: Vocabulary = DEFAULT_VOCABULARY
): MemberProfile[] {
  const byMember = new Map<string, Facet[]>()
  for (const m of members) byMember.set(m.member, [])
  for (const item of facets) {
    const list = byMember.get(item.member)
    if (!list || list.length >= MAX_FACETS_PER_MEMBER || !isMatchKind(item.facet)) continue
    const label = item.key.slice(0, LABEL_MAX)
    if (vocabulary.term(label) === '') continue
    const facet: Facet = { kind: item.facet, label }
    if (item.facet === 'skill' && item.level !== undefined) facet.level = item.level
    if (item.facet === 'project' && item.value) facet.text = item.value.slice(0, TEXT_MAX)
    list.push(facet)
  }
  const profiles: MemberProfile[] = []
  for (const m of members) {
    const list = byMember.get(m.member) as Facet[]
    if (list.length === 0) continue
    profiles.push({ member: m.member, name: m.name.slice(0, LABEL_MAX), facets: list })
  }
  return profiles
}

/** A fresh index of the view's members and facets. */
export function matchIndexFromView(
  members: readonly MemberRecord[],
  facets: readonly FacetItem[],
  vocabulary: Vocabulary = DEFAULT_VOCABULARY
): MatchIndex {
  const index = new MatchIndex({ vocabulary })
  for (const profile of profilesFromView(members, facets, vocabulary)) index.upsert(profile)
  return index
}

const cache = new WeakMap<MatchSource, SphereMatchIndex>()

/**
 * The match index of a sphere as its view is now: rebuilt when the view's version
 * (or fork, after Autobase reorders) differs from the one it was built at, else the
 * one built before. Rebuilding reads two ranges of the view and indexes them: for
 * 1,000 members with 10 facets each, a few tens of milliseconds (docs/matching.md),
 * against a query's fraction of one; incremental updates from a diff of the view
 * would save that only while no reorder truncates it, so they are not worth their
 * edge cases. Keyed weakly by the sphere: a closed sphere's index goes with it.
 */
export async function sphereMatchIndex(sphere: MatchSource): Promise<SphereMatchIndex> {
  const version = sphere.viewVersion
  const cached = cache.get(sphere)
  if (cached && cached.version === version) return cached
  // Read after taking the version: if the view moves meanwhile, the next query rebuilds.
  const members = await sphere.members()
  const facets = await sphere.facets()
  const built: SphereMatchIndex = {
    index: matchIndexFromView(members, facets),
    version,
    members: new Map(members.map((m) => [m.member, m]))
  }
  cache.set(sphere, built)
  return built
}
