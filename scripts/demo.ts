// `npm run demo`: builds a demo home from the fixture persona (a year of one person's
// journal, replayed through the real commands) and shows what the core makes of it:
// the timeline, the tensions and an audit of every signature. Offline, no setup.
import { rm } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { audit } from '../src/commands/audit.js'
import { silentProgress } from '../src/commands/command.js'
import { tensionsCommand, timelineCommand } from '../src/commands/history.js'
import { status } from '../src/commands/journal.js'
import { createDemoHome, readPersona } from '../src/fixtures/load-persona.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const path = process.env.COSMIC_DEMO_HOME ?? join(root, '.cosmic-demo')

const persona = await readPersona()
process.stdout.write(
  `Building a demo home for ${persona.header.name} (${persona.steps.length} steps of a year) in ${relative(process.cwd(), path) || path}…\n`
)
await rm(path, { recursive: true, force: true })
const home = await createDemoHome(path, { persona })
const ctx = { home, progress: silentProgress }
const section = (title: string, body: string) => process.stdout.write(`\n== ${title}\n\n${body}\n`)
try {
  section('Status', status.render(await status.run(ctx, {})))
  section('Timeline (newest 8)', timelineCommand.render(await timelineCommand.run(ctx, { limit: 8 })))
  section('Tensions', tensionsCommand.render(await tensionsCommand.run(ctx, { all: true })))
  section('Audit', audit.render(await audit.run(ctx, {})))
} finally {
  await home.close()
}
process.stdout.write(
  [
    '',
    'Explore it with the CLI (passphrase: the persona’s, given below):',
    `  export COSMIC_HOME=${path} COSMIC_PASSPHRASE='${persona.header.passphrase}'`,
    '  node dist/src/cli/main.js timeline --search "money"',
    '  node dist/src/cli/main.js graph',
    '  node dist/src/cli/main.js patterns --window month',
    ''
  ].join('\n')
)
