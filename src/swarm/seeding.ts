import type Autobase from 'autobase'
import BlindPeering from 'blind-peering'
import type Corestore from 'corestore'
import type HyperDHT from 'hyperdht'
import * as z32 from 'z32'
import { CosmicError } from '../errors.js'

export interface SeedingOptions {
  /** Public keys of the seeders to use (`Seeder.publicKey`). */
  readonly seeders: readonly Uint8Array[]
}

export interface SeedOptions {
  /**
   * Ask the seeders to also announce the sphere's cores on the DHT, so members that only
   * join the sphere's topic find them. A seeder honours it only for its listed members.
   */
  readonly announce?: boolean
}

/**
 * The member side of seeding: asks seeders (blind peers) to keep a sphere's Autobase.
 * Built over blind-peering, which dials each seeder directly on the DHT and replicates the
 * given Corestore over that connection: the seeder downloads the cores it was asked for,
 * and a member that comes online later reads them back on the same kind of connection.
 *
 * Pass the Corestore that holds the spheres and nothing else: every core active in it is
 * offered on the seeder connection (the seeder learns those cores' discovery keys).
 */
export class Seeding {
  readonly #peering: BlindPeering
  readonly #dht: HyperDHT
  readonly #seeders: readonly Uint8Array[]
  #closed = false

  constructor(dht: HyperDHT, store: Corestore, options: SeedingOptions) {
    if (options.seeders.length === 0) throw CosmicError.INVALID_INPUT('seeding needs at least one seeder key')
    this.#dht = dht
    this.#seeders = options.seeders
    // pick: every configured seeder keeps every sphere (blind-peering's default spreads over 2).
    this.#peering = new BlindPeering(dht, store, { keys: [...options.seeders], pick: options.seeders.length })
  }

  /** The key seeders see this member connect with: what a seeder's `members` list holds. */
  get memberKey(): Uint8Array {
    return this.#dht.defaultKeyPair.publicKey
  }

  get seeders(): readonly Uint8Array[] {
    return this.#seeders
  }

  /** The seeders this member is connected to now. */
  connectedSeeders(): Uint8Array[] {
    return [...this.#peering.blindPeers.values()].filter((peer) => peer.connected).map((peer) => peer.remotePublicKey)
  }

  /** See seedAutobase. */
  async seed(base: Autobase<unknown, unknown>, options: SeedOptions = {}): Promise<void> {
    if (this.#closed) throw CosmicError.CONFLICT('seeding is closed')
    await base.ready()
    if (base.closing) throw CosmicError.CONFLICT('the sphere is closing')
    this.#peering.addAutobaseBackground(base, options.announce ? { announce: true } : {})
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#peering.close()
  }
}

/**
 * Asks the seeders to keep `base`: its local writer core, its views, and the writers it
 * knows (blind-peering sends them once, and once more when new writers appear soon after).
 * Resolves once the request is queued: blind-peering connects in the background and keeps
 * retrying (backoff up to a minute) while a seeder is unreachable, and the seeder keeps
 * downloading new blocks for as long as the connection stays open. Call it on every
 * member's own instance of the base, so each member's writer core is kept.
 */
export function seedAutobase(
  seeding: Seeding,
  base: Autobase<unknown, unknown>,
  options: SeedOptions = {}
): Promise<void> {
  return seeding.seed(base, options)
}

/** Reads a seeder key as printed by `cosmic seed` (z32) or as 64 hex digits. */
export function parseSeederKey(text: string): Uint8Array {
  const trimmed = text.trim()
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return Buffer.from(trimmed, 'hex')
  try {
    const key = z32.decode(trimmed)
    if (key.length === 32) return key
  } catch {
    // reported below
  }
  throw CosmicError.INVALID_INPUT(`"${text}" is not a seeder key: 52 z-base-32 characters or 64 hex digits`)
}

/** A seeder key as members copy it (z-base-32, like Holepunch keys elsewhere). */
export function formatSeederKey(key: Uint8Array): string {
  return z32.encode(key)
}
