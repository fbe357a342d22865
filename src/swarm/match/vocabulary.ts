/**
 * Vocabulary normalisation for matching: two people who wrote "TypeScript" and "TS",
 * or "board games" and "Board-game", must meet on one term.
 *
 * A label becomes a term in four steps, each tried in order:
 * 1. Unicode NFKC, lower case, whitespace collapsed; if the synonym table lists this
 *    exact form ("c++", "node.js", "ts"), its canonical term.
 * 2. Every run of characters that are not letters or digits becomes one space
 *    ("front-end" → "front end"); if the table lists that form, its canonical term.
 * 3. Every word loses a regular English plural ending (see `stem`); if the table lists
 *    the stemmed phrase, its canonical term.
 * 4. Otherwise the stemmed phrase itself.
 *
 * The synonym table is written by hand and kept small on purpose: every pair of
 * words the matcher treats as one is listed in SYNONYMS and in docs/matching.md, so a
 * person can see why two facets met. A stemmer library (Porter, Snowball) would also
 * fold "programming" into "program" and "organic" into "organ"; plural endings alone
 * are predictable enough to explain.
 */

/** One canonical term and the other ways people write it. */
export interface SynonymGroup {
  readonly term: string
  readonly variants: readonly string[]
}

/** The built-in synonym table: skills, interests and values that people name in several ways. */
export const SYNONYMS: readonly SynonymGroup[] = [
  // skills: languages, platforms, fields
  { term: 'typescript', variants: ['ts', 'type script'] },
  { term: 'javascript', variants: ['js', 'ecmascript', 'java script', 'es6'] },
  { term: 'python', variants: ['py', 'python3', 'python 3'] },
  { term: 'c++', variants: ['cpp', 'cplusplus', 'c plus plus'] },
  { term: 'c#', variants: ['csharp', 'c sharp'] },
  { term: 'go', variants: ['golang', 'go lang'] },
  { term: 'rust', variants: ['rustlang', 'rust lang'] },
  { term: 'node.js', variants: ['nodejs', 'node js'] },
  { term: 'react', variants: ['reactjs', 'react.js', 'react js'] },
  { term: 'postgresql', variants: ['postgres', 'psql'] },
  { term: 'kubernetes', variants: ['k8s'] },
  { term: 'amazon web services', variants: ['aws'] },
  { term: 'html', variants: ['html5'] },
  { term: 'css', variants: ['css3', 'cascading style sheets'] },
  { term: 'sql', variants: ['structured query language'] },
  { term: 'machine learning', variants: ['ml'] },
  { term: 'artificial intelligence', variants: ['ai'] },
  { term: 'deep learning', variants: ['dl', 'neural networks', 'neural nets'] },
  { term: 'natural language processing', variants: ['nlp'] },
  { term: 'computer vision', variants: ['machine vision'] },
  { term: 'data science', variants: ['data analysis', 'data analytics'] },
  { term: 'statistics', variants: ['stats'] },
  { term: 'user experience design', variants: ['ux', 'ux design', 'user experience'] },
  { term: 'user interface design', variants: ['ui design', 'interface design'] },
  { term: 'frontend', variants: ['front end', 'front-end', 'frontend development', 'front end development'] },
  { term: 'backend', variants: ['back end', 'back-end', 'backend development', 'back end development'] },
  { term: 'devops', variants: ['dev ops', 'site reliability engineering', 'sre'] },
  { term: 'continuous integration', variants: ['ci', 'ci/cd', 'cicd'] },
  { term: 'open source', variants: ['oss', 'foss', 'free software', 'open-source software'] },
  { term: 'project management', variants: ['project manager', 'programme management'] },
  { term: 'graphic design', variants: ['graphics design', 'visual design'] },
  { term: 'copywriting', variants: ['copy writing', 'copywriter'] },
  { term: 'fundraising', variants: ['fund raising', 'grant writing'] },
  // interests
  { term: 'board game', variants: ['boardgame', 'tabletop game', 'tabletop gaming', 'board gaming'] },
  { term: 'video game', variants: ['videogame', 'gaming', 'computer game'] },
  { term: 'science fiction', variants: ['sci-fi', 'scifi'] },
  { term: 'hiking', variants: ['trekking', 'hillwalking', 'hill walking'] },
  { term: 'cycling', variants: ['biking', 'bicycling'] },
  { term: 'running', variants: ['jogging'] },
  { term: 'photography', variants: ['photograph', 'photo taking'] },
  { term: 'climate', variants: ['climate change', 'climate crisis', 'global warming'] },
  { term: 'cooking', variants: ['cookery', 'cuisine'] },
  { term: 'gardening', variants: ['garden', 'horticulture'] },
  { term: 'mindfulness', variants: ['meditation'] },
  { term: 'music', variants: ['music making', 'musicmaking'] },
  { term: 'reading', variants: ['books', 'literature'] },
  { term: 'mathematics', variants: ['math', 'maths'] },
  // values
  { term: 'honesty', variants: ['truthfulness', 'candour', 'candor'] },
  { term: 'freedom', variants: ['liberty'] },
  { term: 'autonomy', variants: ['self-determination', 'self determination', 'independence'] },
  { term: 'transparency', variants: ['openness'] },
  { term: 'fairness', variants: ['equity', 'justice'] },
  { term: 'kindness', variants: ['compassion'] },
  { term: 'sustainability', variants: ['sustainable living'] },
  { term: 'privacy', variants: ['data privacy'] },
  { term: 'community', variants: ['solidarity'] }
]

