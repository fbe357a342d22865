/**
 * One error class with stable string codes. The CLI maps codes to exit codes and
 * the API maps them to HTTP statuses, each in one place; docs/errors.md lists every
 * code (a test keeps the two in step).
 */
export const ERROR_CODES = {
  // input a person or a program gave us
  INVALID_INPUT: 'a command argument is missing or malformed',
  INVALID_BODY: 'an event body does not match its schema',
  UNKNOWN_EVENT_TYPE: 'the event type is not in the catalog',
  UNSUPPORTED_VERSION: 'an envelope, block or schema version this build cannot read',
  NOT_FOUND: 'the referenced event, tension or facet does not exist',
  CONFLICT: 'the command does not apply to the current state',
  ADMIN_REQUIRED: 'only an admin of the sphere may do this (remove a member, rotate its key)',
  KEY_ROTATION_PENDING:
    'the sphere moved to a new key and this device is not admitted into it yet (a member online admits it)',
  // integrity of events and logs
  DECODE_FAILED: 'bytes that do not decode to a canonical event',
  INVALID_ID: 'an event id that is not the hash of its header',
  INVALID_SIGNATURE: 'a signature that does not verify for the author',
  BODY_MISMATCH: 'a body that does not match the header commitment',
  BROKEN_CHAIN: 'an event whose prev, seq or time does not follow the one before',
  FOREIGN_AUTHOR: 'an event signed by a key that is not this journal author',
  TIME_NOT_INCREASING: 'an event time that is not after the previous one',
  // the home and its vault
  HOME_NOT_FOUND: 'no home at the given path',
  HOME_EXISTS: 'a home already exists at the given path',
  HOME_DAMAGED: 'the home exists but its files are unreadable or inconsistent',
  HOME_LOCKED: 'another process holds the home',
  PASSPHRASE_REQUIRED: 'no passphrase was given and none can be prompted for',
  WRONG_PASSPHRASE: 'the passphrase does not open the vault',
  INVALID_RECOVERY_PHRASE: 'the recovery phrase is malformed or its checksum fails',
  BUNDLE_INVALID: 'an export bundle that fails verification',
  // the mirror engine and anything that would leave the device
  MODEL_UNAVAILABLE: 'the configured model cannot be loaded: a missing or invalid model file, or no runtime for it',
  MODEL_FAILED: 'the model ran but its answer is unusable (cut off, or not the required JSON)',
  NETWORK_REFUSED: 'the mode or the data forbids network use (local mode, a sealed entry)',
  CONSENT_REQUIRED: 'no consent in force lets this endpoint receive this data',
  REMOTE_UNAUTHORIZED: 'the remote endpoint refused the credentials (401/403)',
  REMOTE_FAILED: 'the remote endpoint is unreachable, timed out, kept failing or answered something unreadable',
  // the local HTTP API
  INVITE_INVALID: 'a sphere or device invite code that is malformed, expired or already used',
  PAIRING_FAILED: 'pairing with a sphere or a device did not complete: no answer in time, or the request was denied',
  UNAUTHORIZED: 'an API request without the bearer token of this home, or with a wrong one',
  HOST_REFUSED: 'an API request whose Host header is not the host the server is bound to (DNS rebinding)',
  INTERNAL: 'a bug: please report it with the command that caused it'
} as const

export type ErrorCode = keyof typeof ERROR_CODES

export class CosmicError extends Error {
  readonly code: ErrorCode
  readonly detail: string
  readonly data: Record<string, unknown> | undefined

  constructor(code: ErrorCode, detail: string, data?: Record<string, unknown>) {
    super(`${code}: ${detail}`)
    this.name = 'CosmicError'
    this.code = code
    this.detail = detail
    this.data = data
  }

  static is(err: unknown, code?: ErrorCode): err is CosmicError {
    return err instanceof CosmicError && (code === undefined || err.code === code)
  }

