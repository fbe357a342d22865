import { Type } from '@sinclair/typebox'
import { Dimension, defineEvent, EventId, Name, ShortText, Tags, Text, Time } from './schemas.js'

/**
 * Events of a sphere's log (src/swarm): the same signed envelope as the journal, but
 * written into a sphere's Autobase with the sphere's own `seq`/`prev` per author, never
 * into the private journal (Journal refuses these types; the journal's own
 * `sphere.joined`/`sphere.left` record, privately, which spheres the person is in). A sphere event is a
 * new event, not a copy of a journal event, so journal positions never leak.
 */

const PublicKey = Type.String({
  pattern: '^[0-9a-f]{64}$',
  codec: 'hex32',
  description: 'an ed25519 or Hypercore public key: 64 lower-case hex characters'
})
const Signature = Type.String({ pattern: '^[0-9a-f]{128}$', codec: 'hex', description: '64-byte ed25519 signature' })
/** Secret bytes sealed for their readers (src/swarm/epoch-keys.ts): only they can open them. */
const Sealed = (maxBytes: number, description: string) =>
  Type.String({ pattern: '^([0-9a-f]{2})+$', maxLength: 2 * maxBytes, codec: 'hex', description })
/** An epoch of a sphere: 0 for the Autobase it was created as, one more for each key rotation. */
const Epoch = Type.Integer({ minimum: 0, maximum: 0xffffffff, description: 'the epoch number' })

/** The most members a sphere's key can be rotated for in one envelope. */
export const MAX_ROTATION_MEMBERS = 1000

const SharedFacet = Type.Union(
  ['skill', 'interest', 'project', 'seeking', 'value', 'emotion', 'relationship', 'health', 'activity', 'presence'].map(
    (f) => Type.Literal(f)
  )
)

const Count = Type.Object(
  { name: Name, count: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }) },
  { additionalProperties: false }
)

export const sphereEvents = {
  'sphere.created': defineEvent(
    "the first event of a sphere: its name, its creator's display name and device swarm key; the author becomes its first member and admin",
    1,
    Type.Object({ name: Name, by: Name, peer: Type.Optional(PublicKey) }, { additionalProperties: false })
  ),
  'sphere.member.added': defineEvent(
    'a member admits a person: their identity key, the device (Autobase writer, swarm key) it binds, and their signed consent to that binding',
    1,
    Type.Object(
      {
        member: PublicKey,
        writer: PublicKey,
        name: Name,
        proof: Signature,
        admin: Type.Optional(Type.Boolean()),
        peer: Type.Optional(PublicKey)
      },
      { additionalProperties: false }
    )
  ),
  'sphere.member.removed': defineEvent(
    'an admin removes a member: their devices stop being writers; what they received stays with them',
    1,
    Type.Object({ member: PublicKey, reason: Type.Optional(ShortText) }, { additionalProperties: false })
  ),
  'sphere.member.left': defineEvent(
    'the author leaves the sphere',
    1,
    Type.Object({ note: Type.Optional(ShortText) }, { additionalProperties: false })
  ),
  'sphere.entry.shared': defineEvent(
    'a journal entry the person chose to share, as a new envelope: its words, tags, mood and the day it was written',
    1,
    Type.Object(
      {
        text: Text,
        tags: Tags,
        mood: Type.Optional(ShortText),
        dimension: Type.Optional(Dimension),
        written: Time
      },
      { additionalProperties: false }
    )
  ),
  'sphere.facet.shared': defineEvent(
    'a profile facet the person chose to share (skills, interests, values, seeking, projects feed matching)',
    1,
    Type.Object(
      {
        dimension: Dimension,
        facet: SharedFacet,
        key: Type.String({ minLength: 1, maxLength: 200 }),
        value: Type.Optional(Type.String({ maxLength: 2000 })),
        level: Type.Optional(Type.Integer({ minimum: 1, maximum: 5 }))
      },
      { additionalProperties: false }
    )
  ),
  'sphere.summary.shared': defineEvent(
    'a derived summary of the journal: counts of themes and emotions over a window, never content',
    1,
    Type.Object(
      {
        from: Time,
        to: Time,
        entries: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }),
        themes: Type.Array(Count, { maxItems: 50 }),
        emotions: Type.Array(Count, { maxItems: 50 })
      },
      { additionalProperties: false }
    )
  ),
  'sphere.share.retracted': defineEvent(
    'the author withdraws something they shared: peers hide it (what a peer already received cannot be recalled)',
    1,
    Type.Object({ ref: EventId }, { additionalProperties: false })
  ),
  'sphere.key.rotated': defineEvent(
    'an admin moves the sphere to a new key: a new epoch (a new Autobase) whose keys are sealed to each member named here and to no one else; the first one of an epoch starts it, a later one for the same epoch hands its keys to members it missed',
    1,
    Type.Object(
      {
        epoch: Epoch,
        cause: Type.Union([Type.Literal('removal'), Type.Literal('departure'), Type.Literal('manual')]),
        keys: Type.Array(
          Type.Object(
            {
              member: PublicKey,
              box: Sealed(256, "the new epoch's keys, sealed to this member's identity key (crypto_box_seal)")
            },
            { additionalProperties: false }
          ),
          { minItems: 1, maxItems: MAX_ROTATION_MEMBERS }
        )
      },
      { additionalProperties: false }
    )
  ),
  'sphere.epoch.started': defineEvent(
    "the first event of a sphere's new epoch, written by the admin who rotated the key: the sphere it continues, the epoch before it, the members it starts with, and the keys of the earlier epochs sealed for its own members",
    1,
    Type.Object(
      {
        name: Name,
        by: Name,
        peer: Type.Optional(PublicKey),
        epoch: Epoch,
        sphere: PublicKey,
        previous: PublicKey,
        members: Type.Array(
          Type.Object(
            {
              member: PublicKey,
              name: Name,
              admin: Type.Boolean(),
              peers: Type.Array(PublicKey, { maxItems: 64 }),
              since: Time,
              addedBy: PublicKey
            },
            { additionalProperties: false }
          ),
          { minItems: 1, maxItems: MAX_ROTATION_MEMBERS }
        ),
        history: Sealed(100_000, "the earlier epochs' keys, sealed with a key derived from this epoch's")
      },
      { additionalProperties: false }
    )
  ),
  'sphere.epoch.followed': defineEvent(
    "a member's device asks to follow the sphere into its new epoch: its new device (writer) key and its signed binding, sealed for the new epoch's members",
    1,
    Type.Object(
      { epoch: Epoch, sealed: Sealed(512, "the device's new writer key and binding, sealed with the new epoch's key") },
      { additionalProperties: false }
    )
  ),
  'sphere.post': defineEvent(
    'a sphere-native post, or a reply to an earlier sphere event',
    1,
    Type.Object({ text: Text, replyTo: Type.Optional(EventId) }, { additionalProperties: false })
  )
} as const

export type SphereEventType = keyof typeof sphereEvents
const SPHERE_TYPES: ReadonlySet<string> = new Set(Object.keys(sphereEvents))

/** True for the types that belong in a sphere's log and never in the journal. */
export function isSphereEventType(type: string): type is SphereEventType {
  return SPHERE_TYPES.has(type)
}
