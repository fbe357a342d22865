import b4a from 'b4a'
import { CosmicError } from '../errors.js'
import type { EventBody } from '../events/catalog.js'
import { toHex } from '../events/crypto.js'
import type { SignedEvent } from '../events/envelope.js'
import type { SphereEventType } from '../events/sphere.js'
import { type EpochKeys, sealEpochKeys } from './epoch-keys.js'
import type { FacetItem, FeedItem, MemberRecord, Rejection, Rotation, Sphere, SphereMeta } from './sphere.js'

/** One epoch of a sphere as this device holds it: the Autobase and the encryption key it was opened with. */
export interface EpochHandle {
  readonly epoch: number
  readonly sphere: Sphere
  readonly encryptionKey: Uint8Array
}

export type ChainFeedItem = FeedItem & { readonly epoch: number }
export type ChainRejection = Rejection & { readonly epoch: number }

/** Where this device stands with the sphere's newest key. */
export interface KeyState {
  /** The newest epoch this device holds the keys of. */
  readonly epoch: number
  /** When that epoch began (its key rotation), null for epoch 0. */
  readonly rotated: number | null
  /** This device holds the newest key but no member has admitted its device into that epoch yet. */
  readonly pending: boolean
  /** The sphere moved to a key this device was not given (it was removed, or left). */
  readonly leftBehind: boolean
}

/**
 * A sphere across its epochs (src/swarm/sphere.ts): what a person reads as one sphere.
 * Writes go to the newest epoch; the feed, shared facets and withdrawals read across
 * all of them; membership is the newest epoch's (as far as it has arrived). An earlier
 * epoch's item withdrawn in a later epoch (`withdrawn/<id>/<member>`) is hidden when
 * the member who withdrew it is its author, the same rule as within an epoch.
 */
export class SphereChain {
  private readonly list: EpochHandle[]

  constructor(
    /** The sphere's key: its epoch 0's Autobase key (hex). */
    readonly key: string,
    epochs: readonly EpochHandle[]
  ) {
    if (epochs.length === 0) throw CosmicError.INTERNAL('a sphere has at least epoch 0')
    this.list = [...epochs]
  }

  get epochs(): readonly EpochHandle[] {
    return this.list
  }

  get newest(): EpochHandle {
    return this.list[this.list.length - 1] as EpochHandle
  }

  /** Spheres adds an epoch once this device follows a rotation. */
  push(handle: EpochHandle): void {
    if (handle.epoch !== this.newest.epoch + 1) {
      throw CosmicError.INTERNAL(`epoch ${handle.epoch} does not follow epoch ${this.newest.epoch}`)
    }
    this.list.push(handle)
  }

  /** Drops the epochs after `epoch` (a successor that lost to another rotation); returns them. */
  truncate(epoch: number): EpochHandle[] {
    return this.list.splice(epoch + 1)
  }

  get current(): Sphere {
    return this.newest.sphere
  }

  get me(): string {
    return this.current.me
  }

  get writable(): boolean {
    return this.current.writable
  }

  /** The newest epoch's Autobase (what a seeder is asked to keep, and what joiners pair into). */
  get base(): Sphere['base'] {
    return this.current.base
  }

  get writerKey(): Uint8Array {
    return this.current.writerKey
  }

  /** A version of every epoch's view: it changes when any of them does (the match index cache). */
  get viewVersion(): string {
    return this.list.map((e) => `${e.sphere.base.view.core.fork}:${e.sphere.base.view.version}`).join('/')
  }

  get<T>(key: string): Promise<T | null> {
    return this.current.get<T>(key)
  }

  async update(): Promise<void> {
    for (const e of this.list) await e.sphere.update()
  }

  /** The newest epoch whose view has arrived on this device (a successor replicates after its keys). */
  async readable(): Promise<EpochHandle> {
    for (let i = this.list.length - 1; i > 0; i--) {
      const e = this.list[i] as EpochHandle
      if (await e.sphere.meta()) return e
    }
    return this.list[0] as EpochHandle
  }

  async keyState(): Promise<KeyState> {
    const newest = this.newest
    const started = newest.epoch > 0 ? await newest.sphere.started() : null
    // Holding the newest key without writing there: a member of it whose device is not
    // admitted yet, or one whose view has not arrived yet.
    const pending =
      !newest.sphere.writable &&
      ((await newest.sphere.member(this.me)) !== null || (await newest.sphere.meta()) === null)
    const moved = await newest.sphere.rotation()
    return {
      epoch: newest.epoch,
      rotated: started?.at ?? null,
      pending: pending && newest.epoch > 0,
      leftBehind: moved !== null && !moved.keys.some((k) => k.member === this.me)
    }
  }

  /** The rotation that retired the newest epoch this device holds (it was not given the next key), if any. */
  rotation(): Promise<Rotation | null> {
    return this.current.rotation()
  }

