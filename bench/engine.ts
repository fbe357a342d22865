// The mirror engine's benchmarks: the built-in mirrorback on a big home (p50/p99,
// target p99 < 20 ms) and the tiny local model's generation speed (plumbing cost).
// `npm run bench` runs both (bench/run.ts, on its 1M-event home). Alone, on a home
// of BENCH_EVENTS (default 100,000): npx tsc -p . && node dist/bench/engine.js
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeTinyGguf } from '../scripts/make-tiny-gguf.js'
import { silentProgress } from '../src/commands/command.js'
import { mirror, reflectAndMirror } from '../src/commands/mirror.js'
import { BUILTIN_MODEL, builtinMirror } from '../src/engine/builtin.js'
import { buildMirrorContext } from '../src/engine/context.js'
import { mirrorEntry } from '../src/engine/engine.js'
import { loadRuntime, localProvider } from '../src/engine/local-llm.js'
import { mirrorPrompt, promptHash } from '../src/engine/prompt.js'
import { readSettings } from '../src/engine/settings.js'
import { CosmicError } from '../src/errors.js'
import { Random } from '../src/fixtures/random.js'
import { buildScaledHome } from '../src/fixtures/scale.js'
import { countEntriesWithPrefix } from '../src/projections/queries.js'
import type { Home } from '../src/store/home.js'
import type { Result } from './core.js'
import { ms, now, percentile, round } from './stats.js'

const PASSPHRASE = 'benchmark passphrase'
const TARGET_P99_MS = 20

/** Entry ids spread evenly at random over the whole log (old pages too, not just the recent ones). */
function sampleEntries(home: Home, count: number, seed: number): string[] {
  const db = home.readModel.db
  const { last } = db.prepare<[], { last: number | null }>('SELECT max(seq) AS last FROM entries').get() ?? {
    last: null
  }
  if (last === null || last === undefined) throw new Error('the home has no entries to mirror')
  const at = db.prepare<[number], { id: string }>('SELECT id FROM entries WHERE seq >= ? ORDER BY seq LIMIT 1')
  const random = new Random(seed)
  return Array.from({ length: count }, () => (at.get(random.int(0, last)) as { id: string }).id)
}

/** What a person types: a prefix of the id, longer where the usual 8 digits are not unique (they are not, among 700,000). */
function typedId(home: Home, id: string): string {
  for (const length of [8, 12, 16]) {
    const prefix = id.slice(0, length)
    if (countEntriesWithPrefix(home.readModel.db, prefix) === 1) return prefix
  }
  return id
}

/**
 * The built-in mirrorback on an open home, as `cosmic mirror ID` runs it (the
 * command, from the short id a person types: context from the
 * projections, the engine, the signed append of `mirrorback.generated` and its
 * projection) and each phase alone, then `reflect --mirror`. It appends to the home.
 */
export async function benchMirror(
  home: Home,
  options: {
    samples?: number
    log?: (s: string) => void
    /** How the home is named in the rows (default: its length). */
    events?: number
  } = {}
): Promise<Result[]> {
  const samples = options.samples ?? 1000
  const log = options.log ?? (() => {})
  const events = options.events ?? home.journal.length
  const settings = readSettings(home.readModel.db)
  if (settings.engine !== 'builtin') throw new Error(`the home's engine is ${settings.engine}, not builtin`)
  const ctx = { home, progress: silentProgress }
  const ids = sampleEntries(home, samples + 20, 0xb3e7)
  const typed = ids.map((id) => typedId(home, id))
  // Statements are prepared and the lexicon warmed as in any running process; then the garbage of building the home goes.
  for (const id of typed.slice(samples)) await mirror.run(ctx, { id })
  ;(globalThis as { gc?: () => void }).gc?.()

  // Each round: the command as a person runs it; then, on the same entry, its phases alone, the last
  // one being the signed append of the same event by itself. Interleaved, so the append's own
  // latency (the journal's storage, on a machine shared with other work) is measured under the same
  // conditions as the mirrorbacks it bounds.
  log(`mirror: ${samples} built-in mirrorbacks on ${events} events…`)
  const whole: number[] = []
  const contextTimes: number[] = []
  const engineTimes: number[] = []
  const appendTimes: number[] = []
  for (let i = 0; i < samples; i++) {
    let start = now()
    await mirror.run(ctx, { id: typed[i] as string })
    whole.push(ms(start))

    start = now()
    const context = await buildMirrorContext(home, ids[i] as string, { tokens: settings.contextTokens, scope: 'full' })
    contextTimes.push(ms(start))
    start = now()
    const reflection = builtinMirror(context)
    const promptHashHex = promptHash(mirrorPrompt(context))
    engineTimes.push(ms(start))
    start = now()
    await home.append([
      {
        type: 'mirrorback.generated',
        body: {
          ref: ids[i] as string,
          ...reflection,
          engine: { kind: 'builtin', model: BUILTIN_MODEL, promptHash: promptHashHex }
        }
      }
    ])
    appendTimes.push(ms(start))
  }

  const reflectTimes: number[] = []
  for (let i = 0; i < 300; i++) {
    const start = now()
    await reflectAndMirror.run(ctx, {
      text: `Benchmark entry ${i}: tired after the night shift, and not happy about the rent again.`,
      tags: ['bench']
    })
    reflectTimes.push(ms(start))
  }

  const p50 = percentile(whole, 50)
  const p99 = percentile(whole, 99)
  const appendP50 = percentile(appendTimes, 50)
  const appendP99 = percentile(appendTimes, 99)
  const phase = (name: string, times: number[]): Result => ({
    name: `  its phases alone: ${name}, p99 of ${times.length} (p50 ${round(percentile(times, 50))} ms)`,
    value: round(percentile(times, 99)),
    unit: 'ms'
  })
  return [
    {
      name: `built-in mirrorback on the ${events}-event home (cosmic mirror ID: context from projections, engine, signed append), p50 of ${samples}`,
      value: round(p50),
      unit: 'ms',
      baseline: {
        name: 'the signed append of the same event alone (journal + projections), interleaved',
        value: round(appendP50)
      },
      ratio: round(p50 / appendP50)
    },
    {
      name: `built-in mirrorback, p99 of ${samples}`,
      value: round(p99),
      unit: 'ms',
      baseline: { name: 'the signed append alone, interleaved', value: round(appendP99) },
      ratio: round(p99 / appendP99),
      target: `< ${TARGET_P99_MS} ms`,
      met: p99 < TARGET_P99_MS
    },
    phase('context from the projections', contextTimes),
    phase('built-in engine (analysis, writing, the prompt and its hash)', engineTimes),
    {
      name: `reflect --mirror (entry, then its mirrorback), p50 of ${reflectTimes.length}`,
      value: round(percentile(reflectTimes, 50)),
      unit: 'ms'
    },
    { name: `reflect --mirror, p99 of ${reflectTimes.length}`, value: round(percentile(reflectTimes, 99)), unit: 'ms' }
  ]
}

