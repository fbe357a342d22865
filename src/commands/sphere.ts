import { CosmicError } from '../errors.js'
import { toHex } from '../events/crypto.js'
import { listShares, type ShareRow } from '../projections/shares.js'
import type { PeerStatus } from '../swarm/network.js'
import type { MemberRecord } from '../swarm/sphere.js'
import type { ChainFeedItem, ChainRejection } from '../swarm/sphere-chain.js'
import type { InviteResult, RotationResult, SphereSummary, Spheres } from '../swarm/spheres.js'
import { type CommandContext, defineCommand } from './command.js'
import { formatTime, plural, shortId } from './format.js'
import { parseTime, type TimeInput } from './history.js'

/** The spheres of the command's home: opened by whoever runs the command (the CLI, or `serve` with its swarm). */
export async function spheresOf(ctx: CommandContext): Promise<Spheres> {
  if (!ctx.spheres) throw CosmicError.INTERNAL('this runner has no spheres')
  return ctx.spheres()
}

/** Where the sphere's key stands, for a person: which epoch, since when, and what this device waits for. */
function renderKey(s: Pick<SphereSummary, 'epoch' | 'rotated' | 'pending' | 'leftBehind'>): string {
  if (s.leftBehind) return 'the sphere moved to a new key without you'
  const epoch = s.epoch === 0 ? 'key 0 (never rotated)' : `key ${s.epoch}, rotated ${formatTime(s.rotated ?? 0)}`
  return s.pending ? `${epoch}; this device waits for a member to admit it` : epoch
}

function renderSphere(s: SphereSummary): string {
  return `${s.name}  ${s.key.slice(0, 12)}  ${s.role}, ${plural(s.members, 'member')}, ${plural(s.items, 'shared item')}${
    s.writable || s.pending ? '' : '  (not a member any more)'
  }${s.openInvites ? `, ${plural(s.openInvites, 'open invite')}` : ''}; ${renderKey(s)}${
    s.keyProblem ? `\n  the newest key could not be followed: ${s.keyProblem}` : ''
  }`
}

export const sphereCreate = defineCommand<{ name: string }, SphereSummary>({
  name: 'sphere create',
  summary: 'create a sphere (a shared space you invite people into); nothing leaves the device until you share',
  async run(ctx, input) {
    return (await spheresOf(ctx)).create(input.name)
  },
  render(s) {
    return [
      `Created ${renderSphere(s)}`,
      `Invite someone: cosmic sphere invite ${s.key.slice(0, 12)}   Share an entry: cosmic share ID --sphere ${s.key.slice(0, 12)}`
    ].join('\n')
  }
})

export const sphereList = defineCommand<Record<string, never>, { spheres: SphereSummary[] }>({
  name: 'sphere list',
  summary: 'the spheres this home is in',
  async run(ctx) {
    return { spheres: await (await spheresOf(ctx)).list() }
  },
  render(o) {
    if (o.spheres.length === 0)
      return 'No spheres yet. Create one: cosmic sphere create NAME, or join one: cosmic sphere join CODE'
    return o.spheres.map(renderSphere).join('\n')
  }
})

export interface InviteInput {
  sphere: string
  /** How long the invite stays valid, ms. */
  expiresIn?: number
}

export const sphereInvite = defineCommand<InviteInput, InviteResult & { online: boolean }>({
  name: 'sphere invite',
  summary: 'make a one-time invite code; whoever holds it joins while a member is online',
  async run(ctx, input) {
    const spheres = await spheresOf(ctx)
    const invite = await spheres.invite(
      input.sphere,
      input.expiresIn !== undefined ? { expiresIn: input.expiresIn } : {}
    )
    return { ...invite, online: spheres.online }
  },
  render(o) {
    return [
      'Give this one-time code to the person you invite (it works once, until',
      `${formatTime(o.expires)}):`,
      '',
      `  cosmic sphere join ${o.code}`,
      '',
      o.online
        ? 'This device is online and will admit them.'
        : 'A member must be online when they join: keep `cosmic sync` or `cosmic serve` running.'
    ].join('\n')
  }
})

