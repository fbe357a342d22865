import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import test from 'brittle'
import Corestore from 'corestore'
import { keyPairFromSeed, randomBytes, toHex } from '../src/events/crypto.js'
import { encodeBlock, sealEvent } from '../src/events/envelope.js'
import { Sphere, signWriterBinding } from '../src/swarm/sphere.js'
import { filesContaining } from './helpers/home.js'
import { replicateStores } from './helpers/stores.js'
import { until } from './helpers/wait.js'

type T = test.Test

async function device(t: T, label: string) {
  const dir = await mkdtemp(join(tmpdir(), `cosmic-sphere-${label}-`))
  const store = new Corestore(join(dir, 'store'))
  t.teardown(async () => {
    await store.close().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  })
  return { dir, store, identity: keyPairFromSeed(randomBytes(32)), atRestKey: randomBytes(32) }
}

async function twoMembers(t: T) {
  const a = await device(t, 'a')
  const b = await device(t, 'b')
  const encryptionKey = randomBytes(32)
  const sa = new Sphere(a.store, {
    key: null,
    encryptionKey,
    identity: a.identity,
    atRestKey: a.atRestKey,
    testing: true
  })
  await sa.ready()
  await sa.publish('sphere.created', { name: 'Night writers', by: 'Ada' })
  const sb = new Sphere(b.store, {
    key: sa.key,
    encryptionKey,
    identity: b.identity,
    atRestKey: b.atRestKey,
    testing: true
  })
  await sb.ready()
  const proof = signWriterBinding(b.identity, sa.discoveryKey, sb.writerKey)
  await sa.publish('sphere.member.added', {
    member: toHex(b.identity.publicKey),
    writer: toHex(sb.writerKey),
    name: 'Ben',
    proof: toHex(proof)
  })
  replicateStores(t, a.store, b.store)
  await until(async () => {
    await sb.update()
    return sb.writable
  }, 'B to become a writer')
  t.teardown(async () => {
    await sa.close().catch(() => {})
    await sb.close().catch(() => {})
  })
  return { a, b, sa, sb, encryptionKey }
}

test('a sphere: the creator admits a member, both post, both views agree', async (t) => {
  t.timeout(60_000)
  const { a, b, sa, sb } = await twoMembers(t)
  await sb.publish('sphere.post', { text: 'hello from Ben' })
  await sa.publish('sphere.entry.shared', { text: 'the river walk', tags: ['walking'], written: 1_700_000_000_000 })
  await until(async () => {
    await sa.update()
    await sb.update()
    return (await sa.feed()).length === 2 && (await sb.feed()).length === 2
  }, 'both feeds')
  const feedA = await sa.feed()
  const feedB = await sb.feed()
  t.alike(
    feedA.map((i) => i.id),
    feedB.map((i) => i.id)
  )
  t.alike((await sa.members()).map((m) => m.name).sort(), ['Ada', 'Ben'])
  const meta = await sb.meta()
  t.is(meta?.name, 'Night writers')
  t.is(meta?.members, 2)
  t.is(toHex(a.identity.publicKey), meta?.creator)
  t.ok(feedB.some((i) => i.authorName === 'Ben' && i.author === toHex(b.identity.publicKey)))
})

