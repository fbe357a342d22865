import Autobase from 'autobase'
import b4a from 'b4a'
import type Corestore from 'corestore'
import Hyperbee from 'hyperbee'
import sodium from 'sodium-universal'
import { CosmicError } from '../errors.js'
import type { EventBody } from '../events/catalog.js'
import { randomBytes, type SigningKeyPair, sign, toHex, verify } from '../events/crypto.js'
import { decodeBlock, encodeBlock, type SignedEvent, sealEvent, verifyEvent } from '../events/envelope.js'
import { isSphereEventType, type SphereEventType } from '../events/sphere.js'

/**
 * A sphere: an Autobase whose writers are its members' devices, encrypted end to end
 * with the sphere's key, and whose view (a Hyperbee) is built by a deterministic
 * `apply` that verifies every envelope's signature and its author's membership.
 *
 * Every node of a writer is one signed envelope block (src/events/envelope.ts) of a
 * `sphere.*` type, with the sphere's own seq per author: never a copy of a journal
 * event. Anything that does not verify, comes from a device that is not bound to the
 * envelope's author, or breaks a rule (only an admin removes, nobody removes the last
 * device) is skipped and recorded under `rejected/`, so every peer sees the same view
 * and can say why something is missing.
 *
 * View layout (keys are utf-8, values JSON):
 *   meta                         { name, creator, created, members, items, rejected }
 *   members/<member>             { name, admin, writers[], since, addedBy }
 *   writers/<writer>             <member>
 *   authors/<member>             { seq, id, time }       last accepted envelope per author
 *   feed/<time:16>/<id>          FeedItem                shared entries, summaries, posts
 *   facets/<member>/<dim>/<facet>/<key>   FacetItem      shared profile facets (matching reads these)
 *   items/<id>                   the feed or facets key of a shared item (for retraction)
 *   retracted/<id>               { by, at }
 *   left/<member>                { at, removed, by }
 *   rejected/<n:10>              { writer, author?, type?, seq?, reason }
 */

/** Signed by a joining member: binds their identity to one device (writer) of one sphere. */
const WRITER_BINDING_DOMAIN = new TextEncoder().encode('cosmicsynccore/sphere-writer/v1\n')

/**
 * The sphere is named by its discovery key, which a joining member knows from the
 * invite before anyone tells them the sphere's key.
 */
export function writerBindingMessage(discoveryKey: Uint8Array, writer: Uint8Array): Uint8Array {
  return b4a.concat([WRITER_BINDING_DOMAIN, discoveryKey, writer])
}

export function signWriterBinding(identity: SigningKeyPair, discoveryKey: Uint8Array, writer: Uint8Array): Uint8Array {
  return sign(writerBindingMessage(discoveryKey, writer), identity.secretKey)
}

export interface SphereMeta {
  name: string
  creator: string
  created: number
  members: number
  items: number
  rejected: number
}

export interface MemberRecord {
  member: string
  name: string
  admin: boolean
  writers: string[]
  /** The swarm keys of their devices: the connections a member replicates this sphere with. */
  peers: string[]
  since: number
  addedBy: string
}

export interface FeedItem {
  id: string
  author: string
  authorName: string
  seq: number
  time: number
  type: 'sphere.entry.shared' | 'sphere.summary.shared' | 'sphere.post'
  body: EventBody<'sphere.entry.shared'> | EventBody<'sphere.summary.shared'> | EventBody<'sphere.post'>
}

export interface FacetItem {
  id: string
  member: string
  time: number
  dimension: string
  facet: string
  key: string
  value?: string
  level?: number
}

export interface Rejection {
  n: number
  writer: string
  author?: string
  type?: string
  seq?: number
  reason: string
}

type View = Hyperbee<string, unknown>
type ViewBatch = Hyperbee.Batch<string, unknown>

export interface SphereOptions {
  /** The Autobase key; null creates a new sphere (this device becomes its bootstrap writer). */
  readonly key: Uint8Array | null
  readonly encryptionKey: Uint8Array
  readonly identity: SigningKeyPair
  /** Seals the sphere key that Autobase keeps in local storage (at-rest protection of the home folder). */
  readonly atRestKey: Uint8Array
  /** Tests only: no acks, no fast-forward (ENVIRONMENT.md). */
  readonly testing?: boolean
  readonly clock?: () => number
}

const pad = (n: number, width: number) => String(n).padStart(width, '0')

export class Sphere {
  readonly base: Autobase<View, Uint8Array>
  private readonly identity: SigningKeyPair
  private readonly clock: () => number
  private writing: Promise<unknown> = Promise.resolve()
  private last: { seq: number; id: Uint8Array | null; time: number } | null = null

