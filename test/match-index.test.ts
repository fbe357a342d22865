import test from 'brittle'
import fc from 'fast-check'
import { CosmicError } from '../src/errors.js'
import {
  DEFAULT_WEIGHTS,
  type Embedder,
  embedProfile,
  type Facet,
  MatchIndex,
  type MatchResult,
  type MemberProfile,
  syntheticSphere
} from '../src/swarm/match/index.js'

/** The match index without storage: scores, explanations, updates, and what it refuses. */

const key = (n: number) => n.toString(16).padStart(64, '0')
const ME = key(1)

function member(n: number, facets: Facet[], name?: string): MemberProfile {
  return name === undefined ? { member: key(n), facets } : { member: key(n), name, facets }
}

function indexOf(...profiles: MemberProfile[]): MatchIndex {
  const index = new MatchIndex()
  for (const profile of profiles) index.upsert(profile)
  return index
}

const interest = (label: string): Facet => ({ kind: 'interest', label })
const skill = (label: string, level?: number): Facet =>
  level === undefined ? { kind: 'skill', label } : { kind: 'skill', label, level }
const seeking = (label: string): Facet => ({ kind: 'seeking', label })
const value = (label: string): Facet => ({ kind: 'value', label })

function sumOf(result: MatchResult): number {
  return result.items.reduce((sum, item) => sum + item.contribution, 0)
}

function ranked(results: readonly MatchResult[]): string[] {
  return results.map((r) => (r.kind === 'member' ? r.member : `${r.member}/${r.project}`))
}

test('every explanation adds up to its score, and the index ranks as a full scan does', (t) => {
  const sphere = syntheticSphere({ members: 1500, seed: 3 })
  const index = new MatchIndex()
  for (const profile of sphere.profiles) index.upsert(profile)
  const weightings = [{}, { interests: 0.5, skills: 3 }, { values: 4, skills: 0 }, { interests: 0, values: 0 }]
  let results = 0
  let mismatches = 0
  let sameAsScan = 0
  for (let q = 0; q < 60; q++) {
    const asker = (sphere.profiles[(q * 97) % sphere.profiles.length] as MemberProfile).member
    const weights = weightings[q % weightings.length]
    const found = index.matches(asker, { limit: 15, weights })
    for (const result of found) {
      results++
      if (Math.abs(sumOf(result) - result.score) > 1e-9) mismatches++
      for (const item of result.items) {
        if (Math.abs(item.raw * item.weight - item.contribution) > 1e-12) mismatches++
        if (item.raw <= 0 || item.raw > 1) mismatches++
      }
      const byComponent = { interests: 0, skills: 0, values: 0, semantic: 0 }
      for (const item of result.items) byComponent[item.component] += item.raw
      for (const c of Object.keys(byComponent) as (keyof typeof byComponent)[]) {
        if (Math.abs(byComponent[c] - result.components[c]) > 1e-9) mismatches++
      }
    }
    t.ok(
      found.every((r, i) => i === 0 || (found[i - 1] as MatchResult).score >= r.score),
      'best first'
    )
    if (JSON.stringify(found) === JSON.stringify(index.matchesByScan(asker, { limit: 15, weights }))) sameAsScan++
  }
  t.ok(results > 500, `${results} results checked`)
  t.is(mismatches, 0, 'score = sum of contributions; contribution = raw × weight; components = sum of raw')
  t.is(sameAsScan, 60, 'the inverted index gives exactly what scoring everyone gives')
})

test('IDF: a rare shared interest counts more than a common one', (t) => {
  const profiles = [
    member(1, [interest('Medieval cartography'), interest('Hiking')]),
    member(2, [interest('medieval cartography')]),
    member(3, [interest('hiking')])
  ]
  for (let n = 10; n < 40; n++) profiles.push(member(n, [interest('Hiking'), value('honesty')]))
  const index = indexOf(...profiles)
  const [first, second] = index.matches(ME, { limit: 40 })
  t.is(first?.member, key(2), 'the member sharing the rare interest comes first')
  const rare = first?.items[0]
  const common = index.matches(ME, { limit: 40 }).find((r) => r.member === key(3))?.items[0]
  t.is(rare?.term, 'medieval cartography')
  t.is(common?.term, 'hiking')
  t.ok((rare?.raw ?? 0) > 3 * (common?.raw ?? 1), `rare ${rare?.raw} against common ${common?.raw}`)
  t.ok((second?.score ?? 0) < (first?.score ?? 0))
})

