import { timingSafeEqual } from 'node:crypto'
import { isIP } from 'node:net'
import type { FastifyRequest } from 'fastify'
import { CosmicError } from '../errors.js'

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (h === 'localhost' || h === '::1') return true
  return isIP(h) === 4 && h.startsWith('127.')
}

/** The hostname of a Host header, without the port ("[::1]:80" -> "::1"). */
export function hostnameOf(header: string): string {
  const value = header.trim().toLowerCase()
  if (value.startsWith('[')) return value.slice(1, value.indexOf(']'))
  const colon = value.lastIndexOf(':')
  return colon === -1 ? value : value.slice(0, colon)
}

/**
 * Host names a request may name. A page on another site can make a browser talk to
 * 127.0.0.1 by pointing its own name there (DNS rebinding); its requests then carry
 * that name in Host, so anything but the bound host (and, on loopback, localhost and
 * its addresses) is refused.
 */
export function allowedHostnames(bound: string, extra: readonly string[] = []): Set<string> {
  const names = new Set([hostnameOf(bound), ...extra.map(hostnameOf)])
  if (isLoopbackHost(bound)) for (const n of ['localhost', '127.0.0.1', '::1']) names.add(n)
  return names
}

/** A Host header as a browser writes it: a name or an IPv4 address, or [IPv6], and maybe a port. */
const HOST_HEADER = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i

export function checkHost(request: FastifyRequest, allowed: ReadonlySet<string>): void {
  const host = request.headers.host
  if (!host || !HOST_HEADER.test(host) || !allowed.has(hostnameOf(host))) {
    throw CosmicError.HOST_REFUSED(
      `Host "${host ?? ''}" is not this server's (${[...allowed].join(', ')}); open the URL cosmic serve printed`
    )
  }
}

function sameToken(given: string, expected: Buffer): boolean {
  const bytes = Buffer.from(given)
  return bytes.length === expected.length && timingSafeEqual(bytes, expected)
}

/**
 * `Authorization: Bearer TOKEN`. The event stream also takes `?token=TOKEN`, because a
 * browser's EventSource cannot set headers; nothing else does.
 */
export function checkToken(request: FastifyRequest, expected: Buffer, allowQuery: boolean): void {
  const header = request.headers.authorization
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
  let given = match?.[1]
  if (given === undefined && allowQuery) {
    const query = request.query as Record<string, unknown> | undefined
    if (typeof query?.token === 'string') given = query.token
  }
  if (given === undefined) {
    throw CosmicError.UNAUTHORIZED(
      'this API needs Authorization: Bearer TOKEN (the token is in the URL cosmic serve printed)'
    )
  }
  if (!sameToken(given, expected)) throw CosmicError.UNAUTHORIZED('the token is not this home’s')
}
