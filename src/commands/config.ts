import { isAbsolute, resolve } from 'node:path'
import { checkModelFile } from '../engine/local-llm.js'
import {
  type ConfigBody,
  ENGINE_KINDS,
  type EngineSettings,
  MIRROR_MODES,
  normalizeEndpoint,
  readConfig,
  withDefaults
} from '../engine/settings.js'
import { CosmicError } from '../errors.js'
import { validateBody } from '../events/catalog.js'
import { type EventJson, eventToJson } from '../events/envelope.js'
import { getSetting } from '../projections/queries.js'
import { defineCommand } from './command.js'

/**
 * `cosmic config show|set|unset`. Every change appends one `config.changed` event
 * holding the settings as they stand after it (modes are history too). Keys are
 * the snake_case names people type; the event uses the schema's names.
 */

type Field = Exclude<keyof ConfigBody, never>

interface KeySpec {
  field: Field
  help: string
  parse(value: string): Promise<unknown> | unknown
  /** Optional settings can be unset; the three mode flags cannot. */
  optional: boolean
}

function integer(key: string, min: number, max: number) {
  return (value: string) => {
    const n = Number(value)
    if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
      throw CosmicError.INVALID_INPUT(`${key} must be a whole number from ${min} to ${max} (got "${value}")`)
    }
    return n
  }
}

function oneOf<T extends string>(key: string, values: readonly T[]) {
  return (value: string): T => {
    if (!(values as readonly string[]).includes(value)) {
      throw CosmicError.INVALID_INPUT(`${key} must be one of ${values.join(', ')} (got "${value}")`)
    }
    return value as T
  }
}

function boolean(key: string) {
  return (value: string): boolean => {
    const v = value.trim().toLowerCase()
    if (['true', 'on', 'yes', '1'].includes(v)) return true
    if (['false', 'off', 'no', '0'].includes(v)) return false
    throw CosmicError.INVALID_INPUT(`${key} must be true or false (got "${value}")`)
  }
}

function text(key: string, max = 4096) {
  return (value: string): string => {
    const v = value.trim()
    if (!v || v.length > max) throw CosmicError.INVALID_INPUT(`${key} must be 1 to ${max} characters`)
    return v
  }
}

function absolutePath(value: string): string {
  return isAbsolute(value) ? value : resolve(value)
}

export const CONFIG_KEYS: Readonly<Record<string, KeySpec>> = {
  mirror_mode: {
    field: 'mode',
    help: 'local (nothing leaves this device) | hybrid (a remote model sees only the entry) | cloud (entry and context)',
    parse: oneOf('mirror_mode', MIRROR_MODES),
    optional: false
  },
  engine_mode: {
    field: 'engine',
    help: 'builtin | local_llm | remote_llm',
    parse: oneOf('engine_mode', ENGINE_KINDS),
    optional: false
  },
  sync_enabled: { field: 'sync', help: 'true | false', parse: boolean('sync_enabled'), optional: false },
  context_tokens: {
    field: 'contextTokens',
    help: 'budget of the context sent to a model, in estimated tokens (64..1000000)',
    parse: integer('context_tokens', 64, 1_000_000),
    optional: true
  },
  model: {
    field: 'modelPath',
    help: 'local_llm: path of a GGUF model file',
    async parse(value: string) {
      const path = absolutePath(text('model')(value))
      await checkModelFile(path)
      return path
    },
    optional: true
  },
  context_size: {
    field: 'contextSize',
    help: 'local_llm: context window in tokens (256..1048576)',
    parse: integer('context_size', 256, 1_048_576),
    optional: true
  },
  max_tokens: {
    field: 'maxTokens',
    help: 'tokens a model may generate per answer (16..65536)',
    parse: integer('max_tokens', 16, 65_536),
    optional: true
  },
  remote_url: {
    field: 'remoteUrl',
    help: 'remote_llm: base URL of an OpenAI-compatible API (http://host:port/v1)',
    parse: (v: string) => normalizeEndpoint(text('remote_url', 500)(v)),
    optional: true
  },
  remote_model: {
    field: 'remoteModel',
    help: 'remote_llm: model name',
    parse: text('remote_model', 500),
    optional: true
  },
  remote_key_env: {
    field: 'remoteKeyEnv',
    help: 'environment variable that holds the API key (default COSMIC_REMOTE_API_KEY)',
    parse(value: string) {
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(value)) {
        throw CosmicError.INVALID_INPUT(`remote_key_env must be an environment variable name (got "${value}")`)
      }
      return value
    },
    optional: true
  },
  remote_key_file: {
    field: 'remoteKeyFile',
    help: 'file that holds the API key (the key itself is never recorded)',
    parse: (v: string) => absolutePath(text('remote_key_file')(v)),
    optional: true
  },
  remote_timeout_ms: {
    field: 'remoteTimeoutMs',
    help: 'per attempt, in ms (100..3600000)',
    parse: integer('remote_timeout_ms', 100, 3_600_000),
    optional: true
  },
  remote_retries: {
    field: 'remoteRetries',
    help: 'retries on 429, 5xx, a timeout or a dropped connection, with backoff (0..10)',
    parse: integer('remote_retries', 0, 10),
    optional: true
  }
}

