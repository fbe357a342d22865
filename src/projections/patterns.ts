import { entryRowLookup } from './entry-rows.js'
import type { BatchFold, Database, ProjectedEvent, Projection } from './projection.js'

export const WINDOWS = ['week', 'month'] as const
export type PatternWindow = (typeof WINDOWS)[number]
export type MentionKind = 'theme' | 'emotion'

/**
 * Theme (tag) and emotion (mood) frequencies per week and per month, and how often
 * two of them come up in the same entry. `pattern_entries` holds the facts, one compact
 * row per entry that names a theme or a mood (its themes without repeats, its mood
 * lower-cased, its time), keyed by seq; `pattern_buckets` and `pattern_pairs` are
 * counts kept in step with them: added up in memory during a batch and written once
 * per key at its end, and a retraction takes exactly what its entry added back out
 * (rows that reach zero go). All-time totals are the sums of the month buckets.
 * Buckets are UTC (ISO weeks, calendar months): the same log gives the same rows on
 * every machine, whatever its time zone. Tension loop counts live in the tensions
 * projection; the patterns query reads them there.
 */
export const patternsProjection: Projection = {
  name: 'patterns',
  version: 3,
  tables: ['pattern_entries', 'pattern_buckets', 'pattern_pairs'],
  schema: `
    CREATE TABLE pattern_entries (
      seq INTEGER PRIMARY KEY, id TEXT NOT NULL, time INTEGER NOT NULL, themes TEXT NOT NULL, mood TEXT
    );
    CREATE TABLE pattern_buckets (
      window TEXT NOT NULL, bucket TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL,
      PRIMARY KEY (window, bucket, kind, key)
    ) WITHOUT ROWID;
    CREATE TABLE pattern_pairs (
      a TEXT NOT NULL, b TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (a, b)
    ) WITHOUT ROWID;
  `,
  bind(db: Database): BatchFold {
    const insertEntry = db.prepare('INSERT INTO pattern_entries (seq, id, time, themes, mood) VALUES (?, ?, ?, ?, ?)')
    const deleteEntry = db.prepare('DELETE FROM pattern_entries WHERE seq = ?')
    const findEntry = entryRowLookup<{ seq: number; id: string; time: number; themes: string; mood: string | null }>(
      db,
      'pattern_entries',
      'seq, id, time, themes, mood'
    )
    const bucket = db.prepare(
      `INSERT INTO pattern_buckets (window, bucket, kind, key, count) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (window, bucket, kind, key) DO UPDATE SET count = count + excluded.count`
    )
    const dropBucket = db.prepare(
      'DELETE FROM pattern_buckets WHERE window = ? AND bucket = ? AND kind = ? AND key = ? AND count <= 0'
    )
    const pair = db.prepare(
      `INSERT INTO pattern_pairs (a, b, count) VALUES (?, ?, ?)
       ON CONFLICT (a, b) DO UPDATE SET count = count + excluded.count`
    )
    const dropPair = db.prepare('DELETE FROM pattern_pairs WHERE a = ? AND b = ? AND count <= 0')

    /**
     * The batch's entries, counted (+1 added, -1 taken out) by day and by combination of
     * themes and mood: a person's entries repeat few combinations, so the buckets and pairs
     * are added up once per day and combination at the end of the batch, not once per entry.
     */
    const tallies = new Map<number, Map<string, Tally>>()
    const count = (themes: readonly string[], joined: string, mood: string | null, time: number, by: 1 | -1) => {
      const day = Math.floor(time / DAY)
      let ofDay = tallies.get(day)
      if (!ofDay) {
        ofDay = new Map()
        tallies.set(day, ofDay)
      }
      // Unambiguous: tags hold no whitespace, and a mood is never empty.
      const key = mood === null ? joined : `${joined}\n${mood}`
      let tally = ofDay.get(key)
      if (!tally) {
        tally = { themes, mood, n: 0 }
        ofDay.set(key, tally)
      }
      tally.n += by
    }

    /** Count changes: by bucket (a week's and a month's names never clash), kind and key; pairs by a, then b. */
    const buckets = new Map<string, { window: PatternWindow; counts: Record<MentionKind, Map<string, number>> }>()
    const pairs = new Map<string, Map<string, number>>()
    const periods = new Map<number, readonly [string, string]>()
    const bucketOf = (window: PatternWindow, name: string) => {
      let b = buckets.get(name)
      if (!b) {
        b = { window, counts: { theme: new Map(), emotion: new Map() } }
        buckets.set(name, b)
      }
      return b.counts
    }
    /** Adds `n` entries of one combination on one day: their mentions per week and per month, and each pair. */
    const add = (day: number, { themes, mood, n }: Tally) => {
      let period = periods.get(day)
      if (!period) {
        period = [weekOf(day * DAY), monthOf(day * DAY)] as const
        periods.set(day, period)
      }
      const week = bucketOf('week', period[0])
      const month = bucketOf('month', period[1])
      const ids: string[] = []
      const mention = (kind: MentionKind, key: string) => {
        const w = week[kind]
        w.set(key, (w.get(key) ?? 0) + n)
        const m = month[kind]
        m.set(key, (m.get(key) ?? 0) + n)
        ids.push(`${kind}:${key}`)
      }
      for (const theme of themes) mention('theme', theme)
      if (mood !== null) mention('emotion', mood)
      // Two moods never share an entry, so pairs are theme-theme or theme-emotion.
      ids.sort()
      for (let i = 0; i < ids.length; i++) {
        const a = ids[i] as string
        let withA = pairs.get(a)
        for (let j = i + 1; j < ids.length; j++) {
          const b = ids[j] as string
          if (!withA) {
            withA = new Map()
            pairs.set(a, withA)
          }
          withA.set(b, (withA.get(b) ?? 0) + n)
        }
      }
    }
    const clear = () => {
      tallies.clear()
      buckets.clear()
      pairs.clear()
    }

    const step = (event: ProjectedEvent) => {
      if (event.redacted) return
      switch (event.type) {
        case 'reflection.recorded': {
          const b = event.body
          const themes = b.tags.length > 1 ? [...new Set(b.tags)] : b.tags
          const mood = b.mood?.trim().toLowerCase() || null
          if (themes.length === 0 && mood === null) return
          const joined = themes.join(' ')
          insertEntry.run(event.seq, event.id, event.time, joined, mood)
          count(themes, joined, mood, event.time, 1)
          return
        }
        case 'reflection.retracted': {
          const row = findEntry(event.body)
          if (!row) return
          deleteEntry.run(row.seq)
          count(row.themes ? row.themes.split(' ') : [], row.themes, row.mood, row.time, -1)
          return
        }
        default:
          return
      }
    }

    return {
      step,
      flush(held) {
        if (held) return // counts only add up: they wait for the commit, with more batches to come
        for (const [day, ofDay] of tallies) {
          for (const tally of ofDay.values()) if (tally.n !== 0) add(day, tally)
        }
        for (const [name, { window, counts }] of buckets) {
          for (const kind of KINDS) {
            for (const [key, n] of counts[kind]) {
              if (n === 0) continue
              bucket.run(window, name, kind, key, n)
              if (n < 0) dropBucket.run(window, name, kind, key)
            }
          }
        }
        for (const [a, withA] of pairs) {
          for (const [b, n] of withA) {
            if (n === 0) continue
            pair.run(a, b, n)
            if (n < 0) dropPair.run(a, b)
          }
        }
        clear()
      },
      discard: clear
    }
  }
}

