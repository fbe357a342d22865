// The mirror engine's benchmarks: built-in mirrorback latency (p50/p99, target p99 < 20 ms)
// and the tiny local model's generation speed. Run alone: npx tsc -p . && node dist/bench/engine.js
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeTinyGguf } from '../scripts/make-tiny-gguf.js'
import { builtinMirror } from '../src/engine/builtin.js'
import { buildMirrorContext } from '../src/engine/context.js'
import { mirrorEntry } from '../src/engine/engine.js'
import { localProvider } from '../src/engine/local-llm.js'
import { Home } from '../src/store/home.js'

const PASSPHRASE = 'benchmark passphrase'

const SENTENCES = [
  'Work was heavy today and the meeting ran late.',
  'I feel anxious about money again, rehearsing every bill.',
  'The walk by the river left me calm.',
  'Not happy with how I spoke to my sister.',
  'Tired of waiting for the landlord to answer.',
  'Grateful for a long call with an old friend.',
  'Could not sleep; my mind kept planning tomorrow.',
  'A quiet morning with coffee and the garden.',
  'I am proud of finishing the painting.',
  'Burned out, and still saying yes to everything.'
]

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

const round = (n: number) => Math.round(n * 1000) / 1000

export async function benchEngine(): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'cosmic-bench-engine-'))
  const results: Record<string, number> = {}
  try {
    const path = join(dir, 'home')
    await Home.init(path, { passphrase: PASSPHRASE, kdf: 'interactive' })
    const home = await Home.open(path, PASSPHRASE)
    try {
      await home.append([
        {
          type: 'tension.noted',
          body: {
            id: 'money',
            name: 'Money: scarcity vs control',
            poles: ['scarcity', 'control'],
            domain: 'money',
            intensity: 0.7
          }
        },
        {
          type: 'tension.noted',
          body: { id: 'work-rest', name: 'Work vs rest', poles: ['ambition', 'rest'], domain: 'work', intensity: 0.5 }
        },
        { type: 'profile.set', body: { dimension: 'heart', facet: 'value', key: 'honesty' } },
        { type: 'profile.set', body: { dimension: 'heart', facet: 'value', key: 'family' } }
      ])
      const drafts = Array.from({ length: 500 }, (_, i) => ({
        type: 'reflection.recorded' as const,
        body: {
          text: [0, 3, 7].map((k) => SENTENCES[(i + k) % SENTENCES.length]).join(' '),
          tags: i % 3 === 0 ? ['work'] : []
        }
      }))
      const entries = (await home.append(drafts)).map((e) => Buffer.from(e.id).toString('hex'))

      // The whole path a person waits for: context from the read model, the mirror, the signed append.
      const full: number[] = []
      for (let i = 0; i < 300; i++) {
        const id = entries[(i * 7) % entries.length] as string
        const started = performance.now()
        await mirrorEntry(home, id)
        full.push(performance.now() - started)
      }
      full.sort((a, b) => a - b)
      results.builtin_mirrorback_p50_ms = round(percentile(full, 50))
      results.builtin_mirrorback_p99_ms = round(percentile(full, 99))

      // The built-in engine alone (analysis and writing), on a prepared context.
      const context = await buildMirrorContext(home, entries.at(-1) as string, { tokens: 1500, scope: 'full' })
      const compose: number[] = []
      for (let i = 0; i < 2000; i++) {
        const started = performance.now()
        builtinMirror(context)
        compose.push(performance.now() - started)
      }
      compose.sort((a, b) => a - b)
      results.builtin_compose_p50_ms = round(percentile(compose, 50))
      results.builtin_compose_p99_ms = round(percentile(compose, 99))

      // The tiny random-weight llama model through node-llama-cpp (CPU, grammar-constrained).
      const modelPath = await writeTinyGguf(join(dir, 'tiny.gguf'))
      const provider = localProvider({ modelPath, contextSize: 2048, maxTokens: 256 })
      try {
        await mirrorEntry(home, entries[0] as string, { provider }) // load and warm up
        let tokens = 0
        let ms = 0
        let decodeTokens = 0
        let decodeMs = 0
        for (let i = 1; i <= 5; i++) {
          await mirrorEntry(home, entries[i] as string, { provider })
          const g = provider.lastGeneration
          if (!g) continue
          tokens += g.tokens
          ms += g.ms
          decodeTokens += g.tokens - 1
          decodeMs += g.ms - g.firstTokenMs
        }
        // End to end (reading the prompt included), and generation alone (after the first token).
        results.tiny_model_tokens_per_s = Math.round((tokens / ms) * 1000)
        results.tiny_model_decode_tokens_per_s = Math.round((decodeTokens / decodeMs) * 1000)
        results.tiny_model_tokens = tokens
      } finally {
        await provider.close()
      }
    } finally {
      await home.close()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  for (const [name, value] of Object.entries(results)) console.log(`${name}: ${value}`)
  return results
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await benchEngine()
}
