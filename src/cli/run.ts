import { Command as Program } from 'commander'
import { runThroughServer } from '../api/local-socket.js'
import { type Command, silentProgress } from '../commands/command.js'
import { CosmicError } from '../errors.js'
import { Home, resolveHomePath } from '../store/home.js'
import { readVault } from '../store/vault.js'
import { parseBootstrap } from '../swarm/bootstrap.js'
import { lazySpheres, type SpheresOptions } from '../swarm/spheres.js'
import { EXIT } from './exit-codes.js'
import { terminalProgress } from './progress.js'
import { readPassphrase } from './prompt.js'

/** The one commander program; command groups register themselves on it (see main.ts). */
export interface GlobalOptions {
  home?: string
  json?: boolean
  passphraseFile?: string
  bootstrap?: string
}

export const program = new Program('cosmic')
  .description('CosmicSyncCore: a sovereign, local-first journal of your inner life, on a signed log you own.')
  .option('--home <dir>', 'the home folder (default: $COSMIC_HOME, else ~/.cosmic)')
  .option('--json', 'machine-readable JSON output')
  .option('--passphrase-file <file>', 'read the vault passphrase from a file (else $COSMIC_PASSPHRASE, else a prompt)')
  .option(
    '--bootstrap <host:port,...>',
    'DHT bootstrap nodes for spheres, e.g. a LAN node from `cosmic dht-bootstrap` (else $COSMIC_BOOTSTRAP, else the public DHT)'
  )
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()

export function globals(): GlobalOptions {
  return program.opts<GlobalOptions>()
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
}

export function printResult<O>(command: Command<unknown, O>, output: O): void {
  print(globals().json ? JSON.stringify(output, null, 2) : command.render(output))
  if (command.failed?.(output)) process.exitCode = EXIT.CHECK_FAILED
}

/** Opens the home, runs one command over it, prints, closes. */
export async function runOnHome<I, O>(command: Command<I, O>, input: I): Promise<void> {
  const g = globals()
  const path = resolveHomePath(g.home)
  // One home, one process: while `cosmic serve` (or sync, or a waiting invite) holds this home, the command runs there.
  const served = await runThroughServer(path, command, input)
  if (served) return printResult(command as Command<unknown, O>, served.output)
  const progress = g.json ? silentProgress : terminalProgress()
  const home = await openHome(path, {
    withoutHome: command.withoutHome,
    beforeUnlock: () => progress.start('catching up', 0),
    onCatchUp: (done, total) => progress.update(done, total)
  }).finally(() => progress.stop())
  const spheres = lazySpheres(home, networkOptions())
  try {
    const output = await command.run(
      { home, progress: g.json ? silentProgress : terminalProgress(), spheres: spheres.get },
      input
    )
    printResult(command as Command<unknown, O>, output)
  } finally {
    await spheres.close()
    await home.close()
  }
}

/**
 * Opens the home at `path` for one command: first whether there is a home there at all (its
 * vault file, read without a secret), so nobody types a passphrase for a home that is not
 * there, then the passphrase and the unlock. `withoutHome`: what the command says to do first
 * where there is none (a Command's `withoutHome`).
 */
export async function openHome(
  path: string,
  options: {
    withoutHome?: string | undefined
    beforeUnlock?: () => void
    onCatchUp?: (done: number, total: number) => void
  } = {}
): Promise<Home> {
  try {
    await readVault(path)
  } catch (err) {
    if (options.withoutHome && CosmicError.is(err) && err.code === 'HOME_NOT_FOUND') {
      throw CosmicError.HOME_NOT_FOUND(`no home at ${path}: ${options.withoutHome}`)
    }
    throw err
  }
  const passphrase = await readPassphrase({ passphraseFile: globals().passphraseFile })
  options.beforeUnlock?.()
  return Home.open(path, passphrase, options.onCatchUp ? { onCatchUp: options.onCatchUp } : {})
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

export function number(name: string) {
  return (value: string): number => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isFinite(n))
      throw CosmicError.INVALID_INPUT(`${name} must be a number (got "${value}")`)
    return n
  }
}

export function integer(name: string) {
  return (value: string): number => {
    const n = Number(value)
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) {
      throw CosmicError.INVALID_INPUT(`${name} must be a whole number (got "${value}")`)
    }
    return n
  }
}

export async function textArgument(words: string[]): Promise<string> {
  if (words.length === 1 && words[0] === '-') {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8').trim()
  }
  return words.join(' ')
}

/** Where spheres find the DHT: --bootstrap, else $COSMIC_BOOTSTRAP, else the public bootstrap nodes; $COSMIC_DHT_HOST binds it to one address. */
export function networkOptions(): SpheresOptions {
  const bootstrap = parseBootstrap(globals().bootstrap ?? process.env.COSMIC_BOOTSTRAP)
  // A DHT bound to one address (127.0.0.1, a LAN address) is reachable as it is: not firewalled.
  const host = process.env.COSMIC_DHT_HOST
  return { ...(bootstrap ? { bootstrap } : {}), ...(host ? { host, firewalled: false } : {}) }
}
