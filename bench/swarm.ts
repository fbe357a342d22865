// Spheres over the swarm (issue 5):
//  (a) one member shares N events (BENCH_SHARE, default 100,000) into a sphere; a new
//      member joins and replicates them over loopback Hyperswarm (a hyperdht testnet on
//      127.0.0.1); against raw Hypercore replication of the same envelope bytes over the
//      same kind of connection in the same run (target: at least 0.7x). The write side is
//      measured on its own: Sphere.publish one at a time (the interactive path) and the
//      same envelopes appended in batches through the same apply (the bulk path).
//  (b) a sphere of 50 writers (BENCH_WRITERS) each posting at once: time until all 50
//      views are identical (same system hash, same view hash, every post applied).
// Alone: npx tsc -p . && node --expose-gc dist/bench/swarm.js
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Autobase from 'autobase'
import Corestore from 'corestore'
import HyperDHT from 'hyperdht'
import createTestnet from 'hyperdht/testnet.js'
import Hyperswarm from 'hyperswarm'
import { keyPairFromSeed, randomBytes, type SigningKeyPair, toHex } from '../src/events/crypto.js'
import { encodeBlock, type SignedEvent, sealEvent } from '../src/events/envelope.js'
import { Random } from '../src/fixtures/random.js'
import { Sphere, signWriterBinding } from '../src/swarm/sphere.js'
import type { Result } from './core.js'
import { ms, now, round } from './stats.js'

export interface SwarmBenchOptions {
  /** Events shared and replicated in (a); BENCH_SHARE, default 100,000. */
  readonly share?: number
  /** Of those, how many go through Sphere.publish one at a time (the rest in batches); default 2,000. */
  readonly publish?: number
  /** Replication rounds in (a), raw and sphere alternating; the best of each counts. Default 2. */
  readonly rounds?: number
  /** Writers of the sphere in (b); BENCH_WRITERS, default 50. */
  readonly writers?: number
  /** Posts each writer makes at once in (b); default 1. */
  readonly posts?: number
  /** How long (b) waits for every writer to index every post before reporting it as not reached; default 120 s. */
  readonly indexTimeoutMs?: number
  /** Other writers each writer replicates with in (b); default 4. */
  readonly degree?: number
  readonly log?: (line: string) => void
}

type Bootstrap = { host: string; port: number }[]

/** Autobase 7's progress getters; types/autobase.d.ts does not declare them. */
interface AutobaseProgress {
  /** The system core's tree hash: equal on two peers that applied the same nodes in the same order. */
  hash(): Promise<Uint8Array>
}

/** Hypercore 11's range download; types/hypercore.d.ts does not declare it. */
interface Downloadable {
  download(range: { start: number; end: number }): { done(): Promise<void> }
}

const MB = 1024 * 1024
const BATCH = 1000

function identity(): SigningKeyPair {
  return keyPairFromSeed(randomBytes(32))
}

function openSphere(store: Corestore, key: Uint8Array | null, encryptionKey: Uint8Array, who: SigningKeyPair) {
  return new Sphere(store.namespace('sphere'), { key, encryptionKey, identity: who, atRestKey: randomBytes(32) })
}

/** Two swarms on the testnet, each replicating its store on every connection: the product's SwarmNode minus pairing. */
function swarmOf(store: Corestore, bootstrap: Bootstrap): Hyperswarm {
  const swarm = new Hyperswarm({ dht: new HyperDHT({ bootstrap, host: '127.0.0.1', firewalled: false }) })
  swarm.on('connection', (conn) => {
    store.replicate(conn)
    conn.on('error', () => {})
  })
  return swarm
}

async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  pollMs = 20
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}

