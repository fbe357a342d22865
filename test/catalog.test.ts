import test from 'brittle'
import { CosmicError } from '../src/errors.js'
import {
  catalog,
  currentSchema,
  decodeBody,
  EVENT_TYPES,
  type EventBody,
  type EventType,
  encodeBody,
  validateBody
} from '../src/events/catalog.js'
import { toHex } from '../src/events/crypto.js'

const REF = 'ab'.repeat(32)

/** A valid body of every event type at its current schema (the type makes the list complete). */
const EXAMPLES: { readonly [T in EventType]: EventBody<T> } = {
  'identity.created': { name: 'Ada' },
  'identity.renamed': { name: 'Ada Lovelace' },
  'reflection.recorded': { text: 'Quiet morning — café, rain. 🌧', mood: 'calm', tags: ['rain'], dimension: 'heart' },
  'reflection.amended': { ref: REF, text: 'Quiet morning, amended.' },
  'reflection.retracted': {
    ref: REF,
    redacted: [{ device: 7, seq: 3, header: '0102ff', sig: 'cd'.repeat(64), leaf: 'ef'.repeat(32), size: 200 }]
  },
  'tension.noted': {
    id: 'work-rest',
    name: 'Work vs rest',
    poles: ['work', 'rest'],
    domain: 'work',
    intensity: 0.3
  },
  'tension.shifted': { id: 'work-rest', intensity: 1, toward: 'rest' },
  'tension.resolved': { id: 'work-rest', insight: 'Rest is part of the work.' },
  'profile.set': { dimension: 'body', facet: 'activity', key: 'running', value: 'three times a week', level: 2 },
  'profile.removed': { dimension: 'mind', facet: 'seeking', key: 'a new job' },
  'mirrorback.generated': {
    ref: REF,
    text: 'Rain seems to slow you down, kindly.',
    themes: ['rain', 'slowness'],
    engine: { kind: 'local_llm', model: 'llama-3-8b', promptHash: '01'.repeat(32) }
  },
  'evolution.noted': { from: 0, to: 1767225600000, summary: 'A slower year.', changes: [] },
  'consent.granted': { audience: 'sphere:friends', scope: ['reflection.recorded', 'tension.noted'], until: 2 ** 40 },
  'consent.revoked': { ref: REF },
  'share.published': { sphere: 'friends', source: REF, kind: 'entry', item: REF, summary: 'on rain' },
  'share.retracted': { ref: REF },
  'config.changed': {
    mode: 'cloud',
    engine: 'remote_llm',
    sync: false,
    remoteUrl: 'https://api.example.org/v1',
    remoteModel: 'some-model',
    remoteRetries: 0
  },
  'egress.recorded': {
    endpoint: 'https://api.example.org/v1/chat/completions',
    purpose: 'evolution',
    model: 'some-model',
    consent: REF,
    sent: [],
    bytes: 0,
    contentBytes: 0,
    payloadHash: '00'.repeat(32),
    attempt: 1
  },
  'sphere.joined': { sphere: '01'.repeat(32), name: 'S', role: 'creator' },
  'sphere.left': { sphere: '01'.repeat(32) },
  'device.paired': { device: 42, name: 'phone' },
  'redaction.acknowledged': { ref: REF },
  'device.removed': { device: 42 },
  'match.feedback': {
    sphere: '01'.repeat(32),
    member: '02'.repeat(32),
    helpful: false,
    components: { interests: 0, skills: 0.8, values: 0.25, semantic: 0 }
  },
  'sphere.created': { name: 'S', by: 'A' },
  'sphere.member.added': { member: '02'.repeat(32), writer: '03'.repeat(32), name: 'B', proof: '04'.repeat(64) },
  'sphere.member.removed': { member: '02'.repeat(32) },
  'sphere.member.left': {},
  'sphere.entry.shared': { text: 'x', tags: [], written: 0 },
  'sphere.facet.shared': { dimension: 'heart', facet: 'value', key: 'honesty' },
  'sphere.summary.shared': { from: 0, to: 1, entries: 0, themes: [], emotions: [] },
  'sphere.share.retracted': { ref: REF },
  'sphere.key.rotated': { epoch: 1, cause: 'manual', keys: [{ member: '02'.repeat(32), box: '05'.repeat(182) }] },
  'sphere.epoch.started': {
    name: 'S',
    by: 'A',
    epoch: 1,
    sphere: '01'.repeat(32),
    previous: '01'.repeat(32),
    members: [{ member: '02'.repeat(32), name: 'A', admin: true, peers: [], since: 0, addedBy: '02'.repeat(32) }],
    history: '06'.repeat(40)
  },
  'sphere.epoch.followed': { epoch: 1, sealed: '07'.repeat(138) },
  'sphere.post': { text: 'hello' }
}

