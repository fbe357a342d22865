import { noteEvolution } from '../engine/engine.js'
import { CosmicError } from '../errors.js'
import type { EventJson } from '../events/envelope.js'
import type { Dimension } from '../events/schemas.js'
import { diffSnapshots, type Evolution, snapshot } from '../projections/evolution.js'
import type { PatternWindow } from '../projections/patterns.js'
import {
  countRows,
  getTension,
  type IdentityGraph,
  identityGraph,
  listTensions,
  type PatternsReport,
  patterns,
  type TensionPoint,
  type TensionRow,
  TIMELINE_TYPES,
  type TimelinePage,
  type TimelineQuery,
  type TimelineType,
  tensionSeries,
  timeline,
  timelineJson
} from '../projections/queries.js'
import { type ExportReport, exportBundle, exportMarkdown, type ImportReport, importBundle } from '../store/bundle.js'
import { type RebuildReport, readAt, rebuild, twoStates } from '../store/replay.js'
import { type CommandContext, defineCommand, type Progress } from './command.js'
import { bar, formatTime, indent, plural } from './format.js'
import { entryToText } from './journal.js'
import { tensionList } from './tension.js'

/* ---------- times: ISO dates or ms ---------- */

export type TimeInput = string | number

/**
 * A time given by a person: ms since the epoch, an ISO date-time ("2026-01-31T18:00",
 * local unless it says Z or an offset), a date ("2026-01-31") or a month ("2026-01"),
 * both local. A date or month names a span: `end` picks its last millisecond, so
 * `--to 2026-01-31` and `--until 2026-01-31` include that whole day.
 */
export function parseTime(value: TimeInput, name: string, edge: 'start' | 'end' = 'start'): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0)
      throw CosmicError.INVALID_INPUT(`${name} must be a time (got ${value})`)
    return value
  }
  const text = value.trim()
  if (/^\d+$/.test(text)) return parseTime(Number(text), name, edge)
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])]
    const start = new Date(y, m - 1, d)
    if (start.getMonth() !== m - 1 || start.getDate() !== d)
      throw CosmicError.INVALID_INPUT(`${name}: ${text} is not a date`)
    return edge === 'start' ? start.getTime() : new Date(y, m - 1, d + 1).getTime() - 1
  }
  const month = /^(\d{4})-(\d{2})$/.exec(text)
  if (month) {
    const [y, m] = [Number(month[1]), Number(month[2])]
    if (m < 1 || m > 12) throw CosmicError.INVALID_INPUT(`${name}: ${text} is not a month`)
    return edge === 'start' ? new Date(y, m - 1, 1).getTime() : new Date(y, m, 1).getTime() - 1
  }
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN
  if (!Number.isFinite(ms) || ms < 0) {
    throw CosmicError.INVALID_INPUT(
      `${name} must be a date (2026-01-31), a month (2026-01), an ISO time (2026-01-31T18:00) or ms since the epoch (got "${value}")`
    )
  }
  return ms
}

function optionalTime(value: TimeInput | undefined, name: string, edge: 'start' | 'end'): number | undefined {
  return value === undefined ? undefined : parseTime(value, name, edge)
}

/** Runs `read` as of `until` (a throwaway read model with a progress bar) or on the live read model. */
async function atTime<T>(
  ctx: CommandContext,
  until: number | undefined,
  read: Parameters<typeof readAt<T>>[2]
): Promise<T> {
  if (until === undefined) return readAt(ctx.home, undefined, read)
  return withProgress(ctx.progress, `rebuilding as of ${formatTime(until)}`, ctx.home.ledger.length, (onProgress) =>
    readAt(ctx.home, until, read, onProgress)
  )
}

async function withProgress<T>(
  progress: Progress,
  label: string,
  total: number,
  work: (onProgress: (done: number, total: number) => void) => Promise<T>
): Promise<T> {
  progress.start(label, total)
  try {
    return await work((done, t) => progress.update(done, t))
  } finally {
    progress.stop()
  }
}

function asOfLine(until: number | null): string {
  return until === null ? '' : `As of ${formatTime(until)}\n`
}

/* ---------- timeline ---------- */

export interface TimelineInput {
  /** Event types or streams: reflection, tension, tension.shifted, ... (several, comma-separated). */
  type?: string | string[]
  tag?: string
  dimension?: Dimension
  from?: TimeInput
  to?: TimeInput
  search?: string
  limit?: number
  cursor?: string
  until?: TimeInput
}

