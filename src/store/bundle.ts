import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { CosmicError } from '../errors.js'
import { equalBytes, fromHex, toHex, verify } from '../events/crypto.js'
import {
  decodeBlock,
  decodeHeader,
  encodeBlock,
  eventId,
  eventToJson,
  redactedEvent,
  type SignedEvent,
  signatureMessage
} from '../events/envelope.js'
import {
  allEntries,
  countRows,
  getSetting,
  listProfile,
  listTensions,
  type TimelineEntry
} from '../projections/queries.js'
import type { Home } from './home.js'
import type { Journal } from './journal.js'

/**
 * Export bundles (docs/export.md): JSON Lines, one header line and then one line per
 * event with every envelope field in hex, so anyone can verify a journal with an
 * Ed25519 and a BLAKE2b library and nothing of this software.
 */
export const BUNDLE_FORMAT = 'cosmicsynccore-bundle'
export const BUNDLE_VERSION = 1
/** A journal written by several devices: one bundle, every device's log (docs/devices.md). */
export const BUNDLE_VERSION_DEVICES = 2

/** One device's log in a version 2 bundle. */
export interface BundleLog {
  /** The device (0: the one that created the identity). */
  device: number
  /** Its events in the bundle, seq 0 to length - 1. */
  length: number
  /** Its Hypercore tree hash at `length` (informative, as in version 1). */
  treeHash: string | null
}

export interface BundleHeader {
  format: typeof BUNDLE_FORMAT
  version: number
  /** The author's Ed25519 public key, hex. */
  author: string
  /** Events that follow, one per line, seq 0 to length - 1. */
  length: number
  /**
   * The source journal's Hypercore tree hash at `length` (what `cosmic audit` prints).
   * Informative: an import rebuilds the same tree when no event was redacted.
   */
  treeHash: string | null
  exported: number
  /** Version 2: every device's log, in this order; each line names its `device`. */
  logs?: BundleLog[]
}

/** One event line: the envelope in hex, and the decoded body for people reading the file. */
export interface BundleLine {
  /** Version 2: the device whose log holds it. */
  device?: number
  seq: number
  time: number
  type: string
  schema: number
  v: number
  author: string
  prev: string | null
  privacy: string
  bodyHash: string
  id: string
  headerBytes: string
  sig: string
  redacted: boolean
  salt?: string
  bodyBytes?: string
  body?: unknown
}

export function bundleLine(event: SignedEvent): BundleLine {
  const json = eventToJson(event)
  const line: BundleLine = {
    seq: json.seq,
    time: json.time,
    type: json.type,
    schema: json.schema,
    v: json.v,
    author: json.author,
    prev: json.prev,
    privacy: json.privacy,
    bodyHash: json.bodyHash,
    id: json.id,
    headerBytes: toHex(event.headerBytes),
    sig: json.sig,
    redacted: event.redacted
  }
  if (!event.redacted) {
    line.salt = toHex(event.salt as Uint8Array)
    line.bodyBytes = toHex(event.bodyBytes as Uint8Array)
    line.body = event.body
  }
  return line
}

export interface ExportReport {
  file: string
  format: 'jsonl' | 'markdown'
  events: number
  redacted: number
  entries: number
  files: string[]
  treeHash: string | null
}

export type ExportProgress = (done: number, total: number) => void

/** Writes the whole journal as a bundle (to FILE.partial, renamed into place when complete). */
export async function exportBundle(
  home: Home,
  file: string,
  options: { force?: boolean; onProgress?: ExportProgress } = {}
): Promise<ExportReport> {
  const path = resolve(file)
  await refuseToOverwrite(path, options.force ?? false)
  // Every log this home holds: its own in full, the others as far as they are merged here.
  const journals = home.ledger.journals
  const several = journals.length > 1
  const logs: BundleLog[] = []
  for (const journal of journals) {
    const length = journal.writable ? journal.length : Math.min(journal.length, home.ledger.runs.nextOf(journal.device))
    logs.push({
      device: journal.device,
      length,
      treeHash: length > 0 ? toHex(await journal.core.treeHash(length)) : null
    })
  }
  const total = logs.reduce((n, l) => n + l.length, 0)
  const own = logs.find((l) => l.device === home.device) as BundleLog
  const header: BundleHeader = several
    ? {
        format: BUNDLE_FORMAT,
        version: BUNDLE_VERSION_DEVICES,
        author: home.author,
        length: total,
        treeHash: null,
        exported: Date.now(),
        logs
      }
    : {
        format: BUNDLE_FORMAT,
        version: BUNDLE_VERSION,
        author: home.author,
        length: own.length,
        treeHash: own.treeHash,
        exported: Date.now()
      }
  await mkdir(dirname(path), { recursive: true })
  const partial = `${path}.partial`
  const out = createWriteStream(partial, { mode: 0o600 })
  let redacted = 0
  try {
    const write = async (text: string) => {
      if (!out.write(`${text}\n`)) await once(out, 'drain')
    }
    await write(JSON.stringify(header))
    let done = 0
    for (let i = 0; i < journals.length; i++) {
      const journal = journals[i] as Journal
      for await (const event of journal.events(0, (logs[i] as BundleLog).length)) {
        if (event.redacted) redacted++
        const line = bundleLine(event)
        await write(JSON.stringify(several ? { device: journal.device, ...line } : line))
        if (++done % 1000 === 0) options.onProgress?.(done, total)
      }
    }
    options.onProgress?.(total, total)
    out.end()
    await once(out, 'finish')
    await rename(partial, path)
  } catch (err) {
    out.destroy()
    await rm(partial, { force: true })
    throw err
  }
  return {
    file: path,
    format: 'jsonl',
    events: total,
    redacted,
    entries: countRows(home.readModel.db, 'entries'),
    files: [path],
    treeHash: header.treeHash
  }
}

