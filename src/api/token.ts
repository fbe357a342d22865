import { randomBytes } from 'node:crypto'
import { chmod, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CosmicError } from '../errors.js'

export const TOKEN_FILE = 'api-token'

/**
 * The home's API token: made by `cosmic init` (or the first `cosmic serve` of a home
 * that has none), 32 random bytes in base64url, kept in HOME/api-token, readable by its
 * owner only. Whoever can read the home
 * folder is its owner anyway; a web page on another site cannot.
 */
export async function ensureApiToken(homePath: string): Promise<string> {
  const file = join(homePath, TOKEN_FILE)
  try {
    const token = (await readFile(file, 'utf8')).trim()
    if (!/^[A-Za-z0-9_-]{32,128}$/.test(token)) {
      throw CosmicError.HOME_DAMAGED(`${file} does not hold an API token; delete it and serve again to make a new one`)
    }
    if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600)
    return token
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const token = randomBytes(32).toString('base64url')
  try {
    await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' })
  } catch (err) {
    // Another process made one at the same moment: use that one.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return ensureApiToken(homePath)
    throw err
  }
  return token
}
