import { Type } from '@sinclair/typebox'
import { CosmicError } from '../errors.js'
import { Dimension, defineEvent, EventId, HexBytes, ShortText, Tags, Text } from './schemas.js'

const redactedFields = {
  seq: Type.Integer({ minimum: 0 }),
  header: HexBytes,
  sig: Type.String({ pattern: '^[0-9a-f]{128}$', codec: 'hex' }),
  /** The cleared block's Merkle leaf (hash and size of the stored bytes): audit still recomputes the signed tree. */
  leaf: EventId,
  size: Type.Integer({ minimum: 1 })
}

/**
 * A signed header kept by a tombstone: the event's header bytes and its signature,
 * without the words; `device` is the device whose log holds it (0: the device that
 * created the identity) and `seq` its seq in that log.
 */
export const RedactedHeader = Type.Object(
  { device: Type.Integer({ minimum: 0, maximum: 0xffff_ffff }), ...redactedFields },
  { additionalProperties: false }
)
/** Schema 1, from before devices: every event was in device 0's log. */
const RedactedHeaderV1 = Type.Object(redactedFields, { additionalProperties: false })

export const reflectionEvents = {
  'reflection.recorded': defineEvent(
    'a journal entry: text, an optional mood, tags and the dimension it touches; sealed entries never leave the device',
    1,
    Type.Object(
      {
        text: Text,
        mood: Type.Optional(ShortText),
        tags: Tags,
        dimension: Type.Optional(Dimension),
        sealed: Type.Optional(Type.Boolean())
      },
      { additionalProperties: false }
    )
  ),
  'reflection.amended': defineEvent(
    'new text for an earlier entry; the earlier versions stay in the log',
    1,
    Type.Object({ ref: EventId, text: Text }, { additionalProperties: false })
  ),
  'reflection.retracted': defineEvent(
    'a tombstone: the entry, its amendments and mirrorbacks are forgotten; their signed headers stay so the log still verifies',
    2,
    Type.Object(
      { ref: EventId, redacted: Type.Array(RedactedHeader, { minItems: 1, maxItems: 10_000 }) },
      { additionalProperties: false }
    ),
    [
      {
        schema: 1,
        body: Type.Object(
          { ref: EventId, redacted: Type.Array(RedactedHeaderV1, { minItems: 1, maxItems: 10_000 }) },
          { additionalProperties: false }
        ),
        upcast: (old) => ({
          ...old,
          redacted: (old.redacted as Record<string, unknown>[]).map((r) => ({ device: 0, ...r }))
        })
      }
    ]
  )
} as const

/** What a decision about an existing entry needs to know of it. */
export interface ReflectionState {
  id: string
  seq: number
  retracted: boolean
  sealed: boolean
  privacy: 'private' | 'shareable'
}

export function decideAmend(entry: ReflectionState | undefined, ref: string): void {
  if (!entry) throw CosmicError.NOT_FOUND(`no journal entry with id ${ref}`)
  if (entry.retracted)
    throw CosmicError.CONFLICT(`entry ${ref} was retracted; its words are gone and cannot be amended`)
}

export function decideRetract(entry: ReflectionState | undefined, ref: string): void {
  if (!entry) throw CosmicError.NOT_FOUND(`no journal entry with id ${ref}`)
  if (entry.retracted) throw CosmicError.CONFLICT(`entry ${ref} is already retracted`)
}

export function decideRecord(input: { sealed?: boolean; privacy: 'private' | 'shareable' }): void {
  if (input.sealed && input.privacy === 'shareable') {
    throw CosmicError.INVALID_INPUT('a sealed entry cannot be shareable: sealed means it never leaves this device')
  }
}
