import type { Command as Program } from 'commander'
import { CosmicError } from '../errors.js'
import { parseBootstrap } from '../swarm/bootstrap.js'
import { collect, globals, integer, print } from './run.js'

function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
}

/** `cosmic seed` and `cosmic dht-bootstrap`: always-on nodes for a community; they hold no home. */
export function registerSwarmNodeCommands(program: Program): void {
  program
    .command('seed')
    .description('keep the encrypted cores of spheres available while their members are offline (never holds a key)')
    .requiredOption('--storage <dir>', "the seeder's own folder (its identity and the ciphertext it keeps)")
    .option('--port <port>', 'UDP port of its DHT node (default: any free port)', integer('--port'))
    .option('--sphere <key>', 'keep only these spheres (Autobase key or discovery key, hex; repeatable)', collect, [])
    .option(
      '--member <key>',
      'accept only these members (their key from `cosmic sphere seed`; repeatable)',
      collect,
      []
    )
    .action(async (opts: { storage: string; port?: number; sphere: string[]; member: string[] }) => {
      // blind-peer changes a process-wide Hypercore setting when loaded: load it only here.
      const { Seeder } = await import('../swarm/seeder.js')
      const { formatSeederKey, parseSeederKey } = await import('../swarm/seeding.js')
      const bootstrap = parseBootstrap(globals().bootstrap ?? process.env.COSMIC_BOOTSTRAP)
      const host = process.env.COSMIC_DHT_HOST
      const hexKey = (value: string) => {
        if (!/^[0-9a-f]{64}$/i.test(value))
          throw CosmicError.INVALID_INPUT(`--sphere must be 64 hex characters (got "${value}")`)
        return Uint8Array.from(Buffer.from(value, 'hex'))
      }
      const seeder = new Seeder({
        storage: opts.storage,
        ...(bootstrap ? { bootstrap } : {}),
        ...(host ? { host, firewalled: false } : {}),
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.sphere.length ? { spheres: opts.sphere.map(hexKey) } : {}),
        ...(opts.member.length ? { members: opts.member.map(parseSeederKey) } : {})
      })
      await seeder.start()
      const key = formatSeederKey(seeder.publicKey)
      if (globals().json) print(JSON.stringify({ seeder: key, storage: opts.storage }))
      else {
        print(
          [
            `Seeding from ${opts.storage}. Members add this seeder with:`,
            '',
            `  cosmic sphere seed SPHERE ${key}`,
            '',
            'It stores ciphertext only. Stop with Ctrl-C.'
          ].join('\n')
        )
      }
      const timer = setInterval(() => {
        if (globals().json) return
        const s = seeder.stats()
        process.stderr.write(`  ${s.cores} cores, ${s.bytes} bytes, ${s.connections} connections\r`)
      }, 5000)
      await untilStopped()
      clearInterval(timer)
      await seeder.close()
    })

  program
    .command('dht-bootstrap')
    .description('run a DHT bootstrap node, so machines on a LAN with no internet find each other')
    .requiredOption('--port <port>', 'the UDP port others reach it at', integer('--port'))
    .option('--host <address>', 'the IPv4 address others reach it at', '127.0.0.1')
    .option('--bind <address>', 'the address to bind (default: --host; 0.0.0.0 behind port forwarding)')
    .action(async (opts: { port: number; host: string; bind?: string }) => {
      const { startBootstrapNode } = await import('../swarm/bootstrap.js')
      const node = await startBootstrapNode({
        port: opts.port,
        host: opts.host,
        ...(opts.bind ? { bindHost: opts.bind } : {})
      })
      if (globals().json) print(JSON.stringify({ address: node.address }))
      else {
        print(
          [
            `DHT bootstrap node at ${node.address}. On every machine of the community:`,
            '',
            `  export COSMIC_BOOTSTRAP=${node.address}   (or --bootstrap ${node.address})`,
            '',
            'Stop with Ctrl-C.'
          ].join('\n')
        )
      }
      await untilStopped()
      await node.close()
    })
}
