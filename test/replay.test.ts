import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import test from 'brittle'
import { type CommandContext, type Progress, silentProgress } from '../src/commands/command.js'
import {
  graphCommand,
  patternsCommand,
  replayCommand,
  tensionShow,
  tensionsCommand,
  timelineCommand
} from '../src/commands/history.js'
import { amend, reflect, retract } from '../src/commands/journal.js'
import { profileRemove, profileSet } from '../src/commands/profile.js'
import { tensionAdd, tensionResolve, tensionShift } from '../src/commands/tension.js'
import type { Home } from '../src/store/home.js'
import { CATCH_UP_BATCH } from '../src/store/read-model.js'
import { asOf, dumpReadModel, readModelAsOf, rebuild } from '../src/store/replay.js'
import { createHome } from './helpers/home.js'

const DAY = 86_400_000
const START = Date.UTC(2030, 0, 7, 9)

/** A small history over twenty days: entries, an amendment, a retraction, tensions, the profile. */
async function history(t: test.Test): Promise<{ home: Home; ctx: CommandContext; reopen: () => Promise<Home> }> {
  const { home, reopen } = await createHome(t)
  let now = START
  home.journal.clock = () => now
  const ctx: CommandContext = { home, progress: silentProgress }
  const day = (n: number) => {
    now = START + n * DAY
  }
  day(0)
  await profileSet.run(ctx, { dimension: 'heart', facet: 'value', key: 'honesty' })
  await tensionAdd.run(ctx, { name: 'money', poles: ['scarcity', 'control'], intensity: 0.7, domain: 'money' })
  const first = await reflect.run(ctx, { text: 'The rent again', tags: ['money'], mood: 'anxious' })
  day(5)
  const secret = await reflect.run(ctx, { text: 'words to forget', tags: ['secret'], mood: 'ashamed' })
  await amend.run(ctx, { id: first.id, text: 'The rent, paid' })
  day(10)
  await tensionShift.run(ctx, { id: 'money', intensity: 0.2 })
  await reflect.run(ctx, { text: 'Sea swim', tags: ['sea'], mood: 'calm', dimension: 'body' })
  day(15)
  await retract.run(ctx, { id: secret.id })
  await profileRemove.run(ctx, { dimension: 'heart', facet: 'value', key: 'honesty' })
  await tensionResolve.run(ctx, { id: 'money', insight: 'enough' })
  return { home, ctx, reopen }
}

function recordingProgress(): Progress & { calls: string[] } {
  const calls: string[] = []
  return {
    calls,
    start: (label, total) => calls.push(`start ${label} ${total}`),
    update: (done, total) => calls.push(`update ${done}/${total}`),
    stop: () => calls.push('stop')
  }
}

test('replay rebuilds every projection from seq 0 to the same rows, with progress', async (t) => {
  const { home } = await history(t)
  const before = dumpReadModel(home.readModel)
  const progress = recordingProgress()
  const out = await replayCommand.run({ home, progress }, {})
  t.is(out.mode, 'rebuild')
  t.is(out.mode === 'rebuild' && out.events, home.journal.length)
  t.alike(dumpReadModel(home.readModel), before, 'identical to incremental application')
  t.is(home.readModel.position, home.journal.length, 'checkpoints at the end of the log')
  t.is(progress.calls[0], `start replaying ${home.journal.length}`)
  t.ok(progress.calls.includes(`update ${home.journal.length}/${home.journal.length}`), 'progress reaches the end')
  t.is(progress.calls.at(-1), 'stop')
  t.ok(replayCommand.render(out).startsWith('Rebuilt every projection'))
})

