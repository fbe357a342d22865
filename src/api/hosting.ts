import { readFile } from 'node:fs/promises'
import { CosmicError } from '../errors.js'
import { isLoopbackHost } from './security.js'

export interface HostingOptions {
  host: string
  tlsCert?: string
  tlsKey?: string
  behindProxy?: boolean
  /** Names clients put in Host (--public-host). */
  publicHosts?: readonly string[]
}

export interface Hosting {
  host: string
  /** TLS key and certificate, when the server speaks HTTPS itself. */
  https: { key: Buffer; cert: Buffer } | null
  behindProxy: boolean
  /** The scheme clients use: https with TLS here or at a proxy. */
  scheme: 'http' | 'https'
}

/**
 * Loopback is the default and needs nothing more. Any other address (the hosted, cloud
 * mode) serves a journal over a network, so it needs TLS: our own (--tls-cert and
 * --tls-key) or a reverse proxy's (--behind-proxy, said explicitly). Without either it
 * refuses to start.
 */
export async function resolveHosting(options: HostingOptions): Promise<Hosting> {
  const { host, tlsCert, tlsKey } = options
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw CosmicError.INVALID_INPUT('--tls-cert and --tls-key go together: give both')
  }
  const behindProxy = options.behindProxy ?? false
  if (tlsCert && behindProxy) throw CosmicError.INVALID_INPUT('choose --tls-cert/--tls-key or --behind-proxy, not both')
  if (!isLoopbackHost(host) && !tlsCert && !behindProxy) {
    throw CosmicError.INVALID_INPUT(
      `--host ${host} would serve your journal beyond this machine without TLS; give --tls-cert FILE --tls-key FILE, or --behind-proxy if a reverse proxy does TLS in front of it`
    )
  }
  // Bound to every address, no Host names the bound one: the names clients use must be given.
  if ((host === '0.0.0.0' || host === '::') && (options.publicHosts ?? []).length === 0) {
    throw CosmicError.INVALID_INPUT(
      `--host ${host} answers on every address, so requests name the server by another host: give --public-host NAME (the name in the URL clients open); other names are refused (DNS rebinding)`
    )
  }
  let https: Hosting['https'] = null
  if (tlsCert && tlsKey) {
    const read = (file: string, flag: string) =>
      readFile(file).catch((err: Error) => {
        throw CosmicError.INVALID_INPUT(`cannot read ${flag} ${file}: ${err.message}`)
      })
    https = { cert: await read(tlsCert, '--tls-cert'), key: await read(tlsKey, '--tls-key') }
  }
  return { host, https, behindProxy, scheme: https || behindProxy ? 'https' : 'http' }
}
