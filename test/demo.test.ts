import { spawn } from 'node:child_process'
import { join } from 'node:path'
import test from 'brittle'
import { REPO } from './helpers/home.js'

test('the README demo builds a home from the persona and shows timeline, tensions and a clean audit', async (t) => {
  const home = join(await t.tmp(), 'demo')
  const result = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'dist/scripts/demo.js')], {
      env: { ...process.env, COSMIC_DEMO_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
    })
    child.stderr.on('data', (d) => {
      out += d
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, out }))
  })
  t.is(result.code, 0, result.out.slice(-500))
  for (const heading of ['== Status', '== Timeline', '== Tensions', '== Audit'])
    t.ok(result.out.includes(heading), heading)
  t.ok(/OK: (\d+) of \1 events verified/.test(result.out), 'the audit is clean')
  t.ok(result.out.includes('money-scarcity-vs-control'), 'the persona’s tensions are there')
})
