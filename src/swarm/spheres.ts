import { join } from 'node:path'
import Autobase from 'autobase'
import b4a from 'b4a'
import BlindPairing from 'blind-pairing'
import c from 'compact-encoding'
import Corestore from 'corestore'
import { discoveryKey } from 'hypercore-crypto'
import HyperDHT from 'hyperdht'
import z32 from 'z32'
import { formatTime } from '../commands/format.js'
import { readSettings } from '../engine/settings.js'
import { CosmicError } from '../errors.js'
import { validateBody } from '../events/catalog.js'
import { deriveKey, fromHex, keyPairFromSeed, randomBytes, sign, toHex, verify } from '../events/crypto.js'
import type { SignedEvent } from '../events/envelope.js'
import { findEntry, getSetting, listProfile } from '../projections/queries.js'
import { type ShareRow, sharesFor } from '../projections/shares.js'
import type { Home } from '../store/home.js'
import { deviceKey } from '../store/vault.js'
import {
  decodeJoinAnswer,
  encodeJoinAnswer,
  openEpochKeys,
  openFollow,
  openHistory,
  sealFollow,
  sealHistory
} from './epoch-keys.js'
import {
  DENY,
  decideJoin,
  inviteExpired,
  type JoinRequestRecord,
  type JoinRequestStatus,
  joinRequestId,
  MAX_PENDING_PER_INVITE,
  withRequest
} from './join-requests.js'
import { type NetworkOptions, type PeerStatus, SwarmNode } from './network.js'
import { type EpochRecord, type InviteRecord, type SphereRecord, SphereRegistry } from './registry.js'
import { formatSeederKey, parseSeederKey, Seeding, seedAutobase } from './seeding.js'
import { type Rotation, Sphere, signWriterBinding, writerBindingMessage } from './sphere.js'
import { type EpochHandle, epochRoster, SphereChain, sealKeysFor } from './sphere-chain.js'

export const SPHERES_DIR = 'spheres'
/** A one-time invite lasts this long unless `--expires` says otherwise. */
export const DEFAULT_INVITE_TTL_MS = 24 * 60 * 60 * 1000
export const DEFAULT_JOIN_TIMEOUT_MS = 60_000
/** How long a candidate waits with an invite that a person approves, unless told otherwise. */
export const DEFAULT_APPROVAL_TIMEOUT_MS = 10 * 60_000
/** The longest a timer can wait in Node (about 24.8 days); a later expiry is checked when it matters. */
const MAX_TIMER_MS = 2 ** 31 - 1

export interface SpheresOptions extends NetworkOptions {
  /** A long-running holder (`serve`): go online by itself once the home is in a sphere and the person allows it. */
  readonly stayOnline?: boolean
  /** Tests: no acks, no fast-forward (shared/ENVIRONMENT.md). */
  readonly testing?: boolean
  readonly clock?: () => number
}

/** What a joining device sends (inside blind-pairing's encrypted request): who, which device, and the signed binding. */
const joinRequest = {
  preencode(state: c.State, m: JoinRequest) {
    c.fixed32.preencode(state, m.identity)
    c.fixed32.preencode(state, m.writer)
    c.string.preencode(state, m.name)
    c.fixed64.preencode(state, m.proof)
    c.fixed32.preencode(state, m.peer)
  },
  encode(state: c.State, m: JoinRequest) {
    c.fixed32.encode(state, m.identity)
    c.fixed32.encode(state, m.writer)
    c.string.encode(state, m.name)
    c.fixed64.encode(state, m.proof)
    c.fixed32.encode(state, m.peer)
  },
  decode(state: c.State): JoinRequest {
    return {
      identity: c.fixed32.decode(state),
      writer: c.fixed32.decode(state),
      name: c.string.decode(state),
      proof: c.fixed64.decode(state),
      peer: c.fixed32.decode(state)
    }
  }
}

interface JoinRequest {
  identity: Uint8Array
  writer: Uint8Array
  name: string
  proof: Uint8Array
  /** The device's swarm key: members replicate the sphere with it. */
  peer: Uint8Array
}

export interface SphereSummary {
  key: string
  name: string
  role: 'creator' | 'member'
  joined: number
  members: number
  items: number
  writable: boolean
  openInvites: number
  /** Requests to join with this home's invites that wait for a person here (`cosmic sphere requests`). */
  pendingRequests: number
  /** The newest epoch (key) this home holds: 0 until the sphere's key is first rotated. */
  epoch: number
  /** When that epoch began (the last key rotation this home followed), null for epoch 0. */
  rotated: number | null
  /** This device holds the newest key, and waits for a member to admit it into that epoch. */
  pending: boolean
  /** The sphere moved to a new key without this home (it was removed). */
  leftBehind: boolean
  /** Why this device could not follow the sphere's newest key, or act on it, if it could not (`CODE: detail`). */
  keyProblem: string | null
}

export interface InviteResult {
  sphere: string
  code: string
  id: string
  expires: number
  /** A person on this home approves each request to join with it (else its holder is admitted). */
  approve: boolean
}

/** A request to join, as `cosmic sphere requests` and the API show it: the record, and where it stands. */
export interface JoinRequestView extends JoinRequestRecord {
  sphere: string
  sphereName: string
  /** When its invite expires (ms; 0 never): a request still pending then is refused. */
  expires: number
  /** `pending` is read as `expired` once the invite expired. */
  status: JoinRequestStatus
  /** Their device is connected and waiting for the answer now (after approve or deny: it was, and got the answer at once). */
  waiting: boolean
}

/** What changed about a request, for whoever shows them (the waiting `cosmic sphere invite`). */
export interface JoinRequestChange {
  sphere: string
  request: string
  status: JoinRequestStatus
}

/** A held request's end, wrapped so that returning it from an async function does not wait for it. */
interface Held {
  readonly released: Promise<void>
}

/** A request held open while a person decides: blind-pairing waits for `onadd`, so the answer can come later. */
interface HeldRequest {
  readonly request: BlindPairing.MemberRequest
  readonly ask: JoinRequest
  release(): void
}

export interface RotationResult {
  sphere: string
  /** The new epoch. */
  epoch: number
  /** Members the new key was sealed to (the admin included). */
  members: number
}

/** Why a rotation happened, as `sphere.key.rotated` says. */
type RotationCause = Rotation['cause']

/**
 * The spheres of one open home: their own Corestore (HOME/spheres, never the
 * journal's), the sealed registry of their keys, and, when the person allows the
 * network, one Hyperswarm that replicates them and answers invites.
 *
 * A sphere is read across its epochs (SphereChain). This class moves it from one epoch
 * to the next (docs/spheres.md, "Removal and leaving"): an admin's device rotates the
 * key when a member is removed or leaves (or on `cosmic sphere rotate`); every device
 * that was given the new key follows (it opens the new epoch, and asks, sealed, in the
 * old one to have its device admitted); every device already writing in the new epoch
 * admits the devices that ask. All of it runs in `reconcile`, on every change of a
 * sphere's views and whenever a command opens the sphere, one pass at a time per sphere.
 */
export class Spheres {
  readonly store: Corestore
  private readonly chains = new Map<string, Promise<SphereChain>>()
  /** Every epoch's Sphere this home opened, by its Autobase key (hex). */
  private readonly bases = new Map<string, Sphere>()
  private network: SwarmNode | null = null
  private readonly members = new Map<string, BlindPairing.Member>()
  private readonly seedings = new Map<string, Seeding>()
  /** One membership or key operation at a time per sphere (reconcile, remove, rotate, leave). */
  private readonly locks = new Map<string, Promise<unknown>>()
  /** A reconcile asked for while one runs: run once more after it. */
  private readonly again = new Set<string>()
  /** Why a sphere could not follow its newest key, if it could not (a box that does not open, a successor that does not match). */
  private readonly problems = new Map<string, string>()
  private closing = false
  /** Joins in progress: until the sphere arrives, this device cannot know its members. */
  private joining = 0
  /** The spheres (discovery keys, hex) this home is asking to join: one ask per sphere at a time. */
  private readonly joiningSpheres = new Set<string>()
  /** Invites being answered right now: one request per invite wins. */
  private readonly admitting = new Set<string>()
  /** Requests waiting for a person, by `${sphere}:${request}`, while their device waits for the answer. */
  private readonly held = new Map<string, HeldRequest>()
  private readonly requestListeners = new Set<(change: JoinRequestChange) => void>()
  private readonly clock: () => number

  private constructor(
    readonly home: Home,
    readonly registry: SphereRegistry,
    store: Corestore,
    private readonly options: SpheresOptions
  ) {
    this.store = store
    this.clock = options.clock ?? Date.now
  }

  static async open(home: Home, options: SpheresOptions = {}): Promise<Spheres> {
    const registry = await SphereRegistry.open(home.path, home.keys.seed)
    const store = new Corestore(join(home.path, SPHERES_DIR))
    await store.ready()
    return new Spheres(home, registry, store, options)
  }

