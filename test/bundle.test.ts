import { spawnSync } from 'node:child_process'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import test from 'brittle'
import { type CommandContext, silentProgress } from '../src/commands/command.js'
import { exportCommand, importCommand } from '../src/commands/history.js'
import { amend, reflect, retract } from '../src/commands/journal.js'
import { profileSet } from '../src/commands/profile.js'
import { tensionAdd, tensionShift } from '../src/commands/tension.js'
import { CosmicError } from '../src/errors.js'
import { toHex } from '../src/events/crypto.js'
import { decodeBlock, encodeRedactedBlock, eventToJson, redactedEvent, verifyEvent } from '../src/events/envelope.js'
import { auditJournal } from '../src/store/audit.js'
import { exportBundle, importBundle, verifyBundle } from '../src/store/bundle.js'
import { Home } from '../src/store/home.js'
import { dumpReadModel } from '../src/store/replay.js'
import { createHome, PASSPHRASE, REPO, runCli } from './helpers/home.js'

const DAY = 86_400_000
const START = Date.UTC(2030, 0, 7, 9)

/** A source home with a varied history; `retracting` adds a forgotten entry. */
async function source(t: test.Test, options: { retracting?: boolean } = {}) {
  const { home } = await createHome(t)
  let now = START
  home.journal.clock = () => now
  const ctx: CommandContext = { home, progress: silentProgress }
  await profileSet.run(ctx, { dimension: 'mind', facet: 'skill', key: 'pottery', level: 3 })
  const first = await reflect.run(ctx, {
    text: 'Clay on my hands, the wheel humming',
    tags: ['pottery', 'calm'],
    mood: 'content',
    dimension: 'body'
  })
  await home.append([
    {
      type: 'mirrorback.generated',
      body: {
        ref: first.id,
        text: 'Your hands seem to know something your head is still learning.',
        themes: ['making'],
        engine: { kind: 'builtin', model: 'lexicon-1', promptHash: 'b'.repeat(64) }
      }
    }
  ])
  now += 3 * DAY
  await tensionAdd.run(ctx, { name: 'craft vs income', poles: ['craft', 'income'], intensity: 0.6, domain: 'work' })
  const second = await reflect.run(ctx, { text: 'Sold my first bowl', tags: ['pottery', 'money'], mood: 'proud' })
  await amend.run(ctx, { id: second.id, text: 'Sold my first bowl, to a stranger' })
  now += 3 * DAY
  if (options.retracting) {
    const secret = await reflect.run(ctx, { text: 'A jealous thought about Lena', tags: ['envy'], mood: 'small' })
    await retract.run(ctx, { id: secret.id })
  }
  await tensionShift.run(ctx, { id: 'craft-vs-income', intensity: 0.3, toward: 'craft' })
  return { home, ctx }
}

/** An empty home of the same identity, as `cosmic init --recover` makes it. */
async function recovered(t: test.Test, from: Home): Promise<Home> {
  const path = join(await t.tmp(), 'recovered')
  await Home.init(path, { passphrase: PASSPHRASE, kdf: 'interactive', seed: from.keys.seed })
  const home = await Home.open(path, PASSPHRASE)
  t.teardown(() => home.close(), { order: -1 })
  return home
}

async function allEvents(home: Home) {
  const out = []
  for await (const event of home.journal.events()) out.push(eventToJson(event))
  return out
}

async function bundleOf(t: test.Test, home: Home): Promise<{ file: string; lines: string[] }> {
  const file = join(await t.tmp(), 'journal.jsonl')
  await exportBundle(home, file)
  return { file, lines: (await readFile(file, 'utf8')).trimEnd().split('\n') }
}

