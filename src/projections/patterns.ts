import type { Database, ProjectedEvent, Projection } from './projection.js'

export const WINDOWS = ['week', 'month'] as const
export type PatternWindow = (typeof WINDOWS)[number]
export type MentionKind = 'theme' | 'emotion'

/**
 * Theme (tag) and emotion (mood) frequencies per week and per month, and how often
 * two of them come up in the same entry. `pattern_mentions` holds the facts (which
 * entry named which theme or mood, when); `pattern_buckets` and `pattern_pairs` are
 * counts kept in step with them, so a retraction takes exactly what its entry added
 * back out. Buckets are UTC (ISO weeks, calendar months): the same log gives the same
 * rows on every machine, whatever its time zone. Tension loop counts live in the
 * tensions projection; the patterns query reads them there.
 */
export const patternsProjection: Projection = {
  name: 'patterns',
  version: 2,
  tables: ['pattern_mentions', 'pattern_buckets', 'pattern_pairs'],
  schema: `
    CREATE TABLE pattern_mentions (
      origin TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, time INTEGER NOT NULL,
      PRIMARY KEY (origin, kind, key)
    ) WITHOUT ROWID;
    CREATE TABLE pattern_buckets (
      window TEXT NOT NULL, bucket TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL,
      PRIMARY KEY (window, bucket, kind, key)
    ) WITHOUT ROWID;
    CREATE TABLE pattern_pairs (
      a TEXT NOT NULL, b TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (a, b)
    ) WITHOUT ROWID;
  `,
  bind(db: Database) {
    const mention = db.prepare('INSERT OR IGNORE INTO pattern_mentions (origin, kind, key, time) VALUES (?, ?, ?, ?)')
    const mentionsOf = db.prepare<[string], { kind: MentionKind; key: string; time: number }>(
      'SELECT kind, key, time FROM pattern_mentions WHERE origin = ?'
    )
    const forget = db.prepare('DELETE FROM pattern_mentions WHERE origin = ?')
    const bucket = db.prepare(
      `INSERT INTO pattern_buckets (window, bucket, kind, key, count) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (window, bucket, kind, key) DO UPDATE SET count = count + excluded.count`
    )
    const pair = db.prepare(
      `INSERT INTO pattern_pairs (a, b, count) VALUES (?, ?, ?)
       ON CONFLICT (a, b) DO UPDATE SET count = count + excluded.count`
    )
    const dropEmptyBuckets = db.prepare('DELETE FROM pattern_buckets WHERE count <= 0')
    const dropEmptyPairs = db.prepare('DELETE FROM pattern_pairs WHERE count <= 0')

    const count = (mentions: readonly { kind: MentionKind; key: string; time: number }[], by: 1 | -1) => {
      for (const m of mentions) {
        bucket.run('week', weekOf(m.time), m.kind, m.key, by)
        bucket.run('month', monthOf(m.time), m.kind, m.key, by)
      }
      const ids = mentions.map((m) => `${m.kind}:${m.key}`).sort()
      for (let i = 0; i < ids.length; i++) {
        for (let j = i + 1; j < ids.length; j++) {
          const a = ids[i] as string
          const b = ids[j] as string
          // Two moods never share an entry, so pairs are theme-theme or theme-emotion.
          pair.run(a, b, by)
        }
      }
    }

    return (event: ProjectedEvent) => {
      if (event.redacted) return
      switch (event.type) {
        case 'reflection.recorded': {
          const b = event.body
          const mentions: { kind: MentionKind; key: string; time: number }[] = []
          for (const tag of new Set(b.tags)) {
            if (mention.run(event.id, 'theme', tag, event.time).changes) {
              mentions.push({ kind: 'theme', key: tag, time: event.time })
            }
          }
          const mood = b.mood?.trim().toLowerCase()
          if (mood && mention.run(event.id, 'emotion', mood, event.time).changes) {
            mentions.push({ kind: 'emotion', key: mood, time: event.time })
          }
          count(mentions, 1)
          return
        }
        case 'reflection.retracted': {
          const mentions = mentionsOf.all(event.body.ref)
          if (mentions.length === 0) return
          count(mentions, -1)
          forget.run(event.body.ref)
          dropEmptyBuckets.run()
          dropEmptyPairs.run()
          return
        }
        default:
          return
      }
    }
  }
}

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
