import { CosmicError } from '../errors.js'
import { toHex } from '../events/crypto.js'
import type { Database } from '../projections/projection.js'
import { entrySeqs, findEntry, isRetracted, listProfile, listTensions } from '../projections/queries.js'
import { prepared } from '../projections/statements.js'
import type { Home } from '../store/home.js'

/**
 * The context of a mirrorback, read from the projections: the entry, the open
 * tensions, the stated values and recent entries, bounded by a token budget.
 * Sealed entries are never part of it (they never leave the device); the entry
 * being mirrored is the only sealed text a context can hold, and only a local
 * engine is ever given such a context (mirror.ts).
 *
 * Every piece names the events its words come from, so the egress ledger can say
 * exactly which events' content left the device.
 */

export interface ContextEntry {
  readonly id: string
  readonly time: number
  readonly text: string
  readonly mood: string | null
  readonly tags: readonly string[]
  readonly sealed: boolean
  /** True when the text was cut to fit the budget. */
  readonly truncated: boolean
  readonly sources: readonly string[]
}

export interface ContextTension {
  readonly id: string
  readonly name: string
  readonly poles: readonly [string, string]
  readonly domain: string
  readonly intensity: number
  readonly loops: number
  readonly sources: readonly string[]
}

export interface ContextValue {
  readonly key: string
  readonly note: string | null
  readonly sources: readonly string[]
}

export interface MirrorContext {
  readonly entry: ContextEntry
  readonly tensions: readonly ContextTension[]
  readonly values: readonly ContextValue[]
  readonly recent: readonly ContextEntry[]
  /** The budget it was built under and the estimated tokens it uses. */
  readonly budget: number
  readonly tokens: number
}

/** `entry` alone: what a remote model sees in hybrid mode. `full`: entry, tensions, values, recent entries. */
export type ContextScope = 'entry' | 'full'

export interface ContextOptions {
  /** Token budget for the whole context (see estimateTokens). */
  tokens: number
  scope: ContextScope
  /** How many recent entries at most (before the budget cuts). */
  recent?: number
}

/** The most a single recent entry contributes, in characters: many short glimpses over one long one. */
export const RECENT_ENTRY_CHARS = 400
export const MAX_TENSIONS = 20
export const MAX_VALUES = 20
export const DEFAULT_RECENT = 12

/**
 * A conservative token estimate without a tokenizer: one token per 3 bytes of
 * UTF-8. Byte-pair tokenizers average about 4 bytes per token on English text, so
 * a budget in these units holds at least that many real tokens.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / 3)
}

/** Cuts text to at most `tokens` estimated tokens, at a word boundary, marked with an ellipsis. */
export function truncateToTokens(text: string, tokens: number): { text: string; truncated: boolean } {
  if (estimateTokens(text) <= tokens) return { text, truncated: false }
  let cut = text.slice(0, Math.max(0, tokens * 3 - 3))
  while (Buffer.byteLength(cut, 'utf8') > tokens * 3 - 3) cut = cut.slice(0, -1)
  const space = cut.lastIndexOf(' ')
  if (space > cut.length / 2) cut = cut.slice(0, space)
  return { text: `${cut.trimEnd()}…`, truncated: true }
}

/** The log position of an entry's latest amendment: whose words the entry now shows. */
export function latestAmendment(db: Database, id: string): number | undefined {
  return entrySeqs(db, id)
    .filter((s) => s.kind === 'amended')
    .at(-1)?.seq
}

/** Finds the entry to mirror: NOT_FOUND, or CONFLICT when its words were forgotten. */
export function requireEntry(db: Database, id: string) {
  const entry = findEntry(db, id)
  if (!entry) {
    if (isRetracted(db, id)) throw CosmicError.CONFLICT(`entry ${id} was retracted; its words are gone`)
    throw CosmicError.NOT_FOUND(`no journal entry with id ${id}`)
  }
  return entry
}

