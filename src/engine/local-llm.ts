import { open, stat } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { basename } from 'node:path'
import { CosmicError } from '../errors.js'
import type { Prompt, Reflection } from './prompt.js'
import type { EvolutionInput, MirrorInput, MirrorProvider } from './provider.js'

/**
 * `local_llm`: a GGUF model the person names, run on this device by node-llama-cpp
 * (CPU). node-llama-cpp is an optional dependency, imported only here and only
 * when this engine is used, so the core installs and runs without it. The answer
 * is constrained by a JSON-schema grammar: the model cannot produce anything but
 * `{"text": ..., "themes": [...]}`.
 */

export interface LocalOptions {
  modelPath: string
  contextSize: number
  maxTokens: number
  /** CPU threads; default from $COSMIC_LLM_THREADS, else all cores but one. */
  threads?: number
}

/** The slice of node-llama-cpp this engine uses (its own types stay out of the core's build). */
interface LlamaModule {
  getLlama(options: {
    gpu: false
    build: 'never'
    logLevel?: string
    logger?: (level: string, message: string) => void
    maxThreads?: number
  }): Promise<Llama>
  LlamaChatSession: new (options: { contextSequence: unknown; systemPrompt?: string }) => ChatSession
}
interface Llama {
  loadModel(options: { modelPath: string; gpuLayers: number }): Promise<Model>
  createGrammarForJsonSchema(schema: unknown): Promise<unknown>
}
interface Model {
  createContext(options: { contextSize: number; threads?: number }): Promise<Context>
  tokenize(text: string): unknown[]
  dispose(): Promise<void>
}
interface Context {
  getSequence(): unknown
  dispose(): Promise<void>
}
interface ChatSession {
  promptWithMeta(
    text: string,
    options: { grammar: unknown; maxTokens: number; temperature: number; onToken?: (tokens: unknown[]) => void }
  ): Promise<{ responseText: string; stopReason: string }>
  dispose?(): void
}

/** The package name in a variable, so TypeScript does not require it to be installed to build the core. */
const PACKAGE = 'node-llama-cpp'

export async function loadRuntime(name = PACKAGE): Promise<LlamaModule> {
  try {
    return (await import(name)) as LlamaModule
  } catch (err) {
    throw CosmicError.MODEL_UNAVAILABLE(
      `local_llm needs ${name}, which is not installed here (npm install ${name}): ${(err as Error).message}`
    )
  }
}

