import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import test from 'brittle'
import { CosmicError } from '../src/errors.js'
import type { EventType } from '../src/events/catalog.js'
import { fromHex, keyPairFromSeed, sign, toHex } from '../src/events/crypto.js'
import {
  bodyHash,
  decodeBlock,
  decodeHeader,
  encodeBlock,
  encodeHeader,
  eventId,
  eventToJson,
  type Privacy,
  redactedEvent,
  SIGNATURE_DOMAIN,
  type SignedEvent,
  sealEvent,
  signatureMessage,
  verifyEvent
} from '../src/events/envelope.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const VECTOR_FILE = `${ROOT}fixtures/test-vector.json`
const ENVELOPE_DOC = `${ROOT}docs/envelope.md`

const alice = keyPairFromSeed(Uint8Array.from({ length: 32 }, (_, i) => i + 1))
const mallory = keyPairFromSeed(Uint8Array.from({ length: 32 }, (_, i) => 0xc0 + i))
const TIME = 1767225600000

interface VectorEvent {
  type: EventType
  schema: number
  privacy: Privacy
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

interface Vector {
  signatureDomain: { utf8: string; hex: string }
  seed: string
  publicKey: string
  secretKey: string
  events: VectorEvent[]
}

function readVector(): Vector {
  return JSON.parse(readFileSync(VECTOR_FILE, 'utf8')) as Vector
}

/** The code of the CosmicError that fn throws, or a description of what happened instead. */
function codeOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    return CosmicError.is(err) ? err.code : `not a CosmicError: ${String(err)}`
  }
  return 'no error'
}

/** Two chained events by alice; fixed salts make every byte the same on every run. */
function chain(): [SignedEvent, SignedEvent] {
  const first = sealEvent(
    { type: 'reflection.recorded', body: { text: 'first', tags: ['a'], mood: 'ok', dimension: 'mind' } },
    { seq: 0, time: TIME, prev: null },
    alice,
    { salt: new Uint8Array(16).fill(1) }
  )
  const second = sealEvent(
    { type: 'reflection.amended', body: { ref: toHex(first.id), text: 'first, amended' }, privacy: 'shareable' },
    { seq: 1, time: TIME + 1, prev: first.id },
    alice,
    { salt: new Uint8Array(16).fill(2) }
  )
  return [first, second]
}

function hexOrNull(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : toHex(bytes)
}

/** Replaces the bytes at offset (length `length`) of `bytes` with `replacement`. */
function splice(bytes: Uint8Array, offset: number, length: number, replacement: number[]): Uint8Array {
  return Uint8Array.from([...bytes.subarray(0, offset), ...replacement, ...bytes.subarray(offset + length)])
}

test('seal, encode, decode: a block round-trips and verifies', (t) => {
  for (const event of chain()) {
    const block = encodeBlock(event)
    const decoded = decodeBlock(block)
    t.alike(eventToJson(decoded), eventToJson(event), `${event.header.type}: same event after decoding`)
    t.is(toHex(decoded.headerBytes), toHex(event.headerBytes), 'same header bytes')
    t.is(hexOrNull(decoded.bodyBytes), hexOrNull(event.bodyBytes), 'same body bytes')
    t.is(toHex(encodeBlock(decoded)), toHex(block), 'encoding the decoded event gives the same block')
    t.is(
      codeOf(() => verifyEvent(decoded)),
      'no error',
      'verifies'
    )
    t.is(
      codeOf(() => verifyEvent(decoded, alice.publicKey)),
      'no error',
      'verifies with its author expected'
    )
  }
})

test('decodeHeader(encodeHeader(h)) gives h back', (t) => {
  const [, second] = chain()
  const decoded = decodeHeader(encodeHeader(second.header))
  // compare through hex: decoding yields plain Uint8Arrays where sealing may hold Buffers
  const hexed = (h: typeof decoded) => ({
    ...h,
    author: toHex(h.author),
    prev: hexOrNull(h.prev),
    bodyHash: toHex(h.bodyHash)
  })
  t.alike(hexed(decoded), hexed(second.header))
})

test('a redacted event (header and signature only) still verifies', (t) => {
  const [first] = chain()
  const redacted = redactedEvent(first.headerBytes, first.sig)
  t.is(redacted.body, null)
  t.is(toHex(redacted.id), toHex(first.id))
  t.is(
    codeOf(() => verifyEvent(redacted, alice.publicKey)),
    'no error'
  )
})

