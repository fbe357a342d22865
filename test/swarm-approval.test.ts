// Joining a sphere with an invite that a person approves by hand (docs/spheres.md,
// "Invites"): homes in one process over a loopback DHT, since blind-pairing itself (the
// candidate waiting, the answer coming later, a refusal it reads) is what is under test.
import test from 'brittle'
import createTestnet from 'hyperdht/testnet.js'
import { buildApp } from '../src/api/app.js'
import type { Home } from '../src/store/home.js'
import { type SphereSummary, Spheres } from '../src/swarm/spheres.js'
import { call, TOKEN } from './helpers/api.js'
import { allowNetwork, createHome, filesContaining } from './helpers/home.js'
import { codeOf, messageOf, until } from './helpers/wait.js'

type Bootstrap = { host: string; port: number }[]

interface Peer {
  name: string
  home: Home
  path: string
  spheres: Spheres
  /** Closes its spheres and reopens the home and its spheres: a restart of `cosmic sync` / `serve`. */
  restart(options?: { clock?: () => number }): Promise<Spheres>
}

async function peer(t: test.Test, name: string, bootstrap: Bootstrap, clock?: () => number): Promise<Peer> {
  const made = await createHome(t, { name })
  await allowNetwork(made.home)
  const open = (home: Home, c?: () => number) =>
    Spheres.open(home, { bootstrap, host: '127.0.0.1', pairingPoll: 1000, ...(c ? { clock: c } : {}) })
  const p: Peer = {
    name,
    home: made.home,
    path: made.path,
    spheres: await open(made.home, clock),
    async restart(options = {}) {
      await p.spheres.close()
      p.home = await made.reopen()
      p.spheres = await open(p.home, options.clock ?? clock)
      return p.spheres
    }
  }
  t.teardown(() => p.spheres.close(), { order: -2 })
  return p
}

/** Settles a promise into what it gave or the error, so a test can look at it later without an unhandled rejection. */
function settle<T>(promise: Promise<T>): { done: () => boolean; result: Promise<T> } {
  let done = false
  const result = promise.finally(() => {
    done = true
  })
  result.catch(() => {})
  return { done: () => done, result }
}

async function texts(spheres: Spheres, key: string): Promise<string[]> {
  const { sphere } = await spheres.get(key)
  await sphere.update()
  return (await sphere.feed()).map((i) => (i.body as { text: string }).text)
}

test('an invite that needs approval: the candidate waits, is no member and reads nothing; approved, they join and read', async (t) => {
  t.timeout(150_000)
  const testnet = await createTestnet(3, { host: '127.0.0.1', teardown: t.teardown })
  const ada = await peer(t, 'Ada', testnet.bootstrap)
  const ben = await peer(t, 'Ben', testnet.bootstrap)
  const secret = 'marigold-before-approval-5521'
  const created = await ada.spheres.create('Night writers')
  await ada.spheres.post(created.key, `Welcome: ${secret}`)
  await ada.spheres.startNetwork()

  const invite = await ada.spheres.invite(created.key, { approve: true })
  t.is(invite.approve, true)
  const joining = settle(ben.spheres.join(invite.code, { timeout: 90_000, name: 'Ben of the hills' }))

  await until(async () => ada.spheres.requests(created.key).length === 1, 'the request to reach Ada', 60_000)
  const [request] = ada.spheres.requests(created.key)
  if (!request) throw new Error('a request')
  t.is(request.status, 'pending')
  t.is(request.name, 'Ben of the hills', 'who asks, by the name they gave')
  t.is(request.identity, ben.home.author, 'and by their identity key')
  t.ok(request.asked > 0 && request.asked <= Date.now(), 'and when')
  await until(async () => ada.spheres.requests(created.key)[0]?.waiting === true, 'their device to wait', 30_000)
  t.is((await ada.spheres.list())[0]?.pendingRequests, 1, 'the sphere says a request waits')

  // Not admitted meanwhile: no member, no key, no word.
  await new Promise((r) => setTimeout(r, 3000))
  t.absent(joining.done(), 'the join still waits for a person')
  const { sphere: onAda } = await ada.spheres.get(created.key)
  t.alike(
    (await onAda.members()).map((m) => m.name),
    ['Ada'],
    'the candidate is not a member'
  )
  t.alike(ben.spheres.registry.list(), [], 'the candidate holds no sphere key')
  t.alike(await filesContaining(ben.path, secret), [], 'and no word of the sphere is in their home')

  const approved = await ada.spheres.approve(created.key, request.id.slice(0, 6))
  t.is(approved.status, 'approved')
  t.ok(approved.admitted, 'their waiting device was admitted at once')
  const joined = (await joining.result) as SphereSummary
  t.is(joined.key, created.key)
  await until(async () => (await texts(ben.spheres, created.key)).includes(`Welcome: ${secret}`), 'Ben to read', 60_000)
  t.pass('approved, the candidate reads what was shared before')
  const members = await onAda.members()
  const benMember = members.find((m) => m.member === ben.home.author)
  t.is(benMember?.name, 'Ben of the hills', 'sphere.member.added carries the name they gave')
  t.is(benMember?.addedBy, ada.home.author, 'admitted by the member who approved')
  await ben.spheres.post(created.key, 'Thank you for letting me in.')
  await until(
    async () => (await texts(ada.spheres, created.key)).includes('Thank you for letting me in.'),
    'Ada to read Ben'
  )

  t.is(
    await codeOf(ada.spheres.approve(created.key, request.id)),
    'CONFLICT',
    'a decided request cannot be decided again'
  )
  t.ok(
    /CONFLICT: the request from Ben of the hills to join Night writers was already approved on /.test(
      await messageOf(ada.spheres.deny(created.key, request.id))
    )
  )
  t.is(await codeOf(ada.spheres.approve(created.key, 'ffffffff')), 'NOT_FOUND')
  t.alike(ada.spheres.requests(created.key), [], 'nothing waits any more')
  t.is(ada.spheres.requests(created.key, { all: true })[0]?.status, 'approved', 'the decision is kept')
  t.is((await ada.spheres.list())[0]?.openInvites, 0, 'the code was used')

  // An automatic invite (the default) still admits its holder without anyone approving.
  const cy = await peer(t, 'Cy', testnet.bootstrap)
  const auto = await ada.spheres.invite(created.key)
  t.is(auto.approve, false)
  const cyJoined = await cy.spheres.join(auto.code, { timeout: 60_000 })
  t.is(cyJoined.key, created.key, 'an automatic invite admits at once')
  t.alike(ada.spheres.requests(created.key, { all: true }).length, 1, 'and no request was held for it')
})