/** Variants with optional fields left out, and edge values. */
const MORE_EXAMPLES: readonly { readonly type: EventType; readonly body: unknown }[] = [
  { type: 'reflection.recorded', body: { text: 'x', tags: [] } },
  { type: 'reflection.recorded', body: { text: 'sealed', tags: ['a', 'b'], sealed: true } },
  {
    type: 'reflection.recorded',
    body: { text: 'y'.repeat(50_000), tags: Array.from({ length: 64 }, (_, i) => `t${i}`) }
  },
  { type: 'tension.shifted', body: { id: 'a', intensity: 0 } },
  { type: 'tension.shifted', body: { id: 'a', intensity: 5e-324 } },
  { type: 'profile.set', body: { dimension: 'heart', facet: 'value', key: 'honesty' } },
  { type: 'consent.granted', body: { audience: 'x', scope: ['y'] } },
  { type: 'share.published', body: { sphere: 's', source: 'journal', kind: 'summary' } },
  { type: 'evolution.noted', body: { from: 2 ** 53 - 1, to: 0xffffffff + 1, summary: 's', changes: ['c'] } }
]

/** The CosmicError that fn throws; fails the test if it throws anything else or nothing. */
function errorOf(t: test.Test, fn: () => unknown): CosmicError | null {
  try {
    fn()
  } catch (err) {
    if (CosmicError.is(err)) return err
    t.fail(`not a CosmicError: ${String(err)}`)
    return null
  }
  t.fail('no error was thrown')
  return null
}

function rejects(t: test.Test, fn: () => unknown, code: string, fragment: string, name: string): void {
  const err = errorOf(t, fn)
  if (!err) return
  t.is(err.code, code, `${name}: ${code}`)
  t.ok(err.message.includes(fragment), `${name}: message "${err.message}" names ${fragment}`)
}

test('every event type has an example, and every example validates, encodes and decodes to itself', (t) => {
  t.alike(Object.keys(EXAMPLES).sort(), [...EVENT_TYPES].sort(), 'examples cover the catalog')
  const all = [...EVENT_TYPES.map((type) => ({ type, body: EXAMPLES[type] as unknown })), ...MORE_EXAMPLES]
  for (const { type, body } of all) {
    t.is(validateBody(type, body), body, `${type}: validates`)
    const bytes = encodeBody(type, body)
    const decoded = decodeBody(type, currentSchema(type), bytes)
    t.alike(decoded, body, `${type}: decodes to the same value`)
    t.alike(encodeBody(type, decoded), bytes, `${type}: re-encodes to the same bytes`)
  }
})

