import { spawn } from 'node:child_process'
import { readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import test from 'brittle'
import { PASSPHRASE, REPO, readAllFiles, runCli } from './helpers/home.js'

async function newHome(
  t: import('brittle').Test
): Promise<{ home: string; cli: (...args: string[]) => ReturnType<typeof runCli> }> {
  const home = join(await t.tmp(), 'home')
  const cli = (...args: string[]) => runCli(['--home', home, ...args])
  const init = await cli('init', '--name', 'Ada')
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`)
  return { home, cli }
}

test('a person keeps a journal from the CLI and audit proves every entry', async (t) => {
  const { cli } = await newHome(t)
  const first = await cli(
    '--json',
    'reflect',
    'I keep rehearsing conversations about money',
    '--tag',
    'money',
    '--mood',
    'anxious'
  )
  t.is(first.code, 0, first.stderr)
  const event = JSON.parse(first.stdout)
  t.ok(/^[0-9a-f]{64}$/.test(event.id), 'reflect --json prints the id in hex')
  t.is(event.seq, 1)
  t.is(event.privacy, 'private', 'private by default')
  t.alike(event.body, { text: 'I keep rehearsing conversations about money', mood: 'anxious', tags: ['money'] })

  const human = await cli('reflect', 'A', 'good', 'walk', '--tag', '#Nature,calm', '--dimension', 'body', '--shareable')
  t.ok(human.stdout.startsWith('Recorded entry '), human.stdout)
  t.ok(human.stdout.includes('shareable'))

  t.is((await cli('amend', event.id.slice(0, 8), 'I keep rehearsing, less now')).code, 0)
  t.is(
    (
      await cli(
        'tension',
        'add',
        'money:',
        'scarcity',
        'vs',
        'control',
        '--poles',
        'scarcity,control',
        '--intensity',
        '0.7',
        '--domain',
        'money'
      )
    ).code,
    0
  )
  const list = JSON.parse((await cli('--json', 'tension', 'list')).stdout)
  t.is(list.length, 1)
  t.is(list[0].id, 'money-scarcity-vs-control')
  t.is(
    (await cli('tension', 'shift', 'money-scarcity-vs-control', '--intensity', '0.4', '--toward', 'control')).code,
    0
  )
  t.is((await cli('tension', 'resolve', 'money-scarcity-vs-control', '--insight', 'enough is a decision')).code, 0)
  t.is((await cli('profile', 'set', 'mind', 'skill', 'typescript', '--level', '4')).code, 0)
  t.is((await cli('profile', 'set', 'heart', 'value', 'honesty', 'saying the hard thing kindly')).code, 0)
  t.is((await cli('profile', 'remove', 'mind', 'skill', 'typescript')).code, 0)
  const profile = JSON.parse((await cli('--json', 'profile', 'show')).stdout)
  t.alike(
    profile.map((f: { key: string }) => f.key),
    ['honesty']
  )

  const log = JSON.parse((await cli('--json', 'log')).stdout)
  t.alike(
    log.map((e: { type: string }) => e.type),
    [
      'identity.created',
      'reflection.recorded',
      'reflection.recorded',
      'reflection.amended',
      'tension.noted',
      'tension.shifted',
      'tension.resolved',
      'profile.set',
      'profile.set',
      'profile.removed'
    ]
  )
  t.alike(log[2].body.tags, ['nature', 'calm'], 'tags normalised: lower case, no #, comma-separated')

  const status = JSON.parse((await cli('--json', 'status')).stdout)
  t.is(status.events, 10)
  t.is(status.entries, 2)
  t.is(status.name, 'Ada')

  const audit = await cli('audit')
  t.is(audit.code, 0)
  t.ok(audit.stdout.startsWith('OK: 10 of 10 events verified'), audit.stdout)
  const auditJson = JSON.parse((await cli('--json', 'audit')).stdout)
  t.is(auditJson.ok, true)
  t.ok(auditJson.tree.ok)
})

test('retract from the CLI: log shows the event as redacted, audit still passes and counts it', async (t) => {
  const { cli } = await newHome(t)
  const { id } = JSON.parse((await cli('--json', 'reflect', 'something I want gone')).stdout)
  await cli('amend', id, 'something I want gone, amended')
  const retract = JSON.parse((await cli('--json', 'retract', id)).stdout)
  t.alike(retract.forgotten, [1, 2], 'the entry and its amendment are forgotten')
  const log = JSON.parse((await cli('--json', 'log')).stdout)
  t.is(log[1].redacted, true)
  t.is(log[1].body, null)
  t.is(log[1].id, id, 'the redacted event keeps its id')
  t.is(log[2].redacted, true)
  t.is(log[3].type, 'reflection.retracted')
  const audit = JSON.parse((await cli('--json', 'audit')).stdout)
  t.is(audit.ok, true)
  t.is(audit.redacted, 2)
  const again = await cli('retract', id)
  t.is(again.code, 2)
  t.ok(again.stderr.includes('CONFLICT'), again.stderr)
})

test('bad usage and bad input exit 2 with a clear message and no stack trace', async (t) => {
  const { cli } = await newHome(t)
  const cases: [string[], RegExp][] = [
    [['reflect'], /missing required argument/],
    [['bogus'], /unknown command/],
    [['tension', 'add', 'x', '--poles', 'only-one'], /INVALID_INPUT: --poles takes exactly two poles/],
    [['tension', 'shift', 'nope', '--intensity', '0.5'], /NOT_FOUND: no tension with id nope/],
    [['tension', 'add', 'x', '--poles', 'a,b', '--intensity', 'high'], /--intensity must be a number/],
    [['tension', 'add', 'x', '--poles', 'a,b', '--intensity', '1.5'], /intensity must be a number from 0 to 1/],
    [['profile', 'set', 'soul', 'skill', 'x'], /dimension must be one of mind, heart, body/],
    [['profile', 'set', 'mind', 'value', 'x'], /facet "value" does not belong to mind/],
    [['profile', 'remove', 'mind', 'skill', 'nothing'], /NOT_FOUND/],
    [['amend', 'zz', 'text'], /not an entry id/],
    [['amend', 'abcdef12', 'text'], /NOT_FOUND: no journal entry/],
    [['reflect', 'x', '--sealed', '--shareable'], /a sealed entry cannot be shareable/],
    [['log', '--limit', 'many'], /--limit must be a whole number/]
  ]
  for (const [args, message] of cases) {
    const result = await cli(...args)
    t.is(result.code, 2, `${args.join(' ')} exits 2`)
    t.ok(message.test(result.stderr), `${args.join(' ')}: ${result.stderr.trim()}`)
    t.absent(/\n\s+at /.test(result.stderr), 'no stack trace')
  }
  const json = await cli('--json', 'amend', 'zz', 'text')
  t.is(JSON.parse(json.stderr).error.code, 'INVALID_INPUT', '--json errors are JSON too')
  const log = JSON.parse((await cli('--json', 'log')).stdout)
  t.is(log.length, 1, 'nothing was appended by any of them')
})

test('help works for every command and exits 0', async (t) => {
  const top = await runCli(['--help'])
  t.is(top.code, 0)
  for (const command of [
    'init',
    'reflect',
    'amend',
    'retract',
    'tension',
    'profile',
    'log',
    'audit',
    'status',
    'vault'
  ]) {
    t.ok(top.stdout.includes(command), `cosmic --help lists ${command}`)
    const help = await runCli([command, '--help'])
    t.is(help.code, 0, `cosmic ${command} --help`)
  }
})

test('a wrong passphrase: exit 2, clear message, nothing written', async (t) => {
  const { home, cli } = await newHome(t)
  await cli('reflect', 'before')
  const before = await readAllFiles(home)
  const result = await runCli(['--home', home, 'reflect', 'should not land'], {
    env: { COSMIC_PASSPHRASE: 'wrong passphrase' }
  })
  t.is(result.code, 2)
  t.ok(result.stderr.includes('WRONG_PASSPHRASE'), result.stderr)
  const after = await readAllFiles(home)
  t.alike(
    after.map((f) => [f.path, f.bytes.toString('hex')]),
    before.map((f) => [f.path, f.bytes.toString('hex')]),
    'every file of the home is byte-identical'
  )
})

test('no passphrase and no terminal: PASSPHRASE_REQUIRED, exit 2', async (t) => {
  const { home } = await newHome(t)
  const result = await runCli(['--home', home, 'status'], { env: { COSMIC_PASSPHRASE: '' } })
  t.is(result.code, 2)
  t.ok(result.stderr.includes('PASSPHRASE_REQUIRED'), result.stderr)
})

test('a passphrase file works', async (t) => {
  const { home } = await newHome(t)
  const file = join(await t.tmp(), 'pass')
  await writeFile(file, `${PASSPHRASE}\n`, { mode: 0o600 })
  const result = await runCli(['--home', home, '--passphrase-file', file, 'status'], { env: { COSMIC_PASSPHRASE: '' } })
  t.is(result.code, 0, result.stderr)
})

test('a missing or damaged home: a clear message, never a stack trace', async (t) => {
  const dir = await t.tmp()
  const missing = await runCli(['--home', join(dir, 'nothing-here'), 'status'])
  t.is(missing.code, 2)
  t.ok(missing.stderr.includes('HOME_NOT_FOUND') && missing.stderr.includes('cosmic init'), missing.stderr)
  // Nobody is asked for a passphrase for a home that is not there.
  const unasked = await runCli(['--home', join(dir, 'nothing-here'), 'timeline'], { env: { COSMIC_PASSPHRASE: '' } })
  t.is(unasked.code, 2)
  t.ok(unasked.stderr.includes('HOME_NOT_FOUND') && !unasked.stderr.includes('PASSPHRASE'), unasked.stderr)
  // An import needs a home of the bundle's identity, which a plain init does not make.
  const importing = await runCli(['--home', join(dir, 'nothing-here'), 'import', join(dir, 'bundle.jsonl')])
  t.is(importing.code, 2)
  t.ok(
    importing.stderr.includes('HOME_NOT_FOUND') && importing.stderr.includes('cosmic init --recover'),
    importing.stderr
  )

  const { home } = await newHome(t)
  await writeFile(join(home, 'vault.json'), '{ this is not json')
  const damaged = await runCli(['--home', home, 'status'])
  t.is(damaged.code, 2)
  t.ok(damaged.stderr.includes('HOME_DAMAGED'), damaged.stderr)
  t.absent(/\n\s+at /.test(damaged.stderr))

  const { home: second } = await newHome(t)
  await writeFile(join(second, 'read-model.db'), Buffer.alloc(8192, 7))
  const badModel = await runCli(['--home', second, 'status'])
  t.is(badModel.code, 2)
  t.ok(badModel.stderr.includes('HOME_DAMAGED') && badModel.stderr.includes('replay'), badModel.stderr)
})

test('init on an existing home refuses; init creates an owner-only home', async (t) => {
  const { home, cli } = await newHome(t)
  const again = await cli('init')
  t.is(again.code, 2)
  t.ok(again.stderr.includes('HOME_EXISTS'))
  t.is((await stat(home)).mode & 0o777, 0o700)
  t.ok((await readdir(home)).includes('vault.json'))
})

test('a home held by another process: a clear HOME_LOCKED message and exit 2', async (t) => {
  const { home } = await newHome(t)
  const holder = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { Home } = await import(${JSON.stringify(join(REPO, 'dist/src/store/home.js'))}); await Home.open(${JSON.stringify(home)}, ${JSON.stringify(PASSPHRASE)}); console.log('holding'); setInterval(() => {}, 1000)`
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] }
  )
  t.teardown(() => {
    holder.kill('SIGKILL')
  })
  await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()))
  const result = await runCli(['--home', home, 'reflect', 'while held'])
  t.is(result.code, 2)
  t.ok(result.stderr.includes('HOME_LOCKED') && result.stderr.includes('another process'), result.stderr)
  t.absent(/File descriptor could not be locked/.test(result.stderr), 'not the raw lock error')
})

test('recovery: export-key, then init --recover on a fresh machine restores the identity', async (t) => {
  const { cli } = await newHome(t)
  const original = JSON.parse((await cli('--json', 'vault', 'export-key')).stdout)
  t.is(original.phrase.split(' ').length, 24)
  const restored = join(await t.tmp(), 'restored')
  const init = await runCli(['--home', restored, '--json', 'init', '--recover'], {
    env: { COSMIC_RECOVERY_PHRASE: original.phrase, COSMIC_PASSPHRASE: 'a brand new passphrase' }
  })
  t.is(init.code, 0, init.stderr)
  t.is(JSON.parse(init.stdout).publicKey, original.author, 'the same identity')
  const bad = await runCli(['--home', join(await t.tmp(), 'x'), 'init', '--recover'], {
    env: { COSMIC_RECOVERY_PHRASE: 'abandon abandon abandon' }
  })
  t.is(bad.code, 2)
  t.ok(bad.stderr.includes('INVALID_RECOVERY_PHRASE'))
})
