import { Type } from '@sinclair/typebox'
import { defineEvent } from './schemas.js'

const Key = Type.String({ pattern: '^[0-9a-f]{64}$', codec: 'hex32' })
const Component = Type.Number({ minimum: 0, maximum: 1_000_000 })

/**
 * The person's verdict on a match a sphere offered them. It stays in the private
 * journal: the re-ranking model is learned from these events on this device and
 * never leaves it (docs/matching.md).
 */
export const matchEvents = {
  'match.feedback': defineEvent(
    'the person found a match helpful or not: the sphere, the member, and the score components the match had (before weights), which the on-device re-ranking model learns from',
    1,
    Type.Object(
      {
        sphere: Key,
        member: Key,
        helpful: Type.Boolean(),
        components: Type.Object(
          { interests: Component, skills: Component, values: Component, semantic: Component },
          { additionalProperties: false }
        )
      },
      { additionalProperties: false }
    )
  )
} as const