test('changing any single byte of a block to any other value is detected', (t) => {
  const [, second] = chain()
  const block = encodeBlock(second)
  const undetected: string[] = []
  const codes = new Map<string, number>()
  for (let position = 0; position < block.byteLength; position++) {
    for (let value = 0; value < 256; value++) {
      if (value === block[position]) continue
      const tampered = block.slice()
      tampered[position] = value
      const code = codeOf(() => verifyEvent(decodeBlock(tampered), alice.publicKey))
      if (code === 'no error' || code.startsWith('not a CosmicError'))
        undetected.push(`byte ${position} = ${value}: ${code}`)
      codes.set(code, (codes.get(code) ?? 0) + 1)
    }
  }
  t.comment(`${block.byteLength} positions; outcomes: ${[...codes].map(([c, n]) => `${c} ${n}`).join(', ')}`)
  t.is(undetected.length, 0, 'every change makes decodeBlock or verifyEvent throw a CosmicError')
  t.alike(undetected.slice(0, 20), [], 'the first changes that were not')
})

test('a salt that does not belong to the body gives BODY_MISMATCH', (t) => {
  const [first] = chain()
  const swapped = { ...first, salt: new Uint8Array(16) }
  t.is(
    codeOf(() => decodeBlock(encodeBlock(swapped))),
    'BODY_MISMATCH'
  )
})

test('an id that does not hash from the header gives INVALID_ID', (t) => {
  const [first, second] = chain()
  t.is(
    codeOf(() => verifyEvent({ ...first, id: second.id })),
    'INVALID_ID'
  )
})

test('forgeries: a foreign author, a swapped signature, a signature without the domain tag', (t) => {
  const draft = { type: 'reflection.recorded' as const, body: { text: 'not mine', tags: [] } }
  const position = { seq: 0, time: TIME, prev: null }

  const byMallory = decodeBlock(encodeBlock(sealEvent(draft, position, mallory)))
  t.is(
    codeOf(() => verifyEvent(byMallory)),
    'no error',
    "mallory's own event verifies as mallory's"
  )
  t.is(
    codeOf(() => verifyEvent(byMallory, alice.publicKey)),
    'FOREIGN_AUTHOR',
    'but not in alice’s journal'
  )

  const byAlice = sealEvent(draft, position, alice)
  const swappedSig = { ...byAlice, sig: sign(signatureMessage(byAlice.id), mallory.secretKey) }
  t.is(
    codeOf(() => verifyEvent(swappedSig, alice.publicKey)),
    'INVALID_SIGNATURE',
    'sig by mallory over alice’s id'
  )
  t.is(
    codeOf(() => verifyEvent(swappedSig)),
    'INVALID_SIGNATURE',
    'also without an expected author'
  )
  const viaBlock = decodeBlock(encodeBlock(swappedSig))
  t.is(
    codeOf(() => verifyEvent(viaBlock, alice.publicKey)),
    'INVALID_SIGNATURE',
    'also after a block round trip'
  )

  const claimsAlice = sealEvent(draft, position, { publicKey: alice.publicKey, secretKey: mallory.secretKey })
  t.is(
    codeOf(() => verifyEvent(claimsAlice, alice.publicKey)),
    'INVALID_SIGNATURE',
    'header names alice, mallory signed'
  )

  const [first, second] = chain()
  t.is(
    codeOf(() => verifyEvent({ ...first, sig: second.sig }, alice.publicKey)),
    'INVALID_SIGNATURE',
    'replayed sig'
  )

  const noDomain = { ...first, sig: sign(first.id, alice.secretKey) }
  t.is(
    codeOf(() => verifyEvent(noDomain, alice.publicKey)),
    'INVALID_SIGNATURE',
    'alice’s sig over the bare id'
  )
})

