import { spawn } from 'node:child_process'
import { join } from 'node:path'
import test from 'brittle'
import createTestnet from 'hyperdht/testnet.js'
import { CLI, filesContaining, PASSPHRASE, runCli } from './helpers/home.js'

/**
 * People on one loopback DHT, each with a home of their own (initialised, network allowed),
 * and `cosmic(home, ...args)` to run the CLI on one of them as a separate process.
 */
async function people(t: test.Test, names: readonly string[]) {
  const testnet = await createTestnet(3, { host: '127.0.0.1', teardown: t.teardown })
  const bootstrap = `${testnet.bootstrap[0]?.host}:${testnet.bootstrap[0]?.port}`
  const env = { COSMIC_BOOTSTRAP: bootstrap, COSMIC_DHT_HOST: '127.0.0.1' }
  const dir = await t.tmp()
  const cosmic = (home: string, ...args: string[]) => runCli(['--home', home, ...args], { env })
  const homes: Record<string, string> = {}
  for (const name of names) {
    const home = join(dir, name.toLowerCase())
    homes[name.toLowerCase()] = home
    t.is((await cosmic(home, 'init', '--name', name)).code, 0)
    t.is((await cosmic(home, 'config', 'set', 'mirror_mode', 'hybrid', 'sync_enabled', 'true')).code, 0)
  }
  return { env, cosmic, homes }
}

/**
 * Two people, two homes, two processes, as they would use it: one creates a sphere and
 * invites (staying online), the other joins with the code; a shareable entry crosses, a
 * private one is refused and never does. Loopback DHT only.
 */
