import b4a from 'b4a'
import type Hypercore from 'hypercore'
import { CosmicError } from '../errors.js'
import { equalBytes, type SigningKeyPair } from '../events/crypto.js'
import {
  type Draft,
  decodeBlock,
  decodeHeader,
  type EventHeader,
  encodeBlock,
  encodeRedactedBlock,
  redactedEvent,
  type SignedEvent,
  sealEvent,
  sealedEvent
} from '../events/envelope.js'
import { isSphereEventType } from '../events/sphere.js'
import { EnvelopeFailure, type EnvelopeWorker, WorkerFailure, workerSettings } from './envelope-worker.js'
import { leafOf, type MerkleNode } from './merkle.js'

/** Blocks per storage read when streaming the log. */
/** Blocks per read of the storage when streaming the log. */
export const READ_CHUNK = 2048

/** The parts of a Hypercore 11 session that a batched read uses (checked before use, else core.get). */
interface CoreInternals {
  opened: boolean
  closing: unknown
  _snapshot: unknown
  _marking: boolean
  onseq: unknown
  valueEncoding: unknown
  core: unknown
  state?: {
    storage?: { read(): { getBlock(seq: number): Promise<Uint8Array | null>; tryFlush(): void } }
  }
  encryption: {
    decrypt(index: number, block: Uint8Array, core: unknown): unknown
    padding(core: unknown, index: number): number
  } | null
}

/** Where a tombstone keeps the signed header of an event whose block was cleared. */
export interface RedactionLookup {
  redacted(seq: number): { headerBytes: Uint8Array; sig: Uint8Array; leaf: Uint8Array; size: number } | undefined
}

/** One batch of a bulk append (`appendMany`, `Home.ingest`): its drafts, and optionally their times. */
export interface IngestBatch {
  readonly drafts: readonly Draft[]
  /** Explicit times, one per draft (see AppendOptions.times). */
  readonly times?: readonly number[] | undefined
  /** Fixed salts, one per draft: only for reproducible fixtures. */
  readonly salts?: readonly Uint8Array[] | undefined
}

export interface AppendOptions {
  /**
   * Explicit times, one per draft (fixtures and imports of history). They must
   * still increase strictly; by default the time is now, nudged past the last event.
   */
  times?: readonly number[]
  /** Fixed salts, one per draft: only for reproducible fixtures. */
  salts?: readonly Uint8Array[]
}

/**
 * The personal journal: signed events, one per block of an encrypted Hypercore.
 * Appends are serialised, so seq, prev and time always follow the previous event,
 * and a batch is one Hypercore append: all of it lands or none of it does.
 */
export class Journal {
  readonly core: Hypercore
  readonly author: SigningKeyPair
  private last: { seq: number; time: number; id: Uint8Array } | null = null
  private queue: Promise<unknown> = Promise.resolve()
  redactions: RedactionLookup | null = null
  /**
   * Signed headers of this log's cleared blocks that tombstones not merged yet name (or
   * that a rebuild is about to drop with the read model): read like the redactions until
   * the read model has them itself.
   */
  readonly pending = new Map<number, { headerBytes: Uint8Array; sig: Uint8Array; leaf: Uint8Array; size: number }>()
  /**
   * Where "now" comes from. Fixtures and the demo set it to replay a persona's year
   * through the real commands; times still increase strictly whatever it says.
   */
  clock: () => number = Date.now
  /** Tests only: false skips compaction after clear, to show that without it the words stay on disk. */
  compactOnClear = true
  /**
   * The newest time this device has seen in any of the person's logs (a hybrid logical
   * clock): a new event's time is after it, so an event always sorts after everything
   * its device knew when writing it (a tombstone after what it retracts), whatever the
   * clocks of the other devices say.
   */
  floor = 0
  /** The device whose log this is (0: the device that created the identity). */
  readonly device: number
  /** False for another device's log, replicated here: never appended to, read as far as it is downloaded. */
  readonly writable: boolean

