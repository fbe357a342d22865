// Child process for test/crash.test.ts.
//   single | batch | ingest: appends forever (journal + projections; ingest: Home.ingest, batches of 10
//                    sealed in a worker thread), printing each acknowledged seq
//   journal-only N:  appends N events to the journal WITHOUT applying them to the read model, then exits
//   open:            opens the home (the read model catches up), printing "opening" first
//   replay:          rebuilds the read model (`cosmic replay`), printing "applied N" as it goes
import { Home } from '../src/store/home.js'
import { rebuild } from '../src/store/replay.js'

const [path, passphrase, mode, count] = process.argv.slice(2) as [string, string, string, string | undefined]

if (mode === 'replay') {
  const home = await Home.open(path, passphrase)
  await rebuild(home, (done) => process.stdout.write(`applied ${done}\n`))
  await home.close()
  process.stdout.write('replayed\n')
  setInterval(() => {}, 1000)
} else if (mode === 'open') {
  process.stdout.write('opening\n')
  const home = await Home.open(path, passphrase)
  await home.close()
  process.stdout.write('opened\n')
  setInterval(() => {}, 1000)
} else {
  const home = await Home.open(path, passphrase)
  const draft = (i: number, j: number) => ({
    type: 'reflection.recorded' as const,
    body: { text: `crash test entry ${i}.${j} ${'x'.repeat((i * 37) % 400)}`, tags: ['crash', `t${j % 7}`] }
  })
  if (mode === 'journal-only') {
    const n = Number(count)
    for (let i = 0; i < n; i += 500) {
      await home.journal.appendBatch(Array.from({ length: Math.min(500, n - i) }, (_, j) => draft(i, j)))
    }
    await home.close()
    process.stdout.write('done\n')
    process.exit(0)
  }
  process.stdout.write('ready\n')
  if (mode === 'ingest') {
    // Endless batches of 10 through Home.ingest (sealed in a worker thread), each acknowledged once landed.
    const batches = (function* () {
      for (let i = 0; ; i++) yield { drafts: Array.from({ length: 10 }, (_, j) => draft(i, j)) }
    })()
    await home.ingest(batches, {
      onLanded: (events) => process.stdout.write(`ack ${events[events.length - 1]!.header.seq}\n`)
    })
  }
  for (let i = 0; ; i++) {
    const drafts = Array.from({ length: mode === 'batch' ? 10 : 1 }, (_, j) => draft(i, j))
    const events = await home.append(drafts)
    process.stdout.write(`ack ${events[events.length - 1]!.header.seq}\n`)
  }
}
