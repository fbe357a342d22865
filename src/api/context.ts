import { type Command, silentProgress } from '../commands/command.js'
import type { Home } from '../store/home.js'
import { HomeLock, type LockMode } from './lock.js'

/** What every route group gets: the open home, and one way to run a command over it. */
export interface ApiContext {
  readonly home: Home
  /** Runs a command as the CLI does (`command.run({ home, progress }, input)`), under the home's lock. */
  run<I, O>(command: Command<I, O>, input: I, mode?: LockMode): Promise<O>
  /** For work that is not one command (export streams a file it wrote). */
  readonly lock: HomeLock
}

export function createContext(home: Home): ApiContext {
  const lock = new HomeLock()
  return {
    home,
    lock,
    run(command, input, mode = 'read') {
      return lock.run(mode, () => command.run({ home, progress: silentProgress }, input))
    }
  }
}

/** Drops undefined values: commands read `key in input` as "given". */
export function defined<T extends Record<string, unknown>>(input: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) if (value !== undefined) out[key] = value
  return out as { [K in keyof T]: Exclude<T[K], undefined> }
}
