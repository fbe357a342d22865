import { readFile, writeFile } from 'node:fs/promises'
import test from 'brittle'
import { keyPairFromSeed, randomBytes } from '../src/events/crypto.js'
import { encodeBlock, sealEvent } from '../src/events/envelope.js'
import { auditJournal } from '../src/store/audit.js'
import type { Home } from '../src/store/home.js'
import { createHome, readAllFiles, runCli } from './helpers/home.js'

const reflection = (text: string) => ({ type: 'reflection.recorded' as const, body: { text, tags: ['audit'] } })

async function withEntries(home: Home, n: number): Promise<void> {
  await home.append(Array.from({ length: n }, (_, i) => reflection(`entry ${i}`)))
}

/** The next position as an honest writer would compute it. */
async function nextPosition(home: Home) {
  const last = await home.journal.get(home.journal.length - 1)
  return { seq: home.journal.length, time: last.header.time + 1, prev: last.id }
}

test('a clean journal audits clean, tree included', async (t) => {
  const { home } = await createHome(t)
  await withEntries(home, 20)
  const report = await auditJournal(home.journal)
  t.ok(report.ok)
  t.is(report.verified, 21)
  t.is(report.length, 21)
  t.ok(report.tree.ok)
  t.is(report.firstFailure, null)
})

test('an event signed by a foreign key is detected and named', async (t) => {
  const { home } = await createHome(t)
  await withEntries(home, 3)
  const mallory = keyPairFromSeed(randomBytes(32))
  const forged = sealEvent(reflection('forged by mallory'), await nextPosition(home), mallory)
  // Appended under the journal core's own key, so only the event signature can tell.
  await home.journal.core.append(encodeBlock(forged))
  await withEntries(home, 1)
  const report = await auditJournal(home.journal)
  t.absent(report.ok)
  t.is(report.firstFailure?.seq, 4)
  t.is(report.firstFailure?.code, 'FOREIGN_AUTHOR')
})

test('a broken chain is detected and named', async (t) => {
  const { home } = await createHome(t)
  await withEntries(home, 3)
  const position = await nextPosition(home)
  const skipped = sealEvent(
    reflection('prev points elsewhere'),
    { ...position, prev: randomBytes(32) },
    home.keys.identity
  )
  await home.journal.core.append(encodeBlock(skipped))
  const report = await auditJournal(home.journal)
  t.is(report.firstFailure?.seq, 4)
  t.is(report.firstFailure?.code, 'BROKEN_CHAIN')
  t.ok(report.firstFailure?.reason.includes('prev'))
})

test('a seq that lies about its position, and a time that goes backwards, are named', async (t) => {
  const { home } = await createHome(t)
  await withEntries(home, 2)
  const position = await nextPosition(home)
  const wrongSeq = sealEvent(reflection('wrong seq'), { ...position, seq: position.seq + 5 }, home.keys.identity)
  await home.journal.core.append(encodeBlock(wrongSeq))
  let report = await auditJournal(home.journal)
  t.is(report.firstFailure?.code, 'BROKEN_CHAIN')
  t.is(report.firstFailure?.seq, 3)

  const { home: other } = await createHome(t)
  const p2 = await nextPosition(other)
  const backwards = sealEvent(reflection('from the past'), { ...p2, time: p2.time - 10_000 }, other.keys.identity)
  await other.journal.core.append(encodeBlock(backwards))
  report = await auditJournal(other.journal)
  t.is(report.firstFailure?.code, 'TIME_NOT_INCREASING')
  t.is(report.firstFailure?.seq, 1)
})

test('garbage in a block and a tampered body are detected', async (t) => {
  const { home } = await createHome(t)
  await withEntries(home, 1)
  await home.journal.core.append(Buffer.concat([Buffer.from([1]), randomBytes(120)]))
  const position = await nextPosition(home).catch(() => null)
  t.is(position, null, 'the garbage block does not even decode')
  const report = await auditJournal(home.journal)
  t.is(report.firstFailure?.seq, 2)
  t.is(report.firstFailure?.code, 'DECODE_FAILED')
})

test('flipped bytes in the storage files are detected: audit fails and names the problem', async (t) => {
  const { home, path } = await createHome(t, { encryptAtRest: false })
  await home.append(Array.from({ length: 5 }, (_, i) => reflection(`flipme-${i} a reflection long enough to find`)))
  await home.close()
  // With at-rest encryption off, the block bytes can be found and flipped where they lie.
  let flipped = 0
  for (const { path: file, bytes } of await readAllFiles(path)) {
    if (!file.includes('corestore')) continue
    const at = bytes.indexOf('flipme-3')
    if (at < 0) continue
    const copy = Buffer.from(await readFile(file))
    copy[at + 2] = (copy[at + 2] as number) ^ 0x20
    await writeFile(file, copy)
    flipped++
  }
  t.ok(flipped > 0, `flipped bytes in ${flipped} storage file(s)`)
  const result = await runCli(['--home', path, '--json', 'audit'], { env: {} })
  t.is(result.code, 1, `audit exits 1 (stderr: ${result.stderr.trim()})`)
  const report = JSON.parse(result.stdout)
  t.is(report.ok, false)
  t.ok(report.failures.length > 0, `named: ${JSON.stringify(report.failures[0])}`)
})
