import { devicesProjection } from './devices.js'
import { egressProjection } from './egress.js'
import { feedbackProjection } from './feedback.js'
import { graphProjection } from './graph.js'
import { patternsProjection } from './patterns.js'
import { profileProjection } from './profile.js'
import type { Projection } from './projection.js'
import { redactionsProjection } from './redactions.js'
import { sharesProjection } from './shares.js'
import { tensionsProjection } from './tensions.js'
import { timelineProjection } from './timeline.js'

/** Every projection of the home's read model, in the order they are applied. */
export const PROJECTIONS: readonly Projection[] = [
  redactionsProjection,
  timelineProjection,
  tensionsProjection,
  profileProjection,
  graphProjection,
  patternsProjection,
  egressProjection,
  sharesProjection,
  feedbackProjection,
  devicesProjection
]

export type { ProjectedEvent, Projection } from './projection.js'
