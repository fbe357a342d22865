// Issue 5: removing or losing a member stops their access to what is shared afterwards.
// Three homes (A, admin; B; C) in one sphere, replicated in process by stream pipes
// (the swarm has its own test: test/swarm-spheres.test.ts). A removes C; the sphere moves
// to a new key; B's device follows by itself; A and B share new words. C keeps the old
// key and is even handed the new epoch's ciphertext (the test forces the download, as a
// seeder that admits anyone or a member forwarding blocks would): nothing shared after
// the removal is readable to C, in any file of C's home or in anything C can decrypt.
// The control: the same bytes on C's disk, decrypted with the new key, hold every word.
import Autobase from 'autobase'
import test from 'brittle'
import type Corestore from 'corestore'
import { discoveryKey } from 'hypercore-crypto'
import { fromHex, randomBytes, toHex } from '../src/events/crypto.js'
import type { Home } from '../src/store/home.js'
import { openEpochKeys } from '../src/swarm/epoch-keys.js'
import { signWriterBinding } from '../src/swarm/sphere.js'
import type { SphereChain } from '../src/swarm/sphere-chain.js'
import { sphereMatchIndex } from '../src/swarm/sphere-matches.js'
import { Spheres } from '../src/swarm/spheres.js'
import { createHome, filesContaining, readAllFiles } from './helpers/home.js'
import { codeOf, until } from './helpers/wait.js'

type T = test.Test

interface Peer {
  name: string
  home: Home
  path: string
  spheres: Spheres
  /** Closes its spheres (once). */
  close(): Promise<void>
}

async function peer(t: T, name: string, options: { encryptAtRest?: boolean } = {}): Promise<Peer> {
  const { home, path } = await createHome(t, { name, ...options })
  const spheres = await Spheres.open(home, { testing: true })
  let closed = false
  const peer: Peer = {
    name,
    home,
    path,
    spheres,
    async close() {
      if (closed) return
      closed = true
      await spheres.close()
    }
  }
  t.teardown(() => peer.close(), { order: -2 })
  return peer
}

function pipe(t: T, a: Corestore, b: Corestore): () => void {
  const s1 = a.replicate(true)
  const s2 = b.replicate(false)
  s1.pipe(s2).pipe(s1)
  const stop = () => {
    s1.destroy()
    s2.destroy()
  }
  t.teardown(stop)
  return stop
}

/**
 * What `cosmic sphere join` does once a member answered an invite, without the swarm:
 * the joiner binds a new device to the sphere, the admin admits it, the joiner records
 * the sphere's keys (epoch 0's: this helper is for spheres never rotated).
 */
async function admit(admin: Peer, joiner: Peer, sphereKey: string): Promise<void> {
  const namespace = toHex(randomBytes(16))
  const writer = await Autobase.getLocalKey(joiner.spheres.store.namespace(namespace))
  const identity = joiner.home.keys.identity
  const { sphere } = await admin.spheres.get(sphereKey)
  await sphere.publish('sphere.member.added', {
    member: toHex(identity.publicKey),
    writer: toHex(writer),
    name: joiner.name,
    proof: toHex(signWriterBinding(identity, discoveryKey(fromHex(sphereKey)), writer)),
    peer: toHex(joiner.spheres.swarmKeyPair.publicKey)
  })
  const record = admin.spheres.registry.get(sphereKey)
  if (!record) throw new Error('no record')
  await joiner.spheres.registry.put({
    key: record.key,
    encryptionKey: record.encryptionKey,
    namespace,
    name: record.name,
    role: 'member',
    joined: Date.now(),
    invites: []
  })
}

const texts = async (chain: SphereChain) => {
  await chain.update()
  return (await chain.feed({ limit: 500 })).map((i) => (i.body as { text: string }).text)
}

async function chainOf(p: Peer, key: string): Promise<SphereChain> {
  return (await p.spheres.get(key)).sphere
}

// Reading raw blocks the way Autobase does: a test-only reach into Autobase 7's
// writer encryption (as in test/privacy.test.ts), which fails loudly if it moves.
interface AutobaseInternals {
  getWriterEncryption(): unknown
}

