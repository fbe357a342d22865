import { join } from 'node:path'
import Autobase from 'autobase'
import b4a from 'b4a'
import BlindPairing from 'blind-pairing'
import c from 'compact-encoding'
import Corestore from 'corestore'
import HyperDHT from 'hyperdht'
import z32 from 'z32'
import { readSettings } from '../engine/settings.js'
import { CosmicError } from '../errors.js'
import { validateBody } from '../events/catalog.js'
import { deriveKey, fromHex, randomBytes, toHex, verify } from '../events/crypto.js'
import type { SignedEvent } from '../events/envelope.js'
import { findEntry, getSetting, listProfile } from '../projections/queries.js'
import { type ShareRow, sharesFor } from '../projections/shares.js'
import type { Home } from '../store/home.js'
import { deviceKey } from '../store/vault.js'
import { type NetworkOptions, type PeerStatus, SwarmNode } from './network.js'
import { type InviteRecord, type SphereRecord, SphereRegistry } from './registry.js'
import { formatSeederKey, parseSeederKey, Seeding, seedAutobase } from './seeding.js'
import { Sphere, signWriterBinding, writerBindingMessage } from './sphere.js'

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
}

export interface InviteResult {
  sphere: string
  code: string
  id: string
  expires: number
}

/**
 * The spheres of one open home: their own Corestore (HOME/spheres, never the
 * journal's), the sealed registry of their keys, and, when the person allows the
 * network, one Hyperswarm that replicates them and answers invites.
 */
export class Spheres {
  readonly store: Corestore
  private readonly open = new Map<string, Sphere>()
  private network: SwarmNode | null = null
  private readonly members = new Map<string, BlindPairing.Member>()
  private readonly seedings = new Map<string, Seeding>()
  private readonly watched = new Set<string>()
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

  /** Opens (once) the sphere of a registry record. */
  async sphere(record: SphereRecord): Promise<Sphere> {
    const cached = this.open.get(record.key)
    if (cached) return cached
    const sphere = new Sphere(this.store.namespace(record.namespace), {
      key: fromHex(record.key),
      encryptionKey: fromHex(record.encryptionKey),
      identity: this.home.keys.identity,
      atRestKey: this.atRestKey,
      testing: this.options.testing ?? false,
      clock: this.clock
    })
    await sphere.ready()
    this.open.set(record.key, sphere)
    return sphere
  }

  async get(ref: string): Promise<{ record: SphereRecord; sphere: Sphere }> {
    const record = this.registry.resolve(ref)
    return { record, sphere: await this.sphere(record) }
  }

  async list(): Promise<SphereSummary[]> {
    const out: SphereSummary[] = []
    const now = this.clock()
    for (const record of this.registry.list()) {
      const sphere = await this.sphere(record)
      const meta = await sphere.meta()
      out.push({
        key: record.key,
        name: meta?.name ?? record.name,
        role: record.role,
        joined: record.joined,
        members: meta?.members ?? 0,
        items: meta?.items ?? 0,
        writable: sphere.writable,
        openInvites: record.invites.filter((i) => i.used === null && (i.expires === 0 || i.expires > now)).length
      })
    }
    return out
  }

  async create(name: string): Promise<SphereSummary> {
    const trimmed = name.trim()
    if (!trimmed || trimmed.length > 200) throw CosmicError.INVALID_INPUT('a sphere name is 1 to 200 characters')
    const namespace = toHex(randomBytes(16))
    const encryptionKey = randomBytes(32)
    const sphere = new Sphere(this.store.namespace(namespace), {
      key: null,
      encryptionKey,
      identity: this.home.keys.identity,
      atRestKey: this.atRestKey,
      testing: this.options.testing ?? false,
      clock: this.clock
    })
    await sphere.ready()
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
    this.open.set(record.key, sphere)
    await this.home.append([{ type: 'sphere.joined', body: { sphere: record.key, name: trimmed, role: 'creator' } }])
    if (this.network) await this.announce(record, sphere)
    else await this.goOnlineIfAllowed()
    return (await this.list()).find((s) => s.key === record.key) as SphereSummary
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

  private async announce(record: SphereRecord, sphere: Sphere): Promise<void> {
    const network = this.network
    if (!network) return
    if (!this.watched.has(record.key)) {
      // A membership change applies to connections as soon as the view shows it.
      this.watched.add(record.key)
      sphere.base.on('update', () => void this.network?.recheck().catch(() => {}))
    }
    await network.join(sphere.discoveryKey)
    if (!this.members.has(record.key)) {
      const member = network.pairing.addMember({
        discoveryKey: sphere.discoveryKey,
        onadd: (request) => this.onJoinRequest(record.key, request)
      })
      this.members.set(record.key, member)
    }
  }

  /** Asks the sphere's seeders (if any) to keep it; one blind-peering client per set of seeders. */
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
    await seedAutobase(seeding, (await this.sphere(record)).base)
  }