export const sphereJoin = defineCommand<{ code: string; timeout?: number; name?: string }, SphereSummary>({
  name: 'sphere join',
  summary: 'join a sphere with an invite code (a member must be online)',
  async run(ctx, input) {
    const spheres = await spheresOf(ctx)
    return spheres.join(input.code, {
      ...(input.timeout !== undefined ? { timeout: input.timeout } : {}),
      ...(input.name !== undefined ? { name: input.name } : {})
    })
  },
  render(s) {
    return `Joined ${renderSphere(s)}\nSee it: cosmic sphere feed ${s.key.slice(0, 12)}`
  }
})

export interface MembersOutput {
  sphere: string
  name: string
  /** The epoch (key) the members are read from: the newest one that reached this device. */
  epoch: number
  rotated: number | null
  pending: boolean
  leftBehind: boolean
  members: MemberRecord[]
  rejected: ChainRejection[]
}

export const sphereMembers = defineCommand<{ sphere: string }, MembersOutput>({
  name: 'sphere members',
  summary: "who is in a sphere, its key's epoch, and anything its log refused (forged or not from a member)",
  async run(ctx, input) {
    const { record, sphere } = await (await spheresOf(ctx)).get(input.sphere)
    await sphere.update()
    return {
      sphere: record.key,
      name: (await sphere.meta())?.name ?? record.name,
      ...(await sphere.keyState()),
      members: await sphere.members(),
      rejected: await sphere.rejected()
    }
  },
  render(o) {
    const lines = [`${o.name}: ${plural(o.members.length, 'member')}; ${renderKey(o)}`]
    for (const m of o.members) {
      lines.push(
        `  ${m.name}${m.admin ? ' (admin)' : ''}  ${m.member.slice(0, 12)}  since ${formatTime(m.since)}, ${
          m.writers.length === 0
            ? 'holds the new key; their device is not admitted into it yet'
            : plural(m.writers.length, 'device')
        }`
      )
    }
    if (o.rejected.length > 0) {
      lines.push(`${plural(o.rejected.length, 'envelope')} refused by the sphere's rules:`)
      for (const r of o.rejected.slice(-10))
        lines.push(`  ${r.type ?? '?'} from ${(r.author ?? r.writer).slice(0, 12)}: ${r.reason}`)
    }
    return lines.join('\n')
  }
})

export interface RemoveOutput {
  removed: string
  /** The epoch the sphere moved to: a key the removed member never received. */
  epoch: number
  /** Members the new key was sealed to. */
  members: number
}

export const sphereRemove = defineCommand<{ sphere: string; member: string; reason?: string }, RemoveOutput>({
  name: 'sphere remove',
  summary:
    'remove a member (admins only) and move the sphere to a new key they never receive; what they received stays with them',
  async run(ctx, input) {
    const spheres = await spheresOf(ctx)
    const { sphere } = await spheres.get(input.sphere)
    const member = await spheres.resolveMember(sphere, input.member)
    const { removed, rotation } = await spheres.remove(input.sphere, member, input.reason)
    return { removed, epoch: rotation.epoch, members: rotation.members }
  },
  render(o) {
    return [
      `Removed ${o.removed.slice(0, 12)}, and rotated the sphere's key: from now on it is shared under key ${o.epoch}, sealed to ${
        o.members === 1 ? 'you alone' : `the ${o.members} members who stay`
      }. They cannot read anything shared from now on, even if its ciphertext reaches them.`,
      "Members' devices follow the new key by themselves. What the removed member already received cannot be recalled."
    ].join('\n')
  }
})

export const sphereRotate = defineCommand<{ sphere: string }, RotationResult>({
  name: 'sphere rotate',
  summary:
    'move a sphere to a new key now (admins only): anyone holding an old key, a former member or a lost device, cannot read what is shared afterwards',
  async run(ctx, input) {
    return (await spheresOf(ctx)).rotate(input.sphere)
  },
  render(o) {
    return [
      `Rotated the key of ${o.sphere.slice(0, 12)}: it is now shared under key ${o.epoch}, sealed to its ${plural(o.members, 'member')}.`,
      "Members' devices follow the new key by themselves; what was shared before stays readable to whoever held the old key."
    ].join('\n')
  }
})

