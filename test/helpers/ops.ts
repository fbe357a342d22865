import fc from 'fast-check'
import type { CommandContext } from '../../src/commands/command.js'
import { amend, reflect, retract } from '../../src/commands/journal.js'
import { profileRemove, profileSet } from '../../src/commands/profile.js'
import { tensionAdd, tensionResolve, tensionShift } from '../../src/commands/tension.js'
import { allEntries, listProfile, listTensions } from '../../src/projections/queries.js'

// Random journal operations for property tests (projections, devices): what a person does.

const TAGS = ['money', 'work', 'sea', 'sam', 'rest', 'body']
const MOODS = ['calm', 'anxious', 'Tired', 'glad']
const FACETS: [string, string][] = [
  ['mind', 'skill'],
  ['mind', 'interest'],
  ['heart', 'value'],
  ['heart', 'emotion'],
  ['heart', 'relationship'],
  ['body', 'activity']
]
const words = fc.array(fc.constantFrom('sea', 'money', 'quiet', 'light', 'rent', 'Sam', 'ok'), {
  minLength: 1,
  maxLength: 6
})
const intensity = fc.integer({ min: 0, max: 20 }).map((n) => n / 20)

export type Op =
  | { op: 'reflect'; words: string[]; tags: string[]; mood: string | null; dimension: 'mind' | 'heart' | 'body' | null }
  | { op: 'amend'; pick: number; words: string[] }
  | { op: 'retract'; pick: number }
  | { op: 'mirror'; pick: number; themes: string[] }
  | { op: 'tension add'; name: number; intensity: number }
  | { op: 'tension shift'; pick: number; intensity: number }
  | { op: 'tension resolve'; pick: number }
  | { op: 'profile set'; facet: number; key: number; level: number | null }
  | { op: 'profile remove'; pick: number }
  | { op: 'wait'; hours: number }

export const operation: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('reflect' as const),
      words,
      tags: fc.subarray(TAGS),
      mood: fc.option(fc.constantFrom(...MOODS), { nil: null }),
      dimension: fc.option(fc.constantFrom('mind' as const, 'heart' as const, 'body' as const), { nil: null })
    })
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('amend' as const), pick: fc.nat(), words }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('retract' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('mirror' as const), pick: fc.nat(), themes: fc.subarray(TAGS) })
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('tension add' as const), name: fc.nat({ max: 3 }), intensity })
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('tension shift' as const), pick: fc.nat(), intensity }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tension resolve' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('profile set' as const),
      facet: fc.nat({ max: FACETS.length - 1 }),
      key: fc.nat({ max: 2 }),
      level: fc.option(fc.integer({ min: 1, max: 5 }), { nil: null })
    })
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('profile remove' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('wait' as const), hours: fc.integer({ min: 1, max: 24 * 20 }) }) }
)

export async function perform(ctx: CommandContext, op: Op, advance: (ms: number) => void): Promise<void> {
  const db = ctx.home.readModel.db
  const pick = <T>(list: T[], n: number): T | undefined => list[n % Math.max(1, list.length)]
  switch (op.op) {
    case 'reflect':
      await reflect.run(ctx, {
        text: op.words.join(' '),
        tags: op.tags,
        ...(op.mood ? { mood: op.mood } : {}),
        ...(op.dimension ? { dimension: op.dimension } : {})
      })
      return
    case 'amend': {
      const entry = pick(allEntries(db), op.pick)
      if (entry) await amend.run(ctx, { id: entry.id, text: op.words.join(' ') })
      return
    }
    case 'retract': {
      const entry = pick(allEntries(db), op.pick)
      if (entry) await retract.run(ctx, { id: entry.id })
      return
    }
    case 'mirror': {
      const entry = pick(allEntries(db), op.pick)
      if (!entry) return
      await ctx.home.append([
        {
          type: 'mirrorback.generated',
          body: {
            ref: entry.id,
            text: `mirror of ${entry.text}`,
            themes: op.themes,
            engine: { kind: 'builtin', model: 'test', promptHash: 'a'.repeat(64) }
          }
        }
      ])
      return
    }
    case 'tension add':
      await tensionAdd.run(ctx, {
        name: ['money', 'rest vs drive', 'home', 'Sam'][op.name] as string,
        poles: ['one', 'two'],
        intensity: op.intensity,
        domain: ['money', 'work', 'love'][op.name % 3] as string
      })
      return
    case 'tension shift': {
      const tension = pick(listTensions(db, { includeResolved: true }), op.pick)
      if (tension) await tensionShift.run(ctx, { id: tension.id, intensity: op.intensity })
      return
    }
    case 'tension resolve': {
      const tension = pick(listTensions(db), op.pick)
      if (tension) await tensionResolve.run(ctx, { id: tension.id, insight: 'seen' })
      return
    }
    case 'profile set': {
      const [dimension, facet] = FACETS[op.facet] as [string, string]
      await profileSet.run(ctx, {
        dimension,
        facet,
        key: ['alpha', 'Beta', 'gamma'][op.key] as string,
        ...(op.level !== null ? { level: op.level } : {})
      })
      return
    }
    case 'profile remove': {
      const facet = pick(listProfile(db), op.pick)
      if (facet) await profileRemove.run(ctx, { dimension: facet.dimension, facet: facet.facet, key: facet.key })
      return
    }
    case 'wait':
      advance(op.hours * 3_600_000)
      return
  }
}
