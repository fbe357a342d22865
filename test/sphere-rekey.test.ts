// Key rotation at the level of one sphere's Autobases (src/swarm/sphere.ts): what every
// member's apply accepts and refuses. Three devices in one process, replicated by
// stream pipes. The whole flow through Spheres (following, admitting, what a removed
// member can read) is in test/spheres-rekey.test.ts.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import b4a from 'b4a'
import test from 'brittle'
import Corestore from 'corestore'
import { discoveryKey } from 'hypercore-crypto'
import { keyPairFromSeed, randomBytes, type SigningKeyPair, toHex } from '../src/events/crypto.js'
import { encodeBlock, sealEvent } from '../src/events/envelope.js'
import {
  EPOCH_KEYS_BOX_BYTES,
  openEpochKeys,
  openFollow,
  openHistory,
  sealFollow,
  sealHistory
} from '../src/swarm/epoch-keys.js'
import { Sphere, signWriterBinding } from '../src/swarm/sphere.js'
import { epochRoster, SphereChain, sealKeysFor } from '../src/swarm/sphere-chain.js'
import { codeOf, until } from './helpers/wait.js'

type T = test.Test

interface Device {
  store: Corestore
  identity: SigningKeyPair
  atRestKey: Uint8Array
  name: string
}

async function device(t: T, name: string): Promise<Device> {
  const dir = await mkdtemp(join(tmpdir(), `cosmic-rekey-${name}-`))
  const store = new Corestore(join(dir, 'store'))
  t.teardown(async () => {
    await store.close().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  })
  return { store, identity: keyPairFromSeed(randomBytes(32)), atRestKey: randomBytes(32), name }
}

function open(t: T, d: Device, namespace: string, key: Uint8Array | null, encryptionKey: Uint8Array): Sphere {
  const sphere = new Sphere(d.store.namespace(namespace), {
    key,
    encryptionKey,
    identity: d.identity,
    atRestKey: d.atRestKey,
    testing: true
  })
  t.teardown(() => sphere.close().catch(() => {}), { order: -1 })
  return sphere
}

function replicate(t: T, a: Corestore, b: Corestore) {
  const s1 = a.replicate(true)
  const s2 = b.replicate(false)
  s1.pipe(s2).pipe(s1)
  t.teardown(() => {
    s1.destroy()
    s2.destroy()
  })
}

const hex = (bytes: Uint8Array) => toHex(bytes)

/** A (admin), B and C in epoch 0 of one sphere, every pair replicating. */
async function threeMembers(t: T) {
  const [a, b, c] = [await device(t, 'a'), await device(t, 'b'), await device(t, 'c')]
  const key0 = randomBytes(32)
  const sa = open(t, a, 'e0', null, key0)
  await sa.ready()
  await sa.publish('sphere.created', { name: 'Night writers', by: 'Ada' })
  const sb = open(t, b, 'e0', sa.key, key0)
  const sc = open(t, c, 'e0', sa.key, key0)
  await sb.ready()
  await sc.ready()
  for (const [d, s] of [
    [b, sb],
    [c, sc]
  ] as const) {
    await sa.publish('sphere.member.added', {
      member: hex(d.identity.publicKey),
      writer: hex(s.writerKey),
      name: d.name,
      proof: hex(signWriterBinding(d.identity, sa.discoveryKey, s.writerKey))
    })
  }
  replicate(t, a.store, b.store)
  replicate(t, a.store, c.store)
  replicate(t, b.store, c.store)
  await until(async () => {
    await sb.update()
    await sc.update()
    return sb.writable && sc.writable
  }, 'B and C to become writers')
  return { a, b, c, sa, sb, sc, key0 }
}

/** A starts epoch 1 for the given members (A's device is its bootstrap) and returns its keys. */
async function startEpoch1(t: T, a: Device, sa: Sphere, members: string[]) {
  const key1 = randomBytes(32)
  const s1 = open(t, a, 'e1', null, key1)
  await s1.ready()
  const roster = epochRoster((await sa.members()).filter((m) => members.includes(m.member)))
  await s1.publish('sphere.epoch.started', {
    name: 'Night writers',
    by: 'Ada',
    epoch: 1,
    sphere: sa.keyHex,
    previous: sa.keyHex,
    members: roster,
    history: hex(sealHistory(key1, [{ epoch: 0, key: sa.key, encryptionKey: randomBytes(32) }]))
  })
  const sealed = sealKeysFor(members, {
    sphere: sa.key,
    epoch: 1,
    previous: sa.key,
    key: s1.key,
    encryptionKey: key1
  })
  return { s1, key1, keys: sealed.keys }
}

