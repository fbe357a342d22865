import test from 'brittle'
import { DEFAULT_VOCABULARY, normalizeTerm, SYNONYMS, stem, Vocabulary } from '../src/swarm/match/index.js'

/** Vocabulary normalisation: case, marks, plurals and the synonym table. */

test('TypeScript, typescript, TS and "type script" meet on one term', (t) => {
  for (const label of ['TypeScript', 'typescript', 'TS', 'ts', ' Type  Script ', 'TYPESCRIPT']) {
    t.is(normalizeTerm(label), 'typescript', label)
  }
})

test('common synonyms across skills, interests and values', (t) => {
  const same: [string, string][] = [
    ['ML', 'machine learning'],
    ['Machine-Learning', 'machine learning'],
    ['JS', 'JavaScript'],
    ['ecmascript', 'javascript'],
    ['AI', 'Artificial Intelligence'],
    ['NLP', 'natural language processing'],
    ['k8s', 'Kubernetes'],
    ['Postgres', 'PostgreSQL'],
    ['NodeJS', 'Node.js'],
    ['C++', 'cpp'],
    ['front-end', 'Frontend'],
    ['UX', 'user experience design'],
    ['sci-fi', 'Science Fiction'],
    ['boardgames', 'Board games'],
    ['tabletop games', 'board game'],
    ['gaming', 'video games'],
    ['jogging', 'running'],
    ['meditation', 'mindfulness'],
    ['liberty', 'Freedom'],
    ['truthfulness', 'honesty'],
    ['Self-determination', 'autonomy'],
    ['openness', 'transparency']
  ]
  for (const [a, b] of same) t.is(normalizeTerm(a), normalizeTerm(b), `${a} = ${b}`)
  t.not(normalizeTerm('C++'), normalizeTerm('C'), 'marks that carry meaning are kept: C++ is not C')
  t.not(normalizeTerm('C#'), normalizeTerm('C++'))
  t.not(normalizeTerm('Java'), normalizeTerm('JavaScript'))
})

test('case, whitespace, punctuation and plurals', (t) => {
  t.is(normalizeTerm('  Urban   Gardening!! '), 'urban gardening')
  t.is(normalizeTerm('Open-Source'), 'open source')
  t.is(normalizeTerm('Communities'), 'community')
  t.is(normalizeTerm('community'), 'community')
  t.is(normalizeTerm('Databases'), normalizeTerm('database'))
  t.is(normalizeTerm('Watches'), 'watch')
  t.is(normalizeTerm('Board-Games'), 'board game')
  t.is(normalizeTerm('mosaics'), normalizeTerm('mosaic'))
  t.is(normalizeTerm('Ｔｙｐｅｓｃｒｉｐｔ'), 'typescript', 'full-width letters fold under NFKC')
  t.is(normalizeTerm('!!!'), '', 'no letter or digit: no term')
})

test('stem removes regular plurals only', (t) => {
  t.is(stem('hobbies'), 'hobby')
  t.is(stem('glasses'), 'glass')
  t.is(stem('boxes'), 'box')
  t.is(stem('games'), 'game')
  t.is(stem('status'), 'status', 'not a plural')
  t.is(stem('analysis'), 'analysis', 'not a plural')
  t.is(stem('physics'), 'physics')
  t.is(stem('robotics'), 'robotics', '-ics words are left alone')
  t.is(stem('news'), 'news')
  t.is(stem('gas'), 'gas', 'short words are left alone')
  t.is(stem('programming'), 'programming', 'no other suffixes')
})

test('the synonym table is consistent: canonical terms are fixed points, no form has two meanings', (t) => {
  t.ok(SYNONYMS.length >= 40, `${SYNONYMS.length} synonym groups`)
  const vocabulary = new Vocabulary()
  for (const group of SYNONYMS) {
    t.is(vocabulary.term(group.term), group.term, `${group.term} is canonical`)
    for (const variant of group.variants) t.is(vocabulary.term(variant), group.term, `${variant} → ${group.term}`)
  }
  t.exception(
    () =>
      new Vocabulary([
        { term: 'go', variants: ['golang'] },
        { term: 'game of go', variants: ['golang'] }
      ]),
    /claimed by both/
  )
})

test('textTerms finds one- to three-word terms in free text, table forms with their marks', (t) => {
  const terms = textTerms('A C++ and TS toolkit for machine learning on board games, written with Node.js.')
  for (const term of ['c++', 'typescript', 'machine learning', 'board game', 'node.js', 'toolkit']) {
    t.ok(terms.has(term), term)
  }
  t.absent(terms.has('for'), 'stopwords alone are not terms')
  t.absent(terms.has('toolkit for'), 'terms neither start nor end with a stopword')
  t.ok(textTerms('we use ML daily').has('machine learning'), 'a synonym expands inside text')
})

function textTerms(text: string): Set<string> {
  return DEFAULT_VOCABULARY.textTerms(text)
}
