import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import test from 'brittle'
import type { EventType } from '../src/events/catalog.js'
import { blake2b256 } from '../src/events/crypto.js'
import { createDemoHome, PERSONA_FILE } from '../src/fixtures/load-persona.js'
import {
  generatePersona,
  type Persona,
  type PersonaStep,
  parsePersona,
  personaToJsonl,
  STEP_EVENT_TYPES
} from '../src/fixtures/persona.js'
import { buildScaledHome, ScaleGenerator } from '../src/fixtures/scale.js'
import { auditJournal } from '../src/store/audit.js'
import { Home } from '../src/store/home.js'

const DAY = 86_400_000

/** Every event type the persona must hold: what the commands write, and what the mirror and settings will. */
const REQUIRED_TYPES: readonly EventType[] = [
  'identity.created',
  'reflection.recorded',
  'reflection.amended',
  'reflection.retracted',
  'tension.noted',
  'tension.shifted',
  'tension.resolved',
  'profile.set',
  'profile.removed',
  'mirrorback.generated',
  'evolution.noted',
  'consent.granted',
  'config.changed'
]

function readPersonaFile(): { text: string; persona: Persona } {
  const text = readFileSync(PERSONA_FILE, 'utf8')
  return { text, persona: parsePersona(text) }
}

/** What loading the steps must leave in the read model, folded from the steps alone. */
function expectedState(steps: readonly PersonaStep[]) {
  const entries = new Set<string>()
  const retracted = new Set<string>()
  const tensions = new Map<string, 'open' | 'resolved'>()
  const facets = new Set<string>()
  const mirrorbacks = new Map<string, number>()
  const amendments = new Map<string, number>()
  for (const step of steps) {
    switch (step.op) {
      case 'reflect':
        if (step.as) entries.add(step.as)
        break
      case 'amend':
        amendments.set(step.ref, (amendments.get(step.ref) ?? 0) + 1)
        break
      case 'mirrorback':
        mirrorbacks.set(step.ref, (mirrorbacks.get(step.ref) ?? 0) + 1)
        break
      case 'retract':
        entries.delete(step.ref)
        retracted.add(step.ref)
        break
      case 'tension.add':
        if (step.as) tensions.set(step.as, 'open')
        break
      case 'tension.shift':
        tensions.set(step.ref, 'open')
        break
      case 'tension.resolve':
        tensions.set(step.ref, 'resolved')
        break
      case 'profile.set':
        facets.add(`${step.input.dimension}/${step.input.facet}/${step.input.key}`)
        break
      case 'profile.remove':
        facets.delete(`${step.input.dimension}/${step.input.facet}/${step.input.key}`)
        break
      default:
        break
    }
  }
  let forgotten = 0
  for (const ref of retracted) forgotten += 1 + (amendments.get(ref) ?? 0) + (mirrorbacks.get(ref) ?? 0)
  let liveMirrorbacks = 0
  for (const [ref, n] of mirrorbacks) if (!retracted.has(ref)) liveMirrorbacks += n
  return {
    entries: entries.size,
    openTensions: [...tensions.values()].filter((s) => s === 'open').length,
    tensions: tensions.size,
    facets: facets.size,
    mirrorbacks: liveMirrorbacks,
    retracted,
    forgotten
  }
}

/** Words of the retracted entries (and their amendments) that no other step uses. */
function retractedWords(steps: readonly PersonaStep[], retracted: ReadonlySet<string>): Map<string, string[]> {
  const texts = new Map<string, string[]>()
  const elsewhere: string[] = []
  for (const step of steps) {
    if (step.op === 'reflect' && step.as && retracted.has(step.as)) {
      texts.set(step.as, [...(texts.get(step.as) ?? []), step.input.text])
    } else if (step.op === 'amend' && retracted.has(step.ref)) {
      texts.set(step.ref, [...(texts.get(step.ref) ?? []), step.input.text])
    } else if (step.op === 'mirrorback' && retracted.has(step.ref)) {
      // A retracted entry's mirrorbacks are forgotten with it; they may quote it.
    } else {
      elsewhere.push(JSON.stringify(step.input).toLowerCase())
    }
  }
  const other = elsewhere.join('\n')
  const words = new Map<string, string[]>()
  for (const [label, list] of texts) {
    const distinct = new Set(
      list
        .join(' ')
        .toLowerCase()
        .match(/[a-z]{5,}/g) ?? []
    )
    words.set(
      label,
      [...distinct].filter((w) => !new RegExp(`\\b${w}\\b`).test(other))
    )
  }
  return words
}