  private constructor(core: Hypercore, author: SigningKeyPair, device: number, writable: boolean) {
    this.core = core
    this.author = author
    this.device = device
    this.writable = writable
  }

  /**
   * Opens this device's own log. `redactions` tells the head of the log when its newest
   * block was cleared (another device retracted it: the tombstone is in that device's log).
   */
  static async open(
    core: Hypercore,
    author: SigningKeyPair,
    options: { device?: number; redactions?: RedactionLookup } = {}
  ): Promise<Journal> {
    await core.ready()
    const journal = new Journal(core, author, options.device ?? 0, true)
    if (options.redactions) journal.redactions = options.redactions
    if (core.length > 0) {
      const seq = core.length - 1
      const head = await journal.getBlock(seq).catch((err: unknown) => {
        throw CosmicError.HOME_DAMAGED(`the newest journal block (seq ${seq}) does not read: ${(err as Error).message}`)
      })
      const header = head ? head.header : journal.redactedHeader(seq)
      if (!header) throw CosmicError.HOME_DAMAGED(`the newest journal block (seq ${seq}) is missing`)
      const id = head ? head.id : (journal.redactedId(seq) as Uint8Array)
      journal.last = { seq: header.seq, time: header.time, id }
    }
    return journal
  }

  /** Opens another device's log, replicated from it (read only, sparse: blocks arrive as they are downloaded). */
  static async openReplica(
    core: Hypercore,
    author: SigningKeyPair,
    device: number,
    redactions?: RedactionLookup
  ): Promise<Journal> {
    await core.ready()
    const journal = new Journal(core, author, device, false)
    if (redactions) journal.redactions = redactions
    return journal
  }

  get length(): number {
    return this.core.length
  }

  /** Whether the block at seq is readable here: stored, or cleared with a tombstone that kept its header. */
  async available(seq: number): Promise<boolean> {
    if (seq >= this.core.length) return false
    if (await this.core.has(seq)) return true
    return this.kept(seq) !== undefined
  }

  get lastTime(): number {
    return this.last ? this.last.time : 0
  }

  setRedactionLookup(lookup: RedactionLookup): void {
    this.redactions = lookup
  }

  /** What a tombstone kept of the block at seq: from the read model, else from a tombstone not merged yet. */
  kept(seq: number): { headerBytes: Uint8Array; sig: Uint8Array; leaf: Uint8Array; size: number } | undefined {
    return this.redactions?.redacted(seq) ?? this.pending.get(seq)
  }

  /** Appends one event. */
  async append(draft: Draft, options: AppendOptions = {}): Promise<SignedEvent> {
    const [event] = await this.appendBatch([draft], options)
    return event as SignedEvent
  }

  /** Appends events atomically: every draft is validated and signed before anything is written. */
  appendBatch(drafts: readonly Draft[], options: AppendOptions = {}): Promise<SignedEvent[]> {
    const run = this.queue.then(() => this.appendNow(drafts, options))
    this.queue = run.catch(() => {})
    return run
  }

  private async appendNow(drafts: readonly Draft[], options: AppendOptions): Promise<SignedEvent[]> {
    if (drafts.length === 0) return []
    if (!this.writable) throw CosmicError.INTERNAL(`the log of device ${this.device} is another device's`)
    for (const draft of drafts) {
      if (isSphereEventType(draft.type)) {
        throw CosmicError.INVALID_INPUT(`${draft.type} belongs in a sphere's log, not in the journal`)
      }
    }
    if (options.times && options.times.length !== drafts.length) {
      throw CosmicError.INVALID_INPUT('one time per event is needed')
    }
    let prev = this.last
    const now = this.clock()
    const events: SignedEvent[] = []
    for (let i = 0; i < drafts.length; i++) {
      const seq = this.core.length + i
      const explicit = options.times?.[i]
      const previousTime = prev ? prev.time : 0
      let time: number
      if (explicit !== undefined) {
        if (!Number.isSafeInteger(explicit) || explicit <= previousTime) {
          throw CosmicError.TIME_NOT_INCREASING(
            `event ${i} of the batch has time ${explicit}, not after ${previousTime}`
          )
        }
        time = explicit
      } else {
        time = Math.max(now, previousTime + 1, this.floor + 1)
      }
      const salt = options.salts?.[i]
      const event = sealEvent(
        drafts[i] as Draft,
        { seq, time, prev: prev ? prev.id : null },
        this.author,
        salt ? { salt } : {}
      )
      events.push(event)
      prev = { seq, time, id: event.id }
    }
    const blocks = events.map(encodeBlock)
    await this.core.append(blocks)
    this.last = prev
    return events
  }

