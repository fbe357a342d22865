import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import test from 'brittle'
import { blake2b256, keyPairFromSeed, toHex } from '../src/events/crypto.js'
import { encodeBlock, type SignedEvent, sealEvent } from '../src/events/envelope.js'
import { type ScaleBatch, ScaleGenerator } from '../src/fixtures/scale.js'
import { timeline } from '../src/projections/queries.js'
import { auditJournal } from '../src/store/audit.js'
import {
  decodeChunk,
  EnvelopeFailure,
  EnvelopeWorker,
  WorkerFailure,
  workerSettings
} from '../src/store/envelope-worker.js'
import { Home, READ_MODEL_FILE } from '../src/store/home.js'
import type { IngestBatch } from '../src/store/journal.js'
import { dumpReadModel, readModelAsOf, rebuild } from '../src/store/replay.js'
import { filesContaining, PASSPHRASE } from './helpers/home.js'

const SEED = new Uint8Array(32).fill(42)
const FROM = Date.UTC(2030, 0, 7, 9)

/** A home with a fixed identity (no events yet): two of them sign the same drafts into the same blocks. */
async function fixedHome(t: test.Test, name: string): Promise<Home> {
  const path = join(await t.tmp(), name)
  await Home.init(path, { passphrase: PASSPHRASE, kdf: 'interactive', seed: SEED })
  const home = await Home.open(path, PASSPHRASE)
  t.teardown(() => home.close(), { order: -1 })
  return home
}

/** Deterministic salts, so that the same drafts give the same blocks in two homes. */
function salts(batch: number, count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    blake2b256(new TextEncoder().encode(`salt ${batch}.${i}`)).subarray(0, 16)
  )
}

type Failed = Error & { code?: string }
const failure = (e: unknown) => e as Failed

/** Batches of the scale generator with fixed salts; `accept` must see each batch's events before the next. */
function* generated(generator: ScaleGenerator, size: number): Generator<ScaleBatch & IngestBatch> {
  let k = 0
  for (const batch of generator.batches(size)) yield { ...batch, salts: salts(k++, batch.drafts.length) }
}

async function blocksOf(home: Home): Promise<string[]> {
  const out: string[] = []
  for await (const { block } of home.journal.blocks()) out.push(block ? toHex(block) : 'cleared')
  return out
}

test('ingest writes the same blocks and read model as appending the batches one by one', async (t) => {
  const n = 3000
  const one = await fixedHome(t, 'one-by-one')
  const gen1 = new ScaleGenerator(n, { seed: 9, from: FROM, to: FROM + n * 60_000 })
  for (const batch of generated(gen1, 250)) {
    gen1.accept(await one.append(batch.drafts, { times: batch.times, salts: batch.salts }))
  }

  const bulk = await fixedHome(t, 'ingest')
  const gen2 = new ScaleGenerator(n, { seed: 9, from: FROM, to: FROM + n * 60_000 })
  const landed: number[] = []
  const report = await bulk.ingest(generated(gen2, 250), {
    onSealed: (events) => gen2.accept(events),
    onLanded: (events, index) => landed.push(index, events.length)
  })
  t.alike(report, { events: n, batches: n / 250 })
  t.alike(landed.slice(0, 4), [0, 250, 1, 250], 'each batch lands in turn')
  t.alike(await blocksOf(bulk), await blocksOf(one), 'the same blocks, byte for byte')
  t.alike(dumpReadModel(bulk.readModel), dumpReadModel(one.readModel), 'the same read model, table by table')
  const report2 = await auditJournal(bulk.journal)
  t.ok(report2.ok, 'audit clean')
})

