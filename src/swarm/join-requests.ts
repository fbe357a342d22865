import { blake2b256, fromHex, toHex } from '../events/crypto.js'
import type { InviteRecord } from './registry.js'

/**
 * Requests to join a sphere with an invite that a person approves by hand
 * (`cosmic sphere invite --approve`, docs/spheres.md, "Invites"): what the inviting home
 * keeps about each one, and the pure rule that answers a request when it arrives.
 *
 * A request is one person (their identity key) asking with one invite: asking again, from
 * a restarted `cosmic sphere join` or after the inviting home restarted, is the same
 * request. Only the inviting home holds it, in its sealed sphere registry; nothing about
 * a request reaches the sphere unless it is approved (then `sphere.member.added`).
 */

/**
 * - `pending`: waiting for a person on this home;
 * - `approved`: approved; `admitted` says when their device was let in (null: it is let
 *   in when it asks again);
 * - `denied`: a person refused it (the candidate is told `JOIN_DENIED`);
 * - `expired`: the invite expired before anyone decided;
 * - `used`: the invite admitted someone else first (a code admits one person).
 */
export type JoinRequestStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'used'

export interface JoinRequestRecord {
  /** `joinRequestId(invite, identity)`. */
  id: string
  /** The invite (its blind-pairing id, hex). */
  invite: string
  /** Their identity key (hex), as their request presents it (signed: their device binding verifies with it). */
  identity: string
  /** The name they gave, as they gave it (trimmed, at most 200 characters). */
  name: string
  /** When they first asked, and last asked (ms, this home's clock). */
  asked: number
  lastAsked: number
  status: JoinRequestStatus
  /** When it stopped being pending. */
  decided: number | null
  /** When their device was admitted (`sphere.member.added`). */
  admitted: number | null
}

/** Pending requests one invite can hold: a leaked code cannot fill the registry. */
export const MAX_PENDING_PER_INVITE = 20
/** Decided requests kept per sphere (the newest), so the list says what became of them. */
export const MAX_DECIDED_KEPT = 50

/**
 * blind-pairing's answer statuses, as the candidate reads them: 1 is PAIRING_REJECTED (a
 * person denied it: `JOIN_DENIED`), 2 INVITE_USED, 3 INVITE_EXPIRED; 0 sends no answer
 * (a request this home cannot read or act on: the candidate times out, as before).
 */
export const DENY = { SILENT: 0, DENIED: 1, USED: 2, EXPIRED: 3 } as const
export type RefusalStatus = typeof DENY.DENIED | typeof DENY.USED | typeof DENY.EXPIRED

const REQUEST_ID_TAG = new TextEncoder().encode('cosmicsynccore/join-request/v1')

/** A short stable id for one person asking with one invite (16 hex characters). */
export function joinRequestId(invite: string, identity: string): string {
  return toHex(blake2b256(REQUEST_ID_TAG, fromHex(invite), fromHex(identity))).slice(0, 16)
}

export function inviteExpired(invite: Pick<InviteRecord, 'expires'>, now: number): boolean {
  return invite.expires !== 0 && invite.expires <= now
}

/** What to do with a request that arrives: admit the device now, hold it for a person, or refuse it. */
export type JoinDecision =
  | { readonly kind: 'admit' }
  | { readonly kind: 'hold' }
  | { readonly kind: 'refuse'; readonly status: RefusalStatus; readonly mark?: JoinRequestStatus }

/**
 * The rule, in order: a used invite admits only the person it was used by (their answer
 * was lost, or a person approved them while their device was away) and refuses anyone
 * else; a request a person denied stays denied; an expired invite admits nobody; an
 * invite made with `--approve` holds the request for a person; any other admits.
 */
export function decideJoin(
  invite: Pick<InviteRecord, 'expires' | 'used' | 'usedBy' | 'approve'>,
  request: Pick<JoinRequestRecord, 'status'> | undefined,
  identity: string,
  now: number
): JoinDecision {
  if (invite.used !== null) {
    return invite.usedBy === identity ? { kind: 'admit' } : { kind: 'refuse', status: DENY.USED, mark: 'used' }
  }
  const status = request?.status ?? 'pending'
  switch (status) {
    case 'denied':
      return { kind: 'refuse', status: DENY.DENIED }
    case 'used':
      return { kind: 'refuse', status: DENY.USED }
    case 'expired':
      return { kind: 'refuse', status: DENY.EXPIRED }
    case 'approved':
    // Approving marks the invite used by them: handled above. A record that says
    // approved without it is read as still pending (the same rules apply).
    case 'pending':
      if (inviteExpired(invite, now)) return { kind: 'refuse', status: DENY.EXPIRED, mark: 'expired' }
      return invite.approve ? { kind: 'hold' } : { kind: 'admit' }
    default: {
      const never: never = status
      throw new Error(`unknown request status ${String(never)}`)
    }
  }
}

/**
 * The requests of a sphere after one changed: the changed one in place (or added), and
 * only the newest MAX_DECIDED_KEPT decided ones kept.
 */
export function withRequest(requests: readonly JoinRequestRecord[], changed: JoinRequestRecord): JoinRequestRecord[] {
  const next = requests.some((r) => r.id === changed.id)
    ? requests.map((r) => (r.id === changed.id ? changed : r))
    : [...requests, changed]
  const decided = next
    .filter((r) => r.status !== 'pending')
    .sort((a, b) => (b.decided ?? 0) - (a.decided ?? 0))
    .slice(MAX_DECIDED_KEPT)
  if (decided.length === 0) return next
  const dropped = new Set(decided.map((r) => r.id))
  return next.filter((r) => !dropped.has(r.id))
}
