import type { Command as Program } from 'commander'

/** The mirror engine's commands: mirror, config, egress (docs/mirror.md). */
export function registerEngineCommands(_program: Program): void {}
