// Honest declarations for the parts of Hyperswarm 4 and HyperDHT 6 this project uses.
declare module 'hyperdht' {
  import type { EventEmitter } from 'node:events'

  namespace HyperDHT {
    interface Options {
      bootstrap?: (string | { host: string; port: number })[]
      host?: string
      port?: number
      ephemeral?: boolean
      firewalled?: boolean
      /** The node's default key pair: the identity used by `connect` and `createServer`. */
      keyPair?: KeyPair
    }
    interface KeyPair {
      publicKey: Uint8Array
      secretKey: Uint8Array
    }
  }

  class HyperDHT extends EventEmitter {
    constructor(opts?: HyperDHT.Options)
    static keyPair(seed?: Uint8Array): HyperDHT.KeyPair
    static bootstrapper(port: number, host: string, opts?: unknown): HyperDHT
    readonly defaultKeyPair: HyperDHT.KeyPair
    address(): { host: string; port: number }
    ready(): Promise<void>
    destroy(opts?: { force?: boolean }): Promise<void>
  }

  export = HyperDHT
}

declare module 'hyperdht/testnet.js' {
  import type HyperDHT from 'hyperdht'

  interface Testnet {
    readonly nodes: HyperDHT[]
    readonly bootstrap: { host: string; port: number }[]
    createNode(opts?: unknown): HyperDHT
    destroy(): Promise<void>
  }
  function createTestnet(
    size?: number,
    opts?: { host?: string; port?: number; teardown?: (fn: () => Promise<void>) => void }
  ): Promise<Testnet>
  export = createTestnet
}

declare module 'hyperswarm' {
  import type { EventEmitter } from 'node:events'
  import type { Duplex } from 'node:stream'
  import type HyperDHT from 'hyperdht'

  namespace Hyperswarm {
    interface Options {
      dht?: HyperDHT
      bootstrap?: { host: string; port: number }[]
      keyPair?: HyperDHT.KeyPair
      maxPeers?: number
      /** Return true to refuse a peer (checked on incoming and outgoing connections). */
      firewall?: (remotePublicKey: Uint8Array, payload: unknown) => boolean
    }
    interface PeerInfo {
      readonly publicKey: Uint8Array
      readonly topics: Uint8Array[]
      readonly client: boolean
    }
    interface Discovery {
      flushed(): Promise<void>
      destroy(): Promise<void>
    }
    interface Connection extends Duplex {
      readonly remotePublicKey: Uint8Array
      readonly publicKey: Uint8Array
    }
  }

  class Hyperswarm extends EventEmitter {
    constructor(opts?: Hyperswarm.Options)
    readonly dht: HyperDHT
    readonly keyPair: HyperDHT.KeyPair
    readonly connections: Set<Hyperswarm.Connection>
    readonly peers: Map<string, Hyperswarm.PeerInfo>
    readonly connecting: number
    join(topic: Uint8Array, opts?: { server?: boolean; client?: boolean }): Hyperswarm.Discovery
    leave(topic: Uint8Array): Promise<void>
    flush(): Promise<void>
    listen(): Promise<void>
    destroy(): Promise<void>
    on(event: 'connection', listener: (conn: Hyperswarm.Connection, info: Hyperswarm.PeerInfo) => void): this
    on(event: 'update', listener: () => void): this
  }

  export = Hyperswarm
}
