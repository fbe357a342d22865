import Autobase from 'autobase'
import b4a from 'b4a'
import type Corestore from 'corestore'
import Hyperbee from 'hyperbee'
import { discoveryKey } from 'hypercore-crypto'
import sodium from 'sodium-universal'
import { CosmicError } from '../errors.js'
import type { EventBody } from '../events/catalog.js'
import { randomBytes, type SigningKeyPair, sign, toHex, verify } from '../events/crypto.js'
import { decodeBlock, encodeBlock, type SignedEvent, sealEvent, verifyEvent } from '../events/envelope.js'
import { isSphereEventType, type SphereEventType } from '../events/sphere.js'
import { EPOCH_KEYS_BOX_BYTES } from './epoch-keys.js'

/**
 * One epoch of a sphere: an Autobase whose writers are its members' devices, encrypted
 * end to end with the epoch's key, and whose view (a Hyperbee) is built by a
 * deterministic `apply` that verifies every envelope's signature and its author's
 * membership. A sphere starts as epoch 0 (`sphere.created`); each key rotation
 * (`sphere.key.rotated`, by an admin) starts a new Autobase with new keys, sealed to the
 * members who stay, whose first envelope is `sphere.epoch.started` (docs/spheres.md).
 * The old epoch stays readable history: nobody is admitted or removed there any more.
 * src/swarm/sphere-chain.ts reads a sphere across its epochs.
 *
 * Every node of a writer is one signed envelope block (src/events/envelope.ts) of a
 * `sphere.*` type, with the sphere's own seq per author: never a copy of a journal
 * event. Anything that does not verify, comes from a device that is not bound to the
 * envelope's author, or breaks a rule (only an admin removes or rotates, nobody removes
 * the last device) is skipped and recorded under `rejected/`, so every peer sees the
 * same view and can say why something is missing.
 *
 * View layout (keys are utf-8, values JSON):
 *   meta                         { name, creator, created, members, items, rejected, epoch?, sphere?, previous? }
 *   members/<member>             { name, admin, writers[], since, addedBy }
 *   writers/<writer>             <member>
 *   authors/<member>             { seq, id, time }       last accepted envelope per author
 *   feed/<time:16>/<id>          FeedItem                shared entries, summaries, posts
 *   facets/<member>/<dim>/<facet>/<key>   FacetItem      shared profile facets (matching reads these)
 *   items/<id>                   the feed or facets key of a shared item (for retraction)
 *   retracted/<id>               { by, at }
 *   withdrawn/<id>/<member>      { at }                  a member withdrew an item of an earlier epoch
 *   left/<member>                { at, removed, by }
 *   epoch/next                   Rotation                the key rotation that retired this epoch
 *   epoch/started                EpochStart              how this epoch began (epochs after 0)
 *   follows/<id>                 Follow                  a member's sealed request to follow into the next epoch
 *   rejected/<n:10>              { writer, author?, type?, seq?, reason }
 */

/** Signed by a joining member: binds their identity to one device (writer) of one sphere. */
const WRITER_BINDING_DOMAIN = new TextEncoder().encode('cosmicsynccore/sphere-writer/v1\n')

/**
 * The sphere is named by its discovery key (its epoch 0's, in every epoch), which a
 * joining member knows from the invite before anyone tells them the sphere's key.
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
  /** This Autobase's epoch (absent: 0). */
  epoch?: number
  /** The sphere's key (its epoch 0's Autobase key), in epochs after 0. */
  sphere?: string
  /** The Autobase key of the epoch before this one, in epochs after 0. */
  previous?: string
}

/** The key rotation that retired an epoch, as its view keeps it (more keys may be added for members it missed). */
export interface Rotation {
  epoch: number
  id: string
  by: string
  at: number
  cause: 'removal' | 'departure' | 'manual'
  keys: { member: string; box: string }[]
}

/** How an epoch after 0 began. */
export interface EpochStart {
  epoch: number
  sphere: string
  previous: string
  by: string
  at: number
  /** The earlier epochs' keys, sealed with this epoch's (epoch-keys.ts). */
  history: string
}

/** A member's sealed request (epoch-keys.ts, sealFollow) to have their new device admitted into the next epoch. */
export interface Follow {
  id: string
  member: string
  epoch: number
  sealed: string
  at: number
}

export interface Departure {
  member: string
  at: number
  removed: boolean
  by: string
}

/** A withdrawal, in a later epoch, of an item shared in an earlier one (it counts when `by` shared it). */
export interface Withdrawal {
  ref: string
  by: string
  at: number
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

  /** Where a shared item lives in the view, and who shared it. */
  item(id: string): Promise<{ key: string; author: string } | null> {
    return this.get<{ key: string; author: string }>(`items/${id}`)
  }

  /** This Autobase's epoch, as its view says (0 before anything replicated). */
  async epoch(): Promise<number> {
    return (await this.meta())?.epoch ?? 0
  }

