import test from 'brittle'
import { buildApp } from '../src/api/app.js'
import { silentProgress } from '../src/commands/command.js'
import { type TimelineInput, timelineCommand } from '../src/commands/history.js'
import { amend, reflect } from '../src/commands/journal.js'
import { reflectAndMirror } from '../src/commands/mirror.js'
import { tensionAdd, tensionResolve, tensionShift } from '../src/commands/tension.js'
import { Home } from '../src/store/home.js'
import { AUTH, call, createApiHome, type Json, TOKEN } from './helpers/api.js'
import { PASSPHRASE } from './helpers/home.js'

test('no token is 401, a wrong one too; a foreign Host is 403; unknown routes 404; never CORS', async (t) => {
  const { app } = await createApiHome(t)
  const none = await app.inject({ method: 'GET', url: '/api/status' })
  t.is(none.statusCode, 401)
  t.is(none.json().error.code, 'UNAUTHORIZED')
  const wrong = await app.inject({ method: 'GET', url: '/api/status', headers: { authorization: 'Bearer nope' } })
  t.is(wrong.statusCode, 401)
  const query = await app.inject({ method: 'GET', url: `/api/status?token=${TOKEN}` })
  t.is(query.statusCode, 401, 'the token in the query only opens the event stream')
  const rebinding = await app.inject({
    method: 'GET',
    url: '/api/status',
    headers: { ...AUTH, host: 'evil.example:4600' }
  })
  t.is(rebinding.statusCode, 403)
  t.is(rebinding.json().error.code, 'HOST_REFUSED')
  for (const host of ['127.0.0.1:4600@evil.example', 'evil.example#127.0.0.1', '127.0.0.1.evil.example']) {
    const odd = await app.inject({ method: 'GET', url: '/api/status', headers: { ...AUTH, host } })
    t.is(odd.statusCode, 403, `Host "${host}" is refused`)
  }
  for (const host of ['127.0.0.1:4600', 'localhost:4600', '[::1]:4600', 'LOCALHOST']) {
    const ok = await app.inject({ method: 'GET', url: '/api/status', headers: { ...AUTH, host } })
    t.is(ok.statusCode, 200, host)
  }
  // The router decodes and normalises paths: the token is checked on the route that matched.
  for (const url of ['/%61pi/status', '/api/%73tatus', '/api/status/', '/./api/status', '/docs/../api/status']) {
    const sneaky = await app.inject({ method: 'GET', url })
    t.ok([401, 404].includes(sneaky.statusCode), `${url} without the token: ${sneaky.statusCode}`)
    t.absent(sneaky.body.includes('"author"'), `${url} shows nothing`)
  }
  const unknown = await call(app, 'GET', '/api/nothing-here')
  t.is(unknown.status, 404)
  t.is(unknown.json.error.code, 'NOT_FOUND')
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/api/reflections',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' }
  })
  t.ok(preflight.statusCode >= 400, 'a preflight is not answered')
  t.absent(preflight.headers['access-control-allow-origin'], 'no CORS on a preflight')
  t.absent(preflight.headers['access-control-allow-methods'])
  const withOrigin = await call(app, 'GET', '/api/status', undefined, { origin: 'https://evil.example' })
  t.is(withOrigin.status, 200)
  t.absent(withOrigin.headers['access-control-allow-origin'], 'no CORS header')
  t.is(withOrigin.headers['cache-control'], 'no-store')
})

test('GET /api/timeline answers exactly what cosmic timeline --json prints (its response schema drops nothing)', async (t) => {
  const { app, home } = await createApiHome(t)
  const ctx = { home, progress: silentProgress }
  const first = await reflectAndMirror.run(ctx, {
    text: 'Rent again, and the river walk after',
    tags: ['money', 'walk'],
    mood: 'anxious',
    dimension: 'heart'
  })
  await amend.run(ctx, { id: first.entry.id, text: 'Rent paid, and the river walk after' })
  await reflect.run(ctx, { text: 'A river swim', sealed: true })
  await reflect.run(ctx, { text: 'A river to share', shareable: true })
  await tensionAdd.run(ctx, { name: 'work and care', poles: ['work', 'care'], intensity: 0.6, domain: 'work' })
  await tensionShift.run(ctx, { id: 'work-and-care', intensity: 0.3, toward: 'care' })
  await tensionShift.run(ctx, { id: 'work-and-care', intensity: 0.5 })
  await tensionResolve.run(ctx, { id: 'work-and-care', insight: 'both' })
  const cases: [string, TimelineInput][] = [
    ['', {}],
    ['?limit=2', { limit: 2 }],
    ['?search=river', { search: 'river' }],
    ['?search=river&limit=1', { search: 'river', limit: 1 }],
    ['?type=tension', { type: ['tension'] }],
    ['?dimension=heart&tag=money', { dimension: 'heart', tag: 'money' }],
    [`?until=${Date.now() + 60_000}`, { until: String(Date.now() + 60_000) }]
  ]
  for (const [query, input] of cases) {
    const response = await call(app, 'GET', `/api/timeline${query}`)
    t.is(response.status, 200, response.text)
    const expected = JSON.parse(JSON.stringify(await timelineCommand.run(ctx, input)))
    t.alike(response.json, { ...expected, until: response.json.until }, `/api/timeline${query}`)
  }
  const all = (await call(app, 'GET', '/api/timeline')).json
  t.is(all.items.filter((i: Json) => i.kind === 'tension').length, 4, 'tension moments of every kind')
  t.ok(all.items.some((i: Json) => i.entry?.mirrorbacks.length === 1 && i.entry.amendments === 1))
})

