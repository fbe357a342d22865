import { join } from 'node:path'
import test from 'brittle'
import fc from 'fast-check'
import { type CommandContext, silentProgress } from '../src/commands/command.js'
import {
  evolutionCommand,
  graphCommand,
  graphToDot,
  parseTime,
  patternsCommand,
  tensionShow,
  timelineCommand
} from '../src/commands/history.js'
import { amend, reflect, retract } from '../src/commands/journal.js'
import { profileRemove, profileSet } from '../src/commands/profile.js'
import { tensionAdd, tensionResolve, tensionShift } from '../src/commands/tension.js'
import { CosmicError } from '../src/errors.js'
import { buildScaledHome } from '../src/fixtures/scale.js'
import { weekOf } from '../src/projections/patterns.js'
import {
  ftsQuery,
  type IdentityGraph,
  identityGraph,
  patterns,
  TIMELINE_TYPES,
  type TimelineQuery,
  timeline
} from '../src/projections/queries.js'
import { workerSettings } from '../src/store/envelope-worker.js'
import { Home } from '../src/store/home.js'
import { dumpReadModel, readModelAsOf, rebuild } from '../src/store/replay.js'
import { createHome, PASSPHRASE } from './helpers/home.js'
import { operation, perform } from './helpers/ops.js'
import { codeOf } from './helpers/wait.js'

const DAY = 86_400_000
/** Monday 7 January 2030, 09:00 UTC: after the real time a test home's identity.created gets. */
const START = Date.UTC(2030, 0, 7, 9)

/** A home whose clock we move by hand, and the command context over it. */
async function given(t: test.Test) {
  const { home } = await createHome(t)
  let now = START
  home.journal.clock = () => now
  const ctx: CommandContext = { home, progress: silentProgress }
  return {
    home,
    ctx,
    at(time: number) {
      now = time
    },
    day(n: number) {
      now = START + n * DAY
    }
  }
}

const hasNode = (g: IdentityGraph, id: string) => g.nodes.some((n) => n.id === id)
const edge = (g: IdentityGraph, source: string, target: string, kind: string) =>
  g.edges.find((e) => e.source === source && e.target === target && e.kind === kind)

test('timeline: newest first, by type, tag, dimension and time range, with current text', async (t) => {
  const { ctx, day } = await given(t)
  day(0)
  const first = await reflect.run(ctx, { text: 'Rent is due and I am scared', tags: ['money'], mood: 'anxious' })
  day(1)
  await tensionAdd.run(ctx, { name: 'money: scarcity vs control', poles: ['scarcity', 'control'], domain: 'money' })
  day(2)
  await reflect.run(ctx, { text: 'A long run by the river', tags: ['running'], mood: 'calm', dimension: 'body' })
  day(3)
  const gone = await reflect.run(ctx, { text: 'Something I will take back', tags: ['money'] })
  day(4)
  await amend.run(ctx, { id: first.id, text: 'Rent is paid, relief' })
  await retract.run(ctx, { id: gone.id })

  const all = await timelineCommand.run(ctx, {})
  t.alike(
    all.items.map((i) => i.type),
    ['reflection.recorded', 'tension.noted', 'reflection.recorded'],
    'entries and tension moments, newest first; the retracted entry is gone'
  )
  const oldest = all.items[2]
  t.is(oldest?.kind === 'entry' && oldest.entry.text, 'Rent is paid, relief', 'amended text replaces')
  t.is(oldest?.kind === 'entry' && oldest.entry.amendments, 1)

  const tagged = await timelineCommand.run(ctx, { tag: '#Money' })
  t.is(tagged.items.length, 1, 'by tag (normalised), entries only')
  const body = await timelineCommand.run(ctx, { dimension: 'body' })
  t.is(body.items.length, 1, 'by dimension')
  t.is(body.items[0]?.kind === 'entry' && body.items[0].entry.text, 'A long run by the river')
  const tensions = await timelineCommand.run(ctx, { type: 'tension' })
  t.alike(
    tensions.items.map((i) => i.type),
    ['tension.noted'],
    'by type (a stream name)'
  )
  const entries = await timelineCommand.run(ctx, { type: ['reflection'] })
  t.is(entries.items.length, 2)
  const range = await timelineCommand.run(ctx, { from: START + DAY, to: START + 2 * DAY + 1 })
  t.is(range.items.length, 2, 'by time range (inclusive)')
  t.is(await codeOf(timelineCommand.run(ctx, { type: 'mood' })), 'INVALID_INPUT', 'an unknown type is bad input')
  t.is(await codeOf(timelineCommand.run(ctx, { from: 'yesterday' })), 'INVALID_INPUT', 'a bad date is bad input')
})