export const sphereLeave = defineCommand<{ sphere: string }, { left: string; told: boolean }>({
  name: 'sphere leave',
  summary: 'leave a sphere and delete its data and keys from this device; the others move it to a new key',
  async run(ctx, input) {
    const spheres = await spheresOf(ctx)
    const record = spheres.registry.resolve(input.sphere)
    const { told } = await spheres.leave(input.sphere)
    return { left: record.key, told }
  },
  render(o) {
    return [
      `Left ${o.left.slice(0, 12)}; its keys are forgotten and its data cleared from this device. What you shared stays with its members.`,
      o.told
        ? "The members were told; an admin's device moves the sphere to a new key you never receive as soon as it sees that you left."
        : 'You were its last member.'
    ].join('\n')
  }
})

export const sphereFeed = defineCommand<{ sphere: string; limit?: number }, { sphere: string; items: ChainFeedItem[] }>(
  {
    name: 'sphere feed',
    summary: 'what members shared and posted, newest first',
    async run(ctx, input) {
      const limit = input.limit ?? 20
      if (!Number.isSafeInteger(limit) || limit < 1) throw CosmicError.INVALID_INPUT('--limit must be 1 or more')
      const { record, sphere } = await (await spheresOf(ctx)).get(input.sphere)
      await sphere.update()
      return { sphere: record.key, items: await sphere.feed({ limit }) }
    },
    render(o) {
      if (o.items.length === 0) return 'Nothing shared here yet.'
      return o.items
        .map((i) => {
          const head = `${formatTime(i.time)}  ${i.authorName}  ${shortId(i.id)}`
          if (i.type === 'sphere.summary.shared') {
            const b = i.body as { entries: number; themes: { name: string; count: number }[] }
            return `${head}  patterns: ${plural(b.entries, 'entry', 'entries')}; ${b.themes
              .slice(0, 5)
              .map((t) => `${t.name} ${t.count}`)
              .join(', ')}`
          }
          const b = i.body as { text: string; replyTo?: string }
          const kind =
            i.type === 'sphere.post' ? (b.replyTo ? `reply to ${shortId(b.replyTo)}` : 'post') : 'shared entry'
          return `${head}  ${kind}\n    ${b.text.replace(/\n/g, '\n    ')}`
        })
        .join('\n')
    }
  }
)

export const spherePost = defineCommand<
  { sphere: string; text: string; replyTo?: string },
  { id: string; sphere: string }
>({
  name: 'sphere post',
  summary: 'write a post (or a reply) directly in a sphere: it is for its members, not in your private journal',
  async run(ctx, input) {
    if (!input.text.trim()) throw CosmicError.INVALID_INPUT('a post needs some text')
    const spheres = await spheresOf(ctx)
    const record = spheres.registry.resolve(input.sphere)
    const event = await spheres.post(input.sphere, input.text, input.replyTo)
    return { id: toHex(event.id), sphere: record.key }
  },
  render(o) {
    return `Posted ${shortId(o.id)} to ${o.sphere.slice(0, 12)}.`
  }
})

export interface ShareInput {
  sphere: string
  /** An entry id (or unique prefix). */
  entry?: string
  /** DIMENSION/FACET/KEY. */
  facet?: string
  /** Counts of themes and moods over shareable entries of a window. */
  patterns?: { from?: TimeInput; to?: TimeInput }
}

export interface ShareOutput {
  share: string
  item: string
  sphere: string
  kind: 'entry' | 'facet' | 'summary'
}

const DAY = 24 * 60 * 60 * 1000

export const share = defineCommand<ShareInput, ShareOutput>({
  name: 'share',
  summary:
    'publish one shareable entry, a profile facet, or pattern counts into a sphere (records consent and the share)',
  async run(ctx, input) {
    const given = [input.entry !== undefined, input.facet !== undefined, input.patterns !== undefined].filter(Boolean)
    if (given.length !== 1)
      throw CosmicError.INVALID_INPUT('share exactly one thing: an entry ID, --facet D/F/K, or --patterns')
    const spheres = await spheresOf(ctx)
    const record = spheres.registry.resolve(input.sphere)
    let result: Awaited<ReturnType<Spheres['shareEntry']>>
    let kind: ShareOutput['kind']
    if (input.entry !== undefined) {
      result = await spheres.shareEntry(input.sphere, input.entry)
      kind = 'entry'
    } else if (input.facet !== undefined) {
      result = await spheres.shareFacet(input.sphere, input.facet)
      kind = 'facet'
    } else {
      const now = Date.now()
      const to = input.patterns?.to !== undefined ? parseTime(input.patterns.to, '--to') : now
      const from = input.patterns?.from !== undefined ? parseTime(input.patterns.from, '--from') : to - 30 * DAY
      result = await spheres.sharePatterns(input.sphere, { from, to })
      kind = 'summary'
    }
    return { share: toHex(result.share.id), item: toHex(result.item.id), sphere: record.key, kind }
  },
  render(o) {
    const what = o.kind === 'summary' ? 'Pattern counts (no words)' : o.kind === 'facet' ? 'The facet' : 'The entry'
    return [
      `${what} went to sphere ${o.sphere.slice(0, 12)} as ${shortId(o.item)}; your journal records the consent and the share (${shortId(o.share)}).`,
      `Withdraw it with: cosmic unshare ${shortId(o.item)}  (members who already received it keep their copy)`
    ].join('\n')
  }
})

