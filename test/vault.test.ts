import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import test from 'brittle'
import { CosmicError } from '../src/errors.js'
import { randomBytes, toHex } from '../src/events/crypto.js'
import {
  deriveVaultKeys,
  readVault,
  recoveryPhrase,
  seedFromRecoveryPhrase,
  unlockVault,
  VAULT_FILE,
  writeVault
} from '../src/store/vault.js'
import { codeOf } from './helpers/wait.js'

const PASS = 'a long enough passphrase'

test('a sealed vault opens with its passphrase and yields the keys derived from its seed', async (t) => {
  const dir = await t.tmp()
  const seed = randomBytes(32)
  const vault = await writeVault(dir, PASS, seed)
  const keys = await unlockVault(dir, PASS)
  t.is(toHex(keys.seed), toHex(seed))
  t.is(vault.publicKey, toHex(keys.identity.publicKey), 'the public key is readable without the passphrase')
  const again = deriveVaultKeys(seed)
  t.is(toHex(again.journalEncryption), toHex(keys.journalEncryption), 'derivation is deterministic')
  const distinct = new Set(
    [keys.identity.publicKey, keys.journalCore.publicKey, keys.journalEncryption, keys.readModel].map(toHex)
  )
  t.is(distinct.size, 4, 'every purpose has its own key')
  const text = await readFile(join(dir, VAULT_FILE), 'utf8')
  t.absent(text.includes(toHex(seed)), 'the seed is not in the file')
  t.is((await stat(join(dir, VAULT_FILE))).mode & 0o777, 0o600, 'the vault file is owner-only')
})

test('a wrong passphrase is WRONG_PASSPHRASE', async (t) => {
  const dir = await t.tmp()
  await writeVault(dir, PASS, randomBytes(32))
  t.is(await codeOf(unlockVault(dir, 'another passphrase')), 'WRONG_PASSPHRASE')
  t.is(await codeOf(unlockVault(dir, '')), 'WRONG_PASSPHRASE')
})

test('a short passphrase is refused before anything is written', async (t) => {
  const dir = await t.tmp()
  t.is(await codeOf(writeVault(dir, 'short', randomBytes(32))), 'INVALID_INPUT')
  t.is(await codeOf(readVault(dir)), 'HOME_NOT_FOUND', 'no vault file was left behind')
})

test('a missing or damaged vault file gets a clear error, never a crash', async (t) => {
  const dir = await t.tmp()
  t.is(await codeOf(unlockVault(dir, PASS)), 'HOME_NOT_FOUND')
  await writeVault(dir, PASS, randomBytes(32))
  const path = join(dir, VAULT_FILE)
  const good = await readFile(path, 'utf8')

  await writeFile(path, good.slice(0, good.length / 2))
  t.is(await codeOf(unlockVault(dir, PASS)), 'HOME_DAMAGED', 'truncated JSON')

  const json = JSON.parse(good)
  await writeFile(path, JSON.stringify({ ...json, ciphertext: json.ciphertext.slice(2) }))
  t.is(await codeOf(unlockVault(dir, PASS)), 'HOME_DAMAGED', 'ciphertext of the wrong length')

  const flipped = json.ciphertext.slice(0, 10) + (json.ciphertext[10] === '0' ? '1' : '0') + json.ciphertext.slice(11)
  await writeFile(path, JSON.stringify({ ...json, ciphertext: flipped }))
  t.is(await codeOf(unlockVault(dir, PASS)), 'WRONG_PASSPHRASE', 'a flipped ciphertext bit fails authentication')

  await writeFile(path, JSON.stringify({ ...json, publicKey: 'ab'.repeat(32) }))
  t.is(await codeOf(unlockVault(dir, PASS)), 'HOME_DAMAGED', 'a public key that does not match the sealed seed')

  await writeFile(path, JSON.stringify({ ...json, version: 99 }))
  t.is(await codeOf(unlockVault(dir, PASS)), 'UNSUPPORTED_VERSION')
})

test('the recovery phrase is 24 words that give back the same identity', (t) => {
  const seed = randomBytes(32)
  const phrase = recoveryPhrase(seed)
  t.is(phrase.split(' ').length, 24)
  t.is(toHex(seedFromRecoveryPhrase(phrase)), toHex(seed))
  t.is(
    toHex(seedFromRecoveryPhrase(`  ${phrase.toUpperCase().replaceAll(' ', '\n ')}  `)),
    toHex(seed),
    'spacing and case do not matter'
  )
})

test('a mistyped recovery phrase is INVALID_RECOVERY_PHRASE', (t) => {
  // A fixed seed: a swap passes an 8-bit checksum 1 time in 256, so a random one would be flaky.
  const words = recoveryPhrase(Uint8Array.from({ length: 32 }, (_, i) => i + 1)).split(' ')
  const swapped = [...words]
  ;[swapped[0], swapped[1]] = [swapped[1] as string, swapped[0] as string]
  const cases = [
    words.slice(0, 23).join(' '),
    [...words.slice(0, 23), 'notaword'].join(' '),
    words[0] === words[1] ? null : swapped.join(' ')
  ].filter((c): c is string => c !== null)
  for (const phrase of cases) {
    let code = 'no error'
    try {
      seedFromRecoveryPhrase(phrase)
    } catch (err) {
      code = CosmicError.is(err) ? err.code : String(err)
    }
    t.is(code, 'INVALID_RECOVERY_PHRASE')
  }
})
