import { mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { EventType } from '../src/events/catalog.js'
import { keyPairFromSeed, toHex } from '../src/events/crypto.js'
import {
  type Draft,
  encodeBlock,
  type Position,
  SIGNATURE_DOMAIN,
  type SignedEvent,
  sealEvent,
  signatureMessage
} from '../src/events/envelope.js'

/**
 * Writes fixtures/test-vector.json: two chained events from a fixed identity, with
 * every intermediate byte string in hex, so that another implementation (or a
 * reader with any BLAKE2b and Ed25519 library) can check the envelope byte for byte.
 * Everything is fixed (seed, salts, times), so the output is the same on every run;
 * docs/envelope.md quotes it and test/envelope.test.ts recomputes it.
 */

const SEED = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
const FIRST_TIME = 1767225600000 // 2026-01-01T00:00:00Z

interface VectorEventInput {
  readonly draft: Draft & { readonly type: EventType }
  readonly seq: number
  readonly time: number
  readonly salt: Uint8Array
}

const INPUTS: readonly VectorEventInput[] = [
  {
    draft: {
      type: 'reflection.recorded',
      privacy: 'private',
      body: {
        text: 'First light of the year — I want to listen more than I speak.',
        mood: 'hopeful',
        tags: ['listening', 'new-year'],
        dimension: 'heart'
      }
    },
    seq: 0,
    time: FIRST_TIME,
    salt: Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i)
  },
  {
    draft: {
      type: 'reflection.recorded',
      privacy: 'shareable',
      body: { text: 'Listened first today.', tags: [], dimension: 'mind' }
    },
    seq: 1,
    time: FIRST_TIME + 90_000,
    salt: Uint8Array.from({ length: 16 }, (_, i) => 0xb0 + i)
  }
]

interface TestVectorEvent {
  type: string
  schema: number
  privacy: string
  seq: number
  time: number
  prev: string | null
  body: unknown
  bodyBytes: string
  salt: string
  bodyHash: string
  headerBytes: string
  id: string
  signedMessage: string
  sig: string
  blockBytes: string
}

interface TestVector {
  description: string
  generatedBy: string
  signatureDomain: { utf8: string; hex: string }
  seed: string
  publicKey: string
  secretKey: string
  events: TestVectorEvent[]
}

function vectorEvent(event: SignedEvent): TestVectorEvent {
  if (event.redacted || !event.salt || !event.bodyBytes) throw new Error('a test vector event needs its body')
  const h = event.header
  return {
    type: h.type,
    schema: h.schema,
    privacy: h.privacy,
    seq: h.seq,
    time: h.time,
    prev: h.prev ? toHex(h.prev) : null,
    body: event.body,
    bodyBytes: toHex(event.bodyBytes),
    salt: toHex(event.salt),
    bodyHash: toHex(h.bodyHash),
    headerBytes: toHex(event.headerBytes),
    id: toHex(event.id),
    signedMessage: toHex(signatureMessage(event.id)),
    sig: toHex(event.sig),
    blockBytes: toHex(encodeBlock(event))
  }
}

function buildTestVector(): TestVector {
  const keyPair = keyPairFromSeed(SEED)
  const events: TestVectorEvent[] = []
  let prev: Uint8Array | null = null
  for (const input of INPUTS) {
    const position: Position = { seq: input.seq, time: input.time, prev }
    const event = sealEvent(input.draft, position, keyPair, { salt: input.salt })
    events.push(vectorEvent(event))
    prev = event.id
  }
  return {
    description:
      'CosmicSyncCore event envelope v1 test vector: two chained events by one identity. See docs/envelope.md.',
    generatedBy: 'scripts/make-test-vector.ts (never edit by hand)',
    signatureDomain: { utf8: new TextDecoder().decode(SIGNATURE_DOMAIN), hex: toHex(SIGNATURE_DOMAIN) },
    seed: toHex(SEED),
    publicKey: toHex(keyPair.publicKey),
    secretKey: toHex(keyPair.secretKey),
    events
  }
}

const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url))
mkdirSync(fixtures, { recursive: true })
const target = `${fixtures}test-vector.json`
writeFileSync(target, `${JSON.stringify(buildTestVector(), null, 2)}\n`)
console.log(`wrote ${target}`)