async function reasons(s: Sphere, n: number, what: string): Promise<string[]> {
  await until(async () => {
    await s.update()
    return (await s.rejected()).length >= n
  }, what)
  return (await s.rejected()).map((r) => r.reason)
}

test('a rotation seals the new key to the members who stay; the removed member opens none of it', async (t) => {
  t.timeout(90_000)
  const { a, b, c, sa, sb, sc } = await threeMembers(t)
  const [A, B, C] = [a, b, c].map((d) => hex(d.identity.publicKey)) as [string, string, string]
  await sa.publish('sphere.member.removed', { member: C })
  const { s1, key1, keys } = await startEpoch1(t, a, sa, [A, B])
  await sa.publish('sphere.key.rotated', { epoch: 1, cause: 'removal', keys })

  for (const s of [sb, sc]) {
    await until(async () => {
      await s.update()
      return (await s.rotation()) !== null
    }, 'every member to apply the rotation')
  }
  const rotation = await sc.rotation()
  t.is(rotation?.epoch, 1)
  t.is(rotation?.by, A)
  t.is(rotation?.cause, 'removal')
  t.alike(rotation?.keys.map((k) => k.member).sort(), [A, B].sort(), 'sealed to A and B only')
  const expected = { sphere: sa.key, epoch: 1, previous: sa.key }
  const forB = rotation?.keys.find((k) => k.member === B)
  const opened = forB ? openEpochKeys(b.identity, b4a.from(forB.box, 'hex'), expected) : null
  t.ok(opened && b4a.equals(opened.key, s1.key) && b4a.equals(opened.encryptionKey, key1), 'B opens its box')
  for (const k of rotation?.keys ?? []) {
    t.is(openEpochKeys(c.identity, b4a.from(k.box, 'hex'), expected), null, `C cannot open the box for ${k.member}`)
  }
  t.is(
    forB ? openEpochKeys(b.identity, b4a.from(forB.box, 'hex'), { ...expected, epoch: 2 }) : 'no box',
    null,
    'a box opens only for the sphere and epoch it names'
  )

  // The retired epoch is history: nobody is admitted or removed there any more.
  const stranger = keyPairFromSeed(randomBytes(32))
  const writer = randomBytes(32)
  await sa.publish('sphere.member.added', {
    member: hex(stranger.publicKey),
    writer: hex(writer),
    name: 'Late',
    proof: hex(signWriterBinding(stranger, sa.discoveryKey, writer))
  })
  await sa.publish('sphere.member.removed', { member: B })
  const why = await reasons(sa, 2, 'both refusals')
  t.ok(why.at(-2)?.includes('moved to epoch 1: people are admitted there'), why.at(-2))
  t.ok(why.at(-1)?.includes('moved to epoch 1: members are removed there'), why.at(-1))
  t.alike((await sa.members()).map((m) => m.member).sort(), [A, B].sort())

  // The new epoch begins with A and B; B's device is admitted when it follows.
  const devices = new Map((await s1.members()).map((m) => [m.member, m.writers.length]))
  t.alike([...devices.keys()].sort(), [A, B].sort())
  t.is(devices.get(A), 1, "A's device started it")
  t.is(devices.get(B), 0, "B's device is not admitted yet")
  t.alike(await s1.epoch(), 1)
})