test('non-canonical header bytes are rejected with DECODE_FAILED', (t) => {
  const [first, second] = chain()
  const bytes = second.headerBytes
  const type = new TextEncoder().encode(second.header.type)
  // v (1 byte), type (1-byte length + utf8), schema (1 byte), author (32 bytes), then seq.
  const seqAt = 1 + 1 + type.byteLength + 1 + 32
  t.is(bytes[seqAt], 1, 'seq 1 sits where the layout says')
  const flagAt = bytes.byteLength - 32 - 1 - 32 - 1
  t.is(bytes[flagAt], 1, 'the prev flag sits where the layout says')
  const privacyAt = bytes.byteLength - 32 - 1

  const cases: [string, Uint8Array][] = [
    ['seq as a 3-byte varint', splice(bytes, seqAt, 1, [0xfd, 0x01, 0x00])],
    ['envelope version as a 3-byte varint', splice(bytes, 0, 1, [0xfd, 0x01, 0x00])],
    ['prev flag 2', splice(bytes, flagAt, 1, [2])],
    ['privacy byte 2', splice(bytes, privacyAt, 1, [2])],
    ['a trailing byte', Uint8Array.from([...bytes, 0])],
    ['one byte short', bytes.subarray(0, bytes.byteLength - 1)],
    ['empty', new Uint8Array(0)]
  ]
  for (const [name, header] of cases) {
    t.is(
      codeOf(() => decodeHeader(header)),
      'DECODE_FAILED',
      name
    )
    t.is(
      codeOf(() => decodeBlock(encodeBlock({ ...first, headerBytes: header }))),
      'DECODE_FAILED',
      `${name}, in a block`
    )
  }
})

test('unknown envelope and block versions give UNSUPPORTED_VERSION', (t) => {
  const [first] = chain()
  const v2 = encodeHeader({ ...first.header, v: 2 })
  t.is(
    codeOf(() => decodeHeader(v2)),
    'UNSUPPORTED_VERSION',
    'envelope version 2'
  )
  t.is(
    codeOf(() => decodeBlock(encodeBlock({ ...first, headerBytes: v2 }))),
    'UNSUPPORTED_VERSION',
    'in a block'
  )
  t.is(
    codeOf(() => decodeHeader(splice(first.headerBytes, 0, 1, [0]))),
    'UNSUPPORTED_VERSION',
    'envelope version 0'
  )
  const block = encodeBlock(first)
  t.is(
    codeOf(() => decodeBlock(splice(block, 0, 1, [3]))),
    'UNSUPPORTED_VERSION',
    'block version 3 (1 is an event, 2 a redacted placeholder)'
  )
  t.is(
    codeOf(() => decodeBlock(splice(block, 0, 1, [2]))),
    'DECODE_FAILED',
    'an event block passed off as a placeholder'
  )
})

test('an unknown event type in a header gives UNKNOWN_EVENT_TYPE', (t) => {
  const [first] = chain()
  const header = encodeHeader({ ...first.header, type: 'reflection.recordex' as EventType })
  t.is(
    codeOf(() => decodeHeader(header)),
    'UNKNOWN_EVENT_TYPE'
  )
})

test('fixtures/test-vector.json reproduces exactly from the code', (t) => {
  const vector = readVector()
  t.is(vector.signatureDomain.utf8, 'cosmicsynccore/event/v1\n')
  t.is(vector.signatureDomain.hex, toHex(SIGNATURE_DOMAIN))
  const keyPair = keyPairFromSeed(fromHex(vector.seed))
  t.is(toHex(keyPair.publicKey), vector.publicKey, 'publicKey')
  t.is(toHex(keyPair.secretKey), vector.secretKey, 'secretKey')
  t.is(vector.events.length, 2)

  let prev: string | null = null
  for (const expected of vector.events) {
    t.is(expected.prev, prev, `seq ${expected.seq} chains to the event before`)
    const event = sealEvent(
      { type: expected.type, body: expected.body, privacy: expected.privacy },
      { seq: expected.seq, time: expected.time, prev: expected.prev === null ? null : fromHex(expected.prev) },
      keyPair,
      { salt: fromHex(expected.salt), schema: expected.schema }
    )
    const actual = {
      bodyBytes: toHex(event.bodyBytes ?? new Uint8Array(0)),
      salt: toHex(event.salt ?? new Uint8Array(0)),
      bodyHash: toHex(event.header.bodyHash),
      headerBytes: toHex(event.headerBytes),
      id: toHex(event.id),
      signedMessage: toHex(signatureMessage(event.id)),
      sig: toHex(event.sig),
      blockBytes: toHex(encodeBlock(event))
    }
    for (const [field, hex] of Object.entries(actual)) {
      t.is(hex, expected[field as keyof typeof actual], `seq ${expected.seq}: ${field}`)
    }
    const decoded = decodeBlock(fromHex(expected.blockBytes))
    t.alike(decoded.body, expected.body, `seq ${expected.seq}: the block decodes to the JSON body`)
    t.is(
      codeOf(() => verifyEvent(decoded, keyPair.publicKey)),
      'no error',
      `seq ${expected.seq}: verifies`
    )
    prev = expected.id
  }
})