test('complementary skills count both ways, by level, across synonyms', (t) => {
  const index = indexOf(
    member(1, [seeking('Rust'), skill('TypeScript', 4)]),
    member(2, [skill('rust', 5)], 'Ada'),
    member(3, [seeking('TS')]),
    member(4, [skill('Rust', 2)])
  )
  const results = index.matches(ME)
  t.alike(ranked(results), [key(2), key(3), key(4)])
  const [offers, needs, weak] = results as [MatchResult, MatchResult, MatchResult]
  t.is(offers.name, 'Ada')
  t.alike(offers.items, [
    {
      component: 'skills',
      term: 'rust',
      mine: { kind: 'seeking', label: 'Rust' },
      theirs: { kind: 'skill', label: 'rust', level: 5 },
      raw: 1,
      weight: DEFAULT_WEIGHTS.skills,
      contribution: DEFAULT_WEIGHTS.skills
    }
  ])
  t.alike(needs.items, [
    {
      component: 'skills',
      term: 'typescript',
      mine: { kind: 'skill', label: 'TypeScript', level: 4 },
      theirs: { kind: 'seeking', label: 'TS' },
      raw: 0.8,
      weight: DEFAULT_WEIGHTS.skills,
      contribution: DEFAULT_WEIGHTS.skills * 0.8
    }
  ])
  t.is(weak.items[0]?.raw, 0.4, 'level 2 of 5')
  const back = index.matches(key(3))
  t.is(back[0]?.member, ME, 'they see me too: my skill answers their seeking')
  t.is(indexOf(member(1, [skill('Go')]), member(2, [skill('Go', 5)])).matches(ME).length, 0, 'same skill: nothing')
})

test('a skill listed twice keeps its highest level; a skill without a level counts as 3', (t) => {
  const index = indexOf(member(1, [skill('TS', 2), skill('TypeScript', 5), skill('Rust')]))
  const profile = index.profile(ME)
  t.alike(
    profile?.skills.map((s) => [s.term, s.label, s.level]),
    [
      ['rust', 'Rust', 3],
      ['typescript', 'TypeScript', 5]
    ]
  )
})

test('a retracted facet stops matching; a member who left disappears with their projects', (t) => {
  const index = indexOf(
    member(1, [interest('Birdwatching'), seeking('Python')]),
    member(2, [interest('birdwatching'), skill('Python', 4)]),
    member(3, [interest('Birdwatching'), { kind: 'project', label: 'Owl atlas', text: 'mapping birdwatching spots' }])
  )
  t.alike(ranked(index.matches(ME)).sort(), [key(2), key(3), `${key(3)}/Owl atlas`].sort())

  index.upsert(member(2, [interest('birdwatching')]))
  const retracted = index.matches(ME).find((r) => r.member === key(2))
  t.alike(
    retracted?.items.map((i) => i.term),
    ['birdwatching'],
    'the retracted skill no longer matches'
  )

  t.ok(index.remove(key(3)))
  t.absent(index.remove(key(3)), 'already gone')
  t.alike(ranked(index.matches(ME)), [key(2)], 'neither the member nor their project is found')
  t.is(index.projectCount, 0)
  t.exception(() => index.matches(key(3)), /NOT_FOUND/)

  index.upsert(member(2, []))
  t.alike(index.matches(ME), [], 'a member who shares nothing matches nothing')
  t.is(index.size, 2)
})