  constructor(store: Corestore, options: SphereOptions) {
    this.identity = options.identity
    this.clock = options.clock ?? Date.now
    const testing = options.testing ?? false
    this.base = new Autobase<View, Uint8Array>(store, options.key, {
      encryptionKey: options.encryptionKey,
      encrypt: true,
      blindEncryption: blindEncryption(options.atRestKey),
      valueEncoding: 'binary',
      open: (viewStore) =>
        new Hyperbee(viewStore.get('view'), { keyEncoding: 'utf-8', valueEncoding: 'json', extension: false }),
      apply: (nodes, view, host) => applyNodes(nodes, view, host),
      close: (view) => view.close(),
      ...(testing ? { ackInterval: 0, ackThreshold: 0, fastForward: false } : { ackInterval: 1000 })
    })
  }

  async ready(): Promise<void> {
    await this.base.ready()
  }

  get key(): Uint8Array {
    return this.base.key
  }

  get keyHex(): string {
    return toHex(this.base.key)
  }

  get discoveryKey(): Uint8Array {
    return this.base.discoveryKey
  }

  get writerKey(): Uint8Array {
    return this.base.local.key as Uint8Array
  }

  get writable(): boolean {
    return this.base.writable
  }

  get me(): string {
    return toHex(this.identity.publicKey)
  }

  async update(): Promise<void> {
    await this.base.update()
  }

  /** Seals a sphere event with this sphere's next seq for this author and appends it; returns once it is in the view. */
  publish<T extends SphereEventType>(type: T, body: EventBody<T>): Promise<SignedEvent> {
    const run = this.writing.then(() => this.publishNow(type, body))
    this.writing = run.catch(() => {})
    return run
  }

  private async publishNow(type: SphereEventType, body: unknown): Promise<SignedEvent> {
    if (!this.base.writable) {
      throw CosmicError.CONFLICT(
        'this device is not (or no longer) a writer of the sphere: join it first, or it removed you'
      )
    }
    await this.base.update()
    const mine = (await this.get<{ seq: number; id: string; time: number }>(`authors/${this.me}`)) ?? null
    const viewLast = mine ? { seq: mine.seq, id: b4a.from(mine.id, 'hex') as Uint8Array, time: mine.time } : null
    const last = this.last && (!viewLast || this.last.seq > viewLast.seq) ? this.last : viewLast
    const seq = last ? last.seq + 1 : 0
    const time = Math.max(this.clock(), (last?.time ?? 0) + 1)
    const event = sealEvent(
      { type, body, privacy: 'shareable' },
      { seq, time, prev: last?.id ?? null },
      this.identity as { publicKey: Uint8Array; secretKey: Uint8Array }
    )
    await this.base.append(encodeBlock(event))
    this.last = { seq, id: event.id, time }
    await this.base.update()
    return event
  }

  async get<T>(key: string): Promise<T | null> {
    const node = await this.base.view.get(key)
    return node ? (node.value as T) : null
  }

  private async list<T>(prefix: string, options: { reverse?: boolean; limit?: number } = {}): Promise<T[]> {
    const out: T[] = []
    const range: Hyperbee.Range<string> = { gt: prefix, lt: `${prefix}\uffff` }
    if (options.reverse) range.reverse = true
    if (options.limit !== undefined) range.limit = options.limit
    for await (const node of this.base.view.createReadStream(range)) out.push(node.value as T)
    return out
  }

  meta(): Promise<SphereMeta | null> {
    return this.get<SphereMeta>('meta')
  }

  members(): Promise<MemberRecord[]> {
    return this.list<MemberRecord>('members/')
  }

  member(member: string): Promise<MemberRecord | null> {
    return this.get<MemberRecord>(`members/${member}`)
  }

  /** Newest first; `before` pages by the feed key of the last item seen. */
  async feed(options: { limit?: number; before?: number } = {}): Promise<FeedItem[]> {
    const limit = options.limit ?? 50
    const out: FeedItem[] = []
    const range: Hyperbee.Range<string> = { gt: 'feed/', lt: 'feed/\uffff', reverse: true, limit }
    if (options.before !== undefined) range.lt = `feed/${pad(options.before, 16)}`
    for await (const node of this.base.view.createReadStream(range)) out.push(node.value as FeedItem)
    return out
  }

  facets(member?: string): Promise<FacetItem[]> {
    return this.list<FacetItem>(member ? `facets/${member}/` : 'facets/')
  }

  rejected(): Promise<Rejection[]> {
    return this.list<Rejection>('rejected/')
  }

  async hasItem(id: string): Promise<boolean> {
    return (await this.get(`items/${id}`)) !== null
  }

  async close(): Promise<void> {
    await this.base.close()
  }
}

/**
 * Autobase keeps the sphere's encryption key in the writer core's user data; this
 * seals it there with a key derived from the vault, so the home folder alone does
 * not give it away (autobase's blindEncryption hook).
 */