  private get atRestKey(): Uint8Array {
    return deriveKey(this.home.keys.seed, 'sphere-at-rest')
  }

  /** This device's swarm key pair, stable per home (docs/spheres.md: linkability). */
  get swarmKeyPair(): HyperDHT.KeyPair {
    return HyperDHT.keyPair(deviceKey(this.home.keys.seed, 'swarm-keypair', this.home.device))
  }

  private get displayName(): string {
    return getSetting(this.home.readModel.db, 'name') ?? 'me'
  }

  /** Opens (once) one epoch's Autobase. */
  private async openEpoch(where: {
    key: string | null
    encryptionKey: Uint8Array
    namespace: string
  }): Promise<Sphere> {
    const cached = where.key ? this.bases.get(where.key) : undefined
    if (cached) return cached
    const sphere = new Sphere(this.store.namespace(where.namespace), {
      key: where.key ? fromHex(where.key) : null,
      encryptionKey: where.encryptionKey,
      identity: this.home.keys.identity,
      atRestKey: this.atRestKey,
      testing: this.options.testing ?? false,
      clock: this.clock
    })
    await sphere.ready()
    this.bases.set(sphere.keyHex, sphere)
    sphere.base.on('update', () => this.changed(sphere))
    return sphere
  }

  /** Opens (once) a sphere with every epoch its registry record holds. */
  sphere(record: SphereRecord): Promise<SphereChain> {
    let chain = this.chains.get(record.key)
    if (!chain) {
      chain = this.openChain(record)
      this.chains.set(record.key, chain)
      chain.catch(() => this.chains.delete(record.key))
    }
    return chain
  }

  private async openChain(record: SphereRecord): Promise<SphereChain> {
    const handles: EpochHandle[] = []
    const first = { epoch: 0, key: record.key, encryptionKey: record.encryptionKey, namespace: record.namespace }
    for (const e of [first, ...(record.epochs ?? [])]) {
      if (e.epoch !== handles.length) break // a gap: reconcile follows from the last one held
      const encryptionKey = fromHex(e.encryptionKey)
      handles.push({ epoch: e.epoch, sphere: await this.openEpoch({ ...e, encryptionKey }), encryptionKey })
    }
    return new SphereChain(record.key, handles)
  }

  /**
   * A sphere by its key, prefix or name, brought up to date with its key: this device
   * follows a rotation it was given, asks to be admitted, admits others, or rotates when
   * someone left (see `reconcile`).
   */
  async get(ref: string): Promise<{ record: SphereRecord; sphere: SphereChain }> {
    const record = this.registry.resolve(ref)
    const sphere = await this.sphere(record)
    await this.reconcile(record.key)
    return { record: this.registry.get(record.key) ?? record, sphere }
  }

  async list(): Promise<SphereSummary[]> {
    const out: SphereSummary[] = []
    for (const record of this.registry.list()) out.push(await this.summary(record.key))
    return out
  }

  private async summary(key: string): Promise<SphereSummary> {
    const { record, sphere } = await this.get(key)
    const now = this.clock()
    const meta = await sphere.meta()
    const state = await sphere.keyState()
    return {
      key: record.key,
      name: meta?.name ?? record.name,
      role: record.role,
      joined: record.joined,
      members: meta?.members ?? 0,
      items: meta?.items ?? 0,
      writable: sphere.writable,
      openInvites: record.invites.filter((i) => i.used === null && (i.expires === 0 || i.expires > now)).length,
      pendingRequests: this.requestViews(record).filter((r) => r.status === 'pending').length,
      epoch: state.epoch,
      rotated: state.rotated,
      pending: state.pending,
      leftBehind: state.leftBehind,
      keyProblem: this.problems.get(record.key) ?? null
    }
  }

  async create(name: string): Promise<SphereSummary> {
    const trimmed = name.trim()
    if (!trimmed || trimmed.length > 200) throw CosmicError.INVALID_INPUT('a sphere name is 1 to 200 characters')
    const namespace = toHex(randomBytes(16))
    const encryptionKey = randomBytes(32)
    const sphere = await this.openEpoch({ key: null, encryptionKey, namespace })
    await sphere.publish('sphere.created', {
      name: trimmed,
      by: this.displayName,
      peer: toHex(this.swarmKeyPair.publicKey)
    })
    const record: SphereRecord = {
      key: sphere.keyHex,
      encryptionKey: toHex(encryptionKey),
      namespace,
      name: trimmed,
      role: 'creator',
      joined: this.clock(),
      invites: []
    }
    await this.registry.put(record)
    await this.home.append([{ type: 'sphere.joined', body: { sphere: record.key, name: trimmed, role: 'creator' } }])
    if (this.network) await this.announce(record, await this.sphere(record))
    else await this.goOnlineIfAllowed()
    return this.summary(record.key)
  }

  // -------------------------------------------------------------------------
  // Epochs: following a key rotation, admitting devices that follow, rotating

