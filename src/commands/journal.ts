import { CosmicError } from '../errors.js'
import { toHex } from '../events/crypto.js'
import { type EventJson, eventToJson, type Privacy } from '../events/envelope.js'
import { decideAmend, decideRecord, decideRetract, type ReflectionState } from '../events/reflection.js'
import type { Dimension } from '../events/schemas.js'
import { countEntriesWithPrefix, type EntryRow, entrySeqs, findEntry, isRetracted } from '../projections/queries.js'
import type { Home } from '../store/home.js'
import { defineCommand } from './command.js'
import { formatTime, indent, plural, shortId } from './format.js'

export interface ReflectInput {
  text: string
  tags?: string[]
  mood?: string
  dimension?: Dimension
  shareable?: boolean
  sealed?: boolean
}

/** "#Money, inner child" -> ["money", "inner-child"]: tags are lower-case words without '#'. */
export function normalizeTags(tags: readonly string[] = []): string[] {
  const out = new Set<string>()
  for (const raw of tags) {
    for (const part of raw.split(',')) {
      const tag = part.trim().replace(/^#+/, '').toLowerCase().replace(/\s+/g, '-')
      if (tag) out.add(tag)
    }
  }
  return [...out]
}

function entryState(home: Home, ref: string): { state: ReflectionState | undefined; id: string } {
  const db = home.readModel.db
  const id = resolveEntryId(home, ref)
  const entry = findEntry(db, id)
  if (entry) {
    return {
      id: entry.id,
      state: { id: entry.id, seq: entry.seq, retracted: false, sealed: entry.sealed, privacy: entry.privacy }
    }
  }
  if (isRetracted(db, id)) return { id, state: { id, seq: -1, retracted: true, sealed: false, privacy: 'private' } }
  return { id, state: undefined }
}

function resolveEntryId(home: Home, ref: string): string {
  const id = ref.trim().toLowerCase()
  if (!/^[0-9a-f]{6,64}$/.test(id)) {
    throw CosmicError.INVALID_INPUT(`"${ref}" is not an entry id (64 hex characters, or a unique prefix of at least 6)`)
  }
  if (id.length < 64 && countEntriesWithPrefix(home.readModel.db, id) > 1) {
    throw CosmicError.INVALID_INPUT(`the prefix ${id} matches more than one entry; give more characters`)
  }
  return id
}

export const reflect = defineCommand<ReflectInput, EventJson>({
  name: 'reflect',
  summary: 'record a journal entry',
  async run({ home }, input) {
    const privacy: Privacy = input.shareable ? 'shareable' : 'private'
    decideRecord({ sealed: input.sealed ?? false, privacy })
    const body: Record<string, unknown> = { text: input.text, tags: normalizeTags(input.tags) }
    if (input.mood !== undefined) body.mood = input.mood
    if (input.dimension !== undefined) body.dimension = input.dimension
    if (input.sealed) body.sealed = true
    const [event] = await home.append([{ type: 'reflection.recorded', body, privacy }])
    return eventToJson(event!)
  },
  render: (e) => `Recorded entry ${shortId(e.id)} (seq ${e.seq}, ${e.privacy}) at ${formatTime(e.time)}`
})

export const amend = defineCommand<{ id: string; text: string }, EventJson>({
  name: 'amend',
  summary: 'replace the text of an entry (earlier versions stay in the log)',
  async run({ home }, input) {
    const { state, id } = entryState(home, input.id)
    decideAmend(state, id)
    const [event] = await home.append([{ type: 'reflection.amended', body: { ref: state!.id, text: input.text } }])
    return eventToJson(event!)
  },
  render: (e) => `Amended entry ${shortId((e.body as { ref: string }).ref)} (seq ${e.seq})`
})

export interface RetractOutput {
  tombstone: EventJson
  ref: string
  forgotten: number[]
}

export const retract = defineCommand<{ id: string }, RetractOutput>({
  name: 'retract',
  summary: 'forget an entry: its words, amendments and mirrorbacks leave the disk; the signed headers stay',
  async run({ home }, input) {
    const { state, id } = entryState(home, input.id)
    decideRetract(state, id)
    const seqs = entrySeqs(home.readModel.db, state!.id).map((r) => r.seq)
    const redacted = []
    const forgotten: number[] = []
    for (const pos of seqs) {
      // The event may be in another device's log: the tombstone names the log and its seq there.
      const { journal, device, seq } = home.ledger.locate(pos)
      const event = await journal.getBlock(seq)
      const leaf = await journal.leaf(seq)
      if (!event || !leaf) continue
      forgotten.push(pos)
      redacted.push({
        device,
        seq,
        header: toHex(event.headerBytes),
        sig: toHex(event.sig),
        leaf: toHex(leaf.hash),
        size: leaf.size
      })
    }
    const [tombstone] = await home.append([{ type: 'reflection.retracted', body: { ref: state!.id, redacted } }])
    await home.finishRedactions()
    return { tombstone: eventToJson(tombstone!), ref: state!.id, forgotten }
  },
  render: (o) =>
    `Retracted entry ${shortId(o.ref)}: ${plural(o.forgotten.length, 'event')} forgotten (seq ${o.forgotten.join(', ')}); tombstone at seq ${o.tombstone.seq}`
})

export interface LogInput {
  from?: number
  limit?: number
}

export const log = defineCommand<LogInput, EventJson[]>({
  name: 'log',
  summary: 'raw signed events from the log',
  async run({ home }, input) {
    const from = input.from ?? 0
    const limit = input.limit ?? 50
    if (!Number.isSafeInteger(from) || from < 0) throw CosmicError.INVALID_INPUT('--from must be a seq (0 or more)')
    if (!Number.isSafeInteger(limit) || limit < 1) throw CosmicError.INVALID_INPUT('--limit must be 1 or more')
    const out: EventJson[] = []
    // In the merged order of every device's log (one device: its log, position = seq).
    for await (const { event } of home.ledger.events(from, Math.min(home.ledger.length, from + limit))) {
      out.push(eventToJson(event))
    }
    return out
  },
  render: (events) =>
    events.length === 0
      ? 'No events in that range.'
      : events
          .map((e) => {
            const head = `#${e.seq}  ${formatTime(e.time)}  ${e.type}@${e.schema}  ${shortId(e.id)}  ${e.privacy}`
            return e.redacted
              ? `${head}  [redacted: words forgotten, signed header kept]`
              : `${head}\n${indent(JSON.stringify(e.body))}`
          })
          .join('\n')
})

export interface StatusOutput {
  home: string
  author: string
  name: string | null
  events: number
  lastEvent: number | null
  entries: number
  openTensions: number
  facets: number
  redacted: number
  readModelAt: number
}

export const status = defineCommand<Record<string, never>, StatusOutput>({
  name: 'status',
  summary: 'what this home holds',
  async run({ home }) {
    const db = home.readModel.db
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n
    const name = db.prepare<[], { value: string }>("SELECT value FROM settings WHERE name = 'name'").get()
    return {
      home: home.path,
      author: home.author,
      name: name?.value ?? null,
      events: home.ledger.length,
      lastEvent: home.ledger.length ? home.ledger.lastTime : null,
      entries: count('SELECT count(*) AS n FROM entries'),
      openTensions: count("SELECT count(*) AS n FROM tensions WHERE status = 'open'"),
      facets: count('SELECT count(*) AS n FROM profile'),
      redacted: count('SELECT count(*) AS n FROM redactions'),
      readModelAt: home.readModel.position
    }
  },
  render: (s) =>
    [
      `Home      ${s.home}`,
      `Identity  ${s.name ?? '(unnamed)'}  ${s.author}`,
      `Journal   ${plural(s.events, 'event')}${s.lastEvent ? `, last at ${formatTime(s.lastEvent)}` : ''}`,
      `Entries   ${s.entries}   open tensions ${s.openTensions}   profile facets ${s.facets}   forgotten ${s.redacted}`
    ].join('\n')
})

export function entryToText(e: EntryRow): string {
  const meta = [formatTime(e.time), shortId(e.id), e.privacy]
  if (e.mood) meta.push(`mood: ${e.mood}`)
  if (e.dimension) meta.push(e.dimension)
  if (e.tags.length) meta.push(e.tags.map((t) => `#${t}`).join(' '))
  if (e.amendments) meta.push(`amended ${e.amendments}x`)
  return `${meta.join('  ')}\n${indent(e.text)}`
}
