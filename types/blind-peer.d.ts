// Honest declarations for the parts of blind-peer 3.8 this project uses.
declare module 'blind-peer' {
  import type { EventEmitter } from 'node:events'
  import type Corestore from 'corestore'
  import type Hyperswarm from 'hyperswarm'

  namespace BlindPeer {
    interface Options {
      /** A swarm the caller owns (and destroys); without one blind-peer makes its own, bound to every interface. */
      swarm?: Hyperswarm
      /** Bytes kept before the least recently active, unannounced cores are cleared. */
      maxBytes?: number
      enableGc?: boolean
      /** Peers allowed to ask for announced cores and to delete cores. */
      trustedPubKeys?: Uint8Array[]
    }
    /** Running totals, persisted in the peer's own database. */
    interface Digest {
      readonly referrers: number
      readonly cores: number
      readonly bytesAllocated: number
    }
    interface CoreRecord {
      readonly key: Uint8Array
      readonly length: number
      readonly bytesAllocated: number
      readonly priority: number
      readonly announce: boolean
      readonly referrer: Uint8Array | null
    }
    /** One add-cores message from a client (blind-peer-muxer): the cores to keep, and the autobase they belong to. */
    interface AddCoresRequest {
      readonly cores: readonly { readonly key: Uint8Array; readonly length: number }[]
      readonly referrer: Uint8Array | null
      readonly priority: number
      announce: boolean
    }
    /** The older one-core RPC. */
    interface AddCoreRequest {
      readonly key: Uint8Array
      readonly referrer: Uint8Array | null
      priority: number
      announce: boolean
    }
  }

  class BlindPeer extends EventEmitter {
    constructor(storage: string, opts?: BlindPeer.Options)
    /** The key clients connect to (the swarm's key pair). */
    readonly publicKey: Uint8Array
    readonly store: Corestore
    readonly swarm: Hyperswarm
    readonly digest: BlindPeer.Digest
    readonly nrAnnouncedCores: number
    readonly opened: boolean
    readonly closing: Promise<void> | null
    /** Its HyperDB of core records. */
    readonly db: {
      getCoreRecord(key: Uint8Array): Promise<BlindPeer.CoreRecord | null>
      find(collection: '@blind-peer/cores', query: object): AsyncIterable<BlindPeer.CoreRecord>
    }
    ready(): Promise<void>
    listen(): Promise<void>
    flush(): Promise<void>
    close(): Promise<void>
    addTrustedPubKey(key: Uint8Array): void
    /**
     * Internal request handlers (blind-peer 3.8, bound per connection, so a subclass's
     * override is the one called). There is no public hook to refuse a request.
     */
    protected _onaddcores(stream: Hyperswarm.Connection, request: BlindPeer.AddCoresRequest): Promise<null>
    protected _onaddcore(
      stream: Hyperswarm.Connection,
      request: BlindPeer.AddCoreRequest
    ): Promise<BlindPeer.CoreRecord | null>
  }

  export = BlindPeer
}
