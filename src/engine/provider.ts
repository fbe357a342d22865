import type { EgressPurpose } from '../events/egress.js'
import type { MirrorContext } from './context.js'
import type { EvolutionDigest } from './digest.js'
import type { Prompt, Reflection } from './prompt.js'
import type { EngineKind } from './settings.js'

/** What leaves with a request: the ids of the events whose content is in it, and how many bytes of it. */
export interface Disclosure {
  readonly sent: readonly string[]
  readonly contentBytes: number
}

export interface MirrorInput {
  readonly context: MirrorContext
  readonly prompt: Prompt
  readonly disclosure: Disclosure
}

export interface EvolutionInput {
  readonly digest: EvolutionDigest
  readonly prompt: Prompt
  readonly disclosure: Disclosure
}

/**
 * One mirror engine. The built-in one reads the structured context; model-backed
 * ones read the prompt rendered from it. Either way the answer is a Reflection,
 * recorded as history: replay never calls a provider.
 */
export interface MirrorProvider {
  readonly kind: EngineKind
  /** Names the model in provenance: a lexicon version, a GGUF file name, a remote model name. */
  readonly model: string
  mirror(input: MirrorInput): Promise<Reflection>
  narrate(input: EvolutionInput): Promise<Reflection>
  /**
   * A model with a window: the prompt's real token count and the room for it. The
   * engine then shrinks the context until it fits (token estimates are only estimates).
   */
  measure?(prompt: Prompt): Promise<{ tokens: number; room: number }>
  /** Frees what it holds (a loaded model). Safe to call twice. */
  close(): Promise<void>
}

/** What a remote provider reports just before bytes leave: the ledger entry is appended before the request is sent. */
export interface EgressNotice {
  readonly endpoint: string
  readonly purpose: EgressPurpose
  readonly model: string
  readonly bytes: number
  readonly payloadHash: string
  readonly attempt: number
  readonly disclosure: Disclosure
}

export type EgressRecorder = (notice: EgressNotice) => Promise<void>