export interface LocalModelBench {
  results: Result[]
  /** Why nothing was measured, when the optional runtime is missing. */
  skipped?: string
}

/**
 * The tiny random-weight llama model (scripts/make-tiny-gguf.ts) through
 * node-llama-cpp on the CPU, grammar-constrained, as `mirror --engine local_llm`
 * runs it: the cost of the plumbing, not of a real model. Skipped, with the reason,
 * where node-llama-cpp (an optional dependency) is not installed.
 */
export async function benchLocalModel(log: (s: string) => void = () => {}): Promise<LocalModelBench> {
  try {
    await loadRuntime()
  } catch (err) {
    if (!CosmicError.is(err, 'MODEL_UNAVAILABLE')) throw err
    return { results: [], skipped: `tiny local model tokens/s: ${err.detail}` }
  }
  log('tiny local model…')
  const dir = await mkdtemp(join(tmpdir(), 'cosmic-bench-model-'))
  try {
    const home = await buildScaledHome(join(dir, 'home'), 2000, { passphrase: PASSPHRASE })
    const provider = localProvider({
      modelPath: await writeTinyGguf(join(dir, 'tiny.gguf')),
      contextSize: 2048,
      maxTokens: 256
    })
    try {
      const ids = sampleEntries(home, 6, 0x71e)
      await mirrorEntry(home, ids[0] as string, { provider }) // load and warm up
      let tokens = 0
      let total = 0
      let decodeTokens = 0
      let decodeMs = 0
      for (const id of ids.slice(1)) {
        await mirrorEntry(home, id, { provider })
        const g = provider.lastGeneration
        if (!g) continue
        tokens += g.tokens
        total += g.ms
        decodeTokens += g.tokens - 1
        decodeMs += g.ms - g.firstTokenMs
      }
      const rate = (tokens / total) * 1000
      return {
        results: [
          {
            name: `tiny local model through node-llama-cpp (CPU, JSON grammar), ${tokens} tokens in 5 mirrorbacks: prompt to last token`,
            value: round(rate, 0),
            unit: 'tokens/s',
            baseline: {
              name: 'generation alone, after the first token',
              value: round((decodeTokens / decodeMs) * 1000, 0)
            },
            ratio: round(rate / ((decodeTokens / decodeMs) * 1000))
          }
        ]
      }
    } finally {
      await provider.close()
      await home.close()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const events = Number(process.env.BENCH_EVENTS ?? 100_000)
  const log = (s: string) => process.stderr.write(`${s}\n`)
  const dir = await mkdtemp(join(tmpdir(), 'cosmic-bench-engine-'))
  try {
    log(`a ${events}-event home…`)
    const home = await buildScaledHome(join(dir, 'home'), events, { passphrase: PASSPHRASE })
    const results: Result[] = []
    try {
      results.push(...(await benchMirror(home, { log, events })))
    } finally {
      await home.close()
    }
    const local = await benchLocalModel(log)
    results.push(...local.results)
    for (const r of results) {
      const base = r.baseline ? ` (${r.baseline.name}: ${r.baseline.value} ${r.unit})` : ''
      console.log(
        `${r.name}: ${r.value} ${r.unit}${base}${r.target ? ` target ${r.target}: ${r.met ? 'met' : 'NOT met'}` : ''}`
      )
    }
    if (local.skipped) console.log(`SKIPPED ${local.skipped}`)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