test('the persona file parses, spans a year and covers every event type', (t) => {
  const { persona } = readPersonaFile()
  const { header, steps } = persona
  t.is(header.format, 'cosmicsynccore-persona')
  t.is(header.version, 1)
  t.is(header.passphrase, 'demo passphrase')
  t.ok(header.name.length > 0, `named ${header.name}`)
  t.is(header.events, steps.length + 1, 'one event per step, plus identity.created')
  t.ok(header.events >= 300, `${header.events} events`)

  let previous = header.created
  let increasing = true
  for (const step of steps) {
    if (step.t <= previous) increasing = false
    previous = step.t
  }
  t.ok(increasing, 'step times increase strictly, after the identity')
  const last = steps[steps.length - 1]!.t
  t.ok(header.created >= Date.UTC(2025, 11, 1) && header.created < Date.UTC(2025, 11, 2), 'begins on 2025-12-01')
  t.ok(last < Date.UTC(2026, 10, 21), 'ends by 2026-11-20')
  t.ok(last - header.created >= 350 * DAY, `spans ${Math.floor((last - header.created) / DAY)} days`)

  const types = new Set<EventType>(['identity.created', ...steps.map((s) => STEP_EVENT_TYPES[s.op])])
  for (const type of REQUIRED_TYPES) t.ok(types.has(type), `has ${type}`)

  const reflects = steps.filter((s) => s.op === 'reflect')
  t.ok(
    reflects.some((s) => s.input.shareable),
    'some entries are shareable'
  )
  t.ok(reflects.filter((s) => s.input.sealed).length >= 2, 'a couple of entries are sealed')
  t.ok(
    reflects.every((s) => s.input.mood && s.input.dimension && (s.input.tags ?? []).length > 0),
    'every entry has a mood, tags and a dimension'
  )
  t.ok(
    new Set(reflects.map((s) => s.input.text)).size > reflects.length * 0.95,
    'entries are not repeats of each other'
  )
  t.ok(steps.filter((s) => s.op === 'amend').length >= 3, 'several amendments')
  t.ok(
    steps.some((s) => s.op === 'tension.shift' && s.input.toward !== undefined),
    'tension shifts lean toward a pole'
  )

  // The patterns a journal of a year should show: a resolved tension that comes back, a quiet one that returns loud.
  const series = new Map<string, { kind: string; intensity?: number }[]>()
  for (const s of steps) {
    if (s.op === 'tension.add' && s.as) series.set(s.as, [{ kind: 'noted', intensity: s.input.intensity }])
    if (s.op === 'tension.shift') series.get(s.ref)?.push({ kind: 'shifted', intensity: s.input.intensity })
    if (s.op === 'tension.resolve') series.get(s.ref)?.push({ kind: 'resolved' })
  }
  const loops = [...series.values()].filter((points) =>
    points.some((p, i) => p.kind === 'resolved' && points.slice(i + 1).some((q) => q.kind === 'shifted'))
  )
  t.ok(loops.length >= 1, 'a tension is resolved and later comes back')
  const returns = [...series.values()].filter((points) =>
    points.some(
      (p, i) =>
        (p.intensity ?? 1) < 0.2 && points.slice(i + 1).some((q) => q.kind === 'shifted' && (q.intensity ?? 0) >= 0.4)
    )
  )
  t.ok(returns.length >= 1, 'a tension goes quiet (< 0.2) and returns loud (>= 0.4)')

  const facets = new Set(
    steps.flatMap((s) => (s.op === 'profile.set' ? [`${s.input.dimension}/${s.input.facet}`] : []))
  )
  for (const facet of [
    'mind/skill',
    'mind/interest',
    'mind/project',
    'mind/seeking',
    'heart/value',
    'heart/emotion',
    'heart/relationship',
    'body/health',
    'body/activity',
    'body/presence'
  ]) {
    t.ok(facets.has(facet), `profile.set of ${facet}`)
  }
  t.ok(
    steps.some((s) => s.op === 'profile.set' && s.input.facet === 'skill' && s.input.level !== undefined),
    'a skill with a level'
  )

  const mirrors = steps.flatMap((s) => (s.op === 'mirrorback' ? [s.input] : []))
  t.ok(
    mirrors.every((m) => !/\b(should|must|try|need to|you could|consider)\b/i.test(m.text)),
    'mirrorbacks reflect and never advise'
  )
  t.ok(
    mirrors.every(
      (m) =>
        m.engine.kind === 'builtin' &&
        m.engine.model === 'builtin-lexicon-1' &&
        /^[0-9a-f]{64}$/.test(m.engine.promptHash)
    ),
    'mirrorbacks name the built-in engine and a prompt hash'
  )

  const defined = new Set<string>()
  let resolved = true
  for (const step of steps) {
    if ('ref' in step && !defined.has(step.ref)) resolved = false
    if ('as' in step && step.as) defined.add(step.as)
  }
  t.ok(resolved, 'every ref names a label defined by an earlier step')
})

