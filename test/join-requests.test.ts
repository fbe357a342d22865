// The rule that answers a request to join (src/swarm/join-requests.ts), without storage
// or network: given an invite and what this home knows of the request, when someone
// asks, then admit, hold for a person, or refuse with the status the candidate reads.
import test from 'brittle'
import {
  DENY,
  decideJoin,
  type JoinRequestRecord,
  joinRequestId,
  MAX_DECIDED_KEPT,
  withRequest
} from '../src/swarm/join-requests.js'
import type { InviteRecord } from '../src/swarm/registry.js'

const NOW = 1_800_000_000_000
const BEN = 'b'.repeat(64)
const CY = 'c'.repeat(64)
const INVITE = 'a'.repeat(64)

const open = { expires: NOW + 60_000, used: null, usedBy: null } satisfies Partial<InviteRecord>
const approve = { ...open, approve: true }

function request(status: JoinRequestRecord['status'], id = joinRequestId(INVITE, BEN), decided = 0): JoinRequestRecord {
  return {
    id,
    invite: INVITE,
    identity: BEN,
    name: 'Ben',
    asked: NOW - 1000,
    lastAsked: NOW - 1000,
    status,
    decided: status === 'pending' ? null : decided,
    admitted: null
  }
}

test('an automatic invite admits its holder; an approve invite holds the request for a person', (t) => {
  t.alike(decideJoin(open, undefined, BEN, NOW), { kind: 'admit' })
  t.alike(decideJoin({ ...open, approve: false }, undefined, BEN, NOW), { kind: 'admit' }, 'approve false: automatic')
  t.alike(decideJoin(approve, undefined, BEN, NOW), { kind: 'hold' }, 'a first ask waits')
  t.alike(decideJoin(approve, request('pending'), BEN, NOW), { kind: 'hold' }, 'asking again still waits')
  t.alike(decideJoin({ ...approve, expires: 0 }, undefined, BEN, NOW), { kind: 'hold' }, 'an invite that never expires')
})

test('a decision stays: denied is denied, a used code admits only whom it admitted', (t) => {
  t.alike(decideJoin(approve, request('denied'), BEN, NOW), { kind: 'refuse', status: DENY.DENIED })
  t.alike(decideJoin(approve, request('used'), BEN, NOW), { kind: 'refuse', status: DENY.USED })
  t.alike(decideJoin(approve, request('expired'), BEN, NOW), { kind: 'refuse', status: DENY.EXPIRED })
  const usedByBen = { ...approve, used: NOW - 10, usedBy: BEN }
  t.alike(decideJoin(usedByBen, request('approved'), BEN, NOW), { kind: 'admit' }, 'approved while away: admitted now')
  t.alike(
    decideJoin({ ...usedByBen, expires: NOW - 1 }, request('approved'), BEN, NOW),
    { kind: 'admit' },
    'approved before the invite expired: still admitted'
  )
  t.alike(decideJoin(usedByBen, undefined, CY, NOW), { kind: 'refuse', status: DENY.USED, mark: 'used' }, 'anyone else')
  t.alike(decideJoin({ ...open, used: NOW, usedBy: BEN }, undefined, BEN, NOW), { kind: 'admit' }, 'a lost answer')
})

test('expiry: nobody is admitted or held with an expired invite, and a pending request is closed', (t) => {
  const expired = { ...approve, expires: NOW }
  t.alike(decideJoin(expired, request('pending'), BEN, NOW), { kind: 'refuse', status: DENY.EXPIRED, mark: 'expired' })
  t.alike(decideJoin({ ...open, expires: NOW - 1 }, undefined, BEN, NOW), {
    kind: 'refuse',
    status: DENY.EXPIRED,
    mark: 'expired'
  })
  t.alike(decideJoin(expired, request('denied'), BEN, NOW), { kind: 'refuse', status: DENY.DENIED }, 'denied stays')
})

test('a request is one person with one invite; the decided ones kept are the newest', (t) => {
  t.is(joinRequestId(INVITE, BEN), joinRequestId(INVITE, BEN), 'the same person asking again: the same request')
  t.not(joinRequestId(INVITE, BEN), joinRequestId(INVITE, CY))
  t.not(joinRequestId(INVITE, BEN), joinRequestId('d'.repeat(64), BEN))
  t.ok(/^[0-9a-f]{16}$/.test(joinRequestId(INVITE, BEN)))

  let kept: JoinRequestRecord[] = [request('pending', 'p'.repeat(16))]
  for (let i = 0; i < MAX_DECIDED_KEPT + 5; i++) kept = withRequest(kept, request('denied', `d${i}`, NOW + i))
  t.is(kept.length, MAX_DECIDED_KEPT + 1, 'the pending one and the newest decided ones')
  t.ok(
    kept.some((r) => r.status === 'pending'),
    'a pending request is never dropped'
  )
  t.absent(
    kept.some((r) => r.id === 'd0'),
    'the oldest decided ones go'
  )
  const changed = withRequest(kept, { ...request('pending', 'p'.repeat(16)), name: 'Ben again' })
  t.is(changed.length, kept.length, 'a request changes in place')
  t.is(changed.find((r) => r.id === 'p'.repeat(16))?.name, 'Ben again')
})
