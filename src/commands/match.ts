import { CosmicError } from '../errors.js'
import { toHex } from '../events/crypto.js'
import { listFeedback } from '../projections/feedback.js'
import {
  COMPONENTS,
  type ComponentValues,
  DEFAULT_WEIGHTS,
  type FeedbackExplanation,
  FeedbackModel,
  type MatchedItem,
  type MatchResult,
  type Weights
} from '../swarm/match/index.js'
import type { SphereChain } from '../swarm/sphere-chain.js'
import { type SphereMatchIndex, sphereMatchIndex } from '../swarm/sphere-matches.js'
import type { Spheres } from '../swarm/spheres.js'
import { type CommandContext, defineCommand } from './command.js'
import { plural, shortId } from './format.js'
import { spheresOf } from './sphere.js'

/** The most results one query returns (MatchIndex's limit). */
export const MAX_MATCHES = 1000
const DEFAULT_MATCHES = 10

const SHARE_HINT = 'cosmic share --facet mind/skill/typescript --sphere'

interface Opened {
  spheres: Spheres
  sphere: SphereChain
  key: string
  name: string
  match: SphereMatchIndex
}

async function openSphere(ctx: CommandContext, ref: string): Promise<Opened> {
  const spheres = await spheresOf(ctx)
  const { record, sphere } = await spheres.get(ref)
  await sphere.update()
  const name = (await sphere.meta())?.name ?? record.name
  return { spheres, sphere, key: record.key, name, match: await sphereMatchIndex(sphere) }
}

/** Refuses a person who shares nothing matchable, with the way to share something. */
function requireProfile(opened: Opened, member: string): void {
  if (opened.match.index.has(member)) return
  if (member === opened.sphere.me) {
    throw CosmicError.NOT_FOUND(
      `you have shared no skill, interest, value, seeking or project into ${opened.name}, so there is nothing to match you on; share one first: ${SHARE_HINT} ${opened.key.slice(0, 12)}`
    )
  }
  const who = opened.match.members.get(member)?.name ?? shortId(member)
  throw CosmicError.NOT_FOUND(
    `${who} has shared no skill, interest, value, seeking or project into ${opened.name}: there is nothing to match on`
  )
}

async function requireMembership(opened: Opened): Promise<void> {
  if (!(await opened.sphere.member(opened.sphere.me))) {
    throw CosmicError.CONFLICT(`you are no longer a member of ${opened.name}`)
  }
}

/**
 * The re-ranking model of this home: learned from every `match.feedback` in the
 * journal, in journal order, starting from the default weights. It is refitted on
 * each query (a few microseconds per event) and never stored or sent anywhere.
 */
export function feedbackModel(ctx: CommandContext): FeedbackModel {
  return FeedbackModel.fromEvents(
    listFeedback(ctx.home.readModel.db).map((row) => ({
      member: row.member,
      helpful: row.helpful,
      components: row.components
    }))
  )
}

export interface MatchesInput {
  sphere: string
  /** Whose matches (a member's key, prefix or name); this home's member when not given. */
  for?: string
  /** 1 to 1000; 10 when not given. */
  limit?: number
  /** Adds the learned model (base weights, adjustments, bias, events) to the output. */
  explain?: boolean
}

export interface MatchesOutput {
  sphere: string
  name: string
  for: { member: string; name: string }
  /** Members with a matchable shared profile, the person asked for included. */
  profiles: number
  /** The weights the results were ranked and explained with. */
  weights: Weights
  /** How many feedback events the weights were learned from (0: the defaults). */
  feedback: number
  results: MatchResult[]
  model?: FeedbackExplanation
}

export const sphereMatches = defineCommand<MatchesInput, MatchesOutput>({
  name: 'sphere matches',
  summary:
    'who in a sphere matches you (shared interests, complementary skills, shared values), with why; ranked by your own feedback when you gave some',
  async run(ctx, input) {
    const limit = input.limit ?? DEFAULT_MATCHES
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_MATCHES) {
      throw CosmicError.INVALID_INPUT(`--limit must be a whole number from 1 to ${MAX_MATCHES} (got ${String(limit)})`)
    }
    const opened = await openSphere(ctx, input.sphere)
    let member = opened.sphere.me
    if (input.for !== undefined) member = await opened.spheres.resolveMember(opened.sphere, input.for)
    else await requireMembership(opened)
    requireProfile(opened, member)
    const model = feedbackModel(ctx)
    const weights = model.explain().events > 0 ? model.weights() : { ...DEFAULT_WEIGHTS }
    const results = opened.match.index.matches(member, { limit, weights })
    return {
      sphere: opened.key,
      name: opened.name,
      for: { member, name: opened.match.members.get(member)?.name ?? shortId(member) },
      profiles: opened.match.index.size,
      weights,
      feedback: model.explain().events,
      results,
      ...(input.explain ? { model: model.explain() } : {})
    }
  },
  render: renderMatches
})

export interface FeedbackInput {
  sphere: string
  /** The member (key, prefix or name) the verdict is about. */
  member: string
  helpful: boolean
}

export interface FeedbackOutput {
  /** The `match.feedback` event's id in the journal. */
  id: string
  sphere: string
  member: string
  name: string
  helpful: boolean
  /** The raw components of the match, as recorded. */
  components: ComponentValues
  /** Feedback events the model now learns from, this one included. */
  feedback: number
  /** The weights matches are ranked with from now on. */
  weights: Weights
}

