// The server's own CPU time per request of an uncached API route: the app listens in this
// process, autocannon (10 connections) loads it from a child process, and the process's
// CPU time (user + system) over the measured seconds is divided by the requests answered.
// On these 2-core machines the load generator takes one core and the server the other,
// so 3,000 req/s needs at most ~0.33 ms of server CPU a request.
//   node dist/bench/api-cpu.js HOME [PATH] [SECONDS]
// HOME: a home (passphrase BENCH_API_PASSPHRASE, default the benchmarks' own); where there
// is none yet, BENCH_API_EVENTS=N builds a scaled home of N events there first, and keeps
// it for the next runs (1M: a few minutes). PATH: default /api/timeline?limit=20;
// SECONDS: default 8, after a 2 s warm-up.
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { buildApp } from '../src/api/app.js'
import { buildScaledHome } from '../src/fixtures/scale.js'
import { Home } from '../src/store/home.js'

const TOKEN = 'benchmark-token-0123456789abcdefghijklmnopqrstu'

interface Load {
  url: string
  seconds: number
}

type Report =
  | { phase: 'measuring' }
  | { phase: 'done'; rps: number; total: number; p50: number; p99: number; bad: number }

/** The child: warm up, say when the measured run starts, report it. */
async function generate({ url, seconds }: Load): Promise<void> {
  const send = (report: Report) => process.send?.(report)
  const base = { url, connections: 10, headers: { authorization: `Bearer ${TOKEN}` } }
  await autocannon({ ...base, duration: 2 })
  send({ phase: 'measuring' })
  const r = await autocannon({ ...base, duration: seconds })
  send({
    phase: 'done',
    rps: r.requests.average,
    total: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    bad: r.errors + r.timeouts + r.non2xx
  })
}

async function open(homePath: string): Promise<Home> {
  const passphrase = process.env.BENCH_API_PASSPHRASE ?? 'benchmark passphrase'
  if (existsSync(homePath) || !process.env.BENCH_API_EVENTS) return Home.open(homePath, passphrase)
  const events = Number(process.env.BENCH_API_EVENTS)
  process.stderr.write(`building a ${events}-event home at ${homePath}…\n`)
  return buildScaledHome(homePath, events, { passphrase })
}

async function serve(homePath: string, path: string, seconds: number): Promise<void> {
  const home = await open(homePath)
  const app = await buildApp({ home, token: TOKEN, cache: false, webRoot: null })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const child = fork(fileURLToPath(import.meta.url), ['--generate'])
  try {
    const report = await new Promise<Extract<Report, { phase: 'done' }> & { cpu: NodeJS.CpuUsage }>(
      (resolve, reject) => {
        let start: NodeJS.CpuUsage | undefined
        child.on('error', reject)
        child.on('exit', (code) => reject(new Error(`the load generator exited (${code})`)))
        child.on('message', (m: Report) => {
          if (m.phase === 'measuring') start = process.cpuUsage()
          else resolve({ ...m, cpu: process.cpuUsage(start) })
        })
        child.send({ url: `http://127.0.0.1:${port}${path}`, seconds } satisfies Load)
      }
    )
    const perRequest = (µs: number) => (µs / report.total).toFixed(0)
    process.stdout.write(
      `${path}: ${Math.round(report.rps)} req/s, p50 ${report.p50} ms, p99 ${report.p99} ms, ${report.bad} errors or non-2xx; ` +
        `server CPU ${perRequest(report.cpu.user + report.cpu.system)} µs a request (user ${perRequest(report.cpu.user)}, system ${perRequest(report.cpu.system)})\n`
    )
  } finally {
    child.removeAllListeners('exit')
    child.kill()
    await app.close()
    await home.close()
  }
}

if (process.argv[2] === '--generate') {
  process.once('message', (load: Load) => {
    generate(load).catch((err) => {
      console.error(err)
      process.exit(1)
    })
  })
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [homePath, path = '/api/timeline?limit=20', seconds = '8'] = process.argv.slice(2)
  if (!homePath) {
    console.error('usage: node dist/bench/api-cpu.js HOME [PATH] [SECONDS]')
    process.exit(2)
  }
  await serve(homePath, path, Number(seconds))
}
