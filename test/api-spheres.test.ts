import test from 'brittle'
import Fastify from 'fastify'
import { example } from '../scripts/match-example.js'
import { buildApp } from '../src/api/app.js'
import { MatchResultJson } from '../src/api/routes/spheres.js'
import { toHex } from '../src/events/crypto.js'
import { lazySpheres } from '../src/swarm/spheres.js'
import { call, createApiHome, TOKEN } from './helpers/api.js'
import { createHome } from './helpers/home.js'

/** The id of the last event in the journal: a refused request must leave it (and the length) as it was. */
async function head(home: Awaited<ReturnType<typeof createApiHome>>['home']) {
  const length = home.journal.length
  const last = length ? await home.journal.getBlock(length - 1) : null
  return { length, id: last ? toHex(last.id) : null }
}

test('spheres over HTTP: create, list, invite, post, feed, members, leave', async (t) => {
  const { app } = await createApiHome(t)
  const empty = await call(app, 'GET', '/api/spheres')
  t.is(empty.status, 200, empty.text)
  t.alike(empty.json.spheres, [])

  const created = await call(app, 'POST', '/api/spheres', { name: 'Night writers' })
  t.is(created.status, 201, created.text)
  t.is(created.json.name, 'Night writers')
  t.is(created.json.role, 'creator')
  t.is(created.json.members, 1)
  t.ok(/^[0-9a-f]{64}$/.test(created.json.key))
  const key = created.json.key as string

  const listed = await call(app, 'GET', '/api/spheres')
  t.is(listed.json.spheres.length, 1)
  t.is(listed.json.spheres[0].key, key)

  const invite = await call(app, 'POST', `/api/spheres/${key.slice(0, 8)}/invites`, { expiresIn: 3_600_000 })
  t.is(invite.status, 201, invite.text)
  t.ok(invite.json.code.length > 40, 'an invite code')
  t.is(invite.json.online, false, 'offline: nothing joined the swarm')
  t.is(invite.json.approve, false, 'by default the holder is admitted without approval')
  const approval = await call(app, 'POST', `/api/spheres/${key}/invites`, { approve: true })
  t.is(approval.status, 201, approval.text)
  t.is(approval.json.approve, true, 'an invite a person approves')
  const none = await call(app, 'GET', `/api/spheres/${key}/requests`)
  t.is(none.status, 200, none.text)
  t.alike(none.json.requests, [], 'no request yet')
  const unknown = await call(app, 'POST', `/api/spheres/${key}/requests/abcd1234/approve`)
  t.is(unknown.status, 404, unknown.text)
  t.is(unknown.json.error.code, 'NOT_FOUND')
  t.ok(invite.json.expires > Date.now() + 3_500_000)
  const noBody = await call(app, 'POST', `/api/spheres/${key}/invites`)
  t.is(noBody.status, 201, 'the body is optional')

  const post = await call(app, 'POST', `/api/spheres/${encodeURIComponent('Night writers')}/posts`, {
    text: 'Hello, night owls'
  })
  t.is(post.status, 201, post.text)
  const reply = await call(app, 'POST', `/api/spheres/${key}/posts`, { text: 'Me again', replyTo: post.json.id })
  t.is(reply.status, 201, reply.text)
  const feed = await call(app, 'GET', `/api/spheres/${key}/feed?limit=10`)
  t.is(feed.status, 200, feed.text)
  t.alike(
    feed.json.items.map((i: { body: { text: string } }) => i.body.text),
    ['Me again', 'Hello, night owls']
  )
  t.is(feed.json.items[0].body.replyTo, post.json.id)
  t.is(feed.json.items[0].authorName, 'Test')

  const members = await call(app, 'GET', `/api/spheres/${key}/members`)
  t.is(members.status, 200, members.text)
  t.is(members.json.members.length, 1)
  t.is(members.json.members[0].admin, true)
  const self = await call(app, 'DELETE', `/api/spheres/${key}/members/${members.json.members[0].member}`)
  t.is(self.status, 400, 'removing yourself is leaving')

  const peers = await call(app, 'GET', '/api/peers')
  t.alike(peers.json, { online: false, peers: [] })

  const joinOffline = await call(app, 'POST', '/api/spheres/join', { code: invite.json.code })
  t.is(joinOffline.status, 400, 'an invite of a sphere this home is in')
  t.is(joinOffline.json.error.code, 'INVITE_INVALID')
  const badCode = await call(app, 'POST', '/api/spheres/join', { code: 'not a code' })
  t.is(badCode.json.error.code, 'INVITE_INVALID')

  const left = await call(app, 'POST', `/api/spheres/${key}/leave`)
  t.is(left.status, 200, left.text)
  t.is(left.json.left, key)
  t.alike((await call(app, 'GET', '/api/spheres')).json.spheres, [])
})