export const sphereFeedback = defineCommand<FeedbackInput, FeedbackOutput>({
  name: 'sphere feedback',
  summary: 'say whether a match was helpful; your matches are re-ranked on this device by what you said',
  async run(ctx, input) {
    if (typeof input.helpful !== 'boolean') {
      throw CosmicError.INVALID_INPUT('say --helpful or --not-helpful')
    }
    const opened = await openSphere(ctx, input.sphere)
    await requireMembership(opened)
    const member = await opened.spheres.resolveMember(opened.sphere, input.member)
    if (member === opened.sphere.me) throw CosmicError.INVALID_INPUT('feedback is about other members, not yourself')
    requireProfile(opened, opened.sphere.me)
    requireProfile(opened, member)
    // Raw components under the default weights: a component the learned weights switched
    // off still reaches the model, which can then switch it back on.
    const result = opened.match.index.explainMember(opened.sphere.me, member)
    const [event] = await ctx.home.append([
      {
        type: 'match.feedback',
        body: { sphere: opened.key, member, helpful: input.helpful, components: { ...result.components } }
      }
    ])
    const model = feedbackModel(ctx)
    return {
      id: toHex((event as { id: Uint8Array }).id),
      sphere: opened.key,
      member,
      name: opened.match.members.get(member)?.name ?? shortId(member),
      helpful: input.helpful,
      components: result.components,
      feedback: model.explain().events,
      weights: model.weights()
    }
  },
  render(o) {
    return [
      `Noted: ${o.name} was ${o.helpful ? 'a helpful' : 'not a helpful'} match (${shortId(o.id)} in your journal).`,
      `Your matches are now ranked by weights learned from ${plural(o.feedback, 'feedback event')}: ${formatWeights(o.weights)}.`,
      'The model is learned on this device from your journal and never leaves it.'
    ].join('\n')
  }
})

// ---------------------------------------------------------------------------
// Text

const two = (n: number) => n.toFixed(2)

function formatWeights(w: Weights): string {
  return COMPONENTS.map((c) => `${c} ${two(w[c])}`).join(', ')
}

/** What a group of items says, by component and by which side holds which facet. */
function groupOf(result: MatchResult, item: MatchedItem): string {
  if (item.component === 'semantic') return `close to your ${item.mine.kind}`
  if (result.kind === 'project')
    return item.mine.kind === 'seeking' ? 'mentions what you seek' : 'mentions your interests'
  if (item.component === 'interests') return 'shared interests'
  if (item.component === 'values') return 'shared values'
  return item.mine.kind === 'seeking' ? 'they have what you seek' : 'they seek what you have'
}

function itemLabel(result: MatchResult, item: MatchedItem): string {
  if (item.component === 'semantic') return item.mine.label
  if (result.kind === 'project') return item.mine.label
  if (item.mine.kind === 'seeking') return `${item.theirs.label}${item.theirs.level ? ` L${item.theirs.level}` : ''}`
  if (item.mine.kind === 'skill') return `${item.mine.label}${item.mine.level ? ` L${item.mine.level}` : ''}`
  return item.theirs.label
}

/** "Ben 0.82 — shared interests: climbing (0.40), …; they have what you seek: TypeScript L4 (1.20)". */
export function renderResult(result: MatchResult): string {
  const groups = new Map<string, string[]>()
  for (const item of result.items) {
    const group = groupOf(result, item)
    const list = groups.get(group) ?? []
    list.push(`${itemLabel(result, item)} (${two(item.contribution)})`)
    groups.set(group, list)
  }
  const who = result.name ?? shortId(result.member)
  const head = result.kind === 'project' ? `project "${result.project}" by ${who}` : who
  const why = [...groups].map(([group, items]) => `${group}: ${items.join(', ')}`).join('; ')
  return `${head} ${two(result.score)} — ${why}  [${shortId(result.member)}]`
}

function renderMatches(o: MatchesOutput): string {
  const ranking =
    o.feedback > 0 ? `ranked by weights learned from ${plural(o.feedback, 'feedback event')}` : 'default weights'
  const lines = [
    `Matches for ${o.for.name} in ${o.name} (${plural(o.profiles, 'member')} shared a profile; ${ranking})`
  ]
  if (o.results.length === 0) {
    lines.push(
      '  Nobody here shares an interest or a value with you, or has a skill you seek: share more facets, or ask again as others share.'
    )
  }
  o.results.forEach((result, i) => {
    lines.push(`${String(i + 1).padStart(3)}. ${renderResult(result)}`)
    if (o.model) {
      for (const item of result.items) {
        lines.push(
          `       ${item.component.padEnd(9)} ${item.mine.label} ↔ ${item.theirs.label}: ${item.raw.toFixed(3)} × ${two(item.weight)} = ${item.contribution.toFixed(3)}`
        )
      }
    }
  })
  if (o.model) {
    const m = o.model
    const parts = COMPONENTS.map((c) => {
      const adjustment = m.adjustments[c]
      return `${c} ${two(m.weights[c])} (chosen ${m.base[c]}, learned ${adjustment >= 0 ? '+' : ''}${adjustment.toFixed(3)})`
    })
    lines.push(
      `Weights: ${parts.join(', ')}; bias ${m.bias.toFixed(3)}.`,
      m.events > 0
        ? `Learned on this device from ${plural(m.events, 'feedback event')} (${m.helpful} helpful, ${m.notHelpful} not); it never leaves it.`
        : 'No feedback yet: `cosmic sphere feedback SPHERE MEMBER --helpful` (or --not-helpful) teaches the ranking.'
    )
  }
  return lines.join('\n')
}
