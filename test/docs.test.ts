import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import test from 'brittle'
import { eventDocs } from '../scripts/make-event-docs.js'
import { REPO } from './helpers/home.js'

test('docs/events.md is generated from the catalog and current', async (t) => {
  const doc = await readFile(join(REPO, 'docs/events.md'), 'utf8')
  t.is(doc, eventDocs(), 'run: npm run build && node dist/scripts/make-event-docs.js')
})

test('docs/cli.md documents every top-level command', async (t) => {
  const doc = await readFile(join(REPO, 'docs/cli.md'), 'utf8')
  const { program } = await import('../src/cli/run.js')
  await import('../src/cli/commands.js')
  for (const command of program.commands) {
    t.ok(doc.includes(`cosmic ${command.name()}`), `cosmic ${command.name()} is in docs/cli.md`)
  }
})
