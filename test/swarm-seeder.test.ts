import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import Autobase from 'autobase'
import test from 'brittle'
import Corestore from 'corestore'
import Hyperbee from 'hyperbee'
import { discoveryKey } from 'hypercore-crypto'
import HyperDHT from 'hyperdht'
import createTestnet from 'hyperdht/testnet.js'
import Hyperswarm from 'hyperswarm'
import { Seeder } from '../src/swarm/seeder.js'
import { formatSeederKey, parseSeederKey, Seeding, seedAutobase } from '../src/swarm/seeding.js'

// A minimal Autobase of its own (not the sphere module): the first writer adds others in
// apply, everything else is a key/value put into a Hyperbee view. `store` is closed with
// the base: pass `store.session()` or `store.namespace(name)` (never a session of a
// namespace: Corestore 7's session() drops the namespace).
type Operation = { readonly add: string } | { readonly key: string; readonly value: string }
type TestBase = Autobase<Hyperbee<string, string>, Operation>

function openBase(store: Corestore, key: Uint8Array | null, encryptionKey: Uint8Array | null): TestBase {
  return new Autobase<Hyperbee<string, string>, Operation>(store, key, {
    valueEncoding: 'json',
    open: (viewStore) =>
      new Hyperbee(viewStore.get({ name: 'view' }), { keyEncoding: 'utf-8', valueEncoding: 'utf-8', extension: false }),
    async apply(nodes, view, host) {
      for (const node of nodes) {
        const operation = node.value
        if (operation === null) continue
        if ('add' in operation) await host.addWriter(Buffer.from(operation.add, 'hex'), { indexer: false })
        else await view.put(operation.key, operation.value)
      }
    },
    ...(encryptionKey ? { encrypt: true, encryptionKey } : {}),
    ackInterval: 0,
    ackThreshold: 0,
    fastForward: false
  })
}

type Teardown = (fn: () => unknown, opts?: { order?: number }) => void

/** A member: its own Corestore and a DHT node on the loopback testnet. Closing it takes it offline. */
async function createMember(dir: string, bootstrap: { host: string; port: number }[], teardown: Teardown) {
  const store = new Corestore(dir)
  let swarm: Hyperswarm | null = null
  let online = true
  const member = {
    store,
    localKey: await Autobase.getLocalKey(store),
    get swarm(): Hyperswarm {
      swarm ??= new Hyperswarm({ dht: new HyperDHT({ bootstrap, host: '127.0.0.1' }) })
      return swarm
    },
    async offline() {
      if (!online) return
      online = false
      if (swarm) await swarm.destroy()
      await store.close()
    }
  }
  teardown(() => member.offline())
  return member
}

const SEEDER_MODULE = new URL('../src/swarm/seeder.js', import.meta.url).href

/** Runs an ES module snippet in a child process and returns what it printed. */
function runNode(source: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', source], { timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout.trim())
    )
  })
}

async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name))
}

/** Every needle found in any file under `dir`, byte for byte or lower-cased. */
async function scan(dir: string, needles: readonly Buffer[]): Promise<Set<number>> {
  const found = new Set<number>()
  for (const file of await filesUnder(dir)) {
    const bytes = await readFile(file)
    const lower = Buffer.from(bytes.toString('latin1').toLowerCase(), 'latin1')
    needles.forEach((needle, index) => {
      if (bytes.includes(needle) || lower.includes(needle)) found.add(index)
    })
  }
  return found
}

/**
 * A writes words into a base and asks a seeder to keep it, then goes offline (swarm and
 * store closed) before B opens the base at all: B can only get the words from the seeder.
 */
