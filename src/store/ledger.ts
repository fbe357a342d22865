import type { Database } from 'better-sqlite3-multiple-ciphers'
import { CosmicError } from '../errors.js'
import { fromHex } from '../events/crypto.js'
import { decodeBlock, type SignedEvent } from '../events/envelope.js'
import { type Journal, READ_CHUNK } from './journal.js'
import type { MerkleNode } from './merkle.js'

/**
 * A stretch of the merged order: `count` positions from `pos` are the events `seq` to
 * `seq + count - 1` of one device's log. A home with one device has one run.
 */
export interface Run {
  pos: number
  device: number
  seq: number
  count: number
  /** Time of the run's last event: where the merged order stands. */
  lastTime: number
}

export const LEDGER_SCHEMA =
  'CREATE TABLE IF NOT EXISTS ledger (pos INTEGER PRIMARY KEY, device INTEGER NOT NULL, seq INTEGER NOT NULL, count INTEGER NOT NULL, last_time INTEGER NOT NULL)'

/**
 * The merged order of every device's log, as far as the read model has applied it: a
 * position (what projections call `seq`) maps to one event of one device's log. Kept in
 * the read model's file and changed in the same transaction as the projections, so the
 * order and what was applied in it never disagree.
 */
export class Runs {
  readonly list: Run[] = []
  length = 0
  private readonly next = new Map<number, number>()
  private dirtyFrom = Number.POSITIVE_INFINITY

  /** Replaces what this holds with the order `db` keeps (the read model opened, a rebuilt one put in place, or the old one back). */
  reload(db: Database): this {
    db.exec(LEDGER_SCHEMA)
    this.list.length = 0
    this.length = 0
    this.next.clear()
    this.dirtyFrom = Number.POSITIVE_INFINITY
    const rows = db
      .prepare<[], { pos: number; device: number; seq: number; count: number; last_time: number }>(
        'SELECT pos, device, seq, count, last_time FROM ledger ORDER BY pos'
      )
      .all()
    for (const r of rows) {
      if (r.pos !== this.length) throw CosmicError.HOME_DAMAGED(`the read model's ledger has a gap at ${this.length}`)
      this.list.push({ pos: r.pos, device: r.device, seq: r.seq, count: r.count, lastTime: r.last_time })
      this.length += r.count
      this.next.set(r.device, r.seq + r.count)
    }
    return this
  }

  /** The next seq of `device`'s log that the merged order does not hold yet. */
  nextOf(device: number): number {
    return this.next.get(device) ?? 0
  }

  get last(): Run | undefined {
    return this.list[this.list.length - 1]
  }

  /** Appends the event `seq` of `device`'s log at position `length`. */
  push(device: number, seq: number, time: number | undefined): void {
    if (seq !== this.nextOf(device)) {
      throw CosmicError.INTERNAL(`device ${device}'s log is merged up to ${this.nextOf(device)}, not ${seq}`)
    }
    const last = this.last
    const at = time ?? last?.lastTime ?? 0
    if (last && last.device === device && last.seq + last.count === seq) {
      last.count++
      last.lastTime = Math.max(last.lastTime, at)
      this.dirtyFrom = Math.min(this.dirtyFrom, this.list.length - 1)
    } else {
      this.list.push({ pos: this.length, device, seq, count: 1, lastTime: at })
      this.dirtyFrom = Math.min(this.dirtyFrom, this.list.length - 1)
    }
    this.length++
    this.next.set(device, seq + 1)
  }

  /** Where position `pos` lives. */
  locate(pos: number): { device: number; seq: number } {
    const run = this.runAt(pos)
    return { device: run.device, seq: run.seq + (pos - run.pos) }
  }