function blindEncryption(key: Uint8Array) {
  return {
    async encrypt(plain: Uint8Array) {
      const nonce = randomBytes(sodium.crypto_secretbox_NONCEBYTES)
      const box = b4a.alloc(plain.byteLength + sodium.crypto_secretbox_MACBYTES)
      sodium.crypto_secretbox_easy(box, plain, nonce, key)
      return { type: 1, value: b4a.concat([nonce, box]) }
    },
    async decrypt({ type, value }: { type: number; value: Uint8Array }) {
      if (type !== 1) throw CosmicError.HOME_DAMAGED(`sealed sphere key of unknown type ${type}`)
      const nonce = value.subarray(0, sodium.crypto_secretbox_NONCEBYTES)
      const box = value.subarray(sodium.crypto_secretbox_NONCEBYTES)
      const plain = b4a.alloc(box.byteLength - sodium.crypto_secretbox_MACBYTES)
      if (!sodium.crypto_secretbox_open_easy(plain, box, nonce, key)) {
        throw CosmicError.HOME_DAMAGED('the sealed sphere key does not open with this vault')
      }
      return { value: plain, rotated: false }
    }
  }
}

// ---------------------------------------------------------------------------
// apply: deterministic, writes only to the view, changes writers only via host.

class Rejected extends Error {}

async function applyNodes(nodes: readonly Autobase.ApplyNode<Uint8Array>[], view: View, host: Autobase.Host) {
  const batch = view.batch()
  for (const node of nodes) {
    if (node.value === null) continue // an ack
    const writer = toHex(node.from.key)
    let event: SignedEvent | null = null
    try {
      try {
        event = decodeBlock(node.value)
      } catch (err) {
        throw new Rejected(`undecodable block: ${(err as Error).message}`)
      }
      if (event.redacted || !isSphereEventType(event.header.type)) {
        throw new Rejected(`${event.header.type} is not a sphere event`)
      }
      try {
        verifyEvent(event)
      } catch (err) {
        throw new Rejected(`signature does not verify: ${(err as Error).message}`)
      }
      await applyEvent(batch, host, writer, event)
    } catch (err) {
      if (!(err instanceof Rejected)) throw err
      await reject(batch, writer, event, err.message)
    }
  }
  await batch.flush()
}

async function getValue<T>(batch: ViewBatch, key: string): Promise<T | null> {
  const node = await batch.get(key)
  return node ? (node.value as T) : null
}

async function reject(batch: ViewBatch, writer: string, event: SignedEvent | null, reason: string) {
  const meta = await getValue<SphereMeta>(batch, 'meta')
  const n = meta ? meta.rejected : 0
  const record: Rejection = { n, writer, reason }
  if (event) {
    record.author = toHex(event.header.author)
    record.type = event.header.type
    record.seq = event.header.seq
  }
  await batch.put(`rejected/${pad(n, 10)}`, record)
  if (meta) await batch.put('meta', { ...meta, rejected: n + 1 })
  else await batch.put('rejected-before-creation', n + 1)
}