test('forged and invalid rotations are refused and recorded by every member', async (t) => {
  t.timeout(90_000)
  const { a, b, c, sa, sb, sc } = await threeMembers(t)
  const [A, B, C] = [a, b, c].map((d) => hex(d.identity.publicKey)) as [string, string, string]
  const { keys } = await startEpoch1(t, a, sa, [A, B, C])
  const only = (members: string[]) => keys.filter((k) => members.includes(k.member))

  // 1. A member who is not an admin.
  await sb.publish('sphere.key.rotated', { epoch: 1, cause: 'manual', keys })
  // 2. A forged signature: A's rotation with one flipped bit, appended by A's device.
  const forged = sealEvent(
    { type: 'sphere.key.rotated', body: { epoch: 1, cause: 'manual', keys }, privacy: 'shareable' },
    { seq: 90, time: Date.now(), prev: null },
    a.identity
  )
  const block = encodeBlock(forged)
  const sigOffset = block.byteLength - (forged.bodyBytes?.byteLength ?? 0) - 1 - 16 - 64
  block[sigOffset] = (block[sigOffset] as number) ^ 1
  await sa.base.append(block)
  // 3. A stranger's envelope carried by C's device.
  const stranger = keyPairFromSeed(randomBytes(32))
  await sc.base.append(
    encodeBlock(
      sealEvent(
        { type: 'sphere.key.rotated', body: { epoch: 1, cause: 'manual', keys }, privacy: 'shareable' },
        { seq: 0, time: Date.now(), prev: null },
        stranger
      )
    )
  )
  // 4. By the admin, but to a non-member; 5. skipping an epoch; 6. not keeping it itself;
  // 7. a box that is not a box; 8. a member named twice.
  const outsider = sealKeysFor([hex(stranger.publicKey)], {
    sphere: sa.key,
    epoch: 1,
    previous: sa.key,
    key: randomBytes(32),
    encryptionKey: randomBytes(32)
  }).keys
  await sa.publish('sphere.key.rotated', { epoch: 1, cause: 'manual', keys: [...keys, ...outsider] })
  await sa.publish('sphere.key.rotated', { epoch: 2, cause: 'manual', keys })
  await sa.publish('sphere.key.rotated', { epoch: 1, cause: 'manual', keys: only([B, C]) })
  await sa.publish('sphere.key.rotated', {
    epoch: 1,
    cause: 'manual',
    keys: [{ member: A, box: 'ab'.repeat(EPOCH_KEYS_BOX_BYTES - 1) }]
  })
  await sa.publish('sphere.key.rotated', { epoch: 1, cause: 'manual', keys: [...keys, ...only([B])] })
  // 9. Following before any rotation.
  await sb.publish('sphere.epoch.followed', { epoch: 1, sealed: 'cd'.repeat(138) })
  // 10. Starting an epoch inside an existing one.
  await sa.publish('sphere.epoch.started', {
    name: 'x',
    by: 'Ada',
    epoch: 1,
    sphere: sa.keyHex,
    previous: sa.keyHex,
    members: epochRoster(await sa.members()),
    history: '00'
  })

  for (const [s, who] of [
    [sa, 'A'],
    [sb, 'B'],
    [sc, 'C']
  ] as const) {
    const why = await reasons(s, 10, `ten refusals on ${who}`)
    const expect = [
      'only an admin rotates',
      'signature does not verify',
      'not the member this device belongs to',
      'is not a member: the new key goes to members only',
      'this is epoch 0: the next one is 1',
      'the admin who rotates the key keeps it too',
      'a sealed key is not the size of one',
      'is named twice',
      'there is no new epoch to follow',
      'the sphere already exists'
    ]
    // Envelopes of different devices apply in an order Autobase picks: match as a set.
    t.is(why.length, expect.length, `${who}: ${why.length} refusals`)
    for (const fragment of expect)
      t.ok(
        why.some((r) => r.includes(fragment)),
        `${who}: ${fragment}`
      )
    t.is(await s.rotation(), null, `${who}: no rotation took effect`)
  }

  // A valid one, then one more for the same epoch for a member it already holds: refused;
  // for a member it missed: accepted (the keys are added).
  await sa.publish('sphere.key.rotated', { epoch: 1, cause: 'manual', keys: only([A, B]) })
  await sa.publish('sphere.key.rotated', { epoch: 1, cause: 'manual', keys: only([B]) })
  await sa.publish('sphere.key.rotated', { epoch: 1, cause: 'manual', keys: only([C]) })
  await sb.publish('sphere.key.rotated', { epoch: 2, cause: 'manual', keys: only([B]) })
  const why = (await reasons(sc, 12, 'two more refusals on C')).slice(10)
  t.ok(
    why.some((r) => r.includes('already holds the key of epoch 1')),
    'a second rotation for a member who holds the key'
  )
  t.ok(
    why.some((r) => r.includes('only an admin rotates')),
    'a non-admin handing out keys'
  )
  await until(async () => (await sc.rotation())?.keys.length === 3, 'the missed member to get the key')
  t.alike((await sc.rotation())?.keys.map((k) => k.member).sort(), [A, B, C].sort())
})

