import BlindPairing from 'blind-pairing'
import type Corestore from 'corestore'
import HyperDHT from 'hyperdht'
import Hyperswarm from 'hyperswarm'
import { toHex } from '../events/crypto.js'

/** Where the DHT starts: a LAN bootstrap (`--bootstrap`, COSMIC_BOOTSTRAP) or the public one. */
export interface NetworkOptions {
  readonly bootstrap?: readonly { host: string; port: number }[]
  /** Address the DHT binds (tests: 127.0.0.1, see shared/ENVIRONMENT.md). */
  readonly host?: string
  /**
   * Whether the DHT assumes it sits behind a NAT until proven otherwise (its default).
   * On one machine or a flat LAN, false: measured here, two processes on 127.0.0.1 with
   * the default get a one-sided connection (the client says connected, the server
   * never hears of it) and no byte flows; with false they connect both ways.
   */
  readonly firewalled?: boolean
  /** How often a member polls for pairing requests, ms (blind-pairing's default is minutes). */
  readonly pairingPoll?: number
}

/**
 * Which connections (by the remote device's swarm key, hex) may replicate the spheres:
 * read once per recheck, then asked for every connection.
 */
export type ReplicationGate = () => Promise<(peer: string) => boolean>

export interface SwarmIdentity {
  /** The device's swarm key pair: stable, so a restart replaces its own announcements instead of adding stale ones. */
  readonly keyPair?: HyperDHT.KeyPair
}

export interface PeerStatus {
  /** Remote Noise public key (hex). */
  readonly peer: string
  /** Discovery keys (hex) both sides joined. */
  readonly topics: string[]
  readonly initiator: boolean
  readonly since: number
}

/**
 * One Hyperswarm for a home: joins the discovery key of every sphere, replicates the
 * spheres' Corestore (HOME/spheres: never the journal's) with the devices of current
 * members (the gate), and carries blind-pairing for invites on any connection. Everything it sends is Noise-encrypted on the
 * wire and sphere-encrypted inside.
 */
export class SwarmNode {
  readonly swarm: Hyperswarm
  readonly pairing: BlindPairing
  private readonly joined = new Map<string, Uint8Array>()
  private readonly peers = new Map<string, { topics: Set<string>; initiator: boolean; since: number }>()
  private readonly listeners = new Set<() => void>()
  private readonly connections = new Map<string, { conn: Hyperswarm.Connection; replicating: boolean }>()
  private readonly gate: ReplicationGate

  constructor(
    private readonly store: Corestore,
    options: NetworkOptions & SwarmIdentity & { gate?: ReplicationGate } = {}
  ) {
    this.gate = options.gate ?? (async () => () => true)
    const dhtOptions: HyperDHT.Options = {}
    if (options.bootstrap) dhtOptions.bootstrap = options.bootstrap.map((b) => ({ host: b.host, port: b.port }))
    if (options.host) dhtOptions.host = options.host
    if (options.firewalled !== undefined) dhtOptions.firewalled = options.firewalled
    // One key for the DHT and the swarm: what a seeder's member list names (docs/seeding.md).
    if (options.keyPair) dhtOptions.keyPair = options.keyPair
    this.swarm = new Hyperswarm({
      dht: new HyperDHT(dhtOptions),
      ...(options.keyPair ? { keyPair: options.keyPair } : {})
    })
    this.swarm.on('connection', (conn, info) => {
      const peer = toHex(conn.remotePublicKey)
      this.peers.set(peer, {
        topics: new Set(info.topics.map((t) => toHex(t))),
        initiator: info.client,
        since: Date.now()
      })
      this.connections.set(peer, { conn, replicating: false })
      conn.on('error', () => {})
      conn.on('close', () => {
        if (this.connections.get(peer)?.conn === conn) this.connections.delete(peer)
        this.peers.delete(peer)
        this.changed()
      })
      void this.recheck()
      this.changed()
    })
    this.pairing = new BlindPairing(this.swarm, { poll: options.pairingPoll ?? 5_000 })
  }

  /**
   * Replicates the spheres' store over each connection the gate allows, and stops (drops
   * the connection) where it no longer does: a removed member's device gets nothing new
   * from this device. Connections the gate refuses stay open for pairing only.
   */
  async recheck(): Promise<void> {
    if (this.connections.size === 0) return
    const allows = await this.gate()
    for (const [peer, entry] of this.connections) {
      const allowed = allows(peer)
      if (allowed && !entry.replicating) {
        entry.replicating = true
        this.store.replicate(entry.conn)
      } else if (!allowed && entry.replicating) {
        this.connections.delete(peer)
        entry.conn.destroy()
      }
    }
  }

  /** Calls `listener` when a peer connects or leaves. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private changed() {
    for (const listener of this.listeners) listener()
  }

  async join(discoveryKey: Uint8Array): Promise<void> {
    const hex = toHex(discoveryKey)
    if (this.joined.has(hex)) return
    this.joined.set(hex, discoveryKey)
    const discovery = this.swarm.join(discoveryKey, { server: true, client: true })
    await discovery.flushed()
  }

  async leave(discoveryKey: Uint8Array): Promise<void> {
    const hex = toHex(discoveryKey)
    if (!this.joined.delete(hex)) return
    await this.swarm.leave(discoveryKey)
  }

  get topics(): string[] {
    return [...this.joined.keys()]
  }

  status(): PeerStatus[] {
    return [...this.peers.entries()].map(([peer, p]) => ({
      peer,
      topics: [...p.topics],
      initiator: p.initiator,
      since: p.since
    }))
  }

  async flush(): Promise<void> {
    await this.swarm.flush()
  }

  async close(): Promise<void> {
    await this.pairing.close().catch(() => {})
    await this.swarm.destroy()
  }
}