test('deny: the candidate is told JOIN_DENIED and is no member; the denial stays with the inviting home', async (t) => {
  t.timeout(150_000)
  const testnet = await createTestnet(3, { host: '127.0.0.1', teardown: t.teardown })
  const ada = await peer(t, 'Ada', testnet.bootstrap)
  const dee = await peer(t, 'Dee', testnet.bootstrap)
  const created = await ada.spheres.create('Quiet room')
  await ada.spheres.startNetwork()
  const invite = await ada.spheres.invite(created.key, { approve: true })
  const joining = settle(dee.spheres.join(invite.code, { timeout: 90_000 }))
  await until(async () => ada.spheres.requests(created.key)[0]?.waiting === true, 'Dee to wait', 60_000)
  const denied = await ada.spheres.deny(created.key, 'Dee')
  t.is(denied.status, 'denied')
  t.is(denied.waiting, true, 'Dee waited, and was told at once')
  t.is(await codeOf(joining.result), 'JOIN_DENIED', 'the candidate reads a stable code')
  t.ok(
    /JOIN_DENIED: a person on the home that made the invite denied your request to join/.test(
      await messageOf(joining.result)
    ),
    'and a clear message'
  )
  t.alike(dee.spheres.registry.list(), [], 'no sphere on the candidate')

  // Nothing about Dee reached the sphere: not a member, nothing refused, nothing in the feed.
  const { sphere } = await ada.spheres.get(created.key)
  await sphere.update()
  const seen = JSON.stringify([await sphere.members(), await sphere.rejected(), await sphere.feed()])
  t.absent(seen.includes(dee.home.author), "the sphere holds nothing of the denied candidate's")
  t.alike(
    ada.spheres.requests(created.key, { all: true }).map((r) => [r.name, r.status]),
    [['Dee', 'denied']],
    'the inviting home keeps the denial'
  )
  t.is(await codeOf(ada.spheres.deny(created.key, denied.id)), 'CONFLICT', 'denied once')

  // Asking again is refused at once; the code stays valid for someone else.
  const again = Date.now()
  t.is(await codeOf(dee.spheres.join(invite.code, { timeout: 30_000 })), 'JOIN_DENIED', 'asking again: denied')
  t.ok(Date.now() - again < 25_000, 'told, not timed out')
  t.is((await ada.spheres.list())[0]?.openInvites, 1, 'a denial does not use the code')
})

