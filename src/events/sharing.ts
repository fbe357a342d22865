import { Type } from '@sinclair/typebox'
import { defineEvent, EventId, ShortText, Time } from './schemas.js'

export const sharingEvents = {
  'consent.granted': defineEvent(
    'the person allows an audience (a sphere or an endpoint) to receive a scope of their data, optionally until a time',
    1,
    Type.Object(
      { audience: ShortText, scope: Type.Array(ShortText, { minItems: 1, maxItems: 64 }), until: Type.Optional(Time) },
      { additionalProperties: false }
    )
  ),
  'consent.revoked': defineEvent(
    'an earlier consent no longer holds',
    1,
    Type.Object({ ref: EventId }, { additionalProperties: false })
  ),
  'share.published': defineEvent(
    "something from the journal was published into a sphere, as a new envelope there: what it came from (an entry id, a facet, or patterns), and the sphere envelope's id",
    2,
    Type.Object(
      {
        sphere: ShortText,
        source: ShortText,
        kind: Type.Union([
          Type.Literal('entry'),
          Type.Literal('facet'),
          Type.Literal('summary'),
          Type.Literal('other')
        ]),
        item: Type.Optional(EventId),
        summary: Type.Optional(ShortText)
      },
      { additionalProperties: false }
    ),
    [
      {
        schema: 1,
        body: Type.Object(
          { sphere: ShortText, source: ShortText, summary: Type.Optional(ShortText) },
          { additionalProperties: false }
        ),
        upcast: (old) => ({ ...old, kind: 'other' })
      }
    ]
  ),
  'sphere.joined': defineEvent(
    'the person created or joined a sphere (its Autobase key; the keys to read it stay in the sealed sphere registry)',
    1,
    Type.Object(
      {
        sphere: Type.String({ pattern: '^[0-9a-f]{64}$', codec: 'hex32' }),
        name: ShortText,
        role: Type.Union([Type.Literal('creator'), Type.Literal('member')])
      },
      { additionalProperties: false }
    )
  ),
  'sphere.left': defineEvent(
    'the person left a sphere, or was removed from it',
    1,
    Type.Object(
      { sphere: Type.String({ pattern: '^[0-9a-f]{64}$', codec: 'hex32' }), removed: Type.Optional(Type.Boolean()) },
      { additionalProperties: false }
    )
  ),
  'share.retracted': defineEvent(
    'a share is withdrawn: peers hide it (what they received cannot be recalled)',
    1,
    Type.Object({ ref: EventId }, { additionalProperties: false })
  )
} as const
