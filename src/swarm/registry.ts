import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import b4a from 'b4a'
import sodium from 'sodium-universal'
import { CosmicError } from '../errors.js'
import { deriveKey, randomBytes } from '../events/crypto.js'
import { writeFileAtomic } from '../store/vault.js'

/**
 * The spheres this home is in, with the secrets to read them (each sphere's
 * encryption key) and the invites it has handed out. Sealed with a key derived from
 * the vault seed (XSalsa20-Poly1305), written atomically, never replicated. A sphere
 * whose key was rotated keeps the keys of every epoch it holds. The
 * journal records, privately, that the person joined or left (`sphere.joined`); the
 * keys live only here, so they can be dropped for real when the person leaves.
 */
export const REGISTRY_FILE = 'spheres.sealed'
const FORMAT = 'cosmicsynccore-spheres/v1'

export interface InviteRecord {
  /** blind-pairing invite id (hex). */
  id: string
  /** The invite's public key (hex): opens a candidate's request. */
  publicKey: string
  created: number
  /** ms since the epoch; 0 never (not offered by the CLI). */
  expires: number
  used: number | null
  /** Who used it (identity key, hex). */
  usedBy: string | null
  /**
   * The invite's seed (hex), as secret as the code itself until it is used or expires:
   * it signs the newest epoch's keys into the answer once the sphere's key was rotated.
   * Absent in invites made before key rotation existed.
   */
  seed?: string
}

/** An epoch after 0 of a sphere (a new Autobase after a key rotation, docs/spheres.md), as this home holds it. */
export interface EpochRecord {
  epoch: number
  /** Its Autobase key (hex). */
  key: string
  encryptionKey: string
  /** Its Corestore namespace in HOME/spheres (hex). */
  namespace: string
  /**
   * This home started the epoch and its rotation may not have gone out yet (it is
   * recorded first, so a crash in between cannot strand the epoch's only writer).
   */
  pending?: boolean
}

export interface SphereRecord {
  /** Autobase key of its epoch 0 (hex): the sphere's id, in every epoch. */
  key: string
  /** Epoch 0's encryption key. */
  encryptionKey: string
  /** Corestore namespace of epoch 0 in HOME/spheres (hex). */
  namespace: string
  name: string
  role: 'creator' | 'member'
  joined: number
  invites: InviteRecord[]
  /** Seeders (their public keys, z32) asked to keep this sphere while members are offline. */
  seeders?: string[]
  /** The epochs after 0 this home holds the keys of, in order (absent: none yet). */
  epochs?: EpochRecord[]
}

interface Sealed {
  format: string
  nonce: string
  box: string
}

export class SphereRegistry {
  private constructor(
    private readonly path: string,
    private readonly key: Uint8Array,
    private spheres: SphereRecord[]
  ) {}

  static async open(homePath: string, seed: Uint8Array): Promise<SphereRegistry> {
    const path = join(homePath, REGISTRY_FILE)
    const key = deriveKey(seed, 'sphere-registry')
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new SphereRegistry(path, key, [])
      throw err
    }
    let sealed: Sealed
    try {
      sealed = JSON.parse(text) as Sealed
    } catch {
      throw CosmicError.HOME_DAMAGED(`${path} is not readable JSON`)
    }
    if (sealed.format !== FORMAT) throw CosmicError.UNSUPPORTED_VERSION(`${path} has format ${String(sealed.format)}`)
    const box = b4a.from(sealed.box, 'base64')
    const plain = b4a.alloc(Math.max(0, box.byteLength - sodium.crypto_secretbox_MACBYTES))
    if (
      box.byteLength < sodium.crypto_secretbox_MACBYTES ||
      !sodium.crypto_secretbox_open_easy(plain, box, b4a.from(sealed.nonce, 'hex'), key)
    ) {
      throw CosmicError.HOME_DAMAGED(`${path} does not open with this vault (tampered, or from another home)`)
    }
    return new SphereRegistry(path, key, JSON.parse(b4a.toString(plain, 'utf8')) as SphereRecord[])
  }

  list(): readonly SphereRecord[] {
    return this.spheres
  }

  get(key: string): SphereRecord | undefined {
    return this.spheres.find((s) => s.key === key)
  }

  /** A sphere by its key, a unique key prefix (at least 4 hex characters), its name, or the start of its name. */
  resolve(ref: string): SphereRecord {
    const exact = this.spheres.find((s) => s.key === ref)
    if (exact) return exact
    const lower = ref.toLowerCase()
    const byPrefix = /^[0-9a-f]{4,63}$/.test(lower) ? this.spheres.filter((s) => s.key.startsWith(lower)) : []
    const exactName = this.spheres.filter((s) => s.name === ref)
    const byName = exactName.length > 0 ? exactName : this.spheres.filter((s) => s.name.toLowerCase().startsWith(lower))
    const matches = [...new Set([...byPrefix, ...byName])]
    if (matches.length === 1) return matches[0] as SphereRecord
    if (matches.length > 1) {
      throw CosmicError.INVALID_INPUT(
        `"${ref}" names ${matches.length} spheres (${matches.map((m) => `${m.name} ${m.key.slice(0, 8)}`).join(', ')}): use more of the key`
      )
    }
    throw CosmicError.NOT_FOUND(
      this.spheres.length === 0
        ? `no sphere "${ref}": this home is in no sphere yet (cosmic sphere create NAME, or cosmic sphere join CODE)`
        : `no sphere "${ref}"; cosmic sphere list shows yours`
    )
  }

  async put(record: SphereRecord): Promise<void> {
    const others = this.spheres.filter((s) => s.key !== record.key)
    await this.save([...others, record])
  }

  async remove(key: string): Promise<void> {
    await this.save(this.spheres.filter((s) => s.key !== key))
  }

  private async save(spheres: SphereRecord[]): Promise<void> {
    const plain = b4a.from(JSON.stringify(spheres), 'utf8')
    const nonce = randomBytes(sodium.crypto_secretbox_NONCEBYTES)
    const box = b4a.alloc(plain.byteLength + sodium.crypto_secretbox_MACBYTES)
    sodium.crypto_secretbox_easy(box, plain, nonce, this.key)
    const sealed: Sealed = { format: FORMAT, nonce: b4a.toString(nonce, 'hex'), box: b4a.toString(box, 'base64') }
    await writeFileAtomic(this.path, `${JSON.stringify(sealed)}\n`)
    this.spheres = spheres
  }
}
