import { blake2b256, toHex } from '../events/crypto.js'
import type { ContextEntry, MirrorContext } from './context.js'

/** What a language model is asked: a system message and a user message. */
export interface Prompt {
  readonly system: string
  readonly user: string
}

/** The shape every model answer must have (constrained by grammar locally, asked for by response_format remotely). */
export interface Reflection {
  text: string
  themes: string[]
}

export const MIRROR_SYSTEM = [
  'You are the mirror of a private journal. You reflect; you never advise, instruct, diagnose or judge.',
  'Write to the person in the second person, in 3 to 6 sentences:',
  'name the feelings and themes you notice, quote a few of their own words,',
  'connect the entry to the open tensions and values listed when it clearly fits,',
  'and end with one open question. Do not suggest what they should do.',
  'Answer with JSON only: {"text": "<the reflection>", "themes": ["<1 to 6 short lower-case themes>"]}.'
].join(' ')

export const EVOLUTION_SYSTEM = [
  'You are the mirror of a private journal. Write a short narrative (3 to 6 sentences, second person)',
  'of how things changed between two times, from the summary given: what grew, what eased, what came back.',
  'Reflect; never advise or diagnose. End with one open question.',
  'Answer with JSON only: {"text": "<the narrative>", "themes": ["<1 to 6 short lower-case themes>"]}.'
].join(' ')

/** Dates in prompts are UTC days, so a prompt (and its hash) does not depend on the machine's time zone. */
export function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

function entryLines(e: ContextEntry): string[] {
  const meta = [day(e.time)]
  if (e.mood) meta.push(`mood: ${e.mood}`)
  if (e.tags.length) meta.push(`tags: ${e.tags.join(', ')}`)
  return [`(${meta.join('; ')})`, e.text]
}

/** The mirror prompt for an entry and its context. Deterministic: the same context gives the same bytes. */
export function mirrorPrompt(context: MirrorContext): Prompt {
  const lines: string[] = ['Entry:', ...entryLines(context.entry)]
  if (context.tensions.length) {
    lines.push('', 'Open tensions (name: pole a <-> pole b, intensity 0..1):')
    for (const t of context.tensions) {
      const loops = t.loops ? `, came back ${t.loops}x` : ''
      lines.push(`- ${t.name}: ${t.poles[0]} <-> ${t.poles[1]}, ${t.intensity.toFixed(2)}${loops}`)
    }
  }
  if (context.values.length) {
    lines.push('', 'Values they hold:')
    for (const v of context.values) lines.push(`- ${v.key}${v.note ? ` (${v.note})` : ''}`)
  }
  if (context.recent.length) {
    lines.push('', 'Recent entries, newest first:')
    for (const r of context.recent) {
      const [meta, text] = entryLines(r)
      lines.push(`- ${meta} ${text}`)
    }
  }
  return { system: MIRROR_SYSTEM, user: lines.join('\n') }
}

const PROMPT_TAG = new TextEncoder().encode('cosmic/prompt/v1\0')

/**
 * BLAKE2b-256 of a domain tag, the system message, a zero byte and the user
 * message: what `mirrorback.generated` records as `promptHash`, so the same question
 * can be recognised without keeping it.
 */
export function promptHash(prompt: Prompt): string {
  const enc = new TextEncoder()
  return toHex(blake2b256(PROMPT_TAG, enc.encode(prompt.system), new Uint8Array([0]), enc.encode(prompt.user)))
}
