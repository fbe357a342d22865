import BlindPairing from 'blind-pairing'
import c from 'compact-encoding'
import hypercoreCrypto from 'hypercore-crypto'
import HyperDHT from 'hyperdht'
import Hyperswarm from 'hyperswarm'
import z32 from 'z32'
import { readSettings } from '../engine/settings.js'
import { CosmicError } from '../errors.js'
import { deriveKey, randomBytes, toHex } from '../events/crypto.js'
import { Home, type SyncReport } from '../store/home.js'
import { deviceKey, type KdfStrength } from '../store/vault.js'
import type { NetworkOptions } from './network.js'

/** What a new device tells the device that invited it (encrypted to the invite). */
const joinRequest = {
  preencode(state: c.State, m: { device: number; name: string }) {
    c.uint32.preencode(state, m.device)
    c.string.preencode(state, m.name)
  },
  encode(state: c.State, m: { device: number; name: string }) {
    c.uint32.encode(state, m.device)
    c.string.encode(state, m.name)
  },
  decode(state: c.State) {
    return { device: c.uint32.decode(state), name: c.string.decode(state) }
  }
}

/** The topic only the person's devices can derive (from the seed): where they find each other. */
export function devicesTopicKey(seed: Uint8Array): Uint8Array {
  return deriveKey(seed, 'devices-topic')
}

/** A device's key pair on the devices' swarm (derived: every paired device can tell the others' keys). */
export function deviceSwarmKeyPair(seed: Uint8Array, device: number): HyperDHT.KeyPair {
  return HyperDHT.keyPair(deviceKey(seed, 'device-swarm', device))
}

export interface PairInvite {
  /** The one-time code to type on the new device (z32). */
  code: string
  expires: number
}

/**
 * The person's devices, online: one Hyperswarm on a topic derived from the seed, which
 * replicates this home's Corestore (every device's journal log, encrypted at rest and on
 * the wire) only with the swarm keys of the person's own paired devices, and answers a
 * pairing invite (blind-pairing). Events that arrive are merged by `Home.follow`.
 */
export class DeviceLink {
  readonly swarm: Hyperswarm
  readonly pairing: BlindPairing
  private readonly topic: Uint8Array
  private stopFollowing: (() => void) | null = null
  private readonly connections = new Set<Hyperswarm.Connection>()
  private readonly listeners = new Set<(report: SyncReport) => void>()
  /** Invites this link answers (closed with it: closing one right after confirming would drop the answer). */
  private readonly members: BlindPairing.Member[] = []

  constructor(
    readonly home: Home,
    options: NetworkOptions = {}
  ) {
    const keyPair = deviceSwarmKeyPair(home.keys.seed, home.device)
    const dht: HyperDHT.Options = { keyPair }
    if (options.bootstrap) dht.bootstrap = options.bootstrap.map((b) => ({ host: b.host, port: b.port }))
    if (options.host) dht.host = options.host
    if (options.firewalled !== undefined) dht.firewalled = options.firewalled
    this.swarm = new Hyperswarm({ dht: new HyperDHT(dht), keyPair })
    this.pairing = new BlindPairing(this.swarm, { poll: options.pairingPoll ?? 2000 })
    this.topic = hypercoreCrypto.discoveryKey(devicesTopicKey(home.keys.seed))
    this.swarm.on('connection', (conn) => {
      conn.on('error', () => {})
      if (!this.allowed().has(toHex(conn.remotePublicKey))) return // pairing only
      this.connections.add(conn)
      conn.once('close', () => this.connections.delete(conn))
      this.home.store.replicate(conn)
    })
  }

  /** Swarm keys of the person's other devices (device 0 and every paired one), less the removed ones. */
  allowed(): Set<string> {
    const devices = new Set<number>([0])
    const rows = this.home.readModel.db
      .prepare<[], { device: number; removed_seq: number | null }>('SELECT device, removed_seq FROM devices')
      .all()
    for (const { device } of rows) devices.add(device)
    for (const { device, removed_seq } of rows) if (removed_seq !== null) devices.delete(device)
    devices.delete(this.home.device)
    return new Set([...devices].map((d) => toHex(deviceSwarmKeyPair(this.home.keys.seed, d).publicKey)))
  }

