import { createSocket } from 'node:dgram'
import test from 'brittle'
import HyperDHT from 'hyperdht'
import Hyperswarm from 'hyperswarm'
import { CosmicError } from '../src/errors.js'
import { parseBootstrap, resolveBootstrap, startBootstrapNode } from '../src/swarm/bootstrap.js'

/** A UDP port free on 127.0.0.1 right now (a bootstrap node cannot take port 0). */
async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  const { port } = socket.address()
  await new Promise<void>((resolve) => socket.close(() => resolve()))
  return port
}

test('three nodes that know only a LAN bootstrap node find each other on a topic and exchange bytes', async (t) => {
  t.timeout(60_000)
  const started = Date.now()
  const node = await startBootstrapNode({ port: await freeUdpPort(), host: '127.0.0.1' })
  t.teardown(() => node.close(), { order: 10 })
  const bootstrap = parseBootstrap(node.address)
  t.alike(bootstrap, [{ host: '127.0.0.1', port: node.port }])

  const topic = Buffer.alloc(32, 7)
  const names = ['ada', 'bo', 'cy']
  const heard = new Map<string, Set<string>>(names.map((name) => [name, new Set()]))
  let allHeardResolve = () => {}
  const allHeard = new Promise<void>((resolve) => {
    allHeardResolve = resolve
  })
  const check = () => {
    if ([...heard.values()].every((from) => from.size === names.length - 1)) allHeardResolve()
  }
  for (const name of names) {
    const swarm = new Hyperswarm({ dht: new HyperDHT({ bootstrap, host: '127.0.0.1' }) })
    t.teardown(() => swarm.destroy())
    swarm.on('connection', (conn) => {
      conn.on('error', () => {})
      conn.write(Buffer.from(`hello from ${name}`))
      conn.on('data', (data: Buffer) => {
        const text = data.toString()
        if (text.startsWith('hello from ')) heard.get(name)!.add(text.slice('hello from '.length))
        check()
      })
    })
    // Announced before the next one looks the topic up: each later node finds the earlier ones.
    await swarm.join(topic, { server: true, client: true }).flushed()
  }
  await allHeard
  for (const name of names) {
    t.alike(
      [...heard.get(name)!].sort(),
      names.filter((other) => other !== name),
      `${name} heard the other two`
    )
  }
  t.comment(`bootstrap node up to three-way exchange: ${Date.now() - started} ms`)
})

test('a bootstrap node refuses a bad address, and a port already taken', async (t) => {
  t.timeout(30_000)
  await t.exception(startBootstrapNode({ port: 0, host: '127.0.0.1' }), /INVALID_INPUT: .*between 1 and 65535/)
  await t.exception(startBootstrapNode({ port: 49737, host: '0.0.0.0' }), /INVALID_INPUT: .*IPv4 address others reach/)
  await t.exception(startBootstrapNode({ port: 49737, host: 'lan.example' }), /INVALID_INPUT/)
  const node = await startBootstrapNode({ port: await freeUdpPort(), host: '127.0.0.1' })
  t.teardown(() => node.close())
  await t.exception(startBootstrapNode({ port: node.port, host: '127.0.0.1' }), /INVALID_INPUT: .*already in use/)
})

test('parseBootstrap reads HOST:PORT lists and explains each bad entry', (t) => {
  t.is(parseBootstrap(undefined), undefined, 'not given: the public bootstrap nodes')
  t.alike(parseBootstrap('192.168.1.10:49737'), [{ host: '192.168.1.10', port: 49737 }])
  t.alike(parseBootstrap(' 10.0.0.2:1 , seed.lan:65535'), [
    { host: '10.0.0.2', port: 1 },
    { host: 'seed.lan', port: 65535 }
  ])
  const bad: [string, RegExp][] = [
    ['', /is empty/],
    ['   ', /is empty/],
    ['192.168.1.10', /has no port: write HOST:PORT, e.g. 192.168.1.10:49737/],
    [':49737', /has no host/],
    ['host:', /has no port: write HOST:PORT, e.g. host:49737/],
    ['host:12ab', /the port "12ab" is not a number/],
    ['host:0', /between 1 and 65535/],
    ['host:65536', /between 1 and 65535/],
    ['a.lan:1,,b.lan:2', /entry 2 is empty/],
    ['a.lan:1,', /entry 2 is empty/],
    ['[::1]:49737', /IPv4 only/],
    ['::1', /IPv4 only/],
    ['bad_host!:1', /neither an IPv4 address nor a host name/],
    ['300.1.2.3:1', /neither an IPv4 address nor a host name/]
  ]
  for (const [input, message] of bad) {
    try {
      parseBootstrap(input)
      t.fail(`"${input}" was accepted`)
    } catch (err) {
      t.ok(CosmicError.is(err, 'INVALID_INPUT'), `"${input}" is INVALID_INPUT`)
      t.ok(message.test((err as Error).message), `"${input}": ${(err as Error).message}`)
    }
  }
})

test('resolveBootstrap: the flag wins over COSMIC_BOOTSTRAP, and neither means the public network', (t) => {
  t.alike(resolveBootstrap('a.lan:1', { COSMIC_BOOTSTRAP: 'b.lan:2' }), [{ host: 'a.lan', port: 1 }])
  t.alike(resolveBootstrap(undefined, { COSMIC_BOOTSTRAP: 'b.lan:2' }), [{ host: 'b.lan', port: 2 }])
  t.is(resolveBootstrap(undefined, {}), undefined)
})