test('sharing over HTTP: a shareable entry goes (201), a private one is refused (403) and the log is unchanged', async (t) => {
  const { app, home } = await createApiHome(t)
  const sphere = (await call(app, 'POST', '/api/spheres', { name: 'Friends' })).json.key as string
  const open = await call(app, 'POST', '/api/reflections', {
    text: 'The sea was loud tonight',
    tags: ['sea'],
    mood: 'calm',
    shareable: true
  })
  const secret = await call(app, 'POST', '/api/reflections', { text: 'Something only I know', tags: ['secret'] })
  const openId = open.json.entry.id as string
  const secretId = secret.json.entry.id as string

  const before = await head(home)
  const refused = await call(app, 'POST', `/api/spheres/${sphere}/shares`, { entry: secretId })
  t.is(refused.status, 403, refused.text)
  t.is(refused.json.error.code, 'NETWORK_REFUSED')
  t.ok(/private: it never leaves this device/.test(refused.json.error.message), refused.json.error.message)
  t.alike(await head(home), before, 'a refused share writes nothing')
  t.is((await call(app, 'GET', `/api/spheres/${sphere}/feed`)).json.items.length, 0, 'nothing reached the sphere')

  const shared = await call(app, 'POST', `/api/spheres/${sphere}/shares`, { entry: openId.slice(0, 10) })
  t.is(shared.status, 201, shared.text)
  t.is(shared.json.kind, 'entry')
  const feed = await call(app, 'GET', `/api/spheres/${sphere}/feed`)
  t.is(feed.json.items.length, 1)
  t.is(feed.json.items[0].type, 'sphere.entry.shared')
  t.alike(feed.json.items[0].body, {
    text: 'The sea was loud tonight',
    tags: ['sea'],
    written: open.json.entry.time,
    mood: 'calm'
  })

  const patterns = await call(app, 'POST', `/api/spheres/${sphere}/shares`, { patterns: {} })
  t.is(patterns.status, 201, patterns.text)
  t.is(patterns.json.kind, 'summary')

  const shares = await call(app, 'GET', `/api/shares?sphere=${sphere}`)
  t.is(shares.status, 200, shares.text)
  t.alike(
    shares.json.shares.map((s: { kind: string }) => s.kind),
    ['entry', 'summary']
  )
  const withdrawn = await call(app, 'DELETE', `/api/shares/${shared.json.item}`)
  t.is(withdrawn.status, 200, withdrawn.text)
  t.is(withdrawn.json.withdrawn.length, 1)
  t.is((await call(app, 'GET', '/api/shares')).json.shares.length, 1, 'live shares only')
  const all = await call(app, 'GET', '/api/shares?all=true')
  t.is(all.json.shares.length, 2)
  t.ok(all.json.shares[0].retractedTime, 'the withdrawn one says when')
  const items = (await call(app, 'GET', `/api/spheres/${sphere}/feed`)).json.items
  t.alike(
    items.map((i: { type: string }) => i.type),
    ['sphere.summary.shared'],
    'the withdrawn entry is gone from the feed'
  )
  const again = await call(app, 'DELETE', `/api/shares/${shared.json.item}`)
  t.is(again.status, 404)
})