test('export then import into a recovered home: the same events and the same read model', async (t) => {
  const { home, ctx } = await source(t, { retracting: true })
  const file = join(await t.tmp(), 'journal.jsonl')
  const exported = await exportCommand.run(ctx, { file })
  t.is(exported.events, home.journal.length)
  t.is(exported.redacted, 1, 'the forgotten entry travels as its signed header')
  const text = await readFile(file, 'utf8')
  t.absent(text.includes('jealous'), 'forgotten words are not in the bundle')
  t.ok(text.includes('Sold my first bowl, to a stranger'), 'readable bodies are')

  const target = await recovered(t, home)
  t.is(target.journal.length, 0, 'init --recover: same identity, empty journal')
  t.is(target.author, home.author)
  const report = await importCommand.run({ home: target, progress: silentProgress }, { file })
  t.is(report.events, home.journal.length)
  t.is(report.redacted, 1)
  t.is(report.treeHashMatches, null, 'with a redacted event the tree cannot match')

  t.alike(
    await allEvents(target),
    await allEvents(home),
    'every event, as the source has it (seq, time, prev, ids, sigs)'
  )
  t.alike(dumpReadModel(target.readModel), dumpReadModel(home.readModel), 'every projection table identical')
  const audit = await auditJournal(target.journal)
  t.ok(audit.ok, `audit of the imported home: ${JSON.stringify(audit.firstFailure)}`)
  t.is(audit.redacted, 1, 'the placeholder is verified from its signed header and counted as redacted')

  // The home keeps working, and a reopened one still agrees.
  await target.close()
  const again = await Home.open(target.path, PASSPHRASE)
  t.teardown(() => again.close(), { order: -1 })
  t.alike(dumpReadModel(again.readModel), dumpReadModel(home.readModel), 'after reopening (no redacted block cleared)')
  await reflect.run({ home: again, progress: silentProgress }, { text: 'A new life here', tags: [] })
  t.ok((await auditJournal(again.journal)).ok, 'audit after a new entry')
})

test('without redactions, the imported journal rebuilds the very same Hypercore tree', async (t) => {
  const { home } = await source(t)
  const { file } = await bundleOf(t, home)
  const target = await recovered(t, home)
  const report = await importBundle(target, file)
  t.is(report.treeHashMatches, true, `tree ${report.treeHash}`)
  t.is(report.treeHash, toHex(await home.journal.core.treeHash()))
})

test('a tampered bundle is refused, naming the line, and nothing is written', async (t) => {
  const { home } = await source(t, { retracting: true })
  const { lines } = await bundleOf(t, home)
  const target = await recovered(t, home)
  const dir = await t.tmp()
  const seqOf = (type: string) =>
    lines.findIndex((l) => l.includes(`"type":"${type}"`) && l.includes('"redacted":false'))
  const entryLine = seqOf('reflection.recorded') // index in `lines` (0 is the header): file line index + 1

  const flip = (hex: string, at: number) => hex.slice(0, at) + (hex[at] === '0' ? '1' : '0') + hex.slice(at + 1)
  const editField = (index: number, field: string, change: (value: string) => string) => {
    const copy = [...lines]
    const event = JSON.parse(copy[index] as string) as Record<string, string>
    event[field] = change(event[field] as string)
    copy[index] = JSON.stringify(event)
    return copy
  }
  const swapped = [...lines]
  ;[swapped[4], swapped[5]] = [swapped[5] as string, swapped[4] as string]
  const cases: [string, string[], number, RegExp][] = [
    [
      'a hex character flipped in a body',
      editField(entryLine, 'bodyBytes', (h) => flip(h, 6)),
      entryLine + 1,
      /BODY_MISMATCH|DECODE_FAILED/
    ],
    [
      'a hex character flipped in a signature',
      editField(entryLine, 'sig', (h) => flip(h, 10)),
      entryLine + 1,
      /INVALID_SIGNATURE/
    ],
    ['a hex character flipped in a header', editField(3, 'headerBytes', (h) => flip(h, h.length - 2)), 4, /INVALID_ID/],
    ['a line dropped', lines.filter((_, i) => i !== 3), 4, /expected the event at seq 2, found seq 3/],
    ['the last line dropped', lines.slice(0, -1), lines.length, /missing/],
    ['two lines swapped', swapped, 5, /expected the event at seq 3, found seq 4/],
    ['a line duplicated', [...lines.slice(0, 4), lines[3] as string, ...lines.slice(4, -1)], 5, /seq 3/],
    [
      'the readable body edited',
      editField(entryLine, 'body', () => ({ text: 'forged', tags: [] }) as never),
      entryLine + 1,
      /readable body/
    ],
    ['a readable field edited', editField(2, 'time', () => 5 as never), 3, /time says 5/],
    ['not JSON', [...lines.slice(0, 2), '{oops', ...lines.slice(3)], 3, /not JSON/],
    [
      'a body smuggled into a redacted line',
      lines.map((l) => l.replace('"redacted":true', '"redacted":true,"salt":"00"')),
      lines.findIndex((l) => l.includes('"redacted":true')) + 1,
      /no salt/
    ]
  ]
  for (const [name, content, line, reason] of cases) {
    const file = join(dir, `${name.replaceAll(' ', '-')}.jsonl`)
    await writeFile(file, `${content.join('\n')}\n`)
    try {
      await importBundle(target, file)
      t.fail(`${name}: imported`)
    } catch (err) {
      t.ok(CosmicError.is(err, 'BUNDLE_INVALID'), `${name}: ${String(err)}`)
      t.is((err as CosmicError).data?.line, line, `${name}: names line ${line}`)
      t.ok((err as Error).message.startsWith(`BUNDLE_INVALID: line ${line}: `), `${name}: says line ${line}`)
      t.ok(reason.test((err as Error).message), `${name}: says why`)
    }
    t.is(target.journal.length, 0, `${name}: nothing written`)
  }
})