  /** One operation at a time per sphere. */
  private locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve()
    const run = previous.then(fn, fn)
    const settled = run.catch(() => {})
    this.locks.set(key, settled)
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key)
    })
    return run
  }

  /** A view changed: bring its sphere up to date (in the background), and let the replication gate look again. */
  private changed(sphere: Sphere): void {
    if (this.closing) return
    void this.network?.recheck().catch(() => {})
    for (const record of this.registry.list()) {
      const chain = this.chains.get(record.key)
      if (!chain) continue
      void chain.then((c) => {
        if (c.epochs.some((e) => e.sphere === sphere)) void this.reconcile(record.key).catch(() => {})
      })
    }
  }

  /** Runs `reconcileNow` for a sphere, coalescing the calls that arrive while one runs. */
  private async reconcile(key: string): Promise<void> {
    if (this.closing) return
    if (this.locks.has(key)) {
      // Something runs for this sphere: make sure one more pass follows it.
      if (this.again.has(key)) return this.locks.get(key) as Promise<void>
      this.again.add(key)
    }
    await this.locked(key, async () => {
      this.again.delete(key)
      const record = this.registry.get(key)
      if (!record || this.closing) return
      try {
        await this.reconcileNow(record, await this.sphere(record))
        this.problems.delete(key)
      } catch (err) {
        if (!CosmicError.is(err)) throw err
        this.problems.set(key, err.message)
      }
    })
  }

  private sphereDiscoveryKey(record: SphereRecord): Uint8Array {
    return discoveryKey(fromHex(record.key))
  }

  private async reconcileNow(record: SphereRecord, chain: SphereChain): Promise<void> {
    const me = chain.me
    const sphereKey = fromHex(record.key)
    const identity = this.home.keys.identity
    await chain.update()

    // 1. Keep only the epochs that continue the sphere: drop one whose rotation never
    //    went out (this home started it, then stopped before announcing it) and one that
    //    lost to another admin's rotation (the key sealed to this member is another).
    //    An epoch this home joined straight into has no box for it in the epoch before.
    for (const handle of chain.epochs.slice(1)) {
      const previous = chain.epochs[handle.epoch - 1] as EpochHandle
      const rotation = await previous.sphere.rotation()
      const entry = (this.registry.get(record.key) ?? record).epochs?.find((e) => e.epoch === handle.epoch)
      let keep: boolean
      if (!rotation) keep = !entry?.pending
      else {
        const box = rotation.keys.find((k) => k.member === me)
        const keys = box
          ? openEpochKeys(identity, fromHex(box.box), {
              sphere: sphereKey,
              epoch: handle.epoch,
              previous: previous.sphere.key
            })
          : null
        keep = rotation.epoch === handle.epoch && (!box || (keys !== null && b4a.equals(keys.key, handle.sphere.key)))
        if (keep && entry?.pending) await this.putEpoch(record.key, { ...entry, pending: false })
      }
      if (!keep) {
        chain.truncate(previous.epoch)
        break
      }
    }

    // 2. Follow every rotation this device was given a key by.
    for (;;) {
      const newest = chain.newest
      const rotation = await newest.sphere.rotation()
      if (!rotation) break
      const box = rotation.keys.find((k) => k.member === me)
      if (!box) break // the sphere moved on without this home: it was removed, or left
      const keys = openEpochKeys(identity, fromHex(box.box), {
        sphere: sphereKey,
        epoch: rotation.epoch,
        previous: newest.sphere.key
      })
      if (!keys) {
        throw CosmicError.DECODE_FAILED(
          `the key of epoch ${rotation.epoch} that ${rotation.by.slice(0, 12)} sealed to you does not open: this device stays in epoch ${newest.epoch}`
        )
      }
      const fresh = this.registry.get(record.key) ?? record
      let entry = fresh.epochs?.find((e) => e.epoch === rotation.epoch)
      if (entry && entry.key !== toHex(keys.key)) {
        await this.dropEpochs(fresh, rotation.epoch)
        entry = undefined
      }
      if (!entry) {
        entry = {
          epoch: rotation.epoch,
          key: toHex(keys.key),
          encryptionKey: toHex(keys.encryptionKey),
          namespace: toHex(randomBytes(16))
        }
        await this.putEpoch(record.key, entry)
      } else if (entry.pending) {
        await this.putEpoch(record.key, { ...entry, pending: false })
      }
      const sphere = await this.openEpoch({ ...entry, encryptionKey: keys.encryptionKey })
      chain.push({ epoch: rotation.epoch, sphere, encryptionKey: keys.encryptionKey })
      await this.announceEpoch(sphere)
      await this.seedMaybe(this.registry.get(record.key) ?? record)
    }

    // 3. Where this device holds a newer key but is not a writer there yet, ask (in the
    //    epoch before, sealed with the new key) to be admitted.
    for (const handle of chain.epochs.slice(1)) {
      const previous = chain.epochs[handle.epoch - 1] as EpochHandle
      if (handle.sphere.writable || !previous.sphere.writable) continue
      const started = await handle.sphere.started()
      const rotation = await previous.sphere.rotation()
      if (
        started &&
        rotation &&
        (started.by !== rotation.by || started.previous !== previous.sphere.keyHex || started.sphere !== record.key)
      ) {
        throw CosmicError.CONFLICT(
          `epoch ${handle.epoch} does not continue this sphere as its rotation says: this device does not follow it`
        )
      }
      const writer = handle.sphere.writerKey
      const asked = (await previous.sphere.follows()).some((f) => {
        if (f.member !== me || f.epoch !== handle.epoch) return false
        const request = openFollow(handle.encryptionKey, fromHex(f.sealed))
        return request !== null && b4a.equals(request.writer, writer)
      })
      if (asked) continue
      const proof = signWriterBinding(identity, this.sphereDiscoveryKey(record), writer)
      const sealed = sealFollow(handle.encryptionKey, { writer, proof })
      await previous.sphere.publish('sphere.epoch.followed', { epoch: handle.epoch, sealed: toHex(sealed) })
    }

    // 4. Where this device writes, admit the devices of members who follow into it.
    for (const handle of chain.epochs.slice(1)) {
      if (!handle.sphere.writable) continue
      const previous = chain.epochs[handle.epoch - 1] as EpochHandle
      const departed = new Set((await handle.sphere.departures()).map((d) => d.member))
      for (const follow of await previous.sphere.follows()) {
        if (follow.epoch !== handle.epoch || departed.has(follow.member)) continue
        const request = openFollow(handle.encryptionKey, fromHex(follow.sealed))
        if (!request) continue
        if ((await handle.sphere.get(`writers/${toHex(request.writer)}`)) !== null) continue
        const bindsThem = verify(
          request.proof,
          writerBindingMessage(this.sphereDiscoveryKey(record), request.writer),
          fromHex(follow.member)
        )
        if (!bindsThem) continue
        const known = (await handle.sphere.member(follow.member)) ?? (await previous.sphere.member(follow.member))
        if (!known) continue
        await handle.sphere.publish('sphere.member.added', {
          member: follow.member,
          writer: toHex(request.writer),
          name: known.name,
          proof: toHex(request.proof)
        })
      }
    }

    // 5. An admin's duties in the newest epoch.
    const newest = chain.newest
    if (!newest.sphere.writable || (await newest.sphere.rotation())) return
    if (!(await newest.sphere.member(me))?.admin) return
    if (newest.epoch > 0) {
      const previous = chain.epochs[newest.epoch - 1] as EpochHandle
      const rotation = (await previous.sphere.rotation()) as Rotation
      // a. Members the rotation missed (admitted at the same time in the old epoch) get the key too.
      const missed = (await previous.sphere.members()).filter((m) => !rotation.keys.some((k) => k.member === m.member))
      if (missed.length > 0 && previous.sphere.writable && (await previous.sphere.member(me))?.admin) {
        const { keys } = sealKeysFor(
          missed.map((m) => m.member),
          {
            sphere: sphereKey,
            epoch: newest.epoch,
            previous: previous.sphere.key,
            key: newest.sphere.key,
            encryptionKey: newest.encryptionKey
          }
        )
        if (keys.length > 0) {
          await previous.sphere.publish('sphere.key.rotated', { epoch: newest.epoch, cause: rotation.cause, keys })
        }
      }
      // b. Members who left the old epoch before their device followed: they leave this one too.
      const roster = await newest.sphere.members()
      for (const gone of await previous.sphere.departures()) {
        const member = roster.find((m) => m.member === gone.member)
        if (member && member.writers.length === 0 && gone.at >= rotation.at) {
          await newest.sphere.publish('sphere.member.removed', { member: gone.member, reason: 'left' })
        }
      }
    }
    // c. Someone left or was removed since this epoch began: move to a key they never learn.
    const departures = await newest.sphere.departures()
    if (departures.length > 0) {
      await this.rotateNow(record, chain, departures.some((d) => d.removed) ? 'removal' : 'departure')
    }
  }

  /**
   * Starts the next epoch: a new Autobase with new keys whose first envelope carries
   * the current members and, sealed for them, the earlier epochs' keys; then seals its
   * keys to each current member in a `sphere.key.rotated` in the current epoch. Runs
   * under the sphere's lock.
   */
  private async rotateNow(record: SphereRecord, chain: SphereChain, cause: RotationCause): Promise<RotationResult> {
    const current = chain.newest
    await this.requireWritable(record, chain)
    const me = await current.sphere.member(chain.me)
    if (!me?.admin) throw CosmicError.ADMIN_REQUIRED(`only an admin of ${record.name} rotates its key`)
    if (await current.sphere.rotation()) {
      throw CosmicError.CONFLICT(`${record.name} already moved to a new key; this device is following it`)
    }
    const members = await current.sphere.members()
    const meta = await current.sphere.meta()
    const epoch = current.epoch + 1
    // A successor made for this epoch whose rotation never went out (a crash in between) is replaced.
    await this.dropEpochs(this.registry.get(record.key) ?? record, epoch)
    const encryptionKey = randomBytes(32)
    const namespace = toHex(randomBytes(16))
    const successor = await this.openEpoch({ key: null, encryptionKey, namespace })
    const history = sealHistory(
      encryptionKey,
      chain.epochs.map((e) => ({ epoch: e.epoch, key: e.sphere.key, encryptionKey: e.encryptionKey }))
    )
    await successor.publish('sphere.epoch.started', {
      name: meta?.name ?? record.name,
      by: me.name,
      peer: toHex(this.swarmKeyPair.publicKey),
      epoch,
      sphere: record.key,
      previous: current.sphere.keyHex,
      members: epochRoster(members),
      history: toHex(history)
    })
    // Recorded before the rotation goes out: a crash in between must not strand the new
    // epoch, whose only writer is this device (a pending entry is dropped if it never went out).
    const entry: EpochRecord = {
      epoch,
      key: successor.keyHex,
      encryptionKey: toHex(encryptionKey),
      namespace,
      pending: true
    }
    await this.putEpoch(record.key, entry)
    const { keys } = sealKeysFor(
      members.map((m) => m.member),
      { sphere: fromHex(record.key), epoch, previous: current.sphere.key, key: successor.key, encryptionKey }
    )
    await current.sphere.publish('sphere.key.rotated', { epoch, cause, keys })
    const rotation = await current.sphere.rotation()
    if (!rotation || rotation.epoch !== epoch || !rotation.keys.some((k) => k.member === chain.me)) {
      const reason = (await current.sphere.rejected()).at(-1)?.reason ?? 'unknown reason'
      await this.dropEpochs(this.registry.get(record.key) ?? record, epoch)
      throw CosmicError.CONFLICT(`the sphere refused the key rotation: ${reason}`)
    }
    await this.putEpoch(record.key, { ...entry, pending: false })
    chain.push({ epoch, sphere: successor, encryptionKey })
    await this.announceEpoch(successor)
    await this.seedMaybe(this.registry.get(record.key) ?? record)
    await this.network?.recheck()
    return { sphere: record.key, epoch, members: keys.length }
  }

  /** Records an epoch of a sphere (replacing it and any later one). */
  private async putEpoch(key: string, entry: EpochRecord): Promise<void> {
    const latest = this.registry.get(key)
    if (!latest) return
    const { pending, ...held } = entry
    await this.registry.put({
      ...latest,
      epochs: [...(latest.epochs ?? []).filter((e) => e.epoch < entry.epoch), pending ? entry : held]
    })
  }

  /** Forgets the epochs from `from` on of a sphere: closes them and clears their blocks. */
  private async dropEpochs(record: SphereRecord, from: number): Promise<void> {
    const dropped = (record.epochs ?? []).filter((e) => e.epoch >= from)
    if (dropped.length === 0) return
    await this.registry.put({ ...record, epochs: (record.epochs ?? []).filter((e) => e.epoch < from) })
    for (const e of dropped) {
      const sphere = this.bases.get(e.key)
      if (sphere) {
        this.bases.delete(e.key)
        const cores = await epochCores(sphere)
        await this.network?.leave(sphere.discoveryKey).catch(() => {})
        await sphere.close().catch(() => {})
        await this.dropCores(cores)
      }
    }
  }

  /** A command about to write: refuses, with the reason, when this device cannot write to the sphere's newest epoch. */
  private async requireWritable(record: SphereRecord, chain: SphereChain): Promise<void> {
    if (chain.writable) return
    const state = await chain.keyState()
    if (state.pending) {
      throw CosmicError.KEY_ROTATION_PENDING(
        `${record.name} moved to a new key (epoch ${state.epoch}) and a member still has to admit this device into it; that happens as soon as one of them is online with this device (cosmic sync)`
      )
    }
    throw CosmicError.CONFLICT(`you are no longer a member of ${record.name}`)
  }

  /** `cosmic sphere rotate`: an admin moves the sphere to a new key now. */
  async rotate(ref: string): Promise<RotationResult> {
    const { record, sphere } = await this.get(ref)
    return this.locked(record.key, () => this.rotateNow(record, sphere, 'manual'))
  }

  // -------------------------------------------------------------------------
  // Network

  private requireNetwork(purpose: string): void {
    const settings = readSettings(this.home.readModel.db)
    if (settings.mode === 'local' || !settings.sync) {
      throw CosmicError.NETWORK_REFUSED(
        `${purpose} needs the network, and this home keeps everything on the device (mirror_mode ${settings.mode}, sync_enabled ${settings.sync}). To allow sharing: cosmic config set mirror_mode hybrid sync_enabled true`
      )
    }
  }

  /** For a long-running holder: online when the person allows it and there is a sphere to serve. */
  async goOnlineIfAllowed(): Promise<boolean> {
    if (!this.options.stayOnline || this.network || this.registry.list().length === 0) return this.network !== null
    const settings = readSettings(this.home.readModel.db)
    if (settings.mode === 'local' || !settings.sync) return false
    await this.startNetwork()
    return true
  }

  get online(): boolean {
    return this.network !== null
  }

  /** Joins the swarm for every sphere (and answers invites). Refused in local mode or with sync off. */
  async startNetwork(): Promise<SwarmNode> {
    this.requireNetwork('joining the swarm')
    if (this.network) return this.network
    this.network = new SwarmNode(this.store, {
      ...this.options,
      keyPair: this.swarmKeyPair,
      gate: () => this.replicationGate()
    })
    for (const record of this.registry.list()) await this.announce(record, await this.sphere(record))
    for (const record of this.registry.list()) await this.seedMaybe(record)
    return this.network
  }

  /** Joins the topic of every epoch of a sphere, and answers invites on the sphere's own (epoch 0's) topic. */
  private async announce(record: SphereRecord, chain: SphereChain): Promise<void> {
    const network = this.network
    if (!network) return
    for (const e of chain.epochs) await this.announceEpoch(e.sphere)
    if (!this.members.has(record.key)) {
      const member = network.pairing.addMember({
        discoveryKey: this.sphereDiscoveryKey(record),
        onadd: (request) => this.answerJoinRequest(record.key, request)
      })
      this.members.set(record.key, member)
    }
  }

  /** Joins an epoch's topic (its membership applies to connections through `changed`). */
  private async announceEpoch(sphere: Sphere): Promise<void> {
    await this.network?.join(sphere.discoveryKey)
  }

  /** Asks the sphere's seeders (if any) to keep every epoch of it; one blind-peering client per set of seeders. */
  private async seedMaybe(record: SphereRecord): Promise<void> {
    const network = this.network
    if (!network || !record.seeders?.length) return
    const keys = record.seeders.map(parseSeederKey)
    const id = record.seeders.slice().sort().join(',')
    let seeding = this.seedings.get(id)
    if (!seeding) {
      seeding = new Seeding(network.swarm.dht, this.store, { seeders: keys })
      this.seedings.set(id, seeding)
    }
    for (const e of (await this.sphere(record)).epochs) await seedAutobase(seeding, e.sphere.base)
  }

  /** Adds a seeder to a sphere (its key from `cosmic seed`); seeds now when online. */
  async addSeeder(
    ref: string,
    seeder: string
  ): Promise<{ sphere: string; seeders: string[]; memberKey: string | null; epochs: string[] }> {
    const { record, sphere } = await this.get(ref)
    const key = formatSeederKey(parseSeederKey(seeder))
    const seeders = [...new Set([...(record.seeders ?? []), key])]
    const updated = { ...record, seeders }
    await this.registry.put(updated)
    await this.seedMaybe(updated)
    await this.network?.recheck()
    const memberKey = this.network ? formatSeederKey(this.network.swarm.dht.defaultKeyPair.publicKey) : null
    return { sphere: record.key, seeders, memberKey, epochs: sphere.epochs.map((e) => e.sphere.keyHex) }
  }

  /** Seeders this device is connected to now (blind-peering connections, not swarm peers). */
  connectedSeeders(): number {
    let n = 0
    for (const seeding of this.seedings.values()) n += seeding.connectedSeeders().length
    return n
  }

  peers(): PeerStatus[] {
    return this.network?.status() ?? []
  }

  /**
   * The replication gate: a connection replicates this home's spheres only when the
   * remote device is a current member's device (or a seeder of ours), or while this
   * device is joining (it must fetch the sphere to learn who its members are). Read on
   * every new connection and whenever a sphere's view changes (membership with it).
   * Every epoch this home holds counts: a member who follows a rotation is a member of
   * both until their device is admitted into the new one; a removed member is in none.
   */
  private async replicationGate(): Promise<(peer: string) => boolean> {
    if (this.joining > 0) return () => true
    const allowed = new Set<string>()
    for (const record of this.registry.list()) {
      for (const seeder of record.seeders ?? []) allowed.add(toHex(parseSeederKey(seeder)))
      const opened = this.chains.get(record.key)
      if (!opened) continue
      const chain = await opened
      for (const e of chain.epochs) {
        for (const member of await e.sphere.members()) {
          if (member.member !== chain.me) for (const peer of member.peers ?? []) allowed.add(peer)
        }
      }
    }
    return (peer) => allowed.has(peer)
  }

  async stopNetwork(): Promise<void> {
    // A held request keeps blind-pairing's poll waiting: let go first, or closing it hangs.
    this.releaseHeld()
    const network = this.network
    this.network = null
    this.members.clear()
    for (const seeding of this.seedings.values()) await seeding.close().catch(() => {})
    this.seedings.clear()
    if (network) await network.close()
  }

  // -------------------------------------------------------------------------
  // Invites and joining

  async invite(ref: string, options: { expiresIn?: number; approve?: boolean } = {}): Promise<InviteResult> {
    const { record, sphere } = await this.get(ref)
    await this.requireWritable(record, sphere)
    const ttl = options.expiresIn ?? DEFAULT_INVITE_TTL_MS
    if (!Number.isSafeInteger(ttl) || ttl <= 0) throw CosmicError.INVALID_INPUT('--expires must be a positive duration')
    const expires = this.clock() + ttl
    const approve = options.approve ?? false
    // Invites name the sphere (epoch 0's key), so a code stays good across key rotations.
    // `sensitive` is a flag bit blind-pairing carries in the code and never reads: here it
    // tells the candidate's device to say it waits for a person (and to wait longer). The
    // member's own record decides; the bit is only a hint for the candidate.
    const created = BlindPairing.createInvite(fromHex(record.key), { expires, sensitive: approve })
    const invite: InviteRecord = {
      id: toHex(created.id),
      publicKey: toHex(created.publicKey),
      created: this.clock(),
      expires,
      used: null,
      usedBy: null,
      seed: toHex(created.seed),
      ...(approve ? { approve: true } : {})
    }
    const fresh = this.registry.get(record.key) ?? record
    await this.registry.put({ ...fresh, invites: [...fresh.invites, invite] })
    return { sphere: record.key, code: z32.encode(created.invite), id: invite.id, expires, approve }
  }

  /**
   * A member's side of pairing. Only the home that made the invite answers it (other
   * members do not hold it). One request at a time per sphere is decided (`decideJoin`):
   * the device is admitted into the newest epoch, whose keys the answer carries; or the
   * request is held for a person (an `--approve` invite) and answered when they decide;
   * or it is refused with a status the candidate reads (denied, used, expired).
   */
  private async answerJoinRequest(sphereKey: string, request: BlindPairing.MemberRequest): Promise<void> {
    let held: Held | undefined
    try {
      held = await this.locked(`requests:${sphereKey}`, () => this.decideRequest(sphereKey, request))
    } catch {
      // blind-pairing swallows errors in onadd and hangs the flow: answer instead (with
      // nothing the candidate reads as a person's refusal: it times out, as before).
      request.deny({ status: DENY.SILENT })
      return
    }
    // blind-pairing answers when this settles: a held request, once a person decided.
    await held?.released
  }

  private async decideRequest(sphereKey: string, request: BlindPairing.MemberRequest): Promise<Held | undefined> {
    const record = this.registry.get(sphereKey)
    if (!record) return void request.deny({ status: DENY.SILENT })
    const inviteId = toHex(request.inviteId)
    const invite = record.invites.find((i) => i.id === inviteId)
    if (!invite) return // another member's invite: they answer it
    // blind-pairing delivers a request again while it waits for the answer: the one
    // being answered answers it.
    if (this.admitting.has(inviteId)) return
    const userData = request.open(fromHex(invite.publicKey))
    if (!userData) return void request.deny({ status: DENY.SILENT })
    const ask = c.decode(joinRequest, userData)
    if (!verify(ask.proof, writerBindingMessage(this.sphereDiscoveryKey(record), ask.writer), ask.identity)) {
      return void request.deny({ status: DENY.SILENT })
    }
    const identity = toHex(ask.identity)
    const id = joinRequestId(inviteId, identity)
    const existing = record.requests?.find((r) => r.id === id)
    const decision = decideJoin(invite, existing, identity, this.clock())
    switch (decision.kind) {
      case 'refuse':
        if (decision.mark && existing?.status === 'pending')
          await this.closeRequest(record.key, existing, decision.mark)
        return void request.deny({ status: decision.status })
      case 'admit': {
        const newest = await this.admit(record, invite, ask)
        request.confirm(this.joinAnswer(record, invite, newest))
        return
      }
      case 'hold':
        return this.hold(record, invite, ask, request, existing)
      default: {
        const never: never = decision
        throw new Error(`unknown decision ${JSON.stringify(never)}`)
      }
    }
  }

  /**
   * Admits the device that asks into the newest epoch (a `sphere.member.added` carrying
   * its signed binding, unless that device is already a writer: an answer that was lost),
   * and marks the invite used by them and their request (if any) admitted.
   */
  private async admit(record: SphereRecord, invite: InviteRecord, ask: JoinRequest): Promise<EpochHandle> {
    this.admitting.add(invite.id)
    try {
      const name = ask.name.trim().slice(0, 200) || 'member'
      const newest = await this.locked(record.key, async () => {
        const chain = await this.sphere(record)
        const handle = chain.newest
        if ((await handle.sphere.get(`writers/${toHex(ask.writer)}`)) !== null) return handle
        if (!handle.sphere.writable || (await handle.sphere.rotation())) {
          throw CosmicError.CONFLICT('this device cannot admit anyone into the newest epoch')
        }
        if (handle.epoch > 0 && !invite.seed) {
          throw CosmicError.CONFLICT('an invite made before key rotation cannot carry the new key')
        }
        await handle.sphere.publish('sphere.member.added', {
          member: toHex(ask.identity),
          writer: toHex(ask.writer),
          name,
          proof: toHex(ask.proof),
          peer: toHex(ask.peer)
        })
        return handle
      })
      await this.network?.recheck()
      const identity = toHex(ask.identity)
      const now = this.clock()
      const latest = this.registry.get(record.key) ?? record
      const id = joinRequestId(invite.id, identity)
      const request = latest.requests?.find((r) => r.id === id)
      await this.registry.put({
        ...latest,
        invites: latest.invites.map((i) =>
          i.id === invite.id && i.used === null ? { ...i, used: now, usedBy: identity } : i
        ),
        ...(request
          ? {
              requests: withRequest(latest.requests ?? [], {
                ...request,
                status: 'approved',
                decided: request.decided ?? now,
                admitted: request.admitted ?? now
              })
            }
          : {})
      })
      if (request) this.notify({ sphere: record.key, request: id, status: 'approved' })
      return newest
    } finally {
      this.admitting.delete(invite.id)
    }
  }

  /**
   * Keeps a request for a person: recorded (so it outlives a restart of this process),
   * and held open while the candidate's device waits, until a person approves or denies
   * it, the invite expires, or the network stops (then it is answered when the device
   * asks again). A newer ask of the same person (a restarted join) replaces the older.
   */
  private async hold(
    record: SphereRecord,
    invite: InviteRecord,
    ask: JoinRequest,
    request: BlindPairing.MemberRequest,
    existing: JoinRequestRecord | undefined
  ): Promise<Held | undefined> {
    const pending = (record.requests ?? []).filter((r) => r.invite === invite.id && r.status === 'pending')
    if (!existing && pending.length >= MAX_PENDING_PER_INVITE) return void request.deny({ status: DENY.SILENT })
    const identity = toHex(ask.identity)
    const id = joinRequestId(invite.id, identity)
    const now = this.clock()
    const entry: JoinRequestRecord = {
      id,
      invite: invite.id,
      identity,
      name: ask.name.trim().slice(0, 200) || 'member',
      asked: existing?.asked ?? now,
      lastAsked: now,
      status: 'pending',
      decided: null,
      admitted: null
    }
    const latest = this.registry.get(record.key) ?? record
    await this.registry.put({ ...latest, requests: withRequest(latest.requests ?? [], entry) })
    const key = heldKey(record.key, id)
    // Holding keeps blind-pairing's member waiting on this answer (a request found through
    // the DHT pauses that sphere's DHT poll; requests over a connection, the usual path,
    // are answered each on their own), so it lasts only while the device waits: an
    // expiry, a decision, or the network stopping ends it.
    this.held.get(key)?.release()
    const released = new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const left = invite.expires === 0 ? null : invite.expires - this.clock()
      if (left !== null && left < MAX_TIMER_MS) {
        timer = setTimeout(() => void this.expireRequest(record.key, id).catch(() => {}), Math.max(0, left))
        timer.unref()
      }
      const entryHeld: HeldRequest = {
        request,
        ask,
        release: () => {
          clearTimeout(timer)
          if (this.held.get(key) === entryHeld) this.held.delete(key)
          resolve()
        }
      }
      this.held.set(key, entryHeld)
    })
    this.notify({ sphere: record.key, request: id, status: 'pending' })
    // Wrapped: an async function returning the promise itself would wait for it.
    return { released }
  }

  /** A held request whose invite expired: recorded as expired, and the candidate told (INVITE_EXPIRED). */
  private expireRequest(sphereKey: string, id: string): Promise<void> {
    return this.locked(`requests:${sphereKey}`, async () => {
      const record = this.registry.get(sphereKey)
      const request = record?.requests?.find((r) => r.id === id)
      const invite = record?.invites.find((i) => i.id === request?.invite)
      if (!record || !request || !invite || request.status !== 'pending') return
      if (!inviteExpired(invite, this.clock())) return
      await this.closeRequest(sphereKey, request, 'expired')
    })
  }

  /** Ends a pending request without admitting it: recorded, and a waiting candidate told why. */
  private async closeRequest(sphereKey: string, request: JoinRequestRecord, status: JoinRequestStatus): Promise<void> {
    const latest = this.registry.get(sphereKey)
    if (!latest) return
    const decided: JoinRequestRecord = { ...request, status, decided: this.clock() }
    await this.registry.put({ ...latest, requests: withRequest(latest.requests ?? [], decided) })
    const held = this.held.get(heldKey(sphereKey, request.id))
    if (held) {
      held.request.deny({ status: status === 'denied' ? DENY.DENIED : status === 'used' ? DENY.USED : DENY.EXPIRED })
      held.release()
    }
    this.notify({ sphere: sphereKey, request: request.id, status })
  }

  private notify(change: JoinRequestChange): void {
    for (const listener of this.requestListeners) {
      try {
        listener(change)
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  /** Calls `listener` when a request to join arrives, is asked again, or is decided; returns the unsubscribe. */
  onRequestChange(listener: (change: JoinRequestChange) => void): () => void {
    this.requestListeners.add(listener)
    return () => this.requestListeners.delete(listener)
  }

  private requestViews(record: SphereRecord): JoinRequestView[] {
    const now = this.clock()
    return (record.requests ?? []).map((r) => {
      const invite = record.invites.find((i) => i.id === r.invite)
      const expires = invite?.expires ?? 0
      const status: JoinRequestStatus =
        r.status === 'pending' && invite && inviteExpired(invite, now) ? 'expired' : r.status
      return {
        id: r.id,
        sphere: record.key,
        sphereName: record.name,
        invite: r.invite,
        expires,
        identity: r.identity,
        name: r.name,
        asked: r.asked,
        lastAsked: r.lastAsked,
        status,
        decided: r.decided,
        admitted: r.admitted,
        waiting: this.held.has(heldKey(record.key, r.id))
      }
    })
  }

  /**
   * Requests to join with this home's invites, oldest first: the ones that wait for a
   * person (and approved ones whose device has not come back yet), or with `all` the
   * decided ones this home keeps too. Every sphere, or one.
   */
  requests(ref?: string, options: { all?: boolean } = {}): JoinRequestView[] {
    const records = ref === undefined ? this.registry.list() : [this.registry.resolve(ref)]
    return records
      .flatMap((record) => this.requestViews(record))
      .filter((r) => options.all || r.status === 'pending' || (r.status === 'approved' && r.admitted === null))
      .sort((a, b) => a.asked - b.asked)
  }

  /** A request by its id, a unique prefix of 4 or more characters, or the name it gave (among pending ones). */
  private resolveRequest(record: SphereRecord, ref: string): JoinRequestRecord {
    const requests = record.requests ?? []
    const lower = ref.trim().toLowerCase()
    const exact = requests.find((r) => r.id === lower)
    if (exact) return exact
    const byPrefix = /^[0-9a-f]{4,15}$/.test(lower) ? requests.filter((r) => r.id.startsWith(lower)) : []
    const byName = requests.filter((r) => r.status === 'pending' && r.name === ref.trim())
    const matches = [...new Set([...byPrefix, ...byName])]
    if (matches.length === 1) return matches[0] as JoinRequestRecord
    if (matches.length > 1) {
      throw CosmicError.INVALID_INPUT(`"${ref}" names ${matches.length} requests to join ${record.name}: use their id`)
    }
    throw CosmicError.NOT_FOUND(
      `no request to join ${record.name} is "${ref}"; cosmic sphere requests ${record.key.slice(0, 12)} lists them`
    )
  }

  /** Refuses a decision on a request that is not pending, saying what became of it. */
  private requirePending(record: SphereRecord, request: JoinRequestRecord): void {
    if (request.status === 'pending') return
    const when = request.decided ? ` on ${formatTime(request.decided)}` : ''
    const what: Record<Exclude<JoinRequestStatus, 'pending'>, string> = {
      approved: `was already approved${when}`,
      denied: `was already denied${when}`,
      expired: `expired${when} with its invite`,
      used: `was closed${when}: the invite admitted someone else`
    }
    throw CosmicError.CONFLICT(`the request from ${request.name} to join ${record.name} ${what[request.status]}`)
  }

  /**
   * A person on this home lets the candidate in. If their device waits now, it is admitted
   * at once (`sphere.member.added`) and answered; otherwise the approval is recorded and
   * the device is admitted when it asks again (`cosmic sphere join` with the same code).
   * The code is then used: anyone else who asked with it is told so.
   */
  async approve(ref: string, requestRef: string): Promise<JoinRequestView> {
    const found = this.registry.resolve(ref)
    return this.locked(`requests:${found.key}`, async () => {
      const record = this.registry.get(found.key) ?? found
      const request = this.resolveRequest(record, requestRef)
      this.requirePending(record, request)
      const invite = record.invites.find((i) => i.id === request.invite)
      if (!invite) throw CosmicError.CONFLICT(`the invite of the request from ${request.name} is gone`)
      if (invite.used !== null) {
        await this.closeRequest(record.key, request, 'used')
        throw CosmicError.CONFLICT(`the invite ${request.name} asked with was already used: it admits one person`)
      }
      if (inviteExpired(invite, this.clock())) {
        await this.closeRequest(record.key, request, 'expired')
        throw CosmicError.INVITE_INVALID(
          `the invite ${request.name} asked with expired at ${formatTime(invite.expires)}: the request cannot be approved any more; make a new invite for them`
        )
      }
      const held = this.held.get(heldKey(record.key, request.id))
      if (held) {
        // Their device waits: admit it now (a failure leaves the request pending and held).
        const newest = await this.admit(record, invite, held.ask)
        held.request.confirm(this.joinAnswer(record, invite, newest))
        held.release()
      } else {
        const latest = this.registry.get(record.key) ?? record
        const now = this.clock()
        await this.registry.put({
          ...latest,
          invites: latest.invites.map((i) => (i.id === invite.id ? { ...i, used: now, usedBy: request.identity } : i)),
          requests: withRequest(latest.requests ?? [], { ...request, status: 'approved', decided: now })
        })
        this.notify({ sphere: record.key, request: request.id, status: 'approved' })
      }
      // A code admits one person: the others who asked with it are told it was used.
      const after = this.registry.get(record.key) ?? record
      for (const other of after.requests ?? []) {
        if (other.invite === invite.id && other.id !== request.id && other.status === 'pending') {
          await this.closeRequest(record.key, other, 'used')
        }
      }
      const view = this.requestViews(this.registry.get(record.key) ?? record).find((r) => r.id === request.id)
      return { ...(view as JoinRequestView), waiting: held !== undefined }
    })
  }

  /**
   * A person on this home refuses the candidate: recorded in this home only (nothing
   * reaches the sphere), and their waiting device is told `JOIN_DENIED`, now or when it
   * asks again. The invite stays valid for someone else until it expires.
   */
  async deny(ref: string, requestRef: string): Promise<JoinRequestView> {
    const found = this.registry.resolve(ref)
    return this.locked(`requests:${found.key}`, async () => {
      const record = this.registry.get(found.key) ?? found
      const request = this.resolveRequest(record, requestRef)
      this.requirePending(record, request)
      const waiting = this.held.has(heldKey(record.key, request.id))
      await this.closeRequest(record.key, request, 'denied')
      const view = this.requestViews(this.registry.get(record.key) ?? record).find((r) => r.id === request.id)
      return { ...(view as JoinRequestView), waiting }
    })
  }

  /** Lets go of every held request (their devices get the answer when they ask again): before the network stops. */
  private releaseHeld(sphereKey?: string): void {
    for (const [key, held] of [...this.held]) {
      if (sphereKey === undefined || key.startsWith(`${sphereKey}:`)) held.release()
    }
  }

  /**
   * The answer to an invite. blind-pairing checks its key against the invite, which names
   * the sphere (epoch 0), so the key is epoch 0's; once the key was rotated, the newest
   * epoch's keys travel as the invite's signed additional data, inside the encrypted reply.
   */
  private joinAnswer(
    record: SphereRecord,
    invite: InviteRecord,
    newest: EpochHandle
  ): Parameters<BlindPairing.MemberRequest['confirm']>[0] {
    const answer = { key: fromHex(record.key), encryptionKey: fromHex(record.encryptionKey) }
    if (newest.epoch === 0) return answer
    if (!invite.seed) throw CosmicError.CONFLICT('an invite made before key rotation cannot carry the new key')
    const data = encodeJoinAnswer({ epoch: newest.epoch, key: newest.sphere.key, encryptionKey: newest.encryptionKey })
    const signature = sign(data, keyPairFromSeed(fromHex(invite.seed)).secretKey)
    return { ...answer, additional: { data, signature } }
  }

  /** The candidate's side: hands the invite to whichever member is online, then waits to be a writer. */
  async join(code: string, options: { timeout?: number; name?: string } = {}): Promise<SphereSummary> {
    this.joining++
    try {
      return await this.joinNow(code, options)
    } finally {
      this.joining--
      await this.network?.recheck().catch(() => {})
    }
  }

  private async joinNow(code: string, options: { timeout?: number; name?: string }): Promise<SphereSummary> {
    let invite: Uint8Array
    let decoded: BlindPairing.DecodedInvite
    try {
      invite = z32.decode(code.trim())
      decoded = BlindPairing.decodeInvite(invite)
    } catch {
      throw CosmicError.INVITE_INVALID(
        'that is not a sphere invite code (copy the whole code that `cosmic sphere invite` printed)'
      )
    }
    if (decoded.expires !== 0 && decoded.expires <= this.clock()) {
      throw CosmicError.INVITE_INVALID(`the invite expired at ${formatTime(decoded.expires)}; ask for a new one`)
    }
    for (const record of this.registry.list()) {
      if (b4a.equals(this.sphereDiscoveryKey(record), decoded.discoveryKey)) {
        throw CosmicError.INVITE_INVALID(`this home is already in ${record.name}`)
      }
    }
    const topic = toHex(decoded.discoveryKey)
    if (this.joiningSpheres.has(topic)) {
      throw CosmicError.CONFLICT('this home is already asking to join that sphere: wait for that answer')
    }
    this.joiningSpheres.add(topic)
    try {
      return await this.pair(invite, decoded, options)
    } finally {
      this.joiningSpheres.delete(topic)
    }
  }

  /** Asks with the invite, waits for the answer (and a person's approval, for an approve invite), then for the sphere. */
  private async pair(
    invite: Uint8Array,
    decoded: BlindPairing.DecodedInvite,
    options: { timeout?: number; name?: string }
  ): Promise<SphereSummary> {
    const network = await this.startNetwork()
    const namespace = toHex(randomBytes(16))
    const nsStore = this.store.namespace(namespace)
    const writer = await Autobase.getLocalKey(nsStore)
    const name = (options.name ?? this.displayName).slice(0, 200)
    const userData = c.encode(joinRequest, {
      identity: this.home.keys.identity.publicKey,
      writer,
      name,
      proof: signWriterBinding(this.home.keys.identity, decoded.discoveryKey, writer),
      peer: this.swarmKeyPair.publicKey
    })
    // An invite a person approves: the request waits for them (docs/spheres.md, "Invites").
    const approval = decoded.sensitive
    const timeout = options.timeout ?? (approval ? DEFAULT_APPROVAL_TIMEOUT_MS : DEFAULT_JOIN_TIMEOUT_MS)
    // Open the sphere's newest epoch the moment a member answers, while the pairing
    // connection is up: the member is reachable on it, and the cores replicate over it.
    let opening: Promise<{ sphere: Sphere; encryptionKey: Uint8Array }> | null = null
    const openJoined = (result: BlindPairing.PairingResult) => {
      opening ??= (async () => {
        if (!result.encryptionKey) throw CosmicError.PAIRING_FAILED('the member answered without the sphere key')
        // After a key rotation the answer names the newest epoch beside the sphere's own key.
        const newest = result.data ? decodeJoinAnswer(result.data) : null
        if (result.data && !newest)
          throw CosmicError.PAIRING_FAILED('the member answered with keys this build cannot read')
        const key = newest ? newest.key : result.key
        const encryptionKey = newest ? newest.encryptionKey : result.encryptionKey
        const sphere = await this.openEpoch({ key: toHex(key), encryptionKey, namespace })
        await this.announceEpoch(sphere)
        return { sphere, encryptionKey }
      })()
      return opening
    }
    const candidate = network.pairing.addCandidate({
      invite,
      userData,
      onadd: async (result) => {
        await openJoined(result).catch(() => {})
      }
    })
    // A member's refusal arrives as `rejected` on the request (blind-pairing keeps waiting
    // after it): the answer of the home that made the invite, so it ends the wait.
    let refuse: (err: CosmicError) => void = () => {}
    const refused = new Promise<CosmicError>((resolve) => {
      refuse = resolve
    })
    const onRejected = (err: BlindPairing.PairingError) => refuse(refusalError(err))
    candidate.request.on('rejected', onRejected)
    let timer: NodeJS.Timeout | undefined
    const deadline = (ms: number) =>
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), ms)
      })
    const started = this.clock()
    const result = await Promise.race([candidate.pairing, deadline(timeout), refused]).finally(() => {
      clearTimeout(timer)
      candidate.request.off('rejected', onRejected)
    })
    if (result instanceof CosmicError) {
      await candidate.close().catch(() => {})
      throw result
    }
    if (!result) {
      await candidate.close().catch(() => {})
      throw CosmicError.PAIRING_FAILED(
        approval
          ? `nobody on the home that made the invite approved your request within ${formatWait(timeout)}. Your request stays with them until the invite expires (${formatTime(decoded.expires)}): run the same command again to keep waiting; their home must be online (cosmic sync, or cosmic serve)`
          : `no member answered within ${Math.round(timeout / 1000)} s, or the invite was refused (used, expired or revoked). The member who made it must be online: cosmic sync, or cosmic serve`
      )
    }
    const { sphere, encryptionKey } = await openJoined(result)
    // After a long wait for a person, the sphere still needs time to arrive.
    const left = Math.max(approval ? 30_000 : 5_000, timeout - (this.clock() - started))
    const writable = await Promise.race([sphere.base.waitForWritable(), deadline(left)]).finally(() =>
      clearTimeout(timer)
    )
    await candidate.close().catch(() => {})
    const abandon = async (message: string) => {
      this.bases.delete(sphere.keyHex)
      await sphere.close().catch(() => {})
      return CosmicError.PAIRING_FAILED(message)
    }
    if (!writable) {
      throw await abandon('the member admitted you, but their sphere did not replicate in time: try again')
    }
    await sphere.update()
    const meta = await sphere.meta()
    const record = await this.joinedRecord(sphere, encryptionKey, namespace, meta?.name)
    if (
      !record ||
      record.key !== toHex(result.key) ||
      !b4a.equals(this.sphereDiscoveryKey(record), decoded.discoveryKey)
    ) {
      throw await abandon('the member answered with a sphere that is not the one the invite names')
    }
    await this.registry.put(record)
    await this.home.append([{ type: 'sphere.joined', body: { sphere: record.key, name: record.name, role: 'member' } }])
    const chain = await this.sphere(record)
    await this.announce(record, chain)
    return this.summary(record.key)
  }

  /**
   * The registry record of a sphere joined in its epoch `meta.epoch`: after a key
   * rotation, the sphere's key and the earlier epochs' keys come from the epoch's first
   * envelope (sealed for its members), so the whole history reads as before. Null when
   * the epoch does not say which sphere it continues.
   */
  private async joinedRecord(
    sphere: Sphere,
    encryptionKey: Uint8Array,
    namespace: string,
    name: string | undefined
  ): Promise<SphereRecord | null> {
    const base = { name: name ?? 'sphere', role: 'member' as const, joined: this.clock(), invites: [] }
    const epoch = await sphere.epoch()
    if (epoch === 0) return { key: sphere.keyHex, encryptionKey: toHex(encryptionKey), namespace, ...base }
    const started = await sphere.started()
    const history = started ? openHistory(encryptionKey, fromHex(started.history)) : null
    if (!started || !history) return null
    const earlier = [...history].sort((a, b) => a.epoch - b.epoch)
    if (earlier.length !== epoch || earlier.some((e, i) => e.epoch !== i)) return null
    const [first, ...rest] = earlier
    if (!first || toHex(first.key) !== started.sphere) return null
    return {
      key: started.sphere,
      encryptionKey: toHex(first.encryptionKey),
      namespace: toHex(randomBytes(16)),
      ...base,
      epochs: [
        ...rest.map((e) => ({
          epoch: e.epoch,
          key: toHex(e.key),
          encryptionKey: toHex(e.encryptionKey),
          namespace: toHex(randomBytes(16))
        })),
        { epoch, key: sphere.keyHex, encryptionKey: toHex(encryptionKey), namespace }
      ]
    }
  }

  // -------------------------------------------------------------------------
  // Membership

  /** Removes a member, then moves the sphere to a key they never learn. */
  async remove(ref: string, member: string, reason?: string): Promise<{ removed: string; rotation: RotationResult }> {
    const { record, sphere } = await this.get(ref)
    const target = await this.resolveMember(sphere, member)
    if (target === sphere.me) throw CosmicError.INVALID_INPUT('to leave a sphere yourself: cosmic sphere leave ID')
    return this.locked(record.key, async () => {
      await this.requireWritable(record, sphere)
      const current = sphere.newest.sphere
      const me = await current.member(sphere.me)
      if (!me?.admin) throw CosmicError.ADMIN_REQUIRED(`only an admin of ${record.name} removes members`)
      await current.publish('sphere.member.removed', reason ? { member: target, reason } : { member: target })
      await this.network?.recheck()
      const rejected = (await current.rejected()).at(-1)
      if (await current.member(target)) {
        throw CosmicError.CONFLICT(`the sphere refused the removal: ${rejected?.reason ?? 'unknown reason'}`)
      }
      const rotation = await this.rotateNow(record, sphere, 'removal')
      return { removed: target, rotation }
    })
  }

  async resolveMember(sphere: SphereChain, ref: string): Promise<string> {
    const members = await sphere.members()
    const lower = ref.toLowerCase()
    const matches = members.filter(
      (m) => m.member === lower || (lower.length >= 4 && m.member.startsWith(lower)) || m.name === ref
    )
    if (matches.length === 1) return (matches[0] as { member: string }).member
    if (matches.length > 1)
      throw CosmicError.INVALID_INPUT(`"${ref}" names ${matches.length} members: use more of their key`)
    throw CosmicError.NOT_FOUND(`no member "${ref}" in this sphere; cosmic sphere members ID lists them`)
  }

  /**
   * Leaves a sphere: a `sphere.member.left` for the others (unless this is the last
   * member) in the newest epoch this device writes to, then forgets every epoch's key and
   * deletes its local data. An admin among the others moves the sphere to a new key when
   * their device sees the departure. What the others received stays with them.
   */
  async leave(ref: string): Promise<{ told: boolean }> {
    const record = this.registry.resolve(ref)
    const chain = await this.sphere(record)
    return this.locked(record.key, async () => {
      let told = false
      // The newest epoch it writes to; when that one is retired (this device had not been
      // admitted into the next yet), an admin removes it from the next one (reconcile, 5b).
      const writing = [...chain.epochs].reverse().find((e) => e.sphere.writable)
      if (writing) {
        const others = (await writing.sphere.members()).filter((m) => m.member !== chain.me)
        if (others.length > 0) {
          await writing.sphere.publish('sphere.member.left', {})
          told = true
          if (this.network) await this.network.flush().catch(() => {})
        }
      }
      this.releaseHeld(record.key)
      const member = this.members.get(record.key)
      this.members.delete(record.key)
      await member?.close().catch(() => {})
      const cores: string[] = []
      for (const e of chain.epochs) {
        if (this.network) await this.network.leave(e.sphere.discoveryKey).catch(() => {})
        cores.push(...(await epochCores(e.sphere)))
        this.bases.delete(e.sphere.keyHex)
        await e.sphere.close()
      }
      this.chains.delete(record.key)
      await this.registry.remove(record.key)
      await this.home.append([{ type: 'sphere.left', body: { sphere: record.key } }])
      await this.dropCores(cores)
      return { told }
    })
  }

  /** Clears the blocks of cores this device no longer needs (ciphertext; the key is already forgotten). */
  private async dropCores(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const core = this.store.get({ key: fromHex(key) })
      try {
        await core.ready()
        if (core.length > 0) await core.clear(0, core.length)
        await core.compact()
      } catch {
        // Best effort: a core that cannot be opened holds nothing to clear.
      } finally {
        await core.close().catch(() => {})
      }
    }
  }

  // -------------------------------------------------------------------------
  // Sharing

  private async consentAndPublish<T extends Parameters<Sphere['publish']>[0]>(
    record: SphereRecord,
    sphere: SphereChain,
    scope: string,
    source: string,
    kind: 'entry' | 'facet' | 'summary',
    type: T,
    body: Parameters<Sphere['publish']>[1],
    summary?: string
  ): Promise<{ share: SignedEvent; item: SignedEvent }> {
    await this.requireWritable(record, sphere)
    // Refuse a body the sphere would refuse before anything is recorded.
    validateBody(type, body)
    await this.home.append([{ type: 'consent.granted', body: { audience: `sphere:${record.key}`, scope: [scope] } }])
    const item = await sphere.publish(type, body as never)
    const [share] = await this.home.append([
      {
        type: 'share.published',
        body: { sphere: record.key, source, kind, item: toHex(item.id), ...(summary ? { summary } : {}) }
      }
    ])
    return { share: share as SignedEvent, item }
  }

  /** Publishes one journal entry (its current words) into a sphere; a private or sealed one is refused. */
  async shareEntry(ref: string, entryRef: string): Promise<{ share: SignedEvent; item: SignedEvent }> {
    const { record, sphere } = await this.get(ref)
    const entry = findEntry(this.home.readModel.db, entryRef)
    if (!entry)
      throw CosmicError.NOT_FOUND(`no entry ${entryRef} (retracted, or not an entry id; cosmic log lists them)`)
    if (entry.privacy !== 'shareable' || entry.sealed) {
      throw CosmicError.NETWORK_REFUSED(
        `entry ${entry.id.slice(0, 12)} is ${entry.sealed ? 'sealed' : 'private'}: it never leaves this device. Only entries written as shareable (reflect --shareable) can be shared`
      )
    }
    const body = {
      text: entry.text,
      tags: entry.tags,
      written: entry.time,
      ...(entry.mood ? { mood: entry.mood } : {}),
      ...(entry.dimension ? { dimension: entry.dimension as 'mind' | 'heart' | 'body' } : {})
    }
    return this.consentAndPublish(record, sphere, `entry:${entry.id}`, entry.id, 'entry', 'sphere.entry.shared', body)
  }

  /** Publishes one profile facet (`dimension/facet/key`); a private facet is refused. */
  async shareFacet(ref: string, facetRef: string): Promise<{ share: SignedEvent; item: SignedEvent }> {
    const { record, sphere } = await this.get(ref)
    const [dimension, facet, ...rest] = facetRef.split('/')
    const key = rest.join('/')
    if (!dimension || !facet || !key)
      throw CosmicError.INVALID_INPUT('a facet is DIMENSION/FACET/KEY, e.g. mind/skill/typescript')
    const row = listProfile(this.home.readModel.db).find(
      (f) => f.dimension === dimension && f.facet === facet && f.key === key
    )
    if (!row) throw CosmicError.NOT_FOUND(`no facet ${facetRef} in your profile (cosmic profile show)`)
    if (row.privacy !== 'shareable') {
      throw CosmicError.NETWORK_REFUSED(
        `facet ${facetRef} is private: it never leaves this device. Set it again with --shareable to share it`
      )
    }
    const body = {
      dimension: row.dimension,
      facet: row.facet as 'skill',
      key: row.key,
      ...(row.value ? { value: row.value } : {}),
      ...(row.level ? { level: row.level } : {})
    }
    const source = `${row.dimension}/${row.facet}/${row.key}`
    return this.consentAndPublish(record, sphere, `facet:${source}`, source, 'facet', 'sphere.facet.shared', body)
  }

  /**
   * Publishes counts of themes and moods over the shareable entries of a window:
   * counts, never words, and never counting a private entry (DESIGN.md: neither the
   * content nor the number nor the timing of private entries may leave).
   */
  async sharePatterns(
    ref: string,
    window: { from: number; to: number }
  ): Promise<{ share: SignedEvent; item: SignedEvent }> {
    const { record, sphere } = await this.get(ref)
    if (!(window.from < window.to)) throw CosmicError.INVALID_INPUT('--from must be before --to')
    const rows = this.home.readModel.db
      .prepare<[number, number], { tags: string | null; mood: string | null }>(
        `SELECT tags, mood FROM entries WHERE privacy = 'shareable' AND sealed = 0 AND time >= ? AND time < ?`
      )
      .all(window.from, window.to)
    const themes = new Map<string, number>()
    const emotions = new Map<string, number>()
    for (const row of rows) {
      for (const tag of row.tags ? row.tags.split(' ') : []) themes.set(tag, (themes.get(tag) ?? 0) + 1)
      if (row.mood) emotions.set(row.mood, (emotions.get(row.mood) ?? 0) + 1)
    }
    const top = (m: Map<string, number>) =>
      [...m.entries()]
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, 50)
        .map(([name, count]) => ({ name, count }))
    const body = {
      from: window.from,
      to: window.to,
      entries: rows.length,
      themes: top(themes),
      emotions: top(emotions)
    }
    const source = `patterns:${window.from}-${window.to}`
    return this.consentAndPublish(record, sphere, 'summary', source, 'summary', 'sphere.summary.shared', body)
  }

  /** Withdraws shares: peers hide them; what they already received cannot be recalled. */
  async unshare(ref: string, options: { sphere?: string } = {}): Promise<ShareRow[]> {
    const sphereKey = options.sphere ? this.registry.resolve(options.sphere).key : undefined
    const rows = sharesFor(this.home.readModel.db, ref, sphereKey)
    if (rows.length === 0)
      throw CosmicError.NOT_FOUND(`nothing shared under ${ref} (cosmic shares lists what is shared)`)
    for (const row of rows) {
      const record = this.registry.get(row.sphere)
      if (record && row.item) {
        const { sphere } = await this.get(record.key)
        if (await sphere.hasItem(row.item)) {
          // A device waiting to be admitted into a new epoch cannot tell the others yet: nothing is recorded.
          if ((await sphere.keyState()).pending) await this.requireWritable(record, sphere)
          if (sphere.writable) await sphere.publish('sphere.share.retracted', { ref: row.item })
        }
      }
      await this.home.append([{ type: 'share.retracted', body: { ref: row.id } }])
    }
    return rows
  }

  async post(ref: string, text: string, replyTo?: string): Promise<SignedEvent> {
    const { record, sphere } = await this.get(ref)
    await this.requireWritable(record, sphere)
    if (replyTo && !(await sphere.hasItem(replyTo)))
      throw CosmicError.NOT_FOUND(`no post or share ${replyTo} in ${record.name}`)
    return sphere.publish('sphere.post', replyTo ? { text, replyTo } : { text })
  }

  async close(): Promise<void> {
    this.closing = true
    await Promise.all([...this.locks.values()])
    await this.stopNetwork()
    for (const sphere of this.bases.values()) await sphere.close().catch(() => {})
    this.bases.clear()
    this.chains.clear()
    await this.store.close()
  }
}