test('spheres over HTTP: bad input is a 400 naming the field, an unknown sphere a 404', async (t) => {
  const { app, home } = await createApiHome(t)
  const key = (await call(app, 'POST', '/api/spheres', { name: 'Circle' })).json.key as string
  const before = await head(home)
  const cases: [method: 'POST' | 'GET' | 'DELETE', url: string, body: unknown, field: string][] = [
    ['POST', '/api/spheres', {}, 'name'],
    ['POST', '/api/spheres', { name: '' }, 'name'],
    ['POST', '/api/spheres', { name: '   ' }, 'name'],
    ['POST', '/api/spheres', { name: 'x', colour: 'red' }, 'colour'],
    ['POST', '/api/spheres/join', {}, 'code'],
    ['POST', '/api/spheres/join', { code: 'abc', timeout: 5 }, 'timeout'],
    ['POST', `/api/spheres/${key}/invites`, { expiresIn: 'soon' }, 'expiresIn'],
    ['POST', `/api/spheres/${key}/posts`, { text: '' }, 'text'],
    ['POST', `/api/spheres/${key}/posts`, { text: 'hi', replyTo: 'nope' }, 'replyTo'],
    ['POST', `/api/spheres/${key}/shares`, {}, 'entry'],
    ['POST', `/api/spheres/${key}/shares`, { entry: 'zz' }, 'entry'],
    ['POST', `/api/spheres/${key}/shares`, { entry: 'abcdef12', facet: 'mind/skill/x' }, 'facet'],
    ['POST', `/api/spheres/${key}/shares`, { facet: 'soul/skill/x' }, 'facet'],
    ['POST', `/api/spheres/${key}/shares`, { patterns: { since: '2026' } }, 'patterns/since'],
    ['GET', `/api/spheres/${key}/feed?limit=0`, undefined, 'limit'],
    ['GET', '/api/shares?all=maybe', undefined, 'all'],
    ['DELETE', `/api/spheres/${key}/members/someone?why=x`, undefined, 'why'],
    ['POST', `/api/spheres/${key}/invites`, { approve: 'yes' }, 'approve'],
    ['GET', `/api/spheres/${key}/requests?all=maybe`, undefined, 'all'],
    ['GET', '/api/spheres/requests?status=pending', undefined, 'status']
  ]
  for (const [method, url, body, field] of cases) {
    const res = await call(app, method, url, body)
    t.is(res.status, 400, `${method} ${url} ${JSON.stringify(body)}: ${res.text}`)
    t.is(res.json.error.code, 'INVALID_INPUT')
    t.is(res.json.error.field, field, res.json.error.message)
    t.ok(res.json.error.message.includes(field), res.json.error.message)
  }
  const unknown = [
    ['GET', '/api/spheres/nowhere/feed'],
    ['GET', '/api/spheres/nowhere/members'],
    ['POST', '/api/spheres/nowhere/posts', { text: 'hello' }],
    ['POST', '/api/spheres/nowhere/invites', {}],
    ['POST', '/api/spheres/nowhere/shares', { patterns: {} }],
    ['POST', '/api/spheres/nowhere/leave'],
    ['GET', '/api/shares?sphere=nowhere'],
    ['DELETE', '/api/shares/nothing'],
    ['DELETE', `/api/spheres/${key}/members/nobody`],
    ['GET', '/api/spheres/nowhere/requests'],
    ['POST', '/api/spheres/nowhere/requests/abcd1234/approve'],
    ['POST', `/api/spheres/${key}/requests/abcd1234/deny`]
  ] as const
  for (const [method, url, body] of unknown) {
    const res = await call(app, method, url, body)
    t.is(res.status, 404, `${method} ${url}: ${res.text}`)
    t.is(res.json.error.code, 'NOT_FOUND')
  }
  t.alike(await head(home), before, 'nothing refused was written')
})

