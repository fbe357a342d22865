#!/usr/bin/env node
import { CommanderError } from 'commander'
import { CosmicError } from '../errors.js'
import './commands.js'
import { EXIT, errorMessage, exitCodeFor } from './exit-codes.js'
import { globals, program } from './run.js'

export async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv)
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return EXIT.OK
      // Commander has already printed the usage message.
      return err.code === 'commander.executeSubCommandAsync' ? EXIT.INTERNAL : EXIT.USAGE
    }
    const { code, message } = errorMessage(err)
    if (globals().json) process.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`)
    else process.stderr.write(`cosmic: ${message}\n`)
    if (!CosmicError.is(err) && process.env.COSMIC_DEBUG) process.stderr.write(`${(err as Error)?.stack}\n`)
    return exitCodeFor(err)
  }
}

process.exitCode = await main(process.argv)