test('following: a sealed request in the old epoch, readable only with the new key, admits the device', async (t) => {
  t.timeout(90_000)
  const { a, b, c, sa, sb, sc } = await threeMembers(t)
  const [A, B, C] = [a, b, c].map((d) => hex(d.identity.publicKey)) as [string, string, string]
  await sa.publish('sphere.post', { text: 'before the rotation' })
  await sa.publish('sphere.member.removed', { member: C })
  const { s1, key1, keys } = await startEpoch1(t, a, sa, [A, B])
  await sa.publish('sphere.key.rotated', { epoch: 1, cause: 'removal', keys })
  await until(async () => {
    await sb.update()
    return (await sb.rotation()) !== null
  }, 'B to see the rotation')

  // B opens its box, opens the new epoch and asks, sealed, in the old one.
  const box = (await sb.rotation())?.keys.find((k) => k.member === B)
  const opened = box
    ? openEpochKeys(b.identity, b4a.from(box.box, 'hex'), { sphere: sa.key, epoch: 1, previous: sa.key })
    : null
  if (!opened) throw new Error('B cannot open its box')
  const b1 = open(t, b, 'e1', opened.key, opened.encryptionKey)
  await b1.ready()
  // Until a device in epoch 1 admits it, B's device refuses to write anywhere: the old key
  // is retired, and it cannot write under the new one yet.
  const waiting = new SphereChain(sa.keyHex, [
    { epoch: 0, sphere: sb, encryptionKey: randomBytes(32) },
    { epoch: 1, sphere: b1, encryptionKey: opened.encryptionKey }
  ])
  t.ok((await waiting.keyState()).pending, 'B holds the new key and waits')
  t.is(await codeOf(waiting.publish('sphere.post', { text: 'too early' })), 'KEY_ROTATION_PENDING')
  const proof = signWriterBinding(b.identity, sa.discoveryKey, b1.writerKey)
  await sb.publish('sphere.epoch.followed', {
    epoch: 1,
    sealed: hex(sealFollow(opened.encryptionKey, { writer: b1.writerKey, proof }))
  })
  // C, removed, cannot even ask: its device is no longer a writer of the old epoch.
  await until(async () => {
    await sc.update()
    return !sc.writable
  }, 'C to lose write access')
  await t.exception(
    () =>
      sc.base.append(
        encodeBlock(
          sealEvent(
            { type: 'sphere.epoch.followed', body: { epoch: 1, sealed: 'ee'.repeat(138) }, privacy: 'shareable' },
            { seq: 99, time: Date.now(), prev: null },
            c.identity
          )
        )
      ),
    /Not writable/
  )
  await until(async () => {
    await sa.update()
    return (await sa.follows()).length === 1
  }, "A to see B's request")
  const [follow] = await sa.follows()
  t.is(follow?.member, B)
  t.is(openFollow(randomBytes(32), b4a.from(follow?.sealed ?? '', 'hex')), null, 'the old key does not open it')
  const request = openFollow(key1, b4a.from(follow?.sealed ?? '', 'hex'))
  t.ok(request && b4a.equals(request.writer, b1.writerKey), 'the new key does')

  // A admits B's device into epoch 1 with B's own binding; B can write there.
  await s1.publish('sphere.member.added', {
    member: B,
    writer: hex(b1.writerKey),
    name: 'b',
    proof: hex(request?.proof ?? new Uint8Array(64))
  })
  await until(async () => {
    await b1.update()
    return b1.writable
  }, 'B to write in epoch 1')
  await b1.publish('sphere.post', { text: 'after the rotation' })
  await until(async () => {
    await s1.update()
    return (await s1.feed()).length === 1
  }, "A to get B's post in epoch 1")

  // A chain reads both epochs; a withdrawal in epoch 1 of an epoch 0 item counts only from its author.
  const chainB = new SphereChain(sa.keyHex, [
    { epoch: 0, sphere: sb, encryptionKey: randomBytes(32) },
    { epoch: 1, sphere: b1, encryptionKey: key1 }
  ])
  const texts = async () => (await chainB.feed()).map((i) => `${i.epoch}:${(i.body as { text: string }).text}`)
  t.alike(await texts(), ['1:after the rotation', '0:before the rotation'])
  const before = (await sb.feed())[0]
  if (!before) throw new Error('no epoch 0 item')
  t.is((await chainB.meta())?.items, 2)
  await b1.publish('sphere.share.retracted', { ref: before.id })
  await until(async () => (await b1.withdrawals()).length === 1, "B's withdrawal recorded in epoch 1")
  t.alike(await texts(), ['1:after the rotation', '0:before the rotation'], "B cannot hide A's item")
  await s1.publish('sphere.share.retracted', { ref: before.id })
  await s1.publish('sphere.share.retracted', { ref: before.id })
  await until(async () => {
    await b1.update()
    return (
      (await b1.withdrawals()).length === 2 && (await b1.rejected()).some((r) => r.reason.includes('already withdrawn'))
    )
  }, "A's withdrawal (once)")
  t.alike(await texts(), ['1:after the rotation'], 'its author withdrew it: hidden across epochs')
  t.is((await chainB.meta())?.items, 1)
  t.absent(await chainB.hasItem(before.id))
  const started = await s1.started()
  t.ok(started, 'epoch 1 records how it began')
  t.alike(openHistory(key1, b4a.from(started?.history ?? '', 'hex'))?.[0]?.epoch, 0, 'with the earlier keys, sealed')
  t.ok(b4a.equals(discoveryKey(sa.key), sa.discoveryKey))
})