test('ingest: a batch that fails names itself; the batches before it landed and are projected, nothing of it is written', async (t) => {
  const home = await fixedHome(t, 'failing')
  const good = (k: number) => ({
    drafts: Array.from({ length: 50 }, (_, i) => ({
      type: 'reflection.recorded' as const,
      body: { text: `entry ${k}.${i}`, tags: ['bulk'] }
    }))
  })
  const bad = {
    drafts: [
      { type: 'reflection.recorded' as const, body: { text: 'fine', tags: [] } },
      { type: 'reflection.recorded' as const, body: { text: 42, tags: [] } }
    ]
  }
  const err = await home.ingest([good(0), good(1), bad, good(3)]).then(() => null, failure)
  t.is(err?.code, 'INVALID_BODY')
  t.ok(/^INVALID_BODY: batch 2: reflection\.recorded: \/text/.test(err?.message ?? ''), err?.message)
  t.is(home.journal.length, 100, 'two whole batches landed, nothing of the third')
  t.is(home.readModel.position, 100, 'and both are projected')
  const texts = home.readModel.db.prepare('SELECT count(*) AS n FROM entries').get() as { n: number }
  t.is(texts.n, 100)

  const late = await home
    .ingest([
      good(4),
      {
        drafts: good(5).drafts,
        times: [
          1,
          ...good(5)
            .drafts.slice(1)
            .map(() => 2)
        ]
      }
    ])
    .then(() => null, failure)
  t.is(late?.code, 'TIME_NOT_INCREASING', 'a time that does not follow the log is refused too')
  t.ok(late?.message.includes('batch 1:'), late?.message)
  t.is(home.journal.length, 150)
  t.ok((await auditJournal(home.journal)).ok)

  // After a failed ingest, appends go on from where the log is.
  const [next] = await home.append([{ type: 'reflection.recorded', body: { text: 'after', tags: [] } }])
  t.is(next?.header.seq, 150)
})

test('ingest: a worker thread that stops mid-way leaves no half batch; the rest is sealed on the main thread', async (t) => {
  const home = await fixedHome(t, 'crash')
  workerSettings.waitUntilLoaded = true
  let worker: EnvelopeWorker | undefined
  workerSettings.started = (w) => {
    worker = w
  }
  const warnings: string[] = []
  const onWarning = (w: Error & { code?: string }) => {
    if (w.code === 'COSMIC_WORKER_FALLBACK') warnings.push(w.message)
  }
  process.on('warning', onWarning)
  t.teardown(() => {
    workerSettings.started = undefined
    workerSettings.waitUntilLoaded = false
    process.off('warning', onWarning)
  })
  const n = 4000
  const generator = new ScaleGenerator(n, { seed: 3, from: FROM, to: FROM + n * 60_000 })
  await home.ingest(generator.batches(250), {
    onSealed: (events, index) => {
      generator.accept(events)
      // After three batches sealed in the thread, stop it as a crash would, with the next batch asked for.
      if (index === 2) void worker?.crash()
    }
  })
  await new Promise((resolve) => setImmediate(resolve))
  t.ok(worker, 'a thread was started')
  t.is(home.journal.length, n, 'every batch landed, whole')
  t.is(home.readModel.position, n)
  t.ok((await auditJournal(home.journal)).ok, 'audit clean: no half batch, the chain unbroken')
  const live = dumpReadModel(home.readModel)
  const { model } = await readModelAsOf(home.ledger, undefined)
  t.alike(dumpReadModel(model), live, 'the read model is what a rebuild gives')
  model.close()
  t.is(warnings.length, 1, `one warning says why: ${warnings[0]}`)
})

test('with worker threads off, ingest and rebuild run on the main thread, to the same result', async (t) => {
  workerSettings.enabled = false
  t.teardown(() => {
    workerSettings.enabled = true
  })
  const home = await fixedHome(t, 'no-threads')
  const n = 1500
  const generator = new ScaleGenerator(n, { seed: 5, from: FROM, to: FROM + n * 60_000 })
  const events: SignedEvent[] = []
  await home.ingest(generator.batches(500), {
    onSealed: (batch) => {
      generator.accept(batch)
      events.push(...batch)
    }
  })
  t.is(home.journal.length, n)
  t.is(events.length, n)
  const before = dumpReadModel(home.readModel)
  await rebuild(home)
  t.alike(dumpReadModel(home.readModel), before)
})

