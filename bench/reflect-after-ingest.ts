// Interactive reflects on a home just built by Home.ingest: p50, p99, max, and which of
// them were slow (a period in their indexes points at deferred work, such as FTS5 merging
// the segments a bulk write left). Usage: node dist/bench/reflect-after-ingest.js [EVENTS=100000]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentProgress } from '../src/commands/command.js'
import { reflect } from '../src/commands/journal.js'
import { ScaleGenerator } from '../src/fixtures/scale.js'
import { Home } from '../src/store/home.js'
import { ms, now, percentile, round } from './stats.js'

const n = Number(process.argv[2] ?? 100_000)
const SAMPLES = 300
const SLOW_MS = 5
const PASSPHRASE = 'reflect bench passphrase'
const dir = await mkdtemp(join(tmpdir(), 'cosmic-reflect-'))

try {
  const path = join(dir, 'home')
  await Home.init(path, { passphrase: PASSPHRASE, kdf: 'interactive' })
  const home = await Home.open(path, PASSPHRASE)
  const from = Date.now() + 60_000
  const generator = new ScaleGenerator(n, { seed: 7, from, to: from + n * 60_000 })
  const batches = (function* () {
    while (generator.remaining > 0) yield generator.nextBatch(1000)
  })()
  let start = now()
  await home.ingest(batches, { onSealed: (events) => generator.accept(events) })
  console.log(`ingest of ${n}: ${round(ms(start))} ms (with the optimize that ends a long one)`)
  const times: number[] = []
  for (let i = 0; i < SAMPLES; i++) {
    start = now()
    await reflect.run(
      { home, progress: silentProgress },
      { text: `an interactive entry number ${i} about the day`, tags: ['bench'], mood: 'curious' }
    )
    times.push(ms(start))
  }
  await home.close()
  const slow = times.flatMap((t, i) => (t > SLOW_MS ? [`#${i} ${round(t, 1)} ms`] : []))
  console.log(
    `${SAMPLES} reflects: p50 ${round(percentile(times, 50))} ms, p99 ${round(percentile(times, 99))} ms, max ${round(Math.max(...times))} ms`
  )
  console.log(`over ${SLOW_MS} ms: ${slow.length > 0 ? slow.join(', ') : 'none'}`)
} finally {
  await rm(dir, { recursive: true, force: true })
}