test('timeline: search is ranked, highlighted, over current text only', async (t) => {
  const { ctx, day } = await given(t)
  day(0)
  const once = await reflect.run(ctx, { text: 'The garden needs water', tags: [] })
  day(1)
  const twice = await reflect.run(ctx, { text: 'Water, water everywhere: the garden is a lake', tags: ['garden'] })
  day(2)
  const amended = await reflect.run(ctx, { text: 'I wrote about the ocean', tags: [] })
  await amend.run(ctx, { id: amended.id, text: 'I wrote about the desert' })
  const retracted = await reflect.run(ctx, { text: 'Secret water thoughts', tags: [] })
  await retract.run(ctx, { id: retracted.id })

  const found = await timelineCommand.run(ctx, { search: 'water' })
  t.alike(
    found.items.map((i) => i.kind === 'entry' && i.entry.id),
    [twice.id, once.id],
    'bm25: the entry that says it twice first; the retracted one is gone'
  )
  const best = found.items[0]
  t.ok(best?.kind === 'entry' && best.entry.snippet?.includes('«Water»'), 'snippet highlights the match')
  t.is((await timelineCommand.run(ctx, { search: 'ocean' })).items.length, 0, 'amended-away words are not found')
  t.is((await timelineCommand.run(ctx, { search: 'desert' })).items.length, 1, 'the current text is')
  t.is((await timelineCommand.run(ctx, { search: 'gard*' })).items.length, 2, 'prefix search')
  t.is((await timelineCommand.run(ctx, { search: '"garden is a lake"' })).items.length, 1, 'phrase search')
  t.is((await timelineCommand.run(ctx, { search: 'desert OR lake' })).items.length, 2, 'OR')
  t.is((await timelineCommand.run(ctx, { search: 'water', tag: 'garden' })).items.length, 1, 'search with a tag filter')

  for (const bad of [
    'AND',
    '"',
    '(',
    'NEAR(a b',
    'a OR',
    'OR OR',
    '*',
    'col:umn',
    '^start',
    'a AND (b',
    '-',
    '""',
    "'"
  ]) {
    const code = await codeOf(timelineCommand.run(ctx, { search: bad }))
    t.ok(code === 'no error' || code === 'INVALID_INPUT', `search ${JSON.stringify(bad)}: ${code}`)
  }
  await fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (input) => {
      try {
        timeline(ctx.home.readModel.db, { search: input })
      } catch (err) {
        if (!CosmicError.is(err, 'INVALID_INPUT')) throw err
      }
    }),
    { numRuns: 300 }
  )
  t.pass('300 random search strings: results or INVALID_INPUT, never a crash')
  t.is(ftsQuery('say "hi" there*'), '"say" "hi" "there"*')
})

test('timeline: a filtered search is the unfiltered one, filtered (time range, tag, dimension)', async (t) => {
  const { ctx, day } = await given(t)
  const dims = ['mind', 'heart', 'body', undefined] as const
  for (let i = 0; i < 24; i++) {
    day(i)
    const dimension = dims[i % 4]
    await reflect.run(ctx, {
      text: `river ${'stone '.repeat(i % 5)}day ${i}`,
      tags: i % 3 === 0 ? ['walk'] : ['home'],
      ...(dimension ? { dimension } : {})
    })
  }
  const all = (await timelineCommand.run(ctx, { search: 'river', limit: 100 })).items
  t.is(all.length, 24)
  const entries = all.flatMap((i) => (i.kind === 'entry' ? [i.entry] : []))
  const from = START + 5 * DAY
  const to = START + 17 * DAY
  const cases = [
    { filter: { from, to }, keep: (e: (typeof entries)[number]) => e.time >= from && e.time <= to },
    { filter: { tag: 'walk' }, keep: (e: (typeof entries)[number]) => e.tags.includes('walk') },
    { filter: { dimension: 'heart' as const }, keep: (e: (typeof entries)[number]) => e.dimension === 'heart' },
    {
      filter: { from, dimension: 'body' as const, tag: 'home' },
      keep: (e: (typeof entries)[number]) => e.time >= from && e.dimension === 'body' && e.tags.includes('home')
    }
  ]
  for (const { filter, keep } of cases) {
    const got = (await timelineCommand.run(ctx, { search: 'river', limit: 100, ...filter })).items.map((i) => i.seq)
    t.alike(
      got,
      entries.filter(keep).map((e) => e.seq),
      JSON.stringify(filter)
    )
  }
  t.is((await timelineCommand.run(ctx, { search: 'river', from: START + 40 * DAY })).items.length, 0, 'nothing after')
  t.is((await timelineCommand.run(ctx, { search: 'river', to: START - DAY })).items.length, 0, 'nothing before')
})