export interface TimelineOutput extends TimelinePage {
  until: number | null
  search: string | null
}

export function timelineTypes(input: string | string[] | undefined): TimelineType[] | undefined {
  if (input === undefined) return undefined
  const wanted = (Array.isArray(input) ? input : [input]).flatMap((t) => t.split(',')).map((t) => t.trim())
  const out = new Set<TimelineType>()
  for (const w of wanted.filter(Boolean)) {
    const matches = TIMELINE_TYPES.filter(
      (t) => t === w || t.startsWith(`${w}.`) || (w === 'entry' && t === 'reflection.recorded')
    )
    if (matches.length === 0) {
      throw CosmicError.INVALID_INPUT(
        `--type must be reflection, tension or one of ${TIMELINE_TYPES.join(', ')} (got "${w}")`
      )
    }
    for (const m of matches) out.add(m)
  }
  return [...out]
}

/** The timeline's input, checked, as a query of the read model and the time to read it as of. */
function timelineQuery(input: TimelineInput): { until: number | undefined; query: TimelineQuery } {
  const until = optionalTime(input.until, '--until', 'end')
  const from = optionalTime(input.from, '--from', 'start')
  const to = optionalTime(input.to, '--to', 'end')
  if (from !== undefined && to !== undefined && from > to) throw CosmicError.INVALID_INPUT('--from is after --to')
  if (input.search !== undefined && input.search.trim() === '') throw CosmicError.INVALID_INPUT('--search needs words')
  const types = timelineTypes(input.type)
  const query: TimelineQuery = {
    ...(types ? { types } : {}),
    ...(input.tag !== undefined ? { tag: input.tag } : {}),
    ...(input.dimension !== undefined ? { dimension: input.dimension } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(input.search !== undefined ? { search: input.search } : {}),
    ...(input.limit !== undefined ? { limit: input.limit } : {}),
    ...(input.cursor !== undefined ? { cursor: input.cursor } : {})
  }
  return { until, query }
}

export const timelineCommand = defineCommand<TimelineInput, TimelineOutput>({
  name: 'timeline',
  summary: 'entries and tension moments, newest first: filter by type, tag, dimension, time; search the words',
  async run(ctx, input) {
    const { until, query } = timelineQuery(input)
    const page = await atTime(ctx, until, (db) => timeline(db, query))
    return { ...page, until: until ?? null, search: input.search ?? null }
  },
  render(out) {
    if (out.items.length === 0) return `${asOfLine(out.until)}${out.search ? 'Nothing matches.' : 'Nothing here yet.'}`
    const lines: string[] = []
    if (out.until !== null) lines.push(asOfLine(out.until).trimEnd())
    for (const item of out.items) {
      if (item.kind === 'tension') {
        const t = item.tension
        const what =
          t.kind === 'noted'
            ? `noted (${t.poles[0]} vs ${t.poles[1]}, ${t.domain}) at ${t.intensity.toFixed(2)}`
            : t.kind === 'shifted'
              ? `shifted to ${t.intensity.toFixed(2)}${t.toward ? ` toward ${t.toward}` : ''}`
              : 'resolved'
        lines.push(`${formatTime(item.time)}  tension ${t.name}: ${what}`)
        continue
      }
      const e = item.entry
      if (e.snippet !== null) {
        const text = entryToText({ ...e, text: e.snippet })
        lines.push(text)
      } else lines.push(entryToText(e))
      for (const m of e.mirrorbacks) {
        lines.push(indent(`↳ mirror (${m.engine.kind}): ${m.text}`, '      '))
      }
    }
    if (out.next) lines.push(`-- more: add --cursor ${out.next} (with the same filters)`)
    return lines.join('\n')
  }
})

/**
 * `timelineCommand`'s output as the JSON text the API's response schema makes of it, byte
 * for byte, written without building the page's objects (see `timelineJson`): what
 * GET /api/timeline sends. Its render is the text itself.
 */
export const timelineJsonCommand = defineCommand<TimelineInput, string>({
  name: 'timeline',
  summary: timelineCommand.summary,
  async run(ctx, input) {
    const { until, query } = timelineQuery(input)
    const page = await atTime(ctx, until, (db) => timelineJson(db, query))
    return `{"items":${page.items},"next":${JSON.stringify(page.next)},"until":${JSON.stringify(until ?? null)},"search":${JSON.stringify(input.search ?? null)}}`
  },
  render: (out) => out
})

/* ---------- graph ---------- */

export type GraphFormat = 'text' | 'json' | 'dot'

export interface GraphInput {
  format?: GraphFormat
  dimension?: Dimension
  until?: TimeInput
}

export interface GraphOutput {
  until: number | null
  format: GraphFormat
  graph: IdentityGraph
  /** The graph in Graphviz DOT, with --format dot. */
  dot: string | null
}

const KIND_COLORS: Record<string, string> = {
  self: '#f5d98b',
  skill: '#9ecae1',
  interest: '#c6dbef',
  project: '#6baed6',
  seeking: '#deebf7',
  value: '#fc9272',
  emotion: '#fcbba1',
  person: '#fdd0a2',
  body: '#a1d99b',
  theme: '#dadaeb',
  tension: '#bcbddc',
  domain: '#efedf5',
  dimension: '#ffffff'
}

function dotString(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`
}

/** Graphviz DOT: an undirected graph, nodes coloured by kind, edges as thick as they are heavy. */
export function graphToDot(graph: IdentityGraph): string {
  const out = [
    'graph identity {',
    '  graph [overlap=false, splines=true];',
    '  node [style=filled, fontname="Helvetica"];'
  ]
  for (const n of graph.nodes) {
    const attrs = [
      `label=${dotString(n.kind === 'self' || n.kind === 'dimension' ? n.label : `${n.label}\n${n.kind}`)}`,
      `fillcolor=${dotString(KIND_COLORS[n.kind] ?? '#ffffff')}`,
      `shape=${n.kind === 'self' ? 'doublecircle' : n.kind === 'dimension' ? 'box' : n.kind === 'tension' ? 'diamond' : 'ellipse'}`
    ]
    if (n.status === 'resolved') attrs.push('style="filled,dashed"')
    out.push(`  ${dotString(n.id)} [${attrs.join(', ')}];`)
  }
  for (const e of graph.edges) {
    const penwidth = Math.min(8, 1 + e.weight / 2).toFixed(2)
    out.push(
      `  ${dotString(e.source)} -- ${dotString(e.target)} [label=${dotString(`${e.kind} ${+e.weight.toFixed(2)}`)}, penwidth=${penwidth}, weight=${Math.max(1, Math.round(e.weight))}];`
    )
  }
  out.push('}')
  return out.join('\n')
}

const KIND_TITLES: [string, string][] = [
  ['value', 'values'],
  ['skill', 'skills'],
  ['interest', 'interests'],
  ['project', 'projects'],
  ['seeking', 'seeking'],
  ['person', 'people'],
  ['emotion', 'emotions'],
  ['body', 'body'],
  ['theme', 'themes'],
  ['tension', 'tensions'],
  ['domain', 'domains'],
  ['dimension', 'dimensions']
]

function graphText(out: GraphOutput): string {
  const g = out.graph
  const self = g.nodes.find((n) => n.kind === 'self')
  const lines = [
    `${asOfLine(out.until)}Identity graph of ${self?.label ?? 'me'}: ${plural(g.nodes.length, 'node')}, ${plural(g.edges.length, 'edge')}`
  ]
  if (g.nodes.length <= 1) {
    lines.push('Nothing in it yet: reflect with --tag and --mood, set profile facets, note tensions.')
    return lines.join('\n')
  }
  const label = new Map(g.nodes.map((n) => [n.id, n.label]))
  for (const [kind, title] of KIND_TITLES) {
    const nodes = g.nodes
      .filter((n) => n.kind === kind)
      .sort((a, b) => b.weight - a.weight || a.label.localeCompare(b.label))
    if (nodes.length === 0) continue
    const shown = nodes
      .slice(0, 12)
      .map((n) => `${n.label} ${+n.weight.toFixed(2)}${n.status === 'resolved' ? ' (resolved)' : ''}`)
    lines.push(`  ${title.padEnd(11)} ${shown.join(', ')}${nodes.length > 12 ? `, … ${nodes.length - 12} more` : ''}`)
  }
  const links = g.edges
    .filter((e) => e.source !== 'self' && e.kind !== 'in-dimension')
    .sort((a, b) => b.weight - a.weight || a.source.localeCompare(b.source))
    .slice(0, 12)
  if (links.length) {
    lines.push('Strongest links:')
    for (const e of links) {
      lines.push(
        `  ${label.get(e.source)} — ${label.get(e.target)}  ${e.kind} ${+e.weight.toFixed(2)}  since ${formatTime(e.first).slice(0, 10)}`
      )
    }
  }
  lines.push('(--format dot for Graphviz, --format json for everything)')
  return lines.join('\n')
}

export const graphCommand = defineCommand<GraphInput, GraphOutput>({
  name: 'graph',
  summary: 'the identity graph: self, values, skills, people, emotions, themes, tensions, and how they link',
  async run(ctx, input) {
    const format = input.format ?? 'text'
    if (!['text', 'json', 'dot'].includes(format)) throw CosmicError.INVALID_INPUT('--format must be text, json or dot')
    if (input.dimension !== undefined && !['mind', 'heart', 'body'].includes(input.dimension)) {
      throw CosmicError.INVALID_INPUT('--dimension must be mind, heart or body')
    }
    const until = optionalTime(input.until, '--until', 'end')
    const graph = await atTime(ctx, until, (db) =>
      identityGraph(db, input.dimension ? { dimension: input.dimension } : {})
    )
    return { until: until ?? null, format, graph, dot: format === 'dot' ? graphToDot(graph) : null }
  },
  render(out) {
    if (out.format === 'dot') return out.dot ?? graphToDot(out.graph)
    if (out.format === 'json') return JSON.stringify(out.graph, null, 2)
    return graphText(out)
  }
})

/* ---------- tensions ---------- */

export interface TensionShowOutput {
  until: number | null
  tension: TensionRow
  series: TensionPoint[]
  loops: number
}

export const tensionShow = defineCommand<{ id: string; until?: TimeInput }, TensionShowOutput>({
  name: 'tension show',
  summary: 'one tension: its state, its whole intensity series and how often it came back',
  async run(ctx, input) {
    const until = optionalTime(input.until, '--until', 'end')
    const found = await atTime(ctx, until, (db) => {
      const tension = getTension(db, input.id)
      return tension ? { tension, series: tensionSeries(db, input.id) } : null
    })
    if (!found) {
      throw CosmicError.NOT_FOUND(
        `no tension with id ${input.id}${until !== undefined ? ` as of ${formatTime(until)}` : ''} (see cosmic tensions --all)`
      )
    }
    return { until: until ?? null, ...found, loops: found.tension.loops }
  },
  render(out) {
    const t = out.tension
    const lines = [
      `${asOfLine(out.until)}${t.name}  (${t.id})`,
      `  ${t.poles[0]} vs ${t.poles[1]}  [${t.domain}]  ${t.status}  intensity ${t.intensity.toFixed(2)}` +
        `${t.toward ? ` toward ${t.toward}` : ''}  loops ${out.loops}  ${t.privacy}`,
      `  since ${formatTime(t.created)}, last change ${formatTime(t.updated)}`
    ]
    if (t.insight) lines.push(`  insight: ${t.insight}`)
    lines.push('Series:')
    for (const p of out.series) {
      lines.push(
        `  ${formatTime(p.time)}  ${p.kind.padEnd(8)} ${bar(p.intensity)} ${p.intensity.toFixed(2)}${p.toward ? `  toward ${p.toward}` : ''}`
      )
    }
    return lines.join('\n')
  }
})

export interface TensionsOutput {
  until: number | null
  tensions: TensionRow[]
}

export const tensionsCommand = defineCommand<{ all?: boolean; until?: TimeInput }, TensionsOutput>({
  name: 'tensions',
  summary: 'tensions (open ones; --all with resolved), now or as of a time',
  async run(ctx, input) {
    const until = optionalTime(input.until, '--until', 'end')
    const tensions = await atTime(ctx, until, (db) => listTensions(db, { includeResolved: input.all ?? false }))
    return { until: until ?? null, tensions }
  },
  render: (out) => `${asOfLine(out.until)}${tensionList.render(out.tensions)}`
})

/* ---------- patterns ---------- */

export interface PatternsOutput extends PatternsReport {
  until: number | null
}

export const patternsCommand = defineCommand<
  { window?: PatternWindow; until?: TimeInput; buckets?: number },
  PatternsOutput
>({
  name: 'patterns',
  summary: 'themes and moods per week or month, what comes up together, tensions that keep coming back',
  async run(ctx, input) {
    const until = optionalTime(input.until, '--until', 'end')
    const report = await atTime(ctx, until, (db) =>
      patterns(db, {
        ...(input.window ? { window: input.window } : {}),
        ...(input.buckets !== undefined ? { buckets: input.buckets } : {})
      })
    )
    return { until: until ?? null, ...report }
  },
  render(r) {
    const counts = (list: { key: string; count: number }[]) => list.map((c) => `${c.key} ×${c.count}`).join(', ')
    const lines: string[] = []
    if (r.until !== null) lines.push(asOfLine(r.until).trimEnd())
    if (r.buckets.length === 0 && r.loops.length === 0) {
      lines.push('No patterns yet: tag your entries (--tag) and name your mood (--mood).')
      return lines.join('\n')
    }
    if (r.themes.length) lines.push(`Themes   ${counts(r.themes)}`)
    if (r.emotions.length) lines.push(`Moods    ${counts(r.emotions)}`)
    if (r.buckets.length) {
      lines.push(`By ${r.window} (UTC, newest first):`)
      for (const b of r.buckets) {
        const parts = [
          b.themes.length ? counts(b.themes) : null,
          b.emotions.length ? `moods: ${counts(b.emotions)}` : null
        ]
        lines.push(`  ${b.bucket.padEnd(9)} ${parts.filter(Boolean).join('  |  ')}`)
      }
    }
    if (r.pairs.length) {
      lines.push('Together:')
      for (const p of r.pairs) {
        // Themes before moods: "money + anxious" reads better than the stored (sorted) order.
        const [a, b] = p.a.startsWith('emotion:') ? [p.b, p.a] : [p.a, p.b]
        lines.push(`  ${a.replace(/^\w+:/, '')} + ${b.replace(/^\w+:/, '')}  ×${p.count}`)
      }
    }
    if (r.loops.length) {
      lines.push('Tensions that came back:')
      for (const t of r.loops)
        lines.push(`  ${t.name}  ${plural(t.loops, 'loop')}  now ${t.status} at ${t.intensity.toFixed(2)}`)
    }
    return lines.join('\n')
  }
})

/* ---------- evolution ---------- */

export interface EvolutionOutput extends Evolution {
  /** The evolution.noted event, with --note. */
  noted: EventJson | null
  /** The engine's narrative, with --note. */
  narrative: string | null
}

export const evolutionCommand = defineCommand<{ from: TimeInput; to?: TimeInput; note?: boolean }, EvolutionOutput>({
  name: 'evolution',
  summary: 'what changed between two times: graph, tensions, themes and moods',
  async run(ctx, input) {
    const from = parseTime(input.from, '--from', 'start')
    const to = optionalTime(input.to, '--to', 'end')
    if (to !== undefined && from > to) throw CosmicError.INVALID_INPUT('--from is after --to')
    const states = await withProgress(ctx.progress, 'rebuilding two states', ctx.home.ledger.length, (onProgress) =>
      twoStates(ctx.home, from, to, (db, events) => snapshot(db, null, events), onProgress)
    )
    const evolution = diffSnapshots({ ...states[0], at: from }, { ...states[1], at: to ?? null })
    let noted: EventJson | null = null
    let narrative: string | null = null
    if (input.note) {
      // The mirror engine of the person's choice writes the narrative (a remote one only with consent).
      const outcome = await noteEvolution(ctx.home, {
        from,
        to: to ?? ctx.home.ledger.lastTime,
        changes: evolution.summary
      })
      noted = outcome.event
      narrative = outcome.summary
    }
    return { ...evolution, noted, narrative }
  },
  render(e) {
    const lines = [
      `From ${e.from === null ? 'the beginning' : formatTime(e.from)} to ${e.to === null ? 'now' : formatTime(e.to)}:`
    ]
    for (const s of e.summary) lines.push(`  ${s}`)
    if (e.graph.edgesAdded.length || e.graph.edgesRemoved.length) {
      lines.push(
        `  graph: +${e.graph.edgesAdded.length} / -${e.graph.edgesRemoved.length} links, ${e.graph.edgesChanged.length} changed weight`
      )
    }
    if (e.noted) lines.push('', e.narrative ?? '', `Noted in the journal (seq ${e.noted.seq}).`)
    return lines.join('\n')
  }
})

/* ---------- replay ---------- */

export type ReplayOutput =
  | ({ mode: 'rebuild' } & RebuildReport)
  | {
      mode: 'as-of'
      until: number
      events: number
      entries: number
      openTensions: number
      facets: number
      lastEvent: number | null
    }

export const replayCommand = defineCommand<{ until?: TimeInput }, ReplayOutput>({
  name: 'replay',
  summary: 'rebuild every projection from seq 0; with --until, show the state as of a time (the live read model stays)',
  async run(ctx, input) {
    const until = optionalTime(input.until, '--until', 'end')
    if (until === undefined) {
      const report = await withProgress(ctx.progress, 'replaying', ctx.home.ledger.length, (onProgress) =>
        rebuild(ctx.home, onProgress)
      )
      return { mode: 'rebuild', ...report }
    }
    return atTime(ctx, until, (db, events) => {
      const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n
      return {
        mode: 'as-of' as const,
        until,
        events,
        entries: countRows(db, 'entries'),
        openTensions: count("SELECT count(*) AS n FROM tensions WHERE status = 'open'"),
        facets: countRows(db, 'profile'),
        lastEvent: (
          db
            .prepare(
              'SELECT max(time) AS t FROM (SELECT max(time) AS time FROM entries UNION ALL SELECT max(time) FROM tension_series UNION ALL SELECT max(time) FROM profile)'
            )
            .get() as { t: number | null }
        ).t
      }
    })
  },
  render(r) {
    if (r.mode === 'rebuild') return `Rebuilt every projection from seq 0: ${plural(r.events, 'event')} in ${r.ms} ms.`
    return [
      `As of ${formatTime(r.until)}: ${plural(r.events, 'event')} (a throwaway copy; the live read model is untouched)`,
      `Entries ${r.entries}   open tensions ${r.openTensions}   profile facets ${r.facets}`
    ].join('\n')
  }
})

/* ---------- export and import ---------- */

export interface ExportInput {
  file: string
  format?: 'jsonl' | 'markdown'
  single?: boolean
  force?: boolean
}

export const exportCommand = defineCommand<ExportInput, ExportReport>({
  name: 'export',
  summary: 'write the whole journal to an open, verifiable bundle (JSON Lines) or a readable Markdown journal',
  async run(ctx, input) {
    const format = input.format ?? 'jsonl'
    if (format === 'markdown') {
      return exportMarkdown(ctx.home, input.file, { single: input.single ?? false, force: input.force ?? false })
    }
    if (format !== 'jsonl') throw CosmicError.INVALID_INPUT('--format must be jsonl or markdown')
    if (input.single) throw CosmicError.INVALID_INPUT('--single goes with --format markdown')
    return withProgress(ctx.progress, 'exporting', ctx.home.ledger.length, (onProgress) =>
      exportBundle(ctx.home, input.file, { force: input.force ?? false, onProgress })
    )
  },
  render(r) {
    if (r.format === 'markdown') {
      return `Wrote ${plural(r.entries, 'entry', 'entries')} as Markdown to ${r.files.length === 1 ? r.files[0] : `${r.file} (${plural(r.files.length, 'file')})`}`
    }
    return [
      `Exported ${plural(r.events, 'event')} (${r.redacted} redacted, signed headers only) to ${r.file}`,
      `Tree hash ${r.treeHash ?? '(empty journal)'}`,
      'The bundle is not encrypted: keep it somewhere safe. Verify it anywhere with the steps in docs/export.md.'
    ].join('\n')
  }
})

export const importCommand = defineCommand<{ file: string }, ImportReport>({
  name: 'import',
  summary: 'bring a bundle back into an empty home of the same identity (cosmic init --recover)',
  withoutHome:
    "a bundle goes into an empty home of its own identity: create it with `cosmic init --recover` and that identity's recovery phrase, then run `cosmic import` again",
  async run(ctx, input) {
    return withProgress(ctx.progress, 'importing', 0, (onProgress) =>
      importBundle(ctx.home, input.file, { onProgress })
    )
  },
  render(r) {
    return [
      `Imported ${plural(r.events, 'event')} (${r.redacted} redacted) from ${r.file}: every signature, id and the chain verified.`,
      `${plural(r.entries, 'entry', 'entries')} in the rebuilt read model.`,
      r.treeHashMatches === true
        ? `Tree hash ${r.treeHash}: identical to the source journal's.`
        : r.treeHashMatches === false
          ? `Tree hash ${r.treeHash}: differs from the one the bundle names (the events verified one by one; the bundle header may have been edited).`
          : `Tree hash ${r.treeHash ?? '(empty)'} (redacted events are stored as signed headers, so the tree differs from the source's).`
    ].join('\n')
  }
})
