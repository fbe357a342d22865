import type { MatchComponent, MatchedItem, MatchResult } from './types.js'

/** What each score component is called, in the order the explanations list them. */
export const COMPONENT_NAMES: Readonly<Record<MatchComponent, string>> = {
  interests: 'shared interests',
  skills: 'skills that meet what is sought',
  values: 'shared values',
  semantic: 'similar descriptions'
}

/** How rare a shared interest or value is in the sphere, from its IDF (1: one member holds it, near 0: everyone). */
export function rarity(raw: number): string {
  if (raw >= 0.75) return 'rare here'
  if (raw >= 0.4) return 'some here share it'
  return 'common here'
}

const level = (n: number | undefined) => (n ? `level ${n}` : '')

/** " (a; b)" of the notes given, or nothing. */
function bracket(...notes: string[]): string {
  const given = notes.filter(Boolean)
  return given.length ? ` (${given.join('; ')})` : ''
}

/** When the two sides met through normalisation ("TS" and "TypeScript") rather than the same words. */
function wrote(mine: string, theirs: string): string {
  return mine.trim().toLowerCase() === theirs.trim().toLowerCase() ? '' : `you wrote “${mine}”`
}

/** One matched item as a sentence: "You both care about climbing (rare here)", "They have TypeScript (level 4), which you seek". */
export function explainItem(result: MatchResult, item: MatchedItem): string {
  const { mine, theirs } = item
  if (item.component === 'semantic') {
    return `Its description is close to ${mine.kind === 'seeking' ? 'what you seek' : 'your interest'}: ${mine.label}`
  }
  if (result.kind === 'project') {
    return mine.kind === 'seeking'
      ? `It involves ${mine.label}, which you seek`
      : `It is about ${mine.label}, one of your interests`
  }
  if (item.component === 'interests') {
    return `You both care about ${theirs.label}${bracket(wrote(mine.label, theirs.label), rarity(item.raw))}`
  }
  if (item.component === 'values') {
    return `You both value ${theirs.label}${bracket(wrote(mine.label, theirs.label), rarity(item.raw))}`
  }
  if (mine.kind === 'seeking') {
    return `They have ${theirs.label}${bracket(level(theirs.level))}, which you seek${bracket(wrote(mine.label, theirs.label))}`
  }
  return `They seek ${theirs.label}, which you have${bracket(level(mine.level), wrote(mine.label, theirs.label))}`
}

/**
 * Rounds the contributions to hundredths so that the rounded parts add up to the
 * rounded score (largest remainder): the list under a match must visibly add up, and
 * rounding each part on its own can miss the total by a hundredth. No library does
 * this one small thing.
 */
export function roundedParts(values: readonly number[], total: number): number[] {
  const scaled = values.map((v) => Math.max(0, v) * 100)
  const floors = scaled.map(Math.floor)
  let left = Math.round(total * 100) - floors.reduce((s, v) => s + v, 0)
  const order = scaled.map((v, i) => [v - Math.floor(v), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1])
  for (const [, i] of order) {
    if (left <= 0) break
    floors[i] = (floors[i] ?? 0) + 1
    left--
  }
  return floors.map((v) => v / 100)
}

/** "0.40" */
export const two = (n: number) => n.toFixed(2)