test('cosmic sphere across two processes: create, invite, join, share, feed; private stays home', async (t) => {
  t.timeout(150_000)
  const { env, cosmic, homes } = await people(t, ['Ada', 'Ben'])
  const { ada, ben } = homes as { ada: string; ben: string }
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

/** A `cosmic` process left running (sync, a waiting invite): its output as it comes, its exit, and a stop. */
function background(t: test.Test, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, COSMIC_PASSPHRASE: PASSPHRASE, COSMIC_HOME: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout.on('data', (d) => {
    out += d
  })
  child.stderr.on('data', (d) => {
    out += d
  })
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  return {
    output: () => out,
    exited,
    /** Resolves with the first match of `pattern` in the output. */
    async waitFor(pattern: RegExp, ms = 60_000): Promise<RegExpExecArray> {
      const end = Date.now() + ms
      while (Date.now() < end) {
        const match = pattern.exec(out)
        if (match) return match
        await new Promise((r) => setTimeout(r, 100))
      }
      throw new Error(`no ${pattern} in the output within ${ms} ms: ${out}`)
    },
    stop() {
      child.kill('SIGINT')
      return exited
    }
  }
}

test('cosmic sphere invite --approve across processes: the joiner waits; approve and deny from another terminal while sync or a waiting invite holds the home', async (t) => {
  t.timeout(240_000)
  const people4 = await people(t, ['Ada', 'Ben', 'Cy', 'Dee'])
  const { env, cosmic } = people4
  const homes = people4.homes as { ada: string; ben: string; cy: string; dee: string }
  t.is((await cosmic(homes.ada, 'sphere', 'create', 'Night', 'writers')).code, 0)
  t.is((await cosmic(homes.ada, 'sphere', 'post', 'night', 'For members only.')).code, 0)

  // Ada makes a code she approves, and leaves `cosmic sync` running.
  const invite = await cosmic(homes.ada, '--json', 'sphere', 'invite', 'night', '--approve', '--no-wait')
  t.is(invite.code, 0, invite.stderr)
  const code = JSON.parse(invite.stdout).code as string
  t.is(JSON.parse(invite.stdout).approve, true)
  const sync = background(t, ['--home', homes.ada, 'sync'], env)
  await sync.waitFor(/Online for 1 sphere/)

  // Ben asks; his CLI says it waits for approval.
  const benJoin = cosmic(homes.ben, 'sphere', 'join', code, '--timeout', '120s')
  let pending: { id: string; name: string; identity: string; status: string }[] = []
  const end = Date.now() + 60_000
  while (pending.length === 0 && Date.now() < end) {
    const listed = await cosmic(homes.ada, '--json', 'sphere', 'requests')
    t.is(listed.code, 0, `the list runs in the process that holds the home: ${listed.stderr}`)
    pending = JSON.parse(listed.stdout).requests
    if (pending.length === 0) await new Promise((r) => setTimeout(r, 500))
  }
  t.alike(
    pending.map((r) => [r.name, r.status]),
    [['Ben', 'pending']],
    'Ben waits, listed by name'
  )
  await sync.waitFor(/Ben \(identity [0-9a-f]{12}…\) asks to join Night writers \(request [0-9a-f]{16}\)/)
  t.pass('sync says who asks, and how to decide')
  const shown = await cosmic(homes.ada, 'sphere', 'requests', 'night')
  t.ok(/Ben .* asks to join Night writers .*waiting now/.test(shown.stdout), shown.stdout)
  t.ok(/Let them in: cosmic sphere approve [0-9a-f]{12} ID/.test(shown.stdout), shown.stdout)

  const approved = await cosmic(homes.ada, 'sphere', 'approve', 'night', 'Ben')
  t.is(approved.code, 0, approved.stderr)
  t.ok(/^Approved: Ben \([0-9a-f]{12}\) is a member of Night writers now\./.test(approved.stdout), approved.stdout)
  const benDone = await benJoin
  t.is(benDone.code, 0, benDone.stderr)
  t.ok(
    benDone.stderr.includes('waiting for them to approve your request (up to 2 min'),
    `the joiner says it waits for approval: ${benDone.stderr}`
  )
  t.ok(benDone.stdout.startsWith('Joined Night writers'), benDone.stdout)
  const benStatus = JSON.parse((await cosmic(homes.ben, '--json', 'status')).stdout)
  t.is(pending[0]?.identity, benStatus.author, 'the request named him by his identity key')
  const again = await cosmic(homes.ada, 'sphere', 'approve', 'night', pending[0]?.id ?? '')
  t.is(again.code, 2)
  t.ok(again.stderr.includes('CONFLICT: the request from Ben to join Night writers was already approved'), again.stderr)

  // Cy asks with a code made through the running sync; Ada denies from another terminal.
  const second = await cosmic(homes.ada, '--json', 'sphere', 'invite', 'night', '--approve')
  t.is(second.code, 0, second.stderr)
  const cyJoin = cosmic(homes.cy, 'sphere', 'join', JSON.parse(second.stdout).code, '--timeout', '120s')
  await sync.waitFor(/Cy \(identity/)
  const denied = await cosmic(homes.ada, 'sphere', 'deny', 'night', 'Cy')
  t.is(denied.code, 0, denied.stderr)
  t.ok(/^Denied the request of Cy .* they are told now \(JOIN_DENIED\)/.test(denied.stdout), denied.stdout)
  const cyDone = await cyJoin
  t.is(cyDone.code, 2, 'the denied joiner fails')
  t.ok(
    /JOIN_DENIED: a person on the home that made the invite denied your request to join/.test(cyDone.stderr),
    cyDone.stderr
  )
  const missing = await cosmic(homes.ada, 'sphere', 'deny', 'night', '0123456789abcdef')
  t.is(missing.code, 2)
  t.ok(missing.stderr.includes('NOT_FOUND: no request to join Night writers is "0123456789abcdef"'), missing.stderr)
  t.is(await sync.stop(), 0, 'sync stops on Ctrl-C')

  // A waiting `cosmic sphere invite --approve` holds the home; approving from another terminal goes through it.
  const inviter = background(
    t,
    ['--home', homes.ada, 'sphere', 'invite', 'night', '--approve', '--wait-for', '2m'],
    env
  )
  const [, deeCode] = await inviter.waitFor(/cosmic sphere join ([a-z0-9]+)/)
  const deeJoin = cosmic(homes.dee, 'sphere', 'join', deeCode ?? '', '--timeout', '120s')
  const [, deeRequest] = await inviter.waitFor(
    /Dee \(identity [0-9a-f]{12}…\) asks to join Night writers \(request ([0-9a-f]{16})\)/
  )
  t.ok(inviter.output().includes(`cosmic sphere approve`), 'it says how to decide from another terminal')
  const viaInviter = await cosmic(homes.ada, 'sphere', 'approve', 'night', deeRequest ?? '')
  t.is(viaInviter.code, 0, viaInviter.stderr)
  t.is((await deeJoin).code, 0, 'Dee joined')
  t.is(await inviter.exited, 0, 'the inviter exits once Dee is in')
  t.ok(/Dee joined/.test(inviter.output()), inviter.output())

  const members = JSON.parse((await cosmic(homes.ada, '--json', 'sphere', 'members', 'night')).stdout)
  t.alike(members.members.map((m: { name: string }) => m.name).sort(), ['Ada', 'Ben', 'Dee'], 'Cy is not a member')
  const all = JSON.parse((await cosmic(homes.ada, '--json', 'sphere', 'requests', '--all')).stdout)
  t.alike(
    all.requests.map((r: { name: string; status: string }) => [r.name, r.status]),
    [
      ['Ben', 'approved'],
      ['Cy', 'denied'],
      ['Dee', 'approved']
    ],
    'the home keeps what it decided'
  )
  const syncBen = runCli(['--home', homes.ben, 'sync', '--once', '--timeout', '30s'], { env })
  await cosmic(homes.ada, 'sync', '--once', '--timeout', '30s')
  await syncBen
  const feed = JSON.parse((await cosmic(homes.ben, '--json', 'sphere', 'feed', 'night')).stdout)
  t.ok(
    feed.items.some((i: { body: { text: string } }) => i.body.text === 'For members only.'),
    'an approved member reads'
  )
})

test('a waiting cosmic sphere invite --approve on a terminal asks yes or no, and yes lets them in', async (t) => {
  t.timeout(150_000)
  const { env, cosmic, homes } = await people(t, ['Ada', 'Ben'])
  const { ada, ben } = homes as { ada: string; ben: string }
  t.is((await cosmic(ada, 'sphere', 'create', 'Porch')).code, 0)

  // util-linux `script` gives the inviter a terminal (a pseudo-terminal), as a person has.
  const command = [process.execPath, CLI, '--home', ada, 'sphere', 'invite', 'porch', '--approve', '--wait-for', '2m']
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(' ')
  const inviter = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { ...process.env, COSMIC_PASSPHRASE: PASSPHRASE, COSMIC_HOME: '', ...env },
    stdio: ['pipe', 'pipe', 'pipe']
  })
  t.teardown(() => {
    inviter.kill('SIGKILL')
  })
  let out = ''
  inviter.stdout.on('data', (d) => {
    out += d
  })
  const exited = new Promise<number | null>((resolve) => inviter.on('close', resolve))
  const waitFor = async (pattern: RegExp) => {
    const end = Date.now() + 60_000
    while (Date.now() < end) {
      const match = pattern.exec(out)
      if (match) return match
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`no ${pattern} within 60 s: ${out}`)
  }
  const [, code] = await waitFor(/cosmic sphere join ([a-z0-9]+)/)
  const joining = cosmic(ben, 'sphere', 'join', code ?? '', '--timeout', '100s')
  await waitFor(/Ben \(identity [0-9a-f]{12}…\) asks to join Porch\. Let them in\? \[y\/N\] /)
  inviter.stdin.write('y\r')
  const joined = await joining
  t.is(joined.code, 0, `yes let Ben in: ${joined.stderr}`)
  await waitFor(/Approved: Ben \([0-9a-f]{12}\) is a member of Porch now\./)
  t.is(await exited, 0, `the inviter exits once Ben is in: ${out}`)
  t.ok(/Ben joined/.test(out), out)
})
