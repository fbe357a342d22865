import test from 'brittle'
import Fastify from 'fastify'
import { buildApp } from '../src/api/app.js'
import { TimelineOutput } from '../src/api/schemas.js'
import { silentProgress } from '../src/commands/command.js'
import { type TimelineInput, timelineCommand, timelineJsonCommand } from '../src/commands/history.js'
import { amend, reflect } from '../src/commands/journal.js'
import { tensionAdd, tensionResolve, tensionShift } from '../src/commands/tension.js'
import { mirrorEntry } from '../src/engine/engine.js'
import type { MirrorProvider } from '../src/engine/provider.js'
import { createHome } from './helpers/home.js'

/**
 * GET /api/timeline sends JSON that SQLite and a few lines of code write (timelineJson),
 * not the response schema's serializer: it must be the serializer's output, byte for
 * byte, for every kind of page and every character a text can hold.
 */

type Home = Awaited<ReturnType<typeof createHome>>['home']

/** Every character JSON escapes, the two that JavaScript and JSON disagree on, and characters on either side of U+FFFF. */
const AWKWARD = `quote " backslash \\ slash / ${Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('')} \u007f \u2028 \u2029 é ü 日本 \uE000 \uFFFD 😀 𝄞 «»`

/** A model whose answers carry the awkward characters, in text and themes. */
function awkwardProvider(): MirrorProvider {
  let calls = 0
  return {
    kind: 'local_llm',
    model: 'awkward "model" \\ 1.gguf',
    async mirror() {
      calls++
      return { text: `Answer ${calls}: ${AWKWARD}`, themes: [`theme "${calls}"`, 'tab\there', '😀 smile'] }
    },
    async narrate() {
      return { text: 'A narrative.', themes: [] }
    },
    async close() {}
  }
}

async function fill(home: Home) {
  const ctx = { home, progress: silentProgress }
  const provider = awkwardProvider()
  const ids: string[] = []
  for (let i = 0; i < 30; i++) {
    const entry = await reflect.run(ctx, {
      text: i % 3 === 0 ? `Short ${i} "x"` : `Entry ${i} about work and rest, ${i % 2 ? AWKWARD : 'plain words only'}`,
      // Unsorted, repeated, and ordered differently by UTF-16 and by code point (U+E000 against 😀).
      tags:
        i % 4 === 0
          ? ['zeta', 'alpha', 'zeta', '\uE000mark', '😀face', 'say"so', 'back\\slash']
          : i % 4 === 1
            ? ['work']
            : [],
      ...(i % 5 === 0 ? { mood: `calm "${i}" \\ \u0001` } : {}),
      ...(i % 3 === 1 ? { dimension: 'heart' as const } : {}),
      ...(i % 7 === 0 ? { sealed: true } : {})
    })
    ids.push(entry.id)
    if (i === 3) await tensionAdd.run(ctx, { name: 'work and "care"', poles: ['work', 'care \\ rest'], intensity: 0.6 })
    if (i === 9) await tensionShift.run(ctx, { id: 'work-and-care', intensity: 0.1 + 0.2, toward: 'care \\ rest' })
    if (i === 20) await tensionShift.run(ctx, { id: 'work-and-care', intensity: 1 / 3 })
    // Mirrored again once more has been written: a second mirrorback of the same entry.
    if (i === 6 || i === 12) await mirrorEntry(home, ids[5] as string, { provider })
    if (i === 25) await tensionResolve.run(ctx, { id: 'work-and-care', insight: 'both, "in turn"' })
  }
  for (const id of [ids[2], ids[29]] as string[]) await mirrorEntry(home, id, { provider })
  await amend.run(ctx, { id: ids[4] as string, text: `Amended: ${AWKWARD}` })
}

/** The serializer Fastify makes of the route's response schema, as the route used it before. */
async function schemaSerializer() {
  const app = Fastify()
  let page: unknown
  app.get('/', { schema: { response: { 200: TimelineOutput } } }, async () => page)
  await app.ready()
  return {
    async serialize(value: unknown): Promise<string> {
      page = value
      return (await app.inject({ url: '/' })).body
    },
    close: () => app.close()
  }
}

