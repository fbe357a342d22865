import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Home } from '../store/home.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** GET answers that depend only on the journal's state (and the URL): cached until the next change. */
    cacheable?: boolean
  }
  interface FastifyRequest {
    cacheVersion?: number
  }
}

interface Cached {
  version: number
  body: string
  etag: string
  type: string
}

/**
 * Answers that are pure functions of the log: the read model changes only when an
 * event is appended (or it is rebuilt or imported), so a GET of the timeline, the
 * graph, the tensions or patterns, now or as of a time, is kept until then, with an
 * ETag for the browser. As-of reads rebuild a read model from the log, so the time
 * slider's second visit to a day is instant. Bounded: least recently used out.
 */
export class ResponseCache {
  private version = 0
  private bytes = 0
  private readonly entries = new Map<string, Cached>()
  private readonly unsubscribe: () => void

  constructor(
    home: Home,
    private readonly maxBytes = 32 * 1024 * 1024
  ) {
    this.unsubscribe = home.onAppend(() => this.invalidate())
  }

  close(): void {
    this.unsubscribe()
    this.invalidate()
  }

  invalidate(): void {
    this.version++
    this.entries.clear()
    this.bytes = 0
  }

  get current(): number {
    return this.version
  }

  get(key: string): Cached | undefined {
    const hit = this.entries.get(key)
    if (!hit || hit.version !== this.version) return undefined
    this.entries.delete(key)
    this.entries.set(key, hit)
    return hit
  }

  set(key: string, value: Cached): void {
    if (value.version !== this.version || value.body.length > this.maxBytes / 8) return
    const old = this.entries.get(key)
    if (old) this.bytes -= old.body.length
    this.entries.set(key, value)
    this.bytes += value.body.length
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.entries.delete(k)
      this.bytes -= v.body.length
    }
  }

  /** Hooks for the routes marked `config: { cacheable: true }`. */
  register(app: FastifyInstance): void {
    app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.method !== 'GET' || !request.routeOptions.config?.cacheable) return
      request.cacheVersion = this.version
      const hit = this.get(request.url)
      if (!hit) return
      reply.header('etag', hit.etag)
      if (request.headers['if-none-match'] === hit.etag) return reply.code(304).send()
      return reply.type(hit.type).send(hit.body)
    })
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.cacheVersion === undefined || reply.statusCode !== 200 || typeof payload !== 'string') return payload
      if (reply.getHeader('etag')) return payload
      const etag = `"${request.cacheVersion}-${createHash('sha1').update(payload).digest('base64url').slice(0, 16)}"`
      reply.header('etag', etag)
      this.set(request.url, {
        version: request.cacheVersion,
        body: payload,
        etag,
        type: String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8')
      })
      return payload
    })
  }
}
