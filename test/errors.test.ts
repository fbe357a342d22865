import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import test from 'brittle'
import { exitCodeFor } from '../src/cli/exit-codes.js'
import { CosmicError, ERROR_CODES, type ErrorCode } from '../src/errors.js'
import { REPO } from './helpers/home.js'

test('every error code is documented in docs/errors.md, and nothing there is stale', async (t) => {
  const doc = await readFile(join(REPO, 'docs/errors.md'), 'utf8')
  const documented = new Set([...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]))
  for (const code of Object.keys(ERROR_CODES)) t.ok(documented.has(code), `${code} is documented`)
  for (const code of documented)
    t.ok(Object.hasOwn(ERROR_CODES, code as string), `${code} in the docs exists in src/errors.ts`)
})

test('every code has a factory that builds "CODE: detail" with .code, and an exit status', (t) => {
  for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
    const factory = (CosmicError as unknown as Record<string, (detail: string) => CosmicError>)[code]
    t.is(typeof factory, 'function', `CosmicError.${code} exists`)
    const err = factory!('some detail')
    t.is(err.code, code)
    t.is(err.message, `${code}: some detail`)
    t.ok(CosmicError.is(err, code))
    t.is(exitCodeFor(err), code === 'INTERNAL' ? 3 : 2)
  }
  t.is(exitCodeFor(new Error('unexpected')), 3, 'an unexpected error is a bug, not bad usage')
})
