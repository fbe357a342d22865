import test from 'brittle'
import fc from 'fast-check'
import { analyze, lexiconSize } from '../src/engine/analyze.js'
import { BUILTIN_MODEL, builtinMirror, builtinNarrative, linkTensions, linkValues } from '../src/engine/builtin.js'
import type { ContextEntry, ContextTension, ContextValue, MirrorContext } from '../src/engine/context.js'
import { EMOTION_WORDS, EMOTIONS, THEME_WORDS, THEMES } from '../src/engine/lexicon.js'

/** The built-in engine without storage: the lexicon, negation, links, and what the mirror may and may not say. */

function entry(text: string, extra: Partial<ContextEntry> = {}): ContextEntry {
  return {
    id: 'e'.repeat(64),
    time: 0,
    text,
    mood: null,
    tags: [],
    sealed: false,
    truncated: false,
    sources: [],
    ...extra
  }
}

function context(text: string, more: Partial<MirrorContext> = {}): MirrorContext {
  return { entry: entry(text), tensions: [], values: [], recent: [], budget: 1500, tokens: 0, ...more }
}

const MONEY: ContextTension = {
  id: 'money-scarcity-vs-control',
  name: 'Money: scarcity vs control',
  poles: ['scarcity', 'control'],
  domain: 'money',
  intensity: 0.7,
  loops: 2,
  sources: []
}
const REST: ContextTension = {
  id: 'work-vs-rest',
  name: 'Work vs rest',
  poles: ['ambition', 'rest'],
  domain: 'work',
  intensity: 0.4,
  loops: 0,
  sources: []
}
const HONESTY: ContextValue = { key: 'honesty', note: null, sources: [] }
const FAMILY: ContextValue = { key: 'family', note: 'first', sources: [] }

test('the lexicon covers at least 200 emotion and theme words, with phrases', (t) => {
  const size = lexiconSize()
  t.ok(size.emotions >= 200, `${size.emotions} emotion words and phrases`)
  t.ok(size.themes >= 200, `${size.themes} theme words and phrases`)
  t.ok(size.phrases >= 80, `${size.phrases} multi-word phrases`)
  for (const e of EMOTIONS) t.ok(EMOTION_WORDS[e].length >= 5, `emotion ${e} has words`)
  for (const th of THEMES) t.ok(THEME_WORDS[th].length >= 5, `theme ${th} has words`)
})

test('emotions and themes: single words, inflections, multi-word phrases', (t) => {
  const a = analyze('I am burned out and stressed out at work. My boss worries me; the rent is due.')
  t.alike(
    a.emotions.map((e) => [e.emotion, e.words]),
    [
      ['tiredness', 'burned out'],
      ['anxiety', 'stressed out'],
      ['anxiety', 'worries']
    ]
  )
  t.alike(a.topThemes, ['work', 'money'])
  t.alike(a.felt, ['anxiety', 'tiredness'], 'most mentioned first')
  t.alike(analyze('Over the moon about the trip!').felt, ['joy'], 'a four-word phrase')
  t.alike(analyze('Light at the end of the tunnel.').felt, ['hope'], 'a seven-word phrase')
  t.alike(analyze('I felt Anxious — and ÉLATED').felt, ['anxiety', 'joy'], 'case and accents do not matter')
  t.alike(analyze('’Can’t relax’').felt, ['anxiety'], 'typographic apostrophes')
})

test('negation: "not happy" is not happiness, within reach, until a clause ends', (t) => {
  const cases: [string, string[], string[]][] = [
    ['I am not happy.', [], ['not happy']],
    ["I don't feel angry at all.", [], ["don't angry"]],
    ['Not feeling very happy today.', [], ['not happy']],
    ['No longer afraid of the dark.', [], ['no longer afraid']],
    ['I am never calm, but I am hopeful.', ['hope'], ['never calm']],
    ['Not angry; sad.', ['sadness'], ['not angry']],
    ['I am not sure what I want from work.', ['doubt'], []],
    ['No energy left.', ['tiredness'], []],
    ['I do not think that I could ever be this happy.', ['joy'], []]
  ]
  for (const [text, felt, negated] of cases) {
    const a = analyze(text)
    t.alike(a.felt, felt, `${text}: felt`)
    t.alike(
      a.emotions.filter((e) => e.negated).map((e) => e.words),
      negated,
      `${text}: negated`
    )
  }
})

test('the built-in mirror reflects, quotes, links and asks', (t) => {
  const text =
    'Work was heavy. I feel anxious about money again, rehearsing every bill. Honesty with my partner would help.'
  const reflection = builtinMirror(context(text, { tensions: [REST, MONEY], values: [HONESTY, FAMILY] }))
  t.ok(reflection.text.includes('"anxious"'), 'names the word the person used')
  t.ok(reflection.text.includes('anxiety'), 'names the emotion')
  t.ok(reflection.text.includes('"I feel anxious about money again, rehearsing every bill."'), 'quotes a sentence')
  t.ok(reflection.text.includes('"Money: scarcity vs control"'), 'links the open tension it touches')
  t.ok(reflection.text.includes('come back 2 times'), 'and says that it keeps coming back')
  t.ok(reflection.text.includes('honesty'), 'links the stated value it touches')
  t.absent(reflection.text.includes('family matters'), 'not a value the entry does not touch')
  t.ok(reflection.text.trim().endsWith('?'), 'ends with a question')
  t.alike(reflection.themes, ['money', 'work', 'partner', 'anxiety'], 'money twice (money, bill), then in order')
  t.is(BUILTIN_MODEL, 'lexicon-v1')
})

