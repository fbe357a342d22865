import type { Command as Program } from 'commander'
import { runThroughServer } from '../api/local-socket.js'
import { deviceList, devicePair, deviceRemove, listDevices } from '../commands/device.js'
import { CosmicError } from '../errors.js'
import { type Home, resolveHomePath } from '../store/home.js'
import { DeviceLink, joinDevices } from '../swarm/devices.js'
import { readPassphrase } from './prompt.js'
import { globals, integer, networkOptions, openHome, print, printResult, runOnHome } from './run.js'
import { duration } from './spheres.js'

async function withLink<T>(fn: (link: DeviceLink, home: Home) => Promise<T>): Promise<T> {
  const g = globals()
  const home = await openHome(resolveHomePath(g.home))
  const link = new DeviceLink(home, networkOptions())
  try {
    return await fn(link, home)
  } finally {
    await link.close()
    await home.close()
  }
}

function untilStopped(ms: number, done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const end = Date.now() + ms
    const stop = () => {
      clearInterval(timer)
      process.removeListener('SIGINT', stop)
      process.removeListener('SIGTERM', stop)
      resolve()
    }
    const timer = setInterval(() => {
      if (done() || Date.now() > end) stop()
    }, 250)
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}

export function registerDeviceCommands(program: Program): void {
  const device = program
    .command('device')
    .description('your other devices: pair one, join from one, list them, sync with them (docs/devices.md)')

  device
    .command('pair')
    .description('print a one-time code for a new device, and stay online until it has joined and has the journal')
    .option('--wait <duration>', 'how long the code is valid and this command waits', duration('--wait'), 10 * 60_000)
    .action(async (opts: { wait: number }) => {
      // While `cosmic serve` holds the home, it answers the invite (it stays online).
      const served = await runThroughServer(resolveHomePath(globals().home), devicePair, { wait: opts.wait })
      if (served) return printResult(devicePair, served.output)
      await withLink(async (link, home) => {
        await link.start()
        let paired: { device: number; name: string } | null = null
        const invite = link.invite({
          expires: Date.now() + opts.wait,
          onPaired: (d) => {
            paired = d
          }
        })
        const json = globals().json
        if (json) print(JSON.stringify({ code: invite.code, expires: invite.expires }))
        else {
          print(`On the new device run:\n\n  cosmic device join ${invite.code}\n`)
          print(
            'This code hands over your whole identity (like your recovery phrase) to whoever types it: use it yourself, now.'
          )
          print(`Waiting up to ${Math.round(opts.wait / 60_000)} min (Ctrl-C stops)…`)
        }
        await untilStopped(opts.wait, () => paired !== null)
        if (!paired) {
          if (!json) print('No device joined.')
          process.exitCode = 1
          return
        }
        const joined = paired as { device: number; name: string }
        // Stay until the new device has downloaded this device's log (it says so by replicating its own).
        await untilStopped(60_000, () => link.peers > 0 && home.ledger.hasLog(joined.device))
        await untilStopped(5_000, () => false)
        if (!json) print(`Paired "${joined.name}" (device ${joined.device}).`)
      })
    })

  device
    .command('join')
    .argument('<code>', 'the code `cosmic device pair` printed on your other device')
    .option('--name <name>', 'what your devices call this one', 'another device')
    .option('--timeout <duration>', 'how long to wait for the other device', duration('--timeout'), 120_000)
    .description(
      'make this machine one of your devices: creates its home from the other device, then syncs the journal'
    )
    .action(async (code: string, opts: { name: string; timeout: number }) => {
      const g = globals()
      const path = resolveHomePath(g.home)
      const passphrase = await readPassphrase({ passphraseFile: g.passphraseFile }, { confirm: true })
      const { home, device } = await joinDevices(code, {
        ...networkOptions(),
        path,
        passphrase,
        name: opts.name,
        timeout: opts.timeout
      })
      const link = new DeviceLink(home, networkOptions())
      try {
        await link.start({ joining: true })
        const before = home.ledger.length
        await untilStopped(opts.timeout, () => home.ledger.length > before)
        await untilStopped(2_000, () => false)
        await home.pull()
        const output = { home: path, device, author: home.author, events: home.ledger.length }
        if (g.json) print(JSON.stringify(output, null, 2))
        else {
          print(`This device joined as device ${device} of ${home.author.slice(0, 12)}… at ${path}`)
          print(
            output.events > 0
              ? `The journal is here: ${output.events} events. Keep devices in step with: cosmic device sync`
              : 'Paired, but the journal has not arrived yet: run cosmic device sync while the other device is online.'
          )
        }
      } finally {
        await link.close()
        await home.close()
      }
    })

  device
    .command('list')
    .description('your devices, as the journal names them')
    .action(() => runOnHome(deviceList, {}))

  device
    .command('remove')
    .argument('<device>', 'its number (cosmic device list)', integer('device'))
    .description('a device is no longer yours (lost, sold): stop replicating with it')
    .action((n: number) => runOnHome(deviceRemove, { device: n }))

  device
    .command('sync')
    .description('go online with your other devices: replicate and merge the journal, until Ctrl-C (or --once)')
    .option('--once', 'exit after the first exchange with another device (or --timeout)')
    .option('--timeout <duration>', 'with --once: give up after', duration('--timeout'), 60_000)
    .action(async (opts: { once?: boolean; timeout: number }) => {
      const served = await runThroughServer(resolveHomePath(globals().home), deviceList, {})
      if (served) {
        return print(
          'Another process holds this home (`cosmic serve`, `cosmic sync`, or a waiting `cosmic sphere invite`); serve and sync keep your devices in step while they run.'
        )
      }
      await withLink(async (link, home) => {
        if (home.ledger.journals.length === 1 && listDevices(home).length === 1) {
          throw CosmicError.INVALID_INPUT('this home has no other device yet: pair one with `cosmic device pair`')
        }
        const json = globals().json
        let merges = 0
        link.onSync((r) => {
          if (r.applied > 0) {
            merges++
            if (!json)
              print(`  merged ${r.applied} event(s)${r.rebuilt ? ' (rebuilt the read model in the merged order)' : ''}`)
          }
        })
        await link.start()
        if (!json) print('Online with your devices (Ctrl-C stops)…')
        if (opts.once) {
          await untilStopped(opts.timeout, () => link.peers > 0)
          if (link.peers > 0) {
            await untilStopped(3_000, () => false)
            await home.pull()
          }
        } else await untilStopped(Number.MAX_SAFE_INTEGER, () => false)
        const output = { peers: link.peers, events: home.ledger.length, merges }
        if (json) print(JSON.stringify(output, null, 2))
        else print(`${output.events} events in the journal; ${output.peers} device(s) connected.`)
      })
    })
}
