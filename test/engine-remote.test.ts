import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import test from 'brittle'
import { silentProgress } from '../src/commands/command.js'
import { configSet } from '../src/commands/config.js'
import { consentGrant, consentRevoke, egressList } from '../src/commands/egress.js'
import { reflect } from '../src/commands/journal.js'
import { profileSet } from '../src/commands/profile.js'
import { tensionAdd } from '../src/commands/tension.js'
import { type EngineOptions, mirrorEntry, noteEvolution } from '../src/engine/engine.js'
import { payloadHash } from '../src/engine/remote-llm.js'
import { CosmicError } from '../src/errors.js'
import { listEgress } from '../src/projections/egress.js'
import { createHome, runCli } from './helpers/home.js'

/**
 * The remote engine against a loopback server that speaks the OpenAI chat-completions
 * protocol (127.0.0.1 only), with its failure modes; consent and the egress ledger
 * checked against what the server actually received.
 */

interface Received {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: Buffer
}

type Reply = {
  status?: number
  body?: string
  headers?: Record<string, string>
  delayMs?: number
  /** Drop the connection instead of answering: before any byte of the answer, or halfway through its body. */
  reset?: 'before-answer' | 'mid-body'
}

function answer(text: string, themes: string[] = ['loopback']): string {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    choices: [
      { index: 0, message: { role: 'assistant', content: JSON.stringify({ text, themes }) }, finish_reason: 'stop' }
    ]
  })
}

