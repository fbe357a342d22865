import { spawn } from 'node:child_process'
import { join } from 'node:path'
import test from 'brittle'
import { REPO } from './helpers/home.js'

test('npm start: serves the demo persona with no setup and prints the URL with its token', async (t) => {
  t.timeout(180_000)
  const demo = join(await t.tmp(), 'demo')
  // scripts/start.mjs is what `npm start` runs; npm test has just built dist/, so it serves that.
  const child = spawn(process.execPath, [join(REPO, 'scripts/start.mjs'), '--port', '0', '--json'], {
    env: { ...process.env, COSMIC_DEMO_HOME: demo, COSMIC_PASSPHRASE: '', COSMIC_START_NO_BUILD: '1' },
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
      const first = out.split('\n').find((l) => l.startsWith('{'))
      if (first && out.includes('\n')) resolve(first)
    })
    child.on('exit', (code) => reject(new Error(`start exited ${code}: ${err}`)))
  })
  const { url } = JSON.parse(line) as { url: string }
  t.ok(/^http:\/\/127\.0\.0\.1:\d+\/#token=[A-Za-z0-9_-]{43}$/.test(url), url)
  const page = await fetch(new URL('/', url))
  t.is(page.status, 200)
  t.ok((await page.text()).includes('<cosmic-app>'), 'the web app')
  const token = new URL(url).hash.slice('#token='.length)
  const status = await fetch(new URL('/api/status', url), { headers: { authorization: `Bearer ${token}` } })
  const body = (await status.json()) as { name: string; entries: number }
  t.is(body.name, 'Ines Calder', 'the demo persona')
  t.ok(body.entries > 100, `${body.entries} entries`)
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  child.kill('SIGTERM')
  t.is(await exited, 0, 'stops cleanly')
})
