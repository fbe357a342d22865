// npm run bench  (BENCH_ONLY=core for the core rows alone; BENCH_EVENTS=1000000 BENCH_INGEST=100000 BENCH_MATCH=100000 BENCH_SHARE=100000 BENCH_WRITERS=50 BENCH_DEVICE_EVENTS=20000 by default; smaller for a quick look)
import { writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { benchCore, type Result } from './core.js'
import { benchDevices } from './devices.js'
import { benchLocalModel, benchMirror } from './engine.js'
import { benchMatch } from './match.js'
import { benchMatchSphere } from './match-sphere.js'
import { benchSwarm } from './swarm.js'

const events = Number(process.env.BENCH_EVENTS ?? 1_000_000)
const ingest = Number(process.env.BENCH_INGEST ?? 100_000)
const matchMembers = Number(process.env.BENCH_MATCH ?? 100_000)
/** `core`: only benchCore's rows (ingest, reflect, the scaled home's search and retract, replay, cold open). */
const only = process.env.BENCH_ONLY
const log = (s: string) => process.stderr.write(`${s}\n`)

const started = Date.now()
let mirror: Result[] = []
const results: Result[] = await benchCore({
  events,
  ingest,
  log,
  onScaledHome:
    only === 'core'
      ? undefined
      : async (home) => {
          mirror = await benchMirror(home, { log, events })
        }
})
const localModel = only === 'core' ? { results: [], skipped: undefined } : await benchLocalModel(log)
if (localModel.skipped) log(`SKIPPED ${localModel.skipped}`)
if (only !== 'core') {
  results.push(...mirror, ...localModel.results)
  results.push(...(await benchMatch({ members: matchMembers, log })))
  results.push(...(await benchMatchSphere({ log })))
  results.push(...(await benchSwarm({ log })))
  results.push(...(await benchDevices({ log })))
}

const lines = [
  `CosmicSyncCore benchmarks, ${new Date().toISOString()}, node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'})`,
  '',
  '| measure | value | baseline (same run) | ratio | target | met |',
  '|---|---|---|---|---|---|'
]
for (const r of results) {
  lines.push(
    `| ${r.name} | ${r.value.toLocaleString('en-US')} ${r.unit} | ${r.baseline ? `${r.baseline.name}: ${r.baseline.value.toLocaleString('en-US')} ${r.unit}` : ''} | ${r.ratio ?? ''}${r.ratio !== undefined ? 'x' : ''} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'NO'} |`
  )
}
if (localModel.skipped) lines.push('', `SKIPPED ${localModel.skipped}`)
lines.push('', `total ${Math.round((Date.now() - started) / 1000)} s`)
const table = lines.join('\n')
process.stdout.write(`${table}\n`)
await writeFile('bench-results.md', `${table}\n`)