test('apply rejects and records a forged envelope, a non-member author, and a replay', async (t) => {
  t.timeout(60_000)
  const { b, sa, sb } = await twoMembers(t)
  // A valid post, signed by B: accepted.
  const ok = await sb.publish('sphere.post', { text: 'genuine' })
  // A post signed by a stranger, appended by B's device: the device is not the stranger's.
  const stranger = keyPairFromSeed(randomBytes(32))
  const foreign = sealEvent(
    { type: 'sphere.post', body: { text: 'from a stranger' }, privacy: 'shareable' },
    { seq: 0, time: Date.now(), prev: null },
    stranger
  )
  await sb.base.append(encodeBlock(foreign))
  // A forged signature: B's envelope with one flipped bit in the signature.
  const real = sealEvent(
    { type: 'sphere.post', body: { text: 'tampered' }, privacy: 'shareable' },
    { seq: 50, time: Date.now(), prev: null },
    b.identity
  )
  const block = encodeBlock(real)
  const sigOffset = block.byteLength - real.bodyBytes!.byteLength - 1 - 16 - 64
  block[sigOffset] = (block[sigOffset] as number) ^ 1
  await sb.base.append(block)
  // A replay of B's accepted envelope.
  await sb.base.append(encodeBlock(ok))
  // Garbage.
  await sb.base.append(new Uint8Array([1, 2, 3]))
  await until(async () => {
    await sa.update()
    return (await sa.rejected()).length === 4
  }, 'four rejections on A')
  const reasons = (await sa.rejected()).map((r) => r.reason)
  t.ok(reasons[0]?.includes('not the member this device belongs to'), reasons[0])
  t.ok(reasons[1]?.includes('signature'), reasons[1])
  t.ok(reasons[2]?.includes('seq'), reasons[2])
  t.ok(reasons[3]?.includes('undecodable'), reasons[3])
  const texts = (await sa.feed()).map((i) => (i.body as { text: string }).text)
  t.alike(texts, ['genuine'])
})

test('only an admin removes; a removed member can no longer write; their facets are gone', async (t) => {
  t.timeout(60_000)
  const { b, sa, sb } = await twoMembers(t)
  await sb.publish('sphere.facet.shared', { dimension: 'mind', facet: 'skill', key: 'TypeScript', level: 4 })
  // B is not an admin: its removal of A is rejected.
  await sb.publish('sphere.member.removed', { member: sa.me })
  await until(async () => {
    await sa.update()
    return (await sa.facets()).length === 1 && (await sa.rejected()).length === 1
  }, 'the facet and the rejection')
  t.ok((await sa.rejected())[0]?.reason.includes('only an admin'))
  await sa.publish('sphere.member.removed', { member: toHex(b.identity.publicKey), reason: 'test' })
  await until(async () => {
    await sb.update()
    return !sb.writable
  }, 'B to lose write access')
  t.is((await sa.members()).length, 1)
  t.is((await sa.facets()).length, 0)
  await t.exception(() => sb.publish('sphere.post', { text: 'still here?' }), /not \(or no longer\) a writer/)
})

test('a share retraction hides the item on every peer; only its author may retract', async (t) => {
  t.timeout(60_000)
  const { sa, sb } = await twoMembers(t)
  const shared = await sa.publish('sphere.entry.shared', { text: 'second thoughts', tags: [], written: 1 })
  await until(async () => {
    await sb.update()
    return (await sb.feed()).length === 1
  }, 'B to see the entry')
  await sb.publish('sphere.share.retracted', { ref: toHex(shared.id) })
  await until(async () => {
    await sa.update()
    return (await sa.rejected()).some((r) => r.reason.includes('only the author'))
  }, "A to refuse B's retraction of A's share")
  t.is((await sa.feed()).length, 1, 'the share stays')
  await sa.publish('sphere.share.retracted', { ref: toHex(shared.id) })
  await until(async () => {
    await sb.update()
    return (await sb.feed()).length === 0
  }, 'B to hide the entry')
  t.pass('the author withdrew it, and B hides it')
})

test('sphere storage holds no plaintext (encrypted end to end and at rest)', async (t) => {
  t.timeout(60_000)
  const { a, b, sa, sb } = await twoMembers(t)
  const words = 'zanzibar-quietude-marmalade'
  await sa.publish('sphere.entry.shared', { text: `I keep thinking about ${words}`, tags: [], written: 1 })
  await until(async () => {
    await sb.update()
    return (await sb.feed()).length === 1
  }, 'B to get the entry')
  t.ok(JSON.stringify((await sb.feed())[0]?.body).includes(words), 'B reads it with the key')
  await sa.close()
  await sb.close()
  await a.store.close()
  await b.store.close()
  t.alike(await filesContaining(a.dir, words), [], 'nothing on A')
  t.alike(await filesContaining(b.dir, words), [], 'nothing on B')
})