test('a replay that fails leaves the read model as it was, in use; the next one finishes', async (t) => {
  const { home, ctx } = await history(t)
  const before = dumpReadModel(home.readModel)
  const staging = join(home.path, 'read-model.db.rebuild')
  // Fails before the new file has anything, then once it has every event but is not finished and put in place.
  const log = home.ledger.log(0)
  const readBlocks = log.readBlocks
  log.readBlocks = () => Promise.reject(new Error('the disk cannot be read'))
  await t.exception(rebuild(home), /the disk cannot be read/)
  log.readBlocks = readBlocks
  t.absent(existsSync(staging), 'the new file is deleted')
  t.alike(dumpReadModel(home.readModel), before, 'the read model is exactly as it was')
  t.is(home.readModel.runs.length, home.journal.length, 'and so is the merged order it keeps in memory')
  await t.exception(
    rebuild(home, (done, total) => {
      if (done === total) throw new Error('the disk filled up')
    }),
    /the disk filled up/
  )
  t.absent(existsSync(staging), 'the half-built file is deleted')
  t.alike(dumpReadModel(home.readModel), before, 'the read model is exactly as it was')
  const entry = await reflect.run(ctx, { text: 'written after the failed replay', tags: ['after'] })
  const page = await timelineCommand.run(ctx, { search: 'failed replay' })
  t.alike(
    page.items.map((i) => (i.kind === 'entry' ? i.entry.id : null)),
    [entry.id],
    'it goes on taking entries and answering searches'
  )
  const incremental = dumpReadModel(home.readModel)
  // A stale new file (left by a crash) is replaced.
  writeFileSync(staging, 'not a database')
  await rebuild(home)
  t.absent(existsSync(staging))
  t.alike(dumpReadModel(home.readModel), incremental, 'the next replay gives the same rows as incremental application')
  t.is((await timelineCommand.run(ctx, { search: 'failed replay' })).items.length, 1, 'searchable after the replay')
})

test('a rebuilt read model survives reopening and keeps forgetting', async (t) => {
  const { home, reopen } = await history(t)
  const before = dumpReadModel(home.readModel)
  await rebuild(home)
  const again = await reopen()
  t.alike(dumpReadModel(again.readModel), before)
  const ctx = { home: again, progress: silentProgress }
  t.is((await timelineCommand.run(ctx, { search: 'forget' })).items.length, 0, 'forgotten words stay forgotten')
})

test('--until answers as of a time from a throwaway copy; the live read model is untouched', async (t) => {
  const { home, ctx } = await history(t)
  const live = dumpReadModel(home.readModel)
  const position = home.readModel.position
  const day = (n: number) => START + n * DAY + DAY / 2

  const timeline = await timelineCommand.run(ctx, { until: day(0) })
  t.alike(
    timeline.items.map((i) => (i.kind === 'entry' ? i.entry.text : i.tension.kind)),
    ['The rent again', 'noted'],
    'timeline as of day 0: the text before its amendment'
  )
  t.is(timeline.until, day(0))
  const later = await timelineCommand.run(ctx, { until: day(5), type: 'reflection' })
  t.alike(
    later.items.map((i) => i.kind === 'entry' && i.entry.text),
    ['The rent, paid'],
    'as of day 5: amended; the entry retracted on day 15 is absent even then (its words are gone from the log)'
  )

  const graph = await graphCommand.run(ctx, { until: day(0) })
  t.ok(
    graph.graph.nodes.some((n) => n.id === 'value:honesty'),
    'graph as of day 0 has the facet removed later'
  )
  const graphNow = await graphCommand.run(ctx, {})
  t.absent(graphNow.graph.nodes.some((n) => n.id === 'value:honesty'))

  const tensions = await tensionsCommand.run(ctx, { until: day(5) })
  t.alike(
    tensions.tensions.map((x) => [x.id, x.intensity, x.status]),
    [['money', 0.7, 'open']],
    'tensions as of day 5'
  )
  t.is((await tensionsCommand.run(ctx, {})).tensions.length, 0, 'none open now')
  t.is((await tensionShow.run(ctx, { id: 'money', until: day(10) })).series.length, 2)

  const patterns = await patternsCommand.run(ctx, { until: day(0), window: 'month' })
  t.alike(patterns.themes, [{ key: 'money', count: 1 }], 'patterns as of day 0')

  const summary = await replayCommand.run(ctx, { until: day(10) })
  t.alike(summary.mode === 'as-of' && [summary.entries, summary.openTensions, summary.facets], [2, 1, 1])
  t.ok(replayCommand.render(summary).includes('the live read model is untouched'))
  t.is((await timelineCommand.run(ctx, { until: START - 1 })).items.length, 0, 'before anything')

  t.is(home.readModel.position, position, 'live checkpoint unchanged')
  t.alike(dumpReadModel(home.readModel), live, 'live contents unchanged')
})

