import { FeedbackModel, MatchIndex } from '../src/swarm/match/index.js'

// The example of docs/matching.md, kept here so that it is type-checked and run
// (test/match-docs.test.ts checks that the doc shows this file verbatim).
export function example() {
  const ada = 'a'.repeat(64)
  const bea = 'b'.repeat(64)
  const index = new MatchIndex()
  index.upsert({
    member: ada,
    name: 'Ada',
    facets: [
      { kind: 'seeking', label: 'TS' },
      { kind: 'skill', label: 'Rust', level: 5 },
      { kind: 'interest', label: 'Medieval cartography' },
      { kind: 'value', label: 'honesty' }
    ]
  })
  index.upsert({
    member: bea,
    name: 'Bea',
    facets: [
      { kind: 'skill', label: 'TypeScript', level: 4 },
      { kind: 'seeking', label: 'rust' },
      { kind: 'interest', label: 'medieval cartography' },
      { kind: 'project', label: 'Old maps', text: 'Georeferencing medieval cartography, in TypeScript.' }
    ]
  })

  // Bea, then her project; each result lists its items, whose contributions add up to its score.
  const results = index.matches(ada, { limit: 10 })
  const best = results[0]!
  const why = best.items.map((item) => `${item.component} ${item.term} +${item.contribution.toFixed(2)}`)

  // Ada found Bea helpful: the learned weights re-rank her next queries.
  const model = FeedbackModel.fromEvents([{ member: bea, helpful: true, components: best.components }])
  const reranked = index.matches(ada, { weights: model.weights() })

  // Bea leaves the sphere: she and her project stop matching.
  index.remove(bea)
  return { results, why, learned: model.explain(), reranked, after: index.matches(ada) }
}
