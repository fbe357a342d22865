import { CosmicError } from '../errors.js'
import type { Home } from '../store/home.js'
import { estimateTokens, idsBySeq, latestAmendment, RECENT_ENTRY_CHARS, truncateToTokens } from './context.js'
import { day, EVOLUTION_SYSTEM, type Prompt } from './prompt.js'

/**
 * What an evolution note is written from: the entries and tension moments of a
 * window of time, read from the projections, plus (for local engines only) the
 * change lines the caller computed from the graph (cosmic evolution). Sealed
 * entries are counted, never shown.
 */

export interface DigestEntry {
  readonly id: string
  readonly time: number
  readonly text: string
  readonly mood: string | null
  readonly sources: readonly string[]
}

export interface DigestTension {
  readonly id: string
  readonly name: string
  readonly poles: readonly [string, string]
  /** Intensity just before the window (or when noted inside it). */
  readonly before: number
  readonly after: number
  readonly resolved: boolean
  readonly noted: boolean
  readonly sources: readonly string[]
}

export interface EvolutionDigest {
  readonly from: number
  readonly to: number
  /** Every entry written in the window, sealed ones included. */
  readonly entryCount: number
  readonly sealedCount: number
  readonly entries: readonly DigestEntry[]
  readonly tensions: readonly DigestTension[]
  /** Change lines from the caller; given to local engines only. */
  readonly changes: readonly string[]
}

export interface DigestOptions {
  from: number
  to: number
  changes?: readonly string[]
  /** Token budget for entry excerpts; Infinity for the built-in engine, which reads them on this device. */
  tokens: number
  /** False for a remote model: it never sees the change lines, whose sources the ledger could not name. */
  includeChanges: boolean
}

export async function buildEvolutionDigest(home: Home, options: DigestOptions): Promise<EvolutionDigest> {
  const { from, to } = options
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from) {
    throw CosmicError.INVALID_INPUT('an evolution window needs 0 <= from <= to (ms since the epoch)')
  }
  const db = home.readModel.db
  const idOf = await idsBySeq(home)

  const counts = db
    .prepare<[number, number], { n: number; sealed: number | null }>(
      'SELECT count(*) AS n, sum(sealed) AS sealed FROM entries WHERE time >= ? AND time <= ?'
    )
    .get(from, to) ?? { n: 0, sealed: 0 }

  const rows = db
    .prepare<[number, number], { id: string; time: number; text: string; mood: string | null }>(
      'SELECT id, time, text, mood FROM entries WHERE sealed = 0 AND time >= ? AND time <= ? ORDER BY time, seq'
    )
    .all(from, to)
  let budget = options.tokens
  const entries: DigestEntry[] = []
  // With a budget, spread it: the newest entries matter as much as the oldest, so take an even share each.
  const share = Number.isFinite(budget)
    ? Math.max(24, Math.floor(budget / Math.max(1, rows.length)))
    : Number.POSITIVE_INFINITY
  for (const r of rows) {
    if (budget < 24) break
    const cut = Number.isFinite(share)
      ? truncateToTokens(r.text, Math.min(share, Math.ceil(RECENT_ENTRY_CHARS / 3), budget - 8))
      : { text: r.text }
    const cost = estimateTokens(cut.text) + 8
    if (cost > budget) break
    const amendedSeq = latestAmendment(db, r.id)
    entries.push({
      id: r.id,
      time: r.time,
      text: cut.text,
      mood: r.mood,
      sources: amendedSeq === undefined ? [r.id] : [r.id, await idOf(amendedSeq)]
    })
    budget -= cost
  }

  const moments = db
    .prepare<[number, number], { id: string; seq: number; kind: string; intensity: number }>(
      'SELECT id, seq, kind, intensity FROM tension_series WHERE time >= ? AND time <= ? ORDER BY seq'
    )
    .all(from, to)
  const tensionRow = db.prepare<[string], { name: string; poles: string }>(
    'SELECT name, poles FROM tensions WHERE id = ?'
  )
  const notedSeq = db.prepare<[string], { seq: number }>(
    "SELECT seq FROM tension_series WHERE id = ? AND kind = 'noted' LIMIT 1"
  )
  const before = db.prepare<[string, number], { intensity: number }>(
    'SELECT intensity FROM tension_series WHERE id = ? AND time < ? ORDER BY seq DESC LIMIT 1'
  )
  const byTension = new Map<string, typeof moments>()
  for (const m of moments) byTension.set(m.id, [...(byTension.get(m.id) ?? []), m])
  const tensions: DigestTension[] = []
  for (const [id, list] of byTension) {
    const row = tensionRow.get(id)
    if (!row) continue
    const first = list[0]!
    const last = list.at(-1)!
    const sources = new Set<string>()
    const noted = notedSeq.get(id)
    if (noted) sources.add(await idOf(noted.seq))
    for (const m of list) sources.add(await idOf(m.seq))
    tensions.push({
      id,
      name: row.name,
      poles: JSON.parse(row.poles) as [string, string],
      before: before.get(id, from)?.intensity ?? first.intensity,
      after: last.intensity,
      resolved: last.kind === 'resolved',
      noted: list.some((m) => m.kind === 'noted'),
      sources: [...sources]
    })
  }

  return {
    from,
    to,
    entryCount: counts.n,
    sealedCount: counts.sealed ?? 0,
    entries,
    tensions,
    changes: options.includeChanges ? [...(options.changes ?? [])].slice(0, 200) : []
  }
}

export function evolutionPrompt(digest: EvolutionDigest): Prompt {
  const lines = [
    `From ${day(digest.from)} to ${day(digest.to)}: ${digest.entryCount} entries${digest.sealedCount ? ` (${digest.sealedCount} sealed, not shown)` : ''}.`
  ]
  if (digest.tensions.length) {
    lines.push('', 'Tension moments (name: pole a <-> pole b, intensity before -> after):')
    for (const t of digest.tensions) {
      const state = t.resolved ? ', resolved' : t.noted ? ', newly noted' : ''
      lines.push(
        `- ${t.name}: ${t.poles[0]} <-> ${t.poles[1]}, ${t.before.toFixed(2)} -> ${t.after.toFixed(2)}${state}`
      )
    }
  }
  if (digest.changes.length) {
    lines.push('', 'Changes in the identity graph:')
    for (const c of digest.changes) lines.push(`- ${c}`)
  }
  if (digest.entries.length) {
    lines.push('', 'Entries, oldest first:')
    for (const e of digest.entries) lines.push(`- (${day(e.time)}${e.mood ? `; mood: ${e.mood}` : ''}) ${e.text}`)
  }
  return { system: EVOLUTION_SYSTEM, user: lines.join('\n') }
}

export function digestSources(digest: EvolutionDigest): string[] {
  const out = new Set<string>()
  for (const e of digest.entries) for (const s of e.sources) out.add(s)
  for (const t of digest.tensions) for (const s of t.sources) out.add(s)
  return [...out]
}