/**
 * Checks the vector with Python's hashlib and `cryptography` (OpenSSL): libraries this
 * project did not write. It parses the block and header from the layout in
 * docs/envelope.md, so it checks the documented layout too, not only the hashes.
 */
const PYTHON_CHECK = String.raw`
import hashlib, json, sys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

def check(ok, what):
    if not ok:
        sys.exit('FAILED: ' + what)

def blake2b256(data):
    return hashlib.blake2b(data, digest_size=32).digest()

class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0
    def take(self, n):
        check(self.pos + n <= len(self.data), 'read past the end')
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out
    def uint(self):
        first = self.take(1)[0]
        if first <= 0xfc:
            return first
        n = int.from_bytes(self.take({0xfd: 2, 0xfe: 4, 0xff: 8}[first]), 'little')
        check(n > {0xfd: 0xfc, 0xfe: 0xffff, 0xff: 0xffffffff}[first], 'non-canonical varint')
        return n
    def buffer(self):
        return self.take(self.uint())
    def string(self):
        return self.buffer().decode('utf-8')
    def done(self):
        return self.pos == len(self.data)

def reflection_recorded(r):
    bits = r.uint()
    body = {'text': r.string()}
    if bits & 1:
        body['mood'] = r.string()
    body['tags'] = [r.string() for _ in range(r.uint())]
    if bits & 2:
        body['dimension'] = ['mind', 'heart', 'body'][r.uint()]
    if bits & 4:
        body['sealed'] = r.take(1)[0] == 1
    check(r.done(), 'trailing body bytes')
    return body

vector = json.load(open(sys.argv[1], encoding='utf-8'))
seed = bytes.fromhex(vector['seed'])
public_key = bytes.fromhex(vector['publicKey'])
derived = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
check(derived == public_key, 'publicKey derives from seed')
check(bytes.fromhex(vector['secretKey']) == seed + public_key, 'secretKey is seed || publicKey')
domain = b'cosmicsynccore/event/v1\n'
check(bytes.fromhex(vector['signatureDomain']['hex']) == domain, 'domain tag bytes')
author = Ed25519PublicKey.from_public_bytes(public_key)

prev = None
for e in vector['events']:
    h = lambda name: bytes.fromhex(e[name])
    block = Reader(h('blockBytes'))
    check(block.uint() == 1, 'block version 1')
    header, sig, salt, body = block.buffer(), block.take(64), block.take(16), block.buffer()
    check(block.done(), 'trailing block bytes')
    check((header, sig, salt, body) == (h('headerBytes'), h('sig'), h('salt'), h('bodyBytes')), 'block parts')

    r = Reader(header)
    check(r.uint() == 1, 'envelope version 1')
    check(r.string() == e['type'], 'type')
    check(r.uint() == e['schema'], 'schema')
    check(r.take(32) == public_key, 'author')
    check(r.uint() == e['seq'], 'seq')
    check(r.uint() == e['time'], 'time')
    flag = r.take(1)[0]
    check(flag in (0, 1), 'prev flag')
    check((r.take(32) if flag == 1 else None) == prev, 'prev is the id of the event before')
    check(['private', 'shareable'][r.take(1)[0]] == e['privacy'], 'privacy')
    committed = r.take(32)
    check(r.done(), 'trailing header bytes')

    check(e['type'] == 'reflection.recorded' and reflection_recorded(Reader(body)) == e['body'], 'body decodes')
    body_hash = blake2b256(salt + body)
    check(body_hash == committed == h('bodyHash'), 'bodyHash = blake2b-256(salt || body)')
    event_id = blake2b256(header)
    check(event_id == h('id'), 'id = blake2b-256(header)')
    message = domain + event_id
    check(message == h('signedMessage'), 'signed message = domain || id')
    author.verify(sig, message)
    try:
        author.verify(sig, message[:-1] + bytes([message[-1] ^ 1]))
        sys.exit('FAILED: a changed message verified')
    except InvalidSignature:
        pass
    try:
        author.verify(sig, event_id)
        sys.exit('FAILED: the signature verified without the domain tag')
    except InvalidSignature:
        pass
    prev = event_id

print('verified %d events with hashlib and cryptography' % len(vector['events']))
`

function runPython(t: test.Test, script: string, args: string[]): string {
  const result = spawnSync('python3', ['-c', script, ...args], { cwd: ROOT, encoding: 'utf8' })
  if (result.error) {
    t.fail(`python3 could not be run (${result.error.message}): install python3 and the cryptography package`)
    return ''
  }
  if (result.status !== 0 && /No module named .?cryptography/.test(result.stderr)) {
    t.fail('the Python package cryptography is missing: pip install cryptography')
  }
  t.is(result.status, 0, `python3 exits 0${result.stderr ? `; stderr:\n${result.stderr}` : ''}`)
  return result.stdout
}

