import { CosmicError } from '../errors.js'
import { type EventJson, eventToJson } from '../events/envelope.js'
import { checkFacet, decideRemove } from '../events/profile.js'
import { type FacetRow, hasFacet, listProfile } from '../projections/queries.js'
import { defineCommand } from './command.js'

export interface ProfileSetInput {
  dimension: string
  facet: string
  key: string
  value?: string
  level?: number
  shareable?: boolean
}

export const profileSet = defineCommand<ProfileSetInput, EventJson>({
  name: 'profile set',
  summary: 'set a facet of the whole-human profile',
  async run({ home }, input) {
    checkFacet(input.dimension, input.facet)
    const key = input.key.trim()
    if (!key) throw CosmicError.INVALID_INPUT('a facet needs a key, e.g. "typescript"')
    const body: Record<string, unknown> = { dimension: input.dimension, facet: input.facet, key }
    if (input.value !== undefined) body.value = input.value
    if (input.level !== undefined) {
      if (!Number.isInteger(input.level) || input.level < 1 || input.level > 5) {
        throw CosmicError.INVALID_INPUT('--level must be a whole number from 1 to 5')
      }
      body.level = input.level
    }
    const [event] = await home.append([
      { type: 'profile.set', body, privacy: input.shareable ? 'shareable' : 'private' }
    ])
    return eventToJson(event!)
  },
  render: (e) => {
    const b = e.body as { dimension: string; facet: string; key: string; value?: string }
    return `Set ${b.dimension}/${b.facet}/${b.key}${b.value ? ` = ${b.value}` : ''} (${e.privacy})`
  }
})

export const profileRemove = defineCommand<{ dimension: string; facet: string; key: string }, EventJson>({
  name: 'profile remove',
  summary: 'remove a facet from the profile',
  async run({ home }, input) {
    checkFacet(input.dimension, input.facet)
    decideRemove(
      hasFacet(home.readModel.db, input.dimension, input.facet, input.key),
      input.dimension,
      input.facet,
      input.key
    )
    const [event] = await home.append([
      { type: 'profile.removed', body: { dimension: input.dimension, facet: input.facet, key: input.key } }
    ])
    return eventToJson(event!)
  },
  render: (e) => {
    const b = e.body as { dimension: string; facet: string; key: string }
    return `Removed ${b.dimension}/${b.facet}/${b.key}`
  }
})

export const profileShow = defineCommand<Record<string, never>, FacetRow[]>({
  name: 'profile show',
  summary: 'the whole-human profile: mind, heart, body',
  async run({ home }) {
    return listProfile(home.readModel.db)
  },
  render: (rows) => {
    if (rows.length === 0) return 'The profile is empty. Try: cosmic profile set mind skill typescript --level 4'
    const out: string[] = []
    let dimension = ''
    for (const r of rows) {
      if (r.dimension !== dimension) {
        dimension = r.dimension
        out.push(dimension.toUpperCase())
      }
      const detail = [r.value, r.level ? `level ${r.level}` : null, r.privacy === 'shareable' ? 'shareable' : null]
        .filter(Boolean)
        .join(', ')
      out.push(`  ${r.facet.padEnd(13)} ${r.key}${detail ? `  (${detail})` : ''}`)
    }
    return out.join('\n')
  }
})