/** Entries of one combination of themes and mood on one day: how many were added, less those taken out. */
interface Tally {
  readonly themes: readonly string[]
  readonly mood: string | null
  n: number
}

const DAY = 86_400_000
const KINDS: readonly MentionKind[] = ['theme', 'emotion']

/** "2026-01" for any time in January 2026, UTC. */
export function monthOf(time: number): string {
  const d = new Date(time)
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`
}

/** ISO 8601 week, UTC: "2026-W01" (weeks start on Monday; week 1 holds the year's first Thursday). */
export function weekOf(time: number): string {
  const d = new Date(time)
  const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()))
  const weekday = day.getUTCDay() || 7
  day.setUTCDate(day.getUTCDate() + 4 - weekday) // the Thursday of this week decides its year
  const year = day.getUTCFullYear()
  const week = Math.ceil(((day.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7)
  return `${year}-W${String(week).padStart(2, '0')}`
}

/** The first millisecond (UTC) of a bucket named by weekOf or monthOf. */
export function bucketStart(window: PatternWindow, bucket: string): number {
  if (window === 'month') {
    const [year, month] = bucket.split('-').map(Number)
    return Date.UTC(year as number, (month as number) - 1, 1)
  }
  const [yearText, weekText] = bucket.split('-W')
  const year = Number(yearText)
  const week = Number(weekText)
  const jan4 = new Date(Date.UTC(year, 0, 4))
  const mondayOfWeek1 = Date.UTC(year, 0, 4 - ((jan4.getUTCDay() || 7) - 1))
  return mondayOfWeek1 + (week - 1) * 7 * 86_400_000
}
