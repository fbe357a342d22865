import b4a from 'b4a'
import sodium from 'sodium-universal'

/** Small typed wrappers over libsodium (via sodium-universal). */

export interface SigningKeyPair {
  publicKey: Uint8Array
  secretKey: Uint8Array
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n)
  sodium.randombytes_buf(out)
  return out
}

/**
 * Random bytes for salts, drawn from a pool filled 4 KiB at a time: one call into the
 * system's random source per 256 salts instead of one each (~2 µs a call here, as much as
 * the rest of a salt's share of sealing). Each pool is used once and never refilled, so a
 * salt handed out is never overwritten.
 */
const POOL_BYTES = 4096
let pool: Uint8Array = new Uint8Array(0)
let poolAt = 0

export function pooledRandomBytes(n: number): Uint8Array {
  if (n > POOL_BYTES) return randomBytes(n)
  if (poolAt + n > pool.byteLength) {
    pool = randomBytes(POOL_BYTES)
    poolAt = 0
  }
  const out = pool.subarray(poolAt, poolAt + n)
  poolAt += n
  return out
}

/** BLAKE2b-256 over the concatenation of the parts (no separators: callers use fixed layouts). */
export function blake2b256(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(32)
  sodium.crypto_generichash_batch(out, parts)
  return out
}

/** Keyed BLAKE2b-256: derives an independent subkey per purpose from one secret. */
export function deriveKey(secret: Uint8Array, purpose: string): Uint8Array {
  const out = new Uint8Array(32)
  sodium.crypto_generichash(out, new TextEncoder().encode(`cosmicsynccore/key/${purpose}`), secret)
  return out
}

export function keyPairFromSeed(seed: Uint8Array): SigningKeyPair {
  const publicKey = new Uint8Array(sodium.crypto_sign_PUBLICKEYBYTES)
  const secretKey = new Uint8Array(sodium.crypto_sign_SECRETKEYBYTES)
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, seed)
  return { publicKey, secretKey }
}

export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  const sig = new Uint8Array(sodium.crypto_sign_BYTES)
  sodium.crypto_sign_detached(sig, message, secretKey)
  return sig
}

export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.byteLength !== 64 || publicKey.byteLength !== 32) return false
  return sodium.crypto_sign_verify_detached(signature, message, publicKey)
}

export function toHex(bytes: Uint8Array): string {
  return b4a.toString(bytes, 'hex')
}

export function fromHex(hex: string): Uint8Array {
  return b4a.from(hex, 'hex')
}

/**
 * Byte equality by memcmp: NOT constant time. Every caller compares public bytes (ids,
 * hashes, public keys, canonical re-encodings of what was read), where timing tells
 * nothing; a secret (the API token) is compared with crypto.timingSafeEqual instead.
 * The constant-time loop this replaces was a quarter of decodeBlock.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && b4a.equals(a, b)
}
