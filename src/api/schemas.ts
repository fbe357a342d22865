import { type Static, type TSchema, Type } from '@sinclair/typebox'

/** Request schemas shared by the route groups. Every route validates what it takes. */

export const Dimension = Type.Union([Type.Literal('mind'), Type.Literal('heart'), Type.Literal('body')], {
  description: 'mind, heart or body'
})

export const TimeText = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'a date (2026-01-31), a month (2026-01), an ISO time (2026-01-31T18:00) or ms since the epoch'
})

export const EntryId = Type.String({
  pattern: '^[0-9a-fA-F]{6,64}$',
  description: 'an entry id (64 hex characters) or a unique prefix of 6 or more'
})

export const TensionId = Type.String({
  pattern: '^[a-z0-9][a-z0-9-]{0,63}$',
  description: 'a tension id: the slug of its name (see GET /api/tensions)'
})

export const EngineKind = Type.Union([Type.Literal('builtin'), Type.Literal('local_llm'), Type.Literal('remote_llm')], {
  description: 'use this engine once instead of the configured one'
})

export const Until = Type.Object(
  { until: Type.Optional(TimeText) },
  { additionalProperties: false, description: 'as of this time: a throwaway read model rebuilt from the log' }
)

/** An integer in a query string (Fastify coerces "20" to 20 before checking). */
export function QueryInteger(minimum: number, maximum: number, description: string): TSchema {
  return Type.Integer({ minimum, maximum, description })
}

export const EventJson = Type.Object(
  {
    id: Type.String(),
    seq: Type.Integer(),
    time: Type.Integer(),
    type: Type.String(),
    schema: Type.Integer(),
    v: Type.Integer(),
    author: Type.String(),
    prev: Type.Union([Type.String(), Type.Null()]),
    privacy: Type.String(),
    bodyHash: Type.String(),
    sig: Type.String(),
    salt: Type.Union([Type.String(), Type.Null()]),
    redacted: Type.Boolean(),
    body: Type.Unknown()
  },
  { description: 'a signed event as JSON (docs/cli.md, cosmic log)' }
)

/** The command's JSON output, as `cosmic … --json` prints it (docs/cli.md has each shape). */
export function Output(description: string): TSchema {
  return Type.Unknown({ description })
}

export type StaticOf<T extends TSchema> = Static<T>
