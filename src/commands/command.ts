import type { Home } from '../store/home.js'
import type { DeviceLink } from '../swarm/devices.js'
import type { Spheres } from '../swarm/spheres.js'

/** Reports progress of long work; the CLI draws a bar on a TTY, the API may stream it. */
export interface Progress {
  start(label: string, total: number): void
  update(done: number, total?: number): void
  stop(): void
}

export const silentProgress: Progress = { start() {}, update() {}, stop() {} }

export interface CommandContext {
  readonly home: Home
  readonly progress: Progress
  /** The home's spheres, opened on first use by the runner (the CLI for one command, `serve` for its lifetime). */
  readonly spheres?: () => Promise<Spheres>
  /** The link to the person's other devices, started on first use (`serve` for its lifetime). */
  readonly devices?: () => Promise<DeviceLink>
}

/**
 * Every capability is a function over an open home, defined once, so the same
 * command runs in this process, from the API, or (later) through a running
 * `serve`/`sync` that holds the home. `render` turns its JSON result into text.
 */
export interface Command<I, O> {
  readonly name: string
  readonly summary: string
  run(ctx: CommandContext, input: I): Promise<O>
  render(output: O): string
  /** A check command's result can fail without an error (exit 1): audit. */
  failed?(output: O): boolean
  /** What to do first where there is no home yet, when it is not a plain `cosmic init` (the CLI says it with HOME_NOT_FOUND). */
  readonly withoutHome?: string
}

export function defineCommand<I, O>(command: Command<I, O>): Command<I, O> {
  return command
}