async function shareThroughSeeder(t: test.Test, bootstrap: { host: string; port: number }[], encrypted: boolean) {
  const dir = await t.tmp()
  const words = ['quokka', 'marmalade', 'zeppelin'].map((word) => `${word}${randomBytes(4).toString('hex')}`)
  const encryptionKey = encrypted ? randomBytes(32) : null
  const seeder = new Seeder({ storage: join(dir, 'seeder'), bootstrap, host: '127.0.0.1' })
  await seeder.start()
  t.teardown(() => seeder.close())

  const a = await createMember(join(dir, 'a'), bootstrap, t.teardown)
  const b = await createMember(join(dir, 'b'), bootstrap, t.teardown)

  const baseA = openBase(a.store.session(), null, encryptionKey)
  await baseA.ready()
  await baseA.append({ add: Buffer.from(b.localKey).toString('hex') })
  await baseA.append({ key: 'before-seeding', value: `${words[0]} ${words[1]}` })

  const startedSeeding = Date.now()
  const seedingA = new Seeding(a.swarm.dht, a.store, { seeders: [seeder.publicKey] })
  await seedAutobase(seedingA, baseA)
  await baseA.append({ key: 'while-seeding', value: words[2]! })
  await eventually('the seeder holds every block A wrote', () => seeder.holds(baseA.local.key!, baseA.local.length))
  const heldAfter = Date.now() - startedSeeding
  const stats = seeder.stats()
  t.ok(stats.cores >= 1 && stats.bytes > 0, `seeder keeps ${stats.cores} cores, ${stats.bytes} bytes`)
  t.alike(await seeder.spheres(), [baseA.key], 'of one sphere')
  const baseKey = baseA.key

  await seedingA.close()
  await baseA.close()
  await a.offline()

  const startedB = Date.now()
  const baseB = openBase(b.store.session(), baseKey, encryptionKey)
  const seedingB = new Seeding(b.swarm.dht, b.store, { seeders: [seeder.publicKey] })
  await seedAutobase(seedingB, baseB)
  let seen: string[] = []
  await eventually('B reads every word', async () => {
    await baseB.update()
    const before = await baseB.view.get('before-seeding')
    const during = await baseB.view.get('while-seeding')
    seen = [before?.value ?? '', during?.value ?? '']
    return before !== null && during !== null
  })
  const caughtUpAfter = Date.now() - startedB
  t.alike(seen, [`${words[0]} ${words[1]}`, words[2]], 'B has what A wrote, from the seeder alone')
  t.ok(baseB.writable, "A's add-writer reached B: B can write to the base")
  t.alike(seedingB.connectedSeeders(), [seeder.publicKey], 'B is connected to the seeder')

  await seedingB.close()
  await baseB.close()
  await b.offline()
  await seeder.close() // everything on disk before the scan
  return { storage: join(dir, 'seeder'), words, encryptionKey, heldAfter, caughtUpAfter }
}

test('A shares and goes offline; B gets the data from the seeder; the seeder stored only ciphertext', async (t) => {
  t.timeout(120_000)
  const testnet = await createTestnet(3, { host: '127.0.0.1', teardown: t.teardown })

  const sealed = await shareThroughSeeder(t, testnet.bootstrap, true)
  t.comment(
    `encrypted: seeder held A's blocks ${sealed.heldAfter} ms after seeding began; B caught up in ${sealed.caughtUpAfter} ms`
  )
  const needles = [...sealed.words, sealed.encryptionKey!].map((needle) => Buffer.from(needle))
  const files = await filesUnder(sealed.storage)
  t.ok(files.length > 3, `scanned ${files.length} files of the seeder's storage`)
  t.is((await scan(sealed.storage, needles)).size, 0, 'no word and no sphere key anywhere in the seeder storage')

  // The same path without encryption: the same scan must find the words, or it proves nothing.
  const control = await shareThroughSeeder(t, testnet.bootstrap, false)
  t.comment(`unencrypted control: held after ${control.heldAfter} ms; B caught up in ${control.caughtUpAfter} ms`)
  const found = await scan(
    control.storage,
    control.words.map((word) => Buffer.from(word))
  )
  t.is(found.size, control.words.length, 'the scan finds every word in an unencrypted seeder storage')
})

test('a seeder keeps only the spheres it is asked to, and refuses peers that are not members', async (t) => {
  t.timeout(90_000)
  const testnet = await createTestnet(3, { host: '127.0.0.1', teardown: t.teardown })
  const dir = await t.tmp()
  const a = await createMember(join(dir, 'a'), testnet.bootstrap, t.teardown)
  const outsider = await createMember(join(dir, 'outsider'), testnet.bootstrap, t.teardown)
  const encryptionKey = randomBytes(32)

  const kept = openBase(a.store.namespace('kept'), null, encryptionKey)
  const other = openBase(a.store.namespace('other'), null, encryptionKey)
  await kept.ready()
  await other.ready()
  await kept.append({ key: 'k', value: 'kept' })
  await other.append({ key: 'k', value: 'other' })

  const seeder = new Seeder({
    storage: join(dir, 'seeder'),
    bootstrap: testnet.bootstrap,
    host: '127.0.0.1',
    spheres: [discoveryKey(kept.key)],
    members: [a.swarm.dht.defaultKeyPair.publicKey]
  })
  await seeder.start()
  t.teardown(() => seeder.close())

  const seedingA = new Seeding(a.swarm.dht, a.store, { seeders: [seeder.publicKey] })
  t.teardown(() => seedingA.close())
  t.alike(seedingA.memberKey, a.swarm.dht.defaultKeyPair.publicKey, 'memberKey is what the seeder lists')
  await seedAutobase(seedingA, kept)
  await seedAutobase(seedingA, other)

  // The outsider knows the kept sphere (its key is allowed) but is not a listed member.
  const outsiderBase = openBase(outsider.store.session(), kept.key, encryptionKey)
  const seedingOutsider = new Seeding(outsider.swarm.dht, outsider.store, { seeders: [seeder.publicKey] })
  t.teardown(() => seedingOutsider.close())
  await seedAutobase(seedingOutsider, outsiderBase)

  await eventually(
    'the kept sphere is held and the other refused',
    async () => (await seeder.holds(kept.local.key!, kept.local.length)) && seeder.stats().refused >= 1
  )
  await new Promise((resolve) => setTimeout(resolve, 1_000)) // room for anything late to land
  t.absent(await seeder.holds(other.local.key!, 0), 'a sphere outside the allow-list is not kept')
  t.absent(await seeder.holds(outsiderBase.local.key!, 0), "the outsider's core is not kept")
  t.alike(seedingOutsider.connectedSeeders(), [], 'the outsider was refused at the handshake')
  t.alike(await seeder.spheres(), [kept.key], 'one sphere kept')
  await outsiderBase.close()
  await kept.close()
  await other.close()
})