/** A new peer joins `topic` on the testnet and downloads `cores` (key and length) in full; returns the ms it took. */
async function fetchOver(
  bootstrap: Bootstrap,
  topic: Uint8Array,
  server: { store: Corestore },
  client: { store: Corestore; waitAlso?: () => Promise<boolean> },
  cores: readonly { key: Uint8Array; length: number }[],
  timeoutMs: number
): Promise<{ ms: number; bytes: number }> {
  const serverSwarm = swarmOf(server.store, bootstrap)
  const clientSwarm = swarmOf(client.store, bootstrap)
  try {
    await serverSwarm.join(topic, { server: true, client: false }).flushed()
    const start = now()
    clientSwarm.join(topic, { server: false, client: true })
    const sessions = cores.map((c) => client.store.get({ key: c.key }))
    await Promise.all(sessions.map((s) => s.ready()))
    await Promise.all(
      sessions.map((s, i) =>
        (s as unknown as Downloadable).download({ start: 0, end: (cores[i] as { length: number }).length }).done()
      )
    )
    await until(
      'the new peer holds every block',
      async () =>
        sessions.every((s, i) => s.contiguousLength >= (cores[i] as { length: number }).length) &&
        (client.waitAlso ? await client.waitAlso() : true),
      timeoutMs
    )
    const elapsed = ms(start)
    const bytes = sessions.reduce((n, s) => n + s.byteLength, 0)
    await Promise.all(sessions.map((s) => s.close()))
    return { ms: elapsed, bytes }
  } finally {
    await clientSwarm.destroy()
    await serverSwarm.destroy()
  }
}

function entryBody(i: number, time: number) {
  return {
    text: `entry ${i}: the river walk helped again today, slower than last week and kinder`,
    tags: ['walking', 'rest'],
    mood: 'calm',
    written: time
  }
}