test('throwaway read models: one pass for two states, closed after use', async (t) => {
  const { home } = await history(t)
  const { model, events } = await readModelAsOf(home.ledger, START + 5 * DAY)
  t.ok(events > 0 && events < home.journal.length)
  const more = await model.catchUp(home.ledger, undefined, undefined)
  t.is(events + more, home.journal.length, 'catching up further continues where it stopped')
  t.alike(dumpReadModel(model), dumpReadModel(home.readModel), 'and ends equal to the live one')
  model.close()
  let db: { open: boolean } | null = null
  await asOf(home, START, (d) => {
    db = d
  })
  t.is(db && (db as { open: boolean }).open, false, 'asOf closes its model')
})

test('the log streams in chunks read ahead: the same blocks as one core.get each, cleared ones null', async (t) => {
  for (const encryptAtRest of [true, false]) {
    const { home } = await createHome(t, { encryptAtRest })
    const ctx = { home, progress: silentProgress }
    const drafts = Array.from({ length: 4500 }, (_, i) => ({
      type: 'reflection.recorded' as const,
      body: { text: `entry ${i}`, tags: [] }
    }))
    await home.append(drafts)
    const entry = await reflect.run(ctx, { text: 'to forget', tags: [] })
    await reflect.run(ctx, { text: 'after', tags: [] })
    await retract.run(ctx, { id: entry.id })
    let n = 0
    let same = true
    let cleared = 0
    for await (const { seq, block } of home.journal.blocks()) {
      const expected = await home.journal.core.get(seq, { wait: false })
      if (block === null) cleared++
      if ((block === null) !== (expected === null) || (block && expected && Buffer.compare(block, expected) !== 0)) {
        same = false
      }
      n++
    }
    t.is(n, home.journal.length, `every seq (${encryptAtRest ? 'encrypted' : 'not encrypted'})`)
    t.ok(same, 'each block equals core.get')
    t.is(cleared, 1, 'the retracted entry is null')
    let partial = 0
    for await (const { seq } of home.journal.blocks(2040, 2060)) {
      t.ok(seq >= 2040 && seq < 2060)
      partial++
      if (partial === 5) break // a caller that stops early
    }
    t.is(partial, 5)
  }
})

test('a long rebuild defers FTS5 merging and turns it back on after, also when a process stopped midway', {
  timeout: 120_000
}, async (t) => {
  const { home, reopen } = await createHome(t)
  // More events than one catch-up batch, appended in batches of 1000 (FTS5 merging as it goes).
  const drafts = Array.from({ length: CATCH_UP_BATCH + 1000 }, (_, i) => ({
    type: 'reflection.recorded' as const,
    body: { text: `entry ${i} about the ${i % 7 === 0 ? 'river' : 'road'}`, tags: [`t${i % 13}`] }
  }))
  for (let i = 0; i < drafts.length; i += 1000) await home.append(drafts.slice(i, i + 1000))
  const automerge = (h: Home) =>
    (
      h.readModel.db.prepare("SELECT v FROM entries_fts_config WHERE k = 'automerge'").get() as
        | { v: number }
        | undefined
    )?.v ?? 4
  const before = dumpReadModel(home.readModel)
  const seen: number[] = []
  await rebuild(home, () => seen.push(automerge(home)))
  t.ok(seen.length > 1 && seen.slice(0, -1).every((v) => v === 0), 'no merging between the batches of the rebuild')
  t.is(automerge(home), 4, 'merging back on after it')
  t.alike(dumpReadModel(home.readModel), before, 'the same rows as incremental application')
  const ctx = { home, progress: silentProgress }
  t.is((await timelineCommand.run(ctx, { search: 'river', limit: 500 })).items.length, 500, 'search finds them')

  // As if a process had stopped during a long catch-up: the setting is put back when the read model opens.
  home.readModel.db.prepare("INSERT INTO entries_fts (entries_fts, rank) VALUES ('automerge', 0)").run()
  const again = await reopen()
  t.is(automerge(again), 4, 'back on after reopening')
})