/** A chat-completions server on 127.0.0.1: replies from a script (then a default answer), records every request. */
async function loopbackModel(t: test.Test) {
  const received: Received[] = []
  const script: Reply[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) })
      const reply = script.shift() ?? { body: answer('You wrote about something. What do you notice?') }
      const send = () => {
        if (res.destroyed) return
        if (reply.reset === 'before-answer') return void req.socket.destroy()
        if (reply.reset === 'mid-body') {
          const full = reply.body ?? answer('never finished')
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(full)) })
          res.write(full.slice(0, full.length >> 1), () => req.socket.destroy())
          return
        }
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers })
        res.end(reply.body ?? '')
      }
      if (reply.delayMs) setTimeout(send, reply.delayMs)
      else send()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  )
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/v1`, received, script }
}

type Home = Awaited<ReturnType<typeof createHome>>['home']
const ctx = (home: Home) => ({ home, progress: silentProgress })
const KEY = 'sk-test-key-never-logged'
const ENV = { COSMIC_REMOTE_API_KEY: KEY }
const FAST: EngineOptions = { env: ENV, backoffMs: 1 }

async function remoteHome(
  t: test.Test,
  url: string,
  mode: 'hybrid' | 'cloud' = 'hybrid',
  extra: [string, string][] = []
) {
  const { home, path } = await createHome(t)
  await configSet.run(ctx(home), {
    pairs: [
      ['mirror_mode', mode],
      ['engine_mode', 'remote_llm'],
      ['remote_url', url],
      ['remote_model', 'test-model'],
      ['remote_timeout_ms', '2000'],
      ...extra
    ]
  })
  return { home, path }
}

async function expectError(t: test.Test, promise: Promise<unknown>, code: string, fragment?: string): Promise<void> {
  try {
    await promise
    t.fail(`expected ${code}`)
  } catch (err) {
    if (!CosmicError.is(err)) throw err
    t.is(err.code, code, `${code}: ${err.message}`)
    if (fragment) t.ok(err.message.includes(fragment), `the message names "${fragment}"`)
  }
}

function requestJson(r: Received): {
  model: string
  messages: { role: string; content: string }[]
  max_tokens: number
} {
  return JSON.parse(r.body.toString('utf8'))
}

test('no consent, nothing sent; with consent, the ledger matches what the server received', async (t) => {
  const server = await loopbackModel(t)
  const { home } = await remoteHome(t, server.url)
  await tensionAdd.run(ctx(home), {
    name: 'Money: scarcity vs control',
    poles: ['scarcity', 'control'],
    intensity: 0.6,
    domain: 'money'
  })
  const entry = await reflect.run(ctx(home), { text: 'I worry about money at night.' })

  const length = home.journal.length
  await expectError(
    t,
    mirrorEntry(home, entry.id, FAST),
    'CONSENT_REQUIRED',
    `cosmic consent grant ${server.url} --scope mirror`
  )
  t.is(server.received.length, 0, 'the server received nothing')
  t.is(home.journal.length, length, 'and nothing was recorded')

  const evolutionOnly = await consentGrant.run(ctx(home), { endpoint: server.url, scope: ['evolution'] })
  await expectError(t, mirrorEntry(home, entry.id, FAST), 'CONSENT_REQUIRED', '"mirror"')
  const grant = await consentGrant.run(ctx(home), { endpoint: `${server.url}/`, scope: ['mirror'] })
  t.not(grant.event.id, evolutionOnly.event.id)
  t.alike(grant.event.body, { audience: `endpoint:${server.url}`, scope: ['mirror'] })

  server.script.push({ body: answer('You worry at night. What does the worry want?', ['Money', 'night']) })
  const outcome = await mirrorEntry(home, entry.id, FAST)
  t.is(outcome.text, 'You worry at night. What does the worry want?')
  t.alike(outcome.themes, ['money', 'night'])
  t.alike(outcome.engine.kind, 'remote_llm')
  t.is(outcome.engine.model, 'test-model')

  t.is(server.received.length, 1)
  const request = server.received[0]!
  t.is(request.method, 'POST')
  t.is(request.url, '/v1/chat/completions')
  t.is(request.headers.authorization, `Bearer ${KEY}`)
  const sent = requestJson(request)
  t.is(sent.model, 'test-model')
  t.ok(sent.messages[1]!.content.includes('I worry about money at night.'))
  t.absent(sent.messages[1]!.content.includes('scarcity'), 'hybrid: the entry alone, no tensions')

  const ledger = listEgress(home.readModel.db)
  t.is(ledger.length, 1, 'one ledger entry per request')
  const row = ledger[0]!
  t.is(row.endpoint, `${server.url}/chat/completions`)
  t.is(row.bytes, request.body.byteLength, 'the size is what the server received')
  t.is(row.payloadHash, payloadHash(request.body), 'the hash is of what the server received')
  t.alike(row.sent, [entry.id], 'the events whose content was sent')
  t.is(row.consent, grant.event.id, 'under the consent that allowed it')
  t.is(row.purpose, 'mirror')
  t.is(row.attempt, 1)
  t.is(row.contentBytes, Buffer.byteLength(sent.messages[1]!.content))
  t.ok(outcome.egress[0]!.seq < outcome.event.seq, 'the ledger entry is written before the answer is recorded')

  const rawLedger = JSON.stringify(await egressList.run(ctx(home), {}))
  t.absent(rawLedger.includes('I worry'), 'the ledger never holds the payload')
  t.absent(rawLedger.includes(KEY), 'nor the key')
})

test('cloud mode sends the context (never a sealed entry) and names every event in it', async (t) => {
  const server = await loopbackModel(t)
  const { home } = await remoteHome(t, server.url, 'cloud')
  await consentGrant.run(ctx(home), { endpoint: server.url })
  await tensionAdd.run(ctx(home), { name: 'Work vs rest', poles: ['ambition', 'rest'], intensity: 0.5, domain: 'work' })
  await profileSet.run(ctx(home), { dimension: 'heart', facet: 'value', key: 'honesty' })
  const sealed = await reflect.run(ctx(home), { text: 'SEALED-SECRET stays home.', sealed: true })
  const earlier = await reflect.run(ctx(home), { text: 'An earlier day at work.' })
  const entry = await reflect.run(ctx(home), { text: 'Too much work again.' })

  const outcome = await mirrorEntry(home, entry.id, FAST)
  const content = requestJson(server.received[0]!).messages[1]!.content
  t.ok(content.includes('Work vs rest'), 'open tensions')
  t.ok(content.includes('honesty'), 'values')
  t.ok(content.includes('An earlier day at work.'), 'recent entries')
  t.absent(server.received[0]!.body.includes('SEALED-SECRET'), 'never a sealed entry')
  const row = listEgress(home.readModel.db)[0]!
  t.ok(row.sent.includes(entry.id) && row.sent.includes(earlier.id), 'entries sent are named')
  t.absent(row.sent.includes(sealed.id))
  t.is(row.sent.length, 4, 'entry, tension, value, earlier entry')
  t.alike(row.sent, outcome.context.sources)

  // A sealed entry is never sent: mirrored here instead, or refused when a remote model is demanded.
  const before = server.received.length
  const here = await mirrorEntry(home, sealed.id, FAST)
  t.is(here.engine.kind, 'builtin')
  t.ok(here.note?.includes('sealed'))
  await expectError(t, mirrorEntry(home, sealed.id, { ...FAST, engine: 'remote_llm' }), 'NETWORK_REFUSED', 'sealed')
  t.is(server.received.length, before, 'the server received nothing more')
})

test('429 and 5xx are retried with backoff, each attempt in the ledger; 401, bad JSON and giving up are clear errors', async (t) => {
  const server = await loopbackModel(t)
  const { home } = await remoteHome(t, server.url)
  await consentGrant.run(ctx(home), { endpoint: server.url })
  const entry = await reflect.run(ctx(home), { text: 'Retry me.' })

  server.script.push({ status: 429, body: '{"error":"slow down"}', headers: { 'retry-after': '0' } }, { status: 503 })
  const ok = await mirrorEntry(home, entry.id, FAST)
  t.is(server.received.length, 3, 'two retries, then an answer')
  t.alike(
    ok.egress.map((e) => (e.body as { attempt: number }).attempt),
    [1, 2, 3]
  )
  const hashes = new Set(listEgress(home.readModel.db).map((r) => r.payloadHash))
  t.alike([...hashes], [payloadHash(server.received[0]!.body)], 'the same payload each time')
  t.ok(server.received.every((r) => r.body.equals(server.received[0]!.body)))

  const count = () => listEgress(home.readModel.db).length
  const mirrorbacks = () =>
    (home.readModel.db.prepare('SELECT count(*) AS n FROM mirrorbacks').get() as { n: number }).n
  const mb = mirrorbacks()

  server.script.push({ status: 500 }, { status: 502 }, { status: 500, body: 'still broken' })
  let n = count()
  await expectError(t, mirrorEntry(home, entry.id, FAST), 'REMOTE_FAILED', '500 (still broken) (after 3 attempt(s))')
  t.is(count() - n, 3, 'every attempt is in the ledger')

  server.script.push({ status: 401, body: '{"error":"invalid key"}' })
  n = count()
  await expectError(t, mirrorEntry(home, entry.id, FAST), 'REMOTE_UNAUTHORIZED', '401')
  t.is(count() - n, 1, '401 is not retried')

  server.script.push({ status: 200, body: '<html>not json</html>' })
  await expectError(t, mirrorEntry(home, entry.id, FAST), 'REMOTE_FAILED', 'not JSON')
  server.script.push({ status: 200, body: '{"choices":[]}' })
  await expectError(t, mirrorEntry(home, entry.id, FAST), 'REMOTE_FAILED', 'choices[0].message.content')
  t.is(mirrorbacks(), mb, 'no mirrorback from a failed call')

  server.script.push({
    body: JSON.stringify({ choices: [{ message: { content: 'Plain prose: you sound tired of work. What helps?' } }] })
  })
  const prose = await mirrorEntry(home, entry.id, FAST)
  t.is(
    prose.text,
    'Plain prose: you sound tired of work. What helps?',
    'prose from an endpoint that ignores response_format'
  )
  t.alike(prose.themes, ['work', 'frustration'], 'themes from the lexicon then')
})

test('a timeout and an unreachable host are clear errors', async (t) => {
  const server = await loopbackModel(t)
  const { home } = await remoteHome(t, server.url, 'hybrid', [
    ['remote_timeout_ms', '300'],
    ['remote_retries', '0']
  ])
  await consentGrant.run(ctx(home), { endpoint: server.url })
  const entry = await reflect.run(ctx(home), { text: 'Waiting.' })
  server.script.push({ delayMs: 2000, body: answer('too late') })
  const started = Date.now()
  await expectError(t, mirrorEntry(home, entry.id, FAST), 'REMOTE_FAILED', 'did not answer within 300 ms')
  t.ok(Date.now() - started < 1500, 'gave up at the timeout')

  // A port that was just free: nothing listens there.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const closed = `http://127.0.0.1:${port}/v1`
  await configSet.run(ctx(home), { pairs: [['remote_url', closed]] })
  await consentGrant.run(ctx(home), { endpoint: closed })
  await expectError(t, mirrorEntry(home, entry.id, FAST), 'REMOTE_FAILED', 'ECONNREFUSED')
})

