// Writes a tiny llama-architecture GGUF model with random weights and a small
// SentencePiece-style vocabulary, so tests and benchmarks can load a real model
// through node-llama-cpp without downloading weights (none can be downloaded here).
// It talks gibberish; the loading, tokenising and grammar-constrained generation
// around it are the real thing.
//
// Run: npx tsc -p . && node dist/scripts/make-tiny-gguf.js OUT.gguf [--seed N]
//
// Hand-written because the GGUF writers that exist are Python (gguf-py) or C++; the
// format is small and documented: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

export interface TinyModelOptions {
  /** PRNG seed for the weights: the same seed gives the same bytes. */
  seed?: number
  embedding?: number
  layers?: number
  heads?: number
  feedForward?: number
  contextLength?: number
  name?: string
}

const GGUF_VERSION = 3
const ALIGNMENT = 32

// GGUF metadata value types.
const UINT32 = 4
const INT32 = 5
const FLOAT32 = 6
const BOOL = 7
const STRING = 8
const ARRAY = 9
// ggml tensor type F32.
const GGML_F32 = 0

// llama.cpp token types.
const NORMAL = 1
const UNKNOWN = 2
const CONTROL = 3
const BYTE = 6

/** Words of the vocabulary (after the byte and single-character tokens), so text tokenises into more than characters. */
const WORDS = [
  'the',
  'you',
  'I',
  'and',
  'feel',
  'what',
  'this',
  'that',
  'is',
  'of',
  'to',
  'in',
  'it',
  'work',
  'family',
  'money',
  'calm',
  'tired',
  'hope',
  'text',
  'themes',
  'entry',
  'mirror',
  'tension',
  'value',
  'wrote',
  'notice',
  'today'
]

interface Token {
  text: string
  score: number
  type: number
}