async function refuseToOverwrite(path: string, force: boolean): Promise<void> {
  let exists = false
  try {
    const s = await stat(path)
    exists = s.isDirectory() ? (await readdir(path)).length > 0 : true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (exists && !force) throw CosmicError.INVALID_INPUT(`${path} already exists (add --force to overwrite it)`)
}

/* ---------- verification and import ---------- */

export interface VerifiedBundle {
  header: BundleHeader
  events: SignedEvent[]
  /** The events of each device's log (version 1: device 0 alone). */
  logs: Map<number, SignedEvent[]>
  redacted: number
}

function invalid(line: number, detail: string): CosmicError {
  return CosmicError.BUNDLE_INVALID(`line ${line}: ${detail}`, { line })
}

const HEX = /^(?:[0-9a-f]{2})*$/

function hexField(value: unknown, name: string, line: number, bytes?: number): Uint8Array {
  if (typeof value !== 'string' || !HEX.test(value) || (bytes !== undefined && value.length !== bytes * 2)) {
    throw invalid(line, `${name} must be ${bytes ? `${bytes} bytes of ` : ''}lower-case hex`)
  }
  return fromHex(value)
}

/** JSON with sorted keys, to compare the readable body with the one the bytes decode to. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stable(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/**
 * Reads and verifies a bundle completely, before anything is written anywhere: the
 * header, then for each event its canonical header bytes, id, signature by the
 * bundle's author, body commitment and body schema, seq, the prev chain and strictly
 * increasing time, and that the readable fields say what the bytes say. The first
 * problem is a BUNDLE_INVALID naming its line (line 1 is the header, seq n is line n + 2).
 */
export function verifyBundle(text: string): VerifiedBundle {
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  if (lines.length === 0) throw invalid(1, 'the file is empty')
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(lines[0] as string) as Record<string, unknown>
  } catch {
    throw invalid(1, 'the header is not JSON (is this a cosmic export bundle?)')
  }
  if (!raw || typeof raw !== 'object' || raw.format !== BUNDLE_FORMAT) {
    throw invalid(1, `not a ${BUNDLE_FORMAT} (the first line must be its header)`)
  }
  if (raw.version !== BUNDLE_VERSION && raw.version !== BUNDLE_VERSION_DEVICES) {
    throw CosmicError.UNSUPPORTED_VERSION(
      `bundle version ${String(raw.version)} (this build reads ${BUNDLE_VERSION} and ${BUNDLE_VERSION_DEVICES})`
    )
  }
  const declared = raw.version === BUNDLE_VERSION_DEVICES ? bundleLogs(raw.logs) : null
  const author = hexField(raw.author, 'author', 1, 32)
  if (!Number.isSafeInteger(raw.length) || (raw.length as number) < 0) {
    throw invalid(1, 'length must be a whole number')
  }
  const header = raw as unknown as BundleHeader

  const events: SignedEvent[] = []
  const logs = new Map<number, SignedEvent[]>()
  let redacted = 0
  let prev: SignedEvent | null = null
  let device = declared ? (declared[0]?.device ?? 0) : 0
  let seq = -1
  for (let i = 1; i < lines.length; i++) {
    const lineNo = i + 1
    seq++
    let line: Record<string, unknown>
    try {
      line = JSON.parse(lines[i] as string) as Record<string, unknown>
    } catch {
      throw invalid(lineNo, 'not JSON')
    }
    if (!line || typeof line !== 'object' || Array.isArray(line)) throw invalid(lineNo, 'not an event object')
    if (declared) {
      // Version 2: the logs follow one another, in the header's order; each starts at seq 0.
      if (!Number.isSafeInteger(line.device)) throw invalid(lineNo, 'device must say which device’s log holds it')
      if (line.device !== device) {
        const at = declared.findIndex((l) => l.device === device)
        const next = declared[at + 1]
        if (!next || line.device !== next.device || seq !== (declared[at] as BundleLog).length) {
          throw invalid(
            lineNo,
            `expected the event at seq ${seq} of device ${device}'s log, found device ${String(line.device)}`
          )
        }
        device = next.device
        seq = 0
        prev = null
      }
    } else if (line.device !== undefined) throw invalid(lineNo, 'a version 1 bundle has no device field')
    let event: SignedEvent
    try {
      event = verifyLine(line, lineNo, author)
    } catch (err) {
      if (CosmicError.is(err) && err.code !== 'BUNDLE_INVALID') throw invalid(lineNo, err.message)
      throw err
    }
    const h = event.header
    if (h.seq !== seq) {
      throw invalid(
        lineNo,
        `expected the event at seq ${seq}${declared ? ` of device ${device}'s log` : ''}, found seq ${h.seq} (a line is missing or out of order)`
      )
    }
    if (prev === null ? h.prev !== null : !h.prev || !equalBytes(h.prev, prev.id)) {
      throw invalid(lineNo, `BROKEN_CHAIN: prev of seq ${seq} is not the id of seq ${seq - 1}`)
    }
    if (prev !== null && h.time <= prev.header.time) {
      throw invalid(lineNo, `TIME_NOT_INCREASING: seq ${seq} has time ${h.time}, not after ${prev.header.time}`)
    }
    if (event.redacted) redacted++
    events.push(event)
    const list = logs.get(device)
    if (list) list.push(event)
    else logs.set(device, [event])
    prev = event
  }
  if (declared) {
    for (const l of declared) {
      const have = logs.get(l.device)?.length ?? 0
      if (have !== l.length) {
        throw invalid(
          lines.length + 1,
          `the header promises ${l.length} events of device ${l.device}'s log and the bundle has ${have}`
        )
      }
    }
  }
  // After the lines: a line dropped in the middle is named where the seq jumps, not here.
  if (lines.length - 1 !== header.length) {
    const missing = lines.length - 1 < header.length
    throw invalid(
      missing ? lines.length + 1 : header.length + 2,
      missing
        ? `the header promises ${header.length} events and the bundle ends after ${lines.length - 1}: lines are missing`
        : `the header promises ${header.length} events and the bundle has more`
    )
  }
  return { header, events, logs, redacted }
}

