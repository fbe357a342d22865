import type { Command as Group } from 'commander'
import { MAX_MATCHES, sphereFeedback, sphereMatches } from '../commands/match.js'
import { CosmicError } from '../errors.js'
import { integer, runOnHome } from './run.js'

/** `cosmic sphere matches` and `cosmic sphere feedback`, on the `sphere` command group. */
export function registerMatchCommands(sphere: Group): void {
  sphere
    .command('matches')
    .description('who matches you in a sphere (shared interests, complementary skills, shared values), and why')
    .argument('<sphere>')
    .option('--for <member>', "another member's matches (their key, a prefix or their name)")
    .option('--limit <n>', `how many, 1 to ${MAX_MATCHES}`, integer('--limit'), 10)
    .option('--explain', 'each item as raw × weight, and the weights learned from your feedback')
    .action((ref: string, opts: { for?: string; limit: number; explain?: boolean }) =>
      runOnHome(sphereMatches, {
        sphere: ref,
        limit: opts.limit,
        ...(opts.for !== undefined ? { for: opts.for } : {}),
        ...(opts.explain ? { explain: true } : {})
      })
    )

  sphere
    .command('feedback')
    .description('say whether a match was helpful: your matches are re-ranked on this device')
    .argument('<sphere>')
    .argument('<member>', 'their key (or a prefix) or their name')
    .option('--helpful', 'the match was helpful')
    .option('--not-helpful', 'the match was not helpful')
    .action((ref: string, member: string, opts: { helpful?: boolean; notHelpful?: boolean }) => {
      if (opts.helpful === opts.notHelpful) throw CosmicError.INVALID_INPUT('say either --helpful or --not-helpful')
      return runOnHome(sphereFeedback, { sphere: ref, member, helpful: opts.helpful === true })
    })
}