/** A SentencePiece ("llama") vocabulary: specials, 256 byte fallbacks, printable ASCII, and words with every prefix (SPM merges pairs that exist). */
export function tinyVocabulary(): Token[] {
  const tokens: Token[] = [
    { text: '<unk>', score: 0, type: UNKNOWN },
    { text: '<s>', score: 0, type: CONTROL },
    { text: '</s>', score: 0, type: CONTROL }
  ]
  for (let b = 0; b < 256; b++) {
    tokens.push({ text: `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, score: 0, type: BYTE })
  }
  const seen = new Set(tokens.map((t) => t.text))
  const add = (text: string, score: number) => {
    if (seen.has(text)) return
    seen.add(text)
    tokens.push({ text, score, type: NORMAL })
  }
  add('▁', -1)
  for (let c = 0x21; c <= 0x7e; c++) add(String.fromCharCode(c), -2)
  for (const word of WORDS) {
    const piece = `▁${word}`
    // Longer pieces score higher, so merging prefers whole words.
    for (let end = 2; end <= piece.length; end++) add(piece.slice(0, end), -10 + end)
  }
  return tokens
}

/** mulberry32: a small seeded PRNG, so the same seed writes the same model. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

class Writer {
  private chunks: Buffer[] = []
  length = 0

  bytes(b: Buffer): void {
    this.chunks.push(b)
    this.length += b.length
  }
  u32(n: number): void {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(n)
    this.bytes(b)
  }
  i32(n: number): void {
    const b = Buffer.alloc(4)
    b.writeInt32LE(n)
    this.bytes(b)
  }
  u64(n: number): void {
    const b = Buffer.alloc(8)
    b.writeBigUInt64LE(BigInt(n))
    this.bytes(b)
  }
  f32(n: number): void {
    const b = Buffer.alloc(4)
    b.writeFloatLE(n)
    this.bytes(b)
  }
  string(s: string): void {
    const b = Buffer.from(s, 'utf8')
    this.u64(b.length)
    this.bytes(b)
  }
  pad(to: number): void {
    const rest = this.length % to
    if (rest) this.bytes(Buffer.alloc(to - rest))
  }
  result(): Buffer {
    return Buffer.concat(this.chunks)
  }
}

type Meta =
  | { type: typeof UINT32; value: number }
  | { type: typeof FLOAT32; value: number }
  | { type: typeof BOOL; value: boolean }
  | { type: typeof STRING; value: string }
  | { type: typeof ARRAY; of: typeof STRING; value: string[] }
  | { type: typeof ARRAY; of: typeof FLOAT32 | typeof INT32; value: number[] }

function writeMeta(w: Writer, key: string, meta: Meta): void {
  w.string(key)
  w.u32(meta.type)
  switch (meta.type) {
    case UINT32:
      w.u32(meta.value)
      return
    case FLOAT32:
      w.f32(meta.value)
      return
    case BOOL:
      w.bytes(Buffer.from([meta.value ? 1 : 0]))
      return
    case STRING:
      w.string(meta.value)
      return
    case ARRAY:
      w.u32(meta.of)
      w.u64(meta.value.length)
      if (meta.of === STRING) for (const s of meta.value as string[]) w.string(s)
      else if (meta.of === FLOAT32) for (const n of meta.value as number[]) w.f32(n)
      else for (const n of meta.value as number[]) w.i32(n)
      return
    default: {
      const never: never = meta
      throw new Error(`unknown metadata type ${String(never)}`)
    }
  }
}

interface Tensor {
  name: string
  /** ggml order: the innermost (contiguous) dimension first. */
  dims: number[]
  data: Float32Array
}

/** The bytes of a tiny llama GGUF model. */
export function tinyGguf(options: TinyModelOptions = {}): Buffer {
  const embedding = options.embedding ?? 64
  const layers = options.layers ?? 2
  const heads = options.heads ?? 4
  const feedForward = options.feedForward ?? 128
  const contextLength = options.contextLength ?? 4096
  const random = prng(options.seed ?? 1)
  const vocab = tinyVocabulary()

  const normal = (scale: number) => {
    // Box-Muller; weights small enough that the logits stay finite.
    const u = Math.max(random(), 1e-12)
    const v = random()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) * scale
  }
  const weights = (dims: number[], scale: number) =>
    Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => normal(scale))
  const ones = (n: number) => new Float32Array(n).fill(1)

  const tensors: Tensor[] = [
    { name: 'token_embd.weight', dims: [embedding, vocab.length], data: weights([embedding, vocab.length], 0.5) },
    { name: 'output_norm.weight', dims: [embedding], data: ones(embedding) },
    { name: 'output.weight', dims: [embedding, vocab.length], data: weights([embedding, vocab.length], 0.5) }
  ]
  for (let i = 0; i < layers; i++) {
    const square = [embedding, embedding]
    tensors.push(
      { name: `blk.${i}.attn_norm.weight`, dims: [embedding], data: ones(embedding) },
      { name: `blk.${i}.attn_q.weight`, dims: square, data: weights(square, 0.1) },
      { name: `blk.${i}.attn_k.weight`, dims: square, data: weights(square, 0.1) },
      { name: `blk.${i}.attn_v.weight`, dims: square, data: weights(square, 0.1) },
      { name: `blk.${i}.attn_output.weight`, dims: square, data: weights(square, 0.1) },
      { name: `blk.${i}.ffn_norm.weight`, dims: [embedding], data: ones(embedding) },
      {
        name: `blk.${i}.ffn_gate.weight`,
        dims: [embedding, feedForward],
        data: weights([embedding, feedForward], 0.1)
      },
      { name: `blk.${i}.ffn_up.weight`, dims: [embedding, feedForward], data: weights([embedding, feedForward], 0.1) },
      { name: `blk.${i}.ffn_down.weight`, dims: [feedForward, embedding], data: weights([feedForward, embedding], 0.1) }
    )
  }

  const metadata: [string, Meta][] = [
    ['general.architecture', { type: STRING, value: 'llama' }],
    ['general.name', { type: STRING, value: options.name ?? 'cosmic-tiny-random' }],
    ['general.alignment', { type: UINT32, value: ALIGNMENT }],
    ['llama.context_length', { type: UINT32, value: contextLength }],
    ['llama.embedding_length', { type: UINT32, value: embedding }],
    ['llama.block_count', { type: UINT32, value: layers }],
    ['llama.feed_forward_length', { type: UINT32, value: feedForward }],
    ['llama.attention.head_count', { type: UINT32, value: heads }],
    ['llama.attention.head_count_kv', { type: UINT32, value: heads }],
    ['llama.attention.layer_norm_rms_epsilon', { type: FLOAT32, value: 1e-5 }],
    ['llama.rope.dimension_count', { type: UINT32, value: embedding / heads }],
    ['llama.rope.freq_base', { type: FLOAT32, value: 10_000 }],
    ['llama.vocab_size', { type: UINT32, value: vocab.length }],
    ['tokenizer.ggml.model', { type: STRING, value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: ARRAY, of: STRING, value: vocab.map((t) => t.text) }],
    ['tokenizer.ggml.scores', { type: ARRAY, of: FLOAT32, value: vocab.map((t) => t.score) }],
    ['tokenizer.ggml.token_type', { type: ARRAY, of: INT32, value: vocab.map((t) => t.type) }],
    ['tokenizer.ggml.unknown_token_id', { type: UINT32, value: 0 }],
    ['tokenizer.ggml.bos_token_id', { type: UINT32, value: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: UINT32, value: 2 }],
    ['tokenizer.ggml.add_bos_token', { type: BOOL, value: true }],
    ['tokenizer.ggml.add_eos_token', { type: BOOL, value: false }]
  ]

  const w = new Writer()
  w.bytes(Buffer.from('GGUF', 'ascii'))
  w.u32(GGUF_VERSION)
  w.u64(tensors.length)
  w.u64(metadata.length)
  for (const [key, meta] of metadata) writeMeta(w, key, meta)
  let offset = 0
  for (const t of tensors) {
    w.string(t.name)
    w.u32(t.dims.length)
    for (const d of t.dims) w.u64(d)
    w.u32(GGML_F32)
    w.u64(offset)
    offset += t.data.byteLength
    offset += (ALIGNMENT - (offset % ALIGNMENT)) % ALIGNMENT
  }
  w.pad(ALIGNMENT)
  for (const t of tensors) {
    w.bytes(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))
    w.pad(ALIGNMENT)
  }
  return w.result()
}

/** Writes the tiny model to a file and returns its path. */
export async function writeTinyGguf(path: string, options: TinyModelOptions = {}): Promise<string> {
  await writeFile(path, tinyGguf(options))
  return path
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const out = args.find((a) => !a.startsWith('--'))
  if (!out) {
    console.error('usage: node dist/scripts/make-tiny-gguf.js OUT.gguf [--seed N]')
    process.exit(2)
  }
  const seedAt = args.indexOf('--seed')
  const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : 1
  await writeTinyGguf(out, { seed })
  console.log(`wrote ${out}`)
}