test('a rebuild decoded in the worker thread gives the same read model; a damaged block is named', async (t) => {
  const decodeFrom = workerSettings.decodeFrom
  workerSettings.decodeFrom = 0
  workerSettings.waitUntilLoaded = true
  t.teardown(() => {
    workerSettings.decodeFrom = decodeFrom
    workerSettings.waitUntilLoaded = false
  })
  const path = join(await t.tmp(), 'decode')
  await Home.init(path, { passphrase: PASSPHRASE, kdf: 'interactive', seed: SEED, encryptAtRest: false })
  const home = await Home.open(path, PASSPHRASE, { encryptAtRest: false })
  t.teardown(() => home.close(), { order: -1 })
  const n = 30_000
  const generator = new ScaleGenerator(n, { seed: 11, from: FROM, to: FROM + n * 60_000 })
  await home.ingest(generator.batches(1000), { onSealed: (events) => generator.accept(events) })
  const before = dumpReadModel(home.readModel)
  let started = 0
  workerSettings.started = () => {
    started++
  }
  t.teardown(() => {
    workerSettings.started = undefined
  })
  await rebuild(home)
  t.ok(started > 0, 'the rebuild started a worker thread')
  t.alike(dumpReadModel(home.readModel), before, 'the same rows, table by table')

  // A block that is not an event (written around the journal) is named, by the worker as by this thread.
  await home.journal.core.append(new TextEncoder().encode('not an event'))
  for (const threads of [true, false]) {
    workerSettings.enabled = threads
    const err = await rebuild(home).then(() => null, failure)
    workerSettings.enabled = true
    t.is(err?.code, 'HOME_DAMAGED', `${threads ? 'worker' : 'main thread'}: HOME_DAMAGED`)
    t.ok(err?.message.includes(`seq ${n} of device 0's log`), err?.message)
  }
})

test('a rebuild whose worker thread stops goes on on the main thread, to the same read model', async (t) => {
  const decodeFrom = workerSettings.decodeFrom
  workerSettings.decodeFrom = 0
  workerSettings.waitUntilLoaded = true
  const home = await fixedHome(t, 'decode-crash')
  const n = 20_000
  const generator = new ScaleGenerator(n, { seed: 13, from: FROM, to: FROM + n * 60_000 })
  await home.ingest(generator.batches(1000), { onSealed: (events) => generator.accept(events) })
  const before = dumpReadModel(home.readModel)
  workerSettings.started = (w) => {
    // Stop it once it has work in hand: what was handed to it comes back undone, and this thread does it.
    void w.loaded.then(() => setTimeout(() => void w.crash(), 20))
  }
  const warnings: string[] = []
  const onWarning = (w: Error & { code?: string }) => {
    if (w.code === 'COSMIC_WORKER_FALLBACK') warnings.push(w.message)
  }
  process.on('warning', onWarning)
  t.teardown(() => {
    workerSettings.decodeFrom = decodeFrom
    workerSettings.started = undefined
    workerSettings.waitUntilLoaded = false
    process.off('warning', onWarning)
  })
  await rebuild(home)
  await new Promise((resolve) => setImmediate(resolve))
  t.alike(dumpReadModel(home.readModel), before, 'the same rows, table by table')
  t.is(warnings.length, 1, `one warning says why: ${warnings[0]}`)
})