/** The `logs` of a version 2 header: devices in increasing order, each once. */
function bundleLogs(value: unknown): BundleLog[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid(1, 'a version 2 bundle lists its logs')
  const logs: BundleLog[] = []
  for (const l of value as Record<string, unknown>[]) {
    const device = l?.device
    if (!Number.isSafeInteger(device) || (device as number) < 0 || (device as number) > 0xffff_ffff) {
      throw invalid(1, 'each log names its device (0 to 4294967295)')
    }
    if (!Number.isSafeInteger(l.length) || (l.length as number) < 0) throw invalid(1, 'each log has a whole length')
    const last = logs[logs.length - 1]
    if (last && last.device >= (device as number)) throw invalid(1, 'logs are listed once each, by device number')
    logs.push({
      device: device as number,
      length: l.length as number,
      treeHash: typeof l.treeHash === 'string' ? l.treeHash : null
    })
  }
  return logs
}

function verifyLine(line: Record<string, unknown>, lineNo: number, author: Uint8Array): SignedEvent {
  const headerBytes = hexField(line.headerBytes, 'headerBytes', lineNo)
  const sig = hexField(line.sig, 'sig', lineNo, 64)
  const id = hexField(line.id, 'id', lineNo, 32)
  const header = decodeHeader(headerBytes)
  if (!equalBytes(eventId(headerBytes), id)) throw invalid(lineNo, `INVALID_ID: id does not hash from headerBytes`)
  if (!equalBytes(header.author, author)) {
    throw invalid(
      lineNo,
      `FOREIGN_AUTHOR: seq ${header.seq} is signed by ${toHex(header.author)}, not the bundle's author`
    )
  }
  if (!verify(sig, signatureMessage(id), header.author)) {
    throw invalid(lineNo, `INVALID_SIGNATURE: the signature of seq ${header.seq} does not verify`)
  }
  let event: SignedEvent
  const hasWords = line.salt !== undefined || line.bodyBytes !== undefined
  if (line.redacted === true || !hasWords) {
    if (line.redacted !== true) throw invalid(lineNo, 'an event without salt and bodyBytes must say "redacted": true')
    if (hasWords || line.body !== undefined)
      throw invalid(lineNo, 'a redacted event carries no salt, bodyBytes or body')
    event = redactedEvent(headerBytes, sig)
  } else {
    if (line.redacted !== false) throw invalid(lineNo, 'an event with a body must say "redacted": false')
    const salt = hexField(line.salt, 'salt', lineNo, 16)
    const bodyBytes = hexField(line.bodyBytes, 'bodyBytes', lineNo)
    // The block codec holds the rules (body commitment, canonical body under its schema): reuse them.
    const block = encodeBlock({ header, headerBytes, id, sig, salt, bodyBytes, redacted: false, body: null as never })
    event = decodeBlock(block)
    if (stable(line.body) !== stable(event.body)) {
      throw invalid(lineNo, 'the readable body does not say what bodyBytes says')
    }
  }
  // The readable header fields must agree with the signed bytes too: nobody should be misled by them.
  const json = eventToJson(event)
  for (const field of ['seq', 'time', 'type', 'schema', 'v', 'author', 'prev', 'privacy', 'bodyHash'] as const) {
    if (line[field] !== undefined && line[field] !== json[field]) {
      throw invalid(
        lineNo,
        `${field} says ${JSON.stringify(line[field])}, the signed header says ${JSON.stringify(json[field])}`
      )
    }
  }
  return event
}