test('matches and feedback over HTTP: nothing shared is a 404 saying how to share; alone, no results; bad input 400', async (t) => {
  const { app, home } = await createApiHome(t)
  const key = (await call(app, 'POST', '/api/spheres', { name: 'Circle' })).json.key as string
  const me = (await call(app, 'GET', '/api/status')).json.author as string

  const unshared = await call(app, 'GET', `/api/spheres/${key}/matches`)
  t.is(unshared.status, 404, unshared.text)
  t.is(unshared.json.error.code, 'NOT_FOUND')
  t.is(
    unshared.json.error.message,
    `NOT_FOUND: you have shared no skill, interest, value, seeking or project into Circle, so there is nothing to match you on; share one first: cosmic share --facet mind/skill/typescript --sphere ${key.slice(0, 12)}`
  )

  t.is((await call(app, 'PUT', '/api/profile/mind/skill/typescript', { level: 4, shareable: true })).status, 200)
  const shared = await call(app, 'POST', `/api/spheres/${key}/shares`, { facet: 'mind/skill/typescript' })
  t.is(shared.status, 201, shared.text)

  const alone = await call(app, 'GET', `/api/spheres/Circle/matches?limit=5&explain=true`)
  t.is(alone.status, 200, alone.text)
  t.alike(alone.json.for, { member: me, name: 'Test' })
  t.is(alone.json.profiles, 1, 'only you shared a profile')
  t.alike(alone.json.results, [], 'nobody else to match')
  t.is(alone.json.feedback, 0)
  t.alike(alone.json.weights, { interests: 2, skills: 1.5, values: 0.75, semantic: 1 }, 'the default weights')
  t.is(alone.json.model.events, 0, 'explain adds the (unlearned) model')
  t.absent((await call(app, 'GET', `/api/spheres/${key}/matches`)).json.model, 'and only when asked')

  const before = await head(home)
  const self = await call(app, 'POST', `/api/spheres/${key}/feedback`, { member: me, helpful: true })
  t.is(self.status, 400, self.text)
  t.is(self.json.error.message, 'INVALID_INPUT: feedback is about other members, not yourself')
  const nobody = await call(app, 'POST', `/api/spheres/${key}/feedback`, { member: 'nobody', helpful: false })
  t.is(nobody.status, 404, nobody.text)
  t.is(nobody.json.error.code, 'NOT_FOUND')
  const forNobody = await call(app, 'GET', `/api/spheres/${key}/matches?for=nobody`)
  t.is(forNobody.status, 404, forNobody.text)
  const cases: [method: 'GET' | 'POST', url: string, body: unknown, field: string][] = [
    ['GET', `/api/spheres/${key}/matches?limit=0`, undefined, 'limit'],
    ['GET', `/api/spheres/${key}/matches?limit=1001`, undefined, 'limit'],
    ['GET', `/api/spheres/${key}/matches?limit=ten`, undefined, 'limit'],
    ['GET', `/api/spheres/${key}/matches?explain=maybe`, undefined, 'explain'],
    ['GET', `/api/spheres/${key}/matches?for=`, undefined, 'for'],
    ['GET', `/api/spheres/${key}/matches?sort=score`, undefined, 'sort'],
    ['POST', `/api/spheres/${key}/feedback`, {}, 'member'],
    ['POST', `/api/spheres/${key}/feedback`, { member: 'Ben' }, 'helpful'],
    ['POST', `/api/spheres/${key}/feedback`, { member: 'Ben', helpful: 'yes' }, 'helpful'],
    ['POST', `/api/spheres/${key}/feedback`, { member: '', helpful: true }, 'member'],
    ['POST', `/api/spheres/${key}/feedback`, { member: 'Ben', helpful: true, stars: 5 }, 'stars']
  ]
  for (const [method, url, body, field] of cases) {
    const res = await call(app, method, url, body)
    t.is(res.status, 400, `${method} ${url} ${JSON.stringify(body)}: ${res.text}`)
    t.is(res.json.error.code, 'INVALID_INPUT')
    t.is(res.json.error.field, field, res.json.error.message)
  }
  for (const [method, url, body] of [
    ['GET', '/api/spheres/nowhere/matches', undefined],
    ['POST', '/api/spheres/nowhere/feedback', { member: 'Ben', helpful: true }]
  ] as const) {
    const res = await call(app, method, url, body)
    t.is(res.status, 404, `${method} ${url}: ${res.text}`)
    t.is(res.json.error.code, 'NOT_FOUND')
  }
  t.alike(await head(home), before, 'nothing refused was written')
})