test('the worker thread decodes and seals exactly as this thread does, and names what fails', async (t) => {
  const worker = EnvelopeWorker.start(keyPairFromSeed(SEED))
  t.ok(worker)
  if (!worker) return
  t.teardown(() => worker.close())
  await worker.loaded
  const keyPair = keyPairFromSeed(SEED)
  const drafts = [
    { type: 'reflection.recorded' as const, body: { text: 'one', tags: ['a'], mood: 'calm' } },
    { type: 'tension.noted' as const, body: { id: 'x', name: 'x', poles: ['a', 'b'], domain: 'd', intensity: 0.5 } }
  ]
  const fixed = salts(0, 2)
  const here = drafts.map((d, i) =>
    sealEvent(d, { seq: 7 + i, time: 1000 + i, prev: null }, keyPair, { salt: fixed[i] as Uint8Array })
  )
  // The second event chains to the first.
  const chained = sealEvent(
    drafts[1] as (typeof drafts)[1],
    { seq: 8, time: 1001, prev: here[0]?.id ?? null },
    keyPair,
    {
      salt: fixed[1] as Uint8Array
    }
  )
  const sealed = await worker.seal({ drafts, seq: 7, times: [1000, 1001], prev: null, salts: fixed })
  t.alike(
    sealed.blocks.map(toHex),
    [encodeBlock(here[0] as SignedEvent), encodeBlock(chained)].map(toHex),
    'the same blocks'
  )
  t.alike(
    sealed.ids.map(toHex),
    [here[0]?.id, chained.id].map((id) => toHex(id as Uint8Array)),
    'the same ids'
  )

  const chunk = { pos: 100, device: 3, seq: 7, blocks: [...sealed.blocks, null] }
  t.alike(await worker.decode(chunk), decodeChunk(chunk), 'decoded as here, positions and devices included')

  const bad = await worker
    .seal({
      drafts: [drafts[0], { type: 'reflection.recorded', body: { text: 1 } }] as never,
      seq: 0,
      times: [1, 2],
      prev: null
    })
    .then(
      () => null,
      (e: unknown) => e as EnvelopeFailure
    )
  t.ok(bad instanceof EnvelopeFailure)
  t.is(bad?.index, 1, 'the draft that failed')
  t.is((bad?.error as Failed | undefined)?.code, 'INVALID_BODY')
  const garbled = { ...chunk, blocks: [sealed.blocks[0] as Uint8Array, new Uint8Array([1, 2, 3])] }
  const undecoded = await worker.decode(garbled).then(
    () => null,
    (e: unknown) => e as EnvelopeFailure
  )
  t.is(undecoded?.index, 1, 'the block that failed')
  t.is((undecoded?.error as Failed | undefined)?.code, 'DECODE_FAILED')

  await worker.crash()
  const stopped = await worker.decode(chunk).then(
    () => null,
    (e: unknown) => e
  )
  t.ok(stopped instanceof WorkerFailure, 'a stopped thread fails what it is asked, as a WorkerFailure')
})

/** `count` short entries from `from` on; the entry `boom` (if in range) says "boom". */
function entries(from: number, count: number, boom = -1): IngestBatch {
  return {
    drafts: Array.from({ length: count }, (_, i) => ({
      type: 'reflection.recorded' as const,
      body: { text: from + i === boom ? `entry ${from + i} boom` : `entry ${from + i}`, tags: ['bulk'] }
    }))
  }
}

/** Makes the timeline's insert of an entry fail while `fails(text)` says so (a SQLite error inside the fold). */
function failInserts(home: Home, fails: (text: string) => boolean): void {
  home.readModel.db.function('cosmic_test_fails', (text: unknown) => (fails(String(text)) ? 1 : 0))
  home.readModel.db.exec(
    `CREATE TEMP TRIGGER cosmic_test_fail BEFORE INSERT ON entries WHEN cosmic_test_fails(NEW.text) BEGIN SELECT RAISE(ABORT, 'injected failure'); END`
  )
}

const countEntries = (home: Home) =>
  (home.readModel.db.prepare('SELECT count(*) AS n FROM entries').get() as { n: number }).n

