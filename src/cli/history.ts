import type { Command as Program } from 'commander'

/**
 * Commands over the history as a whole: timeline, search, graph, patterns,
 * evolution, replay and time travel, export and import (docs/cli.md).
 */
export function registerHistoryCommands(_program: Program): void {}
