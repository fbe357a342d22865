import { type TSchema, Type } from '@sinclair/typebox'

/** Building blocks shared by the event body schemas. `codec` picks the canonical bytes (body-codec.ts). */

export const EventId = Type.String({
  pattern: '^[0-9a-f]{64}$',
  codec: 'hex32',
  description: 'an event id: 64 lower-case hex characters'
})
export const HexBytes = Type.String({ pattern: '^([0-9a-f]{2})*$', maxLength: 4096, codec: 'hex' })
export const Text = Type.String({ minLength: 1, maxLength: 50_000 })
export const ShortText = Type.String({ minLength: 1, maxLength: 500 })
export const Name = Type.String({ minLength: 1, maxLength: 200 })
export const Tag = Type.String({ pattern: '^[^\\s,#]{1,64}$', description: 'one word, no spaces, commas or #' })
export const Tags = Type.Array(Tag, { maxItems: 64 })
export const Time = Type.Integer({ minimum: 0, description: 'ms since the Unix epoch' })
export const Intensity = Type.Number({ minimum: 0, maximum: 1 })
export const Slug = Type.String({
  pattern: '^[a-z0-9][a-z0-9-]{0,63}$',
  description: 'lower-case letters, digits and -'
})

export const Dimension = Type.Union([Type.Literal('mind'), Type.Literal('heart'), Type.Literal('body')])
export type Dimension = 'mind' | 'heart' | 'body'

/** One version of one event type's body. */
export interface BodyVersion {
  schema: number
  body: TSchema
  /** Turns a body of this (old) version into a body of the current version. */
  upcast?: (old: Record<string, unknown>) => Record<string, unknown>
}

export interface EventDefinition<B extends TSchema = TSchema> {
  /** Current schema version: what new events are written with. */
  schema: number
  body: B
  /** Older versions still readable forever, each with its upcaster. */
  legacy: readonly BodyVersion[]
  /** One line for docs/events.md and `cosmic help`. */
  summary: string
}

export function defineEvent<B extends TSchema>(
  summary: string,
  schema: number,
  body: B,
  legacy: readonly BodyVersion[] = []
): EventDefinition<B> {
  return { summary, schema, body, legacy }
}
