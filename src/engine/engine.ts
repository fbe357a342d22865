import { CosmicError } from '../errors.js'
import { type EventJson, eventToJson } from '../events/envelope.js'
import { consentInForce } from '../projections/egress.js'
import type { Home } from '../store/home.js'
import { builtinProvider } from './builtin.js'
import { buildMirrorContext, contextSources, requireEntry } from './context.js'
import { buildEvolutionDigest, digestSources, evolutionPrompt } from './digest.js'
import { localProvider } from './local-llm.js'
import { mirrorPrompt, type Prompt, promptHash, type Reflection } from './prompt.js'
import type { Disclosure, EgressNotice, MirrorProvider } from './provider.js'
import { remoteProvider } from './remote-llm.js'
import {
  type EngineKind,
  type EngineSettings,
  type Environment,
  endpointAudience,
  type RemoteTarget,
  readSettings,
  remoteTarget,
  requireNetwork
} from './settings.js'

/**
 * The mirror engine over an open home: picks the provider the settings (or the
 * caller) name, enforces the modes, sealing and consent before anything can leave,
 * keeps the egress ledger, and records what the provider answered as history
 * (`mirrorback.generated`, `evolution.noted`). Replay reads those events; it never
 * comes back here.
 */

export interface EngineOptions {
  /** Use this engine for one call instead of the configured one. */
  engine?: EngineKind
  /** Where COSMIC_REMOTE_URL, COSMIC_REMOTE_MODEL and the API key are read from (default process.env). */
  env?: Environment
  /** Tests: the fetch a remote provider uses, and its first backoff in ms. */
  fetch?: typeof fetch
  backoffMs?: number
  /** Tests and benchmarks: a provider to use as is (kept open; the caller closes it). */
  provider?: MirrorProvider
  /** The clock consent expiry is checked against (default Date.now). */
  now?: () => number
}

export interface Provenance {
  kind: EngineKind
  model: string
  promptHash: string
}

export interface MirrorOutcome {
  /** The `mirrorback.generated` event. */
  event: EventJson
  text: string
  themes: string[]
  engine: Provenance
  /** What the context held: estimated tokens, budget, and the events its words come from. */
  context: { tokens: number; budget: number; sources: string[] }
  /** Ledger entries appended for this call (remote only). */
  egress: EventJson[]
  /** Why the engine differs from the configured one, if it does. */
  note: string | null
}

/** Room left in a local model's window for its chat template and the system message. */
const TEMPLATE_RESERVE = 256

function contextBudget(kind: EngineKind, settings: EngineSettings): number {
  if (kind !== 'local_llm') return settings.contextTokens
  const room = settings.contextSize - settings.maxTokens - TEMPLATE_RESERVE
  if (room < 64) {
    throw CosmicError.INVALID_INPUT(
      `context_size ${settings.contextSize} leaves no room for a prompt next to max_tokens ${settings.maxTokens}; raise context_size or lower max_tokens`
    )
  }
  return Math.min(settings.contextTokens, room)
}

interface Gate {
  kind: EngineKind
  note: string | null
  target: RemoteTarget | null
  consent: string | null
}

/** Decides which engine runs and whether bytes may leave: mode, sealing and consent, before anything is built. */
function gate(
  settings: EngineSettings,
  options: EngineOptions,
  home: Home,
  sealed: boolean,
  scope: 'mirror' | 'evolution'
): Gate {
  let kind = options.engine ?? settings.engine
  let note: string | null = null
  if (kind === 'remote_llm' && sealed) {
    if (options.engine) {
      throw CosmicError.NETWORK_REFUSED(
        'this entry is sealed: it never leaves this device, not even to a remote model. Mirror it here: --engine builtin (or local_llm)'
      )
    }
    kind = 'builtin'
    note = 'sealed entry: mirrored on this device by the built-in engine; it never goes to a remote model'
  }
  if (kind !== 'remote_llm') return { kind, note, target: null, consent: null }

  requireNetwork(settings, 'a remote model call')
  const target = remoteTarget(settings, options.env ?? process.env)
  const audience = endpointAudience(target.baseUrl)
  const now = (options.now ?? Date.now)()
  const consent = consentInForce(home.readModel.db, audience, scope, now)
  if (!consent) {
    throw CosmicError.CONSENT_REQUIRED(
      `no consent in force lets ${target.baseUrl} receive your data for "${scope}"; nothing was sent. To allow it: cosmic consent grant ${target.baseUrl} --scope ${scope}`,
      { endpoint: target.baseUrl, scope }
    )
  }
  return { kind, note, target, consent: consent.id }
}

