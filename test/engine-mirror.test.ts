import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import test from 'brittle'
import { silentProgress } from '../src/commands/command.js'
import { configSet, configShow, configUnset } from '../src/commands/config.js'
import { replayCommand, timelineCommand } from '../src/commands/history.js'
import { amend, reflect, retract } from '../src/commands/journal.js'
import { tensionAdd } from '../src/commands/tension.js'
import { BUILTIN_MODEL } from '../src/engine/builtin.js'
import { buildMirrorContext, contextSources, estimateTokens } from '../src/engine/context.js'
import { mirrorEntry } from '../src/engine/engine.js'
import { mirrorPrompt, promptHash } from '../src/engine/prompt.js'
import type { MirrorProvider } from '../src/engine/provider.js'
import { readSettings } from '../src/engine/settings.js'
import { CosmicError } from '../src/errors.js'
import { decodeBody, encodeBody } from '../src/events/catalog.js'
import { READ_MODEL_FILE } from '../src/store/home.js'
import { createHome, runCli } from './helpers/home.js'

/** Mirrorbacks as history, the context a model is given, and the settings, over a real home. */

type Home = Awaited<ReturnType<typeof createHome>>['home']

function ctx(home: Home) {
  return { home, progress: silentProgress }
}

async function write(home: Home, text: string, extra: { sealed?: boolean; mood?: string; tags?: string[] } = {}) {
  return reflect.run(ctx(home), { text, ...extra })
}

async function expectError(t: test.Test, promise: Promise<unknown>, code: string, fragment?: string): Promise<void> {
  try {
    await promise
    t.fail(`expected ${code}`)
  } catch (err) {
    if (!CosmicError.is(err)) throw err
    t.is(err.code, code, `${code}: ${err.message}`)
    if (fragment) t.ok(err.message.includes(fragment), `message names ${fragment}`)
  }
}

/** A stand-in model that counts its calls, to prove what does and does not call one. */
function countingProvider(): MirrorProvider & { calls: number } {
  const provider = {
    kind: 'local_llm' as const,
    model: 'counting.gguf',
    calls: 0,
    async mirror() {
      provider.calls++
      return { text: `Answer ${provider.calls}.`, themes: ['Counting', ' counting ', 'Numbers'] }
    },
    async narrate() {
      provider.calls++
      return { text: 'A narrative.', themes: [] }
    },
    async close() {}
  }
  return provider
}

test('a built-in mirrorback is an event with provenance, shown under its entry in the timeline', async (t) => {
  const { home } = await createHome(t)
  await tensionAdd.run(ctx(home), {
    name: 'Money: scarcity vs control',
    poles: ['scarcity', 'control'],
    intensity: 0.7,
    domain: 'money'
  })
  const entry = await write(home, 'I feel anxious about money. The rent is late again.', { mood: 'tense' })

  const outcome = await mirrorEntry(home, entry.id)
  t.is(outcome.event.type, 'mirrorback.generated')
  t.is(outcome.event.schema, 1)
  const body = outcome.event.body as { ref: string; text: string; themes: string[]; engine: Record<string, string> }
  t.is(body.ref, entry.id)
  t.is(body.text, outcome.text)
  t.alike(body.themes, ['money', 'time', 'anxiety'], 'rent: money, late: time, anxious: anxiety')
  t.ok(body.text.includes('"Money: scarcity vs control"'), 'links the open tension')
  t.is(body.engine.kind, 'builtin')
  t.is(body.engine.model, BUILTIN_MODEL)
  const context = await buildMirrorContext(home, entry.id, { tokens: 1500, scope: 'full' })
  t.is(
    body.engine.promptHash,
    promptHash(mirrorPrompt(context)),
    'the prompt hash is of the prompt built from the context'
  )
  t.alike(outcome.egress, [], 'nothing left the device')

  const timeline = await timelineCommand.run(ctx(home), {})
  const item = timeline.items.find((i) => i.kind === 'entry' && i.entry.id === entry.id)
  t.ok(
    item && item.kind === 'entry' && item.entry.mirrorbacks[0]?.text === outcome.text,
    'the timeline holds it under its entry'
  )
  t.ok(timelineCommand.render(timeline).includes(`↳ mirror (builtin): ${outcome.text}`))

  const again = await mirrorEntry(home, entry.id.slice(0, 10))
  t.is(again.text, outcome.text, 'same entry, same state: same text')
  t.is(again.engine.promptHash, outcome.engine.promptHash)
})