test('the matches response schema keeps every field of a real result (the serializer drops what it does not list)', async (t) => {
  const { results } = example()
  t.ok(results.length >= 2 && results.some((r) => r.kind === 'project'), 'a member and a project')
  const app = Fastify()
  t.teardown(() => app.close())
  app.get('/', { schema: { response: { 200: { type: 'array', items: MatchResultJson } } } }, () => results)
  const served = (await app.inject({ method: 'GET', url: '/' })).json()
  t.alike(served, JSON.parse(JSON.stringify(results)))
})

test('joining while sync is off is refused with how to allow it; the OpenAPI document lists the sphere routes', async (t) => {
  const { app } = await createApiHome(t)
  const other = await createApiHome(t)
  const key = (await call(other.app, 'POST', '/api/spheres', { name: 'Elsewhere' })).json.key as string
  const code = (await call(other.app, 'POST', `/api/spheres/${key}/invites`)).json.code as string
  const join = await call(app, 'POST', '/api/spheres/join', { code, timeout: 1000 })
  t.is(join.status, 403, join.text)
  t.is(join.json.error.code, 'NETWORK_REFUSED')
  t.ok(/sync_enabled true/.test(join.json.error.message), join.json.error.message)

  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
  for (const path of [
    '/api/spheres',
    '/api/spheres/join',
    '/api/spheres/{sphere}/invites',
    '/api/spheres/{sphere}/members',
    '/api/spheres/{sphere}/members/{member}',
    '/api/spheres/{sphere}/leave',
    '/api/spheres/{sphere}/feed',
    '/api/spheres/{sphere}/posts',
    '/api/spheres/{sphere}/shares',
    '/api/spheres/{sphere}/matches',
    '/api/spheres/{sphere}/feedback',
    '/api/spheres/requests',
    '/api/spheres/{sphere}/requests',
    '/api/spheres/{sphere}/requests/{request}/approve',
    '/api/spheres/{sphere}/requests/{request}/deny',
    '/api/shares',
    '/api/shares/{ref}',
    '/api/peers'
  ]) {
    t.ok(doc.paths[path], `${path} is documented`)
  }
  t.ok(doc.paths['/api/spheres'].post.tags.includes('spheres'))
})

test('buildApp takes the spheres as a factory (the caller closes them), or none: then no sphere routes', async (t) => {
  const { home } = await createHome(t)
  const spheres = lazySpheres(home)
  t.teardown(() => spheres.close(), { order: -1.5 })
  const app = await buildApp({ home, token: TOKEN, webRoot: null, spheres: spheres.get })
  t.teardown(() => app.close(), { order: -2 })
  t.is((await call(app, 'POST', '/api/spheres', { name: 'Given' })).status, 201)
  t.is((await spheres.get()).registry.list().length, 1, 'the app used the factory it was given')

  const bare = await buildApp({ home, token: TOKEN, webRoot: null, spheres: null })
  t.teardown(() => bare.close(), { order: -2 })
  const none = await call(bare, 'GET', '/api/spheres')
  t.is(none.status, 404)
  t.is(none.json.error.code, 'NOT_FOUND')
})