test('one code, two people asking: approving one closes the other (the code was used)', async (t) => {
  t.timeout(150_000)
  const testnet = await createTestnet(3, { host: '127.0.0.1', teardown: t.teardown })
  const ada = await peer(t, 'Ada', testnet.bootstrap)
  const ben = await peer(t, 'Ben', testnet.bootstrap)
  const cy = await peer(t, 'Cy', testnet.bootstrap)
  const created = await ada.spheres.create('Two askers')
  await ada.spheres.startNetwork()
  const invite = await ada.spheres.invite(created.key, { approve: true })
  const benJoin = settle(ben.spheres.join(invite.code, { timeout: 90_000 }))
  const cyJoin = settle(cy.spheres.join(invite.code, { timeout: 90_000 }))
  await until(
    async () => ada.spheres.requests(created.key).filter((r) => r.waiting).length === 2,
    'both to wait',
    60_000
  )
  const benRequest = ada.spheres.requests(created.key).find((r) => r.name === 'Ben')
  await ada.spheres.approve(created.key, benRequest?.id ?? '')
  t.is(((await benJoin.result) as SphereSummary).key, created.key, 'Ben joined')
  t.is(await codeOf(cyJoin.result), 'INVITE_INVALID', 'Cy is told the code was used')
  t.ok(/already used/.test(await messageOf(cyJoin.result)))
  t.alike(
    ada.spheres
      .requests(created.key, { all: true })
      .map((r) => [r.name, r.status])
      .sort(),
    [
      ['Ben', 'approved'],
      ['Cy', 'used']
    ]
  )
})

test('a pending request survives a restart of the inviting home; expired, it is refused', async (t) => {
  t.timeout(180_000)
  const testnet = await createTestnet(3, { host: '127.0.0.1', teardown: t.teardown })
  let skew = 0
  const ada = await peer(t, 'Ada', testnet.bootstrap, () => Date.now() + skew)
  const ben = await peer(t, 'Ben', testnet.bootstrap)
  const created = await ada.spheres.create('Patient circle')
  await ada.spheres.post(created.key, 'written before Ben asked')
  await ada.spheres.startNetwork()
  const invite = await ada.spheres.invite(created.key, { approve: true })
  const joining = settle(ben.spheres.join(invite.code, { timeout: 120_000 }))
  await until(async () => ada.spheres.requests(created.key)[0]?.waiting === true, 'Ben to wait', 60_000)

  // `cosmic sync` stops and starts again while Ben waits.
  const restarted = await ada.restart()
  const kept = restarted.requests(created.key)
  t.alike(
    kept.map((r) => [r.name, r.identity, r.status]),
    [['Ben', ben.home.author, 'pending']],
    'the request is still there after the restart, with who asks'
  )
  t.is(kept[0]?.waiting, false, 'nothing waits in this new process yet')
  await restarted.startNetwork()
  await until(async () => restarted.requests(created.key)[0]?.waiting === true, "Ben's request to come back", 60_000)
  t.absent(joining.done(), 'Ben still waits')
  await restarted.approve(created.key, 'Ben')
  t.is(((await joining.result) as SphereSummary).key, created.key, 'approved after the restart, Ben joins')
  await until(
    async () => (await texts(ben.spheres, created.key)).includes('written before Ben asked'),
    'Ben to read',
    60_000
  )

  // A request still pending when its invite expires is refused, and the candidate told.
  const cy = await peer(t, 'Cy', testnet.bootstrap)
  const short = await restarted.invite(created.key, { approve: true, expiresIn: 10 * 60_000 })
  const cyJoin = settle(cy.spheres.join(short.code, { timeout: 90_000 }))
  await until(async () => restarted.requests(created.key)[0]?.waiting === true, 'Cy to wait', 60_000)
  skew = 11 * 60_000 // Ada's clock passes the expiry
  t.alike(restarted.requests(created.key), [], 'it no longer waits for anyone')
  t.is(
    restarted.requests(created.key, { all: true }).find((r) => r.name === 'Cy')?.status,
    'expired',
    'it is listed as expired'
  )
  t.is(await codeOf(restarted.approve(created.key, 'Cy')), 'INVITE_INVALID', 'an expired request cannot be approved')
  t.is(await codeOf(cyJoin.result), 'INVITE_INVALID', 'the waiting candidate is refused')
  t.ok(/expired/.test(await messageOf(cyJoin.result)), await messageOf(cyJoin.result))
  t.is(restarted.requests(created.key, { all: true }).find((r) => r.name === 'Cy')?.status, 'expired')
  const { sphere } = await restarted.get(created.key)
  t.absent(
    (await sphere.members()).some((m) => m.name === 'Cy'),
    'and is no member'
  )
})