/** Checks that a path is a readable GGUF file: the clear error comes before any native code runs. */
export async function checkModelFile(path: string): Promise<void> {
  let info: Awaited<ReturnType<typeof stat>>
  try {
    info = await stat(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw CosmicError.MODEL_UNAVAILABLE(
      code === 'ENOENT' ? `no model file at ${path}` : `cannot read the model file ${path}: ${code}`
    )
  }
  if (!info.isFile()) throw CosmicError.MODEL_UNAVAILABLE(`${path} is not a file (a GGUF model file is needed)`)
  const header = Buffer.alloc(24)
  let read = 0
  try {
    const handle = await open(path, 'r')
    try {
      read = (await handle.read(header, 0, 24, 0)).bytesRead
    } finally {
      await handle.close()
    }
  } catch (err) {
    throw CosmicError.MODEL_UNAVAILABLE(`cannot read the model file ${path}: ${(err as Error).message}`)
  }
  if (read < 4 || header.subarray(0, 4).toString('latin1') !== 'GGUF') {
    throw CosmicError.MODEL_UNAVAILABLE(`${path} is not a GGUF model file (it does not start with "GGUF")`)
  }
  // A damaged header with absurd counts makes the native loader spin instead of failing: refuse it here.
  const version = read >= 8 ? header.readUInt32LE(4) : 0
  const tensors = read >= 16 ? header.readBigUInt64LE(8) : -1n
  const keys = read >= 24 ? header.readBigUInt64LE(16) : -1n
  if (version < 2 || version > 3 || tensors < 0n || tensors > MAX_COUNT || keys < 0n || keys > MAX_COUNT) {
    throw CosmicError.MODEL_UNAVAILABLE(
      `${path} has a damaged GGUF header (version ${version}, ${tensors} tensors, ${keys} metadata keys)`
    )
  }
}

/** Room for a chat template's tokens around the system and user messages. */
const TEMPLATE_TOKENS = 64

/** More tensors or metadata keys than any real model has. */
const MAX_COUNT = 1_000_000n

/** The native library's recent log lines: they go into our error messages, not onto the person's terminal. */
const nativeLog: string[] = []
let shared: Promise<{ runtime: LlamaModule; llama: Llama }> | null = null

/**
 * One native llama.cpp instance per process, never disposed: node-llama-cpp 3.22
 * does not reinstall its log callback on a second instance after the first is
 * disposed (native lines then go straight to stderr), and loading it costs ~0.5 s.
 * Models and contexts are freed by each provider's close().
 */
function sharedLlama(threads: number): Promise<{ runtime: LlamaModule; llama: Llama }> {
  shared ??= (async () => {
    const runtime = await loadRuntime()
    const llama = await runtime.getLlama({
      gpu: false,
      build: 'never',
      logLevel: 'error',
      logger: (_level, message) => {
        nativeLog.push(message.trim())
        if (nativeLog.length > 50) nativeLog.splice(0, nativeLog.length - 50)
      },
      maxThreads: threads
    })
    return { runtime, llama }
  })().catch((err) => {
    shared = null
    throw err
  })
  return shared
}

export function defaultThreads(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const fromEnv = Number(env.COSMIC_LLM_THREADS)
  if (Number.isSafeInteger(fromEnv) && fromEnv > 0) return fromEnv
  // llama.cpp's threads spin while they wait for each other: on a busy machine,
  // leaving one core free is the difference between thousands of tokens a second
  // and a handful (measured here with the tiny test model on 2 cores).
  return Math.max(1, availableParallelism() - 1)
}

/** The schema given to the grammar; lengths scale with the generation limit so an answer always fits. */
export function answerSchema(maxTokens: number) {
  return {
    type: 'object',
    properties: {
      text: { type: 'string', maxLength: Math.max(32, Math.min(8000, Math.floor(maxTokens / 2))) },
      themes: { type: 'array', items: { type: 'string', maxLength: 24 }, maxItems: 6 }
    }
  } as const
}

export interface GenerationStats {
  /** Tokens generated. */
  tokens: number
  /** From the prompt to the last token. */
  ms: number
  /** From the prompt to the first generated token: mostly reading the prompt. */
  firstTokenMs: number
}

export interface LocalProvider extends MirrorProvider {
  /** Tokens generated and time spent by the last answer (for benchmarks). */
  readonly lastGeneration: GenerationStats | null
}

export function localProvider(options: LocalOptions): LocalProvider {
  const threads = options.threads ?? defaultThreads()
  let loaded: Promise<{ model: Model; context: Context; grammar: unknown; runtime: LlamaModule }> | null = null
  let lastGeneration: GenerationStats | null = null

  async function load() {
    await checkModelFile(options.modelPath)
    const { runtime, llama } = await sharedLlama(threads)
    const logged = nativeLog.length
    let model: Model
    try {
      model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: 0 })
    } catch (err) {
      const native = nativeLog.slice(logged).find((line) => /error|fail/i.test(line))
      throw CosmicError.MODEL_UNAVAILABLE(
        `${options.modelPath} could not be loaded as a model: ${(err as Error).message}${native ? ` (${native})` : ''}`
      )
    }
    try {
      const context = await model.createContext({ contextSize: options.contextSize, threads }).catch((err: Error) => {
        throw CosmicError.MODEL_UNAVAILABLE(
          `no context of ${options.contextSize} tokens for ${basename(options.modelPath)}: ${err.message}`
        )
      })
      const grammar = await llama.createGrammarForJsonSchema(answerSchema(options.maxTokens))
      return { model, context, grammar, runtime }
    } catch (err) {
      await model.dispose().catch(() => {})
      throw err
    }
  }

  async function ensureLoaded() {
    loaded ??= load()
    try {
      return await loaded
    } catch (err) {
      loaded = null
      throw err
    }
  }

  async function generate(prompt: Prompt): Promise<Reflection> {
    const state = await ensureLoaded()
    // A fresh sequence per answer: nothing of one entry's prompt stays in the next one's context.
    const sequence = state.context.getSequence() as { dispose(): void }
    const session = new state.runtime.LlamaChatSession({ contextSequence: sequence, systemPrompt: prompt.system })
    let tokens = 0
    let firstTokenAt = 0
    const started = performance.now()
    try {
      const answer = await session
        .promptWithMeta(prompt.user, {
          grammar: state.grammar,
          maxTokens: options.maxTokens,
          temperature: 0,
          onToken: (t) => {
            if (tokens === 0) firstTokenAt = performance.now()
            tokens += t.length
          }
        })
        .catch((err: Error) => {
          throw CosmicError.MODEL_FAILED(`${basename(options.modelPath)}: ${err.message}`)
        })
      lastGeneration = {
        tokens,
        ms: performance.now() - started,
        firstTokenMs: firstTokenAt ? firstTokenAt - started : 0
      }
      return parseLocalAnswer(answer.responseText, answer.stopReason, options)
    } finally {
      session.dispose?.()
      sequence.dispose()
    }
  }

  return {
    kind: 'local_llm',
    model: basename(options.modelPath).slice(0, 500),
    get lastGeneration() {
      return lastGeneration
    },
    async measure(prompt: Prompt) {
      const state = await ensureLoaded()
      // The chat template adds a few dozen tokens around the two messages.
      const tokens = state.model.tokenize(`${prompt.system}\n${prompt.user}`).length + TEMPLATE_TOKENS
      return { tokens, room: options.contextSize - options.maxTokens }
    },
    mirror: (input: MirrorInput) => generate(input.prompt),
    narrate: (input: EvolutionInput) => generate(input.prompt),
    async close() {
      const current = loaded
      loaded = null
      if (!current) return
      const state = await current.catch(() => null)
      if (!state) return
      await state.context.dispose().catch(() => {})
      await state.model.dispose().catch(() => {})
    }
  }
}

/**
 * The grammar guarantees the shape of every prefix; only a cut at max_tokens can
 * leave it unfinished. Parsed with JSON.parse and checked here (node-llama-cpp's own
 * check counts string lengths differently from its grammar for characters outside
 * the BMP).
 */
export function parseLocalAnswer(
  raw: string,
  stopReason: string,
  options: Pick<LocalOptions, 'maxTokens' | 'modelPath'>
) {
  let parsed: { text?: unknown; themes?: unknown }
  try {
    parsed = JSON.parse(raw) as typeof parsed
  } catch {
    if (stopReason === 'maxTokens') {
      throw CosmicError.MODEL_FAILED(
        `the answer of ${basename(options.modelPath)} was cut off at max_tokens (${options.maxTokens}); raise it: cosmic config set max_tokens ${options.maxTokens * 2}`
      )
    }
    throw CosmicError.MODEL_FAILED(`${basename(options.modelPath)} answered something that is not JSON`)
  }
  if (typeof parsed.text !== 'string' || !Array.isArray(parsed.themes)) {
    throw CosmicError.MODEL_FAILED(`${basename(options.modelPath)} answered JSON without text and themes`)
  }
  return { text: parsed.text, themes: parsed.themes.filter((t): t is string => typeof t === 'string') }
}