test('updates and removals in any order keep the index equal to a full scan', (t) => {
  const labels = ['TS', 'Rust', 'hiking', 'Hikes', 'chess', 'honesty', 'ML', 'machine learning', 'poetry']
  const kinds = ['skill', 'interest', 'value', 'seeking', 'project'] as const
  const facet = fc.record({
    kind: fc.constantFrom(...kinds),
    label: fc.constantFrom(...labels),
    level: fc.integer({ min: 1, max: 5 })
  })
  const operation = fc.oneof(
    fc.record({ op: fc.constant('upsert' as const), n: fc.integer({ min: 1, max: 12 }), facets: fc.array(facet) }),
    fc.record({ op: fc.constant('remove' as const), n: fc.integer({ min: 1, max: 12 }) })
  )
  fc.assert(
    fc.property(fc.array(operation, { minLength: 1, maxLength: 60 }), (operations) => {
      const index = new MatchIndex()
      for (const o of operations) {
        if (o.op === 'remove') index.remove(key(o.n))
        else
          index.upsert(
            member(
              o.n,
              o.facets.map((f) =>
                f.kind === 'project' ? { kind: f.kind, label: `${f.label} tool`, text: `about ${labels.join(' ')}` } : f
              )
            )
          )
      }
      for (let n = 1; n <= 12; n++) {
        if (!index.has(key(n))) continue
        const options = { limit: 5, weights: n % 2 ? {} : { values: 3, interests: 0.5 } }
        const found = index.matches(key(n), options)
        if (JSON.stringify(found) !== JSON.stringify(index.matchesByScan(key(n), options))) return false
        if (found.some((r) => Math.abs(sumOf(r) - r.score) > 1e-9 || r.member === key(n))) return false
      }
      return true
    }),
    { numRuns: 150, seed: 42 }
  )
  t.pass('150 random histories')
})

test('weights change the ranking, and a zero weight turns a component off', (t) => {
  const index = indexOf(
    member(1, [seeking('Rust'), value('Honesty'), value('Privacy'), value('Courage')]),
    member(2, [skill('Rust', 5)]),
    member(3, [value('honesty'), value('privacy'), value('courage')])
  )
  t.alike(ranked(index.matches(ME)), [key(2), key(3)], 'by default the skill answering my seeking wins')
  t.alike(ranked(index.matches(ME, { weights: { values: 5 } })), [key(3), key(2)], 'values weighed up')
  const noSkills = index.matches(ME, { weights: { skills: 0 } })
  t.alike(ranked(noSkills), [key(3)])
  t.ok(
    noSkills.every((r) => r.items.every((i) => i.component !== 'skills')),
    'no item of a switched-off component'
  )
})

test('projects match people by their description against interests and seeking', (t) => {
  const index = indexOf(
    member(1, [interest('Birdwatching'), seeking('ML'), { kind: 'project', label: 'My own thing', text: 'ML' }]),
    member(
      2,
      [
        {
          kind: 'project',
          label: 'Dawn chorus',
          text: 'Recognising bird calls with machine learning, for birdwatching clubs.'
        },
        { kind: 'project', label: 'Quilts', text: 'A pattern library for quilting.' }
      ],
      'Bea'
    )
  )
  const results = index.matches(ME, { kinds: ['project'] })
  t.is(results.length, 1, 'only the project about my interests; never my own')
  const [project] = results as [MatchResult]
  t.is(project.kind, 'project')
  t.is(project.project, 'Dawn chorus')
  t.is(project.member, key(2))
  t.is(project.name, 'Bea')
  t.alike(
    project.items.map((i) => [i.component, i.term, i.mine.kind, i.mine.label, i.theirs.kind, i.theirs.label]),
    [
      ['interests', 'birdwatching', 'interest', 'Birdwatching', 'project', 'Dawn chorus'],
      ['skills', 'machine learning', 'seeking', 'ML', 'project', 'Dawn chorus']
    ]
  )
  t.is(project.score, sumOf(project))
  t.alike(index.matches(ME, { kinds: ['member'] }), [], 'no member shares a facet with me')
})

/** A stand-in for a local model: words hashed into 64 buckets. Deterministic, and knows nothing of meaning. */
const hashingEmbedder: Embedder = {
  async embed(text: string) {
    const vector = new Float32Array(64)
    for (const word of text.toLowerCase().split(/[^a-z]+/)) {
      if (word.length < 3) continue
      let h = 2166136261
      for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619)
      vector[(h >>> 0) % 64] = (vector[(h >>> 0) % 64] as number) + 1
    }
    return vector
  }
}

