import { Type } from '@sinclair/typebox'
import { defineEvent, EventId, ShortText } from './schemas.js'

export const EgressPurpose = Type.Union([Type.Literal('mirror'), Type.Literal('evolution')])
export type EgressPurpose = 'mirror' | 'evolution'

/**
 * The egress ledger: one event per request that leaves the device, appended before
 * the request is sent (a ledger that can over-report a refused connection, never
 * under-report). It names what was sent and proves it by hash, without holding it.
 */
export const egressEvents = {
  'egress.recorded': defineEvent(
    'bytes left the device: one request to a remote endpoint, recorded before it is sent, with the ids of the events whose content it carried, its size and the hash of its payload (never the payload)',
    1,
    Type.Object(
      {
        endpoint: ShortText,
        purpose: EgressPurpose,
        model: ShortText,
        consent: EventId,
        sent: Type.Array(EventId, { maxItems: 10_000 }),
        bytes: Type.Integer({ minimum: 0, description: 'size of the request body in bytes' }),
        contentBytes: Type.Integer({ minimum: 0, description: 'bytes of journal content inside it' }),
        payloadHash: Type.String({
          pattern: '^[0-9a-f]{64}$',
          codec: 'hex32',
          description: 'BLAKE2b-256 of the exact request body bytes'
        }),
        attempt: Type.Integer({ minimum: 1, maximum: 100, description: '1 for the first try, 2 for the first retry' })
      },
      { additionalProperties: false }
    )
  )
} as const