test('timeline: pages with an opaque cursor cover everything exactly once', async (t) => {
  const { ctx, day } = await given(t)
  for (let i = 0; i < 13; i++) {
    day(i)
    await reflect.run(ctx, { text: `day ${i} walking`, tags: ['walk'] })
    if (i % 4 === 0) await tensionAdd.run(ctx, { name: `tension ${i}`, poles: ['a', 'b'] })
  }
  for (const query of [{}, { search: 'walking' }, { tag: 'walk' }]) {
    const seen: number[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = await timelineCommand.run(ctx, { ...query, limit: 5, ...(cursor ? { cursor } : {}) })
      seen.push(...page.items.map((i) => i.seq))
      cursor = page.next ?? undefined
      pages++
    } while (cursor && pages < 20)
    const expected = Object.keys(query).length === 0 ? 17 : 13 // 13 entries, and 4 tension moments unfiltered
    t.is(seen.length, expected, `${JSON.stringify(query)}: every item`)
    t.is(new Set(seen).size, seen.length, `${JSON.stringify(query)}: none twice`)
  }
  t.is(await codeOf(timelineCommand.run(ctx, { cursor: 'not-a-cursor' })), 'INVALID_INPUT')
  t.is(await codeOf(timelineCommand.run(ctx, { limit: 0 })), 'INVALID_INPUT')
})

test('timeline: pages are the whole ordered history, cut where the cursor says (scaled home, every filter)', async (t) => {
  const home = await buildScaledHome(join(await t.tmp(), 'scaled'), 1500, { passphrase: 'scale passphrase' })
  t.teardown(() => home.close())
  const db = home.readModel.db
  // The reference: every entry and tension moment read whole, filtered and sorted in JavaScript.
  const entryRows = db.prepare('SELECT seq, time, dimension, text, tags FROM entries').all() as {
    seq: number
    time: number
    dimension: string | null
    text: string
    tags: string
  }[]
  const momentRows = db.prepare('SELECT seq, time, kind, intensity FROM tension_series').all() as {
    seq: number
    time: number
    kind: string
    intensity: number
  }[]
  const mirrorCounts = new Map(
    (
      db.prepare("SELECT entry, count(*) AS n FROM entry_events WHERE kind = 'mirrorback' GROUP BY entry").all() as {
        entry: number
        n: number
      }[]
    ).map((r) => [r.entry, r.n])
  )
  t.ok(momentRows.length > 20 && entryRows.length > 500, `${entryRows.length} entries, ${momentRows.length} moments`)
  const times = entryRows.map((e) => e.time).sort((a, b) => a - b)
  const from = times[Math.floor(times.length / 4)] as number
  const to = times[Math.floor((times.length * 3) / 4)] as number
  const queries: TimelineQuery[] = [
    {},
    { types: ['tension.shifted', 'tension.resolved'] },
    { types: ['reflection.recorded', 'tension.noted'] },
    { types: ['tension.noted', 'tension.shifted', 'tension.resolved'] },
    { from, to },
    { from },
    { to, types: ['reflection.recorded', 'tension.shifted'] },
    { dimension: 'heart' }
  ]
  for (const query of queries) {
    const types = new Set<string>(query.types ?? TIMELINE_TYPES)
    const inRange = (time: number) =>
      (query.from === undefined || time >= query.from) && (query.to === undefined || time <= query.to)
    const expected = [
      ...(types.has('reflection.recorded')
        ? entryRows
            .filter((e) => inRange(e.time) && (query.dimension === undefined || e.dimension === query.dimension))
            .map((e) => ({ seq: e.seq, time: e.time }))
        : []),
      ...(query.dimension === undefined
        ? momentRows.filter((m) => types.has(`tension.${m.kind}`) && inRange(m.time))
        : []
      ).map((m) => ({ seq: m.seq, time: m.time }))
    ]
      .sort((a, b) => b.time - a.time || b.seq - a.seq)
      .map((i) => i.seq)
    for (const limit of [1, 7, 50]) {
      const seen: number[] = []
      let cursor: string | undefined
      let pages = 0
      let checked = true
      do {
        const page = timeline(db, { ...query, limit, ...(cursor ? { cursor } : {}) })
        t.ok(page.items.length <= limit)
        for (const item of page.items) {
          seen.push(item.seq)
          if (item.kind === 'entry') {
            const row = entryRows.find((e) => e.seq === item.seq)
            checked &&= row !== undefined && row.text === item.entry.text && row.time === item.time
            checked &&= item.entry.mirrorbacks.length === (mirrorCounts.get(item.seq) ?? 0)
            checked &&= item.entry.mirrorbacks.every((m) => m.seq > item.seq && m.engine.kind.length > 0)
          } else {
            const row = momentRows.find((m) => m.seq === item.seq)
            checked &&= row !== undefined && row.kind === item.tension.kind && row.intensity === item.tension.intensity
            checked &&= item.type === `tension.${item.tension.kind}` && item.tension.poles.length === 2
          }
        }
        cursor = page.next ?? undefined
        pages++
      } while (cursor && pages <= expected.length + 1)
      t.alike(seen, expected, `${JSON.stringify(query)}, pages of ${limit}: every item once, in order`)
      t.ok(checked, `${JSON.stringify(query)}, pages of ${limit}: each item's row, mirrorbacks and moment`)
    }
  }
})