async function shareAndReplicate(dir: string, n: number, publish: number, rounds: number, log: (s: string) => void) {
  const testnet = await createTestnet(3, { host: '127.0.0.1' })
  try {
    const encryptionKey = randomBytes(32)
    const ada = identity()
    const storeA = new Corestore(join(dir, 'share-a'))
    const sphereA = openSphere(storeA, null, encryptionKey, ada)
    await sphereA.ready()
    const created = await sphereA.publish('sphere.created', { name: 'bench', by: 'Ada' })
    const envelopes: Uint8Array[] = [encodeBlock(created)]

    // Interactive path: one Sphere.publish at a time, each awaited (what `cosmic share` does).
    const interactive = Math.min(publish, n)
    let start = now()
    let last: SignedEvent = created
    for (let i = 0; i < interactive; i++) {
      last = await sphereA.publish('sphere.entry.shared', entryBody(i, Date.now()))
      envelopes.push(encodeBlock(last))
    }
    const publishMs = ms(start)
    log(`swarm: ${interactive} Sphere.publish in ${round(publishMs, 0)} ms`)

    // Bulk path: the same envelopes Sphere.publish seals (own seq, prev, strictly increasing
    // time), appended BATCH at a time through the same apply. Sphere has no batch publish.
    let seq = last.header.seq
    let prev: Uint8Array | null = last.id
    let time = last.header.time
    start = now()
    for (let i = interactive; i < n; i += BATCH) {
      const blocks: Uint8Array[] = []
      for (let j = i; j < Math.min(n, i + BATCH); j++) {
        seq++
        time++
        const event = sealEvent(
          { type: 'sphere.entry.shared', body: entryBody(j, time), privacy: 'shareable' },
          { seq, time, prev },
          ada
        )
        prev = event.id
        blocks.push(encodeBlock(event))
      }
      await sphereA.base.append(blocks)
      envelopes.push(...blocks)
      if ((i - interactive) % 20_000 === 0) log(`swarm:   appended ${i + blocks.length} of ${n}`)
    }
    await sphereA.update()
    const bulk = n - interactive
    const bulkMs = ms(start)
    const meta = await sphereA.meta()
    if (meta?.items !== n) throw new Error(`the sphere holds ${meta?.items} items, not ${n}`)
    log(`swarm: ${bulk} more in batches of ${BATCH} in ${round(bulkMs, 0)} ms`)

    // The same envelope bytes in a plain Hypercore (block-encrypted, like the journal): the baseline.
    const writerKey = sphereA.writerKey
    const rawA = new Corestore(join(dir, 'raw-a'))
    const raw = rawA.get({ name: 'raw', encryption: { key: randomBytes(32) } })
    await raw.ready()
    for (let i = 0; i < envelopes.length; i += BATCH) await raw.append(envelopes.slice(i, i + BATCH))
    const envelopeBytes = envelopes.reduce((sum, e) => sum + e.byteLength, 0)
    const rawKey = raw.key as Uint8Array
    const rawLength = raw.length

    // New members, admitted after the shares (so A, the only indexer then, has indexed them
    // all): each opens the sphere in a fresh store and replicates; it holds everything when
    // it has every envelope of A's writer core and its view shows every item.
    const members: { who: SigningKeyPair; store: Corestore }[] = []
    for (let r = 0; r < rounds; r++) {
      const who = identity()
      const store = new Corestore(join(dir, `share-b${r}`))
      const writer = await Autobase.getLocalKey(store.namespace('sphere'))
      await sphereA.publish('sphere.member.added', {
        member: toHex(who.publicKey),
        writer: toHex(writer),
        name: `member ${r}`,
        proof: toHex(signWriterBinding(who, sphereA.discoveryKey, writer))
      })
      members.push({ who, store })
    }
    const writerLength = sphereA.base.local.length

    // Alternating rounds, best of each: this machine is shared, and one slow round says little.
    const rawRuns: { ms: number; bytes: number }[] = []
    const sphereRuns: { ms: number; bytes: number }[] = []
    let viewBytes = 0
    for (let r = 0; r < rounds; r++) {
      const rawB = new Corestore(join(dir, `raw-b${r}`))
      const rawRun = await fetchOver(
        testnet.bootstrap,
        raw.discoveryKey as Uint8Array,
        { store: rawA },
        { store: rawB },
        [{ key: rawKey, length: rawLength }],
        600_000
      )
      await rawB.close()
      rawRuns.push(rawRun)
      log(`swarm: round ${r + 1}: raw Hypercore replication of ${rawLength} blocks in ${round(rawRun.ms, 0)} ms`)

      const { who, store: storeB } = members[r] as { who: SigningKeyPair; store: Corestore }
      const sphereB = openSphere(storeB, sphereA.key, encryptionKey, who)
      await sphereB.ready()
      const sphereRun = await fetchOver(
        testnet.bootstrap,
        sphereA.discoveryKey,
        { store: storeA },
        {
          store: storeB,
          waitAlso: async () => {
            await sphereB.update()
            return (await sphereB.meta())?.items === n
          }
        },
        [{ key: writerKey, length: writerLength }],
        600_000
      )
      sphereRuns.push(sphereRun)
      log(`swarm: round ${r + 1}: a new member holds all ${n} shared events in ${round(sphereRun.ms, 0)} ms`)
      viewBytes = sphereB.base.view.core.byteLength
      await sphereB.close()
      await storeB.close()
    }
    await rawA.close()
    await sphereA.close()
    await storeA.close()
    const best = (runs: { ms: number; bytes: number }[]) =>
      runs.reduce((a, b) => (b.ms < a.ms ? b : a), runs[0] as { ms: number; bytes: number })
    const rawRun = best(rawRuns)
    const sphereRun = best(sphereRuns)

    const publishRate = (interactive / publishMs) * 1000
    const bulkRate = bulk > 0 ? (bulk / bulkMs) * 1000 : 0
    const sphereRate = (n / sphereRun.ms) * 1000
    const rawRate = (n / rawRun.ms) * 1000
    return [
      {
        name: `share: Sphere.publish one at a time (sign, append, apply, each awaited), ${interactive} events`,
        value: round(publishRate, 0),
        unit: 'events/s'
      },
      ...(bulk > 0
        ? [
            {
              name: `share: the same envelopes appended in batches of ${BATCH} through the sphere's apply, ${bulk} events`,
              value: round(bulkRate, 0),
              unit: 'events/s'
            }
          ]
        : []),
      {
        name: `share: a new member replicates ${n} shared events over loopback Hyperswarm (every envelope + a caught-up view; best of ${rounds})`,
        value: round(sphereRate, 0),
        unit: 'events/s',
        baseline: {
          name: `raw Hypercore replication of the same envelope bytes (${round(envelopeBytes / MB, 1)} MB) over the same kind of connection, best of ${rounds}`,
          value: round(rawRate, 0)
        },
        ratio: round(sphereRate / rawRate),
        target: '>= 0.7x raw Hypercore',
        met: sphereRate / rawRate >= 0.7
      },
      {
        name: 'share: time for the new member to hold everything',
        value: round(sphereRun.ms / 1000, 2),
        unit: 's',
        baseline: { name: 'raw Hypercore', value: round(rawRun.ms / 1000, 2) },
        ratio: round(sphereRun.ms / rawRun.ms)
      },
      {
        name: `share: bytes the new member downloaded (writer core; its view, ${round(viewBytes / MB, 1)} MB, stays lazy)`,
        value: round(sphereRun.bytes / MB, 1),
        unit: 'MB',
        baseline: { name: 'raw Hypercore', value: round(rawRun.bytes / MB, 1) },
        ratio: round(sphereRun.bytes / rawRun.bytes)
      }
    ] as Result[]
  } finally {
    await testnet.destroy()
  }
}

