/** Dates and numbers as a person reads them, in their own locale and time zone. */

const dayFormat = new Intl.DateTimeFormat(undefined, {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric'
})
const shortFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' })
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' })

export function day(ms: number): string {
  return dayFormat.format(ms)
}

export function shortDay(ms: number): string {
  return shortFormat.format(ms)
}

export function clock(ms: number): string {
  return timeFormat.format(ms)
}

/** yyyy-mm-dd in local time: what <input type="date"> holds, and what the API reads as a whole day. */
export function isoDay(ms: number): string {
  const d = new Date(ms)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
}

export function percent(intensity: number): string {
  return `${Math.round(intensity * 100)}%`
}

/** Search snippets mark matches between « and »: split them so the matches can be highlighted. */
export function snippetParts(snippet: string): { text: string; match: boolean }[] {
  return snippet
    .split(/(«[^»]*»)/)
    .filter(Boolean)
    .map((part) => (part.startsWith('«') ? { text: part.slice(1, -1), match: true } : { text: part, match: false }))
}

/** The colour of each kind of node, shared by the graph and its legend. */
export const KIND_COLORS: Record<string, string> = {
  self: '#e7c76d',
  skill: '#8fb6d4',
  interest: '#b3cde0',
  project: '#6f9cc4',
  seeking: '#cfe0ee',
  value: '#e39a86',
  emotion: '#efbfae',
  person: '#f0c99c',
  body: '#9fc79a',
  theme: '#c9c3de',
  tension: '#a9a1cf',
  domain: '#ded9ea',
  dimension: '#f4efe6'
}
