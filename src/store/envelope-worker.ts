import { Worker } from 'node:worker_threads'
import { CosmicError, type ErrorCode } from '../errors.js'
import type { SigningKeyPair } from '../events/crypto.js'
import { type Draft, decodeBlock } from '../events/envelope.js'
import { type ProjectedEvent, projected } from '../projections/projection.js'

/**
 * A second thread for the CPU work on envelopes in bulk: decoding stored blocks (every
 * check of decodeBlock: two BLAKE2b hashes, the body's schema, canonical bytes) while the
 * main thread projects the chunk before, and sealing drafts (validation, encoding,
 * BLAKE2b, the Ed25519 signature) while the main thread appends and projects the batch
 * before. Storage and the read model stay on the main thread.
 *
 * Whatever happens to the thread, work is not lost and nothing is half done: a request is
 * answered in full or fails as a whole, and callers write only what came back whole. A
 * thread that fails (it cannot start, or it stops) fails what was pending with a
 * WorkerFailure; callers then do the same work on the main thread (`decodeChunk`,
 * `sealEvent`), so the result is the same, only slower, and a warning names the cause.
 * An event that does not decode or a draft that does not validate fails with its index
 * and its error (EnvelopeFailure), as it would on the main thread.
 */

/** A chunk of one device's log, consecutive in it and in the merged order: blocks from position `pos` and seq `seq`. */
export interface BlockChunk {
  pos: number
  device: number
  seq: number
  /** null where the block was cleared (retracted). */
  blocks: (Uint8Array | null)[]
}

/** Drafts to seal from seq `seq` (times decided by the caller), chained to `prev`. */
export interface SealJob {
  drafts: readonly Draft[]
  seq: number
  times: readonly number[]
  prev: Uint8Array | null
  salts?: readonly Uint8Array[] | undefined
}

/** Blocks and ids of a sealed batch, in order. */
export interface SealedBlocks {
  blocks: Uint8Array[]
  ids: Uint8Array[]
}

/* The messages between the threads (envelope-thread.ts answers). */
export interface DecodeRequest {
  kind: 'decode'
  id: number
  pos: number
  device: number
  /** The chunk's blocks end to end; block i is bytes[starts[i], ends[i]), or cleared where starts[i] < 0. */
  bytes: Uint8Array
  starts: Int32Array
  ends: Int32Array
}
export interface SealRequest extends SealJob {
  kind: 'seal'
  id: number
}
export type ThreadRequest = DecodeRequest | SealRequest
export interface Failure {
  index: number
  code: ErrorCode | null
  detail: string
  data: Record<string, unknown> | undefined
}
export type ThreadReply =
  | { id: number; events: (ProjectedEvent | null)[]; failed?: Failure }
  | { id: number; bytes: Uint8Array; ends: Uint32Array; ids: Uint8Array }
  | { id: number; failed: Failure }

/** The thread failed (did not start, stopped): the request was not done; do it on the main thread. */
export class WorkerFailure extends Error {}

/** Item `index` of a request failed with `error` (a CosmicError where the main thread would have thrown one). */
export class EnvelopeFailure extends Error {
  constructor(
    readonly index: number,
    readonly error: Error
  ) {
    super(error.message)
  }
}

const THREAD = new URL('./envelope-thread.js', import.meta.url)

export class EnvelopeWorker {
  private readonly worker: Worker
  private readonly pending = new Map<number, { resolve(reply: ThreadReply): void; reject(err: Error): void }>()
  private nextId = 1
  /** Why the thread stopped working, once it did. */
  failure: Error | null = null
  /**
   * Whether the thread has loaded (~0.1-0.5 s after start): until then callers do the work
   * themselves rather than wait, so starting a thread never delays them.
   */
  ready = false
  /** Resolves when the thread has loaded (never rejects). */
  readonly loaded: Promise<void>
  private onLoaded: () => void = () => {}
  private warned = false

