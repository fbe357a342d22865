import { join } from 'node:path'
import test from 'brittle'
import createTestnet from 'hyperdht/testnet.js'
import { reflect } from '../src/commands/journal.js'
import { dumpReadModel } from '../src/store/replay.js'
import { DeviceLink, joinDevices } from '../src/swarm/devices.js'
import { ctxOf, texts } from './helpers/devices.js'
import { allowNetwork, createHome, PASSPHRASE } from './helpers/home.js'
import { codeOf, until } from './helpers/wait.js'

test('device pair and join over a loopback swarm: the journal arrives, both write, both converge', async (t) => {
  const testnet = await createTestnet(3, { host: '127.0.0.1', teardown: t.teardown })
  const network = { bootstrap: testnet.bootstrap, host: '127.0.0.1', pairingPoll: 500 }
  const { home: phone } = await createHome(t)
  t.is(await codeOf(new DeviceLink(phone, network).start()), 'NETWORK_REFUSED', 'offline by default: nothing joins')
  await allowNetwork(phone)
  await reflect.run(ctxOf(phone), { text: 'written on the phone before pairing', tags: ['phone'] })
  const phoneLink = new DeviceLink(phone, network)
  t.teardown(() => phoneLink.close(), { order: -2 })
  await phoneLink.start()
  let paired: { device: number; name: string } | null = null
  const invite = phoneLink.invite({
    onPaired: (d) => {
      paired = d
    }
  })
  t.ok(/^[a-z0-9]+$/.test(invite.code), 'a z32 invite code')

  const { home: laptop, device } = await joinDevices(invite.code, {
    ...network,
    path: join(await t.tmp(), 'laptop'),
    passphrase: PASSPHRASE,
    name: 'laptop',
    timeout: 30_000
  })
  t.teardown(() => laptop.close(), { order: -1 })
  t.is((paired as { device: number } | null)?.device, device, 'the phone recorded the new device')
  t.is(laptop.author, phone.author, 'same identity on both devices')
  t.not(laptop.device, 0)
  const laptopLink = new DeviceLink(laptop, network)
  t.teardown(() => laptopLink.close(), { order: -2 })
  await laptopLink.start({ joining: true })

  await until(
    async () => (await texts(laptop)).includes('written on the phone before pairing'),
    'the laptop has the journal'
  )
  await reflect.run(ctxOf(laptop), { text: 'written on the laptop', tags: ['laptop'] })
  await reflect.run(ctxOf(phone), { text: 'and another on the phone', tags: ['phone'] })
  await until(async () => (await texts(phone)).includes('written on the laptop'), 'the phone has the laptop’s entry')
  await until(
    async () => (await texts(laptop)).includes('and another on the phone'),
    'the laptop has the phone’s new entry'
  )
  await until(
    async () => JSON.stringify(dumpReadModel(phone.readModel)) === JSON.stringify(dumpReadModel(laptop.readModel)),
    'identical read models'
  )
  t.alike(dumpReadModel(laptop.readModel), dumpReadModel(phone.readModel), 'identical read models')

  // The code was for one device: a second use is refused.
  const again = joinDevices(invite.code, {
    ...network,
    path: join(await t.tmp(), 'stranger'),
    passphrase: PASSPHRASE,
    name: 'stranger',
    timeout: 5000
  })
  t.is(await codeOf(again), 'PAIRING_FAILED', 'a used invite gives nothing')
})

test('a malformed device code is refused with INVITE_INVALID', async (t) => {
  const code = await codeOf(
    joinDevices('not-a-code', { path: join(await t.tmp(), 'x'), passphrase: PASSPHRASE, name: 'x' })
  )
  t.is(code, 'INVITE_INVALID')
})
