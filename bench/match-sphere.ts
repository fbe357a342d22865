// Matching wired to a sphere: a synthetic sphere view (a Hyperbee with the layout of
// src/swarm/sphere.ts, members/ and facets/) of N members from the synthetic
// generator; what a `cosmic sphere matches` query costs on it: reading the view and
// building the index when the view changed, and a top-10 query when it did not.
// Alone: node dist/bench/match-sphere.js [MEMBERS=1000]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import Corestore from 'corestore'
import Hyperbee from 'hyperbee'
import { Random } from '../src/fixtures/random.js'
import { type MemberProfile, syntheticSphere } from '../src/swarm/match/index.js'
import type { FacetItem, MemberRecord } from '../src/swarm/sphere.js'
import { type MatchSource, matchIndexFromView, sphereMatchIndex } from '../src/swarm/sphere-matches.js'
import type { Result } from './core.js'
import { ms, now, percentile, round } from './stats.js'

export interface MatchSphereBenchOptions {
  readonly members?: number
  /** Top-10 queries timed on an unchanged view; 1000 when not given. */
  readonly queries?: number
  /** Rebuilds timed after the view changed; 20 when not given. */
  readonly rebuilds?: number
  readonly log?: (line: string) => void
}

type View = Hyperbee<string, unknown>

/** A sphere view holding the profiles as `sphere.facet.shared` items would leave them. */
async function writeView(view: View, profiles: readonly MemberProfile[]): Promise<number> {
  const batch = view.batch()
  let facets = 0
  let time = 1
  for (const profile of profiles) {
    const record: MemberRecord = {
      member: profile.member,
      name: profile.name ?? 'member',
      admin: false,
      writers: [profile.member],
      peers: [],
      since: time,
      addedBy: profile.member
    }
    await batch.put(`members/${profile.member}`, record)
    for (const facet of profile.facets) {
      const dimension = facet.kind === 'value' ? 'heart' : 'mind'
      const item: FacetItem = {
        id: `${profile.member.slice(0, 48)}${String(time).padStart(16, '0')}`,
        member: profile.member,
        time: time++,
        dimension,
        facet: facet.kind,
        key: facet.label,
        ...(facet.text ? { value: facet.text } : {}),
        ...(facet.level ? { level: facet.level } : {})
      }
      await batch.put(
        `facets/${profile.member}/${dimension}/${facet.kind}/${encodeURIComponent(facet.label.toLowerCase())}`,
        item
      )
      facets++
    }
  }
  await batch.flush()
  return facets
}

async function list<T>(view: View, prefix: string): Promise<T[]> {
  const out: T[] = []
  for await (const node of view.createReadStream({ gt: prefix, lt: `${prefix}\uffff` })) out.push(node.value as T)
  return out
}

export async function benchMatchSphere(options: MatchSphereBenchOptions = {}): Promise<Result[]> {
  const n = options.members ?? 1000
  const queries = options.queries ?? 1000
  const rebuilds = options.rebuilds ?? 20
  const log = options.log ?? (() => {})
  const dir = await mkdtemp(join(tmpdir(), 'cosmic-bench-match-sphere-'))
  const store = new Corestore(join(dir, 'store'))
  const view: View = new Hyperbee(store.get({ name: 'view' }), { keyEncoding: 'utf-8', valueEncoding: 'json' })
  try {
    await view.ready()
    const { profiles } = syntheticSphere({ members: n, seed: 2026 })
    const facets = await writeView(view, profiles)
    log(`match-sphere: a view of ${n} members and ${facets} shared facets`)
    const source: MatchSource = {
      members: () => list<MemberRecord>(view, 'members/'),
      facets: () => list<FacetItem>(view, 'facets/'),
      get viewVersion() {
        return `${view.core.fork}:${view.version}`
      }
    }

    // After a change of the view: read it, build the index.
    const reads: number[] = []
    const builds: number[] = []
    const totals: number[] = []
    for (let i = 0; i < rebuilds; i++) {
      await view.put(`bench/${i}`, i)
      let start = now()
      const members = await source.members()
      const items = await source.facets()
      reads.push(ms(start))
      start = now()
      matchIndexFromView(members, items)
      builds.push(ms(start))
      start = now()
      await sphereMatchIndex(source)
      totals.push(ms(start))
    }

    // An unchanged view: the cached index, then a top-10 query.
    const random = new Random(7)
    const times: number[] = []
    for (let i = 0; i < queries + 50; i++) {
      const member = (random.pick(profiles) as MemberProfile).member
      const start = now()
      const { index } = await sphereMatchIndex(source)
      index.matches(member, { limit: 10 })
      if (i >= 50) times.push(ms(start))
    }
    return [
      {
        name: `match-sphere: read the view of ${n} members (${facets} facets), p50 of ${rebuilds}`,
        value: round(percentile(reads, 50), 1),
        unit: 'ms'
      },
      {
        name: `match-sphere: build their index, p50 of ${rebuilds}`,
        value: round(percentile(builds, 50), 1),
        unit: 'ms'
      },
      {
        name: 'match-sphere: first query after the view changed (read + build), p50',
        value: round(percentile(totals, 50), 1),
        unit: 'ms'
      },
      {
        name: `match-sphere: top-10 query on an unchanged view, p50 of ${queries}`,
        value: round(percentile(times, 50), 3),
        unit: 'ms',
        target: '< 10 ms',
        met: percentile(times, 50) < 10
      },
      { name: 'match-sphere: top-10 on an unchanged view, p99', value: round(percentile(times, 99), 3), unit: 'ms' }
    ]
  } finally {
    await view.close().catch(() => {})
    await store.close().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const members = Number(process.argv[2] ?? 1000)
  const results = await benchMatchSphere({ members, log: (line) => process.stderr.write(`${line}\n`) })
  const lines = ['| measure | value | target | met |', '|---|---|---|---|']
  for (const r of results) {
    lines.push(
      `| ${r.name} | ${r.value.toLocaleString('en-US')} ${r.unit} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'NO'} |`
    )
  }
  process.stdout.write(`${lines.join('\n')}\n`)
}
