import { Type } from '@sinclair/typebox'
import { defineEvent } from './schemas.js'

export const MirrorMode = Type.Union([Type.Literal('local'), Type.Literal('hybrid'), Type.Literal('cloud')])
export const EngineMode = Type.Union([Type.Literal('builtin'), Type.Literal('local_llm'), Type.Literal('remote_llm')])

export const configEvents = {
  'config.changed': defineEvent(
    'the mode flags changed: mirror mode, engine and whether sync is enabled (modes are history too)',
    1,
    Type.Object({ mode: MirrorMode, engine: EngineMode, sync: Type.Boolean() }, { additionalProperties: false })
  )
} as const

export const DEFAULT_CONFIG = { mode: 'local', engine: 'builtin', sync: false } as const
