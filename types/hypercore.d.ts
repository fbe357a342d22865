// Honest declarations for the parts of Hypercore 11 this project uses.
declare module 'hypercore' {
  import type { EventEmitter } from 'node:events'
  import type { Duplex, Readable } from 'node:stream'

  namespace Hypercore {
    interface KeyPair {
      publicKey: Uint8Array
      secretKey: Uint8Array | null
    }
    interface GetOptions {
      wait?: boolean
      timeout?: number
      decrypt?: boolean
      /** The stored bytes as they are: still encrypted and padded. */
      raw?: boolean
      valueEncoding?: unknown
    }
    interface ReadStreamOptions {
      start?: number
      end?: number
      live?: boolean
      snapshot?: boolean
      wait?: boolean
    }
    interface AppendResult {
      length: number
      byteLength: number
    }
    /** A download request for a range of blocks (`core.download`). */
    interface Download {
      done(): Promise<void>
      destroy(): void
    }
    interface Info {
      length: number
      contiguousLength: number
      byteLength: number
      fork: number
      padding: number
      storage?: unknown
    }
  }

  class Hypercore extends EventEmitter {
    constructor(storage: string, key?: Uint8Array | null, opts?: Record<string, unknown>)
    /** The core key of a single-signer core with this public key (its default manifest's hash). */
    static key(publicKey: Uint8Array): Uint8Array
    readonly key: Uint8Array | null
    readonly discoveryKey: Uint8Array | null
    readonly keyPair: Hypercore.KeyPair | null
    readonly length: number
    readonly contiguousLength: number
    readonly byteLength: number
    readonly fork: number
    readonly writable: boolean
    readonly readable: boolean
    readonly closed: boolean
    readonly opened: boolean
    ready(): Promise<void>
    close(): Promise<void>
    append(blocks: Uint8Array | Uint8Array[]): Promise<Hypercore.AppendResult>
    get(index: number, opts?: Hypercore.GetOptions): Promise<Uint8Array | null>
    has(start: number, end?: number): Promise<boolean>
    clear(start: number, end?: number, opts?: { diff?: boolean }): Promise<unknown>
    compact(): Promise<void>
    treeHash(length?: number): Promise<Uint8Array>
    /** Asks peers for the newest length; with wait, waits for an answer. Resolves whether it grew. */
    update(opts?: { wait?: boolean }): Promise<boolean>
    download(range?: { start?: number; end?: number }): Hypercore.Download
    info(opts?: { storage?: boolean }): Promise<Hypercore.Info>
    createReadStream(opts?: Hypercore.ReadStreamOptions): Readable & AsyncIterable<Uint8Array>
    replicate(isInitiator: boolean, opts?: unknown): Duplex
    session(opts?: unknown): Hypercore
    snapshot(opts?: unknown): Hypercore
  }

  export = Hypercore
}
