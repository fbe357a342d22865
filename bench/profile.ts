// Where the time goes: sealing the events (validate, encode, hash, sign) and appending
// them raw to a Hypercore; every projection alone, then all of them, over the same
// generated events applied in batches of 1000 (and of 8192, as a rebuild does); the
// parts of a replay (raw read of the core, decodeBlock, projections) one by one.
// Usage: node dist/bench/profile.js [EVENTS=10000]
//   ONLY=timeline,graph  only these projections;  BY_TYPE=1  step time by event type
//   PRAGMAS='wal_autocheckpoint=0;...'  pragmas for the models
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Corestore from 'corestore'
import { randomBytes } from '../src/events/crypto.js'
import { decodeBlock, encodeBlock, type SignedEvent, sealEvent } from '../src/events/envelope.js'
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
  console.log(`journal.appendBatch (seal + append) ${n}: ${round(appendMs)} ms, ${rate(n, appendMs)}`)

  // The same drafts sealed again, without appending: validation, encoding, BLAKE2b, Ed25519.
  const again = new ScaleGenerator(n, { seed: 7, from, to: from + n * 60_000 })
  let sealMs = 0
  let prev: Uint8Array | null = null
  let seq = 1
  const blocks: Uint8Array[] = []
  while (again.remaining > 0) {
    const batch = again.nextBatch(1000)
    const start = now()
    const sealed: SignedEvent[] = batch.drafts.map((draft, i) => {
      const event = sealEvent(draft, { seq: seq++, time: batch.times[i] as number, prev }, home.keys.identity)
      prev = event.id
      return event
    })
    sealMs += ms(start)
    again.accept(sealed)
    for (const e of sealed) blocks.push(encodeBlock(e))
  }
  console.log(`  of which sealing alone: ${round(sealMs)} ms, ${rate(n, sealMs)}`)
  const store = new Corestore(join(dir, 'raw-store'))
  const core = store.get({ name: 'raw', encryption: { key: randomBytes(32) } })
  await core.ready()
  let start = now()
  for (let i = 0; i < blocks.length; i += 1000) await core.append(blocks.slice(i, i + 1000))
  const rawMs = ms(start)
  await store.close()
  console.log(`raw Hypercore append of the same blocks (batches of 1000): ${round(rawMs)} ms, ${rate(n, rawMs)}`)

  const key = randomBytes(32)
  const applyAll = (projections: readonly Projection[], file: string, size = 1000): number => {
    const model = ReadModel.open(join(dir, file), key, projections)
    for (const pragma of process.env.PRAGMAS?.split(';').filter(Boolean) ?? []) model.db.pragma(pragma)
    // Skip identity.created (seq 0) is not needed: start every model at seq 1 by applying seq 0 first.
    const first = { seq: 0, device: 0, logSeq: 0, redacted: true } as ProjectedEvent
    model.apply([first])
    // Time spent in each fold's step and flush; the rest of apply is SQLite's commit (and checkpoints).
    const folds = (model as unknown as { folds: { step: (e: ProjectedEvent) => void; flush: () => void }[] }).folds
    let stepNs = 0n
    byType.clear()
    let flushNs = 0n
    for (const fold of folds) {
      const { step, flush } = fold
      fold.step = (e) => {
        const t = process.hrtime.bigint()
        step(e)
        const d = process.hrtime.bigint() - t
        stepNs += d
        const type = e.type ?? 'redacted'
        byType.set(type, (byType.get(type) ?? 0n) + d)
      }
      fold.flush = () => {
        const t = process.hrtime.bigint()
        flush()
        flushNs += process.hrtime.bigint() - t
      }
    }
    const start = now()
    const cpu = process.cpuUsage()
    for (let i = 0; i < events.length; i += size) model.apply(events.slice(i, i + size))
    const elapsed = ms(start)
    const used = process.cpuUsage(cpu)
    cpuMs = (used.user + used.system) / 1000
    split = `step ${round(Number(stepNs) / 1e6)} ms, flush ${round(Number(flushNs) / 1e6)} ms, commit ${round(elapsed - Number(stepNs + flushNs) / 1e6)} ms`
    model.close()
    return elapsed
  }
  // CPU time of this process: less at the mercy of other work on a shared machine than wall time.
  const byType = new Map<string, bigint>()
  let cpuMs = 0
  let split = ''
  const cpuNote = () => `  (cpu ${round(cpuMs)} ms, ${rate(n, cpuMs)}; ${split})`
  const only = process.env.ONLY?.split(',')
  for (const p of PROJECTIONS.filter((p) => !only || only.includes(p.name))) {
    const elapsed = applyAll([p], `${p.name}.db`)
    console.log(`  ${p.name.padEnd(12)} ${String(round(elapsed)).padStart(9)} ms  ${rate(n, elapsed)}${cpuNote()}`)
    if (process.env.BY_TYPE) {
      for (const [type, ns] of [...byType].sort((a, b) => Number(b[1] - a[1]))) {
        console.log(`      ${type.padEnd(22)} ${round(Number(ns) / 1e6)} ms`)
      }
    }
  }
  if (only) {
    await home.close()
    process.exit(0)
  }
  const all = applyAll(PROJECTIONS, 'all.db')
  console.log(`  ${'ALL'.padEnd(12)} ${String(round(all)).padStart(9)} ms  ${rate(n, all)}${cpuNote()}`)
  const big = applyAll(PROJECTIONS, 'all-8192.db', 8192)
  console.log(`  ${'ALL by 8192'.padEnd(12)} ${String(round(big)).padStart(9)} ms  ${rate(n, big)}${cpuNote()}`)

  // Replay parts.
  start = now()
  const stored: (Uint8Array | null)[] = []
  for await (const { block } of home.journal.blocks()) stored.push(block)
  const readMs = ms(start)
  console.log(`journal.blocks() raw read ${stored.length}: ${round(readMs)} ms, ${rate(stored.length, readMs)}`)
  start = now()
  for (const b of stored) if (b) decodeBlock(b)
  const decodeMs = ms(start)
  console.log(`decodeBlock ${stored.length}: ${round(decodeMs)} ms, ${rate(stored.length, decodeMs)}`)
  start = now()
  home.readModel.reset()
  await home.readModel.catchUp(home.ledger, undefined, undefined, { merge: true })
  const catchUpMs = ms(start)
  console.log(
    `reset + catchUp (read, decode, project) ${stored.length}: ${round(catchUpMs)} ms, ${rate(stored.length, catchUpMs)}`
  )
  await home.close()
} finally {
  await rm(dir, { recursive: true, force: true })
}
