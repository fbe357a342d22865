import { execFileSync, spawn } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import test from 'brittle'
import { buildApp } from '../src/api/app.js'
import { resolveHosting } from '../src/api/hosting.js'
import { ensureApiToken } from '../src/api/token.js'
import { AUTH, createApiHome, TOKEN } from './helpers/api.js'
import { CLI, createHome, PASSPHRASE, runCli } from './helpers/home.js'

/** Reads Server-Sent Events from a fetch body until `until` says stop. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  until: (events: { event: string; data: string }[]) => boolean
): Promise<{ event: string; data: string }[]> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  const events: { event: string; data: string }[] = []
  let buffer = ''
  while (!until(events)) {
    const { value, done } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    let end = buffer.indexOf('\n\n')
    while (end !== -1) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const event = /^event: (.*)$/m.exec(block)?.[1]
      const data = /^data: (.*)$/m.exec(block)?.[1]
      if (event && data !== undefined) events.push({ event, data })
      end = buffer.indexOf('\n\n')
    }
  }
  await reader.cancel()
  return events
}

test('over a real port on 127.0.0.1: the token, the Host check, and live updates by SSE', async (t) => {
  const { app } = await createApiHome(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const base = `http://127.0.0.1:${port}`
  t.is((await fetch(`${base}/api/status`)).status, 401)
  t.is((await fetch(`${base}/api/status`, { headers: AUTH })).status, 200)

  const controller = new AbortController()
  const stream = await fetch(`${base}/api/stream?token=${TOKEN}`, { signal: controller.signal })
  t.is(stream.status, 200)
  t.ok(stream.headers.get('content-type')?.startsWith('text/event-stream'))
  t.absent(stream.headers.get('access-control-allow-origin'))
  const reading = readEvents(stream.body!, (events) => events.some((e) => e.event === 'reset'))
  const posted = await fetch(`${base}/api/reflections`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'live, over the wire', tags: ['live'] })
  })
  t.is(posted.status, 201)
  const entry = (await posted.json()) as { entry: { id: string; seq: number } }
  const rebuilt = await fetch(`${base}/api/replay`, { method: 'POST', headers: AUTH })
  t.is(rebuilt.status, 200)
  const events = await reading
  t.ok(
    events.findIndex((e) => e.event === 'append') < events.findIndex((e) => e.event === 'reset'),
    'a rebuild sends reset, after the append'
  )
  t.is(events[0]?.event, 'ready')
  const append = JSON.parse(events.find((e) => e.event === 'append')!.data)
  t.is(append.events[0].id, entry.entry.id, 'the new event arrives on the stream')
  t.is(append.events[0].type, 'reflection.recorded')
  t.absent(JSON.stringify(append).includes('live, over the wire'), 'the stream carries no words')
  controller.abort()
  const noToken = await fetch(`${base}/api/stream`)
  t.is(noToken.status, 401)
  await noToken.body?.cancel()
})

test('hosted mode: another address refuses to start without TLS or --behind-proxy', async (t) => {
  await t.exception(resolveHosting({ host: '0.0.0.0' }), /INVALID_INPUT: --host 0.0.0.0 .*--tls-cert/)
  await t.exception(resolveHosting({ host: '192.0.2.10', tlsCert: 'cert.pem' }), /go together/)
  await t.exception(resolveHosting({ host: '0.0.0.0', behindProxy: true }), /--public-host/)
  t.is((await resolveHosting({ host: '0.0.0.0', behindProxy: true, publicHosts: ['journal.example'] })).scheme, 'https')
  t.is((await resolveHosting({ host: '127.0.0.1' })).scheme, 'http')

  const { path } = await createHome(t)
  const result = await runCli(['--home', path, 'serve', '--host', '0.0.0.0', '--port', '0'])
  t.is(result.code, 2)
  t.ok(result.stderr.includes('--behind-proxy'), result.stderr)
})

test('with --tls-cert and --tls-key the API speaks HTTPS', async (t) => {
  const dir = await t.tmp()
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1'
    ],
    { stdio: 'ignore' }
  )
  const hosting = await resolveHosting({ host: '127.0.0.1', tlsCert: cert, tlsKey: key })
  const { home } = await createHome(t)
  const app = await buildApp({ home, token: TOKEN, host: hosting.host, https: hosting.https, webRoot: null })
  t.teardown(() => app.close(), { order: -2 })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path: '/api/status', headers: AUTH, rejectUnauthorized: false },
      (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      }
    )
    req.on('error', reject)
    req.end()
  })
  t.is(status, 200)
})

test('cosmic init makes the API token, owner-only', async (t) => {
  const path = join(await t.tmp(), 'home')
  const result = await runCli(['--home', path, 'init', '--name', 'Ada'])
  t.is(result.code, 0, result.stderr)
  t.is((await stat(join(path, 'api-token'))).mode & 0o777, 0o600)
  t.ok(/^[A-Za-z0-9_-]{43}$/.test((await ensureApiToken(path)).trim()))
})

test('the token is made once, owner-only, and kept', async (t) => {
  const { path } = await createHome(t)
  const token = await ensureApiToken(path)
  t.ok(/^[A-Za-z0-9_-]{43}$/.test(token))
  t.is((await stat(join(path, 'api-token'))).mode & 0o777, 0o600)
  t.is(await ensureApiToken(path), token)
})

test('cosmic serve holds the home, prints the URL with the token, answers, and stops on SIGTERM', async (t) => {
  const { path, home } = await createHome(t)
  await home.close()
  const child = spawn(process.execPath, [CLI, '--home', path, '--json', 'serve', '--port', '0'], {
    env: { ...process.env, COSMIC_PASSPHRASE: PASSPHRASE },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let out = ''
  let err = ''
  child.stderr.on('data', (d) => {
    err += d
  })
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d
      if (out.includes('\n')) resolve(out.split('\n')[0]!)
    })
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)))
  })
  const { url, port } = JSON.parse(line) as { url: string; port: number }
  const token = new URL(url).hash.replace('#token=', '')
  t.is(token, await ensureApiToken(path), 'the printed URL carries the stored token')
  t.ok(url.startsWith(`http://127.0.0.1:${port}/`))
  const res = await fetch(`http://127.0.0.1:${port}/api/status`, { headers: { authorization: `Bearer ${token}` } })
  t.is(res.status, 200)
  t.is((await stat(join(path, 'cosmic.sock'))).mode & 0o777, 0o600, 'the local socket is owner-only')
  // One home, one process: other commands on the home go through the server.
  const through = await runCli(['--home', path, '--json', 'status'], { env: { COSMIC_PASSPHRASE: '' } })
  t.is(through.code, 0, through.stderr)
  t.is(JSON.parse(through.stdout).home, path, 'status answered by the server, without a passphrase')
  const written = await runCli(['--home', path, 'reflect', 'written', 'through', 'serve', '--tag', 'cli'])
  t.is(written.code, 0, written.stderr)
  t.ok(written.stdout.startsWith('Recorded entry'), 'the same output as without a server')
  const seen = await fetch(`http://127.0.0.1:${port}/api/timeline?tag=cli`, {
    headers: { authorization: `Bearer ${token}` }
  })
  t.is(((await seen.json()) as { items: unknown[] }).items.length, 1, 'the API sees what the CLI wrote')
  const failed = await runCli(['--home', path, 'amend', 'abcdef', 'new text'])
  t.is(failed.code, 2, 'errors keep their exit code')
  t.ok(failed.stderr.includes('NOT_FOUND') || failed.stderr.includes('INVALID_INPUT'), failed.stderr)
  const second = await runCli(['--home', path, 'serve', '--port', '0'])
  t.is(second.code, 2, 'a second server on the same home is refused')
  t.ok(second.stderr.includes('HOME_LOCKED'), second.stderr)
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  child.kill('SIGTERM')
  t.is(await exited, 0)
  await t.exception(stat(join(path, 'cosmic.sock')), /ENOENT/, 'the socket is removed on stop')
  const after = await runCli(['--home', path, 'status'])
  t.is(after.code, 0, 'with the server gone, the CLI opens the home itself')
})
