// Where projection time goes: every projection alone, then all of them, over the same
// generated events applied in batches of 1000, and the parts of a replay (raw read of
// the core, decodeBlock, projections) measured one by one.
// Usage: node dist/bench/profile.js [EVENTS=10000]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from '../src/events/crypto.js'
import { decodeBlock } from '../src/events/envelope.js'
import { ScaleGenerator } from '../src/fixtures/scale.js'
import { PROJECTIONS } from '../src/projections/index.js'
import type { ProjectedEvent, Projection } from '../src/projections/projection.js'
import { Home } from '../src/store/home.js'
import { projected, ReadModel } from '../src/store/read-model.js'
import { ms, now, round } from './stats.js'

const n = Number(process.argv[2] ?? 10_000)
const PASSPHRASE = 'profile passphrase'
const dir = await mkdtemp(join(tmpdir(), 'cosmic-profile-'))
const rate = (count: number, elapsed: number) => `${Math.round((count / elapsed) * 1000).toLocaleString('en-US')}/s`

try {
  const path = join(dir, 'home')
  await Home.init(path, { passphrase: PASSPHRASE, kdf: 'interactive' })
  const home = await Home.open(path, PASSPHRASE)
  const from = Date.now() + 60_000
  const generator = new ScaleGenerator(n, { seed: 7, from, to: from + n * 60_000 })
  const events: ProjectedEvent[] = []
  let appendMs = 0
  while (generator.remaining > 0) {
    const batch = generator.nextBatch(1000)
    const start = now()
    const signed = await home.journal.appendBatch(batch.drafts, { times: batch.times })
    appendMs += ms(start)
    generator.accept(signed)
    for (const e of signed) events.push(projected(e))
  }
  console.log(`journal.appendBatch (sign + append) ${n}: ${round(appendMs)} ms, ${rate(n, appendMs)}`)

  const key = randomBytes(32)
  const applyAll = (projections: readonly Projection[], file: string): number => {
    const model = ReadModel.open(join(dir, file), key, projections)
    // Skip identity.created (seq 0) is not needed: start every model at seq 1 by applying seq 0 first.
    const first = { seq: 0, redacted: true } as ProjectedEvent
    model.apply([first])
    const start = now()
    for (let i = 0; i < events.length; i += 1000) model.apply(events.slice(i, i + 1000))
    const elapsed = ms(start)
    model.close()
    return elapsed
  }
  const only = process.env.ONLY?.split(',')
  for (const p of PROJECTIONS.filter((p) => !only || only.includes(p.name))) {
    const elapsed = applyAll([p], `${p.name}.db`)
    console.log(`  ${p.name.padEnd(12)} ${String(round(elapsed)).padStart(9)} ms  ${rate(n, elapsed)}`)
  }
  if (only) {
    await home.close()
    process.exit(0)
  }
  const all = applyAll(PROJECTIONS, 'all.db')
  console.log(`  ${'ALL'.padEnd(12)} ${String(round(all)).padStart(9)} ms  ${rate(n, all)}`)

  // Replay parts.
  let start = now()
  const blocks: (Uint8Array | null)[] = []
  for await (const { block } of home.journal.blocks()) blocks.push(block)
  const readMs = ms(start)
  console.log(`journal.blocks() raw read ${blocks.length}: ${round(readMs)} ms, ${rate(blocks.length, readMs)}`)
  start = now()
  for (const b of blocks) if (b) decodeBlock(b)
  const decodeMs = ms(start)
  console.log(`decodeBlock ${blocks.length}: ${round(decodeMs)} ms, ${rate(blocks.length, decodeMs)}`)
  start = now()
  home.readModel.reset()
  await home.readModel.catchUp(home.journal)
  const catchUpMs = ms(start)
  console.log(
    `reset + catchUp (read, decode, project) ${blocks.length}: ${round(catchUpMs)} ms, ${rate(blocks.length, catchUpMs)}`
  )
  await home.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