test('timeline: a search ranks its matches in windows, newest first; paging reaches every match once', async (t) => {
  const { ctx, day } = await given(t)
  for (let i = 0; i < 40; i++) {
    day(i)
    // Some entries say "river" more than once: they rank higher within a window.
    await reflect.run(ctx, { text: `river ${'river '.repeat(i % 4)}day ${i}`, tags: i % 2 === 0 ? ['walk'] : [] })
  }
  const db = ctx.home.readModel.db
  const score = (window: number, query: TimelineQuery = {}) => {
    const seen: { seq: number; score: number }[] = []
    let cursor: string | undefined
    do {
      const page = timeline(db, {
        search: 'river',
        limit: 3,
        rankWindow: window,
        ...query,
        ...(cursor ? { cursor } : {})
      })
      for (const i of page.items) if (i.kind === 'entry') seen.push({ seq: i.seq, score: i.entry.score as number })
      cursor = page.next ?? undefined
    } while (cursor && seen.length <= 40)
    return seen
  }
  const whole = score(1000)
  t.is(whole.length, 40, 'one window holds every match: ranked as a whole')
  t.ok(
    whole.every((r, i) => i === 0 || (whole[i - 1] as { score: number }).score <= r.score),
    'best first over every match'
  )
  for (const window of [1, 7, 10, 39]) {
    const got = score(window)
    t.is(got.length, 40, `windows of ${window}: every match`)
    t.is(new Set(got.map((r) => r.seq)).size, 40, `windows of ${window}: none twice`)
    // Window k holds the k-th `window` matches counted from the newest; each is ranked within itself.
    const bySeq = [...got].sort((a, b) => b.seq - a.seq)
    const expected = []
    for (let k = 0; k < 40; k += window) {
      expected.push(...bySeq.slice(k, k + window).sort((a, b) => a.score - b.score || b.seq - a.seq))
    }
    t.alike(got, expected, `windows of ${window}: newest window first, best first within each`)
  }
  const walks = score(7, { tag: 'walk' })
  const allWalks = timeline(db, { search: 'river', tag: 'walk', limit: 500 }).items.map((i) => i.seq)
  t.is(allWalks.length, 20)
  t.alike(
    walks.map((r) => r.seq).sort((a, b) => a - b),
    allWalks.sort((a, b) => a - b),
    'a filter applies within every window: every tagged match, once'
  )
})

