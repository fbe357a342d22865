// Honest declarations for the parts of blind-pairing 2 this project uses.
declare module 'blind-pairing' {
  import type Hyperswarm from 'hyperswarm'

  namespace BlindPairing {
    interface CreatedInvite {
      readonly id: Uint8Array
      readonly invite: Uint8Array
      /** The invite's secret seed: its key pair signs `additional` data. */
      readonly seed: Uint8Array
      readonly publicKey: Uint8Array
      readonly discoveryKey: Uint8Array
      readonly expires: number
      /** `data` of the options, signed with the invite's key pair: confirm sends it, the candidate checks it. */
      readonly additional: { data: Uint8Array; signature: Uint8Array } | null
    }
    interface DecodedInvite {
      readonly id: Uint8Array
      readonly seed: Uint8Array
      readonly discoveryKey: Uint8Array
      readonly expires: number
    }
    /** A candidate's request as a member sees it: open it with the invite's public key, then confirm or deny. */
    interface MemberRequest {
      readonly inviteId: Uint8Array
      readonly userData: Uint8Array | null
      open(publicKey: Uint8Array): Uint8Array
      confirm(result: {
        key: Uint8Array
        encryptionKey?: Uint8Array | null
        additional?: { data: Uint8Array; signature: Uint8Array } | null
      }): void
      deny(opts?: { status?: number }): void
    }
    interface PairingResult {
      readonly key: Uint8Array
      readonly encryptionKey: Uint8Array | null
      /** The invite's signed `data`, verified against the invite (null without it). */
      readonly data: Uint8Array | null
    }
    interface Member {
      flushed(): Promise<void>
      close(): Promise<void>
    }
    interface Candidate {
      readonly pairing: Promise<PairingResult | null>
      readonly paired: PairingResult | null
      close(): Promise<void>
    }
  }

  class BlindPairing {
    constructor(swarm: Hyperswarm, opts?: { poll?: number })
    static createInvite(
      key: Uint8Array,
      opts?: { expires?: number; discoveryKey?: Uint8Array; data?: Uint8Array }
    ): BlindPairing.CreatedInvite
    static decodeInvite(invite: Uint8Array): BlindPairing.DecodedInvite
    addMember(opts: {
      discoveryKey: Uint8Array
      onadd(request: BlindPairing.MemberRequest): Promise<void> | void
    }): BlindPairing.Member
    addCandidate(opts: {
      invite: Uint8Array
      userData: Uint8Array
      onadd?(result: BlindPairing.PairingResult): Promise<void> | void
    }): BlindPairing.Candidate
    close(): Promise<void>
  }

  export = BlindPairing
}

declare module 'z32' {
  export function encode(bytes: Uint8Array): string
  export function decode(text: string): Uint8Array
}
