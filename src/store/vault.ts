import { constants } from 'node:fs'
import { open, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { entropyToMnemonic, mnemonicToEntropy, validateMnemonic } from '@scure/bip39'
import { wordlist } from '@scure/bip39/wordlists/english.js'
import sodium from 'sodium-universal'
import { CosmicError } from '../errors.js'
import { deriveKey, fromHex, keyPairFromSeed, randomBytes, type SigningKeyPair, toHex } from '../events/crypto.js'

/**
 * The identity vault: one 32-byte master seed, sealed with the passphrase
 * (argon2id via crypto_pwhash, then XSalsa20-Poly1305 secretbox), in `vault.json`.
 * Every key the home uses is derived from the seed with its own purpose, so the
 * seed (as a 24-word recovery phrase) is all a person needs to restore an identity.
 */
export const VAULT_FILE = 'vault.json'
export const VAULT_FORMAT = 'cosmicsynccore-vault'
export const VAULT_VERSION = 1

export type KdfStrength = 'interactive' | 'moderate' | 'sensitive'

const KDF_LIMITS: Record<KdfStrength, { opslimit: number; memlimit: number }> = {
  interactive: {
    opslimit: sodium.crypto_pwhash_OPSLIMIT_INTERACTIVE,
    memlimit: sodium.crypto_pwhash_MEMLIMIT_INTERACTIVE
  },
  moderate: { opslimit: sodium.crypto_pwhash_OPSLIMIT_MODERATE, memlimit: sodium.crypto_pwhash_MEMLIMIT_MODERATE },
  sensitive: { opslimit: sodium.crypto_pwhash_OPSLIMIT_SENSITIVE, memlimit: sodium.crypto_pwhash_MEMLIMIT_SENSITIVE }
}

export interface VaultFile {
  format: typeof VAULT_FORMAT
  version: number
  publicKey: string
  created: number
  /** Which of the person's devices this home is: 0 created the identity, others paired (docs/devices.md). Absent: 0. */
  device?: number
  kdf: { alg: 'argon2id13'; opslimit: number; memlimit: number; salt: string }
  nonce: string
  ciphertext: string
}

/** Keys of an unlocked vault. They live in memory only while the home is open. */
export interface VaultKeys {
  readonly seed: Uint8Array
  /** This device's number: 0 for the device that created the identity, a random 32-bit number for a paired one. */
  readonly device: number
  /** Signs every event: the author key. */
  readonly identity: SigningKeyPair
  /** Signs this device's journal Hypercore's Merkle tree (one per device; see docs/security.md). */
  readonly journalCore: SigningKeyPair
  /** Hypercore block encryption of the journal at rest. */
  readonly journalEncryption: Uint8Array
  /** Raw key of the encrypted SQLite read model. */
  readonly readModel: Uint8Array
}

export function deriveVaultKeys(seed: Uint8Array, device = 0): VaultKeys {
  return {
    seed,
    device,
    identity: keyPairFromSeed(deriveKey(seed, 'identity')),
    journalCore: deviceJournalKeyPair(seed, device),
    journalEncryption: deriveKey(seed, 'journal-encryption'),
    readModel: deriveKey(seed, 'read-model')
  }
}

/** A device's journal key pair: device 0 keeps the derivation homes had before devices existed. */
export function deviceJournalKeyPair(seed: Uint8Array, device: number): SigningKeyPair {
  return keyPairFromSeed(deriveKey(seed, device === 0 ? 'journal-core' : `journal-core/${device}`))
}

/** A device's purpose-specific key: device 0 keeps the plain purpose (homes from before devices keep their keys). */
export function deviceKey(seed: Uint8Array, purpose: string, device: number): Uint8Array {
  return deriveKey(seed, device === 0 ? purpose : `${purpose}/${device}`)
}

async function stretch(passphrase: string, salt: Uint8Array, opslimit: number, memlimit: number): Promise<Uint8Array> {
  const key = new Uint8Array(sodium.crypto_secretbox_KEYBYTES)
  const password = new TextEncoder().encode(passphrase.normalize('NFC'))
  await new Promise<void>((resolve, reject) => {
    sodium.crypto_pwhash_async(key, password, salt, opslimit, memlimit, sodium.crypto_pwhash_ALG_ARGON2ID13, (err) =>
      err ? reject(err) : resolve()
    )
  })
  return key
}

export function checkPassphrase(passphrase: string): void {
  if (passphrase.length < 8) throw CosmicError.INVALID_INPUT('the passphrase must be at least 8 characters long')
}

/** Seals a seed into `dir/vault.json` (written atomically, owner-only). */
export async function writeVault(
  dir: string,
  passphrase: string,
  seed: Uint8Array,
  strength: KdfStrength = 'interactive',
  created = Date.now(),
  device = 0
): Promise<VaultFile> {
  checkPassphrase(passphrase)
  const limits = KDF_LIMITS[strength]
  const salt = randomBytes(sodium.crypto_pwhash_SALTBYTES)
  const nonce = randomBytes(sodium.crypto_secretbox_NONCEBYTES)
  const key = await stretch(passphrase, salt, limits.opslimit, limits.memlimit)
  const ciphertext = new Uint8Array(seed.byteLength + sodium.crypto_secretbox_MACBYTES)
  sodium.crypto_secretbox_easy(ciphertext, seed, nonce, key)
  sodium.sodium_memzero(key)
  const vault: VaultFile = {
    format: VAULT_FORMAT,
    version: VAULT_VERSION,
    publicKey: toHex(deriveVaultKeys(seed).identity.publicKey),
    created,
    ...(device === 0 ? {} : { device }),
    kdf: { alg: 'argon2id13', ...limits, salt: toHex(salt) },
    nonce: toHex(nonce),
    ciphertext: toHex(ciphertext)
  }
  await writeFileAtomic(join(dir, VAULT_FILE), `${JSON.stringify(vault, null, 2)}\n`)
  return vault
}

/** Reads the vault's public part; a missing or damaged file is a clear error. */
export async function readVault(dir: string): Promise<VaultFile> {
  let text: string
  try {
    text = await readFile(join(dir, VAULT_FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw CosmicError.HOME_NOT_FOUND(`no home at ${dir} (run \`cosmic init\` to create one)`)
    }
    throw CosmicError.HOME_DAMAGED(`cannot read ${join(dir, VAULT_FILE)}: ${(err as Error).message}`)
  }
  let vault: VaultFile
  try {
    vault = JSON.parse(text) as VaultFile
  } catch {
    throw CosmicError.HOME_DAMAGED(`${join(dir, VAULT_FILE)} is not valid JSON: the vault file is damaged`)
  }
  const hex = (v: unknown, bytes?: number) =>
    typeof v === 'string' && /^([0-9a-f]{2})*$/.test(v) && (bytes === undefined || v.length === bytes * 2)
  const ok =
    vault &&
    vault.format === VAULT_FORMAT &&
    hex(vault.publicKey, 32) &&
    hex(vault.nonce, sodium.crypto_secretbox_NONCEBYTES) &&
    hex(vault.ciphertext, 32 + sodium.crypto_secretbox_MACBYTES) &&
    vault.kdf?.alg === 'argon2id13' &&
    hex(vault.kdf.salt, sodium.crypto_pwhash_SALTBYTES) &&
    Number.isInteger(vault.kdf.opslimit) &&
    Number.isInteger(vault.kdf.memlimit) &&
    (vault.device === undefined || (Number.isInteger(vault.device) && vault.device >= 1 && vault.device <= 0xffff_ffff))
  if (!ok) throw CosmicError.HOME_DAMAGED(`${join(dir, VAULT_FILE)} is not a CosmicSyncCore vault or is damaged`)
  if (vault.version !== VAULT_VERSION) {
    throw CosmicError.UNSUPPORTED_VERSION(`vault version ${vault.version} (this build reads ${VAULT_VERSION})`)
  }
  return vault
}

export async function unlockVault(dir: string, passphrase: string): Promise<VaultKeys> {
  const vault = await readVault(dir)
  const key = await stretch(passphrase, fromHex(vault.kdf.salt), vault.kdf.opslimit, vault.kdf.memlimit)
  const seed = new Uint8Array(32)
  const opened = sodium.crypto_secretbox_open_easy(seed, fromHex(vault.ciphertext), fromHex(vault.nonce), key)
  sodium.sodium_memzero(key)
  if (!opened) throw CosmicError.WRONG_PASSPHRASE('the passphrase does not open this home’s vault')
  const keys = deriveVaultKeys(seed, vault.device ?? 0)
  if (toHex(keys.identity.publicKey) !== vault.publicKey) {
    throw CosmicError.HOME_DAMAGED('the vault opened but its identity does not match its public key')
  }
  return keys
}

/** The seed as a 24-word BIP-39 recovery phrase (English wordlist, with checksum). */
export function recoveryPhrase(seed: Uint8Array): string {
  return entropyToMnemonic(seed, wordlist)
}

export function seedFromRecoveryPhrase(phrase: string): Uint8Array {
  const normalized = phrase.trim().toLowerCase().split(/\s+/).join(' ')
  if (normalized.split(' ').length !== 24) {
    throw CosmicError.INVALID_RECOVERY_PHRASE('a recovery phrase has 24 words separated by spaces')
  }
  if (!validateMnemonic(normalized, wordlist)) {
    throw CosmicError.INVALID_RECOVERY_PHRASE('a word is misspelled or out of order (the checksum does not match)')
  }
  return mnemonicToEntropy(normalized, wordlist)
}

export async function writeFileAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.${toHex(randomBytes(6))}.tmp`
  const handle = await open(tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600)
  try {
    await handle.writeFile(content)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}
