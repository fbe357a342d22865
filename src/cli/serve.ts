import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Command as Program } from 'commander'
import { buildApp } from '../api/app.js'
import { createContext } from '../api/context.js'
import { resolveHosting } from '../api/hosting.js'
import { listenLocalSocket } from '../api/local-socket.js'
import { ensureApiToken } from '../api/token.js'
import { readSettings } from '../engine/settings.js'
import { CosmicError } from '../errors.js'
import { createDemoHome, readPersona } from '../fixtures/load-persona.js'
import { Home, resolveHomePath } from '../store/home.js'
import { type DeviceLink, hasOtherDevices, lazyDevices } from '../swarm/devices.js'
import { lazySpheres, type Spheres } from '../swarm/spheres.js'
import { terminalProgress } from './progress.js'
import { collect, globals, integer, networkOptions, openHome, print } from './run.js'

/** .cosmic-demo in the repository (this module runs from dist/src/cli/), or $COSMIC_DEMO_HOME. */
export const DEMO_HOME =
  process.env.COSMIC_DEMO_HOME ?? fileURLToPath(new URL('../../../.cosmic-demo', import.meta.url))
export const DEFAULT_PORT = 4600

interface ServeOptions {
  port: number
  host: string
  tlsCert?: string
  tlsKey?: string
  behindProxy?: boolean
  publicHost: string[]
  demo?: boolean
}

/** The demo persona's home: built from fixtures/persona.jsonl the first time, then reopened. */
async function openDemoHome(path: string): Promise<Home> {
  const persona = await readPersona()
  if (existsSync(path)) return Home.open(path, persona.header.passphrase)
  process.stderr.write(`Building the demo home for ${persona.header.name} (a year of a journal) in ${path}…\n`)
  return createDemoHome(path, { persona, progress: terminalProgress() })
}

/** The address to print: a name a browser can open, with the token in the fragment (never sent to a server). */
export function appUrl(scheme: string, host: string, port: number, token: string): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host
  const defaultPort = (scheme === 'https' && port === 443) || (scheme === 'http' && port === 80)
  return `${scheme}://${shown}${defaultPort ? '' : `:${port}`}/#token=${token}`
}

/**
 * `cosmic serve`: holds the home and serves the web UI and the HTTP API over it until
 * stopped (Ctrl-C). Loopback only unless --host says otherwise, and then only with TLS.
 */