test('the persona generator is deterministic and the file is its output', (t) => {
  const once = personaToJsonl(generatePersona())
  const twice = personaToJsonl(generatePersona())
  t.is(once, twice, 'the same seed gives the same bytes')
  t.is(readPersonaFile().text, once, 'fixtures/persona.jsonl is what scripts/make-persona.ts writes (regenerate it)')
  t.not(personaToJsonl(generatePersona(7)), once, 'another seed gives another year')
  t.alike(parsePersona(once), generatePersona(), 'the file reads back as the steps that wrote it')
})

test('parsePersona rejects what is not a persona', async (t) => {
  await t.exception(async () => parsePersona('{"format":"something-else","version":1}\n'), /INVALID_INPUT/)
  await t.exception(
    async () =>
      parsePersona(
        '{"format":"cosmicsynccore-persona","version":9,"name":"x","passphrase":"y","events":1,"created":0}\n'
      ),
    /UNSUPPORTED_VERSION/
  )
  const header = '{"format":"cosmicsynccore-persona","version":1,"name":"x","passphrase":"y","events":2,"created":0}\n'
  await t.exception(async () => parsePersona(`${header}{"t":1,"op":"dance","input":{}}\n`), /INVALID_INPUT/)
  await t.exception(async () => parsePersona(`${header}{"t":1,"op":"amend","input":{"text":"x"}}\n`), /needs a ref/)
  await t.exception(async () => parsePersona(`${header}not json\n`), /line 2/)
})

test('loading the persona replays its year through the commands', { timeout: 180_000 }, async (t) => {
  const { persona } = readPersonaFile()
  const { header, steps } = persona
  const home = await createDemoHome(join(await t.tmp(), 'demo'))
  t.teardown(() => home.close())
  const db = home.readModel.db
  const count = (sql: string, ...params: unknown[]) => (db.prepare(sql).get(...params) as { n: number }).n
  const expected = expectedState(steps)

  t.is(home.journal.length, header.events, `${header.events} events in the journal`)
  t.is(count('SELECT count(*) AS n FROM entries'), expected.entries, `${expected.entries} entries`)
  t.is(count("SELECT count(*) AS n FROM tensions WHERE status = 'open'"), expected.openTensions, 'open tensions')
  t.is(count('SELECT count(*) AS n FROM tensions'), expected.tensions, 'tensions')
  t.is(count('SELECT count(*) AS n FROM profile'), expected.facets, 'profile facets')
  t.is(count('SELECT count(*) AS n FROM mirrorbacks'), expected.mirrorbacks, 'mirrorbacks of live entries')
  t.is(
    count('SELECT count(*) AS n FROM redactions'),
    expected.forgotten,
    'forgotten events: entries, amendments, mirrorbacks'
  )
  t.ok(
    count('SELECT count(*) AS n FROM tensions WHERE loops > 0') >= 2,
    'loops: one came back after resolving, one after going quiet'
  )
  t.is(
    (db.prepare("SELECT value FROM settings WHERE name = 'name'").get() as { value: string }).value,
    header.name,
    'the identity carries the persona name'
  )

  let seq = 0
  let timesMatch = true
  let typesMatch = true
  const types = new Set<EventType>()
  for await (const event of home.journal.events()) {
    types.add(event.header.type)
    const step = steps[seq - 1]
    const time = step ? step.t : header.created
    const type = step ? STEP_EVENT_TYPES[step.op] : 'identity.created'
    if (event.header.time !== time) timesMatch = false
    if (event.header.type !== type) typesMatch = false
    seq++
  }
  t.ok(timesMatch, 'every event carries its step time; identity.created the header time')
  t.ok(typesMatch, 'every step appended exactly its event')
  for (const type of REQUIRED_TYPES) t.ok(types.has(type), `the log has ${type}`)

  t.ok(expected.retracted.size >= 1, `${expected.retracted.size} entries retracted`)
  for (const [label, words] of retractedWords(steps, expected.retracted)) {
    t.ok(words.length >= 3, `${label} has words of its own: ${words.slice(0, 6).join(', ')}`)
    const left = words.filter(
      (w) =>
        count('SELECT count(*) AS n FROM entries WHERE text LIKE ?', `%${w}%`) > 0 ||
        count('SELECT count(*) AS n FROM mirrorbacks WHERE text LIKE ?', `%${w}%`) > 0 ||
        count('SELECT count(*) AS n FROM entries_fts WHERE entries_fts MATCH ?', `"${w}"`) > 0
    )
    t.alike(left, [], `the words of ${label} are gone from the read model`)
  }

  const report = await auditJournal(home.journal)
  t.ok(report.ok, `audit: ${report.verified} verified, ${report.redacted} redacted`)
  t.is(report.redacted, expected.forgotten)
  t.alike(report.failures, [])
})