/**
 * Words that are left as they are: a trailing "s" that is not a plural, or a word whose
 * plural-looking ending is its meaning ("news", "kubernetes").
 */
const UNSTEMMED = new Set([
  'news',
  'series',
  'species',
  'lens',
  'gas',
  'bus',
  'plus',
  'canvas',
  'atlas',
  'chaos',
  'ethos',
  'pathos',
  'kubernetes',
  'jenkins',
  'pandas',
  'windows',
  'ios',
  'macos',
  'aws',
  'sas',
  'postgres',
  'redis',
  'express',
  'always',
  'perhaps',
  'whereas',
  'towards',
  'afterwards',
  // fields whose name ends like a plural: "robotics" is not many robotic
  'physics',
  'mathematics',
  'robotics',
  'economics',
  'ethics',
  'politics',
  'analytics',
  'statistics',
  'linguistics',
  'genetics',
  'electronics',
  'graphics',
  'acoustics',
  'aesthetics',
  'athletics',
  'gymnastics',
  'logistics',
  'semantics',
  'ergonomics',
  'informatics',
  'bioinformatics',
  'ceramics',
  'optics',
  'phonetics',
  'dynamics',
  'mechanics',
  'aerodynamics',
  'thermodynamics'
])

/**
 * Removes a regular English plural ending from one lower-case word: "-ies" → "-y",
 * "-sses", "-xes", "-ches", "-shes", "-zzes" lose "-es", any other "-s" goes, except
 * after "s", "u", "i" ("glass", "status", "analysis"), in words of three letters or
 * fewer, and in the words listed above ("news", "robotics").
 */