export const unshare = defineCommand<{ ref: string; sphere?: string }, { withdrawn: ShareRow[] }>({
  name: 'unshare',
  summary: 'withdraw a share: members hide it; what they already received cannot be recalled',
  async run(ctx, input) {
    const spheres = await spheresOf(ctx)
    return { withdrawn: await spheres.unshare(input.ref, input.sphere ? { sphere: input.sphere } : {}) }
  },
  render(o) {
    return `Withdrew ${plural(o.withdrawn.length, 'share')}. Members' apps hide it; copies they already received cannot be recalled.`
  }
})

export const sharesList = defineCommand<{ sphere?: string; all?: boolean }, { shares: ShareRow[] }>({
  name: 'shares',
  summary: 'what you have shared, into which sphere, and what you withdrew',
  async run(ctx, input) {
    const spheres = await spheresOf(ctx)
    const sphere = input.sphere ? spheres.registry.resolve(input.sphere).key : undefined
    return {
      shares: listShares(ctx.home.readModel.db, { ...(sphere ? { sphere } : {}), live: !input.all })
    }
  },
  render(o) {
    if (o.shares.length === 0) return 'Nothing shared.'
    return o.shares
      .map(
        (s) =>
          `${formatTime(s.time)}  ${s.kind.padEnd(7)} ${s.source.length === 64 ? shortId(s.source) : s.source}  -> ${s.sphere.slice(0, 12)}${
            s.retractedTime ? `  (withdrawn ${formatTime(s.retractedTime)})` : ''
          }`
      )
      .join('\n')
  }
})

export const peers = defineCommand<Record<string, never>, { online: boolean; peers: PeerStatus[] }>({
  name: 'peers',
  summary: 'who this device is connected to, per sphere (only while `cosmic sync` or `cosmic serve` runs)',
  async run(ctx) {
    const spheres = await spheresOf(ctx)
    return { online: spheres.online, peers: spheres.peers() }
  },
  render(o) {
    if (!o.online) return 'Offline: nothing is joined. `cosmic sync` (or `cosmic serve` with sync_enabled) goes online.'
    if (o.peers.length === 0) return 'Online, no peers connected yet.'
    return o.peers
      .map((p) => `${p.peer.slice(0, 12)}  ${p.initiator ? 'outgoing' : 'incoming'} since ${formatTime(p.since)}`)
      .join('\n')
  }
})

export const sphereSeed = defineCommand<
  { sphere: string; seeder: string },
  { sphere: string; seeders: string[]; memberKey: string | null; epochs: string[] }
>({
  name: 'sphere seed',
  summary:
    'ask a seeder (`cosmic seed`) to keep this sphere available while members are offline; it never gets the key',
  async run(ctx, input) {
    return (await spheresOf(ctx)).addSeeder(input.sphere, input.seeder)
  },
  render(o) {
    return [
      `Sphere ${o.sphere.slice(0, 12)} is kept by ${plural(o.seeders.length, 'seeder')} (ciphertext only).`,
      o.memberKey
        ? `This device connects to seeders as ${o.memberKey} (for a seeder's --member list).`
        : 'Seeding starts when this device is online (cosmic sync, or cosmic serve).',
      o.epochs.length > 1
        ? `Its key was rotated: a seeder started with --sphere needs each epoch's key: ${o.epochs.join(' ')}`
        : ''
    ]
      .filter(Boolean)
      .join('\n')
  }
})
