import { Type } from '@sinclair/typebox'
import { defineEvent, EventId, Name } from './schemas.js'

/**
 * A device of the person: the one that created the identity is device 0; every other
 * one gets a random 32-bit number when it pairs. Each device writes its own journal
 * log (a Hypercore whose key pair is derived from the seed and the device number);
 * the read model merges every device's log in one order (docs/devices.md).
 */
export const DeviceNumber = Type.Integer({ minimum: 1, maximum: 0xffff_ffff })

export const deviceEvents = {
  'device.paired': defineEvent(
    'another device of the same person joined: it writes its own log of this journal, and the devices replicate their logs to each other only',
    1,
    Type.Object({ device: DeviceNumber, name: Name }, { additionalProperties: false })
  ),
  'redaction.acknowledged': defineEvent(
    'this device cleared the words of its own newest event, which a tombstone from another device names: a log never has its newest block cleared (its signed head must stay provable)',
    1,
    Type.Object({ ref: EventId }, { additionalProperties: false })
  ),
  'device.removed': defineEvent(
    'a device is no longer one of this person’s (0: the one that created the identity): its log is no longer replicated to or from it',
    1,
    Type.Object({ device: Type.Integer({ minimum: 0, maximum: 0xffff_ffff }) }, { additionalProperties: false })
  )
} as const