test('ingest: a batch that fails in the read model takes back the held batches since the last commit; the next open catches up', async (t) => {
  const path = join(await t.tmp(), 'held-failure')
  await Home.init(path, { passphrase: PASSPHRASE, kdf: 'interactive', seed: SEED })
  const home = await Home.open(path, PASSPHRASE)
  await home.ingest([entries(0, 100)])
  t.is(home.readModel.position, 100)

  // Batches of 1000: the held transaction commits once 16,384 events are in it, so after the
  // 17th batch; the entry that fails is in the 19th.
  failInserts(home, (text) => text.includes('boom'))
  const batches = Array.from({ length: 20 }, (_, k) => entries(100 + k * 1000, 1000, 100 + 18 * 1000 + 500))
  const err = await home.ingest(batches).then(() => null, failure)
  t.ok(err?.message.includes('injected failure'), err?.message)
  t.ok(home.journal.length >= 100 + 19 * 1000, `the failing batch is in the log (${home.journal.length})`)
  t.is(home.readModel.position, 100 + 17 * 1000, 'the read model is at its last commit: nothing applied by half')
  t.is(countEntries(home), 100 + 17 * 1000)
  t.is(home.ledger.length, 100 + 17 * 1000, 'the merged order in memory went back with it')
  t.ok((await auditJournal(home.journal)).ok, 'the log is whole and chained')

  // Another process opens it without the fault: it catches up, each event once.
  const length = home.journal.length
  await home.close()
  const reopened = await Home.open(path, PASSPHRASE)
  t.teardown(() => reopened.close())
  t.is(reopened.journal.length, length)
  t.is(reopened.readModel.position, length, 'caught up on open')
  t.is(countEntries(reopened), length, 'every entry once')
  const { model } = await readModelAsOf(reopened.ledger, undefined)
  t.alike(dumpReadModel(reopened.readModel), dumpReadModel(model), 'the read model is what a rebuild gives')
  model.close()
  const [next] = await reopened.append([{ type: 'reflection.recorded', body: { text: 'after', tags: [] } }])
  t.is(next?.header.seq, length, 'appends go on from the end of the log')
})

test('ingest: after a passing failure in the read model, the batches in the log are applied again before ingest throws', async (t) => {
  const home = await fixedHome(t, 'passing-failure')
  let failed = 0
  failInserts(home, (text) => text.includes('boom') && failed++ === 0)
  const landed: number[] = []
  const err = await home
    .ingest([entries(0, 50), entries(50, 50), entries(100, 50, 120), entries(150, 50), entries(200, 50)], {
      onLanded: (_events, index) => landed.push(index)
    })
    .then(() => null, failure)
  t.ok(err?.message.includes('injected failure'), err?.message)
  t.is(failed, 2, 'it failed once, and passed when the batch was applied again')
  t.alike(landed, [0, 1], 'the batches before it landed')
  const length = home.journal.length
  t.ok(length >= 150, `the failing batch is in the log (${length})`)
  t.is(home.readModel.position, length, 'every batch in the log is applied')
  t.is(countEntries(home), length)
  const { model } = await readModelAsOf(home.ledger, undefined)
  t.alike(dumpReadModel(home.readModel), dumpReadModel(model), 'the read model is what a rebuild gives')
  model.close()
})

test('ingest: a retraction in the middle of an ingest purges its words from the read model there and then', async (t) => {
  const SECRET = 'Zanthorquill'
  const path = join(await t.tmp(), 'retract')
  await Home.init(path, { passphrase: PASSPHRASE, kdf: 'interactive', seed: SEED, encryptAtRest: false })
  const home = await Home.open(path, PASSPHRASE, { encryptAtRest: false })
  t.teardown(() => home.close(), { order: -1 })
  const readModelFiles = async () =>
    (await filesContaining(path, SECRET)).filter((file) => file.includes(READ_MODEL_FILE))
  const readModelFilesNow = () =>
    [READ_MODEL_FILE, `${READ_MODEL_FILE}-wal`].filter((file) => {
      const bytes = existsSync(join(path, file)) ? readFileSync(join(path, file)) : Buffer.alloc(0)
      return bytes.includes(SECRET) || bytes.includes(SECRET.toLowerCase())
    })
  const secret = {
    type: 'reflection.recorded' as const,
    body: { text: `the word ${SECRET} is mine`, tags: ['secret'] }
  }
  await home.ingest([entries(0, 200), { drafts: [...entries(200, 99).drafts, secret] }, entries(300, 200)])
  t.ok(readModelFilesNow().length > 0, 'the words are in the read model on disk (no encryption here)')

  // The tombstone names the secret as `cosmic retract` does.
  const secretSeq = 299
  const block = await home.journal.getBlock(secretSeq)
  const leaf = await home.journal.leaf(secretSeq)
  const event = await home.journal.get(secretSeq)
  if (!block || !leaf) throw new Error('the secret is not in the log')
  const redacted = [
    {
      device: 0,
      seq: secretSeq,
      header: toHex(block.headerBytes),
      sig: toHex(block.sig),
      leaf: toHex(leaf.hash),
      size: leaf.size
    }
  ]
  const tombstone = { type: 'reflection.retracted' as const, body: { ref: toHex(event.id), redacted } }
  let checked = false
  await home.ingest([entries(500, 200), { drafts: [tombstone, ...entries(700, 99).drafts] }, entries(800, 200)], {
    onLanded: (_events, index) => {
      // The batch after the retraction has landed, and the hold goes on: the words are gone already.
      if (index === 2) {
        t.alike(readModelFilesNow(), [], 'in no file of the read model (FTS5 optimized, the WAL folded)')
        checked = true
      }
    }
  })
  t.ok(checked)
  t.is(home.readModel.position, 1000)
  t.is(countEntries(home), 998, '999 recorded, one retracted')
  t.alike(await readModelFiles(), [], 'still in no file of the read model at the end')
  await home.finishRedactions()
  await home.close()
  t.alike(await filesContaining(path, SECRET), [], 'once its block is cleared, in no file of the home')
})

