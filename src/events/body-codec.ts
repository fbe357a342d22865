import { Kind, OptionalKind, type TSchema } from '@sinclair/typebox'
import c from 'compact-encoding'
import { CosmicError } from '../errors.js'
import { fromHex, toHex } from './crypto.js'

/**
 * Derives a canonical compact-encoding codec from a TypeBox body schema, so that
 * one definition gives the TypeScript type, the validation and the bytes that are
 * hashed. Hand-written because no library maps JSON schemas to canonical binary;
 * it covers exactly the kinds event bodies use and throws on anything else.
 *
 * Layout: object fields in declaration order; optional fields are announced by a
 * leading bitfield (uint), one bit per optional field in declaration order; string
 * enums (unions of literals) are their index; `codec: 'hex32'` strings are 32 raw
 * bytes, `codec: 'hex'` strings a length-prefixed buffer; numbers are float64 with
 * -0 written as 0; integers are unsigned varints. Changing the order or kinds of a
 * schema changes the bytes: that is a new schema version, never an edit.
 */
export type BodyCodec = c.Encoder<unknown, unknown>

type Schema = TSchema & Record<string | symbol, unknown>

export function bodyCodec(schema: TSchema): BodyCodec {
  return codecFor(schema as Schema, '')
}

function codecFor(schema: Schema, path: string): BodyCodec {
  const kind = schema[Kind]
  switch (kind) {
    case 'Object':
      return objectCodec(schema, path)
    case 'String':
      if (schema.codec === 'hex32') return hex32Codec
      if (schema.codec === 'hex') return hexCodec
      return c.string as BodyCodec
    case 'Number':
      return floatCodec
    case 'Integer':
      if (typeof schema.minimum !== 'number' || schema.minimum < 0) {
        throw CosmicError.INTERNAL(`schema ${path}: integers must declare minimum >= 0`)
      }
      return c.uint as BodyCodec
    case 'Boolean':
      return c.bool as BodyCodec
    case 'Array':
      return c.array(codecFor(schema.items as Schema, `${path}[]`)) as BodyCodec
    case 'Union':
      return enumCodec(schema, path)
    default:
      throw CosmicError.INTERNAL(`schema ${path || '/'}: kind ${String(kind)} has no canonical codec`)
  }
}

function objectCodec(schema: Schema, path: string): BodyCodec {
  const properties = schema.properties as Record<string, Schema>
  const fields = Object.keys(properties).map((name) => {
    const field = properties[name] as Schema
    return { name, optional: field[OptionalKind] === 'Optional', codec: codecFor(field, `${path}/${name}`) }
  })
  const optionals = fields.filter((f) => f.optional).length
  if (optionals > 30) throw CosmicError.INTERNAL(`schema ${path}: too many optional fields`)

  const presence = (value: Record<string, unknown>): number => {
    let bits = 0
    let bit = 0
    for (const f of fields) {
      if (!f.optional) continue
      if (value[f.name] !== undefined) bits |= 1 << bit
      bit++
    }
    return bits
  }

  return {
    preencode(state, value) {
      const v = value as Record<string, unknown>
      if (optionals > 0) c.uint.preencode(state, presence(v))
      for (const f of fields) {
        if (v[f.name] !== undefined) f.codec.preencode(state, v[f.name])
      }
    },
    encode(state, value) {
      const v = value as Record<string, unknown>
      if (optionals > 0) c.uint.encode(state, presence(v))
      for (const f of fields) {
        if (v[f.name] !== undefined) f.codec.encode(state, v[f.name])
      }
    },
    decode(state) {
      const bits = optionals > 0 ? c.uint.decode(state) : 0
      if (bits >= 2 ** optionals) throw CosmicError.DECODE_FAILED(`${path || 'body'}: unknown optional fields`)
      const out: Record<string, unknown> = {}
      let bit = 0
      for (const f of fields) {
        if (f.optional) {
          const present = (bits & (1 << bit)) !== 0
          bit++
          if (!present) continue
        }
        out[f.name] = f.codec.decode(state)
      }
      return out
    }
  }
}

function enumCodec(schema: Schema, path: string): BodyCodec {
  const members = (schema.anyOf as Schema[]).map((m) => {
    if (m[Kind] !== 'Literal' || typeof m.const !== 'string') {
      throw CosmicError.INTERNAL(`schema ${path}: only unions of string literals are encodable`)
    }
    return m.const
  })
  return {
    preencode(state, value) {
      c.uint.preencode(state, members.indexOf(value as string))
    },
    encode(state, value) {
      const index = members.indexOf(value as string)
      if (index < 0) throw CosmicError.INVALID_BODY(`${path}: ${String(value)} is not one of ${members.join(', ')}`)
      c.uint.encode(state, index)
    },
    decode(state) {
      const index = c.uint.decode(state)
      const value = members[index]
      if (value === undefined) throw CosmicError.DECODE_FAILED(`${path}: enum index ${index} out of range`)
      return value
    }
  }
}

const floatCodec: BodyCodec = {
  preencode(state) {
    c.float64.preencode(state, 0)
  },
  encode(state, value) {
    const n = value as number
    c.float64.encode(state, n === 0 ? 0 : n)
  },
  decode(state) {
    const n = c.float64.decode(state)
    if (!Number.isFinite(n)) throw CosmicError.DECODE_FAILED('non-finite number')
    return n
  }
}

const hex32Codec: BodyCodec = {
  preencode(state) {
    c.fixed32.preencode(state, new Uint8Array(32))
  },
  encode(state, value) {
    c.fixed32.encode(state, fromHex(value as string))
  },
  decode(state) {
    return toHex(c.fixed32.decode(state))
  }
}

const hexCodec: BodyCodec = {
  preencode(state, value) {
    c.buffer.preencode(state, fromHex(value as string))
  },
  encode(state, value) {
    c.buffer.encode(state, fromHex(value as string))
  },
  decode(state) {
    const bytes = c.buffer.decode(state)
    return bytes ? toHex(bytes) : ''
  }
}
