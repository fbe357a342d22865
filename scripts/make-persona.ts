import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generatePersona, personaToJsonl, STEP_EVENT_TYPES } from '../src/fixtures/persona.js'

/**
 * Writes fixtures/persona.jsonl from the seeded generator in src/fixtures/persona.ts.
 * The file is generated, never edited by hand; running this twice gives the same
 * bytes, and test/fixtures.test.ts fails if the file and the generator disagree.
 *
 *   npx tsc -p . && node dist/scripts/make-persona.js
 */

const FILE = fileURLToPath(new URL('../../fixtures/persona.jsonl', import.meta.url))

const persona = generatePersona()
const text = personaToJsonl(persona)
let before: string | null = null
try {
  before = readFileSync(FILE, 'utf8')
} catch {}
if (before === text) {
  console.log(`${FILE} is up to date`)
} else {
  writeFileSync(FILE, text)
  console.log(`wrote ${FILE}`)
}

const counts = new Map<string, number>([['identity.created', 1]])
for (const step of persona.steps) {
  const type = STEP_EVENT_TYPES[step.op]
  counts.set(type, (counts.get(type) ?? 0) + 1)
}
console.log(`${persona.header.events} events for ${persona.header.name}:`)
for (const [type, n] of counts) console.log(`  ${type.padEnd(22)} ${n}`)