  /**
   * Joins the devices' topic and merges what the other devices write, as it arrives.
   * Refused in local mode or with sync_enabled false: then nothing joins or is announced.
   */
  async start(options: { joining?: boolean } = {}): Promise<void> {
    const settings = readSettings(this.home.readModel.db)
    // `joining`: the person just ran `device join` (their consent for this exchange); the new home
    // learns their settings from the journal it fetches, and they apply from then on.
    if (!options.joining && (settings.mode === 'local' || !settings.sync)) {
      // The swarm bound its sockets when the link was made: a refused link keeps nothing open.
      await this.close()
      throw CosmicError.NETWORK_REFUSED(
        `syncing with your devices needs the network, and this home keeps everything on the device (mirror_mode ${settings.mode}, sync_enabled ${settings.sync}). To allow it: cosmic config set mirror_mode hybrid sync_enabled true`
      )
    }
    this.swarm.join(this.topic, { server: true, client: true })
    await this.swarm.flush()
    this.stopFollowing = this.home.follow((report) => {
      for (const l of this.listeners) l(report)
    })
  }

  onSync(listener: (report: SyncReport) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get peers(): number {
    return this.connections.size
  }

  /**
   * A one-time invite for a new device. When it joins, this device records
   * `device.paired` in the journal and hands it the identity's seed, encrypted to the
   * invite (blind-pairing): that seed is the person's whole identity, so the code is as
   * secret as the recovery phrase, for its few minutes.
   */
  invite(
    options: { expires?: number; onPaired?: (device: { device: number; name: string }) => void } = {}
  ): PairInvite {
    const topicKey = devicesTopicKey(this.home.keys.seed)
    const expires = options.expires ?? Date.now() + 10 * 60_000
    // Who invites: the new device opens this device's log and replicates with it from the start.
    const me = { device: this.home.device, name: this.name() }
    const created = BlindPairing.createInvite(topicKey, { expires, data: c.encode(joinRequest, me) })
    let used = false
    const member = this.pairing.addMember({
      discoveryKey: created.discoveryKey,
      onadd: async (request) => {
        if (!request.inviteId || toHex(request.inviteId) !== toHex(created.id)) return
        let userData: Uint8Array
        try {
          userData = request.open(created.publicKey)
        } catch {
          return // not a request for this invite (a deny needs an opened request)
        }
        if (!userData || used || Date.now() > expires) return request.deny()
        let ask: { device: number; name: string }
        try {
          ask = c.decode(joinRequest, userData)
        } catch {
          return request.deny()
        }
        const known = this.home.readModel.db
          .prepare<[number], { device: number }>('SELECT device FROM devices WHERE device = ?')
          .get(ask.device)
        if (ask.device === 0 || ask.device === this.home.device || known || ask.name.trim() === '') {
          return request.deny()
        }
        used = true
        await this.home.append([{ type: 'device.paired', body: { device: ask.device, name: ask.name.slice(0, 200) } }])
        await this.home.openKnownLogs()
        request.confirm({ key: topicKey, encryptionKey: this.home.keys.seed, additional: created.additional })
        options.onPaired?.(ask)
      }
    })
    this.members.push(member)
    return { code: z32.encode(created.invite), expires }
  }

  /** What the other devices call this one. */
  name(): string {
    if (this.home.device === 0) return 'first device'
    const row = this.home.readModel.db
      .prepare<[number], { name: string }>('SELECT name FROM devices WHERE device = ?')
      .get(this.home.device)
    return row?.name ?? `device ${this.home.device}`
  }

  async close(): Promise<void> {
    this.stopFollowing?.()
    this.stopFollowing = null
    for (const member of this.members) await member.close().catch(() => {})
    await this.pairing.close().catch(() => {})
    await this.swarm.destroy().catch(() => {})
  }
}

export interface JoinOptions extends NetworkOptions {
  /** Where the new home goes (must not exist or be empty). */
  path: string
  passphrase: string
  /** What the other devices call this one. */
  name: string
  kdf?: KdfStrength
  /** How long to wait for the inviting device, ms (default 2 minutes). */
  timeout?: number
}

/**
 * Joins the person's devices with an invite code from `cosmic device pair`: receives the
 * seed (encrypted to the invite), creates this device's home as a new device number,
 * and returns it open; `DeviceLink` then replicates and merges the journal.
 */
export async function joinDevices(
  code: string,
  options: JoinOptions
): Promise<{ home: Home; device: number; inviter: number }> {
  let invite: Uint8Array
  try {
    invite = z32.decode(code.trim())
    BlindPairing.decodeInvite(invite)
  } catch {
    throw CosmicError.INVITE_INVALID(
      'that is not a device invite code (copy the whole code `cosmic device pair` printed)'
    )
  }
  const device = randomDeviceNumber()
  const dht: HyperDHT.Options = {}
  if (options.bootstrap) dht.bootstrap = options.bootstrap.map((b) => ({ host: b.host, port: b.port }))
  if (options.host) dht.host = options.host
  if (options.firewalled !== undefined) dht.firewalled = options.firewalled
  const swarm = new Hyperswarm({ dht: new HyperDHT(dht) })
  const pairing = new BlindPairing(swarm, { poll: options.pairingPoll ?? 2000 })
  let seed: Uint8Array | null = null
  let inviter: { device: number; name: string } | null = null
  try {
    const candidate = pairing.addCandidate({ invite, userData: c.encode(joinRequest, { device, name: options.name }) })
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), options.timeout ?? 120_000)
    })
    let result: BlindPairing.PairingResult | null
    try {
      result = await Promise.race([candidate.pairing, timeout])
    } catch (err) {
      throw CosmicError.PAIRING_FAILED(`the invite was refused: ${(err as Error).message}`)
    } finally {
      clearTimeout(timer)
      await candidate.close().catch(() => {})
    }
    if (!result) {
      throw CosmicError.PAIRING_FAILED(
        'no answer from the inviting device: is `cosmic device pair` still running there, and the code not expired?'
      )
    }
    if (!result.encryptionKey) throw CosmicError.PAIRING_FAILED('the inviting device sent no identity')
    seed = result.encryptionKey
    if (result.data) {
      try {
        inviter = c.decode(joinRequest, result.data)
      } catch {
        inviter = null
      }
    }
  } finally {
    await pairing.close().catch(() => {})
    await swarm.destroy().catch(() => {})
  }
  await Home.init(options.path, {
    passphrase: options.passphrase,
    seed,
    device,
    ...(options.kdf ? { kdf: options.kdf } : {})
  })
  const home = await Home.open(options.path, options.passphrase)
  if (inviter && inviter.device !== 0 && inviter.device !== device) {
    // This device's journal names the device that invited it, so it opens that log and replicates with it
    // before it has merged the log where the inviter's own pairing is written (device 0 is always known).
    await home.append([{ type: 'device.paired', body: { device: inviter.device, name: inviter.name || 'a device' } }])
    await home.openKnownLogs()
  }
  return { home, device, inviter: inviter?.device ?? 0 }
}

