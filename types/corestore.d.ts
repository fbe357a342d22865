// Honest declarations for the parts of Corestore 7 this project uses.
declare module 'corestore' {
  import type Hypercore from 'hypercore'

  namespace Corestore {
    interface Options {
      primaryKey?: Uint8Array
      unsafe?: boolean
      readOnly?: boolean
    }
    interface GetOptions {
      name?: string
      key?: Uint8Array
      keyPair?: Hypercore.KeyPair
      encryption?: { key: Uint8Array; block?: boolean } | null
      exclusive?: boolean
      valueEncoding?: unknown
    }
  }

  class Corestore {
    constructor(storage: string, opts?: Corestore.Options)
    readonly primaryKey: Uint8Array | null
    ready(): Promise<void>
    close(): Promise<void>
    get(opts: Corestore.GetOptions | Uint8Array): Hypercore
    namespace(name: string): Corestore
    session(opts?: unknown): Corestore
    replicate(isInitiator: boolean | import('node:stream').Duplex, opts?: unknown): import('node:stream').Duplex
  }

  export = Corestore
}