test('a bundle by another identity, or into a journal that is not empty, is refused', async (t) => {
  const { home } = await source(t)
  const { file } = await bundleOf(t, home)
  const { home: stranger } = await createHome(t)
  const wrong = await importBundle(stranger, file).catch((err: unknown) => err)
  t.ok(CosmicError.is(wrong, 'FOREIGN_AUTHOR'), String(wrong))
  t.ok(String(wrong).includes('init --recover'), 'and says how to restore that identity')
  const empty = await recovered(t, home)
  await importBundle(empty, file)
  const twice = await importBundle(empty, file).catch((err: unknown) => err)
  t.ok(CosmicError.is(twice, 'CONFLICT'), `a second import: ${String(twice)}`)
})

test('the CLI: export, tampered import refused with exit 2, import of the real one', async (t) => {
  const dir = await t.tmp()
  const src = join(dir, 'src')
  const dst = join(dir, 'dst')
  const bundle = join(dir, 'b.jsonl')
  t.is((await runCli(['--home', src, 'init'])).code, 0)
  t.is((await runCli(['--home', src, 'reflect', 'tidepools', 'and', 'crabs', '--tag', 'sea'])).code, 0)
  const exported = await runCli(['--home', src, '--json', 'export', bundle])
  t.is(exported.code, 0, exported.stderr)
  t.is((JSON.parse(exported.stdout) as { events: number }).events, 2)
  t.is((await runCli(['--home', src, 'export', bundle])).code, 2, 'no overwrite without --force')
  const phrase = (
    JSON.parse((await runCli(['--home', src, '--json', 'vault', 'export-key'])).stdout) as { phrase: string }
  ).phrase
  t.is((await runCli(['--home', dst, 'init', '--recover'], { env: { COSMIC_RECOVERY_PHRASE: phrase } })).code, 0)

  const lines = (await readFile(bundle, 'utf8')).trimEnd().split('\n')
  const tampered = join(dir, 'tampered.jsonl')
  await writeFile(tampered, `${[lines[0], lines[2], lines[1]].join('\n')}\n`)
  const refused = await runCli(['--home', dst, '--json', 'import', tampered])
  t.is(refused.code, 2)
  const error = JSON.parse(refused.stderr) as { error: { code: string; message: string } }
  t.is(error.error.code, 'BUNDLE_INVALID')
  t.ok(error.error.message.includes('line 2'), error.error.message)

  const imported = await runCli(['--home', dst, 'import', bundle])
  t.is(imported.code, 0, imported.stderr)
  t.ok(imported.stdout.includes('Imported 2 events'), 'imported')
  const timeline = await runCli(['--home', dst, 'timeline', '--search', 'crabs'])
  t.ok(timeline.stdout.includes('«crabs»'), 'and found again by search')
  t.is((await runCli(['--home', dst, 'audit'])).code, 0)
})

