import test from 'brittle'
import { normalizeTags } from '../src/commands/journal.js'
import { CosmicError } from '../src/errors.js'
import { checkFacet, decideRemove } from '../src/events/profile.js'
import { decideAmend, decideRecord, decideRetract, type ReflectionState } from '../src/events/reflection.js'
import { decideResolve, decideShift, type TensionState, tensionSlug } from '../src/events/tension.js'

/** given(state).when(decision).then(nothing thrown | code) — the domain rules without storage. */
function thenThrows(t: import('brittle').Test, fn: () => void, code: string, why: string): void {
  try {
    fn()
    t.fail(`${why}: no error`)
  } catch (err) {
    t.is(CosmicError.is(err) ? err.code : String(err), code, why)
  }
}

const entry: ReflectionState = { id: 'a'.repeat(64), seq: 3, retracted: false, sealed: false, privacy: 'private' }
const money: TensionState = { id: 'money', name: 'Money', poles: ['scarcity', 'control'], resolved: false }

test('reflections: amend and retract need a live entry; sealed is never shareable', (t) => {
  t.execution(() => decideAmend(entry, entry.id))
  t.execution(() => decideRetract(entry, entry.id))
  thenThrows(t, () => decideAmend(undefined, 'x'), 'NOT_FOUND', 'amend a missing entry')
  thenThrows(t, () => decideAmend({ ...entry, retracted: true }, entry.id), 'CONFLICT', 'amend a retracted entry')
  thenThrows(t, () => decideRetract({ ...entry, retracted: true }, entry.id), 'CONFLICT', 'retract twice')
  thenThrows(t, () => decideRecord({ sealed: true, privacy: 'shareable' }), 'INVALID_INPUT', 'sealed and shareable')
  t.execution(() => decideRecord({ sealed: true, privacy: 'private' }))
})

test('tensions: shift toward one of its poles only; resolve once', (t) => {
  t.execution(() => decideShift(money, 'money', 'control'))
  t.execution(() => decideShift({ ...money, resolved: true }, 'money', undefined), 'a resolved tension may come back')
  thenThrows(t, () => decideShift(money, 'money', 'freedom'), 'INVALID_INPUT', 'toward a pole it does not have')
  thenThrows(t, () => decideShift(undefined, 'money', undefined), 'NOT_FOUND', 'shift a missing tension')
  thenThrows(t, () => decideResolve({ ...money, resolved: true }, 'money'), 'CONFLICT', 'resolve twice')
})

test('tension ids are readable slugs, made unique', (t) => {
  const taken = new Set(['money-scarcity-vs-control'])
  t.is(
    tensionSlug('Money: scarcity vs control', (s) => taken.has(s)),
    'money-scarcity-vs-control-2'
  )
  t.is(
    tensionSlug('Work / Rest', () => false),
    'work-rest'
  )
  t.is(
    tensionSlug('Café — über', () => false),
    'cafe-uber'
  )
  t.is(
    tensionSlug('???', () => false),
    'tension'
  )
})

test('profile facets belong to their dimension', (t) => {
  t.execution(() => checkFacet('mind', 'skill'))
  t.execution(() => checkFacet('body', 'presence'))
  thenThrows(t, () => checkFacet('mind', 'value'), 'INVALID_INPUT', 'value is a heart facet')
  thenThrows(t, () => checkFacet('soul', 'skill'), 'INVALID_INPUT', 'no such dimension')
  thenThrows(t, () => decideRemove(false, 'mind', 'skill', 'x'), 'NOT_FOUND', 'remove a facet that is not there')
})

test('tags are lower-case words without #, split on commas, spaces become dashes', (t) => {
  t.alike(normalizeTags(['#Money, work', 'WORK', ' ', 'inner child']), ['money', 'work', 'inner-child'])
})
