import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import Corestore from 'corestore'
import Hypercore from 'hypercore'
import { CosmicError } from '../errors.js'
import { randomBytes, toHex } from '../events/crypto.js'
import type { Draft, SignedEvent } from '../events/envelope.js'
import { PROJECTIONS } from '../projections/index.js'
import { prepared } from '../projections/statements.js'
import { EnvelopeWorker } from './envelope-worker.js'
import { type AppendOptions, type IngestBatch, Journal, type RedactionLookup } from './journal.js'
import { Ledger } from './ledger.js'
import { CATCH_UP_BATCH, type CatchUpProgress, projected, ReadModel } from './read-model.js'
import { deviceJournalKeyPair, type KdfStrength, readVault, unlockVault, type VaultKeys, writeVault } from './vault.js'

export const CORESTORE_DIR = 'corestore'
export const READ_MODEL_FILE = 'read-model.db'

/** `--home`, else `$COSMIC_HOME`, else `~/.cosmic`. */
export function resolveHomePath(explicit?: string): string {
  return resolve(explicit ?? process.env.COSMIC_HOME ?? join(homedir(), '.cosmic'))
}

export interface InitOptions {
  passphrase: string
  name?: string
  /** Restore an identity from its seed (recovery phrase); the journal starts empty, ready for `import`. */
  seed?: Uint8Array
  kdf?: KdfStrength
  /** When the identity was created (ms); default now. Fixtures use it to replay a persona's past year. */
  createdAt?: number
  /** Tests only (see OpenOptions). */
  encryptAtRest?: boolean
  /** A paired device: its number (with the identity's seed); it writes its own log and appends no identity.created. */
  device?: number
}

/** What merging other devices' events did (`Home.sync`). */
export interface SyncReport {
  /** Events applied to the read model. */
  applied: number
  /** Whether the merged order had to be rebuilt (an earlier event arrived from a device that wrote offline). */
  rebuilt: boolean
}

export interface OpenOptions {
  onCatchUp?: CatchUpProgress
  /**
   * Tests only: false stores the journal blocks and the read model without at-rest
   * encryption, so a test that greps the disk for forgotten words can fail if
   * forgetting did not happen. Never exposed by the CLI or the API.
   */
  encryptAtRest?: boolean
}

/**
 * An open home: the unlocked vault keys, this device's journal log (and the logs of the
 * person's other devices, replicated here), the merged order of them all (the ledger)
 * and the read model. One process holds it at a time (RocksDB and SQLite lock it).
 */
export class Home {
  readonly path: string
  readonly keys: VaultKeys
  readonly store: Corestore
  /** This device's own log: every append goes here. */
  readonly journal: Journal
  /** Every device's log in the merged order: what positions (`seq` in the read model) refer to. */
  readonly ledger: Ledger
  readonly readModel: ReadModel
  private closed = false
  private following: (() => void) | null = null
  private readonly encrypt: boolean
  private serial: Promise<unknown> = Promise.resolve()
  private readonly listeners = new Set<(events: readonly SignedEvent[]) => void>()

  private constructor(
    path: string,
    keys: VaultKeys,
    store: Corestore,
    journal: Journal,
    readModel: ReadModel,
    encrypt: boolean
  ) {
    this.path = path
    this.keys = keys
    this.store = store
    this.journal = journal
    this.readModel = readModel
    this.ledger = new Ledger(journal, readModel.runs)
    this.encrypt = encrypt
  }

  /** This device's number (0: the device that created the identity). */
  get device(): number {
    return this.keys.device
  }

  get author(): string {
    return toHex(this.keys.identity.publicKey)
  }

  /** Creates a home atomically: built in a sibling folder, then renamed into place. */
  static async init(path: string, options: InitOptions): Promise<{ publicKey: string; path: string }> {
    path = resolve(path)
    if (await isNonEmpty(path)) throw CosmicError.HOME_EXISTS(`${path} already exists and is not empty`)
    await mkdir(dirname(path), { recursive: true })
    const staging = join(dirname(path), `.${basename(path)}.init-${toHex(randomBytes(4))}`)
    await mkdir(staging, { mode: 0o700 })
    try {
      const seed = options.seed ?? randomBytes(32)
      const vault = await writeVault(staging, options.passphrase, seed, options.kdf, Date.now(), options.device ?? 0)
      const home = await Home.openUnlocked(staging, await unlockVault(staging, options.passphrase), {
        encryptAtRest: options.encryptAtRest ?? true
      })
      try {
        if (!options.seed && !options.device) {
          const times = options.createdAt === undefined ? undefined : [options.createdAt]
          await home.append(
            [{ type: 'identity.created', body: { name: options.name ?? 'me' } }],
            times ? { times } : {}
          )
        }
      } finally {
        await home.close()
      }
      if (await exists(path)) await rmdir(path)
      await rename(staging, path)
      return { publicKey: vault.publicKey, path }
    } catch (err) {
      await rm(staging, { recursive: true, force: true })
      throw err
    }
  }

