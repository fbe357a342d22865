import { type EngineOptions, type MirrorOutcome, mirrorEntry } from '../engine/engine.js'
import type { EngineKind } from '../engine/settings.js'
import { CosmicError } from '../errors.js'
import type { EventJson } from '../events/envelope.js'
import { countEntriesWithPrefix } from '../projections/queries.js'
import type { Home } from '../store/home.js'
import { defineCommand } from './command.js'
import { indent, plural, shortId } from './format.js'
import { type ReflectInput, reflect } from './journal.js'

export interface MirrorInput {
  id: string
  /** Use this engine once instead of the configured one. */
  engine?: EngineKind
}

/** Engine options from the command line: tests reach the remote provider's backoff through the environment. */
function engineOptions(engine: EngineKind | undefined): EngineOptions {
  const backoff = Number(process.env.COSMIC_REMOTE_BACKOFF_MS)
  return {
    ...(engine ? { engine } : {}),
    ...(Number.isSafeInteger(backoff) && backoff >= 0 && process.env.COSMIC_REMOTE_BACKOFF_MS
      ? { backoffMs: backoff }
      : {})
  }
}

function resolveEntry(home: Home, ref: string): string {
  const id = ref.trim().toLowerCase()
  if (!/^[0-9a-f]{6,64}$/.test(id)) {
    throw CosmicError.INVALID_INPUT(`"${ref}" is not an entry id (64 hex characters, or a unique prefix of at least 6)`)
  }
  if (id.length < 64 && countEntriesWithPrefix(home.readModel.db, id) > 1) {
    throw CosmicError.INVALID_INPUT(`the prefix ${id} matches more than one entry; give more characters`)
  }
  return id
}

export function renderMirror(m: MirrorOutcome): string {
  const lines = [
    `Mirrorback for entry ${shortId((m.event.body as { ref: string }).ref)} (${m.engine.kind}, ${m.engine.model}):`,
    indent(m.text)
  ]
  if (m.themes.length) lines.push(`Themes: ${m.themes.join(', ')}`)
  if (m.note) lines.push(`Note: ${m.note}`)
  if (m.egress.length) {
    const first = m.egress[0]!.body as { endpoint: string; bytes: number; sent: string[] }
    const bytes = m.egress.reduce((n, e) => n + (e.body as { bytes: number }).bytes, 0)
    lines.push(
      `Sent to ${first.endpoint}: ${plural(m.egress.length, 'request')}, ${bytes} bytes, content of ${plural(first.sent.length, 'event')} (see cosmic egress)`
    )
  }
  return lines.join('\n')
}

export const mirror = defineCommand<MirrorInput, MirrorOutcome>({
  name: 'mirror',
  summary: 'mirror an entry back: themes, feelings, a quote, links to tensions and values, a question',
  async run({ home }, input) {
    return mirrorEntry(home, resolveEntry(home, input.id), engineOptions(input.engine))
  },
  render: renderMirror
})

export interface ReflectMirrorOutput {
  entry: EventJson
  mirror: MirrorOutcome
}

/**
 * `reflect --mirror`: records the entry, then mirrors it. The entry is kept even
 * when the mirror fails (bad settings lose nothing): the error says it was recorded.
 */
export const reflectAndMirror = defineCommand<ReflectInput & { engine?: EngineKind }, ReflectMirrorOutput>({
  name: 'reflect',
  summary: 'record a journal entry and mirror it back',
  async run(ctx, input) {
    const { engine, ...entryInput } = input
    const entry = await reflect.run(ctx, entryInput)
    try {
      return { entry, mirror: await mirrorEntry(ctx.home, entry.id, engineOptions(engine)) }
    } catch (err) {
      if (!CosmicError.is(err)) throw err
      throw new CosmicError(
        err.code,
        `the entry was recorded (${shortId(entry.id)}, seq ${entry.seq}) but not mirrored: ${err.detail}`,
        { ...err.data, entry: entry.id }
      )
    }
  },
  render: (o) => `${reflect.render(o.entry)}\n${renderMirror(o.mirror)}`
})