function createProvider(
  kind: EngineKind,
  settings: EngineSettings,
  gateResult: Gate,
  options: EngineOptions,
  recordEgress: (notice: EgressNotice) => Promise<void>
): MirrorProvider {
  switch (kind) {
    case 'builtin':
      return builtinProvider()
    case 'local_llm':
      if (!settings.modelPath) {
        throw CosmicError.MODEL_UNAVAILABLE(
          'local_llm has no model file: cosmic config set engine local_llm --model /path/to/model.gguf'
        )
      }
      return localProvider({
        modelPath: settings.modelPath,
        contextSize: settings.contextSize,
        maxTokens: settings.maxTokens
      })
    case 'remote_llm':
      return remoteProvider({
        target: gateResult.target!,
        maxTokens: settings.maxTokens,
        recordEgress,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {})
      })
    default: {
      const never: never = kind
      throw CosmicError.INVALID_INPUT(`unknown engine ${String(never)}`)
    }
  }
}

/** Makes a model's answer fit the event schema: well-formed text without control characters, short unique themes. */
export function cleanReflection(reflection: Reflection, who: string): Reflection {
  const text = reflection.text
    .toWellFormed()
    .replace(/(?![\n\t])\p{Cc}/gu, '')
    .trim()
    .slice(0, 50_000)
  if (!text) throw CosmicError.MODEL_FAILED(`${who} answered an empty text`)
  const themes: string[] = []
  for (const raw of reflection.themes) {
    const theme = raw
      .toWellFormed()
      .replace(/\p{Cc}/gu, '')
      .replace(/\s+/g, ' ')
      .trim()
      .toLowerCase()
      .slice(0, 64)
      .trim()
    if (theme && !themes.includes(theme)) themes.push(theme)
    if (themes.length === 12) break
  }
  return { text, themes }
}

/**
 * Builds a prompt under a budget of estimated tokens; when the provider can count
 * real tokens (a local model's tokenizer) and the prompt does not fit its window,
 * builds it again under a budget shrunk by the measured excess.
 */
async function fitted<T extends { prompt: Prompt }>(
  provider: MirrorProvider,
  budget: number,
  build: (tokens: number) => Promise<T>
): Promise<T> {
  let built = await build(budget)
  if (!provider.measure || !Number.isFinite(budget)) return built
  for (let attempt = 0; attempt < 4; attempt++) {
    const { tokens, room } = await provider.measure(built.prompt)
    if (tokens <= room) return built
    budget = Math.max(16, Math.floor(((budget * room) / tokens) * 0.9))
    built = await build(budget)
  }
  return built
}

function disclosureOf(prompt: Prompt, sent: string[]): Disclosure {
  return { sent, contentBytes: Buffer.byteLength(prompt.user, 'utf8') }
}

async function withProvider<T>(
  home: Home,
  settings: EngineSettings,
  gateResult: Gate,
  options: EngineOptions,
  run: (provider: MirrorProvider) => Promise<T>
): Promise<{ result: T; provider: MirrorProvider; egress: EventJson[] }> {
  const egress: EventJson[] = []
  const recordEgress = async (notice: EgressNotice) => {
    const [event] = await home.append([
      {
        type: 'egress.recorded',
        body: {
          endpoint: notice.endpoint.slice(0, 500),
          purpose: notice.purpose,
          model: notice.model.slice(0, 500),
          consent: gateResult.consent!,
          sent: [...notice.disclosure.sent],
          bytes: notice.bytes,
          contentBytes: notice.disclosure.contentBytes,
          payloadHash: notice.payloadHash,
          attempt: notice.attempt
        }
      }
    ])
    egress.push(eventToJson(event!))
  }
  const provider = options.provider ?? createProvider(gateResult.kind, settings, gateResult, options, recordEgress)
  try {
    return { result: await run(provider), provider, egress }
  } finally {
    if (!options.provider) await provider.close()
  }
}

