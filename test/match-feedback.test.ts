import test from 'brittle'
import { CosmicError } from '../src/errors.js'
import {
  DEFAULT_WEIGHTS,
  type Facet,
  type FeedbackEvent,
  FeedbackModel,
  MatchIndex,
  type MatchResult
} from '../src/swarm/match/index.js'

/** Learned re-ranking from a person's own feedback events: deterministic, explained, and refusing bad events. */

const key = (n: number) => n.toString(16).padStart(64, '0')
const ME = key(1)

/** Me, people who share my values (2-4) and people whose skills answer my seeking (5-7). */
function sphere(): MatchIndex {
  const index = new MatchIndex()
  const values: Facet[] = ['Honesty', 'Privacy', 'Courage'].map((label) => ({ kind: 'value', label }))
  index.upsert({ member: ME, facets: [...values, { kind: 'seeking', label: 'Rust' }] })
  for (let n = 2; n <= 4; n++) index.upsert({ member: key(n), facets: values.slice(0, n - 1) })
  for (let n = 5; n <= 7; n++)
    index.upsert({ member: key(n), facets: [{ kind: 'skill', label: 'Rust', level: n - 4 }] })
  for (let n = 20; n < 30; n++) index.upsert({ member: key(n), facets: [{ kind: 'value', label: 'Kindness' }] })
  return index
}

function verdict(result: MatchResult, helpful: boolean): FeedbackEvent {
  return { member: result.member, helpful, components: result.components }
}

/** The person finds skill matches helpful and value-only matches not, several times over. */
function history(index: MatchIndex): FeedbackEvent[] {
  const shown = index.matches(ME)
  const events: FeedbackEvent[] = []
  for (let round = 0; round < 8; round++) {
    for (const result of shown) events.push(verdict(result, result.components.skills > 0))
  }
  return events
}

test('feedback re-ranks: what the person found helpful rises, deterministically', (t) => {
  const index = sphere()
  const before = index.matches(ME).map((r) => r.member)
  t.alike(
    before,
    [key(4), key(3), key(7), key(6), key(2), key(5)],
    'at first shared values outrank low-level skills that answer my seeking'
  )

  const events = history(index)
  const model = FeedbackModel.fromEvents(events)
  const after = index.matches(ME, { weights: model.weights() })
  t.alike(
    after.slice(0, 3).map((r) => r.member),
    [key(7), key(6), key(5)],
    'after feedback every skill match comes first'
  )
  for (const result of after) t.ok(Math.abs(result.items.reduce((s, i) => s + i.contribution, 0) - result.score) < 1e-9)

  const again = FeedbackModel.fromEvents(events)
  t.alike(again.explain(), model.explain(), 'the same events in the same order give the same model, bit for bit')
  t.alike(index.matches(ME, { weights: again.weights() }), after)

  const ranksByProbability = [...after].sort(
    (a, b) => model.probability(b.components) - model.probability(a.components)
  )
  t.alike(
    ranksByProbability.map((r) => r.member).slice(0, 3),
    after.map((r) => r.member).slice(0, 3),
    'ranking by the learned score is ranking by predicted helpfulness'
  )
})

test('explain shows the learned weights and what they were learned from', (t) => {
  const fresh = new FeedbackModel().explain()
  t.alike(fresh.weights, { ...DEFAULT_WEIGHTS }, 'no feedback: the chosen weights')
  t.is(fresh.events, 0)

  const index = sphere()
  const events = history(index)
  const explained = FeedbackModel.fromEvents(events).explain()
  t.is(explained.events, events.length)
  t.is(explained.helpful, events.filter((e) => e.helpful).length)
  t.is(explained.notHelpful, events.filter((e) => !e.helpful).length)
  t.ok(explained.adjustments.skills > 0, `skills adjusted up by ${explained.adjustments.skills}`)
  t.ok(explained.adjustments.values < 0, `values adjusted down by ${explained.adjustments.values}`)
  t.is(explained.adjustments.semantic, 0, 'a component never seen is left alone')
  for (const c of ['interests', 'skills', 'values', 'semantic'] as const) {
    t.is(explained.weights[c], Math.max(0, explained.base[c] + explained.adjustments[c]), `${c} = base + adjustment`)
  }

  const custom = FeedbackModel.fromEvents(events, { values: 3 }).explain()
  t.is(custom.base.values, 3, 'learning starts from the weights the person chose')
})

test('weights never go below zero, whatever the feedback', (t) => {
  const model = new FeedbackModel(undefined, { learningRate: 1 })
  for (let i = 0; i < 50; i++) {
    model.learn({ member: key(2), helpful: false, components: { interests: 0, skills: 0, values: 3, semantic: 0 } })
  }
  t.is(model.weights().values, 0, 'switched off, not turned against')
  t.ok(model.explain().adjustments.values < -DEFAULT_WEIGHTS.values)
})

test('malformed feedback events and options are refused with INVALID_INPUT', (t) => {
  const model = new FeedbackModel()
  const components = { interests: 0, skills: 1, values: 0, semantic: 0 }
  const bad: [string, unknown][] = [
    ['helpful missing', { member: key(2), components }],
    ['helpful not boolean', { member: key(2), helpful: 'yes', components }],
    ['component missing', { member: key(2), helpful: true, components: { skills: 1 } }],
    ['negative component', { member: key(2), helpful: true, components: { ...components, skills: -1 } }],
    ['infinite component', { member: key(2), helpful: true, components: { ...components, values: Infinity } }],
    ['unknown component', { member: key(2), helpful: true, components: { ...components, charm: 1 } }],
    ['no member', { member: '', helpful: true, components }]
  ]
  for (const [what, event] of bad) {
    try {
      model.learn(event as FeedbackEvent)
      t.fail(`${what} was learned`)
    } catch (err) {
      t.ok(CosmicError.is(err, 'INVALID_INPUT'), `${what}: ${(err as Error).message}`)
    }
  }
  t.is(model.explain().events, 0, 'nothing was learned')
  t.exception(() => new FeedbackModel(undefined, { learningRate: -1 }), /INVALID_INPUT/)
  t.exception(() => new FeedbackModel({ skills: -2 }), /INVALID_INPUT/)
})