export async function buildMirrorContext(home: Home, entryId: string, options: ContextOptions): Promise<MirrorContext> {
  const db = home.readModel.db
  const row = requireEntry(db, entryId)
  const ids = await idsBySeq(home)
  let budget = options.tokens

  const amended = latestAmendment(db, row.id)
  const entryText = truncateToTokens(row.text, Math.max(16, budget - 16))
  const entry: ContextEntry = {
    id: row.id,
    time: row.amendedTime ?? row.time,
    text: entryText.text,
    mood: row.mood,
    tags: row.tags,
    sealed: row.sealed,
    truncated: entryText.truncated,
    sources: amended === undefined ? [row.id] : [row.id, await ids(amended)]
  }
  budget -= estimateTokens(entry.text) + estimateTokens(`${entry.mood ?? ''} ${entry.tags.join(' ')}`)

  const tensions: ContextTension[] = []
  const values: ContextValue[] = []
  const recent: ContextEntry[] = []
  if (options.scope === 'full') {
    // The two ends of a tension's series, not the series: it grows with every shift (thousands on a big home).
    // On the (id, seq) key each reads a row or two: `noted` comes first, and only `resolved` can follow the last shift.
    const notedSeq = prepared<[string], { seq: number }>(
      db,
      "SELECT seq FROM tension_series WHERE id = ? AND kind = 'noted' ORDER BY seq LIMIT 1"
    )
    const lastShiftSeq = prepared<[string], { seq: number }>(
      db,
      "SELECT seq FROM tension_series WHERE id = ? AND kind = 'shifted' ORDER BY seq DESC LIMIT 1"
    )
    for (const t of listTensions(db).slice(0, MAX_TENSIONS)) {
      const line = `${t.name} ${t.poles.join(' ')} ${t.domain} 0.00`
      const cost = estimateTokens(line) + 4
      if (cost > budget) break
      const noted = notedSeq.get(t.id)
      const lastShift = lastShiftSeq.get(t.id)
      const sources: string[] = []
      for (const s of [noted, lastShift]) if (s) sources.push(await ids(s.seq))
      tensions.push({
        id: t.id,
        name: t.name,
        poles: t.poles,
        domain: t.domain,
        intensity: t.intensity,
        loops: t.loops,
        sources
      })
      budget -= cost
    }

    const profileSeq = prepared<[string], { seq: number }>(
      db,
      "SELECT seq FROM profile WHERE dimension = 'heart' AND facet = 'value' AND key = ?"
    )
    for (const facet of listProfile(db)
      .filter((f) => f.dimension === 'heart' && f.facet === 'value')
      .slice(0, MAX_VALUES)) {
      const cost = estimateTokens(`${facet.key} ${facet.value ?? ''}`) + 2
      if (cost > budget) break
      const seq = profileSeq.get(facet.key)?.seq
      values.push({ key: facet.key, note: facet.value, sources: seq === undefined ? [] : [await ids(seq)] })
      budget -= cost
    }

    // Ids only from the table; each entry through the shared query, so this reads what the timeline reads.
    const recentIds = prepared<[string, number], { id: string }>(
      db,
      'SELECT id FROM entries WHERE sealed = 0 AND id != ? ORDER BY time DESC, seq DESC LIMIT ?'
    ).all(row.id, options.recent ?? DEFAULT_RECENT)
    for (const { id } of recentIds) {
      if (budget < 24) break
      const r = findEntry(db, id)
      if (!r || r.sealed) continue
      const cut = truncateToTokens(r.text, Math.min(budget - 8, Math.ceil(RECENT_ENTRY_CHARS / 3)))
      const cost = estimateTokens(cut.text) + estimateTokens(`${r.mood ?? ''} ${r.tags.join(' ')}`) + 8
      if (cost > budget) break
      const amendedSeq = latestAmendment(db, r.id)
      recent.push({
        id: r.id,
        time: r.amendedTime ?? r.time,
        text: cut.text,
        mood: r.mood,
        tags: r.tags,
        sealed: false,
        truncated: cut.truncated,
        sources: amendedSeq === undefined ? [r.id] : [r.id, await ids(amendedSeq)]
      })
      budget -= cost
    }
  }

  return {
    entry,
    tensions,
    values,
    recent,
    budget: options.tokens,
    tokens: options.tokens - budget
  }
}

/**
 * Ids by seq (position), per open home: a position's id never changes (retraction keeps the
 * signed header) until events from another device rebuild the merged order (a new epoch).
 */
const idCache = new WeakMap<Home, Map<number, string> & { epoch?: number }>()
const ID_CACHE_SIZE = 4096

/** Event ids by seq, read from the journal's signed headers. */
export async function idsBySeq(home: Home): Promise<(seq: number) => Promise<string>> {
  let cache = idCache.get(home)
  if (!cache || cache.epoch !== home.ledger.epoch) {
    cache = Object.assign(new Map<number, string>(), { epoch: home.ledger.epoch })
    idCache.set(home, cache)
  }
  const known = cache
  return async (seq) => {
    const id = known.get(seq)
    if (id) return id
    const event = await home.ledger.getBlock(seq)
    if (!event) throw CosmicError.INTERNAL(`no event at seq ${seq}`)
    const hex = toHex(event.id)
    if (known.size >= ID_CACHE_SIZE) known.delete(known.keys().next().value as number)
    known.set(seq, hex)
    return hex
  }
}

/** Every event id whose content the context carries, in a stable order, without repeats. */
export function contextSources(context: MirrorContext): string[] {
  const out = new Set<string>()
  for (const s of context.entry.sources) out.add(s)
  for (const t of context.tensions) for (const s of t.sources) out.add(s)
  for (const v of context.values) for (const s of v.sources) out.add(s)
  for (const r of context.recent) for (const s of r.sources) out.add(s)
  return [...out]
}
