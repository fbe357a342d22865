import { type Static, Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { CosmicError } from '../../errors.js'
import { COMPONENTS, type ComponentValues, resolveWeights, type Weights } from './score.js'

const ComponentValue = Type.Number({ minimum: 0 })

/** A person's verdict on one result: the components it had when it was shown. */
export const FeedbackEventSchema = Type.Object(
  {
    member: Type.String({ minLength: 1 }),
    helpful: Type.Boolean(),
    components: Type.Object(
      { interests: ComponentValue, skills: ComponentValue, values: ComponentValue, semantic: ComponentValue },
      { additionalProperties: false }
    )
  },
  { additionalProperties: false }
)
export type FeedbackEvent = Static<typeof FeedbackEventSchema>

const checkEvent = TypeCompiler.Compile(FeedbackEventSchema)

export interface FeedbackOptions {
  /** Step size of each update; 0.05 when not given. */
  readonly learningRate?: number
  /** Pull of each learned adjustment back towards the chosen weights; 0.01 when not given. */
  readonly l2?: number
}

export interface FeedbackExplanation {
  /** The weights the person chose (or the defaults). */
  readonly base: Weights
  /** What feedback added to each (may be negative). */
  readonly adjustments: Weights
  /** The weights results are ranked by: base + adjustment, never below 0. */
  readonly weights: Weights
  readonly bias: number
  readonly events: number
  readonly helpful: number
  readonly notHelpful: number
  readonly learningRate: number
  readonly l2: number
}

function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z))
  const e = Math.exp(z)
  return e / (1 + e)
}

/**
 * Learned re-ranking from a person's own feedback, on their device: logistic
 * regression of "helpful" on the result's raw components, online (one stochastic
 * gradient step per event, in the order given), with the chosen weights as the
 * starting point. The model is
 *
 *   P(helpful) = sigmoid(bias + sum over components c of (base[c] + adjustment[c]) * components[c])
 *
 * so its linear part is a match score with re-weighted components, and ranking by
 * that score is ranking by predicted helpfulness; explanations stay exact. The L2
 * term pulls adjustments back towards 0, so a few events nudge the weights rather than
 * replace them. Ranking weights are clamped at 0: feedback can switch a component off
 * but never turn it into a reason against a match.
 *
 * No state is stored: the model is rebuilt from the feedback events in the journal,
 * and the same events in the same order give the same weights, bit for bit. Written
 * by hand because the registry's ml-logistic-regression trains in batches over a
 * matrix (ml-matrix) and has neither online updates nor a fixed offset.
 */
export class FeedbackModel {
  readonly base: Weights
  readonly learningRate: number
  readonly l2: number
  private readonly adjustment: Weights = { interests: 0, skills: 0, values: 0, semantic: 0 }
  private bias = 0
  private events = 0
  private helpfulCount = 0

  constructor(base?: Partial<Weights>, options: FeedbackOptions = {}) {
    this.base = resolveWeights(base)
    this.learningRate = options.learningRate ?? 0.05
    this.l2 = options.l2 ?? 0.01
    for (const [name, value] of [
      ['learningRate', this.learningRate],
      ['l2', this.l2]
    ] as const) {
      if (!Number.isFinite(value) || value < 0 || value > 1) {
        throw CosmicError.INVALID_INPUT(`${name} must be a number from 0 to 1 (got ${String(value)})`)
      }
    }
  }

  /** A model trained on the events, in order. */
  static fromEvents(
    events: Iterable<FeedbackEvent>,
    base?: Partial<Weights>,
    options?: FeedbackOptions
  ): FeedbackModel {
    const model = new FeedbackModel(base, options)
    for (const event of events) model.learn(event)
    return model
  }

  /** One gradient step on the log loss of this event. Refuses a malformed event (INVALID_INPUT). */
  learn(event: FeedbackEvent): void {
    if (!checkEvent.Check(event)) {
      const first = checkEvent.Errors(event).First()
      const field = first?.path ? first.path : '/'
      throw CosmicError.INVALID_INPUT(
        `feedback event: ${field} ${first ? first.message.toLowerCase() : 'is invalid'}`,
        {
          field
        }
      )
    }
    for (const c of COMPONENTS) {
      if (!Number.isFinite(event.components[c])) {
        throw CosmicError.INVALID_INPUT(`feedback event: /components/${c} must be finite`, {
          field: `/components/${c}`
        })
      }
    }
    const error = this.predict(event.components) - (event.helpful ? 1 : 0)
    for (const c of COMPONENTS) {
      this.adjustment[c] -= this.learningRate * (error * event.components[c] + this.l2 * this.adjustment[c])
    }
    this.bias -= this.learningRate * error
    this.events++
    if (event.helpful) this.helpfulCount++
  }

  private predict(components: ComponentValues): number {
    let z = this.bias
    for (const c of COMPONENTS) z += (this.base[c] + this.adjustment[c]) * components[c]
    return sigmoid(z)
  }

  /** The predicted probability that a result with these components is helpful. */
  probability(components: ComponentValues): number {
    return this.predict(components)
  }

  /** The weights to rank by: `index.matches(me, { weights: model.weights() })`. */
  weights(): Weights {
    const weights = { ...this.base }
    for (const c of COMPONENTS) weights[c] = Math.max(0, this.base[c] + this.adjustment[c])
    return weights
  }

  /** The learned weights and what they were learned from. */
  explain(): FeedbackExplanation {
    return {
      base: { ...this.base },
      adjustments: { ...this.adjustment },
      weights: this.weights(),
      bias: this.bias,
      events: this.events,
      helpful: this.helpfulCount,
      notHelpful: this.events - this.helpfulCount,
      learningRate: this.learningRate,
      l2: this.l2
    }
  }
}
