import c from 'compact-encoding'
import { CosmicError } from '../errors.js'
import {
  currentSchema,
  decodeBody,
  type EventType,
  encodeBody,
  isEventType,
  type TypedBody,
  validateBody
} from './catalog.js'
import { blake2b256, equalBytes, pooledRandomBytes, sign, toHex, verify } from './crypto.js'

/**
 * The signed event envelope (docs/envelope.md has the exact bytes and a test vector).
 *
 *   header   = v, type, schema, author, seq, time, prev, privacy, bodyHash   (canonical bytes below)
 *   bodyHash = BLAKE2b-256(salt[16] || body bytes)
 *   id       = BLAKE2b-256(header bytes)
 *   sig      = Ed25519(author, SIGNATURE_DOMAIN || id)
 *
 * The header commits to the body without containing it, so the words can be
 * forgotten later (retraction) while every signature still verifies.
 */
export const ENVELOPE_VERSION = 1
export const BLOCK_VERSION = 1
/**
 * A second block kind: a signed header without salt or body. An import writes it
 * where the bundle holds an event whose words were forgotten (its tombstone kept
 * only the signed header), so the log keeps every position, and decodeBlock reads
 * it back as a redacted event that still verifies.
 */
export const REDACTED_BLOCK_VERSION = 2
export const SALT_BYTES = 16
/** Prefixed to the id before signing, so an event signature can never be replayed as another kind of message. */
export const SIGNATURE_DOMAIN = new TextEncoder().encode('cosmicsynccore/event/v1\n')

export type Privacy = 'private' | 'shareable'
const PRIVACY: readonly Privacy[] = ['private', 'shareable']

export interface EventHeader {
  readonly v: number
  readonly type: EventType
  readonly schema: number
  readonly author: Uint8Array
  readonly seq: number
  readonly time: number
  readonly prev: Uint8Array | null
  readonly privacy: Privacy
  readonly bodyHash: Uint8Array
}

/** An event as read from a log: its body is null when its words were retracted. */
export type SignedEvent = {
  readonly header: EventHeader
  readonly headerBytes: Uint8Array
  readonly id: Uint8Array
  readonly sig: Uint8Array
  readonly salt: Uint8Array | null
  readonly bodyBytes: Uint8Array | null
} & ({ readonly redacted: false; readonly body: TypedBody['body'] } | { readonly redacted: true; readonly body: null })

const headerCodec: c.Encoder<EventHeader> = {
  preencode(state, h) {
    c.uint.preencode(state, h.v)
    c.string.preencode(state, h.type)
    c.uint.preencode(state, h.schema)
    c.fixed32.preencode(state, h.author)
    c.uint.preencode(state, h.seq)
    c.uint.preencode(state, h.time)
    c.uint8.preencode(state, 0)
    if (h.prev) c.fixed32.preencode(state, h.prev)
    c.uint8.preencode(state, 0)
    c.fixed32.preencode(state, h.bodyHash)
  },
  encode(state, h) {
    c.uint.encode(state, h.v)
    c.string.encode(state, h.type)
    c.uint.encode(state, h.schema)
    c.fixed32.encode(state, h.author)
    c.uint.encode(state, h.seq)
    c.uint.encode(state, h.time)
    c.uint8.encode(state, h.prev ? 1 : 0)
    if (h.prev) c.fixed32.encode(state, h.prev)
    const privacy = PRIVACY.indexOf(h.privacy)
    if (privacy < 0) throw CosmicError.INVALID_INPUT(`privacy must be private or shareable (got ${String(h.privacy)})`)
    c.uint8.encode(state, privacy)
    c.fixed32.encode(state, h.bodyHash)
  },
  decode(state) {
    const v = c.uint.decode(state)
    if (v !== ENVELOPE_VERSION)
      throw CosmicError.UNSUPPORTED_VERSION(`envelope version ${v} (this build reads ${ENVELOPE_VERSION})`)
    const type = c.string.decode(state)
    if (!isEventType(type)) throw CosmicError.UNKNOWN_EVENT_TYPE(`"${type}" is not an event type`)
    const schema = c.uint.decode(state)
    const author = c.fixed32.decode(state)
    const seq = c.uint.decode(state)
    const time = c.uint.decode(state)
    const hasPrev = c.uint8.decode(state)
    if (hasPrev > 1) throw CosmicError.DECODE_FAILED(`prev flag ${hasPrev}`)
    const prev = hasPrev ? c.fixed32.decode(state) : null
    const privacy = PRIVACY[c.uint8.decode(state)]
    if (!privacy) throw CosmicError.DECODE_FAILED('unknown privacy value')
    const bodyHash = c.fixed32.decode(state)
    return { v, type, schema, author, seq, time, prev, privacy, bodyHash }
  }
}

