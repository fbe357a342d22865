import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import test from 'brittle'
import { catalog, EVENT_TYPES } from '../src/events/catalog.js'
import { fromHex, toHex } from '../src/events/crypto.js'
import {
  decodeBlock,
  ENVELOPE_VERSION,
  encodeBlock,
  encodeRedactedBlock,
  eventToJson,
  verifyEvent
} from '../src/events/envelope.js'

/**
 * Golden blocks are written once by scripts/make-golden.ts and kept forever: every
 * build must decode every one of them, of every envelope and schema version, to the
 * same JSON, and verify it.
 */
const GOLDEN_ROOT = fileURLToPath(new URL('../../fixtures/golden/', import.meta.url))

interface Golden {
  type: string
  schema: number
  envelopeVersion: number
  blockBytes: string
  expected: { author: string } & Record<string, unknown>
}

function goldenFiles(): { name: string; golden: Golden }[] {
  const files: { name: string; golden: Golden }[] = []
  for (const dir of readdirSync(GOLDEN_ROOT).sort()) {
    for (const file of readdirSync(`${GOLDEN_ROOT}${dir}`).sort()) {
      if (!file.endsWith('.json')) continue
      const golden = JSON.parse(readFileSync(`${GOLDEN_ROOT}${dir}/${file}`, 'utf8')) as Golden
      files.push({ name: `${dir}/${file}`, golden })
    }
  }
  return files
}

test('every golden block decodes to its stored JSON and verifies', (t) => {
  const files = goldenFiles()
  t.ok(files.length > 0, `${files.length} golden files`)
  for (const { name, golden } of files) {
    t.is(name, `v${golden.envelopeVersion}/${golden.type}@${golden.schema}.json`, `${name}: named after its contents`)
    const block = fromHex(golden.blockBytes)
    let event: ReturnType<typeof decodeBlock>
    try {
      event = decodeBlock(block)
    } catch (err) {
      t.fail(`${name}: does not decode: ${String(err)}`)
      continue
    }
    t.alike(eventToJson(event), golden.expected, `${name}: decodes to the stored JSON`)
    try {
      verifyEvent(event, fromHex(golden.expected.author))
      t.pass(`${name}: verifies`)
    } catch (err) {
      t.fail(`${name}: does not verify: ${String(err)}`)
    }
    t.is(toHex(encodeBlock(event)), golden.blockBytes, `${name}: re-encodes to the same bytes`)
  }
})

test('every event type and schema version of this build has a golden file', (t) => {
  const have = new Set(goldenFiles().map((f) => f.name))
  const missing: string[] = []
  for (const type of EVENT_TYPES) {
    const schemas = [catalog[type].schema, ...catalog[type].legacy.map((l) => l.schema)]
    for (const schema of schemas) {
      const name = `v${ENVELOPE_VERSION}/${type}@${schema}.json`
      if (!have.has(name)) missing.push(name)
    }
  }
  t.alike(missing, [], 'run node dist/scripts/make-golden.js to add the missing files')
})

test('the redacted placeholder block (version 2) decodes to a redacted event that verifies', (t) => {
  const file = fileURLToPath(new URL('../../fixtures/golden-blocks/redacted-placeholder@2.json', import.meta.url))
  const golden = JSON.parse(readFileSync(file, 'utf8')) as { blockBytes: string; expected: { author: string } }
  const event = decodeBlock(fromHex(golden.blockBytes))
  t.is(event.redacted, true)
  t.is(event.body, null)
  t.alike(eventToJson(event), golden.expected)
  t.execution(() => verifyEvent(event, fromHex(golden.expected.author)))
  t.is(toHex(encodeRedactedBlock(event)), golden.blockBytes, 're-encodes to the same bytes')
})