test('a timeout and a dropped connection are retried with backoff, each attempt in the ledger; a refused one is not', async (t) => {
  const server = await loopbackModel(t)
  const { home } = await remoteHome(t, server.url, 'hybrid', [['remote_timeout_ms', '300']])
  await consentGrant.run(ctx(home), { endpoint: server.url })
  const entry = await reflect.run(ctx(home), { text: 'Flaky line.' })
  const count = () => listEgress(home.readModel.db).length
  const attempts = (outcome: { egress: { body: unknown }[] }) =>
    outcome.egress.map((e) => (e.body as { attempt: number }).attempt)

  server.script.push({ delayMs: 2000, body: answer('too late') }, { body: answer('On time now. What changed?') })
  const afterTimeout = await mirrorEntry(home, entry.id, FAST)
  t.is(afterTimeout.text, 'On time now. What changed?', 'a timeout, then an answer')
  t.alike(attempts(afterTimeout), [1, 2])

  server.script.push({ reset: 'before-answer' }, { reset: 'mid-body' }, { body: answer('Third time. What holds?') })
  const received = server.received.length
  const afterResets = await mirrorEntry(home, entry.id, FAST)
  t.is(afterResets.text, 'Third time. What holds?', 'two dropped connections, then an answer')
  t.alike(attempts(afterResets), [1, 2, 3])
  t.is(server.received.length - received, 3)
  const sent = server.received.slice(received)
  t.ok(
    sent.every((r) => r.body.equals(sent[0]!.body)),
    'the same payload each time'
  )
  t.alike(
    listEgress(home.readModel.db)
      .slice(-3)
      .map((r) => [r.attempt, r.bytes, r.payloadHash]),
    sent.map((r, i) => [i + 1, r.body.byteLength, payloadHash(r.body)]),
    'the ledger matches what the server received, attempt by attempt'
  )

  // Bounded: remote_retries 2 is three attempts, then a clear error with the last problem.
  const mirrorbacks = () =>
    (home.readModel.db.prepare('SELECT count(*) AS n FROM mirrorbacks').get() as { n: number }).n
  const mb = mirrorbacks()
  let n = count()
  server.script.push({ reset: 'before-answer' }, { reset: 'mid-body' }, { reset: 'before-answer' })
  await expectError(
    t,
    mirrorEntry(home, entry.id, FAST),
    'REMOTE_FAILED',
    `cannot reach ${server.url}/chat/completions (UND_ERR_SOCKET`
  )
  t.is(count() - n, 3, 'three attempts, all in the ledger')
  n = count()
  server.script.push(
    { delayMs: 2000, body: answer('late') },
    { delayMs: 2000, body: answer('late') },
    { delayMs: 2000, body: answer('late') }
  )
  await expectError(t, mirrorEntry(home, entry.id, FAST), 'REMOTE_FAILED', 'within 300 ms (after 3 attempt(s))')
  t.is(count() - n, 3)
  t.is(mirrorbacks(), mb, 'no mirrorback from a failed call')

  // Nothing listens on a port that was just free: the host is not there, and waiting would not change that.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const closed = `http://127.0.0.1:${port}/v1`
  await configSet.run(ctx(home), { pairs: [['remote_url', closed]] })
  await consentGrant.run(ctx(home), { endpoint: closed })
  n = count()
  await expectError(t, mirrorEntry(home, entry.id, { ...FAST, backoffMs: 60_000 }), 'REMOTE_FAILED', 'ECONNREFUSED')
  t.is(count() - n, 1, 'a refused connection is not retried')
})