const QUERIES: TimelineInput[] = [
  {},
  { limit: 1 },
  { limit: 7 },
  { limit: 500 },
  { type: 'tension' },
  { type: ['tension.shifted', 'reflection'] },
  { type: 'reflection', limit: 4 },
  { tag: 'zeta' },
  { tag: '#Work' },
  { dimension: 'heart', limit: 3 },
  { search: 'work' },
  { search: 'answer OR entry', limit: 5 },
  { search: 'plain', tag: 'zeta' },
  { from: 0, to: Date.now() + 86_400_000, limit: 6 }
]

test('timelineJson writes what the response schema writes, byte for byte, on every page', async (t) => {
  const { home } = await createHome(t)
  await fill(home)
  const ctx = { home, progress: silentProgress }
  const schema = await schemaSerializer()
  t.teardown(() => schema.close())
  let pages = 0
  let mirrored = 0
  for (const query of QUERIES) {
    let input = query
    for (;;) {
      const objects = await timelineCommand.run(ctx, input)
      const expected = await schema.serialize(objects)
      const actual = await timelineJsonCommand.run(ctx, input)
      pages++
      if (actual !== expected) {
        let at = 0
        while (actual[at] === expected[at]) at++
        t.fail(
          `${JSON.stringify(input)}: differs at ${at}: ${expected.slice(at - 40, at + 40)} / ${actual.slice(at - 40, at + 40)}`
        )
        break
      }
      mirrored += objects.items.filter((i) => i.kind === 'entry' && i.entry.mirrorbacks.length > 0).length
      if (objects.next === null) break
      input = { ...query, cursor: objects.next }
    }
  }
  t.ok(pages > 40, `${pages} pages compared`)
  t.ok(mirrored >= 3, 'pages with mirrorbacks among them')
  const twice = (await timelineCommand.run(ctx, { limit: 500 })).items.filter(
    (i) => i.kind === 'entry' && i.entry.mirrorbacks.length === 2
  )
  t.is(twice.length, 1, 'an entry with two mirrorbacks among them')
  const until = (await timelineCommand.run(ctx, { limit: 500 })).items.at(-10)?.time as number
  const asOf = { until, limit: 5 }
  t.is(
    await timelineJsonCommand.run(ctx, asOf),
    await schema.serialize(await timelineCommand.run(ctx, asOf)),
    'as of a time'
  )
})

test('GET /api/timeline sends that JSON, typed as JSON', async (t) => {
  const { home } = await createHome(t)
  await fill(home)
  const token = 'timeline-json-test-token-0123456789abcdef'
  const app = await buildApp({ home, token, cache: false, webRoot: null, spheres: null })
  t.teardown(() => app.close())
  const schema = await schemaSerializer()
  t.teardown(() => schema.close())
  const ctx = { home, progress: silentProgress }
  for (const url of ['/api/timeline?limit=5', '/api/timeline?search=work&limit=3', '/api/timeline?type=tension']) {
    const res = await app.inject({ url, headers: { authorization: `Bearer ${token}`, host: '127.0.0.1' } })
    t.is(res.statusCode, 200, url)
    t.is(res.headers['content-type'], 'application/json; charset=utf-8')
    const query = Object.fromEntries(new URL(url, 'http://x').searchParams) as Record<string, string>
    const input = { ...query, ...(query.limit ? { limit: Number(query.limit) } : {}) } as TimelineInput
    t.is(res.body, await schema.serialize(await timelineCommand.run(ctx, input)), url)
  }
  const bad = await app.inject({
    url: '/api/timeline?cursor=nope',
    headers: { authorization: `Bearer ${token}`, host: '127.0.0.1' }
  })
  t.is(bad.statusCode, 400, 'a bad cursor is still a 400')
  t.is(JSON.parse(bad.body).error.code, 'INVALID_INPUT')
})