/** Every block of a core in `store`, decrypted with `encryption` (null: as stored), concatenated. */
async function blocksOf(store: Corestore, key: Uint8Array, encryption: unknown): Promise<Buffer> {
  const core = store.get({ key, valueEncoding: 'binary', encryption } as Corestore.GetOptions)
  await core.ready()
  const parts: Buffer[] = []
  try {
    for (let i = 0; i < core.length; i++) {
      const block = await core.get(i, { wait: false })
      if (block) parts.push(Buffer.from(block as Uint8Array))
    }
  } finally {
    await core.close()
  }
  return Buffer.concat(parts)
}

function holds(haystack: Buffer, word: string): boolean {
  return haystack.toString('latin1').toLowerCase().includes(word.toLowerCase())
}

test('A removes C: the sphere moves to a new key; B follows; C cannot read anything shared afterwards, even holding its ciphertext', async (t) => {
  t.timeout(180_000)
  const a = await peer(t, 'Ada')
  // B's journal is not encrypted at rest (test-only): the control for the file scan below.
  const b = await peer(t, 'Ben', { encryptAtRest: false })
  const c = await peer(t, 'Cy')
  const created = await a.spheres.create('Three')
  const key = created.key
  await admit(a, b, key)
  await admit(a, c, key)
  pipe(t, a.spheres.store, b.spheres.store)
  const stopAC = pipe(t, a.spheres.store, c.spheres.store)
  const stopBC = pipe(t, b.spheres.store, c.spheres.store)
  const [onA, onB, onC] = [await chainOf(a, key), await chainOf(b, key), await chainOf(c, key)]
  await until(
    async () => {
      await onB.update()
      await onC.update()
      return onB.writable && onC.writable
    },
    'B and C to become writers',
    60_000
  )

  // Before the removal: everyone shares, everyone reads.
  const before = ['marmalade-lighthouse', 'quokka-harbour', 'zeppelin-orchard']
  await a.spheres.post(key, `Ada before: ${before[0]}`)
  await b.spheres.post(key, `Ben before: ${before[1]}`)
  await c.spheres.post(key, `Cy before: ${before[2]}`)
  for (const chain of [onA, onB, onC]) {
    await until(async () => (await texts(chain)).length === 3, 'three posts everywhere', 60_000)
  }

  // A removes C: the removal and the rotation, in one command.
  const removing = Date.now()
  const removed = await a.spheres.remove(key, onC.me)
  const removedIn = Date.now() - removing
  t.is(removed.removed, onC.me)
  t.is(removed.rotation.epoch, 1, 'the sphere moved to epoch 1')
  t.is(removed.rotation.members, 2, 'its key sealed to A and B')
  t.is(onA.newest.epoch, 1)
  t.ok(onA.writable, 'A writes in epoch 1 (its device started it)')

  // B's device follows by itself: it opens its box, asks in epoch 0, A's device admits it.
  await until(
    async () => {
      await onA.update()
      await onB.update()
      return onB.newest.epoch === 1 && onB.writable
    },
    'B to follow into epoch 1 and be admitted',
    60_000
  )
  t.comment(
    `remove + rotate on A: ${removedIn} ms; B followed and was admitted ${Date.now() - removing} ms after the removal began`
  )
  const bList = (await b.spheres.list())[0]
  t.is(bList?.epoch, 1, "B's sphere list shows epoch 1")
  t.ok(bList && !bList.pending && !bList.leftBehind && bList.rotated !== null)
  t.alike((await onB.members()).map((m) => m.name).sort(), ['Ada', 'Ben'])

  // After the removal, A and B share new words (posts and an entry).
  const after = ['ultramarine-afterword', 'saffron-afterthought', 'obsidian-aftermath']
  await a.spheres.post(key, `Ada after: ${after[0]}`)
  await b.spheres.post(key, `Ben after: ${after[1]}`)
  const [entry] = await b.home.append([
    { type: 'reflection.recorded', body: { text: `Shared later: ${after[2]}`, tags: [] }, privacy: 'shareable' }
  ])
  await b.spheres.shareEntry(key, toHex(entry?.id as Uint8Array))
  for (const chain of [onA, onB]) {
    await until(async () => (await texts(chain)).length === 6, 'six items on A and B', 60_000)
  }
  const bText = (await texts(onB)).join('\n')
  for (const word of [...before, ...after]) t.ok(bText.includes(word), `B reads ${word}`)
  const fed = await onB.feed({ limit: 500 })
  t.alike(fed.filter((i) => i.epoch === 1).map((i) => i.id).length, 3, 'what came after the removal is in epoch 1')

  // C: the sphere moved on without it. It cannot write, and its key opens nothing new.
  await onC.update()
  const cState = await onC.keyState()
  t.ok(cState.leftBehind, 'C sees that the sphere moved to a key it was not given')
  t.is(cState.epoch, 0)
  t.ok((await c.spheres.list())[0]?.leftBehind)
  t.is(await codeOf(c.spheres.post(key, 'still here?')), 'CONFLICT')
  const rotation = await onC.current.rotation()
  t.is(rotation?.epoch, 1)
  t.absent(
    rotation?.keys.some((k) => k.member === onC.me),
    'no box for C'
  )
  for (const k of rotation?.keys ?? []) {
    const opened = openEpochKeys(c.home.keys.identity, fromHex(k.box), {
      sphere: fromHex(key),
      epoch: 1,
      previous: fromHex(key)
    })
    t.is(opened, null, `C cannot open the box sealed to ${k.member.slice(0, 8)}`)
  }
  const cText = (await texts(onC)).join('\n')
  for (const word of before) t.ok(cText.includes(word), `C still reads history: ${word}`)
  for (const word of after) t.absent(cText.includes(word), `C's sphere does not show ${word}`)

  // Force the new epoch's ciphertext onto C's disk: C asks A (still piped) for every core
  // of epoch 1 by key, as if it had learned the keys, and downloads every block.
  const epoch1 = onA.newest
  const writers = (await epoch1.sphere.members()).flatMap((m) => m.writers)
  const viewKey = epoch1.sphere.base.view.core.key as Uint8Array
  const cores = [...writers.map(fromHex), viewKey]
  t.is(writers.length, 2, "epoch 1 has A's and B's devices")
  for (const coreKey of cores) {
    const want = c.spheres.store.get({ key: coreKey })
    await want.ready()
    await until(async () => want.length > 0, 'C to learn the length of an epoch 1 core', 30_000)
    await want.download({ start: 0, end: want.length }).done()
    for (let i = 0; i < want.length; i++) t.ok(await want.has(i), `C holds block ${i} of ${toHex(coreKey).slice(0, 8)}`)
    await want.close()
  }
  stopAC()
  stopBC()

  // What C can decrypt: every block of every epoch 1 writer, with every key C holds
  // (epoch 0's writer encryption), and as stored. No word shared after the removal.
  const cBase = onC.newest.sphere.base as unknown as AutobaseInternals
  const cStore = c.spheres.store
  for (const writer of writers) {
    const asStored = await blocksOf(cStore, fromHex(writer), null)
    const withOldKey = await blocksOf(cStore, fromHex(writer), cBase.getWriterEncryption())
    t.ok(asStored.byteLength > 0, `C holds ${asStored.byteLength} bytes of ${writer.slice(0, 8)}`)
    for (const word of after) {
      t.absent(holds(asStored, word), `${word} is not in C's copy as stored`)
      t.absent(holds(withOldKey, word), `${word} is not in C's copy decrypted with the old key`)
    }
  }
  const viewAsStored = await blocksOf(cStore, viewKey, null)
  for (const word of after) t.absent(holds(viewAsStored, word), `${word} is not in C's copy of the new view`)

  // Control: the very same bytes on C's disk, decrypted with the new key (B's), hold every word.
  const bBase = onB.newest.sphere.base as unknown as AutobaseInternals
  if (typeof bBase.getWriterEncryption !== 'function') throw new Error('Autobase internals moved: update this test')
  const withNewKey = Buffer.concat(
    await Promise.all(writers.map((w) => blocksOf(cStore, fromHex(w), bBase.getWriterEncryption())))
  )
  for (const word of after) t.ok(holds(withNewKey, word), `the new key reads ${word} in C's copy`)

  // Every file of C's home, every store closed: no word shared after the removal, and
  // not the new epoch's encryption key.
  const newKey = epoch1.encryptionKey
  await c.close()
  for (const word of after) t.alike(await filesContaining(c.path, word), [], `no file of C holds ${word}`)
  t.alike(await filesContaining(c.path, toHex(newKey)), [], "no file of C holds the new key's hex")
  const raw = (await readAllFiles(c.path)).filter((f) => f.bytes.includes(Buffer.from(newKey)))
  t.alike(
    raw.map((f) => f.path),
    [],
    'nor its bytes'
  )
  // Control: the same scan finds the shared entry's words where they are in plain text
  // (B's own journal, test-only unencrypted).
  await b.close()
  t.ok((await filesContaining(b.path, after[2] as string)).length > 0, 'the scan finds words where they are readable')
})