  /** The run that holds position `pos`. */
  runAt(pos: number): Run {
    if (!Number.isSafeInteger(pos) || pos < 0 || pos >= this.length) {
      throw CosmicError.NOT_FOUND(`no event at seq ${pos} (the journal has ${this.length})`)
    }
    let lo = 0
    let hi = this.list.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((this.list[mid] as Run).pos <= pos) lo = mid
      else hi = mid - 1
    }
    return this.list[lo] as Run
  }

  /** A point to come back to if the transaction that extends the order fails. */
  mark(): { runs: number; length: number; last: Run | undefined; next: Map<number, number> } {
    const last = this.last
    return {
      runs: this.list.length,
      length: this.length,
      last: last ? { ...last } : undefined,
      next: new Map(this.next)
    }
  }

  rollback(mark: ReturnType<Runs['mark']>): void {
    this.list.length = mark.runs
    if (mark.last) this.list[mark.runs - 1] = mark.last
    this.length = mark.length
    this.next.clear()
    for (const [d, n] of mark.next) this.next.set(d, n)
    this.dirtyFrom = Math.min(this.dirtyFrom, Math.max(0, mark.runs - 1))
  }

  /** Writes the runs changed since the last write (inside the caller's transaction). */
  persist(db: Database): void {
    if (this.dirtyFrom === Number.POSITIVE_INFINITY) return
    const from = this.list[this.dirtyFrom]
    db.prepare('DELETE FROM ledger WHERE pos >= ?').run(from ? from.pos : this.length)
    const insert = db.prepare('INSERT INTO ledger (pos, device, seq, count, last_time) VALUES (?, ?, ?, ?, ?)')
    for (let i = this.dirtyFrom; i < this.list.length; i++) {
      const r = this.list[i] as Run
      insert.run(r.pos, r.device, r.seq, r.count, r.lastTime)
    }
    this.dirtyFrom = Number.POSITIVE_INFINITY
  }

  clear(db: Database): void {
    db.exec('DELETE FROM ledger')
    this.list.length = 0
    this.length = 0
    this.next.clear()
    this.dirtyFrom = Number.POSITIVE_INFINITY
  }
}

/** One event as the merged order reads it: where it sits, and its block (null when cleared). */
export interface LedgerBlock {
  pos: number
  device: number
  seq: number
  block: Uint8Array | null
}

/** One unmerged event of some device's log, decoded as far as ordering needs. */
export interface Candidate {
  device: number
  seq: number
  block: Uint8Array | null
  event: SignedEvent | null
  /** Its time (from the block, or from the header a tombstone kept); undefined when neither is known. */
  time: number | undefined
}

/**
 * Every device's log of one person, read in the merged order. Positions are what the read
 * model applied (its runs); `unmerged` reads what the logs hold beyond them, ordered by
 * (time, device): every device applies the same events in the same order, so their read
 * models end up identical (docs/devices.md). With one device this is its log, position =
 * seq.
 */
/** Blocks `seq` to `seq + count - 1` of a device's log, at positions from `pos` of the merged order. */
export interface ChunkRange {
  pos: number
  device: number
  seq: number
  count: number
}

/** A stretch of one log cut into ranges of at most READ_CHUNK blocks, placed from position `pos`. */
export function logRanges(device: number, from: number, to: number, pos: number): ChunkRange[] {
  const ranges: ChunkRange[] = []
  for (let seq = from; seq < to; seq += READ_CHUNK) {
    ranges.push({ pos: pos + (seq - from), device, seq, count: Math.min(READ_CHUNK, to - seq) })
  }
  return ranges
}

export class Ledger {
  readonly own: Journal
  private readonly logs = new Map<number, Journal>()
  /** Bumped when the merged order is rebuilt (positions moved): caches keyed by position drop. */
  epoch = 0
  /** Per log, the seq up to which every block was read for tombstones. */
  private readonly scanned = new Map<number, number>()

  constructor(
    own: Journal,
    readonly runs: Runs
  ) {
    this.own = own
    this.logs.set(own.device, own)
  }

  addLog(journal: Journal): void {
    this.logs.set(journal.device, journal)
  }

  hasLog(device: number): boolean {
    return this.logs.has(device)
  }

  log(device: number): Journal {
    const log = this.logs.get(device)
    if (!log) throw CosmicError.NOT_FOUND(`no log of device ${device} on this device`)
    return log
  }

  get journals(): Journal[] {
    return [...this.logs.values()].sort((a, b) => a.device - b.device)
  }

  /** Positions in the merged order (every event the read model applied). */
  get length(): number {
    return this.runs.length
  }

