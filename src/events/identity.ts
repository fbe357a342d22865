import { Type } from '@sinclair/typebox'
import { defineEvent, Name } from './schemas.js'

export const identityEvents = {
  'identity.created': defineEvent(
    'the journal begins: the person names themselves (any name; it never leaves unless shared)',
    1,
    Type.Object({ name: Name }, { additionalProperties: false })
  ),
  'identity.renamed': defineEvent(
    'the person changes the name they go by',
    1,
    Type.Object({ name: Name }, { additionalProperties: false })
  )
} as const
