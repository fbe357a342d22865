import { CosmicError } from '../../src/errors.js'

/** Polls `check` until it holds; fails naming `what` after `ms` (tests stay bounded in time). */
export async function until(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** The stable code a promise fails with ('no error' when it does not; a foreign error is named). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'no error'
  } catch (err) {
    return CosmicError.is(err) ? err.code : `not a CosmicError: ${String(err)}`
  }
}

/** The message (`CODE: detail`) a promise fails with, for tests that check what a person reads. */
export async function messageOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'no error'
  } catch (err) {
    return CosmicError.is(err) ? err.message : `not a CosmicError: ${String(err)}`
  }
}