export interface ImportReport {
  file: string
  author: string
  events: number
  redacted: number
  entries: number
  /** The imported journal's tree hash, and whether it equals the bundle's (null: not comparable, see docs/export.md). */
  treeHash: string | null
  treeHashMatches: boolean | null
}

/**
 * Imports a bundle into a home whose journal is empty (`cosmic init --recover` makes
 * one: the same identity, no events). Everything is verified first; then the events
 * are appended as they are (same seq, time, prev, signatures) in one atomic append,
 * and the read model is caught up, which gives the same rows as the source's.
 */
export async function importBundle(
  home: Home,
  file: string,
  options: { onProgress?: ExportProgress } = {}
): Promise<ImportReport> {
  const path = resolve(file)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw CosmicError.INVALID_INPUT(`cannot read ${path}: ${(err as Error).message}`)
  }
  // Identity first: a bundle by someone else is refused with the way forward, whatever else it holds.
  const newline = text.indexOf('\n')
  const firstLine = newline < 0 ? text : text.slice(0, newline)
  const claimed = (() => {
    try {
      return (JSON.parse(firstLine) as { author?: unknown }).author
    } catch {
      return undefined
    }
  })()
  if (typeof claimed === 'string' && claimed !== home.author) throw foreignAuthor(claimed, home.author)
  const bundle = verifyBundle(text)
  if (home.journal.length > 0) {
    throw CosmicError.CONFLICT(
      `this home's journal already has ${home.journal.length} events; import needs an empty one ` +
        '(create it with `cosmic init --recover --home NEW_DIR` and import there)'
    )
  }
  // Each device's log goes back into the core it came from (its key pair is derived from the seed and its number).
  for (const [device, events] of bundle.logs) {
    if (device === home.device) await home.journal.appendSigned(events)
    else await home.restoreLog(device, events)
  }
  await home.sync(options.onProgress)
  const treeHash = home.journal.length > 0 ? toHex(await home.journal.core.treeHash()) : null
  return {
    file: path,
    author: home.author,
    events: bundle.events.length,
    redacted: bundle.redacted,
    entries: countRows(home.readModel.db, 'entries'),
    treeHash,
    treeHashMatches: bundle.redacted > 0 || bundle.header.treeHash === null ? null : treeHash === bundle.header.treeHash
  }
}

function foreignAuthor(bundleAuthor: string, homeAuthor: string): CosmicError {
  return CosmicError.FOREIGN_AUTHOR(
    `this bundle was written by ${bundleAuthor} and this home's identity is ${homeAuthor}. ` +
      'A journal can only be imported under its own identity: create a home with the recovery phrase of that ' +
      'identity (`cosmic init --recover --home NEW_DIR`), then run `cosmic import` there'
  )
}

/* ---------- readable export (Markdown) ---------- */

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December'
]

function pad(n: number): string {
  return String(n).padStart(2, '0')
}

