import { createSocket } from 'node:dgram'
import { isIPv4, isIPv6 } from 'node:net'
import HyperDHT from 'hyperdht'
import { CosmicError } from '../errors.js'

/** A DHT node to join the network through. */
export interface BootstrapNode {
  readonly host: string
  readonly port: number
}

export interface BootstrapNodeOptions {
  /** UDP port; a bootstrap node needs a fixed one, since others are told HOST:PORT. */
  readonly port: number
  /** The IPv4 address the other machines reach this node at. */
  readonly host: string
  /** The address to bind; defaults to `host`. '0.0.0.0' when `host` is forwarded to this machine. */
  readonly bindHost?: string
}

export interface RunningBootstrapNode {
  readonly host: string
  readonly port: number
  /** `HOST:PORT`, what every member passes as `--bootstrap` or COSMIC_BOOTSTRAP. */
  readonly address: string
  close(): Promise<void>
}

/**
 * Runs a HyperDHT bootstrap node, so machines on a LAN without internet can find each
 * other: each joins the DHT through it instead of the public bootstrap nodes.
 */
export async function startBootstrapNode(options: BootstrapNodeOptions): Promise<RunningBootstrapNode> {
  const { host, port } = options
  checkPort(port, `${host}:${port}`)
  if (!isIPv4(host) || host === '0.0.0.0') {
    throw CosmicError.INVALID_INPUT(
      `a bootstrap node needs the IPv4 address others reach it at, not "${host}" (for example 192.168.1.10)`
    )
  }
  const bindHost = options.bindHost ?? host
  await checkUdpPortFree(port, bindHost)
  const node = HyperDHT.bootstrapper(port, host, { host: bindHost })
  await node.ready()
  return {
    host,
    port,
    address: `${host}:${port}`,
    close: () => node.destroy()
  }
}

/**
 * Parses `HOST:PORT[,HOST:PORT...]` (from `--bootstrap` or COSMIC_BOOTSTRAP). Undefined
 * means "not given": the caller uses the public bootstrap nodes.
 */
export function parseBootstrap(list: string | undefined): BootstrapNode[] | undefined {
  if (list === undefined) return undefined
  if (list.trim() === '') {
    throw CosmicError.INVALID_INPUT('the bootstrap list is empty: give HOST:PORT[,HOST:PORT], e.g. 192.168.1.10:49737')
  }
  return list.split(',').map((raw, index) => parseEntry(raw.trim(), index))
}

/** The bootstrap list a command uses: its `--bootstrap` flag, else COSMIC_BOOTSTRAP, else none (public nodes). */
export function resolveBootstrap(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env
): BootstrapNode[] | undefined {
  return parseBootstrap(flag ?? env.COSMIC_BOOTSTRAP)
}

function parseEntry(entry: string, index: number): BootstrapNode {
  const where = `bootstrap entry ${index + 1} ("${entry}")`
  if (entry === '') throw CosmicError.INVALID_INPUT(`bootstrap entry ${index + 1} is empty: remove the extra comma`)
  if (entry.startsWith('[') || isIPv6(entry)) {
    throw CosmicError.INVALID_INPUT(`${where}: the DHT runs over IPv4 only; give an IPv4 address or a host name`)
  }
  const colon = entry.lastIndexOf(':')
  const host = colon === -1 ? entry : entry.slice(0, colon)
  const portText = colon === -1 ? '' : entry.slice(colon + 1)
  if (portText === '') throw CosmicError.INVALID_INPUT(`${where} has no port: write HOST:PORT, e.g. ${host}:49737`)
  if (host === '') throw CosmicError.INVALID_INPUT(`${where} has no host: write HOST:PORT`)
  if (!isIPv4(host) && !isHostName(host)) {
    throw CosmicError.INVALID_INPUT(`${where}: "${host}" is neither an IPv4 address nor a host name`)
  }
  if (!/^\d+$/.test(portText)) throw CosmicError.INVALID_INPUT(`${where}: the port "${portText}" is not a number`)
  const port = Number(portText)
  checkPort(port, where)
  return { host, port }
}

// dht-rpc leaves its other socket bound (and the process alive) when binding the
// fixed port fails, so the port is tried first with a plain socket.
async function checkUdpPortFree(port: number, bindHost: string): Promise<void> {
  const socket = createSocket('udp4')
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(port, bindHost, () => resolve())
    })
  } catch (err) {
    const code = (err as { code?: string }).code
    if (code === 'EADDRINUSE') {
      throw CosmicError.INVALID_INPUT(`UDP port ${port} on ${bindHost} is already in use: choose another --port`)
    }
    if (code === 'EADDRNOTAVAIL') {
      throw CosmicError.INVALID_INPUT(
        `${bindHost} is not an address of this machine: bind to 0.0.0.0 when ${bindHost} is forwarded here`
      )
    }
    throw err
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve())).catch(() => {})
  }
}

function checkPort(port: number, where: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw CosmicError.INVALID_INPUT(`${where}: the port must be between 1 and 65535`)
  }
}

// RFC 1123 labels: letters, digits and inner hyphens, at most 63 characters each.
function isHostName(host: string): boolean {
  if (host.length > 253 || /^[\d.]+$/.test(host)) return false
  return host.split('.').every((label) => /^[a-z\d]([a-z\d-]{0,61}[a-z\d])?$/i.test(label))
}