test('the scale generator gives the same drafts for the same ids', (t) => {
  const run = () => {
    const generator = new ScaleGenerator(3000)
    const out: string[] = []
    let n = 0
    while (generator.remaining > 0) {
      const batch = generator.nextBatch(700)
      out.push(JSON.stringify(batch))
      // Stand-in ids: what matters is that the same ids lead to the same references.
      generator.accept(batch.drafts.map(() => ({ id: blake2b256(new TextEncoder().encode(String(n++))) })))
    }
    return out
  }
  const first = run()
  t.alike(run(), first, 'identical batches')
  const batches = first.map((b) => JSON.parse(b) as { drafts: { type: EventType }[]; times: number[] })
  t.is(
    batches.reduce((sum, b) => sum + b.drafts.length, 0),
    3000,
    'exactly the events asked for'
  )
  const times = batches.flatMap((b) => b.times)
  t.ok(
    times.every((time, i) => i === 0 || time > (times[i - 1] as number)),
    'times increase strictly across batches'
  )
  const tally = new Map<string, number>()
  for (const b of batches) for (const d of b.drafts) tally.set(d.type, (tally.get(d.type) ?? 0) + 1)
  t.ok((tally.get('reflection.recorded') ?? 0) > 1800, 'mostly entries')
  for (const type of ['reflection.amended', 'mirrorback.generated', 'tension.shifted', 'profile.set'] as const) {
    t.ok((tally.get(type) ?? 0) > 0, `some ${type}`)
  }
  t.is(tally.get('tension.noted'), 6, 'the persona tensions, each noted once')
})

test('buildScaledHome writes exactly n events that audit clean', { timeout: 300_000 }, async (t) => {
  const n = 5000
  const progress: number[] = []
  const home = await buildScaledHome(join(await t.tmp(), 'scaled'), n, {
    passphrase: 'scale passphrase',
    onProgress: (done) => progress.push(done)
  })
  t.teardown(() => home.close())
  t.is(home.journal.length, n + 1, `${n} events plus identity.created`)
  t.is(progress[progress.length - 1], n, 'progress reaches n')

  const tally = new Map<string, number>()
  for await (const event of home.journal.events()) tally.set(event.header.type, (tally.get(event.header.type) ?? 0) + 1)
  t.is(tally.get('identity.created'), 1)
  const db = home.readModel.db
  const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n
  t.is(count('SELECT count(*) AS n FROM entries'), tally.get('reflection.recorded'), 'every entry is in the read model')
  t.is(
    count('SELECT sum(amendments) AS n FROM entries'),
    tally.get('reflection.amended'),
    'every amendment refers to an entry it amended'
  )
  t.is(
    count('SELECT count(*) AS n FROM mirrorbacks'),
    tally.get('mirrorback.generated'),
    'every mirrorback has its entry'
  )
  t.is(count('SELECT count(*) AS n FROM tensions'), 6, 'the persona tensions')
  t.ok((tally.get('tension.shifted') ?? 0) > 100, 'tension shifts')
  t.ok((tally.get('profile.set') ?? 0) > 50, 'profile changes')

  const report = await auditJournal(home.journal)
  t.ok(report.ok, `audit: ${report.verified} verified`)
  t.alike(report.failures, [])
})

test('buildScaledHome with project: false writes the log, and the read model catches up on open', async (t) => {
  const path = join(await t.tmp(), 'log-only')
  const first = await buildScaledHome(path, 2000, { passphrase: 'scale passphrase', project: false })
  t.is(first.journal.length, 2001)
  t.is(first.readModel.position, 1, 'only identity.created is projected')
  await first.close()
  const home = await Home.open(path, 'scale passphrase')
  t.teardown(() => home.close())
  t.is(home.readModel.position, 2001, 'caught up on open')
  let entries = 0
  for await (const event of home.journal.events()) if (event.header.type === 'reflection.recorded') entries++
  t.is((home.readModel.db.prepare('SELECT count(*) AS n FROM entries').get() as { n: number }).n, entries)
})
