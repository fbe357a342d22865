import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import Corestore from 'corestore'
import { CosmicError } from '../errors.js'
import { randomBytes, toHex } from '../events/crypto.js'
import type { Draft, SignedEvent } from '../events/envelope.js'
import { PROJECTIONS } from '../projections/index.js'
import { type AppendOptions, Journal } from './journal.js'
import { type CatchUpProgress, projected, ReadModel } from './read-model.js'
import { type KdfStrength, readVault, unlockVault, type VaultKeys, writeVault } from './vault.js'

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
 * An open home: the unlocked vault keys, the journal core and the read model.
 * One process holds it at a time (RocksDB and SQLite lock it).
 */
export class Home {
  readonly path: string
  readonly keys: VaultKeys
  readonly store: Corestore
  readonly journal: Journal
  readonly readModel: ReadModel
  private closed = false
  private readonly listeners = new Set<(events: readonly SignedEvent[]) => void>()

  private constructor(path: string, keys: VaultKeys, store: Corestore, journal: Journal, readModel: ReadModel) {
    this.path = path
    this.keys = keys
    this.store = store
    this.journal = journal
    this.readModel = readModel
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
      const vault = await writeVault(staging, options.passphrase, seed, options.kdf)
      const home = await Home.openUnlocked(staging, await unlockVault(staging, options.passphrase), {
        encryptAtRest: options.encryptAtRest ?? true
      })
      try {
        if (!options.seed) {
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
    const store = new Corestore(join(path, CORESTORE_DIR))
    let journal: Journal
    try {
      await store.ready()
      const encrypt = options.encryptAtRest ?? true
      const core = store.get({
        keyPair: keys.journalCore,
        encryption: encrypt ? { key: keys.journalEncryption } : null
      })
      journal = await Journal.open(core, keys.identity)
    } catch (err) {
      await store.close().catch(() => {})
      throw storageError(err, path)
    }
    let readModel: ReadModel
    try {
      const key = (options.encryptAtRest ?? true) ? keys.readModel : null
      readModel = ReadModel.open(join(path, READ_MODEL_FILE), key, PROJECTIONS)
    } catch (err) {
      await journal.close().catch(() => {})
      await store.close().catch(() => {})
      throw err
    }
    const home = new Home(path, keys, store, journal, readModel)
    const lookup = readModel.db.prepare<
      [number],
      { header: Uint8Array; sig: Uint8Array; leaf: Uint8Array; size: number }
    >('SELECT header, sig, leaf, size FROM redactions WHERE seq = ?')
    journal.setRedactionLookup({
      redacted(seq) {
        const row = lookup.get(seq)
        if (!row) return undefined
        return {
          headerBytes: new Uint8Array(row.header),
          sig: new Uint8Array(row.sig),
          leaf: new Uint8Array(row.leaf),
          size: row.size
        }
      }
    })
    try {
      await readModel.catchUp(journal, options.onCatchUp)
      await home.finishRedactions()
    } catch (err) {
      await home.close()
      throw err
    }
    return home
  }

  /** Appends events to the journal and applies them to the read model. */
  async append(drafts: readonly Draft[], options?: AppendOptions): Promise<SignedEvent[]> {
    const events = await this.journal.appendBatch(drafts, options)
    // If the read model is behind (a crash after an earlier append), catch up first.
    if (this.readModel.position < (events[0]?.header.seq ?? 0)) await this.readModel.catchUp(this.journal)
    else this.readModel.apply(events.map(projected))
    for (const listener of this.listeners) listener(events)
    return events
  }

  /** Calls `listener` after every append lands in the log and the read model (live views: SSE). Returns an unsubscribe. */
  onAppend(listener: (events: readonly SignedEvent[]) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Clears the blocks a tombstone names that are still on disk: normally right after
   * the tombstone is appended, and on open if a crash came in between.
   */
  async finishRedactions(): Promise<number> {
    const rows = this.readModel.db.prepare<[], { seq: number }>('SELECT seq FROM redactions ORDER BY seq').all()
    const pending: number[] = []
    for (const { seq } of rows) if (await this.journal.core.has(seq)) pending.push(seq)
    if (pending.length > 0) await this.journal.clear(pending)
    return pending.length
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.readModel.close()
    await this.journal.close()
    await this.store.close()
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
