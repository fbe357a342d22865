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

/**
 * A value or null, as one JSON Schema type list (`["string", "null"]`), not a union:
 * the response serializer (fast-json-stringify) checks a union's branches with the
 * validator for every value, and a type list with one `typeof`.
 */
function Nullable<T extends TSchema>(schema: T): TSchema {
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type as string, 'null'] })
}

const Mirrorback = Type.Object({
  id: Type.String(),
  seq: Type.Integer(),
  time: Type.Integer(),
  text: Type.String(),
  themes: Type.Array(Type.String()),
  engine: Type.Object({ kind: Type.String(), model: Type.String(), promptHash: Type.String() })
})

const TimelineEntry = Type.Object({
  id: Type.String(),
  seq: Type.Integer(),
  time: Type.Integer(),
  text: Type.String({ description: 'the current text (amended text replaces the original)' }),
  mood: Nullable(Type.String()),
  dimension: Nullable(Type.String()),
  sealed: Type.Boolean(),
  privacy: Type.String(),
  amendments: Type.Integer(),
  amendedTime: Nullable(Type.Integer()),
  tags: Type.Array(Type.String()),
  snippet: Nullable(Type.String({ description: 'with a search: the best passage, matches between « and »' })),
  score: Nullable(Type.Number({ description: 'with a search: bm25, lower is better' })),
  mirrorbacks: Type.Array(Mirrorback)
})

const TensionMoment = Type.Object({
  id: Type.String(),
  name: Type.String(),
  poles: Type.Array(Type.String()),
  domain: Type.String(),
  kind: Type.String({ description: 'noted, shifted or resolved' }),
  intensity: Type.Number(),
  toward: Nullable(Type.String())
})

/**
 * `GET /api/timeline`, as `cosmic timeline --json` prints it. An item is an entry or a
 * tension moment (`kind`), carrying `entry` or `tension`: one object schema with both
 * optional, rather than a union the serializer would check branch by branch.
 */
export const TimelineOutput = Type.Object(
  {
    items: Type.Array(
      Type.Object({
        kind: Type.String({ description: 'entry or tension' }),
        type: Type.String({ description: 'reflection.recorded, tension.noted, tension.shifted or tension.resolved' }),
        seq: Type.Integer(),
        time: Type.Integer(),
        entry: Type.Optional(TimelineEntry),
        tension: Type.Optional(TensionMoment)
      })
    ),
    next: Nullable(Type.String({ description: 'the cursor of the next page; null on the last' })),
    until: Nullable(Type.Integer({ description: 'as of this time (ms), or null for now' })),
    search: Nullable(Type.String())
  },
  { description: 'as cosmic timeline --json' }
)