  /**
   * Appends batches in order, each one Hypercore append (all of a batch lands or none of
   * it), with the same rules as appendBatch (seq, prev and time follow on; every draft is
   * validated and signed before anything of its batch is written). With a worker, the next
   * batch is sealed there while this one is appended and `landed` runs (where the home
   * projects it); without one, or once it fails, batches are sealed here. The next batch is
   * asked of `batches` only once the one before is sealed and `onSealed` has seen its events,
   * so a source may refer to them. A batch that fails (a draft that does not validate, a time
   * that does not increase) throws, naming the batch, after every batch before it landed.
   */
  appendMany(
    batches: Iterable<IngestBatch> | AsyncIterable<IngestBatch>,
    options: {
      worker: EnvelopeWorker | null
      onSealed?: ((events: readonly SignedEvent[], index: number) => void) | undefined
      landed: (events: SignedEvent[], index: number) => void | Promise<void>
    }
  ): Promise<{ events: number; batches: number }> {
    const run = this.queue.then(() => this.appendManyNow(batches, options))
    this.queue = run.catch(() => {})
    return run
  }

  private async appendManyNow(
    batches: Iterable<IngestBatch> | AsyncIterable<IngestBatch>,
    options: Parameters<Journal['appendMany']>[1]
  ): Promise<{ events: number; batches: number }> {
    if (!this.writable) throw CosmicError.INTERNAL(`the log of device ${this.device} is another device's`)
    const source =
      Symbol.asyncIterator in batches
        ? batches[Symbol.asyncIterator]()
        : (batches as Iterable<IngestBatch>)[Symbol.iterator]()
    const worker = options.worker
    if (worker && workerSettings.waitUntilLoaded) await worker.loaded
    // Where the next batch to seal starts: after the last one sealed (it lands before the next).
    let cursor = this.last
    let index = 0
    let total = 0
    let stopped = false
    const sealNext = async (): Promise<{ index: number; events: SignedEvent[]; blocks: Uint8Array[] } | null> => {
      const r = await source.next()
      if (r.done) return null
      const k = index++
      const batch = r.value
      try {
        const position = { seq: cursor ? cursor.seq + 1 : this.core.length, prev: cursor ? cursor.id : null }
        const times = this.timesOf(batch, cursor ? cursor.time : 0)
        const sealed = await this.seal(batch, position, times, worker)
        const lastEvent = sealed.events[sealed.events.length - 1]
        if (lastEvent) cursor = { seq: lastEvent.header.seq, time: lastEvent.header.time, id: lastEvent.id }
        if (!stopped) options.onSealed?.(sealed.events, k)
        return { index: k, ...sealed }
      } catch (err) {
        if (CosmicError.is(err)) throw new CosmicError(err.code, `batch ${k}: ${err.detail}`, err.data)
        throw err
      }
    }
    // Three batches in flight: the next one is sealed (in the worker) while this one is written
    // to storage, and the one before it, written already, goes to `landed` (the projections)
    // meanwhile. A batch reaches `landed` only once it is in the log.
    let written: { index: number; events: SignedEvent[] } | null = null
    const land = async () => {
      if (!written) return
      const batch = written
      written = null
      await options.landed(batch.events, batch.index)
    }
    let sealing: Promise<unknown> = Promise.resolve()
    try {
      let current = await sealNext()
      while (current) {
        const next = sealNext()
        sealing = next.catch(() => {}) // awaited below, unless this batch fails first
        if (current.blocks.length > 0) {
          // Both settle before anything else happens, whichever fails: once the append is in,
          // `last` follows the log (the next append chains to it), even if landing failed.
          const append = this.core.append(current.blocks)
          const [appending, landing] = await Promise.allSettled([append, land()])
          if (appending.status === 'fulfilled') {
            const lastEvent = current.events[current.events.length - 1] as SignedEvent
            this.last = { seq: lastEvent.header.seq, time: lastEvent.header.time, id: lastEvent.id }
            total += current.blocks.length
          }
          if (landing.status === 'rejected') throw landing.reason
          if (appending.status === 'rejected') throw appending.reason
          written = { index: current.index, events: current.events }
        }
        current = await next
      }
    } catch (err) {
      stopped = true
      // Nothing of this call goes on once it has failed: the batch being sealed is waited for
      // (it is not appended), and the batch already in the log still lands, unless landing is
      // what failed (then `written` is empty, and whoever reads the log catches up with it).
      await sealing
      await land().catch(() => {}) // the first failure is the one to name
      throw err
    }
    await land()
    return { events: total, batches: index }
  }

