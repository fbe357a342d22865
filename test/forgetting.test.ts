import test from 'brittle'
import { silentProgress } from '../src/commands/command.js'
import { retract } from '../src/commands/journal.js'
import { toHex } from '../src/events/crypto.js'
import { timelineSettings } from '../src/projections/timeline.js'
import { auditJournal } from '../src/store/audit.js'
import { Home } from '../src/store/home.js'
import { createHome, filesContaining, PASSPHRASE } from './helpers/home.js'

/**
 * Forgetting must be provable where it could fail: these homes store blocks and the
 * read model WITHOUT at-rest encryption, so a grep of the home's files would find the
 * words if they were still there. The last two tests show that it does find them when
 * compaction is skipped or the full-text index deletes the ordinary way (FTS5 without
 * secure-delete).
 */
const SECRET = 'Quintessabloom'
const AMENDED = 'Vorpalberry'
const MIRRORED = 'Glimmerfen'

async function writeAndRetract(
  t: import('brittle').Test,
  knobs: { compact?: boolean; secureDelete?: boolean; mergeAmended?: boolean; amend?: boolean } = {}
): Promise<{ path: string; home: Home; id: string }> {
  const { home, path } = await createHome(t, { encryptAtRest: false })
  home.journal.compactOnClear = knobs.compact ?? true
  timelineSettings.secureDelete = knobs.secureDelete ?? true
  timelineSettings.mergeAmendedOnForget = knobs.mergeAmended ?? true
  t.teardown(() => {
    timelineSettings.secureDelete = true
    timelineSettings.mergeAmendedOnForget = true
  })
  await home.append([{ type: 'reflection.recorded', body: { text: 'an ordinary day', tags: ['ordinary'] } }])
  const [entry] = await home.append([
    {
      type: 'reflection.recorded',
      body: { text: `the word ${SECRET} is mine alone`, tags: [SECRET.toLowerCase()], mood: 'tender' }
    }
  ])
  const id = toHex(entry!.id)
  if (knobs.amend ?? true) {
    // The version before keeps a word of its own, which only it could leave behind.
    await home.append([{ type: 'reflection.amended', body: { ref: id, text: `now it is ${AMENDED} and mine` } }])
  }
  await home.append([
    {
      type: 'mirrorback.generated',
      body: {
        ref: id,
        text: `You wrote of ${MIRRORED}; what does it hold for you?`,
        themes: ['naming'],
        engine: { kind: 'builtin', model: 'test', promptHash: 'ab'.repeat(32) }
      }
    }
  ])
  await home.append([{ type: 'reflection.recorded', body: { text: 'another ordinary day', tags: ['ordinary'] } }])
  t.ok((await filesContaining(path, SECRET)).length > 0, 'before retraction the words are on disk (no encryption here)')
  await retract.run({ home, progress: silentProgress }, { id })
  return { path, home, id }
}

test('after retract the words are in no file of the home; audit still verifies every signature', async (t) => {
  const { path, home, id } = await writeAndRetract(t)
  const report = await auditJournal(home.journal)
  t.ok(report.ok, 'audit passes')
  t.is(report.redacted, 3, 'the entry, its amendment and its mirrorback are redacted and verified from the tombstone')
  const logged = await home.journal.get(2)
  t.is(logged.redacted, true)
  t.is(toHex(logged.id), id, 'the redacted event keeps its id')
  t.is(
    (home.readModel.db.prepare('SELECT count(*) AS n FROM entries').get() as { n: number }).n,
    2,
    'projections behave as if it never was'
  )
  t.is(
    home.readModel.db.prepare("SELECT rowid FROM entries_fts WHERE entries_fts MATCH 'quintessabloom'").all().length,
    0
  )
  await home.close()
  for (const word of [SECRET, AMENDED, MIRRORED]) {
    t.alike(await filesContaining(path, word), [], `"${word}" (any case) is in no file of the home`)
  }
  t.ok((await filesContaining(path, 'ordinary')).length > 0, 'the grep does find words that were not retracted')

  const reopened = await Home.open(path, PASSPHRASE, { encryptAtRest: false })
  t.teardown(() => reopened.close())
  t.ok((await auditJournal(reopened.journal)).ok, 'audit still passes after reopening')
})

test('an entry never amended is forgotten by the secure delete alone: no merge of the whole index', async (t) => {
  const { path, home } = await writeAndRetract(t, { amend: false })
  const segments = (
    home.readModel.db.prepare('SELECT count(DISTINCT segid) AS n FROM entries_fts_idx').get() as {
      n: number
    }
  ).n
  t.ok(segments > 1, `the index is still in ${segments} segments (an optimize would leave one)`)
  await home.close()
  for (const word of [SECRET, MIRRORED]) {
    t.alike(await filesContaining(path, word), [], `"${word}" (any case) is in no file of the home`)
  }
})

test('a crash between the tombstone and the clear is finished on the next open', async (t) => {
  const { home, path } = await createHome(t, { encryptAtRest: false })
  const [entry] = await home.append([{ type: 'reflection.recorded', body: { text: `secret ${SECRET}`, tags: [] } }])
  const seq = entry!.header.seq
  const leaf = (await home.journal.leaf(seq))!
  // The tombstone lands, then the process "dies" before clearing the block.
  await home.append([
    {
      type: 'reflection.retracted',
      body: {
        ref: toHex(entry!.id),
        redacted: [
          {
            device: 0,
            seq,
            header: toHex(entry!.headerBytes),
            sig: toHex(entry!.sig),
            leaf: toHex(leaf.hash),
            size: leaf.size
          }
        ]
      }
    }
  ])
  await home.journal.close()
  await home.store.close()
  home.readModel.close()
  const reopened = await Home.open(path, PASSPHRASE, { encryptAtRest: false })
  t.is(await reopened.journal.core.has(seq), false, 'the open cleared the block the tombstone names')
  t.ok((await auditJournal(reopened.journal)).ok)
  await reopened.close()
  t.alike(await filesContaining(path, SECRET), [])
})

const controls: { name: string; knobs: Parameters<typeof writeAndRetract>[1]; file: string }[] = [
  { name: 'without compaction the words stay in the journal storage', knobs: { compact: false }, file: 'corestore' },
  {
    name: 'without FTS5 secure-delete the lower-cased term stays in the read model',
    knobs: { secureDelete: false, amend: false },
    file: 'read-model'
  },
  {
    name: 'without the merge, the version before an amendment stays in the index',
    knobs: { mergeAmended: false },
    file: 'read-model'
  }
]

for (const control of controls) {
  test(`the test can fail: ${control.name}`, async (t) => {
    const { path, home } = await writeAndRetract(t, control.knobs)
    await home.close()
    const hits = await filesContaining(path, SECRET)
    t.ok(
      hits.some((f) => f.includes(control.file)),
      `found in ${hits.map((f) => f.slice(path.length)).join(', ')}`
    )
  })
}
