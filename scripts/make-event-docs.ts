// Writes docs/events.md from the catalog, so the event docs cannot drift from the schemas.
// Run: npm run build && node dist/scripts/make-event-docs.js   (test/docs.test.ts checks it is current)
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Kind, OptionalKind, type TSchema } from '@sinclair/typebox'
import { catalog } from '../src/events/catalog.js'
import type { EventDefinition } from '../src/events/schemas.js'

type Schema = TSchema & Record<string | symbol, unknown>

export function describe(schema: Schema): string {
  const parts: string[] = []
  switch (schema[Kind]) {
    case 'String':
      if (schema.codec === 'hex32') return 'event id (hex, 32 bytes)'
      if (schema.codec === 'hex')
        return `hex bytes${typeof schema.pattern === 'string' && schema.pattern.includes('128') ? ' (64)' : ''}`
      parts.push('string')
      if (typeof schema.minLength === 'number' || typeof schema.maxLength === 'number') {
        parts.push(`${schema.minLength ?? 0}..${schema.maxLength ?? '∞'} chars`)
      }
      if (typeof schema.description === 'string') parts.push(schema.description)
      return parts.join(', ')
    case 'Number':
      return `number ${schema.minimum ?? '-∞'}..${schema.maximum ?? '∞'}`
    case 'Integer':
      return `integer ${schema.minimum ?? ''}..${schema.maximum ?? ''}${schema.description ? `, ${schema.description}` : ''}`
    case 'Boolean':
      return 'boolean'
    case 'Array':
      return `array of ${describe(schema.items as Schema)}${schema.minItems !== undefined ? `, at least ${schema.minItems}` : ''}${schema.maxItems !== undefined ? `, at most ${schema.maxItems}` : ''}`
    case 'Union':
      return (schema.anyOf as Schema[]).map((m) => `\`${String(m.const)}\``).join(' \\| ')
    case 'Object':
      return `{ ${Object.entries(schema.properties as Record<string, Schema>)
        .map(([k, v]) => `${k}${v[OptionalKind] ? '?' : ''}: ${describe(v)}`)
        .join('; ')} }`
    default:
      return String(schema[Kind])
  }
}

export function eventDocs(): string {
  const lines = [
    '# Event catalog',
    '',
    'Generated from `src/events/` by `scripts/make-event-docs.ts`; a test fails when it is stale.',
    'Every event is a signed envelope (docs/envelope.md); this page lists the bodies. Fields marked `?`',
    'are optional. Bodies are validated before anything is appended, and again when decoded from a',
    'log or a bundle; older schema versions stay readable forever and are upcast on read.',
    '`privacy` (in the envelope) is `private` unless the command says otherwise (`--shareable`).',
    ''
  ]
  for (const [type, def] of Object.entries(catalog) as [string, EventDefinition][]) {
    lines.push(`## \`${type}\` (schema ${def.schema})`, '', `${def.summary}.`, '', '| field | type |', '|---|---|')
    for (const [name, field] of Object.entries((def.body as Schema).properties as Record<string, Schema>)) {
      lines.push(`| \`${name}${field[OptionalKind] ? '?' : ''}\` | ${describe(field)} |`)
    }
    for (const old of def.legacy) {
      lines.push('', `Older version ${old.schema}, still read and upcast: ${describe(old.body as Schema)}.`)
    }
    lines.push('')
  }
  return lines.join('\n')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = join(dirname(fileURLToPath(import.meta.url)), '../../docs/events.md')
  writeFileSync(out, eventDocs())
  console.log(`wrote ${out}`)
}