test('encoding is canonical: key order and -0 do not change the bytes', (t) => {
  const body = EXAMPLES['reflection.recorded']
  const reordered = { dimension: body.dimension, tags: body.tags, mood: body.mood, text: body.text }
  t.alike(encodeBody('reflection.recorded', reordered), encodeBody('reflection.recorded', body), 'key order')
  const zero = encodeBody('tension.shifted', { id: 'a', intensity: 0 })
  t.alike(encodeBody('tension.shifted', { id: 'a', intensity: -0 }), zero, '-0 is written as 0')
  t.is(toHex(zero), '000161' + '0000000000000000', 'bitfield, slug, float64 little-endian')
  const decoded = decodeBody('tension.shifted', 1, zero)
  t.ok(Object.is(decoded.intensity, 0), 'decodes as +0')
})

test('the canonical bytes follow the documented rules', (t) => {
  // reflection.recorded: bitfield (mood=1, dimension=2, sealed=4), text, [mood], tags, [dimension index], [sealed]
  const body = { text: 'hi', mood: 'ok', tags: ['a'], dimension: 'body', sealed: false } as const
  t.is(toHex(encodeBody('reflection.recorded', body)), '07' + '026869' + '026f6b' + '010161' + '02' + '00')
  // hex32 strings are 32 raw bytes, with no length
  t.is(toHex(encodeBody('consent.revoked', { ref: REF })), REF)
  // integers are varints: 2^32 takes the 0xff prefix and 8 bytes
  const evolution = { from: 252, to: 2 ** 32, summary: 's', changes: [] }
  t.is(toHex(encodeBody('evolution.noted', evolution, 1)), 'fc' + 'ff0000000001000000' + '0173' + '00')
  t.is(toHex(encodeBody('evolution.noted', { ...evolution, from: 253 }, 1)).slice(0, 6), 'fdfd00', '253 takes 0xfd')
  // schema 2 adds an optional field, so a presence bitfield comes first
  t.is(toHex(encodeBody('evolution.noted', evolution)), '00' + 'fc' + 'ff0000000001000000' + '0173' + '00')
})

test('invalid bodies are rejected with INVALID_BODY naming the field', (t) => {
  const recorded = EXAMPLES['reflection.recorded']
  const noted = EXAMPLES['tension.noted']
  const cases: [string, EventType, unknown, string][] = [
    ['empty text', 'reflection.recorded', { ...recorded, text: '' }, '/text'],
    ['missing text', 'reflection.recorded', { tags: [] }, '/text'],
    ['extra property', 'reflection.recorded', { ...recorded, colour: 'blue' }, '/colour'],
    ['tag with a space', 'reflection.recorded', { ...recorded, tags: ['two words'] }, '/tags/0'],
    ['unknown dimension', 'reflection.recorded', { ...recorded, dimension: 'soul' }, '/dimension'],
    ['lone surrogate in text', 'reflection.recorded', { ...recorded, text: 'half \ud83c a flag' }, '/text'],
    ['lone surrogate in a tag', 'reflection.recorded', { ...recorded, tags: ['ok', '\udfff'] }, '/tags/1'],
    ['intensity 1.5', 'tension.noted', { ...noted, intensity: 1.5 }, '/intensity'],
    ['intensity -0.1', 'tension.noted', { ...noted, intensity: -0.1 }, '/intensity'],
    ['intensity NaN', 'tension.shifted', { id: 'a', intensity: Number.NaN }, '/intensity'],
    ['one pole', 'tension.noted', { ...noted, poles: ['only'] }, '/poles'],
    ['upper-case slug', 'tension.noted', { ...noted, id: 'Work' }, '/id'],
    ['ref not hex', 'reflection.amended', { ref: 'zz'.repeat(32), text: 'x' }, '/ref'],
    ['ref upper-case hex', 'reflection.amended', { ref: 'AB'.repeat(32), text: 'x' }, '/ref'],
    [
      'promptHash too short',
      'mirrorback.generated',
      { ...EXAMPLES['mirrorback.generated'], engine: { kind: 'builtin', model: 'm', promptHash: 'ab' } },
      '/engine/promptHash'
    ],
    [
      'facet of another dimension is still a facet',
      'profile.set',
      { dimension: 'mind', facet: 'nope', key: 'k' },
      '/facet'
    ],
    ['level 6', 'profile.set', { ...EXAMPLES['profile.set'], level: 6 }, '/level'],
    ['negative time', 'evolution.noted', { ...EXAMPLES['evolution.noted'], from: -1 }, '/from'],
    ['fractional time', 'consent.granted', { audience: 'a', scope: ['s'], until: 1.5 }, '/until'],
    ['empty scope', 'consent.granted', { audience: 'a', scope: [] }, '/scope'],
    ['sync not a boolean', 'config.changed', { mode: 'local', engine: 'builtin', sync: 'yes' }, '/sync'],
    [
      'odd hex',
      'reflection.retracted',
      {
        ref: REF,
        redacted: [{ device: 0, seq: 0, header: 'abc', sig: 'cd'.repeat(64), leaf: 'ef'.repeat(32), size: 9 }]
      },
      '/redacted/0/header'
    ]
  ]
  for (const [name, type, body, field] of cases) {
    rejects(t, () => validateBody(type, body), 'INVALID_BODY', field, name)
  }
  for (const body of [null, undefined, 'text', 42, []]) {
    rejects(t, () => validateBody('reflection.recorded', body), 'INVALID_BODY', 'reflection.recorded', String(body))
  }
  const err = errorOf(t, () => validateBody('reflection.recorded', { ...recorded, text: '' }))
  t.alike(err?.data, { type: 'reflection.recorded', field: '/text' }, 'the field is in the error data too')
})

