import test from 'brittle'
import { evaluate, MatchIndex, normalizeTerm, syntheticSphere } from '../src/swarm/match/index.js'

/** The synthetic evaluation: planted complementary communities among noise, found by matching. */

const sphere = syntheticSphere({ members: 3000, seed: 17 })
const index = new MatchIndex()
for (const profile of sphere.profiles) index.upsert(profile)

test('the generator is seeded: the same seed gives the same sphere', (t) => {
  const again = syntheticSphere({ members: 3000, seed: 17 })
  t.alike(again.profiles, sphere.profiles)
  t.not(
    JSON.stringify(syntheticSphere({ members: 3000, seed: 18 }).profiles.slice(0, 5)),
    JSON.stringify(sphere.profiles.slice(0, 5))
  )
  t.is(sphere.profiles.length, 3000)
  t.ok(sphere.truth.size >= 200, `${sphere.truth.size} members in planted communities`)
})

test('the planted truth is complementary: each side offers what the other seeks', (t) => {
  const [asker, relevant] = [...sphere.truth][0] as [string, ReadonlySet<string>]
  const me = index.profile(asker)!
  const mySeeking = new Set(me.seeking.map((s) => s.term))
  for (const other of relevant) {
    const them = index.profile(other)!
    t.ok(
      them.skills.some((s) => mySeeking.has(s.term) && s.level >= 3),
      'they have a skill I seek'
    )
    t.ok(
      them.seeking.some((s) => me.skills.some((m) => m.term === s.term)),
      'they seek a skill I have'
    )
  }
  // Noise holds the same popular skills and interests, written in other ways.
  const spellings = new Set(
    sphere.profiles.flatMap((p) => p.facets.filter((f) => normalizeTerm(f.label) === 'typescript').map((f) => f.label))
  )
  t.ok(spellings.size >= 3, `typescript written as ${[...spellings].join(', ')}`)
})

test('precision@10 >= 0.8 on the planted truth, and every component is needed for it', (t) => {
  const full = evaluate(index, sphere)
  t.is(full.queries, sphere.truth.size, 'every community member asks')
  t.ok(full.precisionAtK >= 0.8, `precision@10 ${full.precisionAtK.toFixed(3)}`)
  t.ok(full.recallAtK >= 0.6, `recall@10 ${full.recallAtK.toFixed(3)}`)
  t.ok(full.recallAtK <= 1 && full.precisionAtK <= 1)

  // The same sphere ranked with a component switched off does clearly worse: the metric is not a given.
  const withoutInterests = evaluate(index, sphere, { weights: { interests: 0 } })
  const withoutSkills = evaluate(index, sphere, { weights: { skills: 0 } })
  t.ok(
    withoutInterests.precisionAtK < full.precisionAtK - 0.1,
    `without interests: ${withoutInterests.precisionAtK.toFixed(3)}`
  )
  t.ok(withoutSkills.precisionAtK < full.precisionAtK - 0.2, `without skills: ${withoutSkills.precisionAtK.toFixed(3)}`)
  t.comment(
    `precision@10 ${full.precisionAtK.toFixed(3)}, recall@10 ${full.recallAtK.toFixed(3)} over ${full.queries} queries`
  )
})

test('a sample of queries is seeded too', (t) => {
  const a = evaluate(index, sphere, { queries: 50, seed: 5 })
  const b = evaluate(index, sphere, { queries: 50, seed: 5 })
  t.is(a.queries, 50)
  t.alike(a, b)
})
