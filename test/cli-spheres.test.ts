import { spawn } from 'node:child_process'
import { join } from 'node:path'
import test from 'brittle'
import createTestnet from 'hyperdht/testnet.js'
import { CLI, filesContaining, PASSPHRASE, runCli } from './helpers/home.js'

/**
 * Two people, two homes, two processes, as they would use it: one creates a sphere and
 * invites (staying online), the other joins with the code; a shareable entry crosses, a
 * private one is refused and never does. Loopback DHT only.
 */
test('cosmic sphere across two processes: create, invite, join, share, feed; private stays home', async (t) => {
  t.timeout(150_000)
  const testnet = await createTestnet(3, { host: '127.0.0.1', teardown: t.teardown })
  const bootstrap = `${testnet.bootstrap[0]?.host}:${testnet.bootstrap[0]?.port}`
  const env = { COSMIC_BOOTSTRAP: bootstrap, COSMIC_DHT_HOST: '127.0.0.1' }
  const dir = await t.tmp()
  const ada = join(dir, 'ada')
  const ben = join(dir, 'ben')
  const cosmic = (home: string, ...args: string[]) => runCli(['--home', home, ...args], { env })

  for (const [home, name] of [
    [ada, 'Ada'],
    [ben, 'Ben']
  ] as const) {
    t.is((await cosmic(home, 'init', '--name', name)).code, 0)
    t.is((await cosmic(home, 'config', 'set', 'mirror_mode', 'hybrid', 'sync_enabled', 'true')).code, 0)
  }
  const secret = 'quietly-terrified-of-the-audit'
  const privateEntry = JSON.parse((await cosmic(ada, '--json', 'reflect', `Private: ${secret}`)).stdout)
  const shared = JSON.parse(
    (await cosmic(ada, '--json', 'reflect', '--shareable', 'The quarry at dusk, shared.')).stdout
  )
  const created = JSON.parse((await cosmic(ada, '--json', 'sphere', 'create', 'Night', 'writers')).stdout)
  t.is(created.name, 'Night writers')

  // Ada invites and stays online until the code is used.
  const inviter = spawn(process.execPath, [CLI, '--home', ada, 'sphere', 'invite', 'night', '--wait-for', '60s'], {
    env: { ...process.env, COSMIC_PASSPHRASE: PASSPHRASE, COSMIC_HOME: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => {
    inviter.kill('SIGKILL')
  })
  let inviterOut = ''
  inviter.stdout.on('data', (d) => {
    inviterOut += d
  })
  const inviterDone = new Promise<number | null>((resolve) => inviter.on('close', resolve))
  const code = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no invite code printed: ${inviterOut}`)), 30_000)
    inviter.stdout.on('data', () => {
      const match = /cosmic sphere join ([a-z0-9]+)/.exec(inviterOut)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
  })

  const joined = await cosmic(ben, '--json', 'sphere', 'join', code, '--timeout', '60s')
  t.is(joined.code, 0, joined.stderr)
  t.is(JSON.parse(joined.stdout).name, 'Night writers')
  t.is(await inviterDone, 0, 'the inviter exits once Ben is in')
  t.ok(/Ben joined/.test(inviterOut), inviterOut)

  // A used code is refused by the member who held it (nobody answers: PAIRING_FAILED), or as already joined.
  const again = await cosmic(ben, 'sphere', 'join', code, '--timeout', '3s')
  t.is(again.code, 2)
  t.ok(/INVITE_INVALID|PAIRING_FAILED/.test(again.stderr), again.stderr)

  // A private entry is refused; the shareable one is shared.
  const refused = await cosmic(ada, 'share', privateEntry.id, '--sphere', 'night')
  t.is(refused.code, 2)
  t.ok(/NETWORK_REFUSED: entry \w+ is private: it never leaves this device/.test(refused.stderr), refused.stderr)
  const ok = await cosmic(ada, 'share', shared.id, '--sphere', 'night')
  t.is(ok.code, 0, ok.stderr)

  // Ben goes online with Ada to receive it.
  const syncAda = runCli(['--home', ada, 'sync', '--once', '--timeout', '30s'], { env })
  const syncBen = await cosmic(ben, 'sync', '--once', '--timeout', '30s')
  t.is(syncBen.code, 0, syncBen.stderr)
  await syncAda
  const feed = await cosmic(ben, '--json', 'sphere', 'feed', 'night')
  const items = JSON.parse(feed.stdout).items as { body: { text: string } }[]
  t.ok(
    items.some((i) => i.body.text === 'The quarry at dusk, shared.'),
    'the shared entry reached Ben'
  )
  const members = JSON.parse((await cosmic(ada, '--json', 'sphere', 'members', 'night')).stdout)
  t.alike(members.members.map((m: { name: string }) => m.name).sort(), ['Ada', 'Ben'])
  t.alike(await filesContaining(ben, secret), [], "Ada's private words are nowhere in Ben's home")

  // Only an admin rotates or removes; removing says that the key was rotated.
  const notAdmin = await cosmic(ben, 'sphere', 'rotate', 'night')
  t.is(notAdmin.code, 2)
  t.ok(/ADMIN_REQUIRED: only an admin of Night writers rotates its key/.test(notAdmin.stderr), notAdmin.stderr)
  const removed = await cosmic(ada, 'sphere', 'remove', 'night', 'Ben')
  t.is(removed.code, 0, removed.stderr)
  t.ok(
    /rotated the sphere's key: from now on it is shared under key 1, sealed to you alone/.test(removed.stdout),
    removed.stdout
  )
  const listed = JSON.parse((await cosmic(ada, '--json', 'sphere', 'list')).stdout)
  t.is(listed.spheres[0].epoch, 1, 'sphere list shows the new epoch')
  t.ok(/key 1, rotated/.test((await cosmic(ada, 'sphere', 'list')).stdout))
})