export function encodeHeader(header: EventHeader): Uint8Array {
  return c.encode(headerCodec, header)
}

/** Decodes header bytes and insists they are the canonical encoding (so the id is unambiguous). */
export function decodeHeader(bytes: Uint8Array): EventHeader {
  let header: EventHeader
  try {
    const state = c.state(0, bytes.byteLength, bytes)
    header = headerCodec.decode(state)
    if (state.start !== state.end) throw new Error('trailing bytes after the header')
  } catch (err) {
    if (CosmicError.is(err)) throw err
    throw CosmicError.DECODE_FAILED(`header: ${(err as Error).message}`)
  }
  if (!equalBytes(encodeHeader(header), bytes)) throw CosmicError.DECODE_FAILED('header is not canonically encoded')
  return header
}

export function eventId(headerBytes: Uint8Array): Uint8Array {
  return blake2b256(headerBytes)
}

export function signatureMessage(id: Uint8Array): Uint8Array {
  const message = new Uint8Array(SIGNATURE_DOMAIN.byteLength + id.byteLength)
  message.set(SIGNATURE_DOMAIN, 0)
  message.set(id, SIGNATURE_DOMAIN.byteLength)
  return message
}

export function bodyHash(salt: Uint8Array, bodyBytes: Uint8Array): Uint8Array {
  return blake2b256(salt, bodyBytes)
}

export interface Draft {
  readonly type: EventType
  readonly body: unknown
  readonly privacy?: Privacy
}

export interface Position {
  readonly seq: number
  readonly time: number
  readonly prev: Uint8Array | null
}

export interface SealOptions {
  /** Fixed salt, only for test vectors and golden fixtures. */
  readonly salt?: Uint8Array
  /** Write an older body schema version, only for golden fixtures of old versions. */
  readonly schema?: number
}

/** Validates a draft and turns it into a signed event at the given position. */
export function sealEvent(
  draft: Draft,
  position: Position,
  keyPair: { publicKey: Uint8Array; secretKey: Uint8Array },
  options: SealOptions = {}
): SignedEvent {
  const schema = options.schema ?? currentSchema(draft.type)
  const body = validateBody(draft.type, draft.body, schema)
  const bodyBytes = encodeBody(draft.type, body, schema)
  const salt = options.salt ?? pooledRandomBytes(SALT_BYTES)
  const header: EventHeader = {
    v: ENVELOPE_VERSION,
    type: draft.type,
    schema,
    author: keyPair.publicKey,
    seq: position.seq,
    time: position.time,
    prev: position.prev,
    privacy: draft.privacy ?? 'private',
    bodyHash: bodyHash(salt, bodyBytes)
  }
  const headerBytes = encodeHeader(header)
  const id = eventId(headerBytes)
  const sig = sign(signatureMessage(id), keyPair.secretKey)
  const current = schema === currentSchema(draft.type) ? body : decodeBody(draft.type, schema, bodyBytes)
  return { header, headerBytes, id, sig, salt, bodyBytes, redacted: false, body: current as TypedBody['body'] }
}

/** The bytes stored in a Hypercore block: version, header, signature, salt, body. */
export function encodeBlock(event: SignedEvent): Uint8Array {
  if (event.redacted || !event.salt || !event.bodyBytes) throw CosmicError.INTERNAL('a redacted event has no block')
  return blockBytes(event.headerBytes, event.sig, event.salt, event.bodyBytes)
}

