// Matching at sphere scale: a synthetic sphere of 100k member profiles (planted
// communities among noise, src/swarm/match/synthetic.ts) indexed by MatchIndex;
// build time, top-10 query latency against a full scan of the same sphere, upsert
// latency, memory, and precision@10 / recall@10 against the planted truth.
// Alone: node --expose-gc dist/bench/match.js [MEMBERS=100000]
import { pathToFileURL } from 'node:url'
import { Random } from '../src/fixtures/random.js'
import { evaluate, MatchIndex, type MemberProfile, syntheticSphere } from '../src/swarm/match/index.js'
import type { Result } from './core.js'
import { ms, now, percentile, round } from './stats.js'

export interface MatchBenchOptions {
  readonly members?: number
  /** Top-10 queries timed (members drawn at random); 1000 when not given. */
  readonly queries?: number
  /** Queries answered by a full scan, the baseline; 20 when not given. */
  readonly scans?: number
  /** Community members whose top 10 is checked against the planted truth; 500 when not given. */
  readonly evaluated?: number
  readonly log?: (line: string) => void
}

function memory(): { heap: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc) {
    gc()
    gc()
  }
  const usage = process.memoryUsage()
  return { heap: usage.heapUsed, rss: usage.rss }
}

const MB = 1024 * 1024

export async function benchMatch(options: MatchBenchOptions = {}): Promise<Result[]> {
  const n = options.members ?? 100_000
  const queries = options.queries ?? 1000
  const scans = options.scans ?? 20
  const log = options.log ?? (() => {})
  let start = now()
  const sphere = syntheticSphere({ members: n, seed: 2026 })
  log(`match: generated ${n} profiles (${sphere.truth.size} in planted communities) in ${round(ms(start), 0)} ms`)

  const before = memory()
  const index = new MatchIndex()
  start = now()
  for (const profile of sphere.profiles) index.upsert(profile)
  const buildMs = ms(start)
  const after = memory()
  log(`match: built the index in ${round(buildMs, 0)} ms`)

  const random = new Random(7)
  const askers: string[] = []
  for (let i = 0; i < queries; i++) askers.push((random.pick(sphere.profiles) as MemberProfile).member)
  for (const member of askers.slice(0, 50)) index.matches(member, { limit: 10 })
  const times: number[] = []
  for (const member of askers) {
    start = now()
    index.matches(member, { limit: 10 })
    times.push(ms(start))
  }
  const scanTimes: number[] = []
  for (const member of askers.slice(0, scans)) {
    start = now()
    index.matchesByScan(member, { limit: 10 })
    scanTimes.push(ms(start))
  }
  log(`match: ${queries} queries, ${scans} scans`)

  // Updates: a member retracts their last facet, then shares it again.
  const byMember = new Map(sphere.profiles.map((p) => [p.member, p]))
  const updates: number[] = []
  for (const member of askers.slice(0, 500)) {
    const profile = byMember.get(member) as MemberProfile
    const retracted = { ...profile, facets: profile.facets.slice(0, -1) }
    start = now()
    index.upsert(retracted)
    updates.push(ms(start))
    index.upsert(profile)
  }

  start = now()
  const quality = evaluate(index, sphere, { queries: options.evaluated ?? 500, seed: 11 })
  log(`match: evaluated ${quality.queries} planted members in ${round(ms(start), 0)} ms`)

  const p50 = percentile(times, 50)
  const p99 = percentile(times, 99)
  const scanP50 = percentile(scanTimes, 50)
  return [
    {
      name: `match: build the index of ${n} member profiles (${index.projectCount} projects)`,
      value: round(buildMs, 0),
      unit: 'ms'
    },
    {
      name: `match: top-10 members and projects, p50 of ${queries} queries`,
      value: round(p50, 3),
      unit: 'ms',
      baseline: { name: `full scan of every profile, p50 of ${scans}`, value: round(scanP50, 1) },
      ratio: round(p50 / scanP50, 4),
      target: '< 10 ms',
      met: p50 < 10
    },
    { name: 'match: top-10, p99', value: round(p99, 3), unit: 'ms' },
    { name: 'match: upsert (retract one facet), p50 of 500', value: round(percentile(updates, 50), 3), unit: 'ms' },
    { name: 'match: index heap (after gc)', value: round((after.heap - before.heap) / MB, 0), unit: 'MB' },
    { name: 'match: index RSS growth', value: round((after.rss - before.rss) / MB, 0), unit: 'MB' },
    {
      name: `match: precision@10 on the planted truth (${quality.queries} community members)`,
      value: round(quality.precisionAtK, 3),
      unit: '',
      target: '>= 0.8',
      met: quality.precisionAtK >= 0.8
    },
    { name: 'match: recall@10 on the planted truth', value: round(quality.recallAtK, 3), unit: '' }
  ]
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const members = Number(process.argv[2] ?? 100_000)
  const results = await benchMatch({ members, log: (line) => process.stderr.write(`${line}\n`) })
  const lines = ['| measure | value | baseline (same run) | ratio | target | met |', '|---|---|---|---|---|---|']
  for (const r of results) {
    lines.push(
      `| ${r.name} | ${r.value.toLocaleString('en-US')} ${r.unit} | ${r.baseline ? `${r.baseline.name}: ${r.baseline.value.toLocaleString('en-US')} ms` : ''} | ${r.ratio ?? ''}${r.ratio !== undefined ? 'x' : ''} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'NO'} |`
    )
  }
  process.stdout.write(`${lines.join('\n')}\n`)
}
