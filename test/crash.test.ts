import { spawn } from 'node:child_process'
import { join } from 'node:path'
import test from 'brittle'
import { auditJournal } from '../src/store/audit.js'
import { Home } from '../src/store/home.js'
import { createHome, PASSPHRASE, REPO } from './helpers/home.js'

const CHILD = join(REPO, 'dist/test/crash-child.js')

/** Starts the child, lets it append for `ms` after it is ready, SIGKILLs it; returns the last acknowledged seq. */
function appendThenKill(path: string, mode: 'single' | 'batch', ms: number): Promise<number> {
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

for (const mode of ['single', 'batch'] as const) {
  test(`SIGKILL in the middle of ${mode} appends: every acknowledged event survives, no partial event, audit clean`, async (t) => {
    const { path, home } = await createHome(t)
    await home.close()
    let expectedAtLeast = 0
    for (let round = 0; round < 6; round++) {
      const delay = 20 + Math.floor(Math.random() * 180)
      const acked = await appendThenKill(path, mode, delay)
      const reopened = await Home.open(path, PASSPHRASE)
      try {
        const length = reopened.journal.length
        t.ok(
          length > acked,
          `round ${round} (kill after ${delay} ms): acknowledged seq ${acked} is in the log of ${length}`
        )
        t.ok(length >= expectedAtLeast, 'nothing acknowledged earlier was lost')
        if (mode === 'batch') t.is((length - 1) % 10, 0, 'batches landed whole: no partial batch')
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