test('timeline: mirrorbacks sit under their entries and go with them', async (t) => {
  const { home, ctx } = await given(t)
  const entry = await reflect.run(ctx, { text: 'I keep saying yes to everyone', tags: ['boundaries'] })
  await home.append([
    {
      type: 'mirrorback.generated',
      body: {
        ref: entry.id,
        text: 'You notice how often yes comes before you have asked yourself.',
        themes: ['boundaries'],
        engine: { kind: 'builtin', model: 'lexicon-1', promptHash: '0'.repeat(64) }
      }
    }
  ])
  const page = await timelineCommand.run(ctx, {})
  const item = page.items[0]
  t.is(item?.kind === 'entry' && item.entry.mirrorbacks.length, 1)
  t.ok(timelineCommand.render(page).includes('↳ mirror (builtin): You notice'), 'rendered under the entry')
  await retract.run(ctx, { id: entry.id })
  t.is((await timelineCommand.run(ctx, {})).items.length, 0)
  t.is((home.readModel.db.prepare('SELECT count(*) AS n FROM mirrorbacks').get() as { n: number }).n, 0)
})

test('graph: profile facets, themes, moods, co-occurrence, tensions and domains', async (t) => {
  const { ctx, day } = await given(t)
  day(0)
  await profileSet.run(ctx, { dimension: 'heart', facet: 'value', key: 'honesty' })
  await profileSet.run(ctx, { dimension: 'mind', facet: 'skill', key: 'typescript', level: 4 })
  await profileSet.run(ctx, { dimension: 'heart', facet: 'relationship', key: 'Sam', value: 'brother' })
  await profileSet.run(ctx, { dimension: 'body', facet: 'health', key: 'sleep' })
  day(1)
  await reflect.run(ctx, { text: 'a', tags: ['money', 'work'], mood: 'Anxious', dimension: 'heart' })
  day(2)
  const second = await reflect.run(ctx, { text: 'b', tags: ['money', 'sam'], mood: 'relieved' })
  await tensionAdd.run(ctx, { name: 'Money', poles: ['scarcity', 'control'], domain: 'Money', intensity: 0.7 })

  const g = identityGraph(ctx.home.readModel.db)
  for (const id of [
    'self',
    'value:honesty',
    'skill:typescript',
    'person:Sam',
    'body:health/sleep',
    'theme:money',
    'emotion:anxious',
    'tension:money',
    'domain:money',
    'dimension:heart'
  ]) {
    t.ok(hasNode(g, id), `node ${id}`)
  }
  t.is(g.nodes.find((n) => n.id === 'self')?.label, 'Test', 'self is labelled with the name')
  t.is(g.nodes.find((n) => n.id === 'theme:money')?.weight, 2, 'a theme weighs its mentions')
  t.is(edge(g, 'self', 'skill:typescript', 'has-skill')?.weight, 0.8, 'a skill weighs its level / 5')
  t.is(edge(g, 'theme:money', 'theme:work', 'co-occurs')?.weight, 1, 'tag-tag co-occurrence')
  t.is(edge(g, 'theme:money', 'emotion:anxious', 'felt-with')?.count, 1, 'tag-mood')
  t.is(edge(g, 'theme:money', 'dimension:heart', 'in-dimension')?.weight, 1, 'tag-dimension')
  t.is(edge(g, 'tension:money', 'domain:money', 'in-domain')?.weight, 0.7, 'tension-domain, by intensity')
  t.is(edge(g, 'theme:money', 'emotion:relieved', 'felt-with')?.first, START + 2 * DAY, 'edges are time-stamped')

  const heart = identityGraph(ctx.home.readModel.db, { dimension: 'heart' })
  t.ok(
    hasNode(heart, 'value:honesty') && hasNode(heart, 'theme:work'),
    'heart: its facets and the themes of its entries'
  )
  t.absent(hasNode(heart, 'skill:typescript'), 'heart: not the mind')

  const dot = (await graphCommand.run(ctx, { format: 'dot' })).dot ?? ''
  t.ok(dot.startsWith('graph identity {') && dot.trimEnd().endsWith('}'), 'DOT output')
  t.ok(dot.includes('"theme:money" -- "theme:work"'), 'DOT edges')
  t.ok(graphToDot({ nodes: [{ ...g.nodes[0]!, label: 'say "hi"\\' }], edges: [] }).includes('"say \\"hi\\"\\\\"'))

  // Retracted and removed things stop contributing.
  await retract.run(ctx, { id: second.id })
  await profileRemove.run(ctx, { dimension: 'heart', facet: 'value', key: 'honesty' })
  const after = identityGraph(ctx.home.readModel.db)
  t.absent(hasNode(after, 'theme:sam'), 'a theme only the retracted entry named is gone')
  t.absent(hasNode(after, 'emotion:relieved'), 'its mood too')
  t.is(after.nodes.find((n) => n.id === 'theme:money')?.weight, 1, 'a shared theme loses its mention')
  t.absent(edge(after, 'theme:money', 'theme:sam', 'co-occurs'), 'and its co-occurrence')
  t.absent(hasNode(after, 'value:honesty'), 'a removed facet is gone')
})

