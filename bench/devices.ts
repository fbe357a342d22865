// Two devices of one person (issue 5, multi-device; docs/devices.md):
//  (a) each writes N entries offline (BENCH_DEVICE_EVENTS, default 20,000 each), their
//      times interleaved; then they meet (an in-process replication stream) and the first
//      device pulls the second's log: download, merge and rebuild of the 2N-event read
//      model in the merged order. Baseline in the same run: a replay of the same home
//      (every projection rebuilt from the same logs, nothing downloaded).
//  (b) then the second device writes 1,000 newer entries and the first pulls them: an
//      in-order merge (no rebuild), against appending the same number of entries locally.
//  Both read models are compared at the end (they must be identical).
// Alone: npx tsc -p . && node --expose-gc dist/bench/devices.js
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Draft } from '../src/events/envelope.js'
import { Random } from '../src/fixtures/random.js'
import { Home } from '../src/store/home.js'
import { dumpReadModel, rebuild } from '../src/store/replay.js'
import type { Result } from './core.js'
import { ms, now, round } from './stats.js'

const PASSPHRASE = 'benchmark passphrase'
const LAPTOP = 0x5eed_0001
const WORDS = ['sea', 'rent', 'quiet', 'Sam', 'light', 'work', 'rest', 'walk', 'money', 'tired', 'glad', 'river']
const TAGS = ['money', 'work', 'sea', 'rest', 'body', 'sam']

function drafts(random: Random, n: number): Draft[] {
  const out: Draft[] = []
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 12 + random.int(0, 19) }, () => WORDS[random.int(0, WORDS.length - 1)] as string)
    out.push({
      type: 'reflection.recorded',
      body: { text: words.join(' '), tags: [TAGS[random.int(0, TAGS.length - 1)] as string] }
    })
  }
  return out
}

async function write(home: Home, random: Random, n: number, start: number, step: number): Promise<void> {
  for (let done = 0; done < n; done += 1000) {
    const count = Math.min(1000, n - done)
    const times = Array.from({ length: count }, (_, i) => start + (done + i) * step)
    await home.append(drafts(random, count), { times })
  }
}

export async function benchDevices(options: { events?: number; log?: (line: string) => void } = {}): Promise<Result[]> {
  const n = options.events ?? Number(process.env.BENCH_DEVICE_EVENTS ?? 20_000)
  const log = options.log ?? (() => {})
  const dir = await mkdtemp(join(tmpdir(), 'cosmic-bench-devices-'))
  const results: Result[] = []
  try {
    await Home.init(join(dir, 'a'), { passphrase: PASSPHRASE, kdf: 'interactive', name: 'Bench', createdAt: 1 })
    const a = await Home.open(join(dir, 'a'), PASSPHRASE)
    await a.append([{ type: 'device.paired', body: { device: LAPTOP, name: 'laptop' } }], { times: [2] })
    await Home.init(join(dir, 'b'), { passphrase: PASSPHRASE, kdf: 'interactive', seed: a.keys.seed, device: LAPTOP })
    const b = await Home.open(join(dir, 'b'), PASSPHRASE)
    const start = Date.UTC(2031, 0, 1)
    // Meet once so the laptop has the journal, then both write offline, interleaved in time.
    let sa = a.store.replicate(true)
    let sb = b.store.replicate(false)
    sa.pipe(sb).pipe(sa)
    await b.pull({ timeout: 5000 })
    sa.destroy()
    sb.destroy()
    log(`devices: writing ${n} entries on each device, offline`)
    await write(a, new Random(1), n, start, 60_000)
    await write(b, new Random(2), n, start + 30_000, 60_000)

    sa = a.store.replicate(true)
    sb = b.store.replicate(false)
    sa.pipe(sb).pipe(sa)
    const t0 = now()
    const merged = await a.pull({ timeout: 30_000 })
    const mergeMs = ms(t0)
    const total = a.ledger.length
    log(`devices: merge ${merged.applied} (rebuilt ${merged.rebuilt}) in ${round(mergeMs, 0)} ms`)
    const t1 = now()
    await rebuild(a)
    const replayMs = ms(t1)
    results.push({
      name: `two devices meet after ${n.toLocaleString('en-US')} offline entries each: download, merge and rebuild of ${total.toLocaleString('en-US')} events`,
      value: round((total / mergeMs) * 1000, 0),
      unit: 'events/s',
      baseline: {
        name: 'replay of the same home (every projection, no download)',
        value: round((total / replayMs) * 1000, 0)
      },
      ratio: round(replayMs / mergeMs, 2)
    })

    // (b) newer events merge in order.
    await b.pull({ timeout: 30_000 })
    await write(b, new Random(3), 1000, start + 10 * n * 60_000, 1000)
    const t2 = now()
    const inOrder = await a.pull({ timeout: 30_000 })
    const inOrderMs = ms(t2)
    const t3 = now()
    await write(a, new Random(4), 1000, start + 20 * n * 60_000, 1000)
    const localMs = ms(t3)
    results.push({
      name: `1,000 newer entries from the other device merged in order (rebuilt: ${inOrder.rebuilt})`,
      value: round((1000 / inOrderMs) * 1000, 0),
      unit: 'events/s',
      baseline: { name: 'appending 1,000 entries on this device', value: round((1000 / localMs) * 1000, 0) },
      ratio: round(localMs / inOrderMs, 2)
    })
    await b.pull({ timeout: 30_000 })
    const same = JSON.stringify(dumpReadModel(a.readModel)) === JSON.stringify(dumpReadModel(b.readModel))
    log(`devices: read models identical: ${same}`)
    if (!same) throw new Error('the two devices’ read models differ after the benchmark')
    sa.destroy()
    sb.destroy()
    await b.close()
    await a.close()
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
  return results
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = await benchDevices({ log: (s) => process.stderr.write(`${s}\n`) })
  for (const r of results) {
    process.stdout.write(
      `${r.name}: ${r.value.toLocaleString('en-US')} ${r.unit}${r.baseline ? ` (${r.baseline.name}: ${r.baseline.value.toLocaleString('en-US')} ${r.unit}, ratio ${r.ratio}x)` : ''}\n`
    )
  }
}