test('reflections: create (with a mirrorback), timeline with filters, search and paging, amend, retract', async (t) => {
  const { app } = await createApiHome(t)
  const created = await call(app, 'POST', '/api/reflections', {
    text: 'I keep rehearsing conversations about money',
    tags: ['#Money', 'inner child'],
    mood: 'anxious',
    dimension: 'heart',
    mirror: true
  })
  t.is(created.status, 201, created.text)
  const id = created.json.entry.id as string
  t.alike(created.json.entry.body.tags, ['money', 'inner-child'])
  t.is(created.json.mirror.engine.kind, 'builtin')
  const plain = await call(app, 'POST', '/api/reflections', { text: 'A quiet walk by the sea', shareable: true })
  t.is(plain.status, 201)
  t.is(plain.json.entry.privacy, 'shareable')
  t.is(plain.json.mirror, null)

  const timeline = await call(app, 'GET', '/api/timeline?limit=1')
  t.is(timeline.status, 200)
  t.is(timeline.json.items.length, 1)
  t.ok(timeline.json.next, 'a cursor to the next page')
  const page2 = await call(app, 'GET', `/api/timeline?limit=1&cursor=${timeline.json.next}`)
  t.is(page2.json.items[0].entry.id, id)
  t.is(page2.json.items[0].entry.mirrorbacks.length, 1, 'the mirrorback is under its entry')
  const tagged = await call(app, 'GET', '/api/timeline?tag=money&dimension=heart')
  t.is(tagged.json.items.length, 1)
  const searched = await call(app, 'GET', '/api/timeline?search=rehearsing')
  t.is(searched.json.items.length, 1)
  t.ok(searched.json.items[0].entry.snippet.includes('«rehearsing»'))
  const types = await call(app, 'GET', '/api/timeline?type=tension')
  t.is(types.json.items.length, 0)
  const until = await call(app, 'GET', '/api/timeline?until=2000-01-01')
  t.is(until.json.items.length, 0, 'as of a time before anything')

  const amended = await call(app, 'PATCH', `/api/reflections/${id.slice(0, 10)}`, { text: 'Money talks, rehearsed' })
  t.is(amended.status, 200)
  t.is(amended.json.type, 'reflection.amended')
  const retracted = await call(app, 'DELETE', `/api/reflections/${id}`)
  t.is(retracted.status, 200)
  t.ok(retracted.json.forgotten.length >= 3, 'entry, amendment and mirrorback forgotten')
  const again = await call(app, 'DELETE', `/api/reflections/${id}`)
  t.is(again.status, 409, 'retracting twice is a conflict')
  t.is(again.json.error.code, 'CONFLICT')
  const missing = await call(app, 'PATCH', `/api/reflections/${'ab'.repeat(32)}`, { text: 'x' })
  t.is(missing.status, 404)

  const mirrored = await call(app, 'POST', `/api/reflections/${plain.json.entry.id}/mirror`)
  t.is(mirrored.status, 201, mirrored.text)
  t.is(mirrored.json.event.type, 'mirrorback.generated')
  const log = await call(app, 'GET', '/api/log?from=0&limit=3')
  t.is(log.json.length, 3)
  t.is(log.json[0].type, 'identity.created')
})

