import { Type } from '@sinclair/typebox'
import { defineEvent, EventId, ShortText, Text, Time } from './schemas.js'

export const mirrorEvents = {
  'mirrorback.generated': defineEvent(
    'the mirror reflected an entry back; the text is recorded so replay never re-runs a model',
    1,
    Type.Object(
      {
        ref: EventId,
        text: Text,
        themes: Type.Array(ShortText, { maxItems: 64 }),
        engine: Type.Object(
          {
            kind: Type.Union([Type.Literal('builtin'), Type.Literal('local_llm'), Type.Literal('remote_llm')]),
            model: ShortText,
            promptHash: Type.String({ pattern: '^[0-9a-f]{64}$', codec: 'hex32' })
          },
          { additionalProperties: false }
        )
      },
      { additionalProperties: false }
    )
  ),
  'evolution.noted': defineEvent(
    'a narrative of what changed between two times',
    1,
    Type.Object(
      { from: Time, to: Time, summary: Text, changes: Type.Array(ShortText, { maxItems: 1000 }) },
      { additionalProperties: false }
    )
  )
} as const