/** Mirrors one entry and records the mirrorback. */
export async function mirrorEntry(home: Home, ref: string, options: EngineOptions = {}): Promise<MirrorOutcome> {
  const db = home.readModel.db
  const settings = readSettings(db)
  const entry = requireEntry(db, ref)
  const gateResult = gate(settings, options, home, entry.sealed, 'mirror')
  const kind = options.provider?.kind ?? gateResult.kind
  const scope = kind === 'remote_llm' && settings.mode === 'hybrid' ? 'entry' : 'full'
  const { result, provider, egress } = await withProvider(home, settings, gateResult, options, async (p) => {
    const built = await fitted(p, contextBudget(kind, settings), async (tokens) => {
      const context = await buildMirrorContext(home, entry.id, { tokens, scope })
      return { context, prompt: mirrorPrompt(context) }
    })
    const sources = contextSources(built.context)
    const reflection = await p.mirror({ ...built, disclosure: disclosureOf(built.prompt, sources) })
    return { reflection, ...built, sources }
  })
  const { context, sources } = result
  const hash = promptHash(result.prompt)
  const clean = cleanReflection(result.reflection, `${provider.kind} (${provider.model})`)
  const engine: Provenance = {
    kind: provider.kind,
    model: provider.model.slice(0, 500) || provider.kind,
    promptHash: hash
  }
  const [event] = await home.append([
    { type: 'mirrorback.generated', body: { ref: entry.id, text: clean.text, themes: clean.themes, engine } }
  ])
  return {
    event: eventToJson(event!),
    text: clean.text,
    themes: clean.themes,
    engine,
    context: { tokens: context.tokens, budget: context.budget, sources },
    egress,
    note: gateResult.note
  }
}

export interface EvolutionRequest {
  from: number
  to: number
  /** Change lines computed by the caller (e.g. `diffSnapshots(...).summary`): recorded, and shown to local engines. */
  changes?: readonly string[]
}

export interface EvolutionOutcome {
  /** The `evolution.noted` event. */
  event: EventJson
  summary: string
  themes: string[]
  changes: string[]
  engine: Provenance
  egress: EventJson[]
}

/**
 * Asks the engine for a short narrative of a window of time and appends
 * `evolution.noted` with it. `cosmic evolution --note` is the place to call it from,
 * passing its graph diff as `changes`.
 */
export async function noteEvolution(
  home: Home,
  request: EvolutionRequest,
  options: EngineOptions = {}
): Promise<EvolutionOutcome> {
  const settings = readSettings(home.readModel.db)
  const gateResult = gate(settings, options, home, false, 'evolution')
  const kind = options.provider?.kind ?? gateResult.kind
  const { result, provider, egress } = await withProvider(home, settings, gateResult, options, async (p) => {
    const initial = kind === 'builtin' ? Number.POSITIVE_INFINITY : contextBudget(kind, settings)
    const built = await fitted(p, initial, async (tokens) => {
      const digest = await buildEvolutionDigest(home, {
        from: request.from,
        to: request.to,
        ...(request.changes ? { changes: request.changes } : {}),
        tokens,
        includeChanges: kind !== 'remote_llm'
      })
      return { digest, prompt: evolutionPrompt(digest) }
    })
    const reflection = await p.narrate({
      ...built,
      disclosure: disclosureOf(built.prompt, digestSources(built.digest))
    })
    return { reflection, prompt: built.prompt }
  })
  const hash = promptHash(result.prompt)
  const clean = cleanReflection(result.reflection, `${provider.kind} (${provider.model})`)
  const changes = (request.changes ?? [])
    .map((c) => c.toWellFormed().trim().slice(0, 500))
    .filter(Boolean)
    .slice(0, 1000)
  const [event] = await home.append([
    {
      type: 'evolution.noted',
      body: {
        from: request.from,
        to: request.to,
        summary: clean.text,
        changes,
        engine: { kind: provider.kind, model: provider.model, promptHash: hash }
      }
    }
  ])
  return {
    event: eventToJson(event!),
    summary: clean.text,
    themes: clean.themes,
    changes,
    engine: { kind: provider.kind, model: provider.model, promptHash: hash },
    egress
  }
}