test('consent: revoked or expired is refused; the environment cannot send around it', async (t) => {
  const server = await loopbackModel(t)
  const other = await loopbackModel(t)
  const { home } = await remoteHome(t, server.url)
  const entry = await reflect.run(ctx(home), { text: 'Consent matters.' })
  const grant = await consentGrant.run(ctx(home), { endpoint: server.url, until: Date.now() + 60_000 })
  await mirrorEntry(home, entry.id, FAST)
  t.is(server.received.length, 1)

  await expectError(
    t,
    mirrorEntry(home, entry.id, { ...FAST, now: () => grant.until! + 1 }),
    'CONSENT_REQUIRED',
    'no consent in force'
  )
  await expectError(
    t,
    mirrorEntry(home, entry.id, { ...FAST, env: { ...ENV, COSMIC_REMOTE_URL: other.url } }),
    'CONSENT_REQUIRED',
    other.url
  )
  t.is(other.received.length, 0, 'an endpoint from the environment still needs its own consent')

  const revoked = await consentRevoke.run(ctx(home), { target: server.url })
  t.is(revoked.revoked.length, 1)
  await expectError(t, mirrorEntry(home, entry.id, FAST), 'CONSENT_REQUIRED')
  t.is(server.received.length, 1, 'nothing after revocation')
  await expectError(t, consentRevoke.run(ctx(home), { target: server.url }), 'NOT_FOUND')
  await expectError(t, consentRevoke.run(ctx(home), { target: grant.event.id }), 'CONFLICT', 'already revoked')
})

