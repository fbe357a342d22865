import { Type } from '@sinclair/typebox'
import { defineEvent } from './schemas.js'

export const MirrorMode = Type.Union([Type.Literal('local'), Type.Literal('hybrid'), Type.Literal('cloud')])
export const EngineMode = Type.Union([Type.Literal('builtin'), Type.Literal('local_llm'), Type.Literal('remote_llm')])

const Setting = (description: string) => Type.String({ minLength: 1, maxLength: 4096, description })

/** Version 1: the three mode flags only. */
const ConfigChangedV1 = Type.Object(
  { mode: MirrorMode, engine: EngineMode, sync: Type.Boolean() },
  { additionalProperties: false }
)

export const configEvents = {
  'config.changed': defineEvent(
    'the settings as they stand after a change: mirror mode, engine, sync, and how the engines run (modes are history too); an API key is never recorded, only where to find it',
    2,
    Type.Object(
      {
        mode: MirrorMode,
        engine: EngineMode,
        sync: Type.Boolean(),
        contextTokens: Type.Optional(
          Type.Integer({ minimum: 64, maximum: 1_000_000, description: 'budget of the context sent to a model' })
        ),
        modelPath: Type.Optional(Setting('local_llm: absolute path of a GGUF file')),
        contextSize: Type.Optional(
          Type.Integer({ minimum: 256, maximum: 1_048_576, description: 'local_llm: context window in tokens' })
        ),
        maxTokens: Type.Optional(
          Type.Integer({ minimum: 16, maximum: 65_536, description: 'tokens a model may generate per answer' })
        ),
        remoteUrl: Type.Optional(Setting('remote_llm: base URL of an OpenAI-compatible API, e.g. http://host/v1')),
        remoteModel: Type.Optional(Setting('remote_llm: the model name to ask for')),
        remoteKeyEnv: Type.Optional(
          Type.String({
            pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$',
            description: 'environment variable holding the key'
          })
        ),
        remoteKeyFile: Type.Optional(Setting('file holding the key')),
        remoteTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000, description: 'per attempt' })),
        remoteRetries: Type.Optional(
          Type.Integer({
            minimum: 0,
            maximum: 10,
            description: 'retries on 429, 5xx, a timeout or a dropped connection, with backoff'
          })
        )
      },
      { additionalProperties: false }
    ),
    [
      {
        // Version 1 (before the engines had settings) held the three mode flags; the rest were defaults.
        schema: 1,
        body: ConfigChangedV1,
        upcast: (old) => ({ mode: old.mode, engine: old.engine, sync: old.sync })
      }
    ]
  )
} as const

export const DEFAULT_CONFIG = { mode: 'local', engine: 'builtin', sync: false } as const