/** What a candidate is told when the home that made the invite refused its request. */
function refusalError(err: BlindPairing.PairingError): CosmicError {
  switch (err.code) {
    case 'INVITE_USED':
      return CosmicError.INVITE_INVALID('the invite was already used: it admits one person; ask for a new one')
    case 'INVITE_EXPIRED':
      return CosmicError.INVITE_INVALID('the invite expired before anyone approved your request; ask for a new one')
    default:
      return CosmicError.JOIN_DENIED(
        'a person on the home that made the invite denied your request to join; nothing about you reached the sphere'
      )
  }
}

function formatWait(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`
}

/** Whether an invite code asks a person to approve its holder (false for a code that does not decode). */
export function inviteNeedsApproval(code: string): boolean {
  try {
    return BlindPairing.decodeInvite(z32.decode(code.trim())).sensitive
  } catch {
    return false
  }
}

function heldKey(sphere: string, request: string): string {
  return `${sphere}:${request}`
}

/** The cores a device holds for one epoch: every member's writer (its own too) and the view. */
async function epochCores(sphere: Sphere): Promise<string[]> {
  const cores = new Set<string>([toHex(sphere.writerKey)])
  for (const m of await sphere.members().catch(() => [])) for (const w of m.writers) cores.add(w)
  const viewKey = sphere.base.view.core.key
  if (viewKey) cores.add(toHex(viewKey))
  return [...cores]
}

/** Opens a home's spheres on first use and closes them once: what a command runner hands to commands. */
export function lazySpheres(home: Home, options: SpheresOptions = {}) {
  let opened: Promise<Spheres> | null = null
  return {
    get(): Promise<Spheres> {
      opened ??= Spheres.open(home, options)
      return opened
    },
    async close(): Promise<void> {
      const pending = opened
      opened = null
      if (pending) await (await pending).close()
    }
  }
}