test('evolution notes through a remote model: scope evolution, no sealed entries, ledger purpose evolution', async (t) => {
  const server = await loopbackModel(t)
  const { home } = await remoteHome(t, server.url)
  await reflect.run(ctx(home), { text: 'SEALED-SECRET diary line.', sealed: true })
  const shown = await reflect.run(ctx(home), { text: 'A good week at work.' })
  await expectError(t, noteEvolution(home, { from: 0, to: Date.now() + 1000 }, FAST), 'CONSENT_REQUIRED', 'evolution')
  await consentGrant.run(ctx(home), { endpoint: server.url, scope: ['evolution'] })
  server.script.push({ body: answer('A week that lightened. What changed?') })
  const noted = await noteEvolution(
    home,
    { from: 0, to: Date.now() + 1000, changes: ['graph-only line that stays home'] },
    FAST
  )
  t.is(noted.event.type, 'evolution.noted')
  t.is((noted.event.body as { summary: string }).summary, 'A week that lightened. What changed?')
  t.alike((noted.event.body as { changes: string[] }).changes, ['graph-only line that stays home'])
  const body = server.received[0]!.body
  t.absent(body.includes('SEALED-SECRET'), 'no sealed words')
  t.absent(body.includes('graph-only line'), 'the change lines stay on this device')
  t.ok(body.includes('1 sealed, not shown'), 'a sealed entry is only counted')
  const row = listEgress(home.readModel.db)[0]!
  t.is(row.purpose, 'evolution')
  t.alike(row.sent, [shown.id])
  t.is(row.payloadHash, payloadHash(body))
})

test('the cosmic CLI: consent grant, reflect --mirror, egress, consent revoke', async (t) => {
  const server = await loopbackModel(t)
  const home = join(await t.tmp(), 'home')
  const env = { ...ENV, COSMIC_REMOTE_BACKOFF_MS: '1' }
  const cli = (...args: string[]) => runCli(['--home', home, ...args], { env })
  t.is((await cli('init')).code, 0)
  const set = await cli(
    'config',
    'set',
    'mirror_mode',
    'hybrid',
    'engine',
    'remote_llm',
    '--url',
    server.url,
    '--remote-model',
    'test-model'
  )
  t.is(set.code, 0)

  const refused = await cli('reflect', 'Hello remote.', '--mirror')
  t.is(refused.code, 2)
  t.ok(refused.stderr.includes('CONSENT_REQUIRED'))
  t.is(server.received.length, 0)

  const granted = await cli('consent', 'grant', server.url, '--scope', 'mirror')
  t.is(granted.code, 0)
  t.ok(granted.stdout.includes('may receive'))

  server.script.push({ body: answer('Hello back. What brought you here?') })
  const mirrored = await cli('reflect', 'Hello remote, again.', '--mirror')
  t.is(mirrored.code, 0)
  t.ok(mirrored.stdout.includes('Hello back. What brought you here?'))
  t.ok(mirrored.stdout.includes(`Sent to ${server.url}/chat/completions: 1 request`))

  const ledger = JSON.parse((await cli('--json', 'egress')).stdout) as {
    requests: number
    bytes: number
    entries: { bytes: number; payloadHash: string }[]
  }
  t.is(ledger.requests, server.received.length)
  t.is(ledger.bytes, server.received[0]!.body.byteLength)
  t.is(ledger.entries[0]!.payloadHash, payloadHash(server.received[0]!.body))
  const text = (await cli('egress')).stdout
  t.ok(text.includes('1 request left this device'))

  t.is((await cli('consent', 'revoke', server.url)).code, 0)
  const after = await cli('reflect', 'After revoking.', '--mirror')
  t.is(after.code, 2)
  t.is(server.received.length, 1, 'nothing more left')
  const list = await cli('consent', 'list')
  t.ok(list.stdout.includes('revoked'))
})
