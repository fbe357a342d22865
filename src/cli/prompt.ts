import { readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { Writable } from 'node:stream'
import { CosmicError } from '../errors.js'

/**
 * Asks for a secret on the terminal without echoing it. Hand-written over
 * readline because it is a dozen lines and the CLI needs no prompt library else.
 */
export async function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw CosmicError.PASSPHRASE_REQUIRED('no terminal to ask on: set COSMIC_PASSPHRASE or use --passphrase-file FILE')
  }
  let muted = false
  const output = new Writable({
    write(chunk, _encoding, callback) {
      if (!muted) process.stderr.write(chunk)
      callback()
    }
  })
  const rl = createInterface({ input: process.stdin, output, terminal: true })
  try {
    return await new Promise<string>((resolve) => {
      rl.question(question, (answer) => {
        process.stderr.write('\n')
        resolve(answer)
      })
      muted = true
    })
  } finally {
    rl.close()
  }
}

export interface SecretSources {
  passphraseFile?: string | undefined
}

/** The passphrase: --passphrase-file, else $COSMIC_PASSPHRASE, else a hidden prompt. */
export async function readPassphrase(sources: SecretSources, options: { confirm?: boolean } = {}): Promise<string> {
  if (sources.passphraseFile) {
    try {
      return (await readFile(sources.passphraseFile, 'utf8')).replace(/\r?\n$/, '')
    } catch (err) {
      throw CosmicError.INVALID_INPUT(
        `cannot read --passphrase-file ${sources.passphraseFile}: ${(err as Error).message}`
      )
    }
  }
  const fromEnv = process.env.COSMIC_PASSPHRASE
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  const passphrase = await promptHidden('Passphrase: ')
  if (options.confirm) {
    const again = await promptHidden('Passphrase again: ')
    if (again !== passphrase) throw CosmicError.INVALID_INPUT('the two passphrases differ; nothing was created')
  }
  return passphrase
}

/**
 * Asks a yes/no question on the terminal (no is the default). Null when there is no
 * terminal, or the person pressed Ctrl-C or closed the input: the caller stops.
 */
export async function askYesNo(question: string): Promise<boolean | null> {
  if (!process.stdin.isTTY) return null
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true })
  try {
    return await new Promise<boolean | null>((resolve) => {
      rl.once('SIGINT', () => resolve(null))
      rl.once('close', () => resolve(null))
      rl.question(question, (answer) => resolve(/^y(es)?$/i.test(answer.trim())))
    })
  } finally {
    rl.close()
  }
}
