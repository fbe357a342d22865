import { blake2b256 } from '../events/crypto.js'
import { type Analysis, analyze, normalize } from './analyze.js'
import type { ContextTension, ContextValue, MirrorContext } from './context.js'
import type { EvolutionDigest } from './digest.js'
import { type Emotion, LEXICON_VERSION, type Theme } from './lexicon.js'
import { day, type Reflection } from './prompt.js'
import type { EvolutionInput, MirrorInput, MirrorProvider } from './provider.js'

/**
 * The built-in mirror: no model, no network. It reflects the feelings and themes
 * the lexicon finds, quotes the entry, links it to open tensions and stated values,
 * notes a pattern across recent entries, and asks one question. It never advises
 * or diagnoses: every sentence is built from the templates below, which only name,
 * quote and ask. Deterministic: the same entry and context give the same text (the
 * template variants are picked by a hash of the entry, never at random).
 */

export const BUILTIN_MODEL = `lexicon-v${LEXICON_VERSION}`

const THEME_NAMES: { readonly [T in Theme]: string } = {
  work: 'work',
  money: 'money',
  family: 'family',
  partner: 'partnership',
  friendship: 'friendship',
  health: 'health',
  body: 'your body',
  sleep: 'sleep',
  food: 'food',
  creativity: 'creativity',
  learning: 'learning',
  nature: 'nature',
  home: 'home',
  spirituality: 'the spiritual',
  purpose: 'purpose and meaning',
  time: 'time',
  change: 'change',
  loss: 'loss',
  conflict: 'conflict',
  rest: 'rest',
  parenting: 'parenting',
  'self-worth': 'self-worth',
  freedom: 'freedom',
  control: 'control',
  boundaries: 'boundaries',
  future: 'the future',
  past: 'the past',
  community: 'community',
  travel: 'travel'
}

/** Short words that say nothing about which tension or value an entry touches. */
const STOP = new Set(
  'the and but for with from into about over under this that what when where your you are was were have has had not very just than then them they their there our out off own its it’s its vs versus between'.split(
    ' '
  )
)

function pick<T>(options: readonly T[], seed: Uint8Array, slot: number): T {
  return options[(seed[slot % seed.length] as number) % options.length] as T
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('')
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
}