test('a rebuild that fails midway, after commits to its new file, leaves the read model as it was', async (t) => {
  const path = join(await t.tmp(), 'rebuild-failure')
  await Home.init(path, { passphrase: PASSPHRASE, kdf: 'interactive', seed: SEED })
  const home = await Home.open(path, PASSPHRASE)
  await home.ingest(Array.from({ length: 20 }, (_, k) => entries(k * 1000, 1000, 18_500)))
  const before = dumpReadModel(home.readModel)
  // The new file's tables are made first (and a trigger on them): the fault goes in once the first batch is applied.
  let reached = 0
  const err = await rebuild(home, (done) => {
    if (reached === 0) failInserts(home, (text) => text.includes('boom'))
    reached = done
  }).then(() => null, failure)
  t.ok(err?.message.includes('injected failure'), err?.message)
  // Batches of 8,192 events, committed every 16,384: the third batch failed, in the new file.
  t.is(reached, 16_384, 'two batches, one commit, were in the new file when the third failed')
  t.is(home.readModel.position, 20_000, 'the read model is the old one, whole')
  t.is(home.ledger.length, 20_000)
  t.alike(dumpReadModel(home.readModel), before, 'with the same rows')
  t.absent(existsSync(join(path, `${READ_MODEL_FILE}.rebuild`)), 'the new file is deleted')
  await home.close()
  const reopened = await Home.open(path, PASSPHRASE)
  t.teardown(() => reopened.close())
  t.is(reopened.readModel.position, 20_000)
  t.alike(dumpReadModel(reopened.readModel), before, 'the same rows after reopening')
})

test('a long ingest leaves the full-text index in one segment and the WAL folded (appends leave segments to FTS5)', async (t) => {
  const home = await fixedHome(t, 'settled')
  const segments = () =>
    (home.readModel.db.prepare('SELECT count(DISTINCT segid) AS n FROM entries_fts_idx').get() as { n: number }).n
  const walBytes = () => {
    const wal = join(home.path, `${READ_MODEL_FILE}-wal`)
    return existsSync(wal) ? readFileSync(wal).length : 0
  }
  // Control: appends commit one by one, each commit writes a segment, FTS5 merges them over time.
  for (let k = 0; k < 8; k++) await home.append(entries(k * 500, 500).drafts)
  t.ok(segments() > 1, `appends leave ${segments()} segments to FTS5's merging`)
  // Long: 17 batches of 1,000 (more than CATCH_UP_BATCH) end with an optimize and a checkpoint.
  await home.ingest(Array.from({ length: 17 }, (_, k) => entries(4000 + k * 1000, 1000)))
  t.is(segments(), 1, 'one segment: nothing left for FTS5 to merge during the next reflects')
  t.is(walBytes(), 0, 'the write-ahead log is folded into the file')
  t.is(countEntries(home), 21_000)
  const found = timeline(home.readModel.db, { search: '20999', limit: 5 }).items.map((item) =>
    item.kind === 'entry' ? item.entry.text : item.kind
  )
  t.alike(found, ['entry 20999'], 'the last entry is found by search')
})
