import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { CosmicError, type ErrorCode } from '../errors.js'

/**
 * The one place where error codes become HTTP statuses (docs/api.md has the table).
 * Input a person or program got wrong is 4xx; only a bug is a 500.
 */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_INPUT: 400,
  INVALID_BODY: 400,
  UNKNOWN_EVENT_TYPE: 400,
  UNSUPPORTED_VERSION: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  ADMIN_REQUIRED: 403,
  KEY_ROTATION_PENDING: 409,
  DECODE_FAILED: 400,
  INVALID_ID: 400,
  INVALID_SIGNATURE: 400,
  BODY_MISMATCH: 400,
  BROKEN_CHAIN: 400,
  FOREIGN_AUTHOR: 400,
  TIME_NOT_INCREASING: 400,
  HOME_NOT_FOUND: 404,
  HOME_EXISTS: 409,
  HOME_DAMAGED: 500,
  HOME_LOCKED: 423,
  PASSPHRASE_REQUIRED: 401,
  WRONG_PASSPHRASE: 401,
  INVALID_RECOVERY_PHRASE: 400,
  BUNDLE_INVALID: 400,
  MODEL_UNAVAILABLE: 422,
  MODEL_FAILED: 502,
  NETWORK_REFUSED: 403,
  CONSENT_REQUIRED: 403,
  REMOTE_UNAUTHORIZED: 502,
  REMOTE_FAILED: 502,
  INVITE_INVALID: 400,
  PAIRING_FAILED: 504,
  UNAUTHORIZED: 401,
  HOST_REFUSED: 403,
  INTERNAL: 500
}

/** The JSON every error response carries. */
export interface ErrorBody {
  error: {
    code: string
    message: string
    /** For a request that failed validation: the field, as a path (`tags/0`), and where it was. */
    field?: string
    in?: 'body' | 'querystring' | 'params' | 'headers'
    data?: Record<string, unknown>
  }
}

export function errorBody(err: CosmicError): ErrorBody {
  const body: ErrorBody = { error: { code: err.code, message: err.message } }
  if (err.data) {
    const { field, in: where, ...rest } = err.data as { field?: string; in?: ErrorBody['error']['in'] }
    if (field !== undefined) body.error.field = field
    if (where !== undefined) body.error.in = where
    if (Object.keys(rest).length) body.error.data = rest
  }
  return body
}

interface AjvError {
  instancePath?: string
  message?: string
  keyword?: string
  params?: Record<string, unknown>
}

/** Turns a schema validation failure into INVALID_INPUT naming the field. */
function validationError(err: FastifyError): CosmicError {
  const first = (err.validation?.[0] ?? {}) as AjvError
  const where = (err.validationContext ?? 'body') as NonNullable<ErrorBody['error']['in']>
  const path = (first.instancePath ?? '').replace(/^\//, '')
  const extra =
    (first.params?.missingProperty as string | undefined) ?? (first.params?.additionalProperty as string | undefined)
  const field = [path, extra].filter(Boolean).join('/') || where
  let message = first.message ?? 'is not valid'
  if (first.keyword === 'additionalProperties') message = 'is not a known field'
  if (first.keyword === 'required') message = 'is required'
  if (first.keyword === 'anyOf' || first.keyword === 'enum') message = 'is not one of the allowed values'
  if (first.keyword === 'const' || first.keyword === 'anyOf') {
    message = 'is not one of the allowed values'
  }
  return CosmicError.INVALID_INPUT(`${where} field "${field}" ${message}`, { field, in: where })
}

/** Everything thrown in a route ends here: CosmicError by code, Fastify's own 4xx kept, the rest a 500. */
export function toCosmicError(err: unknown): CosmicError {
  if (CosmicError.is(err)) return err
  const e = err as FastifyError
  if (e?.validation) return validationError(e)
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500
  if (status >= 400 && status < 500) {
    // Fastify's own refusals: malformed JSON, a wrong content type, a body too large, …
    const cosmic = CosmicError.INVALID_INPUT(
      `${(e.message ?? 'bad request').replace(/^FST_\w+: /, '')}${e.code ? ` (${e.code})` : ''}`
    )
    return Object.assign(cosmic, { httpStatus: status })
  }
  return CosmicError.INTERNAL(e instanceof Error ? e.message : String(err))
}

export function statusOf(err: CosmicError): number {
  return (err as CosmicError & { httpStatus?: number }).httpStatus ?? HTTP_STATUS[err.code] ?? 500
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const cosmic = toCosmicError(error)
  const status = statusOf(cosmic)
  if (status >= 500) request.log.error({ err: error }, 'request failed')
  void reply.code(status).type('application/json; charset=utf-8').send(errorBody(cosmic))
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  const err = CosmicError.NOT_FOUND(`no route ${request.method} ${request.url.split('?')[0]} (see /docs)`)
  void reply.code(404).type('application/json; charset=utf-8').send(errorBody(err))
}