test('tensions, profile, graph, patterns, evolution, audit, replay', async (t) => {
  const { app } = await createApiHome(t)
  const noted = await call(app, 'POST', '/api/tensions', {
    name: 'money: scarcity vs control',
    poles: ['scarcity', 'control'],
    intensity: 0.7,
    domain: 'money'
  })
  t.is(noted.status, 201, noted.text)
  const id = noted.json.body.id as string
  t.is((await call(app, 'POST', `/api/tensions/${id}/shift`, { intensity: 0.4, toward: 'control' })).status, 201)
  const badPole = await call(app, 'POST', `/api/tensions/${id}/shift`, { intensity: 0.4, toward: 'nowhere' })
  t.is(badPole.status, 400, 'toward must be a pole')
  t.is((await call(app, 'POST', `/api/tensions/${id}/resolve`, { insight: 'enough is a number' })).status, 201)
  const shown = await call(app, 'GET', `/api/tensions/${id}`)
  t.alike(
    shown.json.series.map((p: { kind: string }) => p.kind),
    ['noted', 'shifted', 'resolved']
  )
  t.is((await call(app, 'GET', '/api/tensions')).json.tensions.length, 0, 'resolved is not open')
  t.is((await call(app, 'GET', '/api/tensions?all=true')).json.tensions.length, 1)
  t.is((await call(app, 'GET', '/api/tensions/no-such')).status, 404)

  const set = await call(app, 'PUT', '/api/profile/mind/skill/typescript', { level: 4 })
  t.is(set.status, 200, set.text)
  const wrongFacet = await call(app, 'PUT', '/api/profile/mind/value/honesty', {})
  t.is(wrongFacet.status, 400, 'value is a heart facet')
  t.is((await call(app, 'GET', '/api/profile')).json.length, 1)
  t.is((await call(app, 'DELETE', '/api/profile/mind/skill/typescript')).status, 200)
  t.is((await call(app, 'DELETE', '/api/profile/mind/skill/typescript')).status, 404)

  await call(app, 'POST', '/api/reflections', { text: 'Tired but proud of the run', tags: ['running'], mood: 'proud' })
  const graph = await call(app, 'GET', '/api/graph')
  t.ok(graph.json.graph.nodes.some((n: { kind: string }) => n.kind === 'self'))
  const dot = await app.inject({ method: 'GET', url: '/api/graph?format=dot', headers: AUTH })
  t.ok(dot.body.startsWith('graph identity {'))
  t.ok(dot.headers['content-type']?.toString().startsWith('text/vnd.graphviz'))
  const heart = await call(app, 'GET', '/api/graph?dimension=heart')
  t.is(heart.status, 200)
  const patterns = await call(app, 'GET', '/api/patterns?window=month&buckets=3')
  t.is(patterns.json.window, 'month')
  t.ok(patterns.json.themes.some((c: { key: string }) => c.key === 'running'))
  const evolution = await call(app, 'GET', '/api/evolution?from=2000-01-01')
  t.is(evolution.status, 200)
  t.ok(Array.isArray(evolution.json.summary))
  t.is((await call(app, 'GET', '/api/evolution')).status, 400, 'from is required')
  const audit = await call(app, 'GET', '/api/audit')
  t.is(audit.json.ok, true)
  const asOf = await call(app, 'GET', '/api/replay?until=2000-01-01')
  t.is(asOf.json.mode, 'as-of')
  t.is(asOf.json.entries, 0)
  const rebuilt = await call(app, 'POST', '/api/replay')
  t.is(rebuilt.json.mode, 'rebuild')
  const noted2 = await call(app, 'POST', '/api/evolution/notes', { from: '2000-01-01' })
  t.is(noted2.status, 201, noted2.text)
  t.is(noted2.json.noted.type, 'evolution.noted')
})