test('a member who leaves: an admin device moves the sphere to a new key; the leaver gets none of it', async (t) => {
  t.timeout(180_000)
  const a = await peer(t, 'Ada')
  const b = await peer(t, 'Ben')
  const d = await peer(t, 'Dee')
  const { key } = await a.spheres.create('Leaving')
  await admit(a, b, key)
  await admit(a, d, key)
  pipe(t, a.spheres.store, b.spheres.store)
  pipe(t, a.spheres.store, d.spheres.store)
  pipe(t, b.spheres.store, d.spheres.store)
  const [onA, onB, onD] = [await chainOf(a, key), await chainOf(b, key), await chainOf(d, key)]
  await until(
    async () => {
      await onB.update()
      await onD.update()
      return onB.writable && onD.writable
    },
    'B and D to become writers',
    60_000
  )
  await a.spheres.post(key, 'history from epoch 0')
  const [entry] = await a.home.append([
    { type: 'reflection.recorded', body: { text: 'shared in epoch 0, withdrawn in 1', tags: [] }, privacy: 'shareable' }
  ])
  const entryId = toHex(entry?.id as Uint8Array)
  await a.spheres.shareEntry(key, entryId)
  // Shared facets feed matching: Ben's and Dee's, in epoch 0.
  for (const p of [b, d]) {
    await p.home.append([
      {
        type: 'profile.set',
        body: { dimension: 'mind', facet: 'interest', key: 'tidepools' },
        privacy: 'shareable'
      }
    ])
    await p.spheres.shareFacet(key, 'mind/interest/tidepools')
  }
  await until(async () => (await texts(onD)).length === 2, 'D to read both', 60_000)
  await until(async () => (await onA.facets()).length === 2, "A to hold Ben's and Dee's facets", 60_000)
  const dee = onD.me

  // Dee leaves: her device tells the others and forgets everything.
  const left = await d.spheres.leave(key)
  t.ok(left.told, 'the others were told')
  t.is(await codeOf(d.spheres.get(key)), 'NOT_FOUND')

  // A's device sees the departure and rotates; B follows.
  await until(
    async () => {
      await onA.update()
      await onB.update()
      return onA.newest.epoch === 1 && onB.newest.epoch === 1 && onB.writable
    },
    'the rotation after Dee left, and B following',
    90_000
  )
  const rotation = await onA.epochs[0]?.sphere.rotation()
  t.is(rotation?.cause, 'departure')
  t.absent(
    rotation?.keys.some((k) => k.member === dee),
    'not sealed to Dee'
  )
  await b.spheres.post(key, 'after Dee left')
  await until(async () => (await texts(onA)).includes('after Dee left'), 'A to read it', 60_000)
  t.alike(
    await texts(onA),
    ['after Dee left', 'shared in epoch 0, withdrawn in 1', 'history from epoch 0'],
    'history reads on across epochs'
  )
  // Matching reads across epochs: Ben's facet of epoch 0 counts; Dee's left with her.
  const facets = await onA.facets()
  t.alike(
    facets.map((f) => f.member),
    [onB.me],
    "only Ben's facet, shared in epoch 0, is still in the sphere"
  )
  t.ok((await sphereMatchIndex(onA)).index.has(onB.me), 'Ben is in the match index read across epochs')
  t.absent((await sphereMatchIndex(onA)).index.has(dee), 'Dee is not')
  // Withdrawing an item of epoch 0 from epoch 1: every member hides it.
  await a.spheres.unshare(entryId)
  await until(async () => (await texts(onB)).length === 2, 'B to hide the withdrawn entry', 60_000)
  t.alike(await texts(onB), ['after Dee left', 'history from epoch 0'])

  // A manual rotation for a clean cut: B follows again; only an admin may do it.
  t.is(await codeOf(b.spheres.rotate(key)), 'ADMIN_REQUIRED')
  const manual = await a.spheres.rotate(key)
  t.is(manual.epoch, 2)
  await until(
    async () => {
      await onA.update()
      await onB.update()
      return onB.newest.epoch === 2 && onB.writable
    },
    'B to follow into epoch 2',
    90_000
  )
  await b.spheres.post(key, 'in epoch 2')
  await until(async () => (await texts(onA)).length === 3, 'A to read epoch 2', 60_000)
  t.alike(
    (await onA.feed()).map((i) => i.epoch),
    [2, 1, 0]
  )
  const listed = (await a.spheres.list())[0]
  t.is(listed?.epoch, 2)
  t.is(
    listed?.items,
    4,
    "items counted across epochs: three posts and Ben's facet (not the withdrawn entry, not Dee's facet)"
  )

  // Restarting keeps every epoch: B reopens its home's spheres and reads and writes on.
  await b.close()
  const again = await Spheres.open(b.home, { testing: true })
  t.teardown(() => again.close(), { order: -2 })
  const reopened = await chainOf({ ...b, spheres: again }, key)
  t.is(reopened.newest.epoch, 2)
  t.ok(reopened.writable, 'B still writes in epoch 2 after a restart')
  t.alike((await texts(reopened)).sort(), ['after Dee left', 'history from epoch 0', 'in epoch 2'])
})

