import b4a from 'b4a'
import c from 'compact-encoding'
import sodium from 'sodium-universal'
import { deriveKey, randomBytes, type SigningKeyPair } from '../events/crypto.js'

/**
 * The secrets a key rotation moves between members (docs/spheres.md, "Removal and
 * leaving"). A sphere's Autobase cannot change its encryption key in place (Autobase
 * 7.28 derives every block key from the one `encryptionKey` it was opened with), so a
 * rotation starts a new epoch: a new Autobase with a new key and a new encryption key.
 *
 * - `sealEpochKeys` / `openEpochKeys`: the new epoch's Autobase key and encryption key,
 *   sealed to one member (crypto_box_seal, anonymous sender) under the X25519 form of
 *   their ed25519 identity key. Everyone in the sphere already knows every member's
 *   identity key, so no other key has to be published, and a member who joined under an
 *   older build can be reached too. Using one key pair for ed25519 signatures and X25519
 *   sealed boxes is the combination analysed in Thormarker, "On using the same key pair
 *   for Ed25519 and an X25519 based KEM" (2021): each stays secure. The plaintext names
 *   the sphere, the epoch and the epoch before it, so a box cannot be moved to another
 *   sphere or epoch.
 * - `sealFollow` / `openFollow`: a member's new device key for the new epoch and their
 *   signed binding, sealed with a key derived from the new epoch's encryption key: the
 *   old epoch carries it, and only the new epoch's members can read it (a removed member
 *   cannot even learn which cores the new epoch has).
 * - `sealHistory` / `openHistory`: the earlier epochs' keys, sealed the same way, so a
 *   person who joins after a rotation reads the sphere's whole history as members before
 *   them did, while a removed member learns nothing new.
 *
 * - `encodeJoinAnswer` / `decodeJoinAnswer`: the newest epoch's keys in the answer to an
 *   invite (blind-pairing's signed additional data, inside its encrypted reply): an
 *   invite names the sphere (epoch 0), and blind-pairing checks the answer's key against
 *   it, so the newest epoch travels beside it.
 *
 * Every plaintext starts with a version and a kind byte; a wrong kind or version does
 * not open.
 */

const VERSION = 1
const KIND_EPOCH_KEYS = 1
const KIND_FOLLOW = 2
const KIND_HISTORY = 3
const KIND_JOIN_ANSWER = 4

export interface EpochKeys {
  /** The sphere's identity: the Autobase key of epoch 0. */
  readonly sphere: Uint8Array
  readonly epoch: number
  /** The Autobase key of the epoch before this one. */
  readonly previous: Uint8Array
  /** This epoch's Autobase key. */
  readonly key: Uint8Array
  readonly encryptionKey: Uint8Array
}

export interface EpochSecret {
  readonly epoch: number
  readonly key: Uint8Array
  readonly encryptionKey: Uint8Array
}

export interface FollowRequest {
  /** The device's writer key in the new epoch. */
  readonly writer: Uint8Array
  /** The member's signature binding that writer to the sphere (writerBindingMessage). */
  readonly proof: Uint8Array
}

const epochKeysCodec = {
  preencode(state: c.State, m: EpochKeys) {
    c.fixed32.preencode(state, m.sphere)
    c.uint32.preencode(state, m.epoch)
    c.fixed32.preencode(state, m.previous)
    c.fixed32.preencode(state, m.key)
    c.fixed32.preencode(state, m.encryptionKey)
  },
  encode(state: c.State, m: EpochKeys) {
    c.fixed32.encode(state, m.sphere)
    c.uint32.encode(state, m.epoch)
    c.fixed32.encode(state, m.previous)
    c.fixed32.encode(state, m.key)
    c.fixed32.encode(state, m.encryptionKey)
  },
  decode(state: c.State): EpochKeys {
    return {
      sphere: c.fixed32.decode(state),
      epoch: c.uint32.decode(state),
      previous: c.fixed32.decode(state),
      key: c.fixed32.decode(state),
      encryptionKey: c.fixed32.decode(state)
    }
  }
}

const followCodec = {
  preencode(state: c.State, m: FollowRequest) {
    c.fixed32.preencode(state, m.writer)
    c.fixed64.preencode(state, m.proof)
  },
  encode(state: c.State, m: FollowRequest) {
    c.fixed32.encode(state, m.writer)
    c.fixed64.encode(state, m.proof)
  },
  decode(state: c.State): FollowRequest {
    return { writer: c.fixed32.decode(state), proof: c.fixed64.decode(state) }
  }
}

const secretCodec = {
  preencode(state: c.State, m: EpochSecret) {
    c.uint32.preencode(state, m.epoch)
    c.fixed32.preencode(state, m.key)
    c.fixed32.preencode(state, m.encryptionKey)
  },
  encode(state: c.State, m: EpochSecret) {
    c.uint32.encode(state, m.epoch)
    c.fixed32.encode(state, m.key)
    c.fixed32.encode(state, m.encryptionKey)
  },
  decode(state: c.State): EpochSecret {
    return { epoch: c.uint32.decode(state), key: c.fixed32.decode(state), encryptionKey: c.fixed32.decode(state) }
  }
}
const historyCodec = c.array(secretCodec)

function framed<T>(kind: number, codec: c.Encoder<T>, value: T): Uint8Array {
  const body = c.encode(codec, value)
  return b4a.concat([b4a.from([VERSION, kind]), body])
}