test('an unknown event type gives UNKNOWN_EVENT_TYPE', (t) => {
  const unknown = 'reflection.deleted' as EventType
  rejects(t, () => validateBody(unknown, {}, 1), 'UNKNOWN_EVENT_TYPE', 'reflection.deleted', 'validateBody')
  rejects(t, () => encodeBody(unknown, {}, 1), 'UNKNOWN_EVENT_TYPE', 'reflection.deleted', 'encodeBody')
  rejects(t, () => decodeBody(unknown, 1, new Uint8Array(1)), 'UNKNOWN_EVENT_TYPE', 'reflection.deleted', 'decodeBody')
  for (const name of ['__proto__', 'toString', 'constructor']) {
    rejects(t, () => validateBody(name as EventType, {}, 1), 'UNKNOWN_EVENT_TYPE', name, name)
    rejects(t, () => decodeBody(name as EventType, 1, new Uint8Array(1)), 'UNKNOWN_EVENT_TYPE', name, name)
  }
})

test('an unknown schema version gives UNSUPPORTED_VERSION', (t) => {
  const body = EXAMPLES['reflection.recorded']
  const bytes = encodeBody('reflection.recorded', body)
  rejects(t, () => validateBody('reflection.recorded', body, 2), 'UNSUPPORTED_VERSION', 'version 2', 'validateBody')
  rejects(t, () => encodeBody('reflection.recorded', body, 0), 'UNSUPPORTED_VERSION', 'version 0', 'encodeBody')
  rejects(t, () => decodeBody('reflection.recorded', 99, bytes), 'UNSUPPORTED_VERSION', 'version 99', 'decodeBody')
  rejects(t, () => decodeBody('tension.noted', 3, bytes), 'UNSUPPORTED_VERSION', 'version 3', 'tension.noted v3')
})

