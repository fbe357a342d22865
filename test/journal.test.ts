import test from 'brittle'
import type { CosmicError } from '../src/errors.js'
import { toHex } from '../src/events/crypto.js'
import { verifyEvent } from '../src/events/envelope.js'
import { Home } from '../src/store/home.js'
import { createHome, filesContaining, PASSPHRASE } from './helpers/home.js'
import { codeOf } from './helpers/wait.js'

const reflection = (text: string) => ({ type: 'reflection.recorded' as const, body: { text, tags: [] } })

test('init writes identity.created, signed by the vault identity', async (t) => {
  const { home } = await createHome(t, { name: 'Ada' })
  t.is(home.journal.length, 1)
  const first = await home.journal.get(0)
  t.is(first.header.type, 'identity.created')
  t.alike(first.body, { name: 'Ada' })
  t.is(toHex(first.header.author), home.author)
  t.is(first.header.prev, null)
  await t.execution(() => verifyEvent(first, home.keys.identity.publicKey))
})

test('appended events are in the log: seq, prev chain, strictly increasing time, private by default', async (t) => {
  const { home } = await createHome(t)
  const original = Date.now
  home.journal.clock = () => 1000 // a clock that is stuck (or went backwards) still gives increasing times
  const events = await home.append([reflection('one'), reflection('two')])
  const [third] = await home.append([{ ...reflection('three'), privacy: 'shareable' }])
  home.journal.clock = original
  t.is(home.journal.length, 4)
  const all = []
  for await (const e of home.journal.events()) all.push(e)
  for (let i = 1; i < all.length; i++) {
    const e = all[i]!
    const prev = all[i - 1]!
    t.is(e.header.seq, i)
    t.is(toHex(e.header.prev!), toHex(prev.id), `seq ${i} chains to seq ${i - 1}`)
    t.ok(e.header.time > prev.header.time, `seq ${i} is later than seq ${i - 1}`)
  }
  t.is(events[0]!.header.privacy, 'private')
  t.is(third!.header.privacy, 'shareable')
  t.alike((await home.journal.get(2)).body, { text: 'two', tags: [] })
})

test('a batch is all or nothing: one invalid draft and nothing is appended', async (t) => {
  const { home } = await createHome(t)
  const before = home.journal.length
  const code = await codeOf(
    home.append([reflection('fine'), { type: 'reflection.recorded', body: { text: '', tags: [] } }])
  )
  t.is(code, 'INVALID_BODY')
  t.is(home.journal.length, before, 'the log did not grow')
  t.is(
    (home.readModel.db.prepare('SELECT count(*) AS n FROM entries').get() as { n: number }).n,
    0,
    'nor the read model'
  )
  const [ok] = await home.append([reflection('after the failure')])
  t.is(ok!.header.seq, before, 'the next append takes the next seq')
})

test('sphere events belong in a sphere log: the journal refuses them, and appends nothing', async (t) => {
  const { home } = await createHome(t)
  const before = home.journal.length
  t.is(
    await codeOf(home.append([reflection('fine'), { type: 'sphere.post', body: { text: 'hello sphere' } }])),
    'INVALID_INPUT'
  )
  t.is(home.journal.length, before)
})

test('explicit times must increase: the whole batch is refused otherwise', async (t) => {
  const { home } = await createHome(t)
  const last = home.journal.lastTime
  t.is(
    await codeOf(home.append([reflection('a'), reflection('b')], { times: [last + 10, last + 5] })),
    'TIME_NOT_INCREASING'
  )
  t.is(await codeOf(home.append([reflection('a')], { times: [last] })), 'TIME_NOT_INCREASING')
  t.is(home.journal.length, 1)
  const events = await home.append([reflection('a'), reflection('b')], { times: [last + 5, last + 10] })
  t.alike(
    events.map((e) => e.header.time),
    [last + 5, last + 10]
  )
})

test('invalid bodies are rejected before anything is appended, naming the field', async (t) => {
  const { home } = await createHome(t)
  const cases: [unknown, string][] = [
    [{ text: 'x', tags: ['has space'] }, '/tags/0'],
    [{ text: 'x', tags: [], dimension: 'soul' }, '/dimension'],
    [{ text: 'x', tags: [], unknown: 1 }, '/unknown'],
    [{ tags: [] }, '/text']
  ]
  for (const [body, field] of cases) {
    try {
      await home.append([{ type: 'reflection.recorded', body }])
      t.fail(`accepted ${JSON.stringify(body)}`)
    } catch (err) {
      t.is((err as CosmicError).code, 'INVALID_BODY')
      t.ok((err as Error).message.includes(field), `${(err as Error).message} names ${field}`)
    }
  }
  t.is(home.journal.length, 1)
})

test('the journal is encrypted at rest: the words are in no file of the home', async (t) => {
  const { home, path } = await createHome(t)
  await home.append([reflection('Zyxwvut marmalade confession about my sister')])
  await home.close()
  t.alike(await filesContaining(path, 'marmalade'), [], 'no file holds the word')
  t.alike(await filesContaining(path, 'Zyxwvut'), [], 'nor another one')
})

test('without at-rest encryption the same grep finds the words (the test above can fail)', async (t) => {
  const { home, path } = await createHome(t, { encryptAtRest: false })
  await home.append([reflection('Zyxwvut marmalade confession about my sister')])
  await home.close()
  t.ok((await filesContaining(path, 'marmalade')).length > 0)
})

test('reopening keeps everything; a wrong passphrase opens nothing and writes nothing', async (t) => {
  const { home, path, reopen } = await createHome(t)
  await home.append([reflection('kept')])
  const again = await reopen()
  t.is(again.journal.length, 2)
  t.alike((await again.journal.get(1)).body, { text: 'kept', tags: [] })
  await again.close()
  t.is(await codeOf(Home.open(path, 'not the passphrase')), 'WRONG_PASSPHRASE')
  const third = await Home.open(path, PASSPHRASE)
  t.is(third.journal.length, 2)
  await third.close()
})

test('init refuses a folder that is not empty, and leaves nothing behind on failure', async (t) => {
  const { path } = await createHome(t)
  t.is(await codeOf(Home.init(path, { passphrase: PASSPHRASE })), 'HOME_EXISTS')
  const dir = await t.tmp()
  t.is(await codeOf(Home.init(`${dir}/new`, { passphrase: 'short' })), 'INVALID_INPUT')
  const { readdir } = await import('node:fs/promises')
  t.alike(await readdir(dir), [], 'no half-made home or staging folder remains')
})

test('a second open of the same home is HOME_LOCKED, not a lock error', async (t) => {
  const { path } = await createHome(t)
  t.is(await codeOf(Home.open(path, PASSPHRASE)), 'HOME_LOCKED')
})
