import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import test from 'brittle'
import { auditJournal } from '../src/store/audit.js'
import { Home } from '../src/store/home.js'
import { dumpReadModel, rebuild } from '../src/store/replay.js'
import { createHome, PASSPHRASE, REPO } from './helpers/home.js'

const CHILD = join(REPO, 'dist/test/crash-child.js')

/** Starts the child, lets it append for `ms` after it is ready, SIGKILLs it; returns the last acknowledged seq. */
function appendThenKill(path: string, mode: 'single' | 'batch' | 'ingest', ms: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, path, PASSPHRASE, mode], { stdio: ['ignore', 'pipe', 'pipe'] })
    let lastAck = -1
    let buffer = ''
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.stdout.on('data', (d) => {
      buffer += d
      const lines = buffer.split('\n')
      buffer = lines.pop() ?? ''
      for (const line of lines) {
        if (line === 'ready') setTimeout(() => child.kill('SIGKILL'), ms)
        else if (line.startsWith('ack ')) lastAck = Number(line.slice(4))
      }
    })
    child.on('error', reject)
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child ended without being killed: ${stderr}`))
      else resolve(lastAck)
    })
  })
}

for (const mode of ['single', 'batch', 'ingest'] as const) {
  test(`SIGKILL in the middle of ${mode} appends: every acknowledged event survives, no partial event, audit clean`, async (t) => {
    const { path, home } = await createHome(t)
    await home.close()
    let expectedAtLeast = 0
    for (let round = 0; round < 6; round++) {
      // An ingest's worker thread takes ~0.1-0.5 s to load: kill it while the thread seals.
      const delay = (mode === 'ingest' ? 400 : 20) + Math.floor(Math.random() * (mode === 'ingest' ? 600 : 180))
      const acked = await appendThenKill(path, mode, delay)
      const reopened = await Home.open(path, PASSPHRASE)
      try {
        const length = reopened.journal.length
        t.ok(
          length > acked,
          `round ${round} (kill after ${delay} ms): acknowledged seq ${acked} is in the log of ${length}`
        )
        t.ok(length >= expectedAtLeast, 'nothing acknowledged earlier was lost')
        if (mode !== 'single') t.is((length - 1) % 10, 0, 'batches landed whole: no partial batch')
        const report = await auditJournal(reopened.journal)
        t.ok(
          report.ok,
          `audit clean after the crash${report.firstFailure ? `: ${JSON.stringify(report.firstFailure)}` : ''}`
        )
        const entries = (reopened.readModel.db.prepare('SELECT count(*) AS n FROM entries').get() as { n: number }).n
        t.is(entries, length - 1, 'the read model caught up: every event applied exactly once')
        t.is(reopened.readModel.position, length)
        expectedAtLeast = length
      } finally {
        await reopened.close()
      }
    }
  })
}

test('SIGKILL during a replay: the next open has the read model as it was; the next replay finishes', async (t) => {
  const { path, home } = await createHome(t)
  await home.close()
  const wrote = await runChild([path, PASSPHRASE, 'journal-only', '20000'])
  t.ok(wrote.out.includes('done'), wrote.out)
  const opened = await Home.open(path, PASSPHRASE) // catches up
  const before = dumpReadModel(opened.readModel)
  await opened.close()
  const { killed, out } = await runChild([path, PASSPHRASE, 'replay'], { line: 'applied 8192', ms: 0 })
  t.ok(killed, `killed during the replay (${out.trim().split('\n').pop()})`)
  t.absent(out.includes('replayed'), 'before it finished')
  const staging = join(path, 'read-model.db.rebuild')
  t.ok(existsSync(staging), 'the half-built new file is left beside the read model')
  const after = await Home.open(path, PASSPHRASE)
  try {
    t.absent(existsSync(staging), 'the open deleted it (it may hold words forgotten since)')
    t.alike(dumpReadModel(after.readModel), before, 'the read model is exactly as it was before the replay')
    t.is(after.readModel.position, after.journal.length)
    await rebuild(after)
    t.absent(existsSync(staging), 'the next replay left no file beside it')
    t.alike(dumpReadModel(after.readModel), before, 'and rebuilt the same rows')
  } finally {
    await after.close()
  }
})

function runChild(
  args: string[],
  killAfterLine?: { line: string; ms: number }
): Promise<{ killed: boolean; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      if (killAfterLine && out.includes(`${killAfterLine.line}\n`)) {
        setTimeout(() => child.kill('SIGKILL'), killAfterLine.ms)
        killAfterLine = undefined
      }
    })
    child.stderr.on('data', (d) => {
      out += d
    })
    child.on('error', reject)
    child.on('exit', (_code, signal) => resolve({ killed: signal === 'SIGKILL', out }))
  })
}

test('SIGKILL while the read model catches up: nothing applied twice or by half, the next open finishes', async (t) => {
  const { path, home } = await createHome(t)
  await home.close()
  // 6,000 events land in the log without being projected (as if every process died right after its append).
  const wrote = await runChild([path, PASSPHRASE, 'journal-only', '6000'])
  t.ok(wrote.out.includes('done'), wrote.out)
  let kills = 0
  for (let round = 0; round < 5; round++) {
    const { killed } = await runChild([path, PASSPHRASE, 'open'], { line: 'opening', ms: 150 + round * 120 })
    if (killed) kills++
    const reopened = await Home.open(path, PASSPHRASE)
    try {
      const entries = (reopened.readModel.db.prepare('SELECT count(*) AS n FROM entries').get() as { n: number }).n
      const tags = (reopened.readModel.db.prepare('SELECT count(*) AS n FROM entry_tags').get() as { n: number }).n
      t.is(entries, 6000, `round ${round}: every entry applied exactly once`)
      t.is(tags, 12000, 'and every tag row, no duplicates')
      t.is(reopened.readModel.position, reopened.journal.length, 'every checkpoint at the end of the log')
    } finally {
      await reopened.close()
    }
    // Start the next round behind again: drop the projections so the open has to catch up from 0.
    const behind = await Home.open(path, PASSPHRASE)
    behind.readModel.reset()
    await behind.journal.close()
    await behind.store.close()
    behind.readModel.close()
  }
  t.comment(`${kills} of 5 opens were killed mid-catch-up`)
})
