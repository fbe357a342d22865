import { readFileSync } from 'node:fs'
import { CosmicError } from '../errors.js'
import type { EventBody } from '../events/catalog.js'
import { DEFAULT_CONFIG } from '../events/config.js'
import type { Database } from '../projections/projection.js'
import { getSetting } from '../projections/queries.js'

export type MirrorMode = 'local' | 'hybrid' | 'cloud'
export type EngineKind = 'builtin' | 'local_llm' | 'remote_llm'
export const ENGINE_KINDS: readonly EngineKind[] = ['builtin', 'local_llm', 'remote_llm']
export const MIRROR_MODES: readonly MirrorMode[] = ['local', 'hybrid', 'cloud']

/** What a `config.changed` event records: the settings as they stand after the change. */
export type ConfigBody = EventBody<'config.changed'>

/** Defaults for what a config event leaves out. */
export const ENGINE_DEFAULTS = {
  contextTokens: 1500,
  contextSize: 4096,
  maxTokens: 1024,
  remoteKeyEnv: 'COSMIC_REMOTE_API_KEY',
  remoteTimeoutMs: 60_000,
  remoteRetries: 2
} as const

/** Settings with defaults filled in: what the engine runs with. */
export interface EngineSettings {
  mode: MirrorMode
  engine: EngineKind
  sync: boolean
  contextTokens: number
  modelPath: string | null
  contextSize: number
  maxTokens: number
  remoteUrl: string | null
  remoteModel: string | null
  remoteKeyEnv: string
  remoteKeyFile: string | null
  remoteTimeoutMs: number
  remoteRetries: number
}

/** The last recorded config body (upcast to the current schema), or the defaults. */
export function readConfig(db: Database): ConfigBody {
  const stored = getSetting(db, 'config')
  if (!stored) return { ...DEFAULT_CONFIG }
  return JSON.parse(stored) as ConfigBody
}

export function withDefaults(config: ConfigBody): EngineSettings {
  return {
    mode: config.mode,
    engine: config.engine,
    sync: config.sync,
    contextTokens: config.contextTokens ?? ENGINE_DEFAULTS.contextTokens,
    modelPath: config.modelPath ?? null,
    contextSize: config.contextSize ?? ENGINE_DEFAULTS.contextSize,
    maxTokens: config.maxTokens ?? ENGINE_DEFAULTS.maxTokens,
    remoteUrl: config.remoteUrl ?? null,
    remoteModel: config.remoteModel ?? null,
    remoteKeyEnv: config.remoteKeyEnv ?? ENGINE_DEFAULTS.remoteKeyEnv,
    remoteKeyFile: config.remoteKeyFile ?? null,
    remoteTimeoutMs: config.remoteTimeoutMs ?? ENGINE_DEFAULTS.remoteTimeoutMs,
    remoteRetries: config.remoteRetries ?? ENGINE_DEFAULTS.remoteRetries
  }
}

export function readSettings(db: Database): EngineSettings {
  return withDefaults(readConfig(db))
}

export type Environment = Readonly<Record<string, string | undefined>>

/** The remote endpoint as it will be called: `COSMIC_REMOTE_URL` / `COSMIC_REMOTE_MODEL` override the settings. */
export interface RemoteTarget {
  baseUrl: string
  model: string
  apiKey: string | null
  timeoutMs: number
  retries: number
}

export function remoteTarget(settings: EngineSettings, env: Environment): RemoteTarget {
  const url = env.COSMIC_REMOTE_URL || settings.remoteUrl
  if (!url) {
    throw CosmicError.INVALID_INPUT(
      'remote_llm needs an endpoint: cosmic config set engine remote_llm --url http://host:port/v1 --remote-model NAME (or set COSMIC_REMOTE_URL)'
    )
  }
  const model = env.COSMIC_REMOTE_MODEL || settings.remoteModel
  if (!model) {
    throw CosmicError.INVALID_INPUT(
      'remote_llm needs a model name: cosmic config set remote_model NAME (or set COSMIC_REMOTE_MODEL)'
    )
  }
  return {
    baseUrl: normalizeEndpoint(url),
    model,
    apiKey: apiKey(settings, env),
    timeoutMs: settings.remoteTimeoutMs,
    retries: settings.remoteRetries
  }
}

function apiKey(settings: EngineSettings, env: Environment): string | null {
  const fromEnv = env[settings.remoteKeyEnv]
  if (fromEnv) return fromEnv.trim()
  if (settings.remoteKeyFile) {
    try {
      return readFileSync(settings.remoteKeyFile, 'utf8').trim() || null
    } catch (err) {
      throw CosmicError.INVALID_INPUT(
        `cannot read the API key file ${settings.remoteKeyFile}: ${(err as Error).message}`
      )
    }
  }
  return null
}

/**
 * One spelling per endpoint, so a consent given to it matches however it is typed:
 * scheme and host lower-cased, default port dropped, no trailing slash, no query,
 * fragment or credentials (a key belongs in the key setting, not in a URL).
 */
export function normalizeEndpoint(input: string): string {
  let url: URL
  try {
    url = new URL(input.trim())
  } catch {
    throw CosmicError.INVALID_INPUT(`"${input}" is not a URL (e.g. http://127.0.0.1:8080/v1)`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw CosmicError.INVALID_INPUT(`"${input}": only http and https endpoints are supported`)
  }
  if (url.username || url.password) {
    throw CosmicError.INVALID_INPUT(`"${input}" carries credentials: put the key in COSMIC_REMOTE_API_KEY instead`)
  }
  if (url.search || url.hash) throw CosmicError.INVALID_INPUT(`"${input}": an endpoint has no query or fragment`)
  const path = url.pathname.replace(/\/+$/, '')
  return `${url.protocol}//${url.host}${path}`
}

/** The consent audience that names an endpoint. */
export function endpointAudience(baseUrl: string): string {
  return `endpoint:${normalizeEndpoint(baseUrl)}`
}

/**
 * Local mode refuses every network use. Called before anything could leave the
 * device: a remote model call here, and (for whoever builds it) sync.
 */
export function requireNetwork(settings: Pick<EngineSettings, 'mode'>, purpose: string): void {
  if (settings.mode === 'local') {
    throw CosmicError.NETWORK_REFUSED(
      `mirror_mode is local: nothing leaves this device, so ${purpose} is refused. To allow it: cosmic config set mirror_mode hybrid (or cloud)`
    )
  }
}
