import { Type } from '@sinclair/typebox'
import { CosmicError } from '../errors.js'
import { type Dimension, Dimension as DimensionSchema, defineEvent } from './schemas.js'

/** The facets of the whole-human profile, per dimension. */
export const FACETS = {
  mind: ['skill', 'interest', 'project', 'seeking'],
  heart: ['value', 'emotion', 'relationship'],
  body: ['health', 'activity', 'presence']
} as const satisfies Record<Dimension, readonly string[]>

export type Facet = (typeof FACETS)[Dimension][number]

const FacetSchema = Type.Union(
  Object.values(FACETS)
    .flat()
    .map((f) => Type.Literal(f))
)

const FacetKey = Type.String({ minLength: 1, maxLength: 200 })

export const profileEvents = {
  'profile.set': defineEvent(
    'a facet of the whole-human profile: e.g. mind/skill/typescript with a level, or heart/value/honesty',
    1,
    Type.Object(
      {
        dimension: DimensionSchema,
        facet: FacetSchema,
        key: FacetKey,
        value: Type.Optional(Type.String({ maxLength: 2000 })),
        level: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 }))
      },
      { additionalProperties: false }
    )
  ),
  'profile.removed': defineEvent(
    'a facet no longer describes the person',
    1,
    Type.Object({ dimension: DimensionSchema, facet: FacetSchema, key: FacetKey }, { additionalProperties: false })
  )
} as const

export function checkFacet(dimension: string, facet: string): asserts dimension is Dimension {
  const facets = (FACETS as Record<string, readonly string[]>)[dimension]
  if (!facets) throw CosmicError.INVALID_INPUT(`dimension must be one of mind, heart, body (got "${dimension}")`)
  if (!facets.includes(facet)) {
    throw CosmicError.INVALID_INPUT(`facet "${facet}" does not belong to ${dimension}; use one of ${facets.join(', ')}`)
  }
}

export function decideRemove(exists: boolean, dimension: string, facet: string, key: string): void {
  if (!exists) throw CosmicError.NOT_FOUND(`no profile facet ${dimension}/${facet}/${key}`)
}
