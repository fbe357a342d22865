import { Type } from '@sinclair/typebox'
import { CosmicError } from '../errors.js'
import { defineEvent, Intensity, Name, ShortText, Slug, Text } from './schemas.js'

const Poles = Type.Array(ShortText, {
  minItems: 2,
  maxItems: 2,
  description: 'the two poles, e.g. ["scarcity", "control"]'
})

const TensionNotedV1 = Type.Object(
  {
    id: Slug,
    name: Name,
    poles: Poles,
    domain: ShortText,
    intensity: Type.Integer({ minimum: 0, maximum: 10 })
  },
  { additionalProperties: false }
)

export const tensionEvents = {
  'tension.noted': defineEvent(
    'a tension the person lives with, between two poles, in a domain of life, with an intensity from 0 to 1',
    2,
    Type.Object(
      { id: Slug, name: Name, poles: Poles, domain: ShortText, intensity: Intensity },
      { additionalProperties: false }
    ),
    [
      {
        // Version 1 (before 0.1) rated intensity as a whole number from 0 to 10.
        schema: 1,
        body: TensionNotedV1,
        upcast: (old) => ({ ...old, intensity: (old.intensity as number) / 10 })
      }
    ]
  ),
  'tension.shifted': defineEvent(
    'the felt intensity of a tension changed, optionally toward one pole',
    1,
    Type.Object({ id: Slug, intensity: Intensity, toward: Type.Optional(ShortText) }, { additionalProperties: false })
  ),
  'tension.resolved': defineEvent(
    'a tension is resolved, with the insight that resolved it (it may come back: a loop)',
    1,
    Type.Object({ id: Slug, insight: Text }, { additionalProperties: false })
  )
} as const

export interface TensionState {
  id: string
  name: string
  poles: [string, string]
  resolved: boolean
}

/** A readable, stable id from the tension's name: "Money: scarcity vs control" -> "money-scarcity-vs-control". */
export function tensionSlug(name: string, taken: (slug: string) => boolean): string {
  const base =
    name
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48)
      .replace(/-+$/, '') || 'tension'
  if (!taken(base)) return base
  for (let n = 2; ; n++) {
    const slug = `${base}-${n}`
    if (!taken(slug)) return slug
  }
}

export function decideShift(tension: TensionState | undefined, id: string, toward: string | undefined): void {
  if (!tension) throw CosmicError.NOT_FOUND(`no tension with id ${id}`)
  if (toward !== undefined && !tension.poles.includes(toward)) {
    throw CosmicError.INVALID_INPUT(`--toward must be one of the poles of ${id}: ${tension.poles.join(', ')}`)
  }
}

export function decideResolve(tension: TensionState | undefined, id: string): void {
  if (!tension) throw CosmicError.NOT_FOUND(`no tension with id ${id}`)
  if (tension.resolved) throw CosmicError.CONFLICT(`tension ${id} is already resolved; shift it to bring it back`)
}
