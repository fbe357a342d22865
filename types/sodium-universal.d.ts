// Honest declarations for the parts of sodium-universal this project uses.
declare module 'sodium-universal' {
  type Bytes = Uint8Array

  export const crypto_sign_PUBLICKEYBYTES: number
  export const crypto_sign_SECRETKEYBYTES: number
  export const crypto_sign_SEEDBYTES: number
  export const crypto_sign_BYTES: number
  export function crypto_sign_seed_keypair(publicKey: Bytes, secretKey: Bytes, seed: Bytes): void
  export function crypto_sign_keypair(publicKey: Bytes, secretKey: Bytes): void
  export function crypto_sign_detached(signature: Bytes, message: Bytes, secretKey: Bytes): void
  export function crypto_sign_verify_detached(signature: Bytes, message: Bytes, publicKey: Bytes): boolean

  export const crypto_generichash_BYTES: number
  export const crypto_generichash_KEYBYTES: number
  export function crypto_generichash(out: Bytes, input: Bytes, key?: Bytes): void
  export function crypto_generichash_batch(out: Bytes, inputs: Bytes[], key?: Bytes): void

  export const crypto_secretbox_KEYBYTES: number
  export const crypto_secretbox_NONCEBYTES: number
  export const crypto_secretbox_MACBYTES: number
  export function crypto_secretbox_easy(ciphertext: Bytes, message: Bytes, nonce: Bytes, key: Bytes): void
  export function crypto_secretbox_open_easy(message: Bytes, ciphertext: Bytes, nonce: Bytes, key: Bytes): boolean

  export const crypto_box_PUBLICKEYBYTES: number
  export const crypto_box_SECRETKEYBYTES: number
  export const crypto_box_SEALBYTES: number
  /** Anonymous-sender sealed box to an X25519 public key. */
  export function crypto_box_seal(ciphertext: Bytes, message: Bytes, publicKey: Bytes): void
  export function crypto_box_seal_open(message: Bytes, ciphertext: Bytes, publicKey: Bytes, secretKey: Bytes): boolean
  /** ed25519 to X25519 (throws on a public key that is not a valid point). */
  export function crypto_sign_ed25519_pk_to_curve25519(x25519PublicKey: Bytes, ed25519PublicKey: Bytes): void
  export function crypto_sign_ed25519_sk_to_curve25519(x25519SecretKey: Bytes, ed25519SecretKey: Bytes): void

  export const crypto_pwhash_SALTBYTES: number
  export const crypto_pwhash_ALG_ARGON2ID13: number
  export const crypto_pwhash_OPSLIMIT_INTERACTIVE: number
  export const crypto_pwhash_MEMLIMIT_INTERACTIVE: number
  export const crypto_pwhash_OPSLIMIT_MODERATE: number
  export const crypto_pwhash_MEMLIMIT_MODERATE: number
  export const crypto_pwhash_OPSLIMIT_SENSITIVE: number
  export const crypto_pwhash_MEMLIMIT_SENSITIVE: number
  export function crypto_pwhash(
    out: Bytes,
    password: Bytes,
    salt: Bytes,
    opslimit: number,
    memlimit: number,
    algorithm: number
  ): void
  export function crypto_pwhash_async(
    out: Bytes,
    password: Bytes,
    salt: Bytes,
    opslimit: number,
    memlimit: number,
    algorithm: number,
    callback: (err: Error | null) => void
  ): void

  export function randombytes_buf(out: Bytes): void
  export function sodium_memzero(buffer: Bytes): void
}
