import { closeSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import SQLite, { type Database, type Statement } from 'better-sqlite3-multiple-ciphers'
import { CosmicError } from '../errors.js'
import { toHex } from '../events/crypto.js'
import { type BatchFold, type ProjectedEvent, type Projection, projected } from '../projections/projection.js'
import {
  type BlockChunk,
  decodeChunk,
  EnvelopeFailure,
  EnvelopeWorker,
  WorkerFailure,
  workerSettings
} from './envelope-worker.js'
import { type Journal, READ_CHUNK } from './journal.js'
import { type Candidate, type ChunkRange, type Ledger, logRanges, Runs } from './ledger.js'

export { projected }

export type CatchUpProgress = (done: number, total: number) => void

/** Page cache of the read model: 64 MiB (a negative cache_size is in KiB). Hot indexes and aggregates stay decrypted in memory. */
const CACHE_KIB = 65_536
/**
 * Pages of write-ahead log after which a commit folds the log into the database file
 * (SQLite's default is 1000). A checkpoint copies every page changed since the last one
 * and syncs: rarer checkpoints copy a page changed by many batches once (measured: a
 * third of the timeline's time with 1000 pages). A large batch (catch-up, import,
 * benchmarks' ingest) checkpoints after 10,000 pages. A small one (one command's
 * events) waits for 20,000, so interactive appends do not pay for the checkpoint of bulk
 * work they follow (measured after a 100k ingest: ~130 ms once, and with 1000 pages
 * ~8 ms every ~44th reflect); closing the read model checkpoints what is left.
 */
const WAL_CHECKPOINT_PAGES = { bulk: 10_000, small: 20_000 }
/** Events from which a batch counts as bulk work for checkpoints. */
const BULK_EVENTS = 256
/**
 * Events per transaction when catching up or rebuilding. A large batch writes each hot
 * page (aggregates, the ends of indexes, FTS5 segments) once for many events, and FTS5
 * one segment for it. Measured replaying 1M events, one run after the other: 8192 ->
 * 16,384 events, 114 -> 82 s (CPU 84 -> 79 s: fewer commits, fewer WAL checkpoints),
 * peak RSS 301 -> 311 MB; 32,768 gained little more for 354 MB. 16,384 events of the
 * scale fixtures are about 20 MB in memory.
 */
export const CATCH_UP_BATCH = 16_384
/**
 * Events per `apply` of a long catch-up: half a transaction (the commits are held between,
 * `holdCommits`), so that what is in memory at once, the batch being applied and the one
 * decoding ahead of it, is one transaction's worth. Measured replaying 1M events with the
 * worker thread: batches of 16,384 with one batch decoding ahead peaked at 408-417 MB RSS;
 * with half a batch ahead 376 MB, but then this thread waits for the worker to decode half
 * of each batch after applying the one before.
 */
const CATCH_UP_APPLY = CATCH_UP_BATCH / 2
/**
 * Chunks of the log (of up to READ_CHUNK blocks) read and handed to the decoder ahead of the
 * one being projected: one applied batch's worth, so the worker decodes the next batch while
 * this thread applies one synchronously.
 */
const DECODE_AHEAD = Math.ceil(CATCH_UP_APPLY / READ_CHUNK)

/**
 * The local read model: one SQLite file, encrypted page by page with ChaCha20-Poly1305
 * under a raw key from the vault, never replicated. Each projection has a checkpoint
 * (the next seq it needs); a batch of events and the checkpoints advance in one
 * transaction, so a crash never applies an event twice or by half.
 */
export class ReadModel {
  // Set by `use`, from the file this model reads and writes.
  private database!: Database
  private folds!: BatchFold[]
  private setCheckpoint!: Statement
  private positions!: number[]
  /** The merged order of the devices' logs, as far as this model applied it. */
  readonly runs = new Runs()
  private bulk = false

  private constructor(
    db: Database,
    readonly projections: readonly Projection[],
    /** Where the file is and its key: a rebuild writes a new file beside it (null: in memory, rebuilt in place). */
    private readonly file: { path: string; key: Uint8Array | null } | null
  ) {
    this.use(db, false)
    // A process that stopped during a long catch-up left its bulk settings behind.
    this.setBulk(false)
  }

  /** Each projection's position in `db`: its checkpoint, or 0 with its tables made anew when it has none or an older version. */
  private checkpoints(db: Database): number[] {
    db.exec(CHECKPOINTS_SCHEMA)
    const read = db.prepare<[string], { version: number; position: number }>(
      'SELECT version, position FROM checkpoints WHERE name = ?'
    )
    const set = db.prepare(SET_CHECKPOINT)
    return this.projections.map((p) => {
      const row = read.get(p.name)
      if (row && row.version === p.version) return row.position
      db.transaction(() => {
        for (const table of p.tables) db.exec(`DROP TABLE IF EXISTS ${table}`)
        db.exec(p.schema)
        set.run(p.name, p.version, 0)
      })()
      return 0
    })
  }

  /** Makes `db` the file this model reads and writes: positions, merged order and folds from it. */
  private use(db: Database, rebuild: boolean): void {
    const positions = this.checkpoints(db)
    this.runs.reload(db)
    this.setCheckpoint = db.prepare(SET_CHECKPOINT)
    this.folds = this.projections.map((p) => asFold(p.bind(db, { rebuild })))
    this.positions = positions
    this.database = db
    this.bulk = false // a file opens with the checkpoints of small batches
  }

  private setBulk(on: boolean): void {
    const bulk = this.projections.filter((p) => p.bulk)
    if (bulk.length === 0) return
    this.db.transaction(() => {
      for (const p of bulk) p.bulk?.(this.db, on)
    })()
  }

  /** The open read model (during a rebuild, the new file being written). */
  get db(): Database {
    return this.database
  }

  static open(path: string, key: Uint8Array | null, projections: readonly Projection[]): ReadModel {
    // What a replay that did not finish (the process died) left: it may hold words forgotten since.
    if (path !== ':memory:') removeFile(`${path}${REBUILD_SUFFIX}`)
    const db = openFile(path, key, 'live')
    try {
      return new ReadModel(db, projections, path === ':memory:' ? null : { path, key })
    } catch (err) {
      db.close()
      throw openError(err, path)
    }
  }

  /**
   * A read model from before devices kept no merged order: it applied device 0's log
   * alone, position = seq. Records that as one run (no log is read again).
   */
  adoptSingleLog(lastTime: (count: number) => Promise<number>): Promise<void> | undefined {
    const count = Math.max(...this.positions)
    if (this.runs.length > 0 || count <= 0) return undefined
    return lastTime(count).then((time) => {
      this.db.transaction(() => {
        for (let seq = 0; seq < count; seq++) this.runs.push(0, seq, seq === count - 1 ? time : undefined)
        this.runs.persist(this.db)
      })()
    })
  }

  /** The lowest next-seq over all projections: everything before it is applied everywhere. */
  get position(): number {
    return Math.min(...this.positions)
  }

  /**
   * Applies events (in seq order, contiguous from some projection's position) in one
   * transaction: every projection folds them in, then writes what it kept in memory
   * for the batch, then the checkpoints advance. On any error nothing of the batch stays.
   */
  apply(events: readonly ProjectedEvent[]): void {
    if (events.length === 0) return
    let purge = false
    const before = [...this.positions]
    const mark = this.runs.mark()
    const bulk = events.length >= BULK_EVENTS
    if (bulk !== this.bulk) {
      this.db.pragma(`wal_autocheckpoint = ${bulk ? WAL_CHECKPOINT_PAGES.bulk : WAL_CHECKPOINT_PAGES.small}`)
      this.bulk = bulk
    }
    const fold = () => {
      const folds = this.folds
      const positions = this.positions
      const runs = this.runs
      for (const event of events) {
        if (event.seq === runs.length) runs.push(event.device, event.logSeq, event.time)
        for (let i = 0; i < folds.length; i++) {
          const position = positions[i] as number
          if (event.seq < position) continue // already applied: redelivery is harmless
          if (event.seq > position) {
            throw CosmicError.INTERNAL(
              `projection ${this.projections[i]?.name} is at ${position}, got seq ${event.seq}`
            )
          }
          ;(folds[i] as BatchFold).step(event)
          positions[i] = event.seq + 1
        }
        // A rebuild's new file is compacted once, when it is complete (nobody reads it before).
        if (!event.redacted && event.type === 'reflection.retracted' && !this.building) purge = true
      }
      const held = this.holding
      for (let i = 0; i < folds.length; i++) {
        ;(folds[i] as BatchFold).flush(held)
        const p = this.projections[i] as Projection
        this.setCheckpoint.run(p.name, p.version, positions[i])
      }
      this.runs.persist(this.db)
    }
    if (this.holding) {
      // Inside the held transaction, without a savepoint of its own (FTS5 writes a segment at
      // each one): a batch that fails takes back everything since the last commit.
      const held = this.held ?? this.beginHeld()
      try {
        fold()
      } catch (err) {
        this.abandonHeld()
        throw err
      }
      held.events += events.length
      if (purge || held.events >= CATCH_UP_BATCH) {
        this.commitHeld()
        if (purge) this.forget()
      }
      return
    }
    try {
      this.db.transaction(fold)()
    } catch (err) {
      this.positions = before
      this.runs.rollback(mark)
      for (const f of this.folds) f.discard()
      throw err
    }
    if (purge) this.forget()
  }

  /**
   * Holds commits back for bulk appends (`Home.ingest`): from now on, batches go into one
   * transaction that is committed every CATCH_UP_BATCH events (and before a purge), instead
   * of one each. A commit writes every page the batch changed to the write-ahead log; the
   * hot ones (the ends of the indexes, aggregates, FTS5's new segment) are the same from one
   * batch to the next, so batches of 1,000 paid for them again and again (measured: ~15 µs an
   * event of ~50). Nothing applied is lost to a crash that the log does not hold: the log
   * has every batch before it reaches the read model, and the next open catches up. A batch
   * that fails takes back every batch since the last commit, here and in memory (positions,
   * the merged order, the folds' batch state): the read model is then behind the log, never
   * half applied, and the next catch-up applies the rest. FTS5 merges its segments as usual
   * (at each commit): deferring it, as a long catch-up does, left a 200k-event ingest's index
   * in ~4x as many index rows and its searches ~1.7x slower afterwards (p50 6.6 against 4.0
   * ms), where a rebuild ends with an optimize anyway.
   */
  holdCommits(): void {
    this.holding = true
  }

  /** Commits what is held (throws if that fails, with it taken back) and goes back to one transaction per batch. */
  releaseCommits(): void {
    if (!this.holding) return
    this.holding = false
    this.commitHeld()
  }

  /** Between holdCommits and releaseCommits. */
  private holding = false
  /** The open held transaction (begun by the first batch after a commit): where memory goes back to if it rolls back. */
  private held: { positions: number[]; runs: ReturnType<Runs['mark']>; events: number } | null = null

  private beginHeld(): NonNullable<ReadModel['held']> {
    this.db.exec('BEGIN')
    this.held = { positions: [...this.positions], runs: this.runs.mark(), events: 0 }
    return this.held
  }

  /** Commits the held transaction, if one is open; if the commit fails, it is taken back (abandonHeld) and the error thrown. */
  private commitHeld(): void {
    if (!this.held) return
    if (!this.db.open) {
      // Closed under it: SQLite rolled the transaction back.
      this.abandonHeld()
      return
    }
    try {
      // What folds kept back across the held batches goes in with them.
      for (const fold of this.folds) fold.flush()
      this.db.exec('COMMIT')
    } catch (err) {
      this.abandonHeld()
      throw err
    }
    this.held = null
  }

  /** Takes back everything since the last commit (in the file and in memory); the log still has it. */
  private abandonHeld(): void {
    const held = this.held
    if (!held) return
    this.held = null
    if (this.db.open && this.db.inTransaction) this.db.exec('ROLLBACK')
    this.positions = held.positions
    this.runs.rollback(held.runs)
    for (const f of this.folds) f.discard()
  }

  /**
   * After a batch that forgot words (a retraction): they are gone from every table and
   * index already (deleted with `secure_delete` on, FTS5 in its secure-delete mode), or the
   * fold finishes that now (`BatchFold.forget`); the write-ahead log still holds the pages as
   * they were: fold it into the file and truncate it.
   */
  private forget(): void {
    this.commitHeld() // a checkpoint that truncates the write-ahead log needs it committed
    for (const fold of this.folds) fold.forget?.()
    this.db.pragma('wal_checkpoint(TRUNCATE)')
  }

  /**
   * Compacts after bulk work (a long ingest, a rebuild): each projection's purge (FTS5
   * optimize: the index in one segment), then folds the WAL into the file and truncates it.
   */
  purge(): void {
    this.commitHeld() // FTS5 optimize and a checkpoint that truncates the write-ahead log need it committed
    this.compact(this.db)
    this.db.pragma('wal_checkpoint(TRUNCATE)')
  }

  /** Each projection's purge (FTS5 optimize: the index merged into one segment). */
  private compact(db: Database): void {
    for (const p of this.projections) p.purge?.(db)
  }

  /**
   * Applies everything the logs hold that the read model does not (after a crash, an
   * import, a version bump, events from another device): first the merged order it
   * already knows from the lowest projection's position, then, for the home's own read
   * model (`merge`), the logs' unmerged events in merged order. `until` (ms) stops at the
   * first event after it (time travel).
   */
  async catchUp(
    ledger: Ledger,
    onProgress?: CatchUpProgress,
    until?: number,
    options: { merge?: boolean } = {}
  ): Promise<number> {
    const start = this.position
    const known = ledger.length
    const merge = options.merge === true && ledger.runs === this.runs
    const fresh = merge ? ledger.total - known : 0
    const total = known - start + fresh
    const bulk = total > CATCH_UP_BATCH
    // Batches of CATCH_UP_APPLY, committed every CATCH_UP_BATCH events (and before a purge).
    const hold = total > CATCH_UP_APPLY && !this.holding
    if (bulk) this.setBulk(true)
    if (hold) this.holding = true
    try {
      let applied = 0
      let stopped = false
      let batch: ProjectedEvent[] = []
      const flush = () => {
        this.apply(batch)
        applied += batch.length
        batch = []
        onProgress?.(applied, total)
      }
      const decoder = total >= workerSettings.decodeFrom ? EnvelopeWorker.start() : null
      /**
       * Takes a decoded chunk into the batch, and applies the batch once it is full; true when
       * the chunk reached an event after `until`. Before a batch is applied (synchronously, for
       * a while), the reads that came in meanwhile are handed to the worker, so it decodes on.
       */
      const take = async (chunk: BlockChunk, events: (ProjectedEvent | null)[]): Promise<boolean> => {
        const journal = ledger.log(chunk.device)
        let stop = false
        for (let i = 0; i < events.length; i++) {
          const event = events[i] ?? redactedPosition(chunk.pos + i, chunk.device, chunk.seq + i, journal)
          if (until !== undefined && event.time !== undefined && event.time > until) {
            stop = true
            break
          }
          batch.push(event)
        }
        if (batch.length >= CATCH_UP_APPLY) {
          if (decoder) await new Promise<void>((resolve) => setImmediate(resolve))
          flush()
        }
        return stop
      }
      try {
        for await (const { chunk, events } of decodeAhead(ledger, ledger.chunkRanges(start, known), decoder)) {
          if (await take(chunk, events)) {
            stopped = true
            break
          }
        }
        if (merge && !stopped) {
          // Usually one log holds everything unmerged (one device; a rebuild): read it in order,
          // decoded ahead like the known part. Several logs are interleaved by time, one event at a time.
          const single = await ledger.singleUnmergedLog()
          if (single) {
            const ranges = logRanges(single.device, single.from, single.to, known)
            for await (const { chunk, events } of decodeAhead(ledger, ranges, decoder)) {
              if (await take(chunk, events)) break
            }
          } else {
            let pos = known
            for await (const c of ledger.unmerged()) {
              const event = fromCandidate(c, pos++, ledger.log(c.device))
              if (until !== undefined && event.time !== undefined && event.time > until) break
              batch.push(event)
              if (batch.length >= CATCH_UP_APPLY) flush()
            }
          }
        }
      } finally {
        await decoder?.close()
      }
      flush()
      onProgress?.(total, total)
      return applied
    } finally {
      if (hold) {
        // What is held is whole batches (a batch that failed took itself and them back).
        this.holding = false
        this.commitHeld()
      }
      if (bulk && this.db.open) this.setBulk(false)
    }
  }

  /** During `rebuild`: the events go to the new file. */
  private building = false

  /**
   * Rebuilds every projection from seq 0 into a new file beside this one, then puts it in
   * this one's place. `build` is the caller's catch-up: from the moment it is called, this
   * model (its `db`, `apply`, `catchUp`, the merged order) is the new file, empty. The file
   * in use stays as it was until the new one is complete, purged (FTS5 optimize) and synced,
   * and then replaces it in one rename; if `build` or anything before the rename fails, the
   * new file is deleted and this model is the old one again, as it was. A crash during it
   * leaves the old file too, and a stale new one that the next open deletes.
   *
   * Nobody reads the new file before it is complete, so it is written without the
   * write-ahead log: each page is encrypted and written once, where the log writes it, reads
   * it back and writes it again (measured replaying 1M events: commits 14 -> 6 s), and a
   * projection may leave out what it can build at the end in one go (`bind`'s `rebuild`,
   * `finish`: the full-text index). A model in memory (time travel) is rebuilt in place.
   */
  async rebuild<T>(build: () => Promise<T>): Promise<T> {
    if (!this.file) {
      this.reset()
      const result = await build()
      this.purge()
      return result
    }
    this.commitHeld()
    const { path, key } = this.file
    const staging = `${path}${REBUILD_SUFFIX}`
    removeFile(staging)
    const live = {
      db: this.database,
      folds: this.folds,
      setCheckpoint: this.setCheckpoint,
      positions: this.positions,
      bulk: this.bulk
    }
    for (const fold of this.folds) fold.discard()
    let fresh: Database | null = null
    try {
      fresh = openFile(staging, key, 'build')
      this.use(fresh, true)
      this.building = true
      const result = await build()
      this.commitHeld()
      this.building = false
      // One transaction: the pages of what `finish` builds and the optimize merges away are
      // freed within it, so the rollback journal (in memory) never holds a copy of them.
      fresh.transaction(() => {
        this.setBulk(true)
        for (const p of this.projections) p.finish?.(fresh as Database)
        this.setBulk(false)
        this.compact(fresh as Database)
      })()
      fresh.close()
      syncFile(staging)
      live.db.close() // folds its write-ahead log into the file and deletes it
      renameSync(staging, path)
      syncFile(dirname(path))
      this.use(openFile(path, key, 'live'), false)
      return result
    } catch (err) {
      this.building = false
      this.held = null
      if (fresh?.open) fresh.close()
      removeFile(staging)
      if (live.db.open) {
        this.database = live.db
        this.folds = live.folds
        this.setCheckpoint = live.setCheckpoint
        this.positions = live.positions
        this.bulk = live.bulk
        this.runs.reload(live.db)
      } else {
        this.use(openFile(path, key, 'live'), false)
      }
      throw err
    }
  }

  /** Drops every projection's tables and checkpoints: the next catch-up rebuilds from seq 0. */
  reset(): void {
    // What a hold kept back is committed first: a rollback past a reset could not restore the merged order in memory.
    this.commitHeld()
    for (const fold of this.folds) fold.discard()
    // Dropping tables with secure_delete on writes zeros over every page they held (a
    // million-event read model: ~700 MB written before the rebuild starts). Nothing in
    // those pages was forgotten: words are zeroed and purged when they are retracted, so
    // the pages hold what the rebuild writes again, and it reuses them as it goes.
    this.db.pragma('secure_delete = OFF')
    try {
      this.db.transaction(() => {
        for (const p of this.projections) {
          for (const table of p.tables) this.db.exec(`DROP TABLE IF EXISTS ${table}`)
          this.db.exec(p.schema)
          this.setCheckpoint.run(p.name, p.version, 0)
        }
        this.runs.clear(this.db)
      })()
    } finally {
      this.db.pragma('secure_delete = ON')
    }
    this.positions = this.projections.map(() => 0)
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}

function asFold(bound: ReturnType<Projection['bind']>): BatchFold {
  if (typeof bound !== 'function') return bound
  return { step: bound, flush() {}, discard() {} }
}

function redactedPosition(pos: number, device: number, seq: number, journal: Journal): ProjectedEvent {
  const known = journal.redactedHeader(seq)
  return known
    ? { seq: pos, device, logSeq: seq, redacted: true, type: known.type, time: known.time }
    : { seq: pos, device, logSeq: seq, redacted: true }
}

function fromCandidate(c: Candidate, pos: number, journal: Journal): ProjectedEvent {
  return c.event ? projected(c.event, pos, c.device) : redactedPosition(pos, c.device, c.seq, journal)
}

/**
 * The chunks decoded, in order, with up to DECODE_AHEAD of them read and decoding (in the
 * worker) ahead of the one the caller is at; without a worker, each is decoded here when
 * its turn comes. A block that does not decode is named (HOME_DAMAGED); a worker that fails
 * leaves the rest to this thread.
 */
async function* decodeAhead(
  ledger: Ledger,
  ranges: readonly ChunkRange[],
  worker: EnvelopeWorker | null
): AsyncGenerator<{ chunk: BlockChunk; events: (ProjectedEvent | null)[] }> {
  type Item = Promise<{ chunk: BlockChunk; events: Promise<(ProjectedEvent | null)[]> | null }>
  // Each read starts at once and hands its chunk to the worker as soon as it is in: reads and
  // decoding go on while this thread applies a batch, however long that takes.
  const start = (r: ChunkRange): Item => {
    const item = ledger
      .log(r.device)
      .readBlocks(r.seq, r.seq + r.count)
      .then((blocks) => {
        const chunk: BlockChunk = { pos: r.pos, device: r.device, seq: r.seq, blocks }
        if (!worker || worker.failure || !worker.ready) return { chunk, events: null }
        const events = worker.decode(chunk)
        events.catch(() => {}) // awaited in turn; a caller that stops early leaves it
        return { chunk, events }
      })
    item.catch(() => {})
    return item
  }
  if (worker && workerSettings.waitUntilLoaded) await worker.loaded
  const ahead = worker ? DECODE_AHEAD : 2
  const queue: Item[] = []
  let next = 0
  while (next < ranges.length && queue.length < ahead) queue.push(start(ranges[next++] as ChunkRange))
  while (queue.length > 0) {
    const item = await (queue.shift() as Item)
    if (next < ranges.length) queue.push(start(ranges[next++] as ChunkRange))
    yield { chunk: item.chunk, events: await decoded(item.chunk, item.events, worker) }
  }
}

async function decoded(
  chunk: BlockChunk,
  decoding: Promise<(ProjectedEvent | null)[]> | null,
  worker: EnvelopeWorker | null
): Promise<(ProjectedEvent | null)[]> {
  try {
    if (decoding) {
      try {
        return await decoding
      } catch (err) {
        if (!(err instanceof WorkerFailure)) throw err
        worker?.warnFallback('decoding the journal goes on')
      }
    } else if (worker?.failure) {
      // It stopped before this chunk was handed to it: said once all the same.
      worker.warnFallback('decoding the journal goes on')
    }
    return decodeChunk(chunk)
  } catch (err) {
    if (!(err instanceof EnvelopeFailure)) throw err
    throw CosmicError.HOME_DAMAGED(
      `the journal block at seq ${chunk.seq + err.index} of device ${chunk.device}'s log cannot be read (${err.message}); run \`cosmic audit\``
    )
  }
}

/** A rebuild's new file: the read model's path and this. */
const REBUILD_SUFFIX = '.rebuild'

const CHECKPOINTS_SCHEMA =
  'CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, version INTEGER NOT NULL, position INTEGER NOT NULL)'
const SET_CHECKPOINT =
  'INSERT INTO checkpoints (name, version, position) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET version = excluded.version, position = excluded.position'

/**
 * Opens a read model file, encrypted page by page when there is a key. `live`: the home's
 * read model, with a write-ahead log (readers go on during writes; a crash loses no
 * commit). `build`: a rebuild's new file, which nobody reads and a crash throws away: its
 * rollback journal stays in memory and nothing is synced until it is complete.
 * Deleted content is overwritten either way (secure_delete): an entry retracted in the
 * log whose block was not cleared yet is written, then deleted, in a rebuild too.
 */
function openFile(path: string, key: Uint8Array | null, mode: 'live' | 'build'): Database {
  let db: Database
  try {
    db = new SQLite(path)
  } catch (err) {
    throw CosmicError.HOME_DAMAGED(`cannot open the read model ${path}: ${(err as Error).message}`)
  }
  try {
    if (key) {
      db.pragma(`cipher = 'chacha20'`)
      db.pragma(`key = "x'${toHex(key)}'"`)
    }
    if (mode === 'live') {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
      db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES.small}`)
    } else {
      db.pragma('locking_mode = EXCLUSIVE')
      db.pragma('journal_mode = MEMORY')
      db.pragma('synchronous = OFF')
    }
    db.pragma('secure_delete = ON')
    db.pragma('foreign_keys = OFF')
    db.pragma(`cache_size = -${CACHE_KIB}`)
    db.pragma('temp_store = MEMORY')
    return db
  } catch (err) {
    db.close()
    throw openError(err, path)
  }
}

/** What opening the read model met, as the person should read it. */
function openError(err: unknown, path: string): unknown {
  const code = (err as { code?: string }).code
  if (code === 'SQLITE_NOTADB') {
    return CosmicError.HOME_DAMAGED(
      `the read model ${path} cannot be decrypted with this vault (delete it and run \`cosmic replay\` to rebuild it from the log)`
    )
  }
  if (code === 'SQLITE_BUSY') return CosmicError.HOME_LOCKED('the read model is in use by another process')
  return err
}

/** Deletes a database file and what SQLite keeps beside it, where they are. */
function removeFile(path: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true })
}

/** Flushes a file (or a folder's entries) to the disk. */
function syncFile(path: string): void {
  const fd = openSync(path, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
