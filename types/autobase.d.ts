// Honest declarations for the parts of Autobase 7 this project uses.
declare module 'autobase' {
  import type { EventEmitter } from 'node:events'
  import type Corestore from 'corestore'
  import type Hypercore from 'hypercore'

  namespace Autobase {
    /** One node handed to apply: its value and the writer core it came from (the only authenticated author). */
    interface ApplyNode<V = Uint8Array> {
      readonly value: V | null
      readonly from: { readonly key: Uint8Array }
      readonly length: number
    }
    /** The calls apply may make: writers change only here. */
    interface Host {
      addWriter(key: Uint8Array, opts?: { indexer?: boolean }): Promise<void>
      removeWriter(key: Uint8Array): Promise<void>
      removeable(key: Uint8Array): boolean
      readonly key: Uint8Array
      readonly discoveryKey: Uint8Array
    }
    /** The store handed to open: view cores by name. */
    interface ViewStore {
      get(name: string | { name: string; valueEncoding?: unknown }): Hypercore
    }
    interface Options<View, V = Uint8Array> {
      open(store: ViewStore, host: Host): View
      apply(nodes: readonly ApplyNode<V>[], view: View, host: Host): Promise<void>
      close?(view: View): Promise<void>
      valueEncoding?: unknown
      encryptionKey?: Uint8Array | Promise<Uint8Array> | null
      encrypt?: boolean
      encrypted?: boolean
      blindEncryption?: unknown
      ackInterval?: number
      ackThreshold?: number
      fastForward?: boolean
      wakeup?: unknown
    }
  }

  class Autobase<View = unknown, V = Uint8Array> extends EventEmitter {
    constructor(store: Corestore, bootstrap: Uint8Array | null, opts: Autobase.Options<View, V>)
    static getLocalKey(store: Corestore, opts?: unknown): Promise<Uint8Array>
    readonly key: Uint8Array
    readonly discoveryKey: Uint8Array
    readonly encryptionKey: Uint8Array | null
    readonly local: Hypercore
    readonly view: View
    readonly writable: boolean
    readonly isIndexer: boolean
    readonly length: number
    readonly opened: boolean
    readonly closing: Promise<void> | null
    ready(): Promise<void>
    update(): Promise<void>
    append(value: V | V[]): Promise<void>
    ack(): Promise<void>
    waitForWritable(): Promise<boolean>
    replicate(isInitiator: boolean | import('node:stream').Duplex, opts?: unknown): import('node:stream').Duplex
    close(): Promise<void>
  }

  export = Autobase
}
