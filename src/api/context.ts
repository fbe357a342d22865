import { type Command, silentProgress } from '../commands/command.js'
import type { Home } from '../store/home.js'
import type { DeviceLink } from '../swarm/devices.js'
import type { Spheres } from '../swarm/spheres.js'
import { HomeLock, type LockMode } from './lock.js'

/** What every route group gets: the open home, and one way to run a command over it. */
export interface ApiContext {
  readonly home: Home
  /** Runs a command as the CLI does (`command.run({ home, progress }, input)`), under the home's lock. */
  run<I, O>(command: Command<I, O>, input: I, mode?: LockMode): Promise<O>
  /** For work that is not one command (export streams a file it wrote). */
  readonly lock: HomeLock
  /** Says the read model was rebuilt or replaced without an append (replay, import): caches and live views listen. */
  reset(): void
  onReset(listener: () => void): () => void
  /** The home's spheres (opened on first use), when this server runs them. */
  readonly spheres?: () => Promise<Spheres>
  /** The link to the person's other devices (started on first use), when this server runs it. */
  readonly devices?: () => Promise<DeviceLink>
}

/** One per open home and server: the HTTP routes and the local socket share its lock. */
export function createContext(
  home: Home,
  spheres?: () => Promise<Spheres>,
  devices?: () => Promise<DeviceLink>
): ApiContext {
  const lock = new HomeLock()
  const listeners = new Set<() => void>()
  return {
    home,
    lock,
    run(command, input, mode = 'read') {
      return lock.run(mode, () =>
        command.run(
          { home, progress: silentProgress, ...(spheres ? { spheres } : {}), ...(devices ? { devices } : {}) },
          input
        )
      )
    },
    ...(spheres ? { spheres } : {}),
    ...(devices ? { devices } : {}),
    reset() {
      for (const listener of listeners) listener()
    },
    onReset(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    }
  }
}

/** Drops undefined values: commands read `key in input` as "given". */
export function defined<T extends Record<string, unknown>>(input: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) if (value !== undefined) out[key] = value
  return out as { [K in keyof T]: Exclude<T[K], undefined> }
}
