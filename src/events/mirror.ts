import { Type } from '@sinclair/typebox'
import { defineEvent, EventId, ShortText, Text, Time } from './schemas.js'

/** Which engine wrote a text: the provider, its model and the hash of the exact prompt. */
const EngineProvenance = Type.Object(
  {
    kind: Type.Union([Type.Literal('builtin'), Type.Literal('local_llm'), Type.Literal('remote_llm')]),
    model: ShortText,
    promptHash: Type.String({ pattern: '^[0-9a-f]{64}$', codec: 'hex32' })
  },
  { additionalProperties: false }
)

export const mirrorEvents = {
  'mirrorback.generated': defineEvent(
    'the mirror reflected an entry back; the text is recorded so replay never re-runs a model',
    1,
    Type.Object(
      {
        ref: EventId,
        text: Text,
        themes: Type.Array(ShortText, { maxItems: 64 }),
        engine: EngineProvenance
      },
      { additionalProperties: false }
    )
  ),
  'evolution.noted': defineEvent(
    'a narrative of what changed between two times, and which engine wrote it',
    2,
    Type.Object(
      {
        from: Time,
        to: Time,
        summary: Text,
        changes: Type.Array(ShortText, { maxItems: 1000 }),
        engine: Type.Optional(EngineProvenance)
      },
      { additionalProperties: false }
    ),
    [
      {
        // Version 1 did not record the engine; its notes read as notes without provenance.
        schema: 1,
        body: Type.Object(
          { from: Time, to: Time, summary: Text, changes: Type.Array(ShortText, { maxItems: 1000 }) },
          { additionalProperties: false }
        ),
        upcast: (old) => old
      }
    ]
  )
} as const