test('graph: tensions shift, resolve and return; a facet set again keeps its first time', async (t) => {
  const { ctx, day } = await given(t)
  day(0)
  await tensionAdd.run(ctx, { name: 'rest vs drive', poles: ['rest', 'drive'], intensity: 0.5, domain: 'work' })
  await profileSet.run(ctx, { dimension: 'mind', facet: 'skill', key: 'go', level: 2 })
  day(3)
  await tensionShift.run(ctx, { id: 'rest-vs-drive', intensity: 0.9 })
  await profileSet.run(ctx, { dimension: 'mind', facet: 'skill', key: 'go', level: 5 })
  let g = identityGraph(ctx.home.readModel.db)
  t.is(g.nodes.find((n) => n.id === 'tension:rest-vs-drive')?.weight, 0.9, 'a shifted tension weighs its intensity')
  t.is(edge(g, 'tension:rest-vs-drive', 'domain:work', 'in-domain')?.last, START + 3 * DAY)
  const skill = edge(g, 'self', 'skill:go', 'has-skill')
  // (the second event at the same clock reading is nudged 1 ms later)
  t.alike([skill?.weight, skill?.first, skill?.last], [1, START + 1, START + 3 * DAY + 1], 'level 5 now, since day 0')
  await tensionResolve.run(ctx, { id: 'rest-vs-drive', insight: 'both' })
  g = identityGraph(ctx.home.readModel.db)
  t.is(g.nodes.find((n) => n.id === 'tension:rest-vs-drive')?.status, 'resolved')
  await tensionShift.run(ctx, { id: 'rest-vs-drive', intensity: 0.6 })
  g = identityGraph(ctx.home.readModel.db)
  t.is(g.nodes.find((n) => n.id === 'tension:rest-vs-drive')?.status, 'open', 'shifted again: open')
})

test('patterns: themes and moods per ISO week and month (UTC), pairs, loops', async (t) => {
  const { ctx, at } = await given(t)
  at(Date.UTC(2030, 0, 7, 9)) // Monday, 2030-W02
  await reflect.run(ctx, { text: 'a', tags: ['money', 'work'], mood: 'anxious' })
  at(Date.UTC(2030, 0, 13, 23)) // Sunday, still W02
  await reflect.run(ctx, { text: 'b', tags: ['money'], mood: 'anxious' })
  at(Date.UTC(2030, 0, 14, 1)) // Monday, W03
  const third = await reflect.run(ctx, { text: 'c', tags: ['money', 'sea'], mood: 'calm' })
  at(Date.UTC(2030, 1, 4, 9)) // February, W06
  await reflect.run(ctx, { text: 'd', tags: ['sea'] })
  await tensionAdd.run(ctx, { name: 'loop', poles: ['x', 'y'], intensity: 0.5 })
  await tensionResolve.run(ctx, { id: 'loop', insight: 'ok' })
  await tensionShift.run(ctx, { id: 'loop', intensity: 0.7 })

  const week = patterns(ctx.home.readModel.db, { window: 'week' })
  t.alike(
    week.buckets.map((b) => b.bucket),
    ['2030-W06', '2030-W03', '2030-W02'],
    'ISO weeks, newest first'
  )
  const w2 = week.buckets.find((b) => b.bucket === '2030-W02')
  t.alike(w2?.themes, [
    { key: 'money', count: 2 },
    { key: 'work', count: 1 }
  ])
  t.alike(w2?.emotions, [{ key: 'anxious', count: 2 }])
  t.is(w2?.start, Date.UTC(2030, 0, 7), 'a week starts on Monday, UTC')
  const month = patterns(ctx.home.readModel.db, { window: 'month' })
  t.alike(
    month.buckets.map((b) => [b.bucket, b.themes.find((x) => x.key === 'money')?.count ?? 0]),
    [
      ['2030-02', 0],
      ['2030-01', 3]
    ]
  )
  t.alike(week.themes[0], { key: 'money', count: 3 }, 'all-time totals')
  t.alike(week.pairs[0], { a: 'emotion:anxious', b: 'theme:money', count: 2 }, 'co-occurrence')
  t.alike(
    week.loops.map((l) => [l.id, l.loops]),
    [['loop', 1]],
    'a resolved tension that shifted again is a loop'
  )
  t.is(weekOf(Date.UTC(2027, 0, 1)), '2026-W53', 'ISO week-year edge')

  await retract.run(ctx, { id: third.id })
  const after = patterns(ctx.home.readModel.db, { window: 'week' })
  t.absent(
    after.buckets.some((b) => b.bucket === '2030-W03'),
    'a retracted entry takes its counts with it'
  )
  t.absent(
    after.pairs.some((p) => p.a === 'theme:money' && p.b === 'theme:sea'),
    'and its pairs'
  )
  t.ok(patternsCommand.render({ ...after, until: null }).includes('By week'))
})

