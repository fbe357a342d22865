import test from 'brittle'
import createTestnet from 'hyperdht/testnet.js'
import { type CommandContext, silentProgress } from '../src/commands/command.js'
import { type MatchesInput, type MatchesOutput, sphereFeedback, sphereMatches } from '../src/commands/match.js'
import { listFeedback } from '../src/projections/feedback.js'
import { FeedbackModel, type MatchResult } from '../src/swarm/match/index.js'
import type { FacetItem, MemberRecord } from '../src/swarm/sphere.js'
import { matchIndexFromView, profilesFromView } from '../src/swarm/sphere-matches.js'
import { Spheres } from '../src/swarm/spheres.js'
import { allowNetwork, createHome, runCli } from './helpers/home.js'
import { messageOf, until } from './helpers/wait.js'

type T = test.Test

type Facet = readonly [dimension: 'mind' | 'heart', facet: string, key: string, level?: number]

/** A home online on the testnet, with these facets in its profile (shareable). */
async function peer(t: T, name: string, bootstrap: { host: string; port: number }[], facets: readonly Facet[]) {
  const { home } = await createHome(t, { name })
  await allowNetwork(home)
  await home.append(
    facets.map(([dimension, facet, key, level]) => ({
      type: 'profile.set' as const,
      body: { dimension, facet: facet as 'skill', key, ...(level ? { level } : {}) },
      privacy: 'shareable' as const
    }))
  )
  const spheres = await Spheres.open(home, { bootstrap, host: '127.0.0.1', pairingPoll: 1000 })
  t.teardown(() => spheres.close(), { order: -2 })
  const ctx: CommandContext = { home, progress: silentProgress, spheres: async () => spheres }
  const share = async (sphere: string) => {
    for (const [dimension, facet, key] of facets) await spheres.shareFacet(sphere, `${dimension}/${facet}/${key}`)
  }
  return { home, spheres, ctx, share }
}

const sum = (r: MatchResult) => r.items.reduce((s, i) => s + i.contribution, 0)

const ADA = 'a'.repeat(64)
const BEN = 'b'.repeat(64)
const GONE = 'c'.repeat(64)

function record(member: string, name: string): MemberRecord {
  return { member, name, admin: false, writers: [member], peers: [], since: 1, addedBy: ADA }
}

function item(member: string, dimension: string, facet: string, key: string, more: Partial<FacetItem> = {}): FacetItem {
  return { id: `${member.slice(0, 2)}${key}`, member, time: 1, dimension, facet, key, ...more }
}

test('profiles from a sphere view: matchable facets of current members only, level on skills, value as project text', (t) => {
  const members = [record(ADA, 'Ada'), record(BEN, 'Ben')]
  const facets = [
    item(ADA, 'mind', 'seeking', 'TS', { level: 2 }),
    item(ADA, 'heart', 'emotion', 'joy'),
    item(ADA, 'mind', 'interest', '!!!'),
    item(BEN, 'mind', 'skill', 'TypeScript', { level: 4, value: 'since 2016' }),
    item(BEN, 'mind', 'project', 'Old maps', { value: 'Georeferencing medieval maps' }),
    item(GONE, 'mind', 'skill', 'Rust', { level: 5 })
  ]
  t.alike(profilesFromView(members, facets), [
    { member: ADA, name: 'Ada', facets: [{ kind: 'seeking', label: 'TS' }] },
    {
      member: BEN,
      name: 'Ben',
      facets: [
        { kind: 'skill', label: 'TypeScript', level: 4 },
        { kind: 'project', label: 'Old maps', text: 'Georeferencing medieval maps' }
      ]
    }
  ])
  t.alike(
    profilesFromView([record(ADA, 'Ada')], [item(ADA, 'heart', 'emotion', 'joy')]),
    [],
    'nothing matchable: no profile'
  )

  const index = matchIndexFromView(members, facets)
  t.is(index.size, 2)
  t.absent(index.has(GONE), 'a facet of someone who is not a member is not indexed')
  const [best] = index.matches(ADA, { kinds: ['member'] })
  t.alike(index.explainMember(ADA, BEN), best, 'explainMember is the result matches gives')
  t.is(index.explainMember(BEN, ADA).score, 0.8 * 1.5, 'and the other way round')
})