/** Replication edges: a ring (so the graph is connected) plus random chords up to `degree` per writer. */
function meshOf(writers: number, degree: number, seed: number): [number, number][] {
  const random = new Random(seed)
  const edges = new Set<string>()
  const count = new Array<number>(writers).fill(0)
  const add = (a: number, b: number) => {
    const key = a < b ? `${a}-${b}` : `${b}-${a}`
    if (a === b || edges.has(key)) return
    edges.add(key)
    count[a] = (count[a] ?? 0) + 1
    count[b] = (count[b] ?? 0) + 1
  }
  for (let i = 0; i < writers; i++) add(i, (i + 1) % writers)
  for (let tries = 0; tries < writers * degree * 10; tries++) {
    const a = random.int(0, writers - 1)
    const b = random.int(0, writers - 1)
    if ((count[a] ?? 0) < degree && (count[b] ?? 0) < degree) add(a, b)
  }
  return [...edges].map((e) => e.split('-').map(Number) as [number, number])
}

/**
 * Writers of one sphere, each in its own Corestore, replicating in process over a mesh of
 * stream pipes (no DHT: fifty DHT nodes on two cores would measure the DHT). Every writer
 * posts at once; converged when every view has every post and all system and view hashes
 * agree; indexed when, on top of that, every writer has indexed all of it.
 */
