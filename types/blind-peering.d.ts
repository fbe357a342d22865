// Honest declarations for the parts of blind-peering 2.0 this project uses.
declare module 'blind-peering' {
  import type Autobase from 'autobase'
  import type Corestore from 'corestore'
  import type HyperDHT from 'hyperdht'

  namespace BlindPeering {
    interface Options {
      /** Public keys of the blind peers (hex, z32 or bytes). The option is `keys` in 2.0, not `mirrors`. */
      keys?: (Uint8Array | string)[]
      /** How many of the keys, closest to the target by XOR distance, receive each request (default 2). */
      pick?: number
      suspended?: boolean
      wakeup?: unknown
    }
    interface AddOptions {
      target?: Uint8Array
      referrer?: Uint8Array
      priority?: number
      /** Ask the blind peer to announce the cores on the DHT; honoured only for its trusted peers. */
      announce?: boolean
      pick?: number
    }
    /** A connection to one blind peer, as the client tracks it. */
    interface RemoteBlindPeer {
      readonly remotePublicKey: Uint8Array
      readonly connected: boolean
    }
  }

  class BlindPeering {
    constructor(dht: HyperDHT, store: Corestore, opts?: BlindPeering.Options)
    readonly blindPeers: Map<string, BlindPeering.RemoteBlindPeer>
    /** Resolves once connected to the chosen blind peers; never, while none of them is reachable. */
    addAutobase(base: Autobase<unknown, unknown>, opts?: BlindPeering.AddOptions): Promise<void>
    addAutobaseBackground(base: Autobase<unknown, unknown>, opts?: BlindPeering.AddOptions): void
    suspend(): Promise<unknown>
    resume(): Promise<unknown>
    close(): Promise<void>
  }

  export = BlindPeering
}