test('python3 + cryptography verify the test vector independently', (t) => {
  const out = runPython(t, PYTHON_CHECK, [VECTOR_FILE])
  t.ok(out.includes('verified 2 events'), `python3 says: ${out.trim()}`)
})

test('the Python snippet in docs/envelope.md runs and verifies the vector', (t) => {
  const doc = readFileSync(ENVELOPE_DOC, 'utf8')
  const snippet = /```python\n([\s\S]*?)```/.exec(doc)?.[1]
  if (!snippet) {
    t.fail('docs/envelope.md has no ```python block')
    return
  }
  const out = runPython(t, snippet, [VECTOR_FILE])
  t.ok(out.includes('ok'), `python3 says: ${out.trim()}`)
})

/** A correctly signed event by alice around arbitrary body bytes (what a buggy or hostile writer can produce). */
function signedAround(type: EventType, bodyBytes: Uint8Array): Uint8Array {
  const salt = new Uint8Array(16)
  const header = {
    v: 1,
    type,
    schema: 1,
    author: alice.publicKey,
    seq: 0,
    time: TIME,
    prev: null,
    privacy: 'private' as const,
    bodyHash: bodyHash(salt, bodyBytes)
  }
  const headerBytes = encodeHeader(header)
  const id = eventId(headerBytes)
  const sig = sign(signatureMessage(id), alice.secretKey)
  return encodeBlock({ header, headerBytes, id, sig, salt, bodyBytes, redacted: false, body: { name: '' } })
}

test('a signed block whose body bytes break the schema or are not canonical is rejected', (t) => {
  const float = (n: number) => {
    const bytes = new Uint8Array(8)
    new DataView(bytes.buffer).setFloat64(0, n, true)
    return [...bytes]
  }
  const cases: [string, EventType, number[]][] = [
    ['empty text (schema: minLength 1)', 'reflection.recorded', [0, 0, 0]],
    ['intensity 5 (schema: maximum 1)', 'tension.shifted', [0, 1, 0x61, ...float(5)]],
    ['intensity -0 (written as 0 by the encoder)', 'tension.shifted', [0, 1, 0x61, ...float(-0)]],
    ['bool byte 2', 'reflection.recorded', [4, 1, 0x41, 0, 2]],
    ['invalid UTF-8 (decodes to U+FFFD)', 'identity.created', [1, 0xff]],
    ['a varint written long', 'identity.created', [0xfd, 1, 0, 0x41]]
  ]
  for (const [name, type, body] of cases) {
    const code = codeOf(() => verifyEvent(decodeBlock(signedAround(type, Uint8Array.from(body))), alice.publicKey))
    t.ok(code === 'DECODE_FAILED' || code === 'INVALID_BODY', `${name}: ${code}`)
  }
})

test('a block with a length prefix written long is rejected (one event, one block)', (t) => {
  const [first] = chain()
  const block = encodeBlock(first)
  t.is(block[1], first.headerBytes.byteLength, 'the header length is one byte')
  const long = splice(block, 1, 1, [0xfd, first.headerBytes.byteLength, 0])
  t.is(
    codeOf(() => decodeBlock(long)),
    'DECODE_FAILED'
  )
  // The other two varints of a block: its version, and the body's length.
  t.is(
    codeOf(() => decodeBlock(splice(block, 0, 1, [0xfd, 1, 0]))),
    'DECODE_FAILED',
    'version written long'
  )
  const bodyLengthAt = 1 + 1 + first.headerBytes.byteLength + 64 + 16
  const bodyLength = (first.bodyBytes as Uint8Array).byteLength
  t.is(block[bodyLengthAt], bodyLength, 'the body length sits where the layout says')
  t.is(
    codeOf(() => decodeBlock(splice(block, bodyLengthAt, 1, [0xfd, bodyLength, 0]))),
    'DECODE_FAILED',
    'body length written long'
  )
})

test('sealing an unknown event type gives UNKNOWN_EVENT_TYPE', (t) => {
  const draft = { type: 'reflection.deleted' as EventType, body: {} }
  t.is(
    codeOf(() => sealEvent(draft, { seq: 0, time: TIME, prev: null }, alice)),
    'UNKNOWN_EVENT_TYPE'
  )
})