/** Local time, like the CLI shows it. */
function dateTime(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

function monthKey(ms: number): string {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}`
}

function monthTitle(key: string): string {
  const [year, month] = key.split('-')
  return `${MONTHS[Number(month) - 1]} ${year}`
}

function entryMarkdown(e: TimelineEntry): string {
  const meta = [e.mood ? `mood: ${e.mood}` : null, e.dimension, e.privacy === 'shareable' ? 'shareable' : null]
    .filter(Boolean)
    .join(' · ')
  const out = [`### ${dateTime(e.time)}${meta ? ` · ${meta}` : ''}`, '']
  if (e.tags.length) out.push(e.tags.map((t) => `#${t}`).join(' '), '')
  out.push(e.text.trim(), '')
  if (e.amendments) out.push(`_amended ${e.amendments}× (last ${dateTime(e.amendedTime ?? e.time)})_`, '')
  for (const m of e.mirrorbacks) {
    const quoted = m.text
      .trim()
      .split('\n')
      .map((l) => `> ${l}`)
      .join('\n')
    out.push(
      `> **Mirror** (${m.engine.kind}${m.themes.length ? `; themes: ${m.themes.join(', ')}` : ''})`,
      '>',
      quoted,
      ''
    )
  }
  return out.join('\n')
}

function aboutMarkdown(home: Home): string {
  const db = home.readModel.db
  const out: string[] = []
  const profile = listProfile(db)
  if (profile.length) {
    out.push('## Profile', '')
    for (const f of profile) {
      const detail = [f.value, f.level ? `level ${f.level}` : null].filter(Boolean).join(', ')
      out.push(`- ${f.dimension} / ${f.facet}: **${f.key}**${detail ? ` (${detail})` : ''}`)
    }
    out.push('')
  }
  const tensions = listTensions(db, { includeResolved: true })
  if (tensions.length) {
    out.push('## Tensions', '')
    for (const t of tensions) {
      out.push(
        `- **${t.name}**: ${t.poles[0]} vs ${t.poles[1]} [${t.domain}], ${t.status}, intensity ${t.intensity.toFixed(2)}` +
          `${t.loops ? `, came back ${t.loops}×` : ''}${t.insight ? `. Insight: ${t.insight}` : ''}`
      )
    }
    out.push('')
  }
  return out.join('\n')
}

/**
 * A readable journal: current text (amended text replaces, forgotten entries are not
 * there), tags, moods and mirrorbacks. One file per month in a folder, with an index
 * (README.md) holding the profile and tensions, or everything in one file with `single`.
 */
export async function exportMarkdown(
  home: Home,
  target: string,
  options: { single?: boolean; force?: boolean } = {}
): Promise<ExportReport> {
  const path = resolve(target)
  await refuseToOverwrite(path, options.force ?? false)
  const name = getSetting(home.readModel.db, 'name') ?? 'me'
  const entries = allEntries(home.readModel.db)
  const months = new Map<string, TimelineEntry[]>()
  for (const e of entries) {
    const key = monthKey(e.time)
    const list = months.get(key) ?? []
    list.push(e)
    months.set(key, list)
  }
  const title = `# Journal of ${name}`
  const exported = `_Exported ${dateTime(Date.now())}: ${entries.length} entries. Forgotten entries are not here; amended entries show their current text._`
  const files: string[] = []
  if (options.single) {
    const out = [title, '', exported, '', aboutMarkdown(home)]
    for (const [key, list] of months) {
      out.push(`## ${monthTitle(key)}`, '')
      for (const e of list) out.push(entryMarkdown(e))
    }
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, out.join('\n'), { mode: 0o600 })
    files.push(path)
  } else {
    await mkdir(path, { recursive: true, mode: 0o700 })
    const index = [title, '', exported, '', '## Months', '']
    for (const [key, list] of months) {
      const file = join(path, `${key}.md`)
      await writeFile(file, [`# ${monthTitle(key)}`, '', ...list.map(entryMarkdown)].join('\n'), { mode: 0o600 })
      files.push(file)
      index.push(`- [${monthTitle(key)}](${key}.md): ${list.length} ${list.length === 1 ? 'entry' : 'entries'}`)
    }
    index.push('', aboutMarkdown(home))
    const readme = join(path, 'README.md')
    await writeFile(readme, index.join('\n'), { mode: 0o600 })
    files.unshift(readme)
  }
  const redacted = countRows(home.readModel.db, 'redactions')
  return {
    file: path,
    format: 'markdown',
    events: home.journal.length,
    redacted,
    entries: entries.length,
    files,
    treeHash: null
  }
}