  static INVALID_INPUT = (detail: string, data?: Record<string, unknown>) =>
    new CosmicError('INVALID_INPUT', detail, data)
  static INVALID_BODY = (detail: string, data?: Record<string, unknown>) =>
    new CosmicError('INVALID_BODY', detail, data)
  static UNKNOWN_EVENT_TYPE = (detail: string) => new CosmicError('UNKNOWN_EVENT_TYPE', detail)
  static UNSUPPORTED_VERSION = (detail: string) => new CosmicError('UNSUPPORTED_VERSION', detail)
  static NOT_FOUND = (detail: string) => new CosmicError('NOT_FOUND', detail)
  static CONFLICT = (detail: string) => new CosmicError('CONFLICT', detail)
  static ADMIN_REQUIRED = (detail: string) => new CosmicError('ADMIN_REQUIRED', detail)
  static KEY_ROTATION_PENDING = (detail: string) => new CosmicError('KEY_ROTATION_PENDING', detail)
  static DECODE_FAILED = (detail: string) => new CosmicError('DECODE_FAILED', detail)
  static INVALID_ID = (detail: string) => new CosmicError('INVALID_ID', detail)
  static INVALID_SIGNATURE = (detail: string) => new CosmicError('INVALID_SIGNATURE', detail)
  static BODY_MISMATCH = (detail: string) => new CosmicError('BODY_MISMATCH', detail)
  static BROKEN_CHAIN = (detail: string) => new CosmicError('BROKEN_CHAIN', detail)
  static FOREIGN_AUTHOR = (detail: string) => new CosmicError('FOREIGN_AUTHOR', detail)
  static TIME_NOT_INCREASING = (detail: string) => new CosmicError('TIME_NOT_INCREASING', detail)
  static HOME_NOT_FOUND = (detail: string) => new CosmicError('HOME_NOT_FOUND', detail)
  static HOME_EXISTS = (detail: string) => new CosmicError('HOME_EXISTS', detail)
  static HOME_DAMAGED = (detail: string) => new CosmicError('HOME_DAMAGED', detail)
  static HOME_LOCKED = (detail: string) => new CosmicError('HOME_LOCKED', detail)
  static PASSPHRASE_REQUIRED = (detail: string) => new CosmicError('PASSPHRASE_REQUIRED', detail)
  static WRONG_PASSPHRASE = (detail: string) => new CosmicError('WRONG_PASSPHRASE', detail)
  static INVALID_RECOVERY_PHRASE = (detail: string) => new CosmicError('INVALID_RECOVERY_PHRASE', detail)
  static BUNDLE_INVALID = (detail: string, data?: Record<string, unknown>) =>
    new CosmicError('BUNDLE_INVALID', detail, data)
  static MODEL_UNAVAILABLE = (detail: string) => new CosmicError('MODEL_UNAVAILABLE', detail)
  static MODEL_FAILED = (detail: string) => new CosmicError('MODEL_FAILED', detail)
  static NETWORK_REFUSED = (detail: string) => new CosmicError('NETWORK_REFUSED', detail)
  static CONSENT_REQUIRED = (detail: string, data?: Record<string, unknown>) =>
    new CosmicError('CONSENT_REQUIRED', detail, data)
  static REMOTE_UNAUTHORIZED = (detail: string) => new CosmicError('REMOTE_UNAUTHORIZED', detail)
  static REMOTE_FAILED = (detail: string, data?: Record<string, unknown>) =>
    new CosmicError('REMOTE_FAILED', detail, data)
  static INVITE_INVALID = (detail: string) => new CosmicError('INVITE_INVALID', detail)
  static PAIRING_FAILED = (detail: string) => new CosmicError('PAIRING_FAILED', detail)
  static UNAUTHORIZED = (detail: string) => new CosmicError('UNAUTHORIZED', detail)
  static HOST_REFUSED = (detail: string) => new CosmicError('HOST_REFUSED', detail)
  static INTERNAL = (detail: string) => new CosmicError('INTERNAL', detail)
}
