import { Option, type Command as Program } from 'commander'
import {
  evolutionCommand,
  exportCommand,
  type GraphFormat,
  graphCommand,
  importCommand,
  patternsCommand,
  replayCommand,
  tensionShow,
  tensionsCommand,
  timelineCommand
} from '../commands/history.js'
import type { Dimension } from '../events/schemas.js'
import type { PatternWindow } from '../projections/patterns.js'
import { integer, runOnHome } from './run.js'

const UNTIL = '--until <time>'
const UNTIL_HELP = 'as of this time: a throwaway read model rebuilt from the log up to it (the live one stays)'
const TIME_HELP = 'a date (2026-01-31), a month (2026-01), an ISO time or ms'

function dimensionOption(): Option {
  return new Option('--dimension <dimension>', 'mind, heart or body').choices(['mind', 'heart', 'body'])
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}

/**
 * Commands over the history as a whole: timeline, search, graph, patterns,
 * evolution, replay and time travel, export and import (docs/cli.md).
 */
export function registerHistoryCommands(program: Program): void {
  program
    .command('timeline')
    .description('entries (with their mirrorbacks) and tension moments, newest first; --search finds words')
    .option(
      '--type <type>',
      'reflection, tension, or an event type such as tension.shifted (repeatable)',
      (v: string, previous?: string[]) => [...(previous ?? []), v]
    )
    .option('--tag <tag>', 'only entries with this tag')
    .addOption(dimensionOption())
    .option('--from <time>', `from this time (${TIME_HELP})`)
    .option('--to <time>', 'up to this time (a date includes the whole day)')
    .option('--search <words>', 'words to find (ranked, best first); "a phrase", word* for a prefix, OR')
    .option('--limit <n>', 'how many per page', integer('--limit'), 20)
    .option('--cursor <cursor>', 'the next page (printed at the end of the previous one)')
    .option(UNTIL, UNTIL_HELP)
    .action(
      (opts: {
        type?: string[]
        tag?: string
        dimension?: Dimension
        from?: string
        to?: string
        search?: string
        limit: number
        cursor?: string
        until?: string
      }) =>
        runOnHome(timelineCommand, {
          ...optional('type', opts.type),
          ...optional('tag', opts.tag),
          ...optional('dimension', opts.dimension),
          ...optional('from', opts.from),
          ...optional('to', opts.to),
          ...optional('search', opts.search),
          limit: opts.limit,
          ...optional('cursor', opts.cursor),
          ...optional('until', opts.until)
        })
    )

  program
    .command('graph')
    .description('the identity graph: self, values, skills, people, emotions, themes, tensions and their links')
    .addOption(
      new Option('--format <format>', 'text, json or dot (Graphviz)').choices(['text', 'json', 'dot']).default('text')
    )
    .addOption(dimensionOption())
    .option(UNTIL, UNTIL_HELP)
    .action((opts: { format: GraphFormat; dimension?: Dimension; until?: string }) =>
      runOnHome(graphCommand, {
        format: opts.format,
        ...optional('dimension', opts.dimension),
        ...optional('until', opts.until)
      })
    )

  program
    .command('tensions')
    .description('tensions now or as of a time (open ones; --all with resolved)')
    .option('--all', 'include resolved ones')
    .option(UNTIL, UNTIL_HELP)
    .action((opts: { all?: boolean; until?: string }) =>
      runOnHome(tensionsCommand, { all: opts.all ?? false, ...optional('until', opts.until) })
    )

  // `tension show` joins the tension group that main.ts registers.
  const tension = program.commands.find((c) => c.name() === 'tension') ?? program.command('tension')
  tension
    .command('show')
    .description('one tension: its whole intensity series and how often it came back')
    .argument('<id>', 'the tension id (see cosmic tensions)')
    .option(UNTIL, UNTIL_HELP)
    .action((id: string, opts: { until?: string }) => runOnHome(tensionShow, { id, ...optional('until', opts.until) }))

  program
    .command('patterns')
    .description('themes and moods per week or month, what comes up together, tensions that keep coming back')
    .addOption(
      new Option('--window <window>', 'week or month (UTC buckets)').choices(['week', 'month']).default('week')
    )
    .option('--buckets <n>', 'how many recent weeks or months', integer('--buckets'), 12)
    .option(UNTIL, UNTIL_HELP)
    .action((opts: { window: PatternWindow; buckets: number; until?: string }) =>
      runOnHome(patternsCommand, { window: opts.window, buckets: opts.buckets, ...optional('until', opts.until) })
    )

  program
    .command('evolution')
    .description('what changed between two times: graph, tensions (resolved, returned), themes and moods')
    .requiredOption('--from <time>', `the earlier time (${TIME_HELP})`)
    .option('--to <time>', 'the later time (default: now; a date includes the whole day)')
    .option('--note', 'record the summary in the journal as an evolution.noted event')
    .action((opts: { from: string; to?: string; note?: boolean }) =>
      runOnHome(evolutionCommand, { from: opts.from, ...optional('to', opts.to), note: opts.note ?? false })
    )

  program
    .command('replay')
    .description('rebuild every projection from seq 0; with --until, the state as of a time from a throwaway copy')
    .option(UNTIL, `as of this time (${TIME_HELP}); the live read model stays as it is`)
    .action((opts: { until?: string }) => runOnHome(replayCommand, { ...optional('until', opts.until) }))

  program
    .command('export')
    .description('write the journal to FILE: a verifiable bundle (JSON Lines), or Markdown to read')
    .argument(
      '<file>',
      'the bundle file; with --format markdown a folder (one file per month), or a file with --single'
    )
    .addOption(new Option('--format <format>', 'jsonl or markdown').choices(['jsonl', 'markdown']).default('jsonl'))
    .option('--single', 'Markdown in one file instead of a folder')
    .option('--force', 'overwrite FILE if it exists')
    .action((file: string, opts: { format: 'jsonl' | 'markdown'; single?: boolean; force?: boolean }) =>
      runOnHome(exportCommand, { file, format: opts.format, single: opts.single ?? false, force: opts.force ?? false })
    )

  program
    .command('import')
    .description('verify a bundle completely, then bring it into this (empty) home: see cosmic init --recover')
    .argument('<file>', 'a bundle written by cosmic export')
    .action((file: string) => runOnHome(importCommand, { file }))
}