test('matching in a sphere of three homes: ranking, explanations, unshare, leave, feedback, errors', async (t) => {
  t.timeout(170_000)
  const testnet = await createTestnet(3, { host: '127.0.0.1', teardown: t.teardown })
  // Ada seeks TS; Ben has TypeScript (complementary); Cy shares two of Ada's interests.
  const a = await peer(t, 'Ada', testnet.bootstrap, [
    ['mind', 'seeking', 'TS'],
    ['mind', 'skill', 'Rust', 5],
    ['mind', 'interest', 'climbing'],
    ['mind', 'interest', 'pottery']
  ])
  const b = await peer(t, 'Ben', testnet.bootstrap, [
    ['mind', 'skill', 'TypeScript', 4],
    ['mind', 'interest', 'Climbing']
  ])
  const c = await peer(t, 'Cy', testnet.bootstrap, [
    ['mind', 'interest', 'climbing'],
    ['mind', 'interest', 'Pottery'],
    ['heart', 'value', 'honesty']
  ])

  const created = await a.spheres.create('Makers')
  const key = created.key
  await a.spheres.startNetwork()
  await b.spheres.join((await a.spheres.invite(key)).code, { timeout: 60_000 })
  await c.spheres.join((await a.spheres.invite(key)).code, { timeout: 60_000 })
  await a.share(key)
  await b.share(key)
  await c.share(key)

  const { sphere: onA } = await a.spheres.get(key)
  await until(async () => {
    await onA.update()
    return (await onA.members()).length === 3 && (await onA.facets()).length === 9
  }, "A to see every member's facets")

  const matches = (input: Omit<MatchesInput, 'sphere'> = {}) => sphereMatches.run(a.ctx, { sphere: key, ...input })
  const first = await matches()
  t.is(first.for.name, 'Ada')
  t.is(first.profiles, 3)
  t.is(first.feedback, 0)
  t.alike(
    first.results.map((r) => r.name),
    ['Ben', 'Cy'],
    'the complementary member first'
  )
  const ben = first.results[0] as MatchResult
  const cy = first.results[1] as MatchResult
  const ts = ben.items.find((i) => i.component === 'skills')
  t.ok(ts, 'a skills item')
  t.is(ts?.term, 'typescript')
  t.is(ts?.mine.label, 'TS', 'my seeking as I wrote it')
  t.is(ts?.theirs.label, 'TypeScript', '"TS" met "TypeScript"')
  t.is(ts?.theirs.level, 4)
  for (const r of first.results) t.is(sum(r), r.score, `${r.name}: the contributions add up to the score`)
  t.ok(
    cy.items.some((i) => i.component === 'interests' && i.term === 'pottery'),
    'pottery and Pottery meet'
  )
  const text = sphereMatches.render(first)
  t.ok(/Ben \d\.\d\d — .*they have what you seek: TypeScript L4 \(1\.20\)/.test(text), text)

  // From Ben's side, on Ada's device.
  const forBen = await matches({ for: 'Ben' })
  t.is(forBen.for.name, 'Ben')
  t.is(forBen.results[0]?.name, 'Ada')

  // Bad input: clear errors.
  t.ok((await messageOf(matches({ limit: 0 }))).startsWith('INVALID_INPUT: --limit must be'), 'limit 0')
  t.ok((await messageOf(matches({ limit: 1001 }))).startsWith('INVALID_INPUT'), 'limit 1001')
  t.ok((await messageOf(matches({ for: 'Nobody' }))).startsWith('NOT_FOUND: no member "Nobody"'), 'unknown --for')
  t.ok((await messageOf(sphereMatches.run(a.ctx, { sphere: 'Nowhere' }))).startsWith('NOT_FOUND'), 'unknown sphere')
  const feedback = (member: string, helpful: boolean) => sphereFeedback.run(a.ctx, { sphere: key, member, helpful })
  t.ok((await messageOf(feedback('Nobody', true))).startsWith('NOT_FOUND: no member "Nobody"'), 'unknown member')
  t.ok((await messageOf(feedback('Ada', true))).startsWith('INVALID_INPUT'), 'feedback on oneself')
  t.ok(
    (await messageOf(sphereFeedback.run(a.ctx, { sphere: key, member: 'Ben', helpful: 'yes' as never }))).startsWith(
      'INVALID_INPUT'
    ),
    'helpful must be a boolean'
  )
  t.is(listFeedback(a.home.readModel.db).length, 0, 'a refused feedback records nothing')

  // Feedback: Ben was not helpful, Cy was, until Cy ranks first; the weights are the model's.
  let ranked: MatchesOutput = first
  let pairs = 0
  while (ranked.results[0]?.name !== 'Cy' && pairs < 40) {
    const noted = await feedback('Ben', false)
    t.alike(noted.components, ben.components, 'feedback records the components the match had')
    await feedback('Cy', true)
    pairs++
    ranked = await matches({ explain: true })
  }
  t.is(ranked.results[0]?.name, 'Cy', `feedback re-ranked the matches after ${pairs} pairs`)
  const rows = listFeedback(a.home.readModel.db)
  t.is(rows.length, pairs * 2)
  t.ok(
    rows.every((r) => r.sphere === key),
    'every event names the sphere'
  )
  const refit = FeedbackModel.fromEvents(
    rows.map((r) => ({ member: r.member, helpful: r.helpful, components: r.components }))
  )
  t.alike(ranked.weights, refit.weights(), 'the ranking weights are the model refitted from the journal, bit for bit')
  t.is(ranked.model?.events, pairs * 2)
  t.ok((ranked.model?.adjustments.skills ?? 0) < 0, 'skills weigh less after "not helpful" on a skills match')
  for (const r of ranked.results) t.is(sum(r), r.score, 'explanations still add up under learned weights')
  t.ok(/Weights: interests .* \(chosen 2, learned [+-]\d/.test(sphereMatches.render(ranked)), '--explain shows weights')
  t.alike((await matches()).results, ranked.results, 'the same events, the same ranking')

  // Ben withdraws TypeScript: it stops matching on every device.
  await b.spheres.unshare('mind/skill/TypeScript')
  await until(async () => {
    await onA.update()
    return (await onA.facets()).length === 8
  }, 'A to drop the withdrawn facet')
  const afterUnshare = await matches()
  const benNow = afterUnshare.results.find((r) => r.name === 'Ben')
  t.ok(benNow, 'Ben still shares an interest')
  t.absent(
    benNow?.items.find((i) => i.term === 'typescript'),
    'the withdrawn skill no longer matches'
  )

  // Cy leaves: gone from the results, and feedback about Cy is refused.
  await c.spheres.leave(key)
  await until(async () => {
    await onA.update()
    return (await onA.members()).length === 2
  }, 'A to see Cy leave')
  const afterLeave = await matches()
  t.alike(
    afterLeave.results.map((r) => r.name),
    ['Ben'],
    'a member who left disappears'
  )
  t.ok((await messageOf(feedback('Cy', true))).startsWith('NOT_FOUND'), 'no feedback on a member who left')
})

test('cosmic sphere matches / feedback from the CLI: text, JSON, exit codes', async (t) => {
  t.timeout(120_000)
  const home = `${await t.tmp()}/home`
  const cli = (...args: string[]) => runCli(['--home', home, ...args])
  t.is((await cli('init', '--name', 'Ada')).code, 0)
  t.is((await cli('sphere', 'create', 'Solo')).code, 0)
  t.is((await cli('profile', 'set', 'mind', 'skill', 'typescript', '--level', '4', '--shareable')).code, 0)

  const before = await cli('sphere', 'matches', 'Solo')
  t.is(before.code, 2)
  t.ok(before.stderr.includes('NOT_FOUND: you have shared no skill'), before.stderr)

  t.is((await cli('share', '--sphere', 'Solo', '--facet', 'mind/skill/typescript')).code, 0)
  const text = await cli('sphere', 'matches', 'Solo', '--explain')
  t.is(text.code, 0, text.stderr)
  t.ok(text.stdout.includes('Matches for Ada in Solo (1 member shared a profile; default weights)'), text.stdout)
  t.ok(text.stdout.includes('No feedback yet'), text.stdout)
  const json = await cli('--json', 'sphere', 'matches', 'Solo', '--limit', '5')
  t.is(json.code, 0)
  const parsed = JSON.parse(json.stdout) as MatchesOutput
  t.alike(parsed.results, [])
  t.is(parsed.weights.interests, 2)

  const limit = await cli('sphere', 'matches', 'Solo', '--limit', '0')
  t.is(limit.code, 2)
  t.ok(limit.stderr.includes('INVALID_INPUT: --limit must be a whole number from 1 to 1000'), limit.stderr)
  const both = await cli('sphere', 'feedback', 'Solo', 'Ada', '--helpful', '--not-helpful')
  t.is(both.code, 2)
  t.ok(both.stderr.includes('INVALID_INPUT: say either --helpful or --not-helpful'), both.stderr)
  const nobody = await cli('sphere', 'feedback', 'Solo', 'Nobody', '--helpful')
  t.is(nobody.code, 2)
  t.ok(nobody.stderr.includes('NOT_FOUND: no member "Nobody"'), nobody.stderr)
})