  /** Events this device holds in every log (merged or not). */
  get total(): number {
    let n = 0
    for (const log of this.logs.values()) n += log.length
    return n
  }

  /** Time of the newest merged event. */
  get lastTime(): number {
    return Math.max(this.runs.last?.lastTime ?? 0, this.own.lastTime)
  }

  locate(pos: number): { journal: Journal; device: number; seq: number } {
    const { device, seq } = this.runs.locate(pos)
    return { journal: this.log(device), device, seq }
  }

  async getBlock(pos: number): Promise<SignedEvent | null> {
    const { journal, seq } = this.locate(pos)
    return journal.getBlock(seq)
  }

  async get(pos: number): Promise<SignedEvent> {
    const { journal, seq } = this.locate(pos)
    return journal.get(seq)
  }

  async leaf(pos: number): Promise<MerkleNode | null> {
    const { journal, seq } = this.locate(pos)
    return journal.leaf(seq)
  }

  /** Streams the merged order's blocks from position `from` to `to` (exclusive), run by run. */
  async *blocks(from = 0, to = this.runs.length): AsyncGenerator<LedgerBlock> {
    const end = Math.min(to, this.runs.length)
    let pos = Math.max(0, from)
    while (pos < end) {
      const run = this.runs.runAt(pos)
      const device = run.device
      const seq = run.seq + (pos - run.pos)
      const stop = Math.min(end, run.pos + run.count)
      const journal = this.log(device)
      for await (const b of journal.blocks(seq, seq + (stop - pos))) {
        yield { pos: pos + (b.seq - seq), device, seq: b.seq, block: b.block }
      }
      pos = stop
    }
  }

  /**
   * The merged order from `from` to `to` (exclusive) as ranges of at most READ_CHUNK
   * consecutive blocks of one device's log, each one read of its storage (`Journal.readBlocks`).
   */
  chunkRanges(from = 0, to = this.runs.length): ChunkRange[] {
    const end = Math.min(to, this.runs.length)
    const ranges: ChunkRange[] = []
    let pos = Math.max(0, from)
    while (pos < end) {
      const run = this.runs.runAt(pos)
      const stop = Math.min(end, run.pos + run.count)
      const seq = run.seq + (pos - run.pos)
      ranges.push(...logRanges(run.device, seq, seq + (stop - pos), pos))
      pos = stop
    }
    return ranges
  }

  /**
   * When every unmerged event is in one log (one device writes; a rebuild of a home with
   * one device), that log and the range of it: the merged order takes it as it is.
   * Null when several logs have unmerged events (`unmerged` interleaves them).
   */
  async singleUnmergedLog(): Promise<{ device: number; from: number; to: number } | null> {
    const fronts = await this.frontiers()
    if (fronts.size !== 1) return fronts.size === 0 ? { device: this.own.device, from: 0, to: 0 } : null
    const [[device, range]] = [...fronts] as [[number, { from: number; to: number }]]
    return { device, ...range }
  }

  /** Decoded events of the merged order; retracted ones as their signed headers. */
  async *events(from = 0, to = this.runs.length): AsyncGenerator<{ pos: number; device: number; event: SignedEvent }> {
    for await (const b of this.blocks(from, to)) {
      const journal = this.log(b.device)
      yield { pos: b.pos, device: b.device, event: b.block ? decodeBlock(b.block) : await journal.get(b.seq) }
    }
  }

  /**
   * How far each log can be merged now: from its next unmerged seq, as long as blocks are
   * here (stored, or cleared with a known header). Another device's log stops at the first
   * block not downloaded yet.
   */
  async frontiers(): Promise<Map<number, { from: number; to: number }>> {
    if (this.logs.size > 1) await this.scanTombstones()
    const out = new Map<number, { from: number; to: number }>()
    for (const log of this.logs.values()) {
      const from = this.runs.nextOf(log.device)
      let to = log.length
      if (!log.writable) {
        to = from
        while (to < log.length && (await log.available(to))) to++
      }
      if (to > from) out.set(log.device, { from, to })
    }
    return out
  }