/** Short names people reach for. */
const ALIASES: Readonly<Record<string, string>> = {
  mode: 'mirror_mode',
  engine: 'engine_mode',
  sync: 'sync_enabled',
  model_path: 'model',
  url: 'remote_url'
}

function keySpec(name: string): { key: string; spec: KeySpec } {
  const key = ALIASES[name.trim().toLowerCase().replace(/-/g, '_')] ?? name.trim().toLowerCase().replace(/-/g, '_')
  const spec = CONFIG_KEYS[key]
  if (!spec) {
    throw CosmicError.INVALID_INPUT(
      `unknown setting "${name}"; the settings are: ${Object.keys(CONFIG_KEYS).join(', ')}`
    )
  }
  return { key, spec }
}

/**
 * Checks a whole configuration: local mode refuses every network use, so it cannot
 * stand next to a remote engine or sync; each engine needs what it runs on.
 */
export function decideConfig(next: ConfigBody, env: Readonly<Record<string, string | undefined>>): void {
  if (next.mode === 'local' && next.engine === 'remote_llm') {
    throw CosmicError.NETWORK_REFUSED(
      'mirror_mode local refuses every network use, so engine_mode cannot be remote_llm. Choose: cosmic config set mirror_mode hybrid engine_mode remote_llm (or keep local with engine_mode builtin or local_llm)'
    )
  }
  if (next.mode === 'local' && next.sync) {
    throw CosmicError.NETWORK_REFUSED(
      'mirror_mode local refuses every network use, so sync_enabled cannot be true. Choose: cosmic config set mirror_mode hybrid sync_enabled true (or keep sync off)'
    )
  }
  if (next.engine === 'local_llm' && !next.modelPath) {
    throw CosmicError.MODEL_UNAVAILABLE('local_llm needs a model file: cosmic config set engine local_llm --model PATH')
  }
  if (next.engine === 'remote_llm') {
    if (!next.remoteUrl && !env.COSMIC_REMOTE_URL) {
      throw CosmicError.INVALID_INPUT(
        'remote_llm needs an endpoint: cosmic config set engine remote_llm --url http://host:port/v1 --remote-model NAME'
      )
    }
    if (!next.remoteModel && !env.COSMIC_REMOTE_MODEL) {
      throw CosmicError.INVALID_INPUT('remote_llm needs a model name: --remote-model NAME (or remote_model NAME)')
    }
  }
}

/** The event body: only fields that are set, in the schema's order. */
function canonicalConfig(config: ConfigBody): ConfigBody {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(config)) if (value !== undefined) out[key] = value
  return validateBody('config.changed', out)
}

function sameConfig(a: ConfigBody, b: ConfigBody): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof ConfigBody>
  for (const k of keys) if (a[k] !== b[k]) return false
  return true
}

export interface ConfigView {
  settings: EngineSettings
  /** Which settings are explicitly recorded (the rest are defaults). */
  recorded: string[]
  /** Environment variables that override settings right now. */
  environment: Record<string, string>
  apiKey: string
  warnings: string[]
}

function view(config: ConfigBody, env: Readonly<Record<string, string | undefined>>, fromEvent = true): ConfigView {
  const settings = withDefaults(config)
  const environment: Record<string, string> = {}
  for (const name of ['COSMIC_REMOTE_URL', 'COSMIC_REMOTE_MODEL', 'COSMIC_LLM_THREADS']) {
    const value = env[name]
    if (value) environment[name] = value
  }
  const apiKey = env[settings.remoteKeyEnv]
    ? `set in $${settings.remoteKeyEnv}`
    : settings.remoteKeyFile
      ? `read from ${settings.remoteKeyFile}`
      : `not set ($${settings.remoteKeyEnv} is empty)`
  const warnings: string[] = []
  if (settings.mode === 'local') warnings.push('mirror_mode is local: nothing leaves this device.')
  if (settings.engine === 'remote_llm') {
    warnings.push('remote_llm sends entries to the endpoint only with a consent in force: cosmic consent list.')
    warnings.push('sealed entries are never sent: they are mirrored here by the built-in engine.')
  }
  const recorded = fromEvent
    ? Object.entries(CONFIG_KEYS)
        .filter(([, spec]) => config[spec.field] !== undefined)
        .map(([key]) => key)
    : []
  return { settings, recorded, environment, apiKey, warnings }
}