test('with announce, a member that only joins the sphere topic finds the seeder', async (t) => {
  t.timeout(90_000)
  const testnet = await createTestnet(3, { host: '127.0.0.1', teardown: t.teardown })
  const dir = await t.tmp()
  const a = await createMember(join(dir, 'a'), testnet.bootstrap, t.teardown)
  const b = await createMember(join(dir, 'b'), testnet.bootstrap, t.teardown)
  const encryptionKey = randomBytes(32)
  const seeder = new Seeder({
    storage: join(dir, 'seeder'),
    bootstrap: testnet.bootstrap,
    host: '127.0.0.1',
    members: [a.swarm.dht.defaultKeyPair.publicKey, b.swarm.keyPair.publicKey]
  })
  await seeder.start()
  t.teardown(() => seeder.close())

  const baseA = openBase(a.store.session(), null, encryptionKey)
  await baseA.append({ key: 'k', value: 'found on the topic' })
  const seedingA = new Seeding(a.swarm.dht, a.store, { seeders: [seeder.publicKey] })
  await seedAutobase(seedingA, baseA, { announce: true })
  await eventually('the seeder holds and announces A', async () => {
    return (await seeder.holds(baseA.local.key!, baseA.local.length)) && seeder.stats().announced >= 1
  })
  const baseKey = baseA.key
  await seedingA.close()
  await baseA.close()
  await a.offline()

  // B uses no seeding client: it joins the sphere's discovery key like any member would.
  const baseB = openBase(b.store.session(), baseKey, encryptionKey)
  await baseB.ready()
  b.swarm.on('connection', (conn) => b.store.replicate(conn))
  b.swarm.join(baseB.discoveryKey, { server: false, client: true })
  await eventually('B reads the entry', async () => {
    await baseB.update()
    return (await baseB.view.get('k'))?.value === 'found on the topic'
  })
  t.pass('B found the seeder on the topic and read the entry')
  await baseB.close()
})

test('a seeder keeps its key and its cores across restarts; a second one on the same storage is refused', async (t) => {
  t.timeout(60_000)
  const testnet = await createTestnet(3, { host: '127.0.0.1', teardown: t.teardown })
  const dir = await t.tmp()
  const storage = join(dir, 'seeder')
  const options = { storage, bootstrap: testnet.bootstrap, host: '127.0.0.1' }
  const a = await createMember(join(dir, 'a'), testnet.bootstrap, t.teardown)
  const base = openBase(a.store.session(), null, randomBytes(32))
  await base.append({ key: 'k', value: 'v' })

  const first = new Seeder(options)
  await first.start()
  const key = first.publicKey
  const seeding = new Seeding(a.swarm.dht, a.store, { seeders: [key] })
  await seedAutobase(seeding, base)
  await eventually('the seeder holds A', () => first.holds(base.local.key!, base.local.length))
  await seeding.close()
  await base.close()

  const second = new Seeder(options)
  await t.exception(second.start(), /HOME_LOCKED: .* is in use by another seeder/, 'in use by this process')
  const fromAnotherProcess = await runNode(
    `const { Seeder } = await import(${JSON.stringify(SEEDER_MODULE)});
     const seeder = new Seeder(${JSON.stringify({ ...options, bootstrap: testnet.bootstrap })});
     await seeder.start().then(() => console.log('started'), (err) => console.log(err.message))`
  )
  t.ok(/^HOME_LOCKED: .* is in use by another seeder/.test(fromAnotherProcess), 'in use by another process')
  await first.close()

  const again = new Seeder(options)
  await again.start()
  t.teardown(() => again.close())
  t.alike(again.publicKey, key, 'same key after a restart: members need not reconfigure')
  t.ok(await again.holds(base.local.key!, base.local.length), 'the cores are still there')
  t.is((await again.spheres()).length, 1)
})

test('seeder keys: parse what formatSeederKey prints, or hex; refuse anything else', (t) => {
  const key = randomBytes(32)
  t.alike(parseSeederKey(formatSeederKey(key)), key)
  t.alike(parseSeederKey(` ${key.toString('hex')} `), key)
  for (const bad of ['', 'abc', key.toString('hex').slice(2), `${formatSeederKey(key)}x`]) {
    t.exception(() => parseSeederKey(bad), /INVALID_INPUT: .*not a seeder key/)
  }
  t.exception(() => new Seeding({} as HyperDHT, {} as Corestore, { seeders: [] }), /INVALID_INPUT/)
})
