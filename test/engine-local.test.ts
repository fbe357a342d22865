import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import test from 'brittle'
import { writeTinyGguf } from '../scripts/make-tiny-gguf.js'
import { silentProgress } from '../src/commands/command.js'
import { configSet } from '../src/commands/config.js'
import { reflect } from '../src/commands/journal.js'
import { buildMirrorContext } from '../src/engine/context.js'
import { mirrorEntry, noteEvolution } from '../src/engine/engine.js'
import { checkModelFile, loadRuntime, localProvider, parseLocalAnswer } from '../src/engine/local-llm.js'
import { mirrorPrompt } from '../src/engine/prompt.js'
import { CosmicError } from '../src/errors.js'
import { createHome, runCli } from './helpers/home.js'

/**
 * The local engine for real: a tiny llama-architecture GGUF with random weights,
 * written by scripts/make-tiny-gguf.ts into a temp dir, loaded by node-llama-cpp
 * (CPU), asked through its chat session with a JSON-schema grammar. The words are
 * gibberish; the loading, tokenising, constrained generation and recording are real.
 */

type Home = Awaited<ReturnType<typeof createHome>>['home']
const ctx = (home: Home) => ({ home, progress: silentProgress })

async function expectError(t: test.Test, promise: Promise<unknown>, code: string, fragment?: string): Promise<void> {
  try {
    await promise
    t.fail(`expected ${code}`)
  } catch (err) {
    if (!CosmicError.is(err)) throw err
    t.is(err.code, code, `${code}: ${err.message}`)
    if (fragment) t.ok(err.message.includes(fragment), `the message names "${fragment}"`)
  }
}

test('the tiny model generator writes a deterministic GGUF', async (t) => {
  const dir = await t.tmp()
  const a = await writeTinyGguf(join(dir, 'a.gguf'), { seed: 7 })
  const b = await writeTinyGguf(join(dir, 'b.gguf'), { seed: 7 })
  const c = await writeTinyGguf(join(dir, 'c.gguf'), { seed: 8 })
  const [ba, bb, bc] = await Promise.all([readFile(a), readFile(b), readFile(c)])
  t.is(ba.subarray(0, 4).toString('latin1'), 'GGUF')
  t.is(ba.readUInt32LE(4), 3, 'GGUF version 3')
  t.ok(ba.equals(bb), 'the same seed, the same bytes')
  t.absent(ba.equals(bc), 'another seed, other weights')
  t.ok(ba.byteLength < 2_000_000, `${ba.byteLength} bytes`)
  await checkModelFile(a)
})

test('local_llm end to end: config set engine local_llm --model, a grammar-constrained mirrorback, recorded', async (t) => {
  const { home } = await createHome(t)
  const model = await writeTinyGguf(join(await t.tmp(), 'tiny.gguf'))
  const changed = await configSet.run(ctx(home), {
    pairs: [
      ['engine', 'local_llm'],
      ['model', model],
      ['context_size', '2048'],
      ['max_tokens', '400'],
      ['context_tokens', '600']
    ]
  })
  t.is((changed.event!.body as { modelPath: string }).modelPath, model)

  const entry = await reflect.run(ctx(home), {
    text: 'I feel tired of work, and hopeful about the garden.',
    tags: ['work']
  })
  const before = home.journal.length
  const outcome = await mirrorEntry(home, entry.id)
  t.is(outcome.engine.kind, 'local_llm')
  t.is(outcome.engine.model, 'tiny.gguf')
  t.ok(outcome.text.length > 0, `the model answered ${outcome.text.length} characters of text`)
  t.ok(outcome.themes.length <= 6, 'themes within the grammar limit')
  t.is(home.journal.length, before + 1, 'one event: the mirrorback; nothing left the device')
  t.alike(outcome.egress, [])
  const row = home.readModel.db.prepare('SELECT text, engine FROM mirrorbacks WHERE ref = ?').get(entry.id) as {
    text: string
    engine: string
  }
  t.is(row.text, outcome.text, 'recorded under its entry')
  t.alike(JSON.parse(row.engine), outcome.engine)

  const again = await mirrorEntry(home, entry.id)
  t.is(again.text, outcome.text, 'greedy decoding: the same prompt gives the same answer')
})

test('local_llm: the provider reuses its loaded model, reports tokens, and narrates evolution', async (t) => {
  const { home } = await createHome(t)
  const modelPath = await writeTinyGguf(join(await t.tmp(), 'tiny.gguf'))
  const provider = localProvider({ modelPath, contextSize: 2048, maxTokens: 300 })
  t.teardown(() => provider.close())
  const a = await reflect.run(ctx(home), { text: 'Calm morning.' })
  const b = await reflect.run(ctx(home), { text: 'Anxious afternoon about money.' })
  const first = await mirrorEntry(home, a.id, { provider })
  const stats = provider.lastGeneration!
  t.ok(stats.tokens > 0 && stats.ms > 0, `${stats.tokens} tokens in ${stats.ms.toFixed(0)} ms`)
  const second = await mirrorEntry(home, b.id, { provider })
  t.is(first.engine.kind, 'local_llm')
  t.is(second.engine.kind, 'local_llm')
  const noted = await noteEvolution(
    home,
    { from: 0, to: Date.now() + 1000, changes: ['calm, then anxiety'] },
    { provider }
  )
  t.is(noted.event.type, 'evolution.noted')
  t.ok(noted.summary.length > 0)
  t.is(noted.engine.kind, 'local_llm')
})