test('replay never calls a model: mirrorbacks come back from the log', async (t) => {
  const { home, path, reopen } = await createHome(t)
  const model = countingProvider()
  const a = await write(home, 'First entry.')
  const b = await write(home, 'Second entry, about work.')
  const first = await mirrorEntry(home, a.id, { provider: model })
  await mirrorEntry(home, b.id, { provider: model })
  t.is(model.calls, 2)
  t.alike(first.themes, ['counting', 'numbers'], 'themes cleaned: trimmed, lower-case, unique')
  t.alike((first.event.body as { engine: { kind: string; model: string } }).engine.kind, 'local_llm')

  const rows = () =>
    home.readModel.db.prepare('SELECT id, ref, seq, text, themes, engine FROM mirrorbacks ORDER BY seq').all()
  const before = rows()
  t.is(before.length, 2)
  await replayCommand.run(ctx(home), {})
  t.alike(rows(), before, 'cosmic replay rebuilds the same mirrorbacks')

  await home.close()
  await rm(join(path, READ_MODEL_FILE))
  await rm(join(path, `${READ_MODEL_FILE}-wal`), { force: true })
  await rm(join(path, `${READ_MODEL_FILE}-shm`), { force: true })
  const reopened = await reopen()
  t.alike(
    reopened.readModel.db.prepare('SELECT id, ref, seq, text, themes, engine FROM mirrorbacks ORDER BY seq').all(),
    before,
    'a read model rebuilt from nothing holds them too'
  )
  t.is(model.calls, 2, 'and no model was called')
})

test('the context: from projections, bounded in tokens, never a sealed entry; sources name every event sent', async (t) => {
  const { home } = await createHome(t)
  await tensionAdd.run(ctx(home), { name: 'Work vs rest', poles: ['ambition', 'rest'], intensity: 0.5, domain: 'work' })
  const sealed = await write(home, 'SEALED-SECRET words that stay here.', { sealed: true })
  const long = 'Work again, a long day of meetings and email and more meetings. '.repeat(40)
  const old: string[] = []
  for (let i = 0; i < 20; i++) old.push((await write(home, `${i}: ${long}`)).id)
  const entry = await write(home, 'Today I rested. Original words.')
  const amended = await amend.run(ctx(home), { id: entry.id, text: 'Today I rested, and it felt like enough.' })

  for (const tokens of [200, 600, 1500]) {
    const context = await buildMirrorContext(home, entry.id, { tokens, scope: 'full' })
    const prompt = mirrorPrompt(context)
    t.ok(context.tokens <= tokens, `budget ${tokens}: context uses ${context.tokens}`)
    t.ok(
      estimateTokens(prompt.user) <= tokens + 40,
      `budget ${tokens}: the prompt is ${estimateTokens(prompt.user)} tokens`
    )
    t.absent(prompt.user.includes('SEALED-SECRET'), 'no sealed words')
    const sources = contextSources(context)
    t.absent(sources.includes(sealed.id), 'no sealed id')
    t.is(context.entry.text, 'Today I rested, and it felt like enough.', 'the amended text')
    t.alike(context.entry.sources, [entry.id, amended.id], 'the entry and the amendment whose words are sent')
    t.is(context.tensions.length, 1)
    t.ok(context.recent.length >= 1 && context.recent.length < 20, `${context.recent.length} recent entries fit`)
    t.is(context.recent[0]!.id, old.at(-1), 'newest first')
    t.ok(
      context.recent.every((r) => r.text.length <= 402),
      'each recent entry is a glimpse'
    )
  }
  const only = await buildMirrorContext(home, entry.id, { tokens: 1500, scope: 'entry' })
  t.alike([only.tensions.length, only.values.length, only.recent.length], [0, 0, 0], 'entry scope: the entry alone')

  const tiny = await buildMirrorContext(home, old[0]!, { tokens: 100, scope: 'full' })
  t.ok(tiny.entry.truncated && tiny.entry.text.endsWith('…'), 'an entry longer than the budget is cut')
  t.ok(estimateTokens(tiny.entry.text) <= 100)

  const mirrored = await mirrorEntry(home, sealed.id)
  t.is(mirrored.engine.kind, 'builtin', 'a sealed entry is mirrored on this device')
})