test('config, modes, consents and the egress ledger', async (t) => {
  const { app } = await createApiHome(t)
  const shown = await call(app, 'GET', '/api/config')
  t.is(shown.json.settings.mode, 'local')
  const changed = await call(app, 'PATCH', '/api/config', { mirror_mode: 'hybrid', max_tokens: 512 })
  t.is(changed.status, 200, changed.text)
  t.is(changed.json.changed, true)
  t.is(changed.json.settings.maxTokens, 512)
  const refused = await call(app, 'PATCH', '/api/config', { mirror_mode: 'local', sync_enabled: true })
  t.is(refused.status, 403, 'local mode refuses sync')
  t.is(refused.json.error.code, 'NETWORK_REFUSED')
  const noModel = await call(app, 'PATCH', '/api/config', { engine_mode: 'local_llm' })
  t.is(noModel.status, 422)
  t.is(noModel.json.error.code, 'MODEL_UNAVAILABLE')
  const unset = await call(app, 'PATCH', '/api/config', { max_tokens: null })
  t.is(unset.json.settings.maxTokens, shown.json.settings.maxTokens)
  const mixed = await call(app, 'PATCH', '/api/config', { max_tokens: null, mirror_mode: 'local' })
  t.is(mixed.status, 400)
  const unknown = await call(app, 'PATCH', '/api/config', { colour: 'blue' })
  t.is(unknown.status, 400)
  t.is(unknown.json.error.field, 'colour')

  const granted = await call(app, 'POST', '/api/consents', { endpoint: 'http://127.0.0.1:9/v1', scope: ['mirror'] })
  t.is(granted.status, 201, granted.text)
  t.is((await call(app, 'GET', '/api/consents')).json[0].state, 'in force')
  const revoked = await call(app, 'POST', '/api/consents/revoke', { target: 'http://127.0.0.1:9/v1' })
  t.is(revoked.json.revoked.length, 1)
  const egress = await call(app, 'GET', '/api/egress?limit=5')
  t.is(egress.json.requests, 0, 'nothing has left')
  const phrase = await call(app, 'POST', '/api/vault/export-key')
  t.is(phrase.json.phrase.split(' ').length, 24)
})

test('export downloads a bundle that imports into a recovered home of the same identity', async (t) => {
  const { app, home } = await createApiHome(t)
  await call(app, 'POST', '/api/reflections', { text: 'to carry over', tags: ['move'] })
  const bundle = await app.inject({ method: 'GET', url: '/api/export', headers: AUTH })
  t.is(bundle.statusCode, 200)
  t.ok(bundle.headers['content-disposition']?.toString().includes('attachment'))
  const markdown = await app.inject({ method: 'GET', url: '/api/export?format=markdown', headers: AUTH })
  t.ok(markdown.body.includes('to carry over'))

  const path = `${await t.tmp()}/recovered`
  await Home.init(path, { passphrase: PASSPHRASE, kdf: 'interactive', seed: home.keys.seed })
  const recovered = await Home.open(path, PASSPHRASE)
  const app2 = await buildApp({ home: recovered, token: TOKEN, webRoot: null })
  t.teardown(async () => {
    await app2.close()
    await recovered.close()
  })
  const imported = await app2.inject({
    method: 'POST',
    url: '/api/import',
    headers: { ...AUTH, 'content-type': 'application/x-ndjson' },
    payload: bundle.body
  })
  t.is(imported.statusCode, 200, imported.body)
  t.is(imported.json().events, home.journal.length)
  const again = await app2.inject({
    method: 'POST',
    url: '/api/import',
    headers: { ...AUTH, 'content-type': 'application/x-ndjson' },
    payload: bundle.body
  })
  t.is(again.statusCode, 409, 'import needs an empty journal')
  const tampered = await app.inject({
    method: 'POST',
    url: '/api/import',
    headers: { ...AUTH, 'content-type': 'application/x-ndjson' },
    payload: bundle.body.replace('to carry over', 'to carry ouch')
  })
  t.is(tampered.statusCode, 400, tampered.body)
})