export function registerServeCommand(program: Program): void {
  program
    .command('serve')
    .description('the web app and the HTTP API over this home, on 127.0.0.1 (prints the URL to open, with its token)')
    .option('--port <port>', `the port (0 picks a free one)`, integer('--port'), DEFAULT_PORT)
    .option(
      '--host <host>',
      'the address to bind; other than loopback it needs TLS (--tls-cert, --tls-key) or --behind-proxy',
      '127.0.0.1'
    )
    .option('--tls-cert <file>', 'hosted mode: the TLS certificate (PEM)')
    .option('--tls-key <file>', 'hosted mode: the TLS private key (PEM)')
    .option('--behind-proxy', 'hosted mode: a reverse proxy in front does TLS')
    .option(
      '--public-host <name>',
      'a host name clients use (Host header), e.g. behind a proxy (repeatable)',
      collect,
      []
    )
    .option('--demo', 'serve the demo persona (.cosmic-demo, built on first use) instead of your home')
    .action(async (opts: ServeOptions) => {
      if (opts.port > 65_535) throw CosmicError.INVALID_INPUT('--port must be from 0 to 65535')
      const hosting = await resolveHosting({
        host: opts.host,
        ...(opts.tlsCert !== undefined ? { tlsCert: opts.tlsCert } : {}),
        ...(opts.tlsKey !== undefined ? { tlsKey: opts.tlsKey } : {}),
        behindProxy: opts.behindProxy ?? false,
        publicHosts: opts.publicHost
      })
      const g = globals()
      const home = opts.demo
        ? await openDemoHome(g.home ? resolveHomePath(g.home) : DEMO_HOME)
        : await openHome(resolveHomePath(g.home))
      let app: Awaited<ReturnType<typeof buildApp>> | undefined
      let local: Awaited<ReturnType<typeof listenLocalSocket>> = null
      const spheres = lazySpheres(home, { ...networkOptions(), stayOnline: !opts.demo })
      const devices = lazyDevices(home, networkOptions())
      const context = createContext(home, spheres.get, opts.demo ? undefined : devices.get)
      try {
        const token = await ensureApiToken(home.path)
        // Other cosmic commands on this home go through this process (HOME/cosmic.sock).
        local = await listenLocalSocket(context)
        app = await buildApp({
          home,
          context,
          token,
          host: hosting.host,
          publicHosts: opts.publicHost,
          https: hosting.https,
          trustProxy: hosting.behindProxy,
          logger: { level: 'warn' }
        })
        await app.listen({ host: hosting.host, port: opts.port }).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'EADDRINUSE') {
            throw CosmicError.INVALID_INPUT(
              `port ${opts.port} on ${hosting.host} is in use: choose another with --port`
            )
          }
          throw err
        })
      } catch (err) {
        await app?.close()
        await local?.close()
        await spheres.close()
        await devices.close()
        await home.close()
        throw err
      }
      const address = app.server.address()
      const port = typeof address === 'object' && address ? address.port : opts.port
      const shownHost = opts.publicHost[0] ?? hosting.host
      const url = appUrl(hosting.scheme, shownHost, hosting.behindProxy ? 443 : port, await ensureApiToken(home.path))
      if (g.json) print(JSON.stringify({ url, home: home.path, host: hosting.host, port }))
      else {
        print(
          [
            `Serving ${home.path}`,
            '',
            `  Open ${url}`,
            '',
            `API docs at ${url.replace(/\/#token=.*/, '/docs')}; the token is also in ${home.path}/api-token.`,
            'Stop with Ctrl-C.'
          ].join('\n')
        )
      }
      // With sync_enabled (and not local mode), this process is the home's node in the swarm,
      // once the home is in a sphere. The demo never goes online. The URL comes first: a
      // slow or absent network never delays the app.
      if (!opts.demo) {
        goOnline(home, spheres.get)
          .then((line) => {
            if (!g.json) print(line)
          })
          .catch((err: Error) => process.stderr.write(`Spheres: could not go online: ${err.message}\n`))
        goOnlineDevices(home, devices.get)
          .then((line) => {
            if (line && !g.json) print(line)
          })
          .catch((err: Error) => process.stderr.write(`Devices: could not go online: ${err.message}\n`))
      }
      await new Promise<void>((resolve) => {
        const stop = () => resolve()
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      })
      await app.close()
      await local?.close()
      await spheres.close()
      await devices.close()
      await home.close()
    })
}

/** Keeps the person's other devices in step while this process holds the home (when the network is allowed). */
export async function goOnlineDevices(home: Home, devices: () => Promise<DeviceLink>): Promise<string | null> {
  if (!hasOtherDevices(home)) return null
  const settings = readSettings(home.readModel.db)
  if (settings.mode === 'local' || !settings.sync) {
    return `Devices: offline (mirror_mode ${settings.mode}, sync_enabled ${settings.sync}); your other devices catch up when you allow sync.`
  }
  await devices()
  return 'Devices: online with your other devices; what they write is merged here.'
}

/** Joins the swarm for the home's spheres when the person allows the network; says which it is. */
export async function goOnline(home: Home, spheres: () => Promise<Spheres>): Promise<string> {
  const settings = readSettings(home.readModel.db)
  if (settings.mode === 'local' || !settings.sync) {
    return `Spheres: offline (mirror_mode ${settings.mode}, sync_enabled ${settings.sync}); nothing is announced.`
  }
  const opened = await spheres()
  const count = opened.registry.list().length
  if (!(await opened.goOnlineIfAllowed())) return 'Spheres: none yet; online once you create or join one.'
  return `Spheres: online for ${count}, answering invites.`
}
