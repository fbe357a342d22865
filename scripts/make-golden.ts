import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { catalog, EVENT_TYPES, type EventBody, type EventType } from '../src/events/catalog.js'
import { keyPairFromSeed, toHex } from '../src/events/crypto.js'
import {
  ENVELOPE_VERSION,
  encodeBlock,
  encodeRedactedBlock,
  eventToJson,
  REDACTED_BLOCK_VERSION,
  redactedEvent,
  sealEvent
} from '../src/events/envelope.js'

/**
 * Writes fixtures/golden/v<envelope>/<type>@<schema>.json: one sealed block for every
 * event type and every body schema version (current and legacy), with the JSON that
 * decoding it must give. test/golden.test.ts decodes every file forever, so a change
 * that breaks reading old bytes fails there.
 *
 * Golden files are history: this script adds missing files and leaves identical ones
 * alone, and refuses to rewrite a file whose bytes would change (that would hide the
 * very break the file exists to catch) unless run with --force.
 */

const SEED = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
const SALT = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i)
const TIME = 1767225600000 // 2026-01-01T00:00:00Z
const POSITION = { seq: 0, time: TIME, prev: null }

const keyPair = keyPairFromSeed(SEED)

// A real event, so that ids, refs and redacted headers in the examples are real too.
const entry = sealEvent(
  { type: 'reflection.recorded', body: { text: 'An entry that others refer to.', tags: ['golden'] } },
  POSITION,
  keyPair,
  { salt: SALT }
)
const ENTRY_ID = toHex(entry.id)

