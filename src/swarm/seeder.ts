import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import BlindPeer from 'blind-peer'
import { discoveryKey } from 'hypercore-crypto'
import HyperDHT from 'hyperdht'
import Hyperswarm from 'hyperswarm'
import { CosmicError } from '../errors.js'
import type { BootstrapNode } from './bootstrap.js'

export interface SeederOptions {
  /** A folder the seeder owns: its identity and the (encrypted) cores it keeps. */
  readonly storage: string
  /** DHT bootstrap nodes (a LAN bootstrap, a testnet); the public ones when absent. */
  readonly bootstrap?: readonly BootstrapNode[]
  /** Address the DHT binds to (127.0.0.1 in tests); every interface when absent. */
  readonly host?: string
  /** UDP port of the DHT node; any free port when absent. */
  readonly port?: number
  /** false on one machine or a flat LAN (see NetworkOptions.firewalled in ./network.ts). */
  readonly firewalled?: boolean
  /**
   * The spheres this seeder keeps, by Autobase key or discovery key. A request names its
   * sphere (blind-peering's referrer: the Autobase key); others are refused. Absent: any.
   */
  readonly spheres?: readonly Uint8Array[]
  /**
   * The DHT public keys of the members allowed to connect at all (refused during the
   * handshake otherwise); they may also ask the seeder to announce cores. Absent: anyone
   * may connect, and no one may make it announce.
   */
  readonly members?: readonly Uint8Array[]
  /** Bytes kept before the least recently active cores are cleared (blind-peer's GC). */
  readonly maxBytes?: number
}

export interface SeederStats {
  /** Cores the seeder keeps. */
  readonly cores: number
  /** Bytes of those cores it stores (ciphertext and Merkle trees' blocks). */
  readonly bytes: number
  /** Cores it announces on the DHT, at a trusted member's request. */
  readonly announced: number
  /** Open connections. */
  readonly connections: number
  /** Requests refused since start because their sphere is not in the allow-list. */
  readonly refused: number
}

const IDENTITY_FILE = 'identity.key'
const CORES_DIR = 'cores'

/**
 * An always-on node that keeps the encrypted cores of spheres available while their
 * members are offline, without any sphere key: a Holepunch blind peer (blind-peer) on a
 * swarm this class owns, so it can bind to a chosen address, use a LAN bootstrap and
 * refuse peers that are not members. Members ask it to keep an Autobase with
 * `seedAutobase` (./seeding.ts) and read from it through the same connection.
 */
export class Seeder {
  readonly #options: SeederOptions
  readonly #spheres: Set<string> | null
  readonly #members: Set<string> | null
  #peer: SphereFilteringBlindPeer | null = null
  #swarm: Hyperswarm | null = null
  #refused = 0

  constructor(options: SeederOptions) {
    this.#options = options
    this.#spheres = options.spheres ? new Set(options.spheres.map(hex)) : null
    this.#members = options.members ? new Set(options.members.map(hex)) : null
  }

  /** What members configure to use this seeder (its DHT public key). */
  get publicKey(): Uint8Array {
    return this.#started().swarm.keyPair.publicKey
  }