  private constructor(keyPair: SigningKeyPair | null) {
    this.loaded = new Promise((resolve) => {
      this.onLoaded = resolve
    })
    this.worker = new Worker(THREAD, {
      workerData: { keyPair: keyPair ? { publicKey: keyPair.publicKey, secretKey: keyPair.secretKey } : null },
      // It keeps nothing between requests: a small heap, collected often, keeps the process
      // within the replay's memory target (measured at 1M events: 573 -> 501 MB peak RSS with
      // the default limits and twice the chunks ahead; 410 MB with these and DECODE_AHEAD).
      // A request too large for it (chunks of very long texts) stops the thread: callers then
      // do the work on this thread, as for any WorkerFailure.
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 }
    })
    this.worker.unref()
    this.worker.on('message', (reply: ThreadReply | { id: 0; ready: true }) => {
      if (reply.id === 0) {
        this.ready = true
        this.onLoaded()
        return
      }
      const waiting = this.pending.get(reply.id)
      this.pending.delete(reply.id)
      waiting?.resolve(reply as ThreadReply)
    })
    this.worker.on('error', (err) => this.fail(err))
    this.worker.on('exit', (code) => this.fail(new Error(`the thread exited with code ${code}`)))
  }

  /** A thread with the signing key (for seal) or without (decode only); null where threads are off. */
  static start(keyPair: SigningKeyPair | null = null): EnvelopeWorker | null {
    if (!workerSettings.enabled) return null
    let worker: EnvelopeWorker
    try {
      worker = new EnvelopeWorker(keyPair)
    } catch {
      return null
    }
    workerSettings.started?.(worker)
    return worker
  }

  private fail(err: Error): void {
    if (!this.failure) this.failure = err
    this.onLoaded()
    const failure = new WorkerFailure(`the envelope worker thread failed: ${err.message}`)
    for (const waiting of this.pending.values()) waiting.reject(failure)
    this.pending.clear()
  }

  /** Says once, as a process warning, that the work goes on on the main thread, and why. */
  warnFallback(what: string): void {
    if (this.warned) return
    this.warned = true
    process.emitWarning(`${what} on the main thread: ${this.failure?.message ?? 'the worker thread failed'}`, {
      code: 'COSMIC_WORKER_FALLBACK'
    })
  }

  private request(message: ThreadRequest, transfer: ArrayBuffer[] = []): Promise<ThreadReply> {
    if (this.failure)
      return Promise.reject(new WorkerFailure(`the envelope worker thread failed: ${this.failure.message}`))
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject })
      this.worker.postMessage(message, transfer)
    })
  }

  /** The chunk's events as projections see them (null where cleared), decoded with every check. */
  async decode(chunk: BlockChunk): Promise<(ProjectedEvent | null)[]> {
    let size = 0
    for (const block of chunk.blocks) if (block) size += block.byteLength
    const bytes = new Uint8Array(size)
    const starts = new Int32Array(chunk.blocks.length)
    const ends = new Int32Array(chunk.blocks.length)
    let at = 0
    for (let i = 0; i < chunk.blocks.length; i++) {
      const block = chunk.blocks[i]
      if (!block) {
        starts[i] = -1
        continue
      }
      bytes.set(block, at)
      starts[i] = at
      at += block.byteLength
      ends[i] = at
    }
    const reply = await this.request(
      { kind: 'decode', id: this.nextId++, pos: chunk.pos, device: chunk.device, bytes, starts, ends },
      [bytes.buffer]
    )
    if ('failed' in reply && reply.failed) throw envelopeFailure(reply.failed)
    return (reply as { events: (ProjectedEvent | null)[] }).events
  }

  /** The drafts sealed in order (validated, encoded, hashed, signed): their blocks and ids. */
  async seal(job: SealJob): Promise<SealedBlocks> {
    const reply = await this.request({ kind: 'seal', id: this.nextId++, ...job })
    if ('failed' in reply && reply.failed) throw envelopeFailure(reply.failed)
    const { bytes, ends, ids } = reply as { bytes: Uint8Array; ends: Uint32Array; ids: Uint8Array }
    const blocks: Uint8Array[] = new Array(ends.length)
    const idList: Uint8Array[] = new Array(ends.length)
    let start = 0
    for (let i = 0; i < ends.length; i++) {
      blocks[i] = bytes.subarray(start, ends[i])
      idList[i] = ids.subarray(32 * i, 32 * i + 32)
      start = ends[i] as number
    }
    return { blocks, ids: idList }
  }

  /** Stops the thread (pending requests fail with a WorkerFailure). */
  async close(): Promise<void> {
    if (!this.failure) this.failure = new Error('closed')
    await this.worker.terminate()
  }

  /** Tests only: stops the thread as a crash would. */
  crash(): Promise<number> {
    return this.worker.terminate()
  }
}

/**
 * When bulk work uses a worker thread. `enabled` false keeps everything on the main thread;
 * catch-ups of `decodeFrom` events or more decode in the worker (a smaller one decodes on
 * the main thread: starting the thread and loading the codecs there costs ~50-100 ms).
 * Tests change them to run each path.
 */
export const workerSettings: {
  enabled: boolean
  decodeFrom: number
  /** Tests only: sees every thread started (to stop one as a crash would). */
  started?: ((worker: EnvelopeWorker) => void) | undefined
  /** Tests only: wait for a thread to load before handing it work, so that it does all of it. */
  waitUntilLoaded?: boolean
} = { enabled: true, decodeFrom: 8192 }

function envelopeFailure(f: Failure): EnvelopeFailure {
  const error = f.code ? new CosmicError(f.code, f.detail, f.data) : new Error(f.detail)
  return new EnvelopeFailure(f.index, error)
}

/** The same as EnvelopeWorker.decode, on this thread. */
export function decodeChunk(chunk: BlockChunk): (ProjectedEvent | null)[] {
  const events: (ProjectedEvent | null)[] = []
  for (let i = 0; i < chunk.blocks.length; i++) {
    const block = chunk.blocks[i]
    if (!block) {
      events.push(null)
      continue
    }
    try {
      events.push(projected(decodeBlock(block), chunk.pos + i, chunk.device))
    } catch (err) {
      throw new EnvelopeFailure(i, err as Error)
    }
  }
  return events
}