  static async open(path: string, passphrase: string, options: OpenOptions = {}): Promise<Home> {
    path = resolve(path)
    await readVault(path)
    const keys = await unlockVault(path, passphrase)
    return Home.openUnlocked(path, keys, options)
  }

  private static async openUnlocked(path: string, keys: VaultKeys, options: OpenOptions): Promise<Home> {
    const encrypt = options.encryptAtRest ?? true
    const readModel = ReadModel.open(join(path, READ_MODEL_FILE), encrypt ? keys.readModel : null, PROJECTIONS)
    const store = new Corestore(join(path, CORESTORE_DIR))
    let journal: Journal
    try {
      await store.ready()
      const core = store.get({
        keyPair: keys.journalCore,
        encryption: encrypt ? { key: keys.journalEncryption } : null
      })
      journal = await Journal.open(core, keys.identity, {
        device: keys.device,
        redactions: redactionLookup(readModel, keys.device)
      })
    } catch (err) {
      readModel.close()
      await store.close().catch(() => {})
      throw storageError(err, path)
    }
    const home = new Home(path, keys, store, journal, readModel, encrypt)
    try {
      // A read model from before devices: device 0's log alone, position = seq.
      await readModel.adoptSingleLog(async (count) => {
        const last = await journal.get(count - 1)
        return last.header.time
      })
      await home.openKnownLogs()
      await home.catchUpAll(options.onCatchUp)
      await home.clearRedacted()
    } catch (err) {
      await home.close()
      throw err
    }
    return home
  }

  /**
   * Opens the logs of the person's other devices that the journal names (device 0's log
   * on a paired device, and every `device.paired`): replicas, read only.
   */
  async openKnownLogs(): Promise<number[]> {
    const known = new Set<number>()
    if (this.device !== 0) known.add(0)
    const rows = this.readModel.db.prepare<[], { device: number }>('SELECT device FROM devices').all()
    for (const { device } of rows) known.add(device)
    const opened: number[] = []
    for (const device of known) {
      if (device === this.device || this.ledger.hasLog(device)) continue
      const core = this.store.get({
        key: deviceLogKey(this.keys.seed, device),
        encryption: this.encrypt ? { key: this.keys.journalEncryption } : null
      })
      const log = await Journal.openReplica(core, this.keys.identity, device, redactionLookup(this.readModel, device))
      this.ledger.addLog(log)
      if (this.following) core.on('append', this.following)
      opened.push(device)
    }
    return opened
  }

  /**
   * Downloads what the other devices' logs hold beyond what is merged here (from the peers
   * replicating with this home's store: `cosmic sync`), then merges it. A block no peer has
   * (cleared everywhere) is waited for at most `timeout` ms; what is here is merged.
   */
  async pull(options: { timeout?: number; onProgress?: CatchUpProgress } = {}): Promise<SyncReport> {
    await this.openKnownLogs()
    const timeout = options.timeout ?? 5000
    const replicas = this.ledger.journals.filter((log) => !log.writable)
    // Ask peers for each log's newest length (a second at most: with no peer there is nothing to wait for).
    await Promise.all(
      replicas.map((log) => {
        let timer: NodeJS.Timeout | undefined
        const pause = new Promise((r) => {
          timer = setTimeout(r, Math.min(timeout, 1000))
        })
        return Promise.race([log.core.update({ wait: true }).catch(() => false), pause]).finally(() =>
          clearTimeout(timer)
        )
      })
    )
    const ranges: { log: Journal; from: number; to: number; range: ReturnType<Journal['core']['download']> }[] = []
    for (const log of replicas) {
      const from = this.ledger.runs.nextOf(log.device)
      if (log.core.length <= from) continue
      ranges.push({ log, from, to: log.core.length, range: log.core.download({ start: from, end: log.core.length }) })
    }
    // Done when every block is here or known to be cleared (a tombstone among the new blocks kept its header).
    const deadline = Date.now() + timeout
    const complete = async (): Promise<boolean> => {
      if (ranges.every(({ log, to }) => log.core.contiguousLength >= to)) return true
      await this.ledger.scanTombstones()
      for (const { log, from, to } of ranges) {
        for (let seq = Math.max(from, log.core.contiguousLength); seq < to; seq++) {
          if (!(await log.available(seq))) return false
        }
      }
      return true
    }
    try {
      // Every range done, or (a block cleared everywhere never comes) everything else here and the hole known.
      const downloaded = Promise.all(ranges.map(({ range }) => range.done().catch(() => {})))
      let finished = false
      void downloaded.then(() => {
        finished = true
      })
      while (ranges.length > 0 && !finished && Date.now() < deadline && !(await complete())) {
        await Promise.race([downloaded, new Promise((r) => setTimeout(r, 100))])
      }
    } finally {
      for (const { range } of ranges) range.destroy()
    }
    return this.sync(options.onProgress)
  }