test('links: tensions by their words or domain, best first; values by name or theme', (t) => {
  const a = analyze('So much work, no rest, and I keep planning everything.')
  t.alike(
    linkTensions(a, [MONEY, REST]).map((x) => x.id),
    ['work-vs-rest', 'money-scarcity-vs-control'],
    'work vs rest by its words, money by "control" (planning)'
  )
  t.alike(linkTensions(analyze('A walk in the park.'), [MONEY, REST]), [])
  t.alike(
    linkValues(analyze('Dinner with my mother and sister.'), [HONESTY, FAMILY]).map((v) => v.key),
    ['family'],
    'family by theme'
  )
})

test('pattern hints: a theme that keeps coming up in recent entries', (t) => {
  const recent = ['Long day at work.', 'My boss again.', 'A walk.'].map((text) => entry(text))
  const reflection = builtinMirror(context('Another meeting ran late at work.', { recent }))
  t.ok(reflection.text.includes('Work has come up in 2 of your last 3 entries too.'), reflection.text)
})

test('deterministic: the same entry and context give the same text, a different entry may not', (t) => {
  const ctx = context('I feel lonely tonight. Nobody cares about the garden.', { tensions: [MONEY] })
  t.is(builtinMirror(ctx).text, builtinMirror({ ...ctx }).text)
  t.alike(builtinMirror(ctx), builtinMirror(structuredClone(ctx)))
})

test('no feeling named, only a mood, or nothing at all: still a reflection and a question', (t) => {
  const plain = builtinMirror(context('Went to the post office.'))
  t.ok(plain.text.startsWith('You did not name a feeling'), plain.text)
  t.ok(plain.text.endsWith('?'))
  const mood = builtinMirror({
    ...context('Went to the post office.'),
    entry: entry('Went to the post office.', { mood: 'meh' })
  })
  t.ok(mood.text.includes('"meh"'), 'reflects the mood given')
  const negated = builtinMirror(context('Not happy.'))
  t.ok(negated.text.includes('"not happy"'), negated.text)
  t.absent(negated.themes.includes('joy'), 'a negated emotion is not a theme')
})

/** Words that advise, prescribe or diagnose: the mirror never uses them on its own. */
const ADVICE =
  /\b(should|must|need to|have to|ought|try to|consider|recommend|advise|suggest|diagnos\w*|disorder|symptom|you are (depressed|anxious|sick))\b/i

test('property: whatever is written, the built-in mirror never advises or diagnoses, and is deterministic', (t) => {
  const words = [
    ...EMOTIONS.flatMap((e) => EMOTION_WORDS[e]),
    ...THEMES.flatMap((th) => THEME_WORDS[th]),
    'not',
    'never',
    'but',
    'I',
    'the',
    'today',
    '.',
    ',',
    '!'
  ]
  const sentence = fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 25 }).map((w) => w.join(' '))
  let checked = 0
  fc.assert(
    fc.property(fc.array(sentence, { minLength: 1, maxLength: 5 }), fc.boolean(), (sentences, withTension) => {
      const text = sentences.join('. ')
      const ctx = context(text, withTension ? { tensions: [MONEY, REST], values: [HONESTY] } : {})
      const reflection = builtinMirror(ctx)
      // Quoted words are the person's own: strip them before looking for advice.
      const ownWords = reflection.text.replace(/"[^"]*"/g, '""')
      checked++
      return (
        !ADVICE.test(ownWords) &&
        reflection.text.trim().endsWith('?') &&
        builtinMirror(ctx).text === reflection.text &&
        reflection.themes.length <= 12
      )
    }),
    { numRuns: 400, seed: 42 }
  )
  t.is(checked >= 400, true, `${checked} random entries`)
})

test('the built-in narrative of a window of time', (t) => {
  const day = 86_400_000
  const narrative = builtinNarrative({
    from: 0,
    to: 30 * day,
    entryCount: 5,
    sealedCount: 1,
    entries: [
      { id: 'a', time: day, text: 'Anxious about work.', mood: null, sources: [] },
      { id: 'b', time: 2 * day, text: 'Worried about my boss and work.', mood: null, sources: [] },
      { id: 'c', time: 20 * day, text: 'Calm at the lake.', mood: null, sources: [] },
      { id: 'd', time: 25 * day, text: 'Peaceful, relaxed weekend.', mood: null, sources: [] }
    ],
    tensions: [
      {
        id: 'x',
        name: 'Work vs rest',
        poles: ['ambition', 'rest'],
        before: 0.8,
        after: 0.3,
        resolved: false,
        noted: false,
        sources: []
      }
    ],
    changes: ['rest appeared in your graph']
  })
  t.ok(
    narrative.text.startsWith('Between 1970-01-01 and 1970-01-31 you wrote 5 entries (1 sealed, left out here).'),
    narrative.text
  )
  t.ok(narrative.text.includes('Work came up most often (2 of 4)'))
  t.ok(narrative.text.includes('Early on you wrote most of anxiety; later, of calm.'))
  t.ok(narrative.text.includes('"Work vs rest" eased from 0.80 to 0.30.'))
  t.ok(narrative.text.includes('rest appeared in your graph.'))
  t.ok(narrative.text.endsWith('?'))
  t.absent(ADVICE.test(narrative.text))
})