function preencodeBlock(headerBytes: Uint8Array, sig: Uint8Array, salt: Uint8Array, body: Uint8Array): c.State {
  const state = c.state()
  c.uint.preencode(state, BLOCK_VERSION)
  c.buffer.preencode(state, headerBytes)
  c.fixed64.preencode(state, sig)
  c.fixed(SALT_BYTES).preencode(state, salt)
  c.buffer.preencode(state, body)
  return state
}

function blockBytes(headerBytes: Uint8Array, sig: Uint8Array, salt: Uint8Array, body: Uint8Array): Uint8Array {
  const state = preencodeBlock(headerBytes, sig, salt, body)
  state.buffer = new Uint8Array(state.end)
  c.uint.encode(state, BLOCK_VERSION)
  c.buffer.encode(state, headerBytes)
  c.fixed64.encode(state, sig)
  c.fixed(SALT_BYTES).encode(state, salt)
  c.buffer.encode(state, body)
  return state.buffer
}

/**
 * Decodes a stored block into an event. Checks that the bytes are canonical and
 * the body matches its commitment; signature checks are `verifyEvent`'s job.
 */
export function decodeBlock(block: Uint8Array): SignedEvent {
  let parts: BlockParts
  try {
    const state = c.state(0, block.byteLength, block)
    const version = c.uint.decode(state)
    if (version === REDACTED_BLOCK_VERSION) return decodeRedactedBlock(block)
    if (version !== BLOCK_VERSION) throw CosmicError.UNSUPPORTED_VERSION(`block version ${version}`)
    parts = readBlockParts(state)
  } catch (err) {
    if (CosmicError.is(err)) throw err
    throw CosmicError.DECODE_FAILED(`block: ${(err as Error).message}`)
  }
  const header = decodeHeader(parts.headerBytes)
  // Canonical without encoding it again: the decode read the whole block, and its only
  // variable-length parts are three compact-encoding uints (version, header length, body
  // length); each has one encoding of each length, the shortest being the canonical one,
  // so the block is canonical exactly when it is as long as its canonical encoding.
  if (preencodeBlock(parts.headerBytes, parts.sig, parts.salt, parts.bodyBytes).end !== block.byteLength) {
    throw CosmicError.DECODE_FAILED(`block at seq ${header.seq} is not canonically encoded`)
  }
  if (!equalBytes(bodyHash(parts.salt, parts.bodyBytes), header.bodyHash)) {
    throw CosmicError.BODY_MISMATCH(`body of seq ${header.seq} does not match its header's bodyHash`)
  }
  const body = decodeBody(header.type, header.schema, parts.bodyBytes)
  return { header, id: eventId(parts.headerBytes), ...parts, redacted: false, body: body as TypedBody['body'] }
}

interface BlockParts {
  headerBytes: Uint8Array
  sig: Uint8Array
  salt: Uint8Array
  bodyBytes: Uint8Array
}

/** The parts of a version 1 block after its version: views of its bytes, not copies. */
function readBlockParts(state: c.State): BlockParts {
  const headerBytes = c.buffer.decode(state)
  const sig = c.fixed64.decode(state)
  const salt = c.fixed(SALT_BYTES).decode(state)
  const bodyBytes = c.buffer.decode(state)
  if (!headerBytes || !bodyBytes) throw new Error('empty header or body')
  if (state.start !== state.end) throw new Error('trailing bytes after the body')
  return { headerBytes, sig, salt, bodyBytes }
}

/**
 * The event in a block that `sealEvent` and `encodeBlock` made elsewhere (a worker
 * thread) from this draft at this position: read back from the block's bytes and what
 * the sealer was given, without decoding or checking again (the sealer validated).
 */
export function sealedEvent(
  block: Uint8Array,
  id: Uint8Array,
  draft: Draft,
  position: Position,
  author: Uint8Array
): SignedEvent {
  const state = c.state(0, block.byteLength, block)
  if (c.uint.decode(state) !== BLOCK_VERSION) throw CosmicError.INTERNAL('a sealed block of another version')
  const parts = readBlockParts(state)
  const header: EventHeader = {
    v: ENVELOPE_VERSION,
    type: draft.type,
    schema: currentSchema(draft.type),
    author,
    seq: position.seq,
    time: position.time,
    prev: position.prev,
    privacy: draft.privacy ?? 'private',
    bodyHash: parts.headerBytes.subarray(parts.headerBytes.byteLength - 32)
  }
  return { header, id, ...parts, redacted: false, body: draft.body as TypedBody['body'] }
}