/** The value inside a framed plaintext, or null when the frame or the bytes are not what `kind` expects. */
function unframed<T>(kind: number, codec: c.Encoder<T>, plain: Uint8Array): T | null {
  if (plain.byteLength < 2 || plain[0] !== VERSION || plain[1] !== kind) return null
  try {
    return c.decode(codec, plain.subarray(2))
  } catch {
    return null
  }
}

/** The X25519 public key a member's ed25519 identity key seals to. */
export function sealingPublicKey(identity: Uint8Array): Uint8Array | null {
  const out = b4a.alloc(sodium.crypto_box_PUBLICKEYBYTES)
  try {
    sodium.crypto_sign_ed25519_pk_to_curve25519(out, identity)
  } catch {
    return null // not a point on the curve: no one can hold its secret
  }
  return out
}

/** The new epoch's keys sealed to one member; null when their identity key cannot receive (not a valid point). */
export function sealEpochKeys(recipient: Uint8Array, keys: EpochKeys): Uint8Array | null {
  const publicKey = sealingPublicKey(recipient)
  if (!publicKey) return null
  const plain = framed(KIND_EPOCH_KEYS, epochKeysCodec, keys)
  const box = b4a.alloc(plain.byteLength + sodium.crypto_box_SEALBYTES)
  sodium.crypto_box_seal(box, plain, publicKey)
  return box
}

/** The size of one sealed box of epoch keys (the rotation rules check it). */
export const EPOCH_KEYS_BOX_BYTES = 2 + 32 + 4 + 32 + 32 + 32 + 48

/**
 * Opens a box sealed to this identity, and checks it is for this sphere, this epoch
 * and this predecessor. Null when it does not open or names something else.
 */
export function openEpochKeys(
  identity: SigningKeyPair,
  box: Uint8Array,
  expected: { sphere: Uint8Array; epoch: number; previous: Uint8Array }
): EpochKeys | null {
  if (box.byteLength !== EPOCH_KEYS_BOX_BYTES) return null
  const publicKey = b4a.alloc(sodium.crypto_box_PUBLICKEYBYTES)
  const secretKey = b4a.alloc(sodium.crypto_box_SECRETKEYBYTES)
  try {
    sodium.crypto_sign_ed25519_pk_to_curve25519(publicKey, identity.publicKey)
    sodium.crypto_sign_ed25519_sk_to_curve25519(secretKey, identity.secretKey)
    const plain = b4a.alloc(box.byteLength - sodium.crypto_box_SEALBYTES)
    if (!sodium.crypto_box_seal_open(plain, box, publicKey, secretKey)) return null
    const keys = unframed(KIND_EPOCH_KEYS, epochKeysCodec, plain)
    if (!keys) return null
    if (
      keys.epoch !== expected.epoch ||
      !b4a.equals(keys.sphere, expected.sphere) ||
      !b4a.equals(keys.previous, expected.previous)
    ) {
      return null
    }
    return keys
  } finally {
    sodium.sodium_memzero(secretKey)
  }
}

function secretbox(key: Uint8Array, plain: Uint8Array): Uint8Array {
  const nonce = randomBytes(sodium.crypto_secretbox_NONCEBYTES)
  const box = b4a.alloc(plain.byteLength + sodium.crypto_secretbox_MACBYTES)
  sodium.crypto_secretbox_easy(box, plain, nonce, key)
  return b4a.concat([nonce, box])
}

function secretboxOpen(key: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  const overhead = sodium.crypto_secretbox_NONCEBYTES + sodium.crypto_secretbox_MACBYTES
  if (sealed.byteLength < overhead) return null
  const nonce = sealed.subarray(0, sodium.crypto_secretbox_NONCEBYTES)
  const box = sealed.subarray(sodium.crypto_secretbox_NONCEBYTES)
  const plain = b4a.alloc(box.byteLength - sodium.crypto_secretbox_MACBYTES)
  return sodium.crypto_secretbox_open_easy(plain, box, nonce, key) ? plain : null
}

/** A follow request, readable by whoever holds the new epoch's encryption key. */
export function sealFollow(encryptionKey: Uint8Array, request: FollowRequest): Uint8Array {
  return secretbox(deriveKey(encryptionKey, 'sphere-epoch-follow'), framed(KIND_FOLLOW, followCodec, request))
}

export function openFollow(encryptionKey: Uint8Array, sealed: Uint8Array): FollowRequest | null {
  const plain = secretboxOpen(deriveKey(encryptionKey, 'sphere-epoch-follow'), sealed)
  return plain ? unframed(KIND_FOLLOW, followCodec, plain) : null
}

/** The earlier epochs' keys, readable by whoever holds this epoch's encryption key. */
export function sealHistory(encryptionKey: Uint8Array, epochs: readonly EpochSecret[]): Uint8Array {
  return secretbox(deriveKey(encryptionKey, 'sphere-epoch-history'), framed(KIND_HISTORY, historyCodec, [...epochs]))
}

export function openHistory(encryptionKey: Uint8Array, sealed: Uint8Array): EpochSecret[] | null {
  const plain = secretboxOpen(deriveKey(encryptionKey, 'sphere-epoch-history'), sealed)
  return plain ? unframed(KIND_HISTORY, historyCodec, plain) : null
}

/** The newest epoch's keys, as a member answers an invite once the sphere's key was rotated. */
export function encodeJoinAnswer(secret: EpochSecret): Uint8Array {
  return framed(KIND_JOIN_ANSWER, secretCodec, secret)
}

export function decodeJoinAnswer(bytes: Uint8Array): EpochSecret | null {
  return unframed(KIND_JOIN_ANSWER, secretCodec, bytes)
}
