import test from 'brittle'
import fc from 'fast-check'
import { toHex } from '../src/events/crypto.js'
import { AUTH, createApiHome } from './helpers/api.js'

/**
 * Thousands of random requests: random bodies and query strings on every route, some
 * built around real field names so they get past the first check. None may be a 500,
 * every refusal is JSON with a code, and a refused request leaves the log as it was.
 */

const FIELDS = [
  'text',
  'tags',
  'mood',
  'dimension',
  'shareable',
  'sealed',
  'mirror',
  'engine',
  'name',
  'poles',
  'intensity',
  'domain',
  'toward',
  'insight',
  'value',
  'level',
  'from',
  'to',
  'until',
  'limit',
  'cursor',
  'search',
  'type',
  'tag',
  'all',
  'window',
  'buckets',
  'format',
  'endpoint',
  'scope',
  'target',
  'since',
  'mirror_mode',
  'engine_mode',
  'sync_enabled',
  'max_tokens',
  'token',
  'code',
  'expiresIn',
  'timeout',
  'replyTo',
  'entry',
  'facet',
  'patterns',
  'sphere',
  'reason',
  'for',
  'explain',
  'member',
  'helpful'
]

const ROUTES: [method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string][] = [
  ['GET', '/api/status'],
  ['GET', '/api/log'],
  ['POST', '/api/reflections'],
  ['PATCH', '/api/reflections/:entry'],
  ['DELETE', '/api/reflections/:entry'],
  ['POST', '/api/reflections/:entry/mirror'],
  ['GET', '/api/timeline'],
  ['GET', '/api/tensions'],
  ['GET', '/api/tensions/:tension'],
  ['POST', '/api/tensions'],
  ['POST', '/api/tensions/:tension/shift'],
  ['POST', '/api/tensions/:tension/resolve'],
  ['GET', '/api/profile'],
  ['PUT', '/api/profile/:dimension/:facet/:key'],
  ['DELETE', '/api/profile/:dimension/:facet/:key'],
  ['GET', '/api/graph'],
  ['GET', '/api/patterns'],
  ['GET', '/api/evolution'],
  ['GET', '/api/replay'],
  ['GET', '/api/audit'],
  ['GET', '/api/export'],
  ['POST', '/api/import'],
  ['GET', '/api/config'],
  ['PATCH', '/api/config'],
  ['GET', '/api/egress'],
  ['GET', '/api/consents'],
  ['POST', '/api/consents'],
  ['POST', '/api/consents/revoke'],
  ['GET', '/api/unknown/:entry'],
  ['POST', '/api/evolution/notes'],
  ['GET', '/api/spheres'],
  ['POST', '/api/spheres'],
  ['POST', '/api/spheres/join'],
  ['POST', '/api/spheres/:sphere/invites'],
  ['GET', '/api/spheres/:sphere/members'],
  ['DELETE', '/api/spheres/:sphere/members/:member'],
  ['POST', '/api/spheres/:sphere/leave'],
  ['GET', '/api/spheres/:sphere/feed'],
  ['POST', '/api/spheres/:sphere/posts'],
  ['POST', '/api/spheres/:sphere/shares'],
  ['GET', '/api/spheres/:sphere/matches'],
  ['POST', '/api/spheres/:sphere/feedback'],
  ['GET', '/api/shares'],
  ['DELETE', '/api/shares/:ref'],
  ['GET', '/api/peers']
]

const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('2026-01-31', '2026-13', 'now', '-1', '1e400', 'mind', 'week', '"', '*', 'OR', 'a OR', '%00', '0')
)
const value = fc.oneof(
  text,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(text, { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 2 })
)
const body = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 5 }),
  fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 8 })), value, { maxKeys: 4 }),
  fc.constant(undefined)
)
const query = fc.dictionary(
  fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 6 })),
  fc.oneof(text, fc.array(text, { minLength: 2, maxLength: 3 })),
  { maxKeys: 4 }
)
const segment = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 1, maxLength: 70 }),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('mind', 'heart', 'body', 'skill', 'value', 'money-scarcity-vs-control', 'Circle', '..', '%2e%2e', '')
)
const request = fc.record({
  route: fc.constantFrom(...ROUTES),
  params: fc.array(segment, { minLength: 5, maxLength: 5 }),
  query,
  body,
  raw: fc.option(fc.string({ maxLength: 40 }), { freq: 6 }),
  contentType: fc.constantFrom(
    'application/json',
    'application/json',
    'text/plain',
    'application/x-ndjson',
    'application/xml'
  )
})

function toQuery(q: Record<string, string | string[]>): string {
  const search = new URLSearchParams()
  for (const [key, v] of Object.entries(q)) for (const one of Array.isArray(v) ? v : [v]) search.append(key, one)
  const s = search.toString()
  return s ? `?${s}` : ''
}

test('random bodies and queries: never a 500, always a JSON error, and the log unchanged by every refusal', async (t) => {
  t.timeout(600_000)
  const { app, home } = await createApiHome(t)
  // Something to aim at: an entry, a tension and a sphere whose ids the random paths may name.
  await app.inject({
    method: 'POST',
    url: '/api/reflections',
    headers: AUTH,
    payload: { text: 'money again', tags: ['money'], mood: 'anxious' }
  })
  await app.inject({
    method: 'POST',
    url: '/api/tensions',
    headers: AUTH,
    payload: { name: 'money: scarcity vs control', poles: ['scarcity', 'control'] }
  })
  await app.inject({ method: 'POST', url: '/api/spheres', headers: AUTH, payload: { name: 'Circle' } })
  let requests = 0
  let refused = 0
  let failures = 0
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      const [method, template] = r.route
      let i = 0
      const path = template.replace(/:\w+/g, () => encodeURIComponent(r.params[i++] ?? ''))
      const url = `${path}${toQuery(r.query as Record<string, string | string[]>)}`
      const beforeLength = home.journal.length
      const beforeHead = beforeLength ? toHex((await home.journal.getBlock(beforeLength - 1))!.id) : null
      const payload = r.raw ?? (r.body === undefined ? undefined : JSON.stringify(r.body))
      const res = await app.inject({
        method,
        url,
        headers: {
          ...AUTH,
          ...(payload !== undefined && method !== 'GET' ? { 'content-type': r.contentType } : {})
        },
        ...(payload !== undefined && method !== 'GET' ? { payload } : {})
      })
      requests++
      if (res.statusCode >= 500) {
        failures++
        t.fail(`${method} ${url} ${payload ?? ''} -> ${res.statusCode} ${res.body}`)
        return false
      }
      if (res.statusCode >= 400) {
        refused++
        const error = res.json().error
        if (typeof error?.code !== 'string' || typeof error?.message !== 'string') return false
        const afterHead = home.journal.length ? toHex((await home.journal.getBlock(home.journal.length - 1))!.id) : null
        if (home.journal.length !== beforeLength || afterHead !== beforeHead) {
          t.fail(`${method} ${url} was refused (${res.statusCode}) but the log changed`)
          return false
        }
      }
      return true
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 3000), seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) }
  )
  t.is(failures, 0)
  t.comment(`${requests} requests, ${refused} refused, none a 500`)
  t.ok(refused > requests / 2, 'most random requests are refused')
})
