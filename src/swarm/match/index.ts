/**
 * Matching within a sphere: a pure, in-memory module the sphere view feeds with its
 * members' shared profiles. See docs/matching.md.
 */
export {
  type FeedbackEvent,
  FeedbackEventSchema,
  type FeedbackExplanation,
  FeedbackModel,
  type FeedbackOptions
} from './feedback.js'
export { MatchIndex, type MatchIndexOptions, type MatchOptions } from './match-index.js'
export {
  DEFAULT_SKILL_LEVEL,
  FACET_KINDS,
  type Facet,
  type FacetKind,
  FacetSchema,
  type MemberProfile,
  MemberProfileSchema,
  type NormalizedProfile,
  normalizeProfile
} from './profile.js'
export {
  COMPONENTS,
  type Component,
  type ComponentValues,
  DEFAULT_MIN_SIMILARITY,
  DEFAULT_WEIGHTS,
  type FacetRef,
  idf,
  type MatchedItem,
  type MatchResult,
  resolveWeights,
  type Weights
} from './score.js'
export { type Embedder, embedProfile, type ProfileEmbeddings } from './semantic.js'
export {
  type Evaluation,
  type EvaluationOptions,
  evaluate,
  evaluateSynthetic,
  type SyntheticOptions,
  type SyntheticSphere,
  syntheticSphere
} from './synthetic.js'
export { DEFAULT_VOCABULARY, normalizeTerm, SYNONYMS, type SynonymGroup, stem, Vocabulary } from './vocabulary.js'