/** The block of a redacted event (version 2): its header bytes and signature, nothing else. */
export function encodeRedactedBlock(event: SignedEvent): Uint8Array {
  if (!event.redacted) throw CosmicError.INTERNAL('only a redacted event has a redacted block')
  return redactedBlockBytes(event.headerBytes, event.sig)
}

function redactedBlockBytes(headerBytes: Uint8Array, sig: Uint8Array): Uint8Array {
  const state = c.state()
  c.uint.preencode(state, REDACTED_BLOCK_VERSION)
  c.buffer.preencode(state, headerBytes)
  c.fixed64.preencode(state, sig)
  state.buffer = new Uint8Array(state.end)
  c.uint.encode(state, REDACTED_BLOCK_VERSION)
  c.buffer.encode(state, headerBytes)
  c.fixed64.encode(state, sig)
  return state.buffer
}

function decodeRedactedBlock(block: Uint8Array): SignedEvent {
  let parts: { headerBytes: Uint8Array; sig: Uint8Array }
  try {
    const state = c.state(0, block.byteLength, block)
    c.uint.decode(state)
    const headerBytes = c.buffer.decode(state)
    const sig = c.fixed64.decode(state)
    if (!headerBytes) throw new Error('empty header')
    if (state.start !== state.end) throw new Error('trailing bytes after the signature')
    parts = { headerBytes, sig }
  } catch (err) {
    throw CosmicError.DECODE_FAILED(`redacted block: ${(err as Error).message}`)
  }
  const event = redactedEvent(parts.headerBytes, parts.sig)
  if (!equalBytes(redactedBlockBytes(parts.headerBytes, parts.sig), block)) {
    throw CosmicError.DECODE_FAILED(`redacted block at seq ${event.header.seq} is not canonically encoded`)
  }
  return event
}

/** A redacted event: the signed header that a tombstone kept, without salt or body. */
export function redactedEvent(headerBytes: Uint8Array, sig: Uint8Array): SignedEvent {
  const header = decodeHeader(headerBytes)
  return { header, headerBytes, id: eventId(headerBytes), sig, salt: null, bodyBytes: null, redacted: true, body: null }
}

/** Verifies the signature over the id (which is recomputed from the header bytes). */
export function verifyEvent(event: SignedEvent, expectedAuthor?: Uint8Array): void {
  const id = eventId(event.headerBytes)
  if (!equalBytes(id, event.id))
    throw CosmicError.INVALID_ID(`seq ${event.header.seq}: id does not hash from its header`)
  if (expectedAuthor && !equalBytes(event.header.author, expectedAuthor)) {
    throw CosmicError.FOREIGN_AUTHOR(
      `seq ${event.header.seq}: signed by ${toHex(event.header.author)}, not this journal's author`
    )
  }
  if (!verify(event.sig, signatureMessage(id), event.header.author)) {
    throw CosmicError.INVALID_SIGNATURE(
      `seq ${event.header.seq}: the signature does not verify for ${toHex(event.header.author)}`
    )
  }
}

/** The JSON form of an event, used by `--json`, the API and export bundles. */
export interface EventJson {
  id: string
  seq: number
  time: number
  type: EventType
  schema: number
  v: number
  author: string
  prev: string | null
  privacy: Privacy
  bodyHash: string
  sig: string
  salt: string | null
  redacted: boolean
  body: unknown
}

export function eventToJson(event: SignedEvent): EventJson {
  const h = event.header
  return {
    id: toHex(event.id),
    seq: h.seq,
    time: h.time,
    type: h.type,
    schema: h.schema,
    v: h.v,
    author: toHex(h.author),
    prev: h.prev ? toHex(h.prev) : null,
    privacy: h.privacy,
    bodyHash: toHex(h.bodyHash),
    sig: toHex(event.sig),
    salt: event.salt ? toHex(event.salt) : null,
    redacted: event.redacted,
    body: event.body
  }
}