test('mirroring what is not there: NOT_FOUND, a retracted entry: CONFLICT; retraction forgets its mirrorbacks', async (t) => {
  const { home } = await createHome(t)
  const entry = await write(home, 'Words to forget.')
  await mirrorEntry(home, entry.id)
  await expectError(t, mirrorEntry(home, 'ab'.repeat(32)), 'NOT_FOUND')
  await retract.run(ctx(home), { id: entry.id })
  await expectError(t, mirrorEntry(home, entry.id), 'CONFLICT', 'retracted')
  t.is((home.readModel.db.prepare('SELECT count(*) AS n FROM mirrorbacks').get() as { n: number }).n, 0)
})

test('settings: each change one config.changed event (schema 2), shown with defaults; v1 events upcast', async (t) => {
  const { home } = await createHome(t)
  const shown = await configShow.run(ctx(home), {})
  t.alike([shown.settings.mode, shown.settings.engine, shown.settings.sync], ['local', 'builtin', false])
  t.alike(shown.recorded, [])

  const changed = await configSet.run(ctx(home), {
    pairs: [
      ['mirror_mode', 'hybrid'],
      ['sync', 'on'],
      ['context_tokens', '800'],
      ['max-tokens', '256'],
      ['remote_url', 'HTTP://LocalHost:8080/v1/'],
      ['remote_model', 'llama3'],
      ['remote_retries', '0']
    ]
  })
  t.ok(changed.changed)
  t.is(changed.event!.type, 'config.changed')
  t.is(changed.event!.schema, 2)
  t.alike(changed.event!.body, {
    mode: 'hybrid',
    engine: 'builtin',
    sync: true,
    contextTokens: 800,
    maxTokens: 256,
    remoteUrl: 'http://localhost:8080/v1',
    remoteModel: 'llama3',
    remoteRetries: 0
  })
  const settings = readSettings(home.readModel.db)
  t.is(settings.contextTokens, 800)
  t.is(settings.remoteTimeoutMs, 60_000, 'defaults for what is not set')

  const length = home.journal.length
  const same = await configSet.run(ctx(home), { pairs: [['engine', 'builtin']] })
  t.absent(same.changed, 'no change, no event')
  t.is(home.journal.length, length)

  const unset = await configUnset.run(ctx(home), { keys: ['context_tokens', 'remote_retries'] })
  t.ok(unset.changed)
  t.absent('contextTokens' in (unset.event!.body as object))
  await expectError(t, configUnset.run(ctx(home), { keys: ['mirror_mode'] }), 'INVALID_INPUT', 'cannot be unset')

  const v1 = decodeBody(
    'config.changed',
    1,
    encodeBody('config.changed', { mode: 'cloud', engine: 'remote_llm', sync: false }, 1)
  )
  t.alike(v1, { mode: 'cloud', engine: 'remote_llm', sync: false }, 'a schema 1 body reads as schema 2')
})

test('settings refuse what cannot work, and write nothing', async (t) => {
  const { home } = await createHome(t)
  const dir = await t.tmp()
  const notGguf = join(dir, 'model.bin')
  await writeFile(notGguf, 'not a model')
  const length = home.journal.length
  const set = (...pairs: [string, string][]) => configSet.run(ctx(home), { pairs })
  await expectError(
    t,
    set(['engine', 'remote_llm'], ['url', 'http://127.0.0.1:1/v1'], ['remote_model', 'm']),
    'NETWORK_REFUSED',
    'local'
  )
  await expectError(t, set(['sync_enabled', 'true']), 'NETWORK_REFUSED', 'sync')
  await expectError(t, set(['engine', 'local_llm']), 'MODEL_UNAVAILABLE', '--model')
  await expectError(
    t,
    set(['engine', 'local_llm'], ['model', join(dir, 'missing.gguf')]),
    'MODEL_UNAVAILABLE',
    'no model file'
  )
  await expectError(t, set(['engine', 'local_llm'], ['model', notGguf]), 'MODEL_UNAVAILABLE', 'not a GGUF')
  await expectError(t, set(['engine', 'local_llm'], ['model', dir]), 'MODEL_UNAVAILABLE', 'not a file')
  await expectError(t, set(['mirror_mode', 'hybrid'], ['engine', 'remote_llm']), 'INVALID_INPUT', 'endpoint')
  await expectError(t, set(['max_tokens', '8']), 'INVALID_INPUT', 'max_tokens')
  await expectError(t, set(['max_tokens', 'lots']), 'INVALID_INPUT', 'max_tokens')
  await expectError(t, set(['mirror_mode', 'everywhere']), 'INVALID_INPUT', 'local, hybrid, cloud')
  await expectError(t, set(['colour', 'blue']), 'INVALID_INPUT', 'unknown setting')
  await expectError(t, set(['remote_url', 'ftp://x']), 'INVALID_INPUT', 'http')
  await expectError(t, set(['remote_url', 'http://user:key@host/v1']), 'INVALID_INPUT', 'credentials')
  t.is(home.journal.length, length, 'nothing was appended')

  const entry = await write(home, 'Local words.')
  const before = home.journal.length
  await expectError(t, mirrorEntry(home, entry.id, { engine: 'remote_llm' }), 'NETWORK_REFUSED', 'mirror_mode is local')
  t.is(home.journal.length, before, 'local mode: refused before anything is written or sent')
})