  /** The times of a batch's events: explicit ones, checked to increase, or now, nudged past what came before. */
  private timesOf(batch: IngestBatch, previousTime: number): number[] {
    const { drafts, times } = batch
    if (times && times.length !== drafts.length) throw CosmicError.INVALID_INPUT('one time per event is needed')
    for (const draft of drafts) {
      if (isSphereEventType(draft.type)) {
        throw CosmicError.INVALID_INPUT(`${draft.type} belongs in a sphere's log, not in the journal`)
      }
    }
    const now = this.clock()
    const out: number[] = new Array(drafts.length)
    let previous = previousTime
    for (let i = 0; i < drafts.length; i++) {
      const explicit = times?.[i]
      if (explicit !== undefined) {
        if (!Number.isSafeInteger(explicit) || explicit <= previous) {
          throw CosmicError.TIME_NOT_INCREASING(`event ${i} of the batch has time ${explicit}, not after ${previous}`)
        }
        previous = explicit
      } else previous = Math.max(now, previous + 1, this.floor + 1)
      out[i] = previous
    }
    return out
  }

  /** Seals a batch in the worker, or here when there is none or it failed (the same events either way). */
  private async seal(
    batch: IngestBatch,
    position: { seq: number; prev: Uint8Array | null },
    times: number[],
    worker: EnvelopeWorker | null
  ): Promise<{ events: SignedEvent[]; blocks: Uint8Array[] }> {
    const { drafts, salts } = batch
    if (worker?.ready && !worker.failure) {
      try {
        const sealed = await worker.seal({ drafts, seq: position.seq, times, prev: position.prev, salts })
        const events: SignedEvent[] = new Array(drafts.length)
        let prev = position.prev
        for (let i = 0; i < drafts.length; i++) {
          const id = sealed.ids[i] as Uint8Array
          const at = { seq: position.seq + i, time: times[i] as number, prev }
          events[i] = sealedEvent(sealed.blocks[i] as Uint8Array, id, drafts[i] as Draft, at, this.author.publicKey)
          prev = id
        }
        return { events, blocks: sealed.blocks }
      } catch (err) {
        if (err instanceof EnvelopeFailure) {
          throw CosmicError.is(err.error)
            ? new CosmicError(err.error.code, err.error.detail, err.error.data)
            : CosmicError.INTERNAL(`sealing event ${err.index} of the batch failed: ${err.message}`)
        }
        if (!(err instanceof WorkerFailure)) throw err
        worker.warnFallback('sealing goes on')
      }
    } else if (worker?.failure) {
      // It stopped between two batches (none was waiting on it): said once all the same.
      worker.warnFallback('sealing goes on')
    }
    const events: SignedEvent[] = new Array(drafts.length)
    let prev = position.prev
    for (let i = 0; i < drafts.length; i++) {
      const salt = salts?.[i]
      const event = sealEvent(
        drafts[i] as Draft,
        { seq: position.seq + i, time: times[i] as number, prev },
        this.author,
        salt ? { salt } : {}
      )
      events[i] = event
      prev = event.id
    }
    return { events, blocks: events.map(encodeBlock) }
  }

