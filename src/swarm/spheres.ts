import { join } from 'node:path'
import Autobase from 'autobase'
import b4a from 'b4a'
import BlindPairing from 'blind-pairing'
import c from 'compact-encoding'
import Corestore from 'corestore'
import { discoveryKey } from 'hypercore-crypto'
import HyperDHT from 'hyperdht'
import z32 from 'z32'
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
import { type NetworkOptions, type PeerStatus, SwarmNode } from './network.js'
import { type EpochRecord, type InviteRecord, type SphereRecord, SphereRegistry } from './registry.js'
import { formatSeederKey, parseSeederKey, Seeding, seedAutobase } from './seeding.js'
import { type Rotation, Sphere, signWriterBinding, writerBindingMessage } from './sphere.js'
import { type EpochHandle, epochRoster, SphereChain, sealKeysFor } from './sphere-chain.js'

export const SPHERES_DIR = 'spheres'
/** A one-time invite lasts this long unless `--expires` says otherwise. */
export const DEFAULT_INVITE_TTL_MS = 24 * 60 * 60 * 1000
export const DEFAULT_JOIN_TIMEOUT_MS = 60_000

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
  /** Invites being answered right now: one request per invite wins. */
  private readonly admitting = new Set<string>()
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
        onadd: (request) => this.onJoinRequest(record.key, request)
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
    const network = this.network
    this.network = null
    this.members.clear()
    for (const seeding of this.seedings.values()) await seeding.close().catch(() => {})
    this.seedings.clear()
    if (network) await network.close()
  }

  // -------------------------------------------------------------------------
  // Invites and joining

  async invite(ref: string, options: { expiresIn?: number } = {}): Promise<InviteResult> {
    const { record, sphere } = await this.get(ref)
    await this.requireWritable(record, sphere)
    const ttl = options.expiresIn ?? DEFAULT_INVITE_TTL_MS
    if (!Number.isSafeInteger(ttl) || ttl <= 0) throw CosmicError.INVALID_INPUT('--expires must be a positive duration')
    const expires = this.clock() + ttl
    // Invites name the sphere (epoch 0's key), so a code stays good across key rotations.
    const created = BlindPairing.createInvite(fromHex(record.key), { expires })
    const invite: InviteRecord = {
      id: toHex(created.id),
      publicKey: toHex(created.publicKey),
      created: this.clock(),
      expires,
      used: null,
      usedBy: null,
      seed: toHex(created.seed)
    }
    const fresh = this.registry.get(record.key) ?? record
    await this.registry.put({ ...fresh, invites: [...fresh.invites, invite] })
    return { sphere: record.key, code: z32.encode(created.invite), id: invite.id, expires }
  }

  /**
   * A member's side of pairing: a one-time, unexpired invite admits the candidate who
   * holds it, into the newest epoch, whose keys it answers with.
   */
  private async onJoinRequest(sphereKey: string, request: BlindPairing.MemberRequest): Promise<void> {
    try {
      const record = this.registry.get(sphereKey)
      if (!record) return request.deny()
      const inviteId = toHex(request.inviteId)
      const invite = record.invites.find((i) => i.id === inviteId)
      if (!invite) return // another member's invite: they answer it
      // blind-pairing delivers a request again while it waits for the answer: the one
      // being answered answers it.
      if (this.admitting.has(inviteId)) return
      const userData = request.open(fromHex(invite.publicKey))
      if (!userData) return request.deny()
      const ask = c.decode(joinRequest, userData)
      if (!verify(ask.proof, writerBindingMessage(this.sphereDiscoveryKey(record), ask.writer), ask.identity)) {
        return request.deny()
      }
      if (invite.used !== null) {
        // The same person asking again (their answer was lost): the same answer. Anyone else: used.
        if (invite.usedBy !== toHex(ask.identity)) return request.deny()
        return request.confirm(this.joinAnswer(record, invite, (await this.sphere(record)).newest))
      }
      if (invite.expires !== 0 && invite.expires <= this.clock()) return request.deny()
      const name = ask.name.trim().slice(0, 200) || 'member'
      this.admitting.add(inviteId)
      let newest: EpochHandle
      try {
        newest = await this.locked(sphereKey, async () => {
          const chain = await this.sphere(record)
          const handle = chain.newest
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
        const latest = this.registry.get(sphereKey) ?? record
        await this.registry.put({
          ...latest,
          invites: latest.invites.map((i) =>
            i.id === inviteId ? { ...i, used: this.clock(), usedBy: toHex(ask.identity) } : i
          )
        })
      } finally {
        this.admitting.delete(inviteId)
      }
      request.confirm(this.joinAnswer(record, invite, newest))
    } catch {
      // blind-pairing swallows errors in onadd and hangs the flow: answer instead.
      request.deny()
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
      throw CosmicError.INVITE_INVALID(
        `the invite expired at ${new Date(decoded.expires).toISOString()}; ask for a new one`
      )
    }
    for (const record of this.registry.list()) {
      if (b4a.equals(this.sphereDiscoveryKey(record), decoded.discoveryKey)) {
        throw CosmicError.INVITE_INVALID(`this home is already in ${record.name}`)
      }
    }
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
    const timeout = options.timeout ?? DEFAULT_JOIN_TIMEOUT_MS
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
    let timer: NodeJS.Timeout | undefined
    const deadline = (ms: number) =>
      new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), ms)
      })
    const started = this.clock()
    const result = await Promise.race([candidate.pairing, deadline(timeout)]).finally(() => clearTimeout(timer))
    if (!result) {
      await candidate.close().catch(() => {})
      throw CosmicError.PAIRING_FAILED(
        `no member answered within ${Math.round(timeout / 1000)} s, or the invite was refused (used, expired or revoked). The member who made it must be online: cosmic sync, or cosmic serve`
      )
    }
    const { sphere, encryptionKey } = await openJoined(result)
    const left = Math.max(5_000, timeout - (this.clock() - started))
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