test('bad input is a 400 naming the field, never a 500', async (t) => {
  const { app, home } = await createApiHome(t)
  const before = home.journal.length
  const cases: [method: 'POST' | 'GET' | 'PATCH', url: string, body: unknown, field: string][] = [
    ['POST', '/api/reflections', {}, 'text'],
    ['POST', '/api/reflections', { text: '' }, 'text'],
    ['POST', '/api/reflections', { text: 'x', tags: 'money' }, 'tags'],
    ['POST', '/api/reflections', { text: 'x', tags: [1] }, 'tags/0'],
    ['POST', '/api/reflections', { text: 'x', dimension: 'soul' }, 'dimension'],
    ['POST', '/api/reflections', { text: 'x', shareable: 'yes' }, 'shareable'],
    ['POST', '/api/reflections', { text: 'x', colour: 'blue' }, 'colour'],
    ['POST', '/api/tensions', { name: 'x', poles: ['a'] }, 'poles'],
    ['POST', '/api/tensions', { name: 'x', poles: ['a', 'b'], intensity: 2 }, 'intensity'],
    ['GET', '/api/timeline?limit=0', undefined, 'limit'],
    ['GET', '/api/timeline?limit=ten', undefined, 'limit'],
    ['GET', '/api/timeline?colour=blue', undefined, 'colour'],
    ['GET', '/api/timeline?dimension=soul', undefined, 'dimension'],
    ['GET', '/api/reflections/xyz', undefined, ''],
    ['PATCH', '/api/reflections/zz', { text: 'x' }, 'id']
  ]
  for (const [method, url, body, field] of cases) {
    const res = await call(app, method, url, body)
    if (url === '/api/reflections/xyz') {
      t.is(res.status, 404, `${method} ${url}`)
      continue
    }
    t.is(res.status, 400, `${method} ${url} ${JSON.stringify(body)}: ${res.text}`)
    t.is(res.json.error.code, 'INVALID_INPUT')
    t.is(res.json.error.field, field, `names ${field}`)
  }
  const semantic = await call(app, 'GET', '/api/timeline?from=2026-13-01')
  t.is(semantic.status, 400, 'a date that is not a date')
  const cursor = await call(app, 'GET', '/api/timeline?cursor=garbage')
  t.is(cursor.status, 400)
  const json = await app.inject({
    method: 'POST',
    url: '/api/reflections',
    headers: { ...AUTH, 'content-type': 'application/json' },
    payload: '{"text": '
  })
  t.is(json.statusCode, 400, 'malformed JSON')
  t.is(json.json().error.code, 'INVALID_INPUT')
  const type = await app.inject({
    method: 'POST',
    url: '/api/reflections',
    headers: { ...AUTH, 'content-type': 'application/xml' },
    payload: '<text/>'
  })
  t.is(type.statusCode, 415, 'an unsupported content type')
  const proto = await app.inject({
    method: 'POST',
    url: '/api/reflections',
    headers: { ...AUTH, 'content-type': 'application/json' },
    payload: '{"text":"x","__proto__":{"admin":true}}'
  })
  t.is(proto.statusCode, 400, 'prototype poisoning refused')
  t.is(home.journal.length, before, 'nothing was written')
})

test('the OpenAPI document is served at /docs and covers every route with its schema', async (t) => {
  const { app } = await createApiHome(t)
  const ui = await app.inject({ method: 'GET', url: '/docs' })
  t.ok([200, 302].includes(ui.statusCode), 'the docs page')
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json()
  t.is(doc.openapi, '3.1.0')
  const paths = Object.keys(doc.paths)
  for (const path of [
    '/api/reflections',
    '/api/reflections/{id}',
    '/api/reflections/{id}/mirror',
    '/api/timeline',
    '/api/tensions',
    '/api/tensions/{id}',
    '/api/profile',
    '/api/graph',
    '/api/patterns',
    '/api/evolution',
    '/api/audit',
    '/api/replay',
    '/api/export',
    '/api/import',
    '/api/config',
    '/api/egress',
    '/api/consents',
    '/api/stream'
  ]) {
    t.ok(paths.includes(path), path)
  }
  t.ok(doc.paths['/api/reflections'].post.requestBody, 'the reflection body schema is documented')
  t.ok(
    doc.paths['/api/timeline'].get.parameters.some((p: { name: string }) => p.name === 'search'),
    'timeline query parameters are documented'
  )
})

test('GET answers are cached until the journal changes, with ETags', async (t) => {
  const { app } = await createApiHome(t)
  await call(app, 'POST', '/api/reflections', { text: 'first' })
  const first = await app.inject({ method: 'GET', url: '/api/timeline', headers: AUTH })
  const etag = first.headers.etag as string
  t.ok(etag, 'an ETag')
  const again = await app.inject({ method: 'GET', url: '/api/timeline', headers: { ...AUTH, 'if-none-match': etag } })
  t.is(again.statusCode, 304, 'not modified')
  const cached = await app.inject({ method: 'GET', url: '/api/timeline', headers: AUTH })
  t.is(cached.body, first.body, 'the same answer')
  t.is(cached.headers['content-type'], first.headers['content-type'])
  await call(app, 'POST', '/api/reflections', { text: 'second' })
  const after = await app.inject({ method: 'GET', url: '/api/timeline', headers: { ...AUTH, 'if-none-match': etag } })
  t.is(after.statusCode, 200, 'an append invalidates')
  t.is(after.json().items.length, 2)
  t.not(after.headers.etag, etag)
  const unauthorized = await app.inject({ method: 'GET', url: '/api/timeline' })
  t.is(unauthorized.statusCode, 401, 'the cache never answers without the token')
  const rebuilt = await call(app, 'POST', '/api/replay')
  t.is(rebuilt.status, 200)
  const afterRebuild = await app.inject({
    method: 'GET',
    url: '/api/timeline',
    headers: { ...AUTH, 'if-none-match': after.headers.etag as string }
  })
  t.is(afterRebuild.statusCode, 200, 'a rebuild invalidates too')
})