  /**
   * Appends events that are already signed (an import of a bundle), atomically.
   * The caller verifies signatures; this checks that they continue this log: this
   * author, seq equal to the length, prev the id of the event before, time increasing.
   * A redacted event is written as a redacted block (header and signature only).
   */
  appendSigned(events: readonly SignedEvent[]): Promise<void> {
    const run = this.queue.then(() => this.appendSignedNow(events))
    this.queue = run.catch(() => {})
    return run
  }

  private async appendSignedNow(events: readonly SignedEvent[]): Promise<void> {
    let prev = this.last
    const blocks: Uint8Array[] = []
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as SignedEvent
      const h = event.header
      const seq = this.core.length + i
      if (!equalBytes(h.author, this.author.publicKey)) {
        throw CosmicError.FOREIGN_AUTHOR(`seq ${h.seq}: signed by another author than this journal's`)
      }
      if (h.seq !== seq) throw CosmicError.BROKEN_CHAIN(`event ${i} has seq ${h.seq}, the journal expects ${seq}`)
      if (prev === null ? h.prev !== null : !h.prev || !equalBytes(h.prev, prev.id)) {
        throw CosmicError.BROKEN_CHAIN(`seq ${h.seq}: prev is not the id of the event before it`)
      }
      if (prev !== null && h.time <= prev.time) {
        throw CosmicError.TIME_NOT_INCREASING(`seq ${h.seq}: time ${h.time} is not after ${prev.time}`)
      }
      blocks.push(event.redacted ? encodeRedactedBlock(event) : encodeBlock(event))
      prev = { seq, time: h.time, id: event.id }
    }
    if (blocks.length === 0) return
    await this.core.append(blocks)
    this.last = prev
  }

  /** The stored block at seq, decoded, or null when it was cleared (retracted). */
  async getBlock(seq: number): Promise<SignedEvent | null> {
    if (!Number.isSafeInteger(seq) || seq < 0 || seq >= this.core.length) {
      throw CosmicError.NOT_FOUND(`no event at seq ${seq} (the journal has ${this.core.length})`)
    }
    const block = await this.core.get(seq, { wait: false })
    return block ? decodeBlock(block) : null
  }

  /** The event at seq; a retracted one comes back as its signed header with no body. */
  async get(seq: number): Promise<SignedEvent> {
    const event = await this.getBlock(seq)
    if (event) return event
    const redacted = this.kept(seq)
    if (!redacted) throw CosmicError.HOME_DAMAGED(`the block at seq ${seq} is missing and no tombstone explains it`)
    return redactedEvent(redacted.headerBytes, redacted.sig)
  }

  /** The signed header a tombstone kept for a cleared block, if the read model knows it. */
  redactedHeader(seq: number): EventHeader | undefined {
    const redacted = this.kept(seq)
    return redacted ? decodeHeader(redacted.headerBytes) : undefined
  }

  /** The id of a cleared block's event, from the header its tombstone kept. */
  redactedId(seq: number): Uint8Array | undefined {
    const redacted = this.kept(seq)
    return redacted ? redactedEvent(redacted.headerBytes, redacted.sig).id : undefined
  }

  /** The Merkle leaf of the stored (encrypted) block at seq, or null when it was cleared. */
  async leaf(seq: number): Promise<MerkleNode | null> {
    const stored = await this.core.get(seq, { wait: false, raw: true })
    return stored ? leafOf(seq, stored) : null
  }

  /**
   * Streams raw blocks (null where cleared) from `from` to `to` (exclusive). Blocks are
   * read in chunks, each chunk one read of the storage, and the next chunk is read while
   * the caller works through the one before (a rebuild decodes and projects meanwhile).
   */
  async *blocks(from = 0, to = this.core.length): AsyncGenerator<{ seq: number; block: Uint8Array | null }> {
    for await (const chunk of this.chunks(from, to)) {
      for (let i = 0; i < chunk.blocks.length; i++) yield { seq: chunk.seq + i, block: chunk.blocks[i] ?? null }
    }
  }

  /** The same blocks a chunk at a time (up to READ_CHUNK): `blocks[i]` is the block at `seq + i`. */
  async *chunks(from = 0, to = this.core.length): AsyncGenerator<{ seq: number; blocks: (Uint8Array | null)[] }> {
    const end = Math.min(to, this.core.length)
    let start = Math.max(0, from)
    if (start >= end) return
    const read = (a: number) => {
      const chunk = this.readBlocks(a, Math.min(end, a + READ_CHUNK))
      chunk.catch(() => {}) // a caller that stops early leaves the read ahead unawaited
      return chunk
    }
    let next = read(start)
    while (start < end) {
      const stop = Math.min(end, start + READ_CHUNK)
      const blocks = await next
      if (stop < end) next = read(stop)
      yield { seq: start, blocks }
      start = stop
    }
  }

  /** The stored blocks from `start` to `stop` (exclusive), decrypted; null where cleared. One storage read. */
  async readBlocks(start: number, stop: number): Promise<(Uint8Array | null)[]> {
    const core = this.core as unknown as CoreInternals
    const storage = core.state?.storage
    const direct =
      core.opened === true &&
      core.closing === null &&
      core._snapshot === null &&
      core._marking === false &&
      core.onseq === null &&
      core.valueEncoding === null &&
      typeof storage?.read === 'function'
    if (!direct) {
      const reads: Promise<Uint8Array | null>[] = []
      for (let seq = start; seq < stop; seq++) reads.push(this.core.get(seq, { wait: false }))
      return Promise.all(reads)
    }
    // What core.get does for a local block, for the whole chunk at once: one storage read
    // batch instead of one per block (measured: twice as fast on 50k blocks).
    const rx = storage.read()
    const reads: Promise<Uint8Array | null>[] = []
    for (let seq = start; seq < stop; seq++) reads.push(rx.getBlock(seq))
    rx.tryFlush()
    const stored = await Promise.all(reads)
    const out: (Uint8Array | null)[] = new Array(stored.length)
    for (let i = 0; i < stored.length; i++) {
      const raw = stored[i]
      if (!raw) {
        // Cleared (retracted), or not yet readable: core.get decides, as for any single read.
        out[i] = await this.core.get(start + i, { wait: false })
        continue
      }
      if (!core.encryption) {
        out[i] = raw
        continue
      }
      const block = b4a.from(raw) // decrypted in place: never touch a buffer the storage may share
      const decrypting = core.encryption.decrypt(start + i, block, core.core)
      if (decrypting instanceof Promise) await decrypting
      out[i] = block.subarray(core.encryption.padding(core.core, start + i))
    }
    return out
  }

  /** Streams decoded events in order; retracted ones as redacted headers. */
  async *events(from = 0, to = this.core.length): AsyncGenerator<SignedEvent> {
    for await (const { seq, block } of this.blocks(from, to)) {
      yield block ? decodeBlock(block) : await this.get(seq)
    }
  }

  /** Forgets the words: drops the blocks from local storage and compacts so no copy stays on disk. */
  async clear(seqs: readonly number[]): Promise<void> {
    const run = this.queue.then(async () => {
      for (const seq of seqs) {
        if (!(await this.core.has(seq))) continue
        // A redacted block (from an import) holds no words; clearing it would only lose the Merkle leaf
        // that audit needs, since the tombstone kept the leaf of the original block, not of this one.
        if ((await this.getBlock(seq))?.redacted) continue
        await this.core.clear(seq, seq + 1)
      }
      if (this.compactOnClear) await this.core.compact()
    })
    this.queue = run.catch(() => {})
    return run
  }

  close(): Promise<void> {
    return this.core.close()
  }
}