/** Current schema: every optional field present, so every part of each codec is exercised. */
const CURRENT: { readonly [T in EventType]: EventBody<T> } = {
  'identity.created': { name: 'Ada' },
  'identity.renamed': { name: 'Ada L.' },
  'reflection.recorded': {
    text: 'Walked by the river; noticed I was rehearsing an argument — and let it go. Ünïcödé ✓ 🌊',
    mood: 'calm',
    tags: ['walking', 'letting-go'],
    dimension: 'body',
    sealed: true
  },
  'reflection.amended': { ref: ENTRY_ID, text: 'An entry that others refer to, amended.' },
  'reflection.retracted': {
    ref: ENTRY_ID,
    redacted: [
      { device: 0, seq: 0, header: toHex(entry.headerBytes), sig: toHex(entry.sig), leaf: 'ef'.repeat(32), size: 259 }
    ]
  },
  'tension.noted': {
    id: 'money-scarcity-vs-control',
    name: 'Money: scarcity vs control',
    poles: ['scarcity', 'control'],
    domain: 'money',
    intensity: 0.65
  },
  'tension.shifted': { id: 'money-scarcity-vs-control', intensity: 0.4, toward: 'control' },
  'tension.resolved': { id: 'money-scarcity-vs-control', insight: 'Enough is a decision, not an amount.' },
  'profile.set': { dimension: 'mind', facet: 'skill', key: 'typescript', value: 'daily use', level: 4 },
  'profile.removed': { dimension: 'heart', facet: 'emotion', key: 'restlessness' },
  'mirrorback.generated': {
    ref: ENTRY_ID,
    text: 'You seem to be making room for quiet.',
    themes: ['quiet', 'listening'],
    engine: { kind: 'builtin', model: 'rules-v1', promptHash: 'ab'.repeat(32) }
  },
  'evolution.noted': {
    from: TIME - 30 * 86_400_000,
    to: TIME,
    summary: 'A month of listening more.',
    changes: ['more walks', 'fewer arguments'],
    engine: { kind: 'builtin', model: 'rules-v1', promptHash: 'cd'.repeat(32) }
  },
  'consent.granted': { audience: 'sphere:family', scope: ['reflection.recorded'], until: TIME + 86_400_000 },
  'consent.revoked': { ref: ENTRY_ID },
  'share.published': {
    sphere: 'ab'.repeat(32),
    source: ENTRY_ID,
    kind: 'entry',
    item: ENTRY_ID,
    summary: 'a walk by the river'
  },
  'share.retracted': { ref: ENTRY_ID },
  'config.changed': {
    mode: 'hybrid',
    engine: 'local_llm',
    sync: true,
    contextTokens: 1500,
    modelPath: '/models/tiny.gguf',
    contextSize: 4096,
    maxTokens: 512,
    remoteUrl: 'http://127.0.0.1:8080/v1',
    remoteModel: 'llama3',
    remoteKeyEnv: 'COSMIC_REMOTE_API_KEY',
    remoteKeyFile: '/home/ada/.config/cosmic/key',
    remoteTimeoutMs: 30_000,
    remoteRetries: 2
  },
  'egress.recorded': {
    endpoint: 'http://127.0.0.1:8080/v1/chat/completions',
    purpose: 'mirror',
    model: 'llama3',
    consent: ENTRY_ID,
    sent: [ENTRY_ID],
    bytes: 1834,
    contentBytes: 412,
    payloadHash: 'cd'.repeat(32),
    attempt: 2
  },
  'sphere.joined': { sphere: 'ab'.repeat(32), name: 'Night writers', role: 'member' },
  'sphere.left': { sphere: 'ab'.repeat(32), removed: true },
  'device.paired': { device: 0x5eed_0001, name: 'laptop' },
  'redaction.acknowledged': { ref: ENTRY_ID },
  'device.removed': { device: 0x5eed_0001 },
  'match.feedback': {
    sphere: 'ab'.repeat(32),
    member: 'cd'.repeat(32),
    helpful: true,
    components: { interests: 0.5307, skills: 1.6, values: 0, semantic: 0 }
  },
  'sphere.created': { name: 'Night writers', by: 'Ada', peer: 'ab'.repeat(32) },
  'sphere.member.added': {
    member: toHex(keyPair.publicKey),
    writer: 'cd'.repeat(32),
    name: 'Ada',
    proof: 'ef'.repeat(64),
    admin: true,
    peer: '12'.repeat(32)
  },
  'sphere.member.removed': { member: 'ab'.repeat(32), reason: 'asked to leave' },
  'sphere.member.left': { note: 'moving on, thank you all' },
  'sphere.entry.shared': {
    text: 'Shared on purpose: the river walk, and what it loosened. ✓',
    tags: ['walking'],
    mood: 'calm',
    dimension: 'body',
    written: TIME - 86_400_000
  },
  'sphere.facet.shared': { dimension: 'mind', facet: 'skill', key: 'typescript', value: 'ten years', level: 4 },
  'sphere.summary.shared': {
    from: TIME - 30 * 86_400_000,
    to: TIME,
    entries: 31,
    themes: [{ name: 'work', count: 12 }],
    emotions: [{ name: 'calm', count: 7 }]
  },
  'sphere.share.retracted': { ref: ENTRY_ID },
  'sphere.key.rotated': {
    epoch: 1,
    cause: 'removal',
    keys: [
      { member: toHex(keyPair.publicKey), box: '5a'.repeat(182) },
      { member: '12'.repeat(32), box: 'a5'.repeat(182) }
    ]
  },
  'sphere.epoch.started': {
    name: 'Night writers',
    by: 'Ada',
    peer: 'ab'.repeat(32),
    epoch: 1,
    sphere: 'cd'.repeat(32),
    previous: 'cd'.repeat(32),
    members: [
      {
        member: toHex(keyPair.publicKey),
        name: 'Ada',
        admin: true,
        peers: ['ab'.repeat(32)],
        since: TIME - 86_400_000,
        addedBy: toHex(keyPair.publicKey)
      },
      { member: '12'.repeat(32), name: 'Ben', admin: false, peers: [], since: TIME, addedBy: toHex(keyPair.publicKey) }
    ],
    history: '7e'.repeat(110)
  },
  'sphere.epoch.followed': { epoch: 1, sealed: 'e7'.repeat(138) },
  'sphere.post': { text: 'Who else writes at night?', replyTo: ENTRY_ID }
}

