// One measurement in a fresh process (cold caches of this process, its own peak RSS).
// Usage: node dist/bench/child.js TASK HOME PASSPHRASE
import SQLite from 'better-sqlite3-multiple-ciphers'
import { decodeBlock } from '../src/events/envelope.js'
import { timeline } from '../src/projections/queries.js'
import { Home } from '../src/store/home.js'
import { rebuild } from '../src/store/replay.js'
import { measureSqlite } from './sqlite-time.js'
import { mainThreadCpuMs, ms, now, processCpuMs } from './stats.js'

const [task, path, passphrase] = process.argv.slice(2) as [string, string, string]

async function main(): Promise<Record<string, number>> {
  switch (task) {
    case 'cold-open': {
      const start = now()
      const home = await Home.open(path, passphrase)
      const opened = ms(start)
      const page = timeline(home.readModel.db, { limit: 20 })
      const total = ms(start)
      await home.close()
      return { openMs: opened, firstPageMs: total, items: page.items.length }
    }
    case 'replay': {
      const home = await Home.open(path, passphrase)
      const main = mainThreadCpuMs()
      const cpu = processCpuMs()
      const start = now()
      const report = await rebuild(home)
      const elapsed = ms(start)
      const mainCpuMs = mainThreadCpuMs() - main
      const cpuMs = processCpuMs() - cpu
      const events = home.journal.length
      await home.close()
      return { events, ms: elapsed, applied: report.applied, mainCpuMs, cpuMs }
    }
    case 'replay-sqlite': {
      // A replay of its own with every SQLite call timed (this thread's share that no other can take).
      const home = await Home.open(path, passphrase)
      const main = mainThreadCpuMs()
      const { sqlite } = await measureSqlite(() => rebuild(home))
      const mainCpuMs = mainThreadCpuMs() - main
      const events = home.journal.length
      await home.close()
      return { events, sqliteMs: sqlite.ms, calls: sqlite.calls, mainCpuMs }
    }
    case 'raw-read': {
      const home = await Home.open(path, passphrase)
      const start = now()
      let bytes = 0
      let n = 0
      for await (const { block } of home.journal.blocks()) {
        if (block) bytes += block.byteLength
        n++
      }
      const elapsed = ms(start)
      await home.close()
      return { events: n, ms: elapsed, bytes }
    }
    case 'read-decode': {
      // What a replay does before any projection: read every block and decode it (checks included).
      const home = await Home.open(path, passphrase)
      const start = now()
      let n = 0
      for await (const { block } of home.journal.blocks()) {
        if (block) decodeBlock(block)
        n++
      }
      const elapsed = ms(start)
      await home.close()
      return { events: n, ms: elapsed }
    }
    case 'bare-sqlite': {
      // The same rows the timeline holds, inserted without any projection logic.
      const home = await Home.open(path, passphrase)
      const rows: [number, number, string, string][] = []
      for await (const { seq, block } of home.journal.blocks()) {
        if (!block) continue
        const e = decodeBlock(block)
        rows.push([seq, e.header.time, e.header.type, JSON.stringify(e.body)])
      }
      await home.close()
      const db = new SQLite(`${path}/bench-bare.db`)
      db.pragma(`cipher = 'chacha20'`)
      db.pragma(`key = "x'${'11'.repeat(32)}'"`)
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
      db.exec(
        'DROP TABLE IF EXISTS rows; CREATE TABLE rows (seq INTEGER PRIMARY KEY, time INTEGER, type TEXT, body TEXT)'
      )
      const insert = db.prepare('INSERT INTO rows VALUES (?, ?, ?, ?)')
      const start = now()
      const batch = db.transaction((chunk: typeof rows) => {
        for (const r of chunk) insert.run(...r)
      })
      for (let i = 0; i < rows.length; i += 2000) batch(rows.slice(i, i + 2000))
      const elapsed = ms(start)
      db.close()
      return { events: rows.length, ms: elapsed }
    }
    default:
      throw new Error(`unknown task ${task}`)
  }
}

const result = await main()
process.stdout.write(`${JSON.stringify({ ...result, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`)
