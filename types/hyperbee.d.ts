// Honest declarations for the parts of Hyperbee 2 this project uses.
declare module 'hyperbee' {
  import type Hypercore from 'hypercore'

  namespace Hyperbee {
    interface Options {
      keyEncoding?: 'utf-8' | 'binary' | unknown
      valueEncoding?: 'json' | 'utf-8' | 'binary' | unknown
      extension?: boolean
    }
    interface Entry<K, V> {
      readonly seq: number
      readonly key: K
      readonly value: V
    }
    interface Range<K> {
      gt?: K
      gte?: K
      lt?: K
      lte?: K
      reverse?: boolean
      limit?: number
    }
    interface Batch<K, V> {
      put(key: K, value: V): Promise<void>
      del(key: K): Promise<void>
      get(key: K): Promise<Entry<K, V> | null>
      createReadStream(range?: Range<K>): AsyncIterable<Entry<K, V>>
      flush(): Promise<void>
    }
  }

  class Hyperbee<K = string, V = unknown> {
    constructor(core: Hypercore, opts?: Hyperbee.Options)
    readonly core: Hypercore
    readonly version: number
    ready(): Promise<void>
    close(): Promise<void>
    get(key: K): Promise<Hyperbee.Entry<K, V> | null>
    put(key: K, value: V): Promise<void>
    del(key: K): Promise<void>
    batch(): Hyperbee.Batch<K, V>
    createReadStream(range?: Hyperbee.Range<K>): AsyncIterable<Hyperbee.Entry<K, V>>
    snapshot(): Hyperbee<K, V>
  }

  export = Hyperbee
}