  /**
   * Pulls whenever another device's log grows (its peer replicates a new length here),
   * coalescing bursts; `onSync` hears each merge. Returns a stop function.
   */
  follow(onSync?: (report: SyncReport) => void, onError?: (err: unknown) => void): () => void {
    let running = false
    let again = false
    const run = async () => {
      if (running) {
        again = true
        return
      }
      running = true
      try {
        do {
          again = false
          if (this.closed) return
          const report = await this.pull()
          onSync?.(report)
        } while (again)
      } catch (err) {
        onError?.(err)
      } finally {
        running = false
      }
    }
    const listener = () => void run()
    this.following = listener
    for (const log of this.ledger.journals) if (!log.writable) log.core.on('append', listener)
    void run()
    return () => {
      this.following = null
      for (const log of this.ledger.journals) if (!log.writable) log.core.off('append', listener)
    }
  }

  /**
   * Writes another device's log back from an export bundle into its own core (an import
   * into a fresh home; the caller verified every event): opened once with the key pair
   * derived from the seed and the device number, then read like any other device's log.
   */
  async restoreLog(device: number, events: readonly SignedEvent[]): Promise<void> {
    if (device === this.device) throw CosmicError.INTERNAL('restoreLog is for another device’s log')
    if (this.ledger.hasLog(device)) throw CosmicError.CONFLICT(`this home already holds device ${device}'s log`)
    const core = this.store.get({
      keyPair: deviceJournalKeyPair(this.keys.seed, device),
      encryption: this.encrypt ? { key: this.keys.journalEncryption } : null
    })
    const log = await Journal.open(core, this.keys.identity, { device })
    try {
      if (log.length > 0) throw CosmicError.CONFLICT(`device ${device}'s log is not empty here`)
      await log.appendSigned(events)
    } finally {
      await log.close()
    }
    const replica = this.store.get({
      key: deviceLogKey(this.keys.seed, device),
      encryption: this.encrypt ? { key: this.keys.journalEncryption } : null
    })
    this.ledger.addLog(
      await Journal.openReplica(replica, this.keys.identity, device, redactionLookup(this.readModel, device))
    )
  }

  /** Catches the read model up with every log, opening the logs of devices it learns of on the way. */
  private async catchUpAll(onProgress?: CatchUpProgress): Promise<number> {
    let applied = 0
    do {
      applied += await this.readModel.catchUp(this.ledger, onProgress, undefined, { merge: true })
    } while ((await this.openKnownLogs()).length > 0)
    return applied
  }

  /**
   * Keeps the signed headers of forgotten events (from the read model's tombstones) on
   * their logs while the read model is rebuilt: with several devices, a cleared block is
   * placed in the merged order by its header's time, as it was when it was merged.
   */
  private keepRedactedHeaders(): void {
    if (this.ledger.journals.length < 2) return
    const rows = this.readModel.db
      .prepare<
        [],
        { device: number; seq: number; header: Uint8Array; sig: Uint8Array; leaf: Uint8Array; size: number }
      >('SELECT device, seq, header, sig, leaf, size FROM redactions')
      .all()
    for (const r of rows) {
      if (!this.ledger.hasLog(r.device)) continue
      this.ledger.log(r.device).pending.set(r.seq, {
        headerBytes: new Uint8Array(r.header),
        sig: new Uint8Array(r.sig),
        leaf: new Uint8Array(r.leaf),
        size: r.size
      })
    }
  }