function quoteOf(text: string, max = 160): string {
  const clean = text.replace(/\s+/g, ' ').replace(/"/g, "'").trim()
  if (clean.length <= max) return clean
  const cut = clean.slice(0, max)
  const space = cut.lastIndexOf(' ')
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`
}

/** Lexicon words are lower-cased: give "I" back its capital when quoting them. */
function said(words: string): string {
  return words.replace(/\bi\b/g, 'I').replace(/\bi'/g, "I'")
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

function keywords(text: string): string[] {
  return (normalize(text).match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length >= 4 && !STOP.has(w))
}

function mentions(analysis: Analysis, word: string): boolean {
  if (analysis.words.has(word)) return true
  // "scarce" in the entry, "scarcity" in the tension: a shared stem of 5+ letters counts.
  if (word.length < 6) return false
  const stem = word.slice(0, 5)
  for (const w of analysis.words) if (w.length >= 5 && w.startsWith(stem)) return true
  return false
}

/** Open tensions the entry touches: by their words, or by a theme that is their domain. Best first. */
export function linkTensions(analysis: Analysis, tensions: readonly ContextTension[]): ContextTension[] {
  const themes = new Set<string>(analysis.topThemes)
  const scored = tensions
    .map((t, order) => {
      const words = new Set(keywords(`${t.name} ${t.poles.join(' ')} ${t.domain}`))
      let score = 0
      // A word of the tension that is also a theme of the entry counts: pole "control" meets "planning".
      for (const w of words) if (mentions(analysis, w) || themes.has(w)) score++
      if (!words.has(normalize(t.domain)) && themes.has(normalize(t.domain))) score++
      return { t, score, order }
    })
    .filter((s) => s.score > 0)
  scored.sort((a, b) => b.score - a.score || b.t.intensity - a.t.intensity || a.order - b.order)
  return scored.map((s) => s.t)
}

/** Stated values the entry touches: the value's words, or a theme of the same name. */
export function linkValues(analysis: Analysis, values: readonly ContextValue[]): ContextValue[] {
  const themes = new Set<string>(analysis.topThemes)
  return values.filter((v) => {
    const words = keywords(v.key)
    return words.some((w) => mentions(analysis, w)) || themes.has(normalize(v.key))
  })
}

function feelingSentence(analysis: Analysis, mood: string | null, seed: Uint8Array): string {
  const felt: { emotion: Emotion; words: string }[] = []
  for (const e of analysis.emotions) {
    if (e.negated || felt.some((f) => f.emotion === e.emotion)) continue
    felt.push({ emotion: e.emotion, words: e.words })
  }
  const negated = analysis.emotions.filter((e) => e.negated)
  const parts: string[] = []
  if (felt.length > 0) {
    const top = felt.slice(0, 3)
    const quoted = list(top.map((f) => `"${said(f.words)}"`))
    const named = list(top.map((f) => f.emotion))
    parts.push(
      pick(
        [
          `You wrote ${quoted}: there is ${named} in these lines.`,
          `There is ${named} in what you wrote (${quoted}).`,
          `Words like ${quoted} carry ${named}.`
        ],
        seed,
        0
      )
    )
    if (negated.length > 0) parts.push(`You also wrote ${list(negated.slice(0, 2).map((n) => `"${said(n.words)}"`))}.`)
  } else if (negated.length > 0) {
    parts.push(
      `You wrote ${list(negated.slice(0, 2).map((n) => `"${said(n.words)}"`))}: you named what is not there as much as what is.`
    )
  } else if (mood) {
    parts.push(`You gave your mood as "${quoteOf(mood, 60)}".`)
  } else {
    parts.push('You did not name a feeling in these lines.')
  }
  return parts.join(' ')
}

function quoteSentence(analysis: Analysis, seed: Uint8Array): string | null {
  if (analysis.sentences.length === 0) return null
  let best = 0
  let bestScore = -1
  analysis.sentences.forEach((_, i) => {
    const score =
      analysis.emotions.filter((e) => e.sentence === i).length * 2 +
      analysis.themes.filter((t) => t.sentence === i).length
    if (score > bestScore) {
      best = i
      bestScore = score
    }
  })
  const quote = quoteOf(analysis.sentences[best] as string)
  if (analysis.sentences.length === 1) return `In your words: "${quote}"`
  return pick([`One line stands out: "${quote}"`, `This line stays: "${quote}"`, `In one line: "${quote}"`], seed, 1)
}

function patternSentence(analysis: Analysis, context: MirrorContext): string | null {
  if (context.recent.length < 2) return null
  const recent = context.recent.map((r) => analyze(r.text))
  let best: { label: string; n: number } | null = null
  for (const theme of analysis.topThemes.slice(0, 3)) {
    const n = recent.filter((a) => a.topThemes.includes(theme)).length
    if (n >= 2 && (!best || n > best.n)) best = { label: capitalize(THEME_NAMES[theme]), n }
  }
  for (const emotion of analysis.felt.slice(0, 2)) {
    const n = recent.filter((a) => a.felt.includes(emotion)).length
    if (n >= 2 && (!best || n > best.n)) best = { label: capitalize(emotion), n }
  }
  if (!best) return null
  const verb = best.label.includes(' and ') ? 'have' : 'has'
  return `${best.label} ${verb} come up in ${best.n} of your last ${context.recent.length} entries too.`
}

function question(
  analysis: Analysis,
  tension: ContextTension | undefined,
  value: ContextValue | undefined,
  seed: Uint8Array
): string {
  if (tension) {
    return pick(
      [
        `What do you notice when you hold this next to "${tension.name}"?`,
        `Where does this leave you between ${tension.poles[0]} and ${tension.poles[1]}?`,
        `How does this moment sit with "${tension.name}"?`
      ],
      seed,
      2
    )
  }
  const emotion = analysis.felt[0]
  if (emotion) {
    return pick(
      [
        `If the ${emotion} could speak, what would it say?`,
        `What is the ${emotion} asking you to notice?`,
        `Where do you feel the ${emotion} right now?`
      ],
      seed,
      2
    )
  }
  const negated = analysis.emotions.find((e) => e.negated)
  if (negated) return `What would ${negated.emotion} look like here, in your own words?`
  if (value) return `What does ${value.key} ask of you in this?`
  const theme = analysis.topThemes[0]
  if (theme) {
    return pick(
      [
        `What does ${THEME_NAMES[theme]} mean to you right now?`,
        `What matters most to you about ${THEME_NAMES[theme]} today?`
      ],
      seed,
      2
    )
  }
  return pick(['What feels most important in this for you?', 'What stays with you as you read this back?'], seed, 2)
}

/** The built-in mirrorback of an entry in its context. Pure. */
export function builtinMirror(context: MirrorContext): Reflection {
  const analysis = analyze(context.entry.text)
  const seed = blake2b256(new TextEncoder().encode(context.entry.text))
  const tensions = linkTensions(analysis, context.tensions)
  const values = linkValues(analysis, context.values)
  const lines: string[] = [feelingSentence(analysis, context.entry.mood, seed)]
  const quote = quoteSentence(analysis, seed)
  if (quote) lines.push(quote)
  if (analysis.topThemes.length > 0) {
    lines.push(`It touches ${list(analysis.topThemes.slice(0, 3).map((t) => THEME_NAMES[t]))}.`)
  }
  const tension = tensions[0]
  if (tension) {
    const loops =
      tension.loops > 0 ? `; it has come back ${tension.loops === 1 ? 'once' : `${tension.loops} times`}` : ''
    lines.push(
      `It sits close to a tension you named, "${tension.name}", between ${tension.poles[0]} and ${tension.poles[1]}${loops}.`
    )
  }
  if (values.length > 0) {
    const keys = values.slice(0, 2).map((v) => v.key)
    lines.push(`You have said that ${list(keys)} ${keys.length > 1 ? 'matter' : 'matters'} to you.`)
  }
  const pattern = patternSentence(analysis, context)
  if (pattern) lines.push(pattern)
  lines.push(question(analysis, tension, values[0], seed))

  const themes = [...analysis.topThemes, ...analysis.felt].slice(0, 12)
  return { text: lines.join(' '), themes }
}

/** The built-in narrative of a window of time. Pure. */
export function builtinNarrative(digest: EvolutionDigest): Reflection {
  const lines: string[] = []
  const shown = digest.entries.length
  lines.push(
    `Between ${day(digest.from)} and ${day(digest.to)} you wrote ${digest.entryCount === 1 ? 'one entry' : `${digest.entryCount} entries`}${digest.sealedCount ? ` (${digest.sealedCount} sealed, left out here)` : ''}.`
  )
  const analyses = digest.entries.map((e) => analyze(e.text))
  const themeCounts = new Map<Theme, number>()
  for (const a of analyses) for (const t of a.topThemes) themeCounts.set(t, (themeCounts.get(t) ?? 0) + 1)
  const themes = [...themeCounts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  if (themes.length > 0) {
    const [first, second] = themes
    lines.push(
      `${capitalize(THEME_NAMES[first![0]])} came up most often (${first![1]} of ${shown})${second ? `, then ${THEME_NAMES[second[0]]} (${second[1]})` : ''}.`
    )
  }
  if (shown >= 2) {
    const half = Math.ceil(shown / 2)
    const early = topEmotion(analyses.slice(0, half))
    const late = topEmotion(analyses.slice(half))
    if (early && late && early !== late) lines.push(`Early on you wrote most of ${early}; later, of ${late}.`)
    else if (early && early === late) lines.push(`${capitalize(early)} runs through the whole stretch.`)
  }
  for (const t of digest.tensions.slice(0, 3)) {
    if (t.resolved) lines.push(`You resolved "${t.name}".`)
    else if (t.noted) lines.push(`You named a new tension, "${t.name}", at ${t.after.toFixed(2)}.`)
    else if (t.after < t.before) lines.push(`"${t.name}" eased from ${t.before.toFixed(2)} to ${t.after.toFixed(2)}.`)
    else if (t.after > t.before) lines.push(`"${t.name}" grew from ${t.before.toFixed(2)} to ${t.after.toFixed(2)}.`)
  }
  for (const c of digest.changes.slice(0, 3)) lines.push(c.endsWith('.') ? c : `${c}.`)
  lines.push('What stands out to you as you read this back?')
  return { text: lines.join(' '), themes: themes.slice(0, 6).map(([t]) => t) }
}

function topEmotion(analyses: readonly Analysis[]): Emotion | null {
  const counts = new Map<Emotion, number>()
  for (const a of analyses) for (const e of a.felt) counts.set(e, (counts.get(e) ?? 0) + 1)
  let best: Emotion | null = null
  let n = 0
  for (const [e, c] of counts) {
    if (c > n) {
      best = e
      n = c
    }
  }
  return best
}

export function builtinProvider(): MirrorProvider {
  return {
    kind: 'builtin',
    model: BUILTIN_MODEL,
    async mirror(input: MirrorInput) {
      return builtinMirror(input.context)
    },
    async narrate(input: EvolutionInput) {
      return builtinNarrative(input.digest)
    },
    async close() {}
  }
}