  /**
   * Shared items of earlier epochs that their authors withdrew in a later one. An id is
   * unique, so a withdrawal names one item; it counts only when its author shared it.
   */
  private async withdrawnEarlier(): Promise<Map<string, Set<string>>> {
    const claims = new Map<string, Set<string>>()
    for (const e of this.list) {
      if (e.epoch === 0) continue
      for (const w of await e.sphere.withdrawals()) {
        const by = claims.get(w.ref) ?? new Set<string>()
        by.add(w.by)
        claims.set(w.ref, by)
      }
    }
    return claims
  }

  private static hidden(claims: Map<string, Set<string>>, id: string, author: string): boolean {
    return claims.get(id)?.has(author) ?? false
  }

  /** The newest epoch's meta, with `items` counted across every epoch. */
  async meta(): Promise<(SphereMeta & { epoch: number }) | null> {
    const readable = await this.readable()
    const meta = await readable.sphere.meta()
    if (!meta) return null
    const claims = await this.withdrawnEarlier()
    let items = 0
    for (const e of this.list) items += (await e.sphere.meta())?.items ?? 0
    for (const [ref, by] of claims) {
      for (const e of this.list) {
        const item = await e.sphere.item(ref)
        if (item && by.has(item.author)) items--
      }
    }
    return { ...meta, epoch: meta.epoch ?? 0, items }
  }

  async members(): Promise<MemberRecord[]> {
    return (await this.readable()).sphere.members()
  }

  async member(member: string): Promise<MemberRecord | null> {
    return (await this.readable()).sphere.member(member)
  }

  /** Newest first across every epoch; `before` pages by time, as within one. */
  async feed(options: { limit?: number; before?: number } = {}): Promise<ChainFeedItem[]> {
    const limit = options.limit ?? 50
    const claims = await this.withdrawnEarlier()
    const out: ChainFeedItem[] = []
    for (const e of this.list) {
      // Read past the withdrawn ones so a page stays full.
      const page = await e.sphere.feed({ ...options, limit: limit + claims.size })
      for (const item of page) {
        if (SphereChain.hidden(claims, item.id, item.author)) continue
        out.push({ ...item, epoch: e.epoch })
      }
    }
    out.sort((a, b) => b.time - a.time || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    return out.slice(0, limit)
  }

  /**
   * Shared facets of current members, across epochs: a facet shared again in a later
   * epoch replaces the earlier one, and one withdrawn is gone.
   */
  async facets(member?: string): Promise<FacetItem[]> {
    const claims = await this.withdrawnEarlier()
    const current = new Set((await this.members()).map((m) => m.member))
    const byKey = new Map<string, FacetItem>()
    for (const e of this.list) {
      for (const f of await e.sphere.facets(member)) {
        byKey.set(`${f.member}/${f.dimension}/${f.facet}/${f.key.toLowerCase()}`, f)
      }
    }
    return [...byKey.values()].filter((f) => current.has(f.member) && !SphereChain.hidden(claims, f.id, f.member))
  }

  async rejected(): Promise<ChainRejection[]> {
    const out: ChainRejection[] = []
    for (const e of this.list) for (const r of await e.sphere.rejected()) out.push({ ...r, epoch: e.epoch })
    return out
  }

  /** Whether an item is in the sphere (any epoch) and not withdrawn. */
  async hasItem(id: string): Promise<boolean> {
    const claims = await this.withdrawnEarlier()
    for (const e of this.list) {
      const item = await e.sphere.item(id)
      if (item) return !SphereChain.hidden(claims, id, item.author)
    }
    return false
  }

  /**
   * Publishes into the newest epoch. While this device waits to be admitted there, or
   * after the sphere moved on without it, nothing is written: it would go out under a
   * key that members who were removed still hold.
   */
  async publish<T extends SphereEventType>(type: T, body: EventBody<T>): Promise<SignedEvent> {
    const state = await this.keyState()
    if (state.leftBehind) {
      throw CosmicError.CONFLICT(
        'the sphere moved to a new key that was not given to you: you were removed, or left (cosmic sphere list)'
      )
    }
    if (state.pending) {
      throw CosmicError.KEY_ROTATION_PENDING(
        `the sphere moved to a new key (epoch ${state.epoch}) and a member still has to admit this device into it; that happens as soon as one of them is online with this device (cosmic sync), then try again`
      )
    }
    return this.current.publish(type, body)
  }
}

/** The members an epoch starts with, as `sphere.epoch.started` carries them. */
export function epochRoster(members: readonly MemberRecord[]): EventBody<'sphere.epoch.started'>['members'] {
  return members.map((m) => ({
    member: m.member,
    name: m.name,
    admin: m.admin,
    peers: [...(m.peers ?? [])].slice(0, 64),
    since: m.since,
    addedBy: m.addedBy
  }))
}

/** The new epoch's keys sealed to each member (identity keys, hex); one that cannot receive is left out and returned. */
export function sealKeysFor(
  members: readonly string[],
  keys: EpochKeys
): { keys: { member: string; box: string }[]; unreachable: string[] } {
  const out: { member: string; box: string }[] = []
  const unreachable: string[] = []
  for (const member of members) {
    const box = sealEpochKeys(b4a.from(member, 'hex') as Uint8Array, keys)
    if (box) out.push({ member, box: toHex(box) })
    else unreachable.push(member)
  }
  return { keys: out, unreachable }
}