/** Older schema versions, written in their own (old) shape. */
const LEGACY: readonly { readonly type: EventType; readonly schema: number; readonly body: unknown }[] = [
  {
    type: 'tension.noted',
    schema: 1,
    body: {
      id: 'money-scarcity-vs-control',
      name: 'Money: scarcity vs control',
      poles: ['scarcity', 'control'],
      domain: 'money',
      intensity: 7
    }
  },
  { type: 'config.changed', schema: 1, body: { mode: 'hybrid', engine: 'local_llm', sync: true } },
  {
    type: 'reflection.retracted',
    schema: 1,
    body: {
      ref: ENTRY_ID,
      redacted: [{ seq: 0, header: toHex(entry.headerBytes), sig: toHex(entry.sig), leaf: 'ef'.repeat(32), size: 259 }]
    }
  },
  { type: 'share.published', schema: 1, body: { sphere: 'family', source: ENTRY_ID, summary: 'a walk by the river' } },
  {
    type: 'evolution.noted',
    schema: 1,
    body: {
      from: TIME - 30 * 86_400_000,
      to: TIME,
      summary: 'A month of listening more.',
      changes: ['more walks', 'fewer arguments']
    }
  }
]

interface Golden {
  generatedBy: string
  type: EventType
  schema: number
  envelopeVersion: number
  seed: string
  salt: string
  time: number
  input: unknown
  blockBytes: string
  expected: unknown
}

function golden(type: EventType, schema: number, body: unknown): Golden {
  const event = sealEvent({ type, body }, POSITION, keyPair, { salt: SALT, schema })
  return {
    generatedBy: 'scripts/make-golden.ts (never edit by hand)',
    type,
    schema,
    envelopeVersion: ENVELOPE_VERSION,
    seed: toHex(SEED),
    salt: toHex(SALT),
    time: TIME,
    input: body,
    blockBytes: toHex(encodeBlock(event)),
    expected: eventToJson(event)
  }
}

const goldens: Golden[] = []
for (const type of EVENT_TYPES) {
  goldens.push(golden(type, catalog[type].schema, CURRENT[type]))
  for (const old of catalog[type].legacy) {
    const example = LEGACY.find((l) => l.type === type && l.schema === old.schema)
    if (!example) throw new Error(`no legacy example for ${type}@${old.schema}: add one to LEGACY`)
    goldens.push(golden(type, old.schema, example.body))
  }
}

// The second block kind: a redacted placeholder (signed header only), as an import writes it.
const recorded = sealEvent({ type: 'reflection.recorded', body: CURRENT['reflection.recorded'] }, POSITION, keyPair, {
  salt: SALT
})
const placeholder = redactedEvent(recorded.headerBytes, recorded.sig)
const placeholderGolden = {
  generatedBy: 'scripts/make-golden.ts (never edit by hand)',
  blockVersion: REDACTED_BLOCK_VERSION,
  seed: toHex(SEED),
  blockBytes: toHex(encodeRedactedBlock(placeholder)),
  expected: eventToJson(placeholder)
}
const blocksDir = fileURLToPath(new URL('../../fixtures/golden-blocks/', import.meta.url))
mkdirSync(blocksDir, { recursive: true })
const placeholderFile = `${blocksDir}redacted-placeholder@${REDACTED_BLOCK_VERSION}.json`
const placeholderText = `${JSON.stringify(placeholderGolden, null, 2)}\n`
if (!existsSync(placeholderFile) || process.argv.includes('--force')) writeFileSync(placeholderFile, placeholderText)
else if (readFileSync(placeholderFile, 'utf8') !== placeholderText) {
  console.error(`refused to rewrite ${placeholderFile}: its bytes would change (use --force deliberately)`)
  process.exitCode = 1
}

const force = process.argv.includes('--force')
const dir = fileURLToPath(new URL(`../../fixtures/golden/v${ENVELOPE_VERSION}/`, import.meta.url))
mkdirSync(dir, { recursive: true })
let written = 0
let unchanged = 0
const refused: string[] = []
for (const g of goldens) {
  const file = `${dir}${g.type}@${g.schema}.json`
  const text = `${JSON.stringify(g, null, 2)}\n`
  if (existsSync(file)) {
    if (readFileSync(file, 'utf8') === text) {
      unchanged++
      continue
    }
    if (!force) {
      refused.push(file)
      continue
    }
  }
  writeFileSync(file, text)
  written++
}
console.log(`golden fixtures in ${dir}: ${written} written, ${unchanged} unchanged`)
if (refused.length > 0) {
  console.error(
    `refused to rewrite ${refused.length} golden file(s) whose bytes would change:\n  ${refused.join('\n  ')}\n` +
      'Old bytes must keep decoding: add a new schema version instead. Use --force only if the file itself is wrong.'
  )
  process.exitCode = 1
}