test('python3 + cryptography verify an exported bundle with the snippet of docs/export.md', async (t) => {
  const doc = await readFile(join(REPO, 'docs/export.md'), 'utf8')
  const script = /```python\n([\s\S]*?)```/.exec(doc)?.[1]
  t.ok(script, 'docs/export.md has a python snippet')
  const { home } = await source(t, { retracting: true })
  const { file, lines } = await bundleOf(t, home)
  const run = (path: string) => spawnSync('python3', ['-c', script as string, path], { encoding: 'utf8' })
  const ok = run(file)
  if (ok.error) {
    t.fail(`python3 could not be run (${ok.error.message}): install python3 and the cryptography package`)
    return
  }
  t.is(ok.status, 0, ok.stderr)
  t.ok(ok.stdout.includes(`ok: ${home.journal.length} events verified`), ok.stdout)

  const bad = join(await t.tmp(), 'bad.jsonl')
  const copy = [...lines]
  copy[2] = (copy[2] as string).replace(/"sig":"(.)/, (_m, c: string) => `"sig":"${c === '0' ? '1' : '0'}`)
  await writeFile(bad, `${copy.join('\n')}\n`)
  const refused = run(bad)
  t.not(refused.status, 0, 'a flipped signature fails in Python too')
  t.ok(refused.stderr.includes('InvalidSignature'), refused.stderr.split('\n').at(-2))
})

test('the Markdown export reads like a journal: current text, tags, moods, mirrorbacks', async (t) => {
  const { home, ctx } = await source(t, { retracting: true })
  const dir = join(await t.tmp(), 'journal')
  const report = await exportCommand.run(ctx, { file: dir, format: 'markdown' })
  const files = (await readdir(dir)).sort()
  t.alike(files, ['2030-01.md', 'README.md'], 'an index and one file per month')
  t.is(report.entries, 2)
  const month = await readFile(join(dir, '2030-01.md'), 'utf8')
  for (const words of [
    'Clay on my hands, the wheel humming',
    '#calm #pottery',
    'mood: content',
    'Your hands seem to know something your head is still learning.',
    'Sold my first bowl, to a stranger',
    'amended 1×'
  ]) {
    t.ok(month.includes(words), `has "${words}"`)
  }
  t.absent(month.includes('jealous'), 'forgotten words are not there')
  const index = await readFile(join(dir, 'README.md'), 'utf8')
  t.ok(index.includes('# Journal of Test') && index.includes('pottery') && index.includes('craft vs income'))

  const single = join(await t.tmp(), 'journal.md')
  await exportCommand.run(ctx, { file: single, format: 'markdown', single: true })
  const all = await readFile(single, 'utf8')
  t.ok(all.includes('## January 2030') && all.includes('Sold my first bowl, to a stranger'))
  const again = await exportCommand.run(ctx, { file: single, format: 'markdown', single: true }).catch((e) => e)
  t.ok(CosmicError.is(again, 'INVALID_INPUT'), 'no overwrite without --force')
  await exportCommand.run(ctx, { file: single, format: 'markdown', single: true, force: true })
  t.is(home.journal.length > 0, true)
})

test('a redacted block holds a signed header only, reads back as a redacted event and verifies', async (t) => {
  const { home } = await source(t, { retracting: true })
  const { lines } = await bundleOf(t, home)
  const bundle = verifyBundle(`${lines.join('\n')}\n`)
  const gone = bundle.events.find((e) => e.redacted)
  t.ok(gone, 'the bundle has a redacted event')
  const block = encodeRedactedBlock(gone!)
  t.is(block[0], 2, 'block version 2')
  const back = decodeBlock(block)
  t.ok(back.redacted && back.body === null && back.salt === null)
  t.alike(back.id, gone!.id)
  verifyEvent(back, home.keys.identity.publicKey)
  t.pass('verifies')
  const longer = new Uint8Array(block.byteLength + 1)
  longer.set(block)
  t.exception(() => decodeBlock(longer), /DECODE_FAILED/, 'a trailing byte is refused')
  t.exception(() => encodeRedactedBlock(bundle.events[1]!), /INTERNAL/, 'an event with words has no redacted block')
  t.ok(redactedEvent(gone!.headerBytes, gone!.sig).redacted)
})