test('legacy tension.noted v1 (intensity 0..10) decodes and upcasts to 0..1', (t) => {
  t.is(currentSchema('tension.noted'), 2)
  t.alike(
    catalog['tension.noted'].legacy.map((l) => l.schema),
    [1],
    'v1 is the only legacy version'
  )
  const v1 = { id: 'work-rest', name: 'Work vs rest', poles: ['work', 'rest'], domain: 'work', intensity: 7 }
  t.is(validateBody('tension.noted', v1, 1), v1, 'validates against v1')
  rejects(t, () => validateBody('tension.noted', v1), 'INVALID_BODY', '/intensity', 'but not against v2')
  rejects(
    t,
    () => validateBody('tension.noted', { ...v1, intensity: 0.5 }, 1),
    'INVALID_BODY',
    '/intensity',
    'v1 wants integers'
  )
  rejects(
    t,
    () => validateBody('tension.noted', { ...v1, intensity: 11 }, 1),
    'INVALID_BODY',
    '/intensity',
    'v1 max 10'
  )

  const bytes = encodeBody('tension.noted', v1, 1)
  t.is(bytes[bytes.byteLength - 1], 7, 'v1 writes the intensity as a varint')
  const upcast = decodeBody('tension.noted', 1, bytes)
  t.alike(upcast, { ...v1, intensity: 0.7 }, 'upcast to intensity 0.7')
  t.is(validateBody('tension.noted', upcast), upcast, 'the upcast body is a valid current body')
  for (let intensity = 0; intensity <= 10; intensity++) {
    const decoded = decodeBody('tension.noted', 1, encodeBody('tension.noted', { ...v1, intensity }, 1))
    t.is(decoded.intensity, intensity / 10, `${intensity} -> ${intensity / 10}`)
  }
})

test('truncated body bytes and trailing bytes give DECODE_FAILED', (t) => {
  const failures: string[] = []
  for (const type of EVENT_TYPES) {
    const schema = currentSchema(type)
    const bytes = encodeBody(type, EXAMPLES[type])
    for (let length = 0; length < bytes.byteLength; length++) {
      const err = errorOf(t, () => decodeBody(type, schema, bytes.subarray(0, length)))
      if (err?.code !== 'DECODE_FAILED') failures.push(`${type} cut to ${length}: ${err?.code}`)
    }
    for (const extra of [[0], [1, 2, 3]]) {
      const err = errorOf(t, () => decodeBody(type, schema, Uint8Array.from([...bytes, ...extra])))
      if (err?.code !== 'DECODE_FAILED') failures.push(`${type} + ${extra.length} bytes: ${err?.code}`)
      else if (!err.message.includes('trailing')) failures.push(`${type}: "${err.message}" does not say trailing`)
    }
  }
  t.alike(failures, [], 'every truncation and every trailing byte is DECODE_FAILED')
})

test('body bytes that announce unknown optional fields or enum values give DECODE_FAILED', (t) => {
  const bytes = encodeBody('reflection.recorded', { text: 'x', tags: [] })
  t.is(bytes[0], 0, 'no optional field present')
  const unknownField = Uint8Array.from([8, ...bytes.subarray(1)])
  rejects(t, () => decodeBody('reflection.recorded', 1, unknownField), 'DECODE_FAILED', 'optional', 'bit 3 set')
  const badEnum = encodeBody('config.changed', { mode: 'local', engine: 'builtin', sync: false }, 1)
  rejects(
    t,
    () => decodeBody('config.changed', 1, Uint8Array.from([3, ...badEnum.subarray(1)])),
    'DECODE_FAILED',
    'enum',
    'mode 3'
  )
  const nan = Uint8Array.from([0, 1, 0x61, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f])
  rejects(t, () => decodeBody('tension.shifted', 1, nan), 'DECODE_FAILED', 'non-finite', 'NaN intensity')
})

test('an unknown type without an explicit schema gives UNKNOWN_EVENT_TYPE', (t) => {
  const unknown = 'reflection.deleted' as EventType
  rejects(t, () => validateBody(unknown, {}), 'UNKNOWN_EVENT_TYPE', 'reflection.deleted', 'validateBody')
  rejects(t, () => encodeBody(unknown, {}), 'UNKNOWN_EVENT_TYPE', 'reflection.deleted', 'encodeBody')
  rejects(t, () => currentSchema(unknown), 'UNKNOWN_EVENT_TYPE', 'reflection.deleted', 'currentSchema')
})