test('join requests over HTTP: list, approve, deny; 404 for an unknown request, 409 once decided', async (t) => {
  t.timeout(150_000)
  const testnet = await createTestnet(3, { host: '127.0.0.1', teardown: t.teardown })
  const ada = await peer(t, 'Ada', testnet.bootstrap)
  const ben = await peer(t, 'Ben', testnet.bootstrap)
  const cy = await peer(t, 'Cy', testnet.bootstrap)
  const app = await buildApp({ home: ada.home, token: TOKEN, webRoot: null, spheres: async () => ada.spheres })
  t.teardown(() => app.close(), { order: -3 })
  const key = (await call(app, 'POST', '/api/spheres', { name: 'Over HTTP' })).json.key as string
  await ada.spheres.startNetwork()
  const invite = await call(app, 'POST', `/api/spheres/${key}/invites`, { approve: true })
  t.is(invite.status, 201, invite.text)
  t.is(invite.json.approve, true)
  const first = await call(app, 'POST', `/api/spheres/${key}/invites`, { approve: true })

  const benJoin = settle(ben.spheres.join(invite.json.code, { timeout: 90_000 }))
  const cyJoin = settle(cy.spheres.join(first.json.code, { timeout: 90_000 }))
  await until(
    async () => (await call(app, 'GET', `/api/spheres/${key}/requests`)).json.requests.length === 2,
    'two requests',
    60_000
  )
  const listed = await call(app, 'GET', `/api/spheres/${key}/requests`)
  t.is(listed.status, 200, listed.text)
  const benRequest = listed.json.requests.find((r: { name: string }) => r.name === 'Ben')
  const cyRequest = listed.json.requests.find((r: { name: string }) => r.name === 'Cy')
  t.is(benRequest.identity, ben.home.author)
  t.is(benRequest.status, 'pending')
  t.is(benRequest.sphereName, 'Over HTTP')
  const everywhere = await call(app, 'GET', '/api/spheres/requests')
  t.is(everywhere.json.requests.length, 2, 'every sphere')
  t.is((await call(app, 'GET', '/api/spheres')).json.spheres[0].pendingRequests, 2)

  const unknown = await call(app, 'POST', `/api/spheres/${key}/requests/0123456789abcdef/approve`)
  t.is(unknown.status, 404, unknown.text)
  t.is(unknown.json.error.code, 'NOT_FOUND')
  t.ok(unknown.json.error.message.includes('cosmic sphere requests'), unknown.json.error.message)
  t.is((await call(app, 'POST', `/api/spheres/${key}/requests/0123456789abcdef/deny`)).status, 404)
  t.is((await call(app, 'POST', `/api/spheres/nowhere/requests/${benRequest.id}/deny`)).status, 404)
  t.is((await call(app, 'GET', '/api/spheres/nowhere/requests')).status, 404)
  const bad = await call(app, 'GET', `/api/spheres/${key}/requests?all=perhaps`)
  t.is(bad.status, 400)
  t.is(bad.json.error.field, 'all')

  const approved = await call(app, 'POST', `/api/spheres/${key}/requests/${benRequest.id}/approve`)
  t.is(approved.status, 200, approved.text)
  t.is(approved.json.status, 'approved')
  t.ok(approved.json.admitted)
  t.is(((await benJoin.result) as SphereSummary).key, key)
  const denied = await call(app, 'POST', `/api/spheres/${key}/requests/${cyRequest.id}/deny`)
  t.is(denied.status, 200, denied.text)
  t.is(denied.json.status, 'denied')
  t.is(await codeOf(cyJoin.result), 'JOIN_DENIED')

  for (const [id, action] of [
    [benRequest.id, 'approve'],
    [benRequest.id, 'deny'],
    [cyRequest.id, 'approve'],
    [cyRequest.id, 'deny']
  ]) {
    const again = await call(app, 'POST', `/api/spheres/${key}/requests/${id}/${action}`)
    t.is(again.status, 409, `${action} a decided request: ${again.text}`)
    t.is(again.json.error.code, 'CONFLICT')
  }
  t.alike((await call(app, 'GET', `/api/spheres/${key}/requests`)).json.requests, [], 'nothing waits')
  const all = await call(app, 'GET', `/api/spheres/${key}/requests?all=true`)
  t.alike(all.json.requests.map((r: { status: string }) => r.status).sort(), ['approved', 'denied'])
  const members = await call(app, 'GET', `/api/spheres/${key}/members`)
  t.alike(members.json.members.map((m: { name: string }) => m.name).sort(), ['Ada', 'Ben'])
})