  /**
   * Reads the tombstones among the blocks not merged yet (of every log) and notes the
   * signed headers they kept: a block cleared on every other device before this one
   * downloaded it is then known (placed by its header's time) instead of waited for.
   */
  async scanTombstones(): Promise<void> {
    for (const log of this.logs.values()) {
      // Blocks read once stay read: rescans start after the contiguous run already scanned.
      let contiguous = true
      for (
        let seq = Math.max(this.runs.nextOf(log.device), this.scanned.get(log.device) ?? 0);
        seq < log.length;
        seq++
      ) {
        if (!(await log.core.has(seq))) {
          contiguous = false
          continue
        }
        if (contiguous) this.scanned.set(log.device, seq + 1)
        const event = await log.getBlock(seq).catch(() => null)
        if (!event || event.redacted || event.body === null || event.header.type !== 'reflection.retracted') continue
        const body = event.body as {
          redacted: { device: number; seq: number; header: string; sig: string; leaf: string; size: number }[]
        }
        for (const r of body.redacted) {
          const target = this.logs.get(r.device)
          if (!target || target.pending.has(r.seq)) continue
          target.pending.set(r.seq, {
            headerBytes: fromHex(r.header),
            sig: fromHex(r.sig),
            leaf: fromHex(r.leaf),
            size: r.size
          })
        }
      }
    }
  }

  /**
   * Whether the unmerged events can follow the merged order (each log's first unmerged
   * event comes after the newest merged one), or the order must be rebuilt: an event
   * written offline on another device, earlier than what this device merged since.
   */
  async needsRebuild(): Promise<boolean> {
    const last = this.runs.last
    if (!last) return false
    for (const [device, { from }] of await this.frontiers()) {
      if (device === last.device) continue
      const first = await this.candidate(this.log(device), from)
      const time = first.time ?? 0
      if (time < last.lastTime || (time === last.lastTime && device < last.device)) return true
    }
    return false
  }

  private async candidate(log: Journal, seq: number): Promise<Candidate> {
    const event = await log.getBlock(seq)
    if (event) return { device: log.device, seq, block: null, event, time: event.header.time }
    return { device: log.device, seq, block: null, event: null, time: log.redactedHeader(seq)?.time }
  }

  /**
   * The unmerged events of every log in merged order: by time, then device number. A
   * cleared block whose header is not known sorts right after its log's previous event.
   */
  async *unmerged(): AsyncGenerator<Candidate> {
    const fronts = await this.frontiers()
    const streams: { log: Journal; it: AsyncGenerator<{ seq: number; block: Uint8Array | null }>; lastTime: number }[] =
      []
    for (const [device, { from, to }] of fronts) {
      const log = this.log(device)
      streams.push({ log, it: log.blocks(from, to), lastTime: this.runs.last?.lastTime ?? 0 })
    }
    const heads: (Candidate | null)[] = []
    const pull = async (i: number): Promise<Candidate | null> => {
      const s = streams[i] as (typeof streams)[number]
      const r = await s.it.next()
      if (r.done) return null
      const { seq, block } = r.value
      let event: SignedEvent | null = null
      let time: number | undefined
      if (block) {
        try {
          event = decodeBlock(block)
        } catch (err) {
          throw CosmicError.HOME_DAMAGED(
            `the block at seq ${seq} of device ${s.log.device}'s log cannot be read (${(err as Error).message}); run \`cosmic audit\``
          )
        }
        time = event.header.time
      } else time = s.log.redactedHeader(seq)?.time
      const c: Candidate = { device: s.log.device, seq, block, event, time }
      s.lastTime = time ?? s.lastTime
      return c
    }
    for (let i = 0; i < streams.length; i++) heads.push(await pull(i))
    while (true) {
      let best = -1
      let bestTime = 0
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i]
        if (!h) continue
        const t = h.time ?? (streams[i] as (typeof streams)[number]).lastTime
        if (best < 0 || t < bestTime || (t === bestTime && h.device < (heads[best] as Candidate).device)) {
          best = i
          bestTime = t
        }
      }
      if (best < 0) return
      const chosen = heads[best] as Candidate
      heads[best] = await pull(best)
      yield chosen
    }
  }
}