  /** Runs `work` after everything queued before it: appends and merges never interleave. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.serial.then(work)
    this.serial = run.catch(() => {})
    return run
  }

  /**
   * Merges what other devices wrote (their logs, as replicated so far) into the read
   * model. Events that sort after everything merged are applied; an earlier one (written
   * offline on another device) rebuilds the read model in the new order.
   */
  sync(onProgress?: CatchUpProgress): Promise<SyncReport> {
    return this.exclusive(async () => {
      await this.openKnownLogs()
      const rebuilt = await this.ledger.needsRebuild()
      const before = this.ledger.length
      if (rebuilt) await this.rebuildFromLogs(onProgress)
      else await this.catchUpAll(onProgress)
      await this.clearRedacted()
      const applied = rebuilt ? this.ledger.length : this.ledger.length - before
      if (applied > 0) for (const listener of this.listeners) listener([])
      return { applied, rebuilt }
    })
  }

  /** Drops every projection and the merged order, and rebuilds them from the logs (`cosmic replay`). */
  rebuildReadModel(onProgress?: CatchUpProgress): Promise<number> {
    return this.exclusive(() => this.rebuildFromLogs(onProgress))
  }

  /**
   * Rebuilds every projection and the merged order from the logs, into a new file that
   * replaces the read model once complete (`ReadModel.rebuild`): if it fails, the read model
   * is as it was, and the next catch-up or replay goes on from there.
   */
  private rebuildFromLogs(onProgress?: CatchUpProgress): Promise<number> {
    this.keepRedactedHeaders()
    return this.readModel.rebuild(() => {
      this.ledger.epoch++
      return this.catchUpAll(onProgress)
    })
  }

  /** Appends events to this device's log and applies them to the read model. */
  append(drafts: readonly Draft[], options?: AppendOptions): Promise<SignedEvent[]> {
    return this.exclusive(() => this.appendNow(drafts, options))
  }

  private async appendNow(drafts: readonly Draft[], options?: AppendOptions): Promise<SignedEvent[]> {
    this.journal.floor = this.ledger.lastTime
    const events = await this.journal.appendBatch(drafts, options)
    await this.landed(events)
    return events
  }

  /**
   * Appends batches of drafts in order (imports of history, the scale fixtures, benchmarks):
   * each batch is one atomic append to this device's log and goes through every projection,
   * as `append` would do with it, while the next batch is sealed (validated, encoded, hashed,
   * signed) in a worker thread (`Journal.appendMany`: the rules, and what a failure leaves).
   * A batch is asked of `batches` once the one before is sealed and `onSealed` has seen its
   * events. `append` stays the path of single commands: no thread to start. The read model
   * commits every CATCH_UP_BATCH events instead of every batch (`ReadModel.holdCommits`): a
   * batch that fails there takes back the batches since the last commit, which are in the
   * log and are applied again before the error is thrown (or, if that fails too, by the
   * next append or open); a crash leaves the same for the next open.
   */
  ingest(
    batches: Iterable<IngestBatch> | AsyncIterable<IngestBatch>,
    options: {
      onSealed?: (events: readonly SignedEvent[], index: number) => void
      /** After a batch landed in the log and the read model. */
      onLanded?: (events: readonly SignedEvent[], index: number) => void
    } = {}
  ): Promise<{ events: number; batches: number }> {
    return this.exclusive(async () => {
      this.journal.floor = this.ledger.lastTime
      const worker = EnvelopeWorker.start(this.keys.identity)
      this.readModel.holdCommits()
      try {
        const report = await this.journal.appendMany(batches, {
          worker,
          onSealed: options.onSealed,
          landed: async (events, index) => {
            await this.landed(events)
            options.onLanded?.(events, index)
          }
        })
        this.readModel.releaseCommits()
        // A long ingest leaves the full-text index in many segments that FTS5 would merge
        // during later single writes (measured after 100k events: a reflect every 64 paid
        // 15-22 ms for it, p99 7-15 ms); merging them now (optimize) and folding the WAL into
        // the file costs ~0.3 s per 100k events once, and brings that p99 to 2-3 ms.
        if (report.events >= CATCH_UP_BATCH) this.readModel.purge()
        return report
      } catch (err) {
        try {
          this.readModel.releaseCommits()
        } catch {
          // It took back what it held: caught up below.
        }
        // A batch that failed in the read model took back every batch since its last commit
        // (holdCommits): they are in the log, so they are applied again now, as the next
        // append or open would do. If that fails too, the read model stays behind, whole.
        if (this.ledger.runs.nextOf(this.device) < this.journal.length) await this.catchUpAll().catch(() => {})
        throw err
      } finally {
        await worker?.close()
      }
    })
  }