  async start(): Promise<void> {
    if (this.#peer) return
    const { storage } = this.#options
    await mkdir(storage, { recursive: true, mode: 0o700 })
    const keyPair = HyperDHT.keyPair(await loadOrCreateSeed(join(storage, IDENTITY_FILE)))
    const dht = new HyperDHT({
      ...(this.#options.bootstrap ? { bootstrap: [...this.#options.bootstrap] } : {}),
      ...(this.#options.host ? { host: this.#options.host } : {}),
      ...(this.#options.port ? { port: this.#options.port } : {}),
      ...(this.#options.firewalled !== undefined ? { firewalled: this.#options.firewalled } : {}),
      keyPair
    })
    const members = this.#members
    const swarm = new Hyperswarm({
      dht,
      keyPair,
      firewall: (remotePublicKey) => members !== null && !members.has(hex(remotePublicKey))
    })
    const peer = new SphereFilteringBlindPeer(
      join(storage, CORES_DIR),
      {
        swarm,
        ...(this.#options.maxBytes ? { maxBytes: this.#options.maxBytes } : {}),
        trustedPubKeys: this.#options.members ? [...this.#options.members] : []
      },
      (referrer) => this.#accepts(referrer),
      () => {
        this.#refused++
      }
    )
    try {
      await peer.listen()
    } catch (err) {
      await peer.close().catch(() => {})
      await swarm.destroy().catch(() => {})
      // RocksDB's lock file: "While lock file: .../LOCK: Resource temporarily unavailable"
      // from another process, "lock hold by current process" from this one.
      if (/While lock file|lock hold by current process|could not be locked/i.test(String((err as Error).message))) {
        throw CosmicError.HOME_LOCKED(`${storage} is in use by another seeder; stop it first`)
      }
      throw err
    }
    this.#peer = peer
    this.#swarm = swarm
  }

  async close(): Promise<void> {
    const peer = this.#peer
    const swarm = this.#swarm
    this.#peer = null
    this.#swarm = null
    // blind-peer closes its store and database; the swarm (and its DHT) is ours.
    if (peer) await peer.close()
    if (swarm) await swarm.destroy()
  }

  stats(): SeederStats {
    const { peer, swarm } = this.#started()
    const digest = peer.digest
    return {
      cores: digest.cores,
      bytes: digest.bytesAllocated,
      announced: peer.nrAnnouncedCores,
      connections: swarm.connections.size,
      refused: this.#refused
    }
  }

  /** The spheres (Autobase keys, as their members' requests name them) it keeps cores of. */
  async spheres(): Promise<Uint8Array[]> {
    const { peer } = this.#started()
    const spheres = new Map<string, Uint8Array>()
    for await (const record of peer.db.find('@blind-peer/cores', {})) {
      if (record.referrer) spheres.set(hex(record.referrer), record.referrer)
    }
    return [...spheres.values()]
  }

  /** Whether the seeder was asked to keep this core and stores its first `length` blocks. */
  async holds(key: Uint8Array, length: number): Promise<boolean> {
    const { peer } = this.#started()
    if ((await peer.db.getCoreRecord(key)) === null) return false
    const core = peer.store.get({ key })
    try {
      await core.ready()
      return core.length >= length && (length === 0 || (await core.has(0, length)))
    } finally {
      await core.close()
    }
  }

  #accepts(referrer: Uint8Array | null): boolean {
    if (this.#spheres === null) return true
    if (referrer === null) return false
    return this.#spheres.has(hex(referrer)) || this.#spheres.has(hex(discoveryKey(referrer)))
  }

  #started(): { peer: SphereFilteringBlindPeer; swarm: Hyperswarm } {
    if (!this.#peer || !this.#swarm) throw CosmicError.CONFLICT('the seeder is not started')
    return { peer: this.#peer, swarm: this.#swarm }
  }
}

/**
 * blind-peer stores whatever any peer asks for and has no public hook to refuse; its
 * per-connection handlers are methods, so this subclass filters there by the sphere a
 * request names. The allow-list test in test/swarm-seeder.test.ts fails if a new
 * blind-peer version renames them.
 */
class SphereFilteringBlindPeer extends BlindPeer {
  readonly #accepts: (referrer: Uint8Array | null) => boolean
  readonly #onRefused: () => void

  constructor(
    storage: string,
    options: BlindPeer.Options,
    accepts: (referrer: Uint8Array | null) => boolean,
    onRefused: () => void
  ) {
    super(storage, options)
    this.#accepts = accepts
    this.#onRefused = onRefused
  }

  protected override async _onaddcores(
    stream: Hyperswarm.Connection,
    request: BlindPeer.AddCoresRequest
  ): Promise<null> {
    if (!this.#accepts(request.referrer)) {
      // One-way message: nothing to answer; the client keeps its cores to itself.
      this.#onRefused()
      return null
    }
    return super._onaddcores(stream, request)
  }

  protected override async _onaddcore(
    stream: Hyperswarm.Connection,
    request: BlindPeer.AddCoreRequest
  ): Promise<BlindPeer.CoreRecord | null> {
    if (!this.#accepts(request.referrer)) {
      this.#onRefused()
      throw new Error('this seeder does not keep that sphere')
    }
    return super._onaddcore(stream, request)
  }
}

/** The seeder's identity survives restarts: members configure its public key once. */
async function loadOrCreateSeed(path: string): Promise<Uint8Array> {
  try {
    const seed = await readFile(path)
    if (seed.length !== 32) throw CosmicError.HOME_DAMAGED(`${path} is not a 32-byte seeder identity`)
    return seed
  } catch (err) {
    if ((err as { code?: string }).code !== 'ENOENT') throw err
  }
  const seed = randomBytes(32)
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, seed, { mode: 0o600 })
  await rename(temporary, path)
  return seed
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}