  /** The rotation that retired this epoch, or null while it is the newest. */
  rotation(): Promise<Rotation | null> {
    return this.get<Rotation>('epoch/next')
  }

  started(): Promise<EpochStart | null> {
    return this.get<EpochStart>('epoch/started')
  }

  follows(): Promise<Follow[]> {
    return this.list<Follow>('follows/')
  }

  /** Who left or was removed in this epoch (and has not been admitted again). */
  async departures(): Promise<Departure[]> {
    const out: Departure[] = []
    for await (const node of this.base.view.createReadStream({ gt: 'left/', lt: 'left/\uffff' })) {
      out.push({ member: node.key.slice('left/'.length), ...(node.value as Omit<Departure, 'member'>) })
    }
    return out
  }

  async withdrawals(): Promise<Withdrawal[]> {
    const out: Withdrawal[] = []
    for await (const node of this.base.view.createReadStream({ gt: 'withdrawn/', lt: 'withdrawn/\uffff' })) {
      const [ref = '', by = ''] = node.key.slice('withdrawn/'.length).split('/')
      out.push({ ref, by, at: (node.value as { at: number }).at })
    }
    return out
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

const short = (key: string) => key.slice(0, 12)

/** The discovery key that device bindings name: the sphere's (its epoch 0's), in every epoch. */
function sphereDiscoveryKey(meta: SphereMeta, host: Autobase.Host): Uint8Array {
  return meta.sphere ? discoveryKey(b4a.from(meta.sphere, 'hex') as Uint8Array) : host.discoveryKey
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
  if (event.header.type === 'sphere.epoch.started') {
    await startEpoch(batch, host, writer, event, meta)
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
  // Once an epoch is retired, membership changes only in the new one: this one is history.
  const moved = await getValue<Rotation>(batch, 'epoch/next')

  switch (event.header.type) {
    case 'sphere.member.added': {
      const body = event.body as EventBody<'sphere.member.added'>
      const existing = await getValue<MemberRecord>(batch, `members/${body.member}`)
      // A retired epoch admits nobody new; a member's device may still join it (it follows
      // from the epoch before, on its way to the newest one).
      if (moved && !existing) throw new Rejected(`the sphere moved to epoch ${moved.epoch}: people are admitted there`)
      if (moved && body.admin) throw new Rejected(`the sphere moved to epoch ${moved.epoch}: admins are made there`)
      if (body.admin && !me.admin) throw new Rejected('only an admin admits another admin')
      const writerKey = b4a.from(body.writer, 'hex') as Uint8Array
      if (
        !verify(
          b4a.from(body.proof, 'hex') as Uint8Array,
          writerBindingMessage(sphereDiscoveryKey(meta, host), writerKey),
          b4a.from(body.member, 'hex') as Uint8Array
        )
      ) {
        throw new Rejected('the new member did not sign this device binding')
      }
      if ((await getValue(batch, `writers/${body.writer}`)) !== null) throw new Rejected('the device is already bound')
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
      if (removed && moved) throw new Rejected(`the sphere moved to epoch ${moved.epoch}: members are removed there`)
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
        meta.items -= 1
      }
      await batch.put(`left/${target}`, { at: time, removed, by: author })
      meta.members -= 1
      // A sphere always has an admin (someone must be able to rotate its key): when the
      // last one leaves, the longest-standing member takes over.
      if (record.admin) await keepAnAdmin(batch)
      break
    }
    case 'sphere.key.rotated':
      await rotate(batch, meta, me, author, id, time, event.body as EventBody<'sphere.key.rotated'>, moved)
      break
    case 'sphere.epoch.followed': {
      const body = event.body as EventBody<'sphere.epoch.followed'>
      if (!moved) throw new Rejected('there is no new epoch to follow')
      if (body.epoch !== moved.epoch) throw new Rejected(`the sphere moved to epoch ${moved.epoch}, not ${body.epoch}`)
      if (!moved.keys.some((k) => k.member === author)) {
        throw new Rejected(`the key of epoch ${moved.epoch} was not sealed to this member`)
      }
      await batch.put(`follows/${id}`, { id, member: author, epoch: body.epoch, sealed: body.sealed, at: time })
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
      if (!target) {
        // An item of an earlier epoch: this view cannot see it, so it records who
        // withdrew it; readers hide the item only when its author did (sphere-chain.ts).
        if ((meta.epoch ?? 0) === 0) throw new Rejected('nothing shared under that id')
        if ((await getValue(batch, `withdrawn/${ref}/${author}`)) !== null) throw new Rejected('already withdrawn')
        await batch.put(`withdrawn/${ref}/${author}`, { at: time })
        break
      }
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

/** The first envelope of an epoch after 0: its founder (an admin of the epoch before) and the members it starts with. */
async function startEpoch(
  batch: ViewBatch,
  host: Autobase.Host,
  writer: string,
  event: SignedEvent,
  meta: SphereMeta | null
) {
  const author = toHex(event.header.author)
  const time = event.header.time
  if (meta) throw new Rejected('the sphere already exists')
  if (writer !== toHex(host.key)) throw new Rejected('only the bootstrap device starts an epoch')
  const body = event.body as EventBody<'sphere.epoch.started'>
  if (body.epoch < 1) throw new Rejected('epoch 0 is started by sphere.created')
  const roster = new Map(body.members.map((m) => [m.member, m]))
  if (roster.size !== body.members.length) throw new Rejected('a member is named twice')
  if (!roster.get(author)?.admin) throw new Rejected('the founder of an epoch is one of its admins')
  const carried = (await getValue<number>(batch, 'rejected-before-creation')) ?? 0
  await batch.put('meta', {
    name: body.name,
    creator: author,
    created: time,
    members: roster.size,
    items: 0,
    rejected: carried,
    epoch: body.epoch,
    sphere: body.sphere,
    previous: body.previous
  } satisfies SphereMeta)
  for (const m of body.members) {
    await batch.put(`members/${m.member}`, {
      member: m.member,
      name: m.name,
      admin: m.admin,
      // The others' devices are admitted as they follow (sphere.epoch.followed, then sphere.member.added).
      writers: m.member === author ? [writer] : [],
      peers: [...m.peers],
      since: m.since,
      addedBy: m.addedBy
    } satisfies MemberRecord)
  }
  await batch.put(`writers/${writer}`, author)
  await batch.put(`authors/${author}`, { seq: event.header.seq, id: toHex(event.id), time })
  await batch.put('epoch/started', {
    epoch: body.epoch,
    sphere: body.sphere,
    previous: body.previous,
    by: author,
    at: time,
    history: body.history
  } satisfies EpochStart)
}

/**
 * A key rotation: the first one of an epoch retires it and names the next epoch, whose
 * keys it seals to current members (the admin who rotates among them); a later one for
 * the same epoch hands its keys to current members it missed (admitted concurrently).
 * Nobody else may be named: a removed member never gets the new keys.
 */
async function rotate(
  batch: ViewBatch,
  meta: SphereMeta,
  me: MemberRecord,
  author: string,
  id: string,
  time: number,
  body: EventBody<'sphere.key.rotated'>,
  moved: Rotation | null
) {
  if (!me.admin) throw new Rejected("only an admin rotates the sphere's key")
  const named = new Set<string>()
  for (const k of body.keys) {
    if (named.has(k.member)) throw new Rejected(`${short(k.member)} is named twice`)
    named.add(k.member)
    if ((await getValue(batch, `members/${k.member}`)) === null) {
      throw new Rejected(`${short(k.member)} is not a member: the new key goes to members only`)
    }
    if (k.box.length !== 2 * EPOCH_KEYS_BOX_BYTES) throw new Rejected('a sealed key is not the size of one')
  }
  if (moved) {
    if (body.epoch !== moved.epoch) throw new Rejected(`the sphere already moved to epoch ${moved.epoch}`)
    for (const k of body.keys) {
      if (moved.keys.some((held) => held.member === k.member)) {
        throw new Rejected(`${short(k.member)} already holds the key of epoch ${moved.epoch}`)
      }
    }
    await batch.put('epoch/next', { ...moved, keys: [...moved.keys, ...body.keys] } satisfies Rotation)
    return
  }
  const current = meta.epoch ?? 0
  if (body.epoch !== current + 1) throw new Rejected(`this is epoch ${current}: the next one is ${current + 1}`)
  if (!named.has(author)) throw new Rejected('the admin who rotates the key keeps it too')
  await batch.put('epoch/next', {
    epoch: body.epoch,
    id,
    by: author,
    at: time,
    cause: body.cause,
    keys: [...body.keys]
  } satisfies Rotation)
}

/** When no admin is left, the member who has been in the sphere longest (then the lowest key) becomes one. */
async function keepAnAdmin(batch: ViewBatch) {
  const rest: MemberRecord[] = []
  for await (const node of batch.createReadStream({ gt: 'members/', lt: 'members/\uffff' })) {
    rest.push(node.value as MemberRecord)
  }
  if (rest.length === 0 || rest.some((m) => m.admin)) return
  const [heir] = rest.sort((a, b) => a.since - b.since || (a.member < b.member ? -1 : 1))
  if (heir) await batch.put(`members/${heir.member}`, { ...heir, admin: true })
}

async function facetsOf(batch: ViewBatch, member: string): Promise<Hyperbee.Entry<string, unknown>[]> {
  const entries: Hyperbee.Entry<string, unknown>[] = []
  for await (const node of batch.createReadStream({ gt: `facets/${member}/`, lt: `facets/${member}/\uffff` })) {
    entries.push(node)
  }
  return entries
}