async function applyEvent(batch: ViewBatch, host: Autobase.Host, writer: string, event: SignedEvent) {
  const author = toHex(event.header.author)
  const id = toHex(event.id)
  const time = event.header.time
  const meta = await getValue<SphereMeta>(batch, 'meta')

  if (event.header.type === 'sphere.created') {
    if (meta) throw new Rejected('the sphere already exists')
    if (writer !== toHex(host.key)) throw new Rejected('only the bootstrap device creates the sphere')
    const body = event.body as EventBody<'sphere.created'>
    await batch.put('meta', { name: body.name, creator: author, created: time, members: 1, items: 0, rejected: 0 })
    await batch.put(`members/${author}`, {
      member: author,
      name: body.by,
      admin: true,
      writers: [writer],
      peers: body.peer ? [body.peer] : [],
      since: time,
      addedBy: author
    } satisfies MemberRecord)
    await batch.put(`writers/${writer}`, author)
    await batch.put(`authors/${author}`, { seq: event.header.seq, id, time })
    return
  }
  if (!meta) throw new Rejected('no sphere.created yet')

  const bound = await getValue<string>(batch, `writers/${writer}`)
  if (bound === null) throw new Rejected('the device is not a member device')
  if (bound !== author) throw new Rejected('the envelope author is not the member this device belongs to')
  const me = await getValue<MemberRecord>(batch, `members/${author}`)
  if (!me) throw new Rejected('the author is not a member')
  const last = await getValue<{ seq: number; id: string; time: number }>(batch, `authors/${author}`)
  if (last && event.header.seq <= last.seq) throw new Rejected(`seq ${event.header.seq} is not after ${last.seq}`)
  if ((await getValue(batch, `items/${id}`)) !== null) throw new Rejected('a replayed envelope')

  switch (event.header.type) {
    case 'sphere.member.added': {
      const body = event.body as EventBody<'sphere.member.added'>
      if (body.admin && !me.admin) throw new Rejected('only an admin admits another admin')
      const writerKey = b4a.from(body.writer, 'hex') as Uint8Array
      if (
        !verify(
          b4a.from(body.proof, 'hex') as Uint8Array,
          writerBindingMessage(host.discoveryKey, writerKey),
          b4a.from(body.member, 'hex') as Uint8Array
        )
      ) {
        throw new Rejected('the new member did not sign this device binding')
      }
      if ((await getValue(batch, `writers/${body.writer}`)) !== null) throw new Rejected('the device is already bound')
      const existing = await getValue<MemberRecord>(batch, `members/${body.member}`)
      const peers = body.peer ? [body.peer] : []
      const record: MemberRecord = existing
        ? {
            ...existing,
            writers: [...existing.writers, body.writer],
            peers: [...new Set([...(existing.peers ?? []), ...peers])],
            admin: existing.admin || !!body.admin
          }
        : {
            member: body.member,
            name: body.name,
            admin: !!body.admin,
            writers: [body.writer],
            peers,
            since: time,
            addedBy: author
          }
      await host.addWriter(writerKey, { indexer: true })
      await batch.put(`members/${body.member}`, record)
      await batch.put(`writers/${body.writer}`, body.member)
      await batch.del(`left/${body.member}`)
      if (!existing) meta.members += 1
      break
    }
    case 'sphere.member.removed':
    case 'sphere.member.left': {
      const removed = event.header.type === 'sphere.member.removed'
      const target = removed ? (event.body as EventBody<'sphere.member.removed'>).member : author
      if (removed && !me.admin) throw new Rejected('only an admin removes a member')
      if (removed && target === author) throw new Rejected('use sphere.member.left to leave')
      const record = await getValue<MemberRecord>(batch, `members/${target}`)
      if (!record) throw new Rejected('not a member')
      for (const w of record.writers) {
        if (!host.removeable(b4a.from(w, 'hex') as Uint8Array)) throw new Rejected('the last device of a sphere stays')
      }
      for (const w of record.writers) {
        await host.removeWriter(b4a.from(w, 'hex') as Uint8Array)
        await batch.del(`writers/${w}`)
      }
      await batch.del(`members/${target}`)
      for (const node of await facetsOf(batch, target)) {
        await batch.del(node.key)
        await batch.del(`items/${(node.value as FacetItem).id}`)
      }
      await batch.put(`left/${target}`, { at: time, removed, by: author })
      meta.members -= 1
      break
    }
    case 'sphere.entry.shared':
    case 'sphere.summary.shared':
    case 'sphere.post': {
      const key = `feed/${pad(time, 16)}/${id}`
      const item: FeedItem = {
        id,
        author,
        authorName: me.name,
        seq: event.header.seq,
        time,
        type: event.header.type,
        body: event.body as FeedItem['body']
      }
      await batch.put(key, item)
      await batch.put(`items/${id}`, { key, author })
      meta.items += 1
      break
    }
    case 'sphere.facet.shared': {
      const body = event.body as EventBody<'sphere.facet.shared'>
      const key = `facets/${author}/${body.dimension}/${body.facet}/${encodeURIComponent(body.key.toLowerCase())}`
      const previous = await getValue<FacetItem>(batch, key)
      if (previous) await batch.del(`items/${previous.id}`)
      else meta.items += 1
      const item: FacetItem = { id, member: author, time, ...body }
      await batch.put(key, item)
      await batch.put(`items/${id}`, { key, author })
      break
    }
    case 'sphere.share.retracted': {
      const { ref } = event.body as EventBody<'sphere.share.retracted'>
      const target = await getValue<{ key: string; author: string }>(batch, `items/${ref}`)
      if (!target) throw new Rejected('nothing shared under that id')
      if (target.author !== author) throw new Rejected('only the author withdraws a share')
      await batch.del(target.key)
      await batch.del(`items/${ref}`)
      await batch.put(`retracted/${ref}`, { by: author, at: time })
      meta.items -= 1
      break
    }
    default:
      throw new Rejected(`${event.header.type} is not allowed here`)
  }
  await batch.put('meta', meta)
  await batch.put(`authors/${author}`, { seq: event.header.seq, id, time })
}

async function facetsOf(batch: ViewBatch, member: string): Promise<Hyperbee.Entry<string, unknown>[]> {
  const entries: Hyperbee.Entry<string, unknown>[] = []
  for await (const node of batch.createReadStream({ gt: `facets/${member}/`, lt: `facets/${member}/\uffff` })) {
    entries.push(node)
  }
  return entries
}
