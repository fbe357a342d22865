import {
  CONTRASTS,
  EMOTION_WORDS,
  EMOTIONS,
  type Emotion,
  NEGATION_REACH,
  NEGATORS,
  THEME_WORDS,
  THEMES,
  type Theme
} from './lexicon.js'

/** What the lexicon finds in a text: emotions (felt or negated), themes, and the sentences to quote from. */

export interface EmotionMention {
  readonly emotion: Emotion
  /** The words as written, lower-cased: "anxious", "burned out", "not happy". */
  readonly words: string
  readonly negated: boolean
  readonly sentence: number
}

export interface ThemeMention {
  readonly theme: Theme
  readonly words: string
  readonly sentence: number
}

export interface Analysis {
  readonly sentences: readonly string[]
  readonly emotions: readonly EmotionMention[]
  readonly themes: readonly ThemeMention[]
  /** Emotions felt (not negated), most mentioned first, ties in order of appearance. */
  readonly felt: readonly Emotion[]
  /** Themes, most mentioned first, ties in order of appearance. */
  readonly topThemes: readonly Theme[]
  /** Lower-cased words of the text, for matching tensions and values. */
  readonly words: ReadonlySet<string>
}

type Entry = { kind: 'emotion'; value: Emotion } | { kind: 'theme'; value: Theme } | { kind: 'negator' }

const PHRASES = new Map<string, Entry[]>()
/** For each word that starts a phrase, the most words a phrase starting with it has: lookups try no longer ones. */
const LONGEST_FROM = new Map<string, number>()

function addPhrase(phrase: string, entry: Entry): void {
  const key = normalize(phrase).split(' ').filter(Boolean).join(' ')
  const list = PHRASES.get(key) ?? []
  if (
    !list.some((e) => e.kind === entry.kind && (e.kind === 'negator' || e.value === (entry as { value: string }).value))
  )
    list.push(entry)
  PHRASES.set(key, list)
  const words = key.split(' ')
  LONGEST_FROM.set(words[0] as string, Math.max(LONGEST_FROM.get(words[0] as string) ?? 1, words.length))
}

for (const emotion of EMOTIONS)
  for (const w of EMOTION_WORDS[emotion]) addPhrase(w, { kind: 'emotion', value: emotion })
for (const theme of THEMES) for (const w of THEME_WORDS[theme]) addPhrase(w, { kind: 'theme', value: theme })
for (const w of NEGATORS) addPhrase(w, { kind: 'negator' })
const CONTRAST = new Set(CONTRASTS)

/** Lower case, marks stripped, typographic apostrophes made plain. */
export function normalize(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc`]/g, "'")
}

/** Splits into sentences, keeping the original words for quoting. */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?…])\s+|\n+/)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => /[\p{L}\p{N}]/u.test(s))
}

const TOKEN = /[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*|[,;:()—–-]/gu

/** Regular endings tried when a word is not listed as written ("worries" -> "worry", "walks" -> "walk"). */
function stems(word: string): string[] {
  const out: string[] = []
  if (word.length < 4) return out
  if (word.endsWith('ies')) out.push(`${word.slice(0, -3)}y`)
  if (word.endsWith('es')) out.push(word.slice(0, -2))
  if (word.endsWith('s') && !word.endsWith('ss')) out.push(word.slice(0, -1))
  if (word.endsWith('ed')) out.push(word.slice(0, -2), word.slice(0, -1))
  if (word.endsWith('ing')) out.push(word.slice(0, -3), `${word.slice(0, -3)}e`)
  if (word.endsWith('ly')) out.push(word.slice(0, -2))
  return out
}

function lookup(tokens: readonly string[], at: number): { entries: Entry[]; length: number } | null {
  const word = tokens[at] as string
  // Longest match first; most words start no phrase, so this is usually one map lookup, not one per length.
  const max = Math.min(LONGEST_FROM.get(word) ?? 1, tokens.length - at)
  for (let length = max; length > 1; length--) {
    const entries = PHRASES.get(tokens.slice(at, at + length).join(' '))
    if (entries) return { entries, length }
  }
  const single = PHRASES.get(word)
  if (single) return { entries: single, length: 1 }
  for (const stem of stems(word)) {
    const entries = PHRASES.get(stem)
    if (entries?.every((e) => e.kind !== 'negator')) return { entries, length: 1 }
  }
  return null
}

function isClauseBreak(token: string): boolean {
  return /^[,;:()—–-]$/.test(token) || CONTRAST.has(token)
}

/** Runs the lexicon over a text. Pure and deterministic. */
export function analyze(text: string): Analysis {
  const sentences = splitSentences(text)
  const emotions: EmotionMention[] = []
  const themes: ThemeMention[] = []
  const words = new Set<string>()

  sentences.forEach((sentence, index) => {
    const tokens = normalize(sentence).match(TOKEN) ?? []
    let negation: { until: number; words: string } | null = null
    for (let i = 0; i < tokens.length; ) {
      const token = tokens[i] as string
      if (isClauseBreak(token)) {
        negation = null
        i++
        continue
      }
      words.add(token)
      const found = lookup(tokens, i)
      if (!found) {
        i++
        continue
      }
      const phrase = tokens.slice(i, i + found.length).join(' ')
      for (const entry of found.entries) {
        if (entry.kind === 'negator') {
          negation = { until: i + found.length + NEGATION_REACH, words: phrase }
        } else if (entry.kind === 'emotion') {
          const negated = negation !== null && i < negation.until
          emotions.push({
            emotion: entry.value,
            words: negated && negation ? `${negation.words} ${phrase}` : phrase,
            negated,
            sentence: index
          })
        } else {
          themes.push({ theme: entry.value, words: phrase, sentence: index })
        }
      }
      for (let k = i; k < i + found.length; k++) words.add(tokens[k] as string)
      i += found.length
    }
  })

  return {
    sentences,
    emotions,
    themes,
    felt: ranked(emotions.filter((e) => !e.negated).map((e) => e.emotion)),
    topThemes: ranked(themes.map((t) => t.theme)),
    words
  }
}

/** Most frequent first; ties keep the order of first appearance. */
function ranked<T>(items: readonly T[]): T[] {
  const counts = new Map<T, { n: number; first: number }>()
  items.forEach((item, i) => {
    const c = counts.get(item)
    if (c) c.n++
    else counts.set(item, { n: 1, first: i })
  })
  return [...counts.entries()].sort((a, b) => b[1].n - a[1].n || a[1].first - b[1].first).map(([item]) => item)
}

/** Word and phrase counts of the lexicon, for tests and docs. */
export function lexiconSize(): { emotions: number; themes: number; phrases: number } {
  let emotions = 0
  let themes = 0
  let phrases = 0
  for (const [key, entries] of PHRASES) {
    if (entries.some((e) => e.kind === 'emotion')) emotions++
    if (entries.some((e) => e.kind === 'theme')) themes++
    if (key.includes(' ')) phrases++
  }
  return { emotions, themes, phrases }
}