test('tension show: the whole series and the loop count', async (t) => {
  const { ctx, day } = await given(t)
  day(0)
  await tensionAdd.run(ctx, { name: 'be seen vs hide', poles: ['seen', 'hidden'], intensity: 0.6 })
  day(1)
  await tensionShift.run(ctx, { id: 'be-seen-vs-hide', intensity: 0.1 })
  day(2)
  await tensionShift.run(ctx, { id: 'be-seen-vs-hide', intensity: 0.8, toward: 'seen' })
  day(3)
  await tensionResolve.run(ctx, { id: 'be-seen-vs-hide', insight: 'I can choose' })
  const shown = await tensionShow.run(ctx, { id: 'be-seen-vs-hide' })
  t.alike(
    shown.series.map((p) => [p.kind, p.intensity]),
    [
      ['noted', 0.6],
      ['shifted', 0.1],
      ['shifted', 0.8],
      ['resolved', 0.8]
    ]
  )
  t.is(shown.loops, 1, 'quiet, then loud again: one loop')
  t.ok(tensionShow.render(shown).includes('insight: I can choose'))
  const before = await tensionShow.run(ctx, { id: 'be-seen-vs-hide', until: START + DAY })
  t.is(before.series.length, 2, 'as of day 1')
  t.is(before.loops, 0)
  t.is(await codeOf(tensionShow.run(ctx, { id: 'nope' })), 'NOT_FOUND')
  t.is(await codeOf(tensionShow.run(ctx, { id: 'be-seen-vs-hide', until: START - 1 })), 'NOT_FOUND', 'not yet noted')
})

test('evolution: nodes, edges, tensions and themes between two times', async (t) => {
  const { ctx, day } = await given(t)
  day(0)
  await profileSet.run(ctx, { dimension: 'heart', facet: 'value', key: 'freedom' })
  await tensionAdd.run(ctx, { name: 'a', poles: ['x', 'y'], intensity: 0.5 })
  await tensionAdd.run(ctx, { name: 'b', poles: ['x', 'y'], intensity: 0.5 })
  await reflect.run(ctx, { text: 'a', tags: ['work'], mood: 'tired' })
  day(10)
  await profileRemove.run(ctx, { dimension: 'heart', facet: 'value', key: 'freedom' })
  await profileSet.run(ctx, { dimension: 'heart', facet: 'value', key: 'care' })
  await tensionShift.run(ctx, { id: 'a', intensity: 0.8 })
  await tensionResolve.run(ctx, { id: 'b', insight: 'done' })
  await tensionAdd.run(ctx, { name: 'c', poles: ['x', 'y'], intensity: 0.3 })
  await reflect.run(ctx, { text: 'b', tags: ['work', 'rest'], mood: 'tired' })

  const e = await evolutionCommand.run(ctx, { from: START + DAY, to: START + 11 * DAY })
  t.alike(e.graph.nodesAdded.map((n) => n.id).sort(), ['tension:c', 'theme:rest', 'value:care'], 'nodes added')
  t.alike(
    e.graph.nodesRemoved.map((n) => n.id),
    ['value:freedom'],
    'nodes removed'
  )
  t.ok(
    e.graph.edgesAdded.some((x) => x.source === 'theme:rest' && x.target === 'theme:work'),
    'edges added'
  )
  const change = (id: string) => e.tensions.find((x) => x.id === id)
  t.alike([change('a')?.change, change('a')?.delta], ['shifted', 0.3], 'intensity delta')
  t.is(change('b')?.change, 'resolved')
  t.is(change('c')?.change, 'new')
  t.alike(
    e.themes.find((f) => f.key === 'work'),
    { key: 'work', before: 1, after: 2, delta: 1 }
  )
  t.alike(e.emotions, [{ key: 'tired', before: 1, after: 2, delta: 1 }])
  t.ok(e.summary.some((s) => s.includes('resolved')))
  t.is(e.noted, null)

  day(12)
  await tensionShift.run(ctx, { id: 'b', intensity: 0.9 })
  const back = await evolutionCommand.run(ctx, { from: START + 11 * DAY, note: true })
  t.is(back.tensions.find((x) => x.id === 'b')?.change, 'returned', 'a resolved tension that shifts again returned')
  t.ok(back.noted && back.noted.type === 'evolution.noted', '--note records evolution.noted')
  const noted = back.noted?.body as { engine?: { kind: string }; summary: string } | undefined
  t.is(noted?.engine?.kind, 'builtin', 'the note says which engine wrote it (the built-in one by default)')
  t.is(noted?.summary, back.narrative, 'the narrative printed is the one recorded')
  t.is(await codeOf(evolutionCommand.run(ctx, { from: START + DAY, to: START })), 'INVALID_INPUT')
})