async function writersConverging(
  dir: string,
  writers: number,
  posts: number,
  degree: number,
  indexTimeoutMs: number,
  log: (s: string) => void
): Promise<Result[]> {
  const encryptionKey = randomBytes(32)
  const people = Array.from({ length: writers }, () => identity())
  const stores = people.map((_, i) => new Corestore(join(dir, `writer-${i}`)))
  const streams: { destroy(): void }[] = []
  const spheres: Sphere[] = []
  try {
    const creator = openSphere(stores[0] as Corestore, null, encryptionKey, people[0] as SigningKeyPair)
    await creator.ready()
    spheres.push(creator)
    await creator.publish('sphere.created', { name: 'fifty', by: 'writer 0' })
    for (let i = 1; i < writers; i++) {
      const writer = await Autobase.getLocalKey((stores[i] as Corestore).namespace('sphere'))
      const person = people[i] as SigningKeyPair
      await creator.publish('sphere.member.added', {
        member: toHex(person.publicKey),
        writer: toHex(writer),
        name: `writer ${i}`,
        proof: toHex(signWriterBinding(person, creator.discoveryKey, writer))
      })
    }
    for (let i = 1; i < writers; i++) {
      const sphere = openSphere(stores[i] as Corestore, creator.key, encryptionKey, people[i] as SigningKeyPair)
      await sphere.ready()
      spheres.push(sphere)
    }
    const edges = meshOf(writers, degree, 50)
    for (const [a, b] of edges) {
      const one = (stores[a] as Corestore).replicate(true)
      const two = (stores[b] as Corestore).replicate(false)
      one.pipe(two).pipe(one)
      one.on('error', () => {})
      two.on('error', () => {})
      streams.push(one, two)
    }
    let start = now()
    await until('every writer is writable', () => spheres.every((s) => s.writable), 600_000)
    log(`swarm: ${writers} writers admitted and writable in ${round(ms(start), 0)} ms (${edges.length} links)`)

    start = now()
    await Promise.all(
      spheres.map(async (sphere, w) => {
        for (let p = 0; p < posts; p++) await sphere.publish('sphere.post', { text: `writer ${w}, post ${p}` })
      })
    )
    const writeMs = ms(start)
    const total = writers * posts
    let polls = 0
    await until(
      'every view is identical',
      async () => {
        polls++
        for (const sphere of spheres) {
          await sphere.update()
          if ((await sphere.meta())?.items !== total) return false
        }
        const hashes = new Set<string>()
        for (const sphere of spheres) {
          const base = sphere.base as unknown as AutobaseProgress
          hashes.add(`${toHex(await base.hash())}/${toHex(await sphere.base.view.core.treeHash())}`)
        }
        return hashes.size === 1
      },
      900_000,
      500
    )
    const convergeMs = ms(start)
    // The posts' view blocks, identical everywhere now; Autobase leaves its newest acks
    // unindexed forever, but acks write nothing to the view: "indexed" is every writer's
    // view signed (indexed by a majority of the indexers) up to this length.
    const viewLength = (spheres[0] as Sphere).base.view.core.length
    log(`swarm: ${writers} views identical ${round(convergeMs, 0)} ms after the first post (${polls} polls)`)
    let indexedMs: number | null = null
    try {
      await until(
        'every writer indexed every post',
        () =>
          spheres.every((s) => (s.base.view.core as unknown as { signedLength: number }).signedLength >= viewLength),
        indexTimeoutMs,
        500
      )
      indexedMs = ms(start)
      log(`swarm: ${writers} writers indexed every post after ${round(indexedMs, 0)} ms`)
    } catch {
      log(`swarm: not every writer indexed every post within ${indexTimeoutMs} ms of the views converging`)
    }
    return [
      {
        name: `sphere of ${writers} writers (in-process mesh, ${degree} links each): ${posts} post${posts === 1 ? '' : 's'} each at once, time until all views are identical`,
        value: round(convergeMs / 1000, 2),
        unit: 's'
      },
      {
        name: `sphere of ${writers} writers: the posting itself (${total} posts)`,
        value: round(writeMs / 1000, 2),
        unit: 's'
      },
      indexedMs === null
        ? {
            name: `sphere of ${writers} writers: every writer indexed every post (all ${writers} are indexers): not within ${round(indexTimeoutMs / 1000, 0)} s after the views converged`,
            value: round((convergeMs + indexTimeoutMs) / 1000, 2),
            unit: 's (not reached)'
          }
        : {
            name: `sphere of ${writers} writers: time until every writer has indexed every post (all ${writers} are indexers)`,
            value: round(indexedMs / 1000, 2),
            unit: 's'
          }
    ]
  } finally {
    for (const stream of streams) stream.destroy()
    for (const sphere of spheres) await sphere.close().catch(() => {})
    for (const store of stores) await store.close().catch(() => {})
  }
}

export async function benchSwarm(options: SwarmBenchOptions = {}): Promise<Result[]> {
  const log = options.log ?? (() => {})
  const dir = await mkdtemp(join(tmpdir(), 'cosmic-bench-swarm-'))
  try {
    const share = options.share ?? Number(process.env.BENCH_SHARE ?? 100_000)
    const results = await shareAndReplicate(dir, share, options.publish ?? 2000, options.rounds ?? 2, log)
    const writers = options.writers ?? Number(process.env.BENCH_WRITERS ?? 50)
    if (writers > 1) {
      results.push(
        ...(await writersConverging(
          dir,
          writers,
          options.posts ?? 1,
          options.degree ?? 4,
          options.indexTimeoutMs ?? 120_000,
          log
        ))
      )
    }
    return results
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

export function printResults(results: readonly Result[]): string {
  const lines = ['| measure | value | baseline (same run) | ratio | target | met |', '|---|---|---|---|---|---|']
  for (const r of results) {
    lines.push(
      `| ${r.name} | ${r.value.toLocaleString('en-US')} ${r.unit} | ${r.baseline ? `${r.baseline.name}: ${r.baseline.value.toLocaleString('en-US')} ${r.unit}` : ''} | ${r.ratio ?? ''}${r.ratio !== undefined ? 'x' : ''} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'NO'} |`
    )
  }
  return lines.join('\n')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = await benchSwarm({ log: (line) => process.stderr.write(`${line}\n`) })
  process.stdout.write(`${printResults(results)}\n`)
}
