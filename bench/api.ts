// The HTTP API and the web UI, measured: `benchApi()` (bench/run.ts calls it).
// - the timeline route over loopback with autocannon (req/s, p99), against a hello-world
//   Fastify route measured the same way in the same run (targets: 3,000 req/s, p99 < 25 ms);
// - the first meaningful paint of the journal page in Chromium: the moment the journal's
//   own entries are on screen (performance mark `journal-ready`), and first contentful paint.
// On the demo persona's home by default; BENCH_API_EVENTS=N builds a scaled home of N
// events for the run instead (1M: several minutes), and BENCH_API_HOME=PATH opens an
// existing one (passphrase BENCH_API_PASSPHRASE, default the benchmarks' own).
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import Fastify, { type FastifyInstance } from 'fastify'
import { CHROMIUM, launchChromium } from '../scripts/chromium.js'
import { buildApp } from '../src/api/app.js'
import { createDemoHome } from '../src/fixtures/load-persona.js'
import { buildScaledHome } from '../src/fixtures/scale.js'
import { Home } from '../src/store/home.js'
import type { Result } from './core.js'
import { round } from './stats.js'

const TOKEN = 'benchmark-token-0123456789abcdefghijklmnopqrstu'

export interface ApiBenchOptions {
  /** Seconds of load per route (default 10), after a 2 s warm-up. */
  duration?: number
  connections?: number
  /** Journal page loads measured in Chromium (default 5; the median is reported). */
  paints?: number
  /** An existing home to measure (default: the demo persona's, built for the run). */
  home?: string
  log?: (line: string) => void
}

interface Load {
  requestsPerSecond: number
  p50: number
  p99: number
  errors: number
  non2xx: number
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  return `http://127.0.0.1:${port}`
}