export function stem(word: string): string {
  if (word.length <= 3 || UNSTEMMED.has(word) || !word.endsWith('s')) return word
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`
  if (/(?:ss|x|ch|sh|zz)es$/.test(word)) return word.slice(0, -2)
  if (/[sui]s$/.test(word)) return word
  return word.slice(0, -1)
}

/** Forms in step 1 keep their marks; only letters, digits, spaces and . - _ / may be folded into step 2. */
const FOLDABLE = /^[\p{L}\p{N}\s._/-]+$/u
const NOT_WORD = /[^\p{L}\p{N}]+/gu

function lowered(label: string): string {
  return label.normalize('NFKC').toLowerCase().replace(/\s+/gu, ' ').trim()
}

function words(form: string): string {
  return form.replace(NOT_WORD, ' ').trim()
}

function stemmed(phrase: string): string {
  return phrase === '' ? '' : phrase.split(' ').map(stem).join(' ')
}

/**
 * Little words that never start or end a term found in free text. "go" is one of them:
 * in prose it is a verb far more often than the language (a label "Go" still matches).
 */
const STOPWORDS = new Set(
  (
    'a an and are as at be been but by can could do does for from has have he her his how i if in into is it its ' +
    'me my no not of on or our out over she so some such than that the their them then there these they this ' +
    'to too up us was we were what when where which while who why will with would you your about also all am ' +
    'any each just more most new only other own same very via across around through using use used want wants ' +
    'help helps build building looking need needs make makes making people person someone something project go'
  ).split(' ')
)

/**
 * A synonym table compiled for lookup. Every variant and every canonical term is
 * registered under each form the steps above can produce for it, so the lookup works
 * whichever way a person wrote the label.
 */
export class Vocabulary {
  readonly groups: readonly SynonymGroup[]
  private readonly exact = new Map<string, string>()
  private readonly memo = new Map<string, string>()

  constructor(groups: readonly SynonymGroup[] = SYNONYMS) {
    this.groups = groups
    for (const group of groups) {
      const term = lowered(group.term)
      for (const variant of [group.term, ...group.variants]) this.register(lowered(variant), term)
    }
  }

  private register(form: string, term: string): void {
    const forms = new Set([form])
    if (FOLDABLE.test(form)) {
      forms.add(words(form))
      forms.add(stemmed(words(form)))
    }
    for (const key of forms) {
      if (key === '') continue
      const known = this.exact.get(key)
      // Two groups claiming one form would make matching depend on table order.
      if (known !== undefined && known !== term) {
        throw new Error(`synonym table: "${key}" is claimed by both "${known}" and "${term}"`)
      }
      this.exact.set(key, term)
    }
  }

  /** The canonical term for a facet label; '' when the label has no letter or digit. */
  term(label: string): string {
    const cached = this.memo.get(label)
    if (cached !== undefined) return cached
    const term = this.compute(label)
    // Labels repeat across a sphere (everyone's "TypeScript"); a bounded memo avoids renormalising them.
    if (this.memo.size >= 100_000) this.memo.clear()
    this.memo.set(label, term)
    return term
  }

  private compute(label: string): string {
    const low = lowered(label)
    const direct = this.exact.get(low)
    if (direct !== undefined) return direct
    const plain = words(low)
    const folded = this.exact.get(plain)
    if (folded !== undefined) return folded
    const stem = stemmed(plain)
    return this.exact.get(stem) ?? stem
  }

  /**
   * The terms a free text mentions (a project's name and description): every run of one
   * to three words, normalised as a label is, that neither starts nor ends with a
   * stopword. Tokens the table lists with their marks ("c++", "node.js") are
   * recognised before the marks are stripped.
   */
  textTerms(text: string, maxWords = 3): Set<string> {
    const tokens: string[] = []
    for (const raw of lowered(text).split(' ')) {
      const token = raw.replace(/^[^\p{L}\p{N}]+|[.,;:!?)\]}'"]+$/gu, '')
      if (token === '') continue
      const known = this.exact.get(token)
      if (known !== undefined) tokens.push(...known.split(' '))
      else
        tokens.push(
          ...words(token)
            .split(' ')
            .filter((w) => w !== '')
        )
    }
    const terms = new Set<string>()
    for (let start = 0; start < tokens.length; start++) {
      for (let length = 1; length <= maxWords && start + length <= tokens.length; length++) {
        const first = tokens[start] as string
        const last = tokens[start + length - 1] as string
        if (STOPWORDS.has(first) || STOPWORDS.has(last)) continue
        const term = this.term(tokens.slice(start, start + length).join(' '))
        if (term !== '') terms.add(term)
      }
    }
    return terms
  }
}

export const DEFAULT_VOCABULARY = new Vocabulary()

/** The canonical term for a label with the built-in table. */
export function normalizeTerm(label: string): string {
  return DEFAULT_VOCABULARY.term(label)
}