test("local_llm: the context is shrunk until the prompt, counted by the model's tokenizer, fits its window", async (t) => {
  const { home } = await createHome(t)
  const modelPath = await writeTinyGguf(join(await t.tmp(), 'tiny.gguf'))
  await configSet.run(ctx(home), { pairs: [['context_tokens', '3000']] })
  const provider = localProvider({ modelPath, contextSize: 1024, maxTokens: 200 })
  t.teardown(() => provider.close())
  for (let i = 0; i < 30; i++)
    await reflect.run(ctx(home), { text: `Day ${i}: ${'work and worry and rest, '.repeat(30)}` })
  const entry = await reflect.run(ctx(home), { text: 'Today: a long day at work.' })
  const outcome = await mirrorEntry(home, entry.id, { provider })
  t.ok(outcome.context.budget < 3000, `the budget shrank from 3000 to ${outcome.context.budget}`)
  const prompt = mirrorPrompt(
    await buildMirrorContext(home, entry.id, { tokens: outcome.context.budget, scope: 'full' })
  )
  const measured = await provider.measure!(prompt)
  t.ok(measured.tokens <= measured.room, `${measured.tokens} real tokens fit in ${measured.room}`)
})

test('local_llm: a missing, invalid or broken model file is a clear MODEL_UNAVAILABLE', async (t) => {
  const dir = await t.tmp()
  const missing = join(dir, 'missing.gguf')
  await expectError(t, checkModelFile(missing), 'MODEL_UNAVAILABLE', 'no model file')
  const text = join(dir, 'notes.txt')
  await writeFile(text, 'hello')
  await expectError(t, checkModelFile(text), 'MODEL_UNAVAILABLE', 'not a GGUF')
  // A header with absurd counts: refused before the native loader sees it (it would spin).
  const absurd = join(dir, 'absurd.gguf')
  await writeFile(absurd, Buffer.concat([Buffer.from('GGUF'), Buffer.from([3, 0, 0, 0]), Buffer.alloc(16, 0xff)]))
  await expectError(t, checkModelFile(absurd), 'MODEL_UNAVAILABLE', 'damaged GGUF header')
  // A real model cut short: node-llama-cpp refuses to load it.
  const broken = join(dir, 'broken.gguf')
  await writeFile(broken, (await readFile(await writeTinyGguf(join(dir, 'whole.gguf')))).subarray(0, 100))
  const provider = localProvider({ modelPath: broken, contextSize: 512, maxTokens: 64 })
  t.teardown(() => provider.close())
  const { home } = await createHome(t)
  const entry = await reflect.run(ctx(home), { text: 'x' })
  await expectError(t, mirrorEntry(home, entry.id, { provider }), 'MODEL_UNAVAILABLE', 'could not be loaded')

  // A model configured, then moved away.
  const model = await writeTinyGguf(join(dir, 'moved.gguf'))
  await configSet.run(ctx(home), {
    pairs: [
      ['engine', 'local_llm'],
      ['model', model]
    ]
  })
  await writeFile(model, 'gone')
  await expectError(t, mirrorEntry(home, entry.id), 'MODEL_UNAVAILABLE', 'not a GGUF')
})

test('local_llm without node-llama-cpp installed is a clear MODEL_UNAVAILABLE, not a crash', async (t) => {
  await expectError(t, loadRuntime('node-llama-cpp-absent'), 'MODEL_UNAVAILABLE', 'npm install node-llama-cpp-absent')
})

test('local_llm: an answer cut off at max_tokens, or not JSON, is MODEL_FAILED', (t) => {
  const options = { maxTokens: 64, modelPath: '/m/tiny.gguf' }
  try {
    parseLocalAnswer('{"text":"unfinis', 'maxTokens', options)
    t.fail()
  } catch (err) {
    t.is((err as CosmicError).code, 'MODEL_FAILED')
    t.ok((err as Error).message.includes('cosmic config set max_tokens 128'))
  }
  try {
    parseLocalAnswer('{"themes":[]}', 'eogToken', options)
    t.fail()
  } catch (err) {
    t.is((err as CosmicError).code, 'MODEL_FAILED')
  }
  t.alike(parseLocalAnswer('{"text":"ok","themes":["a",1]}', 'eogToken', options), { text: 'ok', themes: ['a'] })
})

test('the cosmic CLI: config set engine local_llm --model PATH, then reflect --mirror', async (t) => {
  const dir = await t.tmp()
  const home = join(dir, 'home')
  const model = await writeTinyGguf(join(dir, 'tiny.gguf'))
  const cli = (...args: string[]) => runCli(['--home', home, ...args])
  t.is((await cli('init')).code, 0)
  const missing = await cli('config', 'set', 'engine', 'local_llm', '--model', join(dir, 'nope.gguf'))
  t.is(missing.code, 2)
  t.ok(missing.stderr.includes('MODEL_UNAVAILABLE: no model file'))
  const set = await cli(
    'config',
    'set',
    'engine',
    'local_llm',
    '--model',
    model,
    '--max-tokens',
    '300',
    '--context-size',
    '2048'
  )
  t.is(set.code, 0)
  const out = await cli('--json', 'reflect', 'A small test of the local model.', '--mirror')
  t.is(out.code, 0)
  const result = JSON.parse(out.stdout) as { mirror: { engine: { kind: string; model: string } } }
  t.alike([result.mirror.engine.kind, result.mirror.engine.model], ['local_llm', 'tiny.gguf'])
})
