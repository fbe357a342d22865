import { type Static, Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { CosmicError } from '../../errors.js'
import type { Vocabulary } from './vocabulary.js'

/** What a member can share for matching; `project` facets are also matchable as results. */
export const FACET_KINDS = ['skill', 'interest', 'value', 'seeking', 'project'] as const
export type FacetKind = (typeof FACET_KINDS)[number]

export const FacetSchema = Type.Object(
  {
    kind: Type.Union(FACET_KINDS.map((k) => Type.Literal(k))),
    label: Type.String({ minLength: 1, maxLength: 200 }),
    /** Read on skills only: 1 (beginner) to 5 (expert); a skill without one counts as 3. */
    level: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 })),
    /** Read on projects only: the description matched against people's interests and seeking. */
    text: Type.Optional(Type.String({ maxLength: 4000 }))
  },
  { additionalProperties: false }
)
export type Facet = Static<typeof FacetSchema>

export const MemberProfileSchema = Type.Object(
  {
    /** The member's identity key, 64 lower-case hex characters. */
    member: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    facets: Type.Array(FacetSchema, { maxItems: 1000 })
  },
  { additionalProperties: false }
)
export type MemberProfile = Static<typeof MemberProfileSchema>

/** A level a skill has when its member gave none. */
export const DEFAULT_SKILL_LEVEL = 3

const checkProfile = TypeCompiler.Compile(MemberProfileSchema)

/** A facet label as the member wrote it, with the term it normalises to. */
export interface Term {
  readonly term: string
  readonly label: string
}

export interface SkillTerm extends Term {
  readonly level: number
}

export interface ProjectEntry {
  readonly label: string
  readonly text: string
  /** Terms of the name and the description, sorted. */
  readonly terms: readonly string[]
}

/**
 * A profile as the index holds it: one entry per term and kind (the first label that
 * produced the term is kept; a skill keeps its highest level), each list sorted by
 * term. The fixed order makes every score the same float sum, whichever order the
 * index received its members in.
 */
export interface NormalizedProfile {
  readonly member: string
  readonly name: string | undefined
  readonly interests: readonly Term[]
  readonly skills: readonly SkillTerm[]
  readonly seeking: readonly Term[]
  readonly values: readonly Term[]
  readonly projects: readonly ProjectEntry[]
}

function byTerm(a: Term, b: Term): number {
  return a.term < b.term ? -1 : a.term > b.term ? 1 : 0
}

/**
 * Checks a shared profile and normalises its facets. Refuses, with INVALID_INPUT
 * naming the field, anything that is not a MemberProfile: an unknown kind, an empty
 * label or one without a letter or digit, a level outside 1..5.
 */
export function normalizeProfile(input: unknown, vocabulary: Vocabulary): NormalizedProfile {
  if (!checkProfile.Check(input)) {
    const first = checkProfile.Errors(input).First()
    const field = first?.path ? first.path : '/'
    throw CosmicError.INVALID_INPUT(`member profile: ${field} ${first ? first.message.toLowerCase() : 'is invalid'}`, {
      field
    })
  }
  const interests = new Map<string, Term>()
  const skills = new Map<string, SkillTerm>()
  const seeking = new Map<string, Term>()
  const values = new Map<string, Term>()
  const projects = new Map<string, ProjectEntry>()
  input.facets.forEach((facet, i) => {
    const term = vocabulary.term(facet.label)
    if (term === '') {
      throw CosmicError.INVALID_INPUT(`member profile: /facets/${i}/label has no letter or digit`, {
        field: `/facets/${i}/label`
      })
    }
    switch (facet.kind) {
      case 'interest':
        if (!interests.has(term)) interests.set(term, { term, label: facet.label })
        return
      case 'seeking':
        if (!seeking.has(term)) seeking.set(term, { term, label: facet.label })
        return
      case 'value':
        if (!values.has(term)) values.set(term, { term, label: facet.label })
        return
      case 'skill': {
        const level = facet.level ?? DEFAULT_SKILL_LEVEL
        const known = skills.get(term)
        if (!known || known.level < level) skills.set(term, { term, label: facet.label, level })
        return
      }
      case 'project': {
        if (projects.has(term)) return
        const text = facet.text ?? ''
        const terms = vocabulary.textTerms(`${facet.label} ${text}`)
        terms.add(term)
        projects.set(term, { label: facet.label, text, terms: [...terms].sort() })
        return
      }
      default: {
        const never: never = facet.kind
        throw CosmicError.INVALID_INPUT(`member profile: unknown facet kind ${String(never)}`)
      }
    }
  })
  return {
    member: input.member,
    name: input.name,
    interests: [...interests.values()].sort(byTerm),
    skills: [...skills.values()].sort(byTerm),
    seeking: [...seeking.values()].sort(byTerm),
    values: [...values.values()].sort(byTerm),
    projects: [...projects.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p)
  }
}