test('semantic hook: with embeddings, a description close to my interest matches without a shared term', async (t) => {
  const me = member(1, [interest('bird song recordings'), interest('pottery')])
  const owner = member(2, [
    { kind: 'project', label: 'Dawn chorus', text: 'Recording bird song at dawn in city parks' },
    { kind: 'project', label: 'Spreadsheets', text: 'Quarterly accounting templates' }
  ])
  t.alike(indexOf(me, owner).matches(ME), [], 'no shared term: the built-in path finds nothing')

  const index = new MatchIndex()
  for (const profile of [me, owner]) index.upsert(profile, await embedProfile(hashingEmbedder, profile))
  const results = index.matches(ME)
  t.is(results.length, 1, 'only the similar description')
  const [project] = results as [MatchResult]
  t.is(project.project, 'Dawn chorus')
  const item = project.items[0]
  t.is(item?.component, 'semantic')
  t.alike(item?.mine, { kind: 'interest', label: 'bird song recordings' }, 'the closest of my facets')
  t.ok((item?.raw ?? 0) >= 0.3 && (item?.raw ?? 0) <= 1, `cosine ${item?.raw}`)
  t.is(project.score, sumOf(project))
  t.alike(index.matches(ME), index.matchesByScan(ME), 'the scan agrees')
  t.alike(index.matches(ME, { weights: { semantic: 0 } }), [], 'weight 0 turns the hook off')
  t.alike(index.matches(ME, { minSimilarity: 0.99 }), [], 'below the similarity threshold')
  t.exception(
    () => index.upsert(me, { labels: new Map([['pottery', [1, 2] as unknown as Float32Array]]), projects: new Map() }),
    /INVALID_INPUT/
  )
})

test('bad input is refused with INVALID_INPUT, and the index is left as it was', (t) => {
  const index = indexOf(member(1, [interest('chess')]), member(2, [interest('Chess')]))
  const bad: [string, unknown][] = [
    ['unknown kind', { member: key(1), facets: [{ kind: 'hobby', label: 'chess' }] }],
    ['empty label', { member: key(1), facets: [{ kind: 'interest', label: '' }] }],
    ['label without letters', { member: key(1), facets: [{ kind: 'interest', label: ' -- ' }] }],
    ['level 0', { member: key(1), facets: [{ kind: 'skill', label: 'Go', level: 0 }] }],
    ['level 6', { member: key(1), facets: [{ kind: 'skill', label: 'Go', level: 6 }] }],
    ['level 2.5', { member: key(1), facets: [{ kind: 'skill', label: 'Go', level: 2.5 }] }],
    ['member not a key', { member: 'alice', facets: [] }],
    ['upper-case key', { member: key(1).toUpperCase().replace(/0/g, 'A'), facets: [] }],
    ['unknown field', { member: key(1), facets: [], extra: 1 }],
    ['facets missing', { member: key(1) }],
    ['not an object', 'chess']
  ]
  for (const [what, input] of bad) {
    try {
      index.upsert(input as MemberProfile)
      t.fail(`${what} was accepted`)
    } catch (err) {
      t.ok(CosmicError.is(err, 'INVALID_INPUT'), `${what}: ${(err as Error).message}`)
    }
  }
  t.is(index.matches(ME)[0]?.member, key(2), 'the refused upserts changed nothing')

  const badQueries: [string, object][] = [
    ['negative weight', { weights: { skills: -1 } }],
    ['NaN weight', { weights: { values: Number.NaN } }],
    ['unknown weight', { weights: { charm: 1 } }],
    ['limit 0', { limit: 0 }],
    ['limit too high', { limit: 1001 }],
    ['fractional limit', { limit: 2.5 }],
    ['unknown kind', { kinds: ['group'] }],
    ['similarity out of range', { minSimilarity: 2 }]
  ]
  for (const [what, options] of badQueries) {
    t.exception(() => index.matches(ME, options), /INVALID_INPUT/, what)
  }
  try {
    index.matches(key(99))
    t.fail('an unknown member was answered')
  } catch (err) {
    t.ok(CosmicError.is(err, 'NOT_FOUND'), 'a member with no profile here: NOT_FOUND')
  }
})