/** autocannon in a worker thread, so the load it makes does not share the server's event loop. */
async function load(url: string, options: { duration: number; connections: number }): Promise<Load> {
  const base = { url, connections: options.connections, headers: { authorization: `Bearer ${TOKEN}` }, workers: 1 }
  await autocannon({ ...base, duration: 2 })
  const r = await autocannon({ ...base, duration: options.duration })
  return {
    requestsPerSecond: round(r.requests.average, 0),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

/** Median time to the journal's entries on screen (ms from navigation), and to first contentful paint; null without Chromium. */
async function paints(base: string, runs: number, log: (s: string) => void) {
  if (!existsSync(CHROMIUM)) {
    log(`first meaningful paint: not measured, no Chromium at ${CHROMIUM} (apt-get install -y chromium)`)
    return null
  }
  const profile = await mkdtemp(join(tmpdir(), 'cosmic-bench-chromium-'))
  const context = await launchChromium(profile)
  const meaningful: number[] = []
  const contentful: number[] = []
  try {
    for (let i = 0; i < runs + 1; i++) {
      const page = await context.newPage()
      await page.goto(`${base}/#token=${TOKEN}`)
      await page.waitForFunction("performance.getEntriesByName('journal-ready').length > 0", undefined, {
        timeout: 30_000
      })
      const times = (await page.evaluate(`({
        ready: performance.getEntriesByName('journal-ready')[0].startTime,
        fcp: (performance.getEntriesByName('first-contentful-paint')[0] || { startTime: NaN }).startTime
      })`)) as { ready: number; fcp: number }
      await page.close()
      if (i === 0) continue // the first load also compiles the bundle in a fresh browser
      meaningful.push(times.ready)
      contentful.push(times.fcp)
    }
  } finally {
    await context.close()
    await rm(profile, { recursive: true, force: true })
  }
  return { meaningful: round(median(meaningful), 1), contentful: round(median(contentful), 1) }
}

export async function benchApi(options: ApiBenchOptions = {}): Promise<Result[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const duration = options.duration ?? Number(process.env.BENCH_API_SECONDS ?? 10)
  const connections = options.connections ?? 10
  const dir = await mkdtemp(join(tmpdir(), 'cosmic-bench-api-'))
  const existing = options.home ?? process.env.BENCH_API_HOME
  let home: Home
  if (existing) {
    log(`api: opening ${existing}…`)
    home = await Home.open(existing, process.env.BENCH_API_PASSPHRASE ?? 'benchmark passphrase')
    log(`api: ${home.journal.length} events`)
  } else if (process.env.BENCH_API_EVENTS) {
    const n = Number(process.env.BENCH_API_EVENTS)
    log(`api: building a ${n}-event home…`)
    home = await buildScaledHome(join(dir, 'home'), n, { passphrase: 'benchmark passphrase' })
  } else {
    log('api: building the demo persona’s home…')
    home = await createDemoHome(join(dir, 'home'))
  }
  const events = home.journal.length
  const app = await buildApp({ home, token: TOKEN })
  const uncached = await buildApp({ home, token: TOKEN, cache: false, webRoot: null })
  const hello = Fastify({ logger: false })
  hello.get('/hello', async () => ({ hello: 'world' }))
  try {
    const base = await listen(app)
    const helloBase = await listen(hello)
    const uncachedBase = await listen(uncached)
    log(`api: hello-world route, ${duration} s, ${connections} connections…`)
    const baseline = await load(`${helloBase}/hello`, { duration, connections })
    log(`api: GET /api/timeline?limit=20, ${duration} s, ${connections} connections…`)
    const timeline = await load(`${base}/api/timeline?limit=20`, { duration, connections })
    log(`api: the same without the response cache (every request runs the query), ${duration} s…`)
    const cold = await load(`${uncachedBase}/api/timeline?limit=20`, { duration, connections })
    for (const l of [timeline, cold])
      if (l.errors || l.non2xx) log(`api: ${l.errors} errors, ${l.non2xx} non-2xx answers`)
    log('api: first meaningful paint of the journal in Chromium…')
    const paint = await paints(base, options.paints ?? 5, log)
    const results: Result[] = [
      {
        name: `API: GET /api/timeline (20 entries with mirrorbacks, ${events}-event home), loopback, answers cached until the next change`,
        value: timeline.requestsPerSecond,
        unit: 'req/s',
        baseline: { name: 'hello-world Fastify route', value: baseline.requestsPerSecond },
        ratio: round(timeline.requestsPerSecond / baseline.requestsPerSecond, 2),
        target: '>= 3,000 req/s',
        met: timeline.requestsPerSecond >= 3000 && timeline.errors === 0 && timeline.non2xx === 0
      },
      {
        name: 'API: GET /api/timeline p99 latency (cached)',
        value: timeline.p99,
        unit: 'ms',
        baseline: { name: 'hello-world p99', value: baseline.p99 },
        target: '< 25 ms',
        met: timeline.p99 < 25
      },
      {
        name: `API: GET /api/timeline, every request running the query (no response cache, ${events}-event home)`,
        value: cold.requestsPerSecond,
        unit: 'req/s',
        baseline: { name: 'hello-world Fastify route', value: baseline.requestsPerSecond },
        ratio: round(cold.requestsPerSecond / baseline.requestsPerSecond, 2),
        target: '>= 3,000 req/s',
        met: cold.requestsPerSecond >= 3000 && cold.errors === 0 && cold.non2xx === 0
      },
      {
        name: 'API: GET /api/timeline p99 latency (no response cache)',
        value: cold.p99,
        unit: 'ms',
        target: '< 25 ms',
        met: cold.p99 < 25
      }
    ]
    if (paint) {
      results.push(
        {
          name: 'Web: first meaningful paint of the journal (entries on screen), Chromium, median',
          value: paint.meaningful,
          unit: 'ms'
        },
        { name: 'Web: first contentful paint of the journal, median', value: paint.contentful, unit: 'ms' }
      )
    }
    for (const r of results) {
      log(
        `  ${r.name}: ${r.value} ${r.unit}${r.baseline ? ` (${r.baseline.name}: ${r.baseline.value} ${r.unit})` : ''}${r.met === undefined ? '' : r.met ? ' — target met' : ' — TARGET MISSED'}`
      )
    }
    process.stdout.write(
      `${results.map((r) => `${r.name}: ${r.value} ${r.unit}${r.baseline ? ` | ${r.baseline.name}: ${r.baseline.value} ${r.unit}` : ''}`).join('\n')}\n`
    )
    return results
  } finally {
    await hello.close()
    await uncached.close()
    await app.close()
    await home.close()
    await rm(dir, { recursive: true, force: true })
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname) await benchApi()