function randomDeviceNumber(): number {
  const bytes = randomBytes(4)
  const n =
    ((bytes[0] as number) << 24) | ((bytes[1] as number) << 16) | ((bytes[2] as number) << 8) | (bytes[3] as number)
  return ((n >>> 0) % 0xffff_fffe) + 1
}

/**
 * A device link opened on first use and kept for the holder's lifetime (`cosmic serve`):
 * `get` starts it (refused in local mode or with sync off); `close` stops it if it ran.
 */
export function lazyDevices(
  home: Home,
  options: NetworkOptions = {}
): { get: () => Promise<DeviceLink>; close: () => Promise<void>; started: () => boolean } {
  let link: Promise<DeviceLink> | null = null
  return {
    get() {
      if (!link) {
        const opening = (async () => {
          const l = new DeviceLink(home, options)
          try {
            await l.start()
          } catch (err) {
            await l.close()
            throw err
          }
          return l
        })()
        opening.catch(() => {
          link = null
        })
        link = opening
      }
      return link
    },
    async close() {
      if (link) await (await link.catch(() => null))?.close()
      link = null
    },
    started: () => link !== null
  }
}

/** Whether this home has another device to keep in step with (device 0 counts on a paired device). */
export function hasOtherDevices(home: Home): boolean {
  if (home.device !== 0) return true
  const row = home.readModel.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM devices WHERE device != 0').get()
  return (row?.n ?? 0) > 0
}