  /** Adds a seeder to a sphere (its key from `cosmic seed`); seeds now when online. */
  async addSeeder(
    ref: string,
    seeder: string
  ): Promise<{ sphere: string; seeders: string[]; memberKey: string | null }> {
    const record = this.registry.resolve(ref)
    const key = formatSeederKey(parseSeederKey(seeder))
    const seeders = [...new Set([...(record.seeders ?? []), key])]
    const updated = { ...record, seeders }
    await this.registry.put(updated)
    await this.seedMaybe(updated)
    await this.network?.recheck()
    const memberKey = this.network ? formatSeederKey(this.network.swarm.dht.defaultKeyPair.publicKey) : null
    return { sphere: record.key, seeders, memberKey }
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
   */
  private async replicationGate(): Promise<(peer: string) => boolean> {
    if (this.joining > 0) return () => true
    const allowed = new Set<string>()
    for (const record of this.registry.list()) {
      for (const seeder of record.seeders ?? []) allowed.add(toHex(parseSeederKey(seeder)))
      const sphere = this.open.get(record.key)
      if (!sphere) continue
      for (const member of await sphere.members()) {
        if (member.member !== sphere.me) for (const peer of member.peers ?? []) allowed.add(peer)
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
    if (!sphere.writable) throw CosmicError.CONFLICT(`you are no longer a member of ${record.name}`)
    const ttl = options.expiresIn ?? DEFAULT_INVITE_TTL_MS
    if (!Number.isSafeInteger(ttl) || ttl <= 0) throw CosmicError.INVALID_INPUT('--expires must be a positive duration')
    const expires = this.clock() + ttl
    const created = BlindPairing.createInvite(sphere.key, { expires })
    const invite: InviteRecord = {
      id: toHex(created.id),
      publicKey: toHex(created.publicKey),
      created: this.clock(),
      expires,
      used: null,
      usedBy: null
    }
    const fresh = this.registry.get(record.key) ?? record
    await this.registry.put({ ...fresh, invites: [...fresh.invites, invite] })
    return { sphere: record.key, code: z32.encode(created.invite), id: invite.id, expires }
  }

  /** A member's side of pairing: a one-time, unexpired invite admits the candidate who holds it. */
  private async onJoinRequest(sphereKey: string, request: BlindPairing.MemberRequest): Promise<void> {
    try {
      const record = this.registry.get(sphereKey)
      if (!record) return request.deny()
      const inviteId = toHex(request.inviteId)
      const invite = record.invites.find((i) => i.id === inviteId)
      if (!invite) return // another member's invite: they answer it
      if (invite.used !== null || (invite.expires !== 0 && invite.expires <= this.clock())) return request.deny()
      const userData = request.open(fromHex(invite.publicKey))
      if (!userData) return request.deny()
      const ask = c.decode(joinRequest, userData)
      const sphere = await this.sphere(record)
      if (!verify(ask.proof, writerBindingMessage(sphere.discoveryKey, ask.writer), ask.identity)) {
        return request.deny()
      }
      const name = ask.name.trim().slice(0, 200) || 'member'
      if (this.admitting.has(inviteId)) return request.deny()
      this.admitting.add(inviteId)
      try {
        await sphere.publish('sphere.member.added', {
          member: toHex(ask.identity),
          writer: toHex(ask.writer),
          name,
          proof: toHex(ask.proof),
          peer: toHex(ask.peer)
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
      request.confirm({ key: sphere.key, encryptionKey: fromHex(record.encryptionKey) })
    } catch {
      // blind-pairing swallows errors in onadd and hangs the flow: answer instead.
      request.deny()
    }
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
      const sphere = await this.sphere(record)
      if (b4a.equals(sphere.discoveryKey, decoded.discoveryKey)) {
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
    // Open the sphere the moment a member answers, while the pairing connection is
    // up: the member is reachable on it, and the sphere's cores replicate over it.
    let opening: Promise<{ record: SphereRecord; sphere: Sphere }> | null = null
    const openJoined = (result: BlindPairing.PairingResult) => {
      opening ??= (async () => {
        if (!result.encryptionKey) throw CosmicError.PAIRING_FAILED('the member answered without the sphere key')
        const record: SphereRecord = {
          key: toHex(result.key),
          encryptionKey: toHex(result.encryptionKey),
          namespace,
          name: 'sphere',
          role: 'member',
          joined: this.clock(),
          invites: []
        }
        const sphere = await this.sphere(record)
        await this.announce(record, sphere)
        return { record, sphere }
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
    const { record, sphere } = await openJoined(result)
    const left = Math.max(5_000, timeout - (this.clock() - started))
    const writable = await Promise.race([sphere.base.waitForWritable(), deadline(left)]).finally(() =>
      clearTimeout(timer)
    )
    await candidate.close().catch(() => {})
    if (!writable) {
      this.open.delete(record.key)
      await sphere.close().catch(() => {})
      throw CosmicError.PAIRING_FAILED('the member admitted you, but their sphere did not replicate in time: try again')
    }
    await sphere.update()
    const meta = await sphere.meta()
    record.name = meta?.name ?? record.name
    await this.registry.put(record)
    await this.home.append([{ type: 'sphere.joined', body: { sphere: record.key, name: record.name, role: 'member' } }])
    return (await this.list()).find((s) => s.key === record.key) as SphereSummary
  }

  // -------------------------------------------------------------------------
  // Membership

  async remove(ref: string, member: string, reason?: string): Promise<void> {
    const { record, sphere } = await this.get(ref)
    const target = await this.resolveMember(sphere, member)
    if (target === sphere.me) throw CosmicError.INVALID_INPUT('to leave a sphere yourself: cosmic sphere leave ID')
    const me = await sphere.member(sphere.me)
    if (!me?.admin) throw CosmicError.CONFLICT(`only an admin of ${record.name} removes members`)
    await sphere.publish('sphere.member.removed', reason ? { member: target, reason } : { member: target })
    await this.network?.recheck()
    const rejected = (await sphere.rejected()).at(-1)
    if (await sphere.member(target)) {
      throw CosmicError.CONFLICT(`the sphere refused the removal: ${rejected?.reason ?? 'unknown reason'}`)
    }
  }

  async resolveMember(sphere: Sphere, ref: string): Promise<string> {
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
   * member), then forgets the sphere's key and deletes its local data. What the others
   * received stays with them.
   */
  async leave(ref: string): Promise<void> {
    const { record, sphere } = await this.get(ref)
    const members = await sphere.members()
    if (sphere.writable && members.length > 1) {
      await sphere.publish('sphere.member.left', {})
      if (this.network) await this.network.flush().catch(() => {})
    }
    const member = this.members.get(record.key)
    this.members.delete(record.key)
    await member?.close().catch(() => {})
    if (this.network) await this.network.leave(sphere.discoveryKey).catch(() => {})
    // The cores this device holds for the sphere: every member's writer (its own too) and the view.
    const cores = new Set<string>([toHex(sphere.writerKey), ...members.flatMap((m) => m.writers)])
    const viewKey = sphere.base.view.core.key
    if (viewKey) cores.add(toHex(viewKey))
    this.open.delete(record.key)
    await sphere.close()
    await this.registry.remove(record.key)
    await this.home.append([{ type: 'sphere.left', body: { sphere: record.key } }])
    await this.dropCores([...cores])
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
    sphere: Sphere,
    scope: string,
    source: string,
    kind: 'entry' | 'facet' | 'summary',
    type: T,
    body: Parameters<Sphere['publish']>[1],
    summary?: string
  ): Promise<{ share: SignedEvent; item: SignedEvent }> {
    if (!sphere.writable) throw CosmicError.CONFLICT(`you are no longer a member of ${record.name}`)
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
        const sphere = await this.sphere(record)
        if (sphere.writable && (await sphere.hasItem(row.item))) {
          await sphere.publish('sphere.share.retracted', { ref: row.item })
        }
      }
      await this.home.append([{ type: 'share.retracted', body: { ref: row.id } }])
    }
    return rows
  }

  async post(ref: string, text: string, replyTo?: string): Promise<SignedEvent> {
    const { record, sphere } = await this.get(ref)
    if (!sphere.writable) throw CosmicError.CONFLICT(`you are no longer a member of ${record.name}`)
    if (replyTo && !(await sphere.hasItem(replyTo)))
      throw CosmicError.NOT_FOUND(`no post or share ${replyTo} in ${record.name}`)
    return sphere.publish('sphere.post', replyTo ? { text, replyTo } : { text })
  }

  async close(): Promise<void> {
    await this.stopNetwork()
    for (const sphere of this.open.values()) await sphere.close().catch(() => {})
    this.open.clear()
    await this.store.close()
  }
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
