import type { Static, TSchema } from '@sinclair/typebox'
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler'
import c from 'compact-encoding'
import { CosmicError } from '../errors.js'
import { type BodyCodec, bodyCodec } from './body-codec.js'
import { configEvents } from './config.js'
import { equalBytes } from './crypto.js'
import { deviceEvents } from './device.js'
import { egressEvents } from './egress.js'
import { identityEvents } from './identity.js'
import { matchEvents } from './match.js'
import { mirrorEvents } from './mirror.js'
import { profileEvents } from './profile.js'
import { reflectionEvents } from './reflection.js'
import type { EventDefinition } from './schemas.js'
import { sharingEvents } from './sharing.js'
import { sphereEvents } from './sphere.js'
import { tensionEvents } from './tension.js'

/** Every event type of the journal and of sphere logs (`sphere.*`), its body schema and its older versions. */
export const catalog = {
  ...identityEvents,
  ...reflectionEvents,
  ...tensionEvents,
  ...profileEvents,
  ...mirrorEvents,
  ...sharingEvents,
  ...configEvents,
  ...egressEvents,
  ...matchEvents,
  ...deviceEvents,
  ...sphereEvents
} as const

type Catalog = typeof catalog
export type EventType = keyof Catalog
export type EventBody<T extends EventType> = Static<Catalog[T]['body']>
/** A body together with its type: the readonly discriminated union of everything the journal holds. */
export type TypedBody = { readonly [T in EventType]: { readonly type: T; readonly body: EventBody<T> } }[EventType]

export const EVENT_TYPES = Object.keys(catalog) as EventType[]

interface CompiledVersion {
  check: TypeCheck<TSchema>
  codec: BodyCodec
  upcast: ((old: Record<string, unknown>) => Record<string, unknown>) | undefined
}

const compiled = new Map<string, Map<number, CompiledVersion>>()
for (const [type, def] of Object.entries(catalog) as [string, EventDefinition][]) {
  const versions = new Map<number, CompiledVersion>()
  versions.set(def.schema, { check: TypeCompiler.Compile(def.body), codec: bodyCodec(def.body), upcast: undefined })
  for (const old of def.legacy) {
    versions.set(old.schema, { check: TypeCompiler.Compile(old.body), codec: bodyCodec(old.body), upcast: old.upcast })
  }
  compiled.set(type, versions)
}

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(catalog, type)
}

export function currentSchema(type: EventType): number {
  if (!isEventType(type)) throw CosmicError.UNKNOWN_EVENT_TYPE(`"${String(type)}" is not an event type`)
  return catalog[type].schema
}

function versionOf(type: string, schema: number): CompiledVersion {
  const versions = compiled.get(type)
  if (!versions)
    throw CosmicError.UNKNOWN_EVENT_TYPE(`"${type}" is not an event type (known: ${EVENT_TYPES.join(', ')})`)
  const version = versions.get(schema)
  if (!version) throw CosmicError.UNSUPPORTED_VERSION(`${type} has no body schema version ${schema}`)
  return version
}

/**
 * Checks a body against its type's schema (current version unless given) and
 * returns it; the error names the first field that is wrong.
 */
export function validateBody<T extends EventType>(type: T, body: unknown, schema = currentSchema(type)): EventBody<T> {
  const version = versionOf(type, schema)
  if (!version.check.Check(body)) {
    const first = version.check.Errors(body).First()
    const field = first?.path ? first.path : '/'
    throw CosmicError.INVALID_BODY(`${type}: ${field} ${first ? first.message.toLowerCase() : 'is invalid'}`, {
      type,
      field
    })
  }
  const badString = findIllFormedString(body, '')
  if (badString !== null) {
    throw CosmicError.INVALID_BODY(`${type}: ${badString || '/'} is not well-formed unicode text`, {
      type,
      field: badString
    })
  }
  return body as EventBody<T>
}

function findIllFormedString(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.isWellFormed() ? null : path
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findIllFormedString(value[i], `${path}/${i}`)
      if (found !== null) return found
    }
  } else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const found = findIllFormedString(inner, `${path}/${key}`)
      if (found !== null) return found
    }
  }
  return null
}

/** Canonical body bytes, for a body already validated against the current schema. */
export function encodeBody(type: EventType, body: unknown, schema = currentSchema(type)): Uint8Array {
  return c.encode(versionOf(type, schema).codec, body)
}

/**
 * Decodes body bytes written with any known version and upcasts them to the current
 * one. The bytes must be the canonical encoding of a body that passes its schema:
 * a signed event from a peer or a bundle is held to the same rules as one we write.
 */
export function decodeBody<T extends EventType>(type: T, schema: number, bytes: Uint8Array): EventBody<T> {
  const version = versionOf(type, schema)
  let body: Record<string, unknown>
  try {
    const state = c.state(0, bytes.byteLength, bytes)
    body = version.codec.decode(state) as Record<string, unknown>
    if (state.start !== state.end) throw new Error(`${state.end - state.start} trailing bytes`)
  } catch (err) {
    if (CosmicError.is(err)) throw err
    throw CosmicError.DECODE_FAILED(`${type} v${schema} body: ${(err as Error).message}`)
  }
  try {
    validateBody(type, body, schema)
  } catch (err) {
    throw CosmicError.DECODE_FAILED(`${type} v${schema} body breaks its schema: ${(err as CosmicError).detail ?? err}`)
  }
  let canonical: Uint8Array
  try {
    canonical = c.encode(version.codec, body)
  } catch {
    throw CosmicError.DECODE_FAILED(`${type} v${schema} body cannot be re-encoded`)
  }
  if (!equalBytes(canonical, bytes))
    throw CosmicError.DECODE_FAILED(`${type} v${schema} body is not canonically encoded`)
  return (version.upcast ? version.upcast(body) : body) as EventBody<T>
}