test('a device that was away through two rotations follows them one after the other', async (t) => {
  t.timeout(180_000)
  const a = await peer(t, 'Ada')
  const b = await peer(t, 'Ben')
  const { key } = await a.spheres.create('Away')
  await admit(a, b, key)
  let stop = pipe(t, a.spheres.store, b.spheres.store)
  const [onA, onB] = [await chainOf(a, key), await chainOf(b, key)]
  await until(
    async () => {
      await onB.update()
      return onB.writable
    },
    'B to become a writer',
    60_000
  )
  await a.spheres.post(key, 'epoch 0')
  await until(async () => (await texts(onB)).length === 1, 'B to read epoch 0', 60_000)

  // B goes away; A rotates twice and writes in between.
  stop()
  t.is((await a.spheres.rotate(key)).epoch, 1)
  await a.spheres.post(key, 'epoch 1')
  t.is((await a.spheres.rotate(key)).epoch, 2)
  await a.spheres.post(key, 'epoch 2')
  t.alike(
    (await onA.members()).map((m) => [m.name, m.writers.length]).sort(),
    [
      ['Ada', 1],
      ['Ben', 0]
    ],
    'in epoch 2, Ben holds the key; his device is not admitted yet'
  )

  // B is back: its device follows into epoch 1 (admitted there by A's device, though that
  // epoch is retired), asks there for epoch 2, and is admitted.
  stop = pipe(t, a.spheres.store, b.spheres.store)
  await until(
    async () => {
      await onA.update()
      await onB.update()
      return onB.newest.epoch === 2 && onB.writable
    },
    'B to follow through both rotations',
    90_000
  )
  t.alike((await onB.epochs[1]?.sphere.member(onB.me))?.writers.length, 1, 'B has a device in epoch 1 too')
  await b.spheres.post(key, 'Ben is back')
  await until(async () => (await texts(onA)).includes('Ben is back'), 'A to read it', 60_000)
  t.alike(await texts(onB), ['Ben is back', 'epoch 2', 'epoch 1', 'epoch 0'])
  t.is(await codeOf(b.spheres.rotate(key)), 'ADMIN_REQUIRED')

  // The only admin leaves: Ben, the longest-standing member left, becomes one, and his
  // device moves the sphere to a key Ada never receives.
  const ada = onA.me
  await a.spheres.leave(key)
  await until(
    async () => {
      await onB.update()
      return onB.newest.epoch === 3 && onB.writable
    },
    "Ben's device to rotate after the admin left",
    90_000
  )
  t.ok((await onB.member(onB.me))?.admin, 'Ben is an admin now')
  const rotation = await onB.epochs[2]?.sphere.rotation()
  t.is(rotation?.by, onB.me)
  t.is(rotation?.cause, 'departure')
  t.alike(
    rotation?.keys.map((k) => k.member),
    [onB.me],
    'sealed to Ben alone'
  )
  t.absent(rotation?.keys.some((k) => k.member === ada))
})