function renderView(v: ConfigView): string {
  const s = v.settings
  const rows: [string, string][] = [
    ['mirror_mode', s.mode],
    ['engine_mode', s.engine],
    ['sync_enabled', String(s.sync)],
    ['context_tokens', String(s.contextTokens)],
    ['model', s.modelPath ?? '(none)'],
    ['context_size', String(s.contextSize)],
    ['max_tokens', String(s.maxTokens)],
    ['remote_url', s.remoteUrl ?? '(none)'],
    ['remote_model', s.remoteModel ?? '(none)'],
    ['remote_key_env', s.remoteKeyEnv],
    ['remote_key_file', s.remoteKeyFile ?? '(none)'],
    ['remote_timeout_ms', String(s.remoteTimeoutMs)],
    ['remote_retries', String(s.remoteRetries)]
  ]
  const lines = rows.map(([k, value]) => `${k.padEnd(18)} ${value}${v.recorded.includes(k) ? '' : '  (default)'}`)
  lines.push(`${'api key'.padEnd(18)} ${v.apiKey}`)
  for (const [name, value] of Object.entries(v.environment)) lines.push(`${name} overrides: ${value}`)
  for (const w of v.warnings) lines.push(`Note: ${w}`)
  return lines.join('\n')
}

export const configShow = defineCommand<Record<string, never>, ConfigView>({
  name: 'config show',
  summary: 'the mode flags and engine settings in force',
  async run({ home }) {
    const db = home.readModel.db
    return view(readConfig(db), process.env, getSetting(db, 'config') !== undefined)
  },
  render: renderView
})

export interface ConfigSetInput {
  /** Setting names and values, in order: later ones win. */
  pairs: readonly (readonly [string, string])[]
}

export interface ConfigChangeOutput extends ConfigView {
  changed: boolean
  event: EventJson | null
}

function renderChange(o: ConfigChangeOutput): string {
  const head = o.changed ? `Settings changed (config.changed at seq ${o.event!.seq}):` : 'Nothing changed.'
  return `${head}\n${renderView(o)}`
}

export const configSet = defineCommand<ConfigSetInput, ConfigChangeOutput>({
  name: 'config set',
  summary: 'change settings: one config.changed event for the whole command',
  async run({ home }, input) {
    if (input.pairs.length === 0) throw CosmicError.INVALID_INPUT('nothing to set: cosmic config set KEY VALUE')
    const current = readConfig(home.readModel.db)
    const next: Record<string, unknown> = { ...current }
    for (const [name, value] of input.pairs) {
      const { spec } = keySpec(name)
      next[spec.field] = await spec.parse(value)
    }
    return commit(home, current, next as ConfigBody)
  },
  render: renderChange
})

export const configUnset = defineCommand<{ keys: readonly string[] }, ConfigChangeOutput>({
  name: 'config unset',
  summary: 'return settings to their defaults',
  async run({ home }, input) {
    if (input.keys.length === 0) throw CosmicError.INVALID_INPUT('nothing to unset: cosmic config unset KEY')
    const current = readConfig(home.readModel.db)
    const next: Record<string, unknown> = { ...current }
    for (const name of input.keys) {
      const { key, spec } = keySpec(name)
      if (!spec.optional) throw CosmicError.INVALID_INPUT(`${key} cannot be unset; set it instead`)
      delete next[spec.field]
    }
    return commit(home, current, next as ConfigBody)
  },
  render: renderChange
})

async function commit(
  home: Parameters<typeof configShow.run>[0]['home'],
  current: ConfigBody,
  next: ConfigBody
): Promise<ConfigChangeOutput> {
  decideConfig(next, process.env)
  const body = canonicalConfig(next)
  if (sameConfig(canonicalConfig(current), body)) {
    const recorded = getSetting(home.readModel.db, 'config') !== undefined
    return { ...view(current, process.env, recorded), changed: false, event: null }
  }
  const [event] = await home.append([{ type: 'config.changed', body }])
  return { ...view(body, process.env), changed: true, event: eventToJson(event!) }
}