test('the cosmic CLI: reflect --mirror, mirror, config show|set, as a person uses them', async (t) => {
  const home = join(await t.tmp(), 'home')
  const cli = (...args: string[]) => runCli(['--home', home, ...args])
  t.is((await cli('init')).code, 0)

  const recorded = await cli('reflect', 'Tired of work, and not happy about it.', '--mirror')
  t.is(recorded.code, 0)
  t.ok(recorded.stdout.includes('Recorded entry'))
  t.ok(recorded.stdout.includes('Mirrorback for entry'))
  t.ok(recorded.stdout.includes('"not happy"'))

  const json = await cli('--json', 'reflect', 'A calm walk by the river.', '--mirror')
  const out = JSON.parse(json.stdout) as {
    entry: { id: string }
    mirror: { engine: { kind: string }; themes: string[] }
  }
  t.is(out.mirror.engine.kind, 'builtin')
  t.alike(out.mirror.themes, ['body', 'nature', 'calm'])

  const again = await cli('--json', 'mirror', out.entry.id.slice(0, 8))
  t.is(again.code, 0)
  t.is(
    JSON.parse(again.stdout).text,
    (out.mirror as unknown as { text: string }).text,
    'deterministic across processes'
  )

  const shown = await cli('config', 'show')
  t.ok(shown.stdout.includes('mirror_mode        local'))
  t.ok(shown.stdout.includes('api key'), 'says where the key comes from, never the key')

  const refused = await cli(
    'config',
    'set',
    'engine',
    'remote_llm',
    '--url',
    'http://127.0.0.1:1/v1',
    '--remote-model',
    'm'
  )
  t.is(refused.code, 2)
  t.ok(refused.stderr.includes('NETWORK_REFUSED'))

  const odd = await cli('config', 'set', 'mirror_mode')
  t.is(odd.code, 2)
  t.ok(odd.stderr.includes('KEY VALUE'))

  const hybrid = await cli(
    'config',
    'set',
    'mirror_mode',
    'hybrid',
    'engine_mode',
    'remote_llm',
    '--url',
    'http://127.0.0.1:1/v1',
    '--remote-model',
    'm'
  )
  t.is(hybrid.code, 0)
  t.ok(hybrid.stdout.includes('config.changed'))

  const noConsent = await cli('reflect', 'Words that want out.', '--mirror')
  t.is(noConsent.code, 2)
  t.ok(noConsent.stderr.includes('CONSENT_REQUIRED'))
  t.ok(noConsent.stderr.includes('the entry was recorded'), 'the entry is kept and the error says so')
  const log = JSON.parse((await cli('--json', 'log', '--limit', '100')).stdout) as { type: string }[]
  t.ok(
    log.some((e) => e.type === 'reflection.recorded'),
    'recorded'
  )
  t.absent(
    log.some((e) => e.type === 'egress.recorded'),
    'nothing left'
  )

  const sealed = await cli('reflect', 'Sealed words.', '--sealed', '--mirror')
  t.is(sealed.code, 0)
  t.ok(sealed.stdout.includes('sealed entry: mirrored on this device'))

  const forced = await cli('reflect', 'Sealed again.', '--sealed', '--engine', 'remote_llm')
  t.is(forced.code, 2)
  t.ok(forced.stderr.includes('NETWORK_REFUSED'))
})