  /** Events that just landed in this device's log: into the read model, then to the listeners. */
  private async landed(events: SignedEvent[]): Promise<void> {
    const first = events[0]
    const inOrder =
      first !== undefined &&
      this.readModel.position === this.ledger.length &&
      this.ledger.runs.nextOf(this.device) === first.header.seq &&
      !(await this.hasUnmergedFromOthers())
    if (inOrder) {
      const at = this.ledger.length
      this.readModel.apply(events.map((e, i) => projected(e, at + i, this.device)))
    } else {
      // Behind (a crash after an earlier append) or others' events not merged yet: merge everything in order.
      if (await this.ledger.needsRebuild()) await this.rebuildFromLogs()
      else await this.catchUpAll()
    }
    for (const listener of this.listeners) listener(events)
  }

  private async hasUnmergedFromOthers(): Promise<boolean> {
    if (this.ledger.journals.length === 1) return false
    for (const device of (await this.ledger.frontiers()).keys()) if (device !== this.device) return true
    return false
  }

  /** Calls `listener` after every append lands in the log and the read model (live views: SSE). Returns an unsubscribe. */
  onAppend(listener: (events: readonly SignedEvent[]) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Clears the blocks a tombstone names that are still on disk: normally right after
   * the tombstone is appended, and on open if a crash came in between. A log's newest
   * block is never cleared (its signed head must stay provable): when a tombstone from
   * another device names this device's newest event, this device first appends
   * `redaction.acknowledged`; another device's newest block waits here until its log grows.
   */
  finishRedactions(): Promise<number> {
    return this.exclusive(() => this.clearRedacted())
  }

  private async clearRedacted(): Promise<number> {
    const rows = this.readModel.db
      .prepare<[], { device: number; seq: number; ref: string }>(
        'SELECT device, seq, ref FROM redactions ORDER BY device, seq'
      )
      .all()
    const pending = new Map<number, number[]>()
    const acknowledge = new Set<string>()
    for (const { device, seq, ref } of rows) {
      if (!this.ledger.hasLog(device)) continue
      const log = this.ledger.log(device)
      if (seq >= log.length || !(await log.core.has(seq))) continue
      if (seq === log.length - 1) {
        if (!log.writable) continue
        acknowledge.add(ref)
      }
      pending.set(device, [...(pending.get(device) ?? []), seq])
    }
    if (acknowledge.size > 0) {
      await this.appendNow([...acknowledge].map((ref) => ({ type: 'redaction.acknowledged' as const, body: { ref } })))
    }
    let cleared = 0
    for (const [device, seqs] of pending) {
      await this.ledger.log(device).clear(seqs)
      cleared += seqs.length
    }
    return cleared
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.serial.catch(() => {})
    this.readModel.close()
    for (const log of this.ledger.journals) await log.close()
    await this.store.close()
  }
}

/** The Hypercore key of a device's log (the hash of its manifest, which names the device's public key). */
export function deviceLogKey(seed: Uint8Array, device: number): Uint8Array {
  return Hypercore.key(deviceJournalKeyPair(seed, device).publicKey)
}

/** Where a device's log finds the signed headers its cleared blocks' tombstones kept. */
function redactionLookup(readModel: ReadModel, device: number): RedactionLookup {
  return {
    redacted(seq) {
      if (!readModel.db.open) return undefined
      // Prepared per database: a rebuild puts a new one in place.
      const row = prepared<[number, number], { header: Uint8Array; sig: Uint8Array; leaf: Uint8Array; size: number }>(
        readModel.db,
        'SELECT header, sig, leaf, size FROM redactions WHERE device = ? AND seq = ?'
      ).get(device, seq)
      if (!row) return undefined
      return {
        headerBytes: new Uint8Array(row.header),
        sig: new Uint8Array(row.sig),
        leaf: new Uint8Array(row.leaf),
        size: row.size
      }
    }
  }
}

function storageError(err: unknown, path: string): Error {
  if (CosmicError.is(err)) return err
  const message = (err as Error)?.message ?? String(err)
  if (/lock/i.test(message)) {
    return CosmicError.HOME_LOCKED(
      `${path} is open in another process (\`cosmic serve\` or \`cosmic sync\`?); stop it or run the command through it`
    )
  }
  return CosmicError.HOME_DAMAGED(`the journal storage in ${path} cannot be opened: ${message}`)
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

async function isNonEmpty(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length > 0
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
    if ((err as NodeJS.ErrnoException).code === 'ENOTDIR') return true
    throw err
  }
}