test('times: ISO dates, months, date-times and ms', (t) => {
  t.is(parseTime('1767225600000', '--x'), 1767225600000)
  t.is(parseTime(5, '--x'), 5)
  t.is(parseTime('2026-01-31', '--x'), new Date(2026, 0, 31).getTime(), 'a date starts at local midnight')
  t.is(parseTime('2026-01-31', '--x', 'end'), new Date(2026, 1, 1).getTime() - 1, 'or ends at its last ms')
  t.is(parseTime('2026-02', '--x', 'end'), new Date(2026, 2, 1).getTime() - 1, 'a month')
  t.is(parseTime('2026-01-31T18:00:00Z', '--x'), Date.UTC(2026, 0, 31, 18))
  for (const bad of ['2026-02-30', '2026-13', 'tomorrow', '-5', '']) {
    t.exception(() => parseTime(bad, '--x'), /INVALID_INPUT/, `"${bad}" is bad input`)
  }
})

/* ---------- the property: incremental application equals a rebuild from seq 0 ---------- */

/** More runs for a deeper search: PROPERTY_RUNS=200 npx brittle-node dist/test/projections.test.js */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 25)

test('property: incremental application and a rebuild from seq 0 give identical read models', {
  timeout: Math.max(180_000, RUNS * 5_000)
}, async (t) => {
  // Rebuilds decode in the worker thread, as a long one does (a short one decodes here, as appends do).
  const decodeFrom = workerSettings.decodeFrom
  workerSettings.decodeFrom = 0
  workerSettings.waitUntilLoaded = true
  t.teardown(() => {
    workerSettings.decodeFrom = decodeFrom
    workerSettings.waitUntilLoaded = false
  })
  let runs = 0
  await fc.assert(
    fc.asyncProperty(fc.array(operation, { minLength: 5, maxLength: 40 }), async (ops) => {
      const path = join(await t.tmp(), 'home')
      await Home.init(path, { passphrase: PASSPHRASE, kdf: 'interactive', name: 'Prop' })
      const home = await Home.open(path, PASSPHRASE)
      try {
        let now = START
        home.journal.clock = () => now
        const ctx: CommandContext = { home, progress: silentProgress }
        for (const op of ops) await perform(ctx, op, (ms) => (now += ms))
        const incremental = dumpReadModel(home.readModel)

        const { model } = await readModelAsOf(home.ledger, undefined)
        const fresh = dumpReadModel(model)
        model.close()
        await rebuild(home)
        const rebuilt = dumpReadModel(home.readModel)
        runs++
        for (const [name, other] of [
          ['a throwaway rebuild', fresh],
          ['replay', rebuilt]
        ] as const) {
          const differ = Object.keys(incremental).filter(
            (table) => JSON.stringify(incremental[table]) !== JSON.stringify(other[table])
          )
          if (differ.length > 0) {
            const table = differ[0] as string
            throw new Error(
              `${name} differs in ${differ.join(', ')}:\nincremental ${JSON.stringify(incremental[table])}\n${name} ${JSON.stringify(other[table])}`
            )
          }
        }
      } finally {
        await home.close()
      }
    }),
    { numRuns: RUNS }
  )
  t.is(runs, RUNS, `${RUNS} random histories: incremental == throwaway rebuild == replay, table by table`)
})
