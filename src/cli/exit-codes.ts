import { CosmicError } from '../errors.js'

/** Exit codes, in one place: 0 ok, 1 a check failed (audit), 2 bad usage or input, 3 a bug. */
export const EXIT = { OK: 0, CHECK_FAILED: 1, USAGE: 2, INTERNAL: 3 } as const

export function exitCodeFor(err: unknown): number {
  if (CosmicError.is(err)) return err.code === 'INTERNAL' ? EXIT.INTERNAL : EXIT.USAGE
  return EXIT.INTERNAL
}

/** The one line a person reads when something went wrong: never a stack trace. */
export function errorMessage(err: unknown): { code: string; message: string } {
  if (CosmicError.is(err)) return { code: err.code, message: err.message }
  const message = err instanceof Error ? err.message : String(err)
  return {
    code: 'INTERNAL',
    message: `INTERNAL: ${message} (this is a bug; please report it with the command you ran)`
  }
}
