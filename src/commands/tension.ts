import { CosmicError } from '../errors.js'
import { type EventJson, eventToJson } from '../events/envelope.js'
import { decideResolve, decideShift, type TensionState, tensionSlug } from '../events/tension.js'
import { getTension, listTensions, type TensionRow } from '../projections/queries.js'
import type { Home } from '../store/home.js'
import { defineCommand } from './command.js'
import { bar, formatTime } from './format.js'

function tensionState(home: Home, id: string): TensionState | undefined {
  const row = getTension(home.readModel.db, id)
  return row ? { id: row.id, name: row.name, poles: row.poles, resolved: row.status === 'resolved' } : undefined
}

function intensityOf(value: number | undefined, fallback?: number): number {
  const v = value ?? fallback
  if (v === undefined || !Number.isFinite(v) || v < 0 || v > 1) {
    throw CosmicError.INVALID_INPUT('intensity must be a number from 0 to 1 (e.g. 0.6)')
  }
  return v
}

export interface TensionAddInput {
  name: string
  poles: string[]
  intensity?: number
  domain?: string
  shareable?: boolean
}

export const tensionAdd = defineCommand<TensionAddInput, EventJson>({
  name: 'tension add',
  summary: 'note a tension between two poles',
  async run({ home }, input) {
    const poles = input.poles.map((p) => p.trim()).filter(Boolean)
    if (poles.length !== 2)
      throw CosmicError.INVALID_INPUT('--poles takes exactly two poles, e.g. --poles scarcity,control')
    if (poles[0] === poles[1]) throw CosmicError.INVALID_INPUT('the two poles must differ')
    const name = input.name.trim()
    if (!name) throw CosmicError.INVALID_INPUT('a tension needs a name')
    const id = tensionSlug(name, (slug) => getTension(home.readModel.db, slug) !== undefined)
    const [event] = await home.append([
      {
        type: 'tension.noted',
        body: { id, name, poles, domain: input.domain?.trim() || 'life', intensity: intensityOf(input.intensity, 0.5) },
        privacy: input.shareable ? 'shareable' : 'private'
      }
    ])
    return eventToJson(event!)
  },
  render: (e) => {
    const b = e.body as { id: string; poles: string[]; intensity: number }
    return `Noted tension ${b.id} (${b.poles.join(' vs ')}) at intensity ${b.intensity}`
  }
})

export const tensionShift = defineCommand<{ id: string; intensity: number; toward?: string }, EventJson>({
  name: 'tension shift',
  summary: 'record a change in how strongly a tension is felt',
  async run({ home }, input) {
    decideShift(tensionState(home, input.id), input.id, input.toward)
    const body: Record<string, unknown> = { id: input.id, intensity: intensityOf(input.intensity) }
    if (input.toward !== undefined) body.toward = input.toward
    const [event] = await home.append([{ type: 'tension.shifted', body }])
    return eventToJson(event!)
  },
  render: (e) => {
    const b = e.body as { id: string; intensity: number; toward?: string }
    return `Shifted ${b.id} to ${b.intensity}${b.toward ? ` toward ${b.toward}` : ''}`
  }
})

export const tensionResolve = defineCommand<{ id: string; insight: string }, EventJson>({
  name: 'tension resolve',
  summary: 'mark a tension resolved, with the insight that resolved it',
  async run({ home }, input) {
    decideResolve(tensionState(home, input.id), input.id)
    const [event] = await home.append([{ type: 'tension.resolved', body: { id: input.id, insight: input.insight } }])
    return eventToJson(event!)
  },
  render: (e) => `Resolved ${(e.body as { id: string }).id}`
})

export const tensionList = defineCommand<{ all?: boolean }, TensionRow[]>({
  name: 'tension list',
  summary: 'open tensions (with --all, resolved ones too)',
  async run({ home }, input) {
    return listTensions(home.readModel.db, { includeResolved: input.all ?? false })
  },
  render: (rows) => {
    if (rows.length === 0) return 'No open tensions.'
    const width = Math.max(...rows.map((t) => t.id.length))
    return rows
      .map(
        (t) =>
          `${t.id.padEnd(width)}  ${bar(t.intensity)} ${t.intensity.toFixed(2)}  ${t.poles[0]} vs ${t.poles[1]}  [${t.domain}]` +
          `${t.status === 'resolved' ? '  resolved' : ''}${t.loops ? `  loops ${t.loops}` : ''}  since ${formatTime(t.created).slice(0, 10)}`
      )
      .join('\n')
  }
})
