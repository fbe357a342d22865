import type { ServerResponse } from 'node:http'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { toHex } from '../../events/crypto.js'
import type { SignedEvent } from '../../events/envelope.js'
import type { ApiContext } from '../context.js'

export interface StreamHub {
  /** Tells every open stream that the read model was rebuilt or replaced. */
  reset(): void
  /** Ends every open stream (the server is closing). */
  closeAll(): void
}

/** What a live view needs to know that something changed: never the words themselves. */
function summary(event: SignedEvent) {
  return {
    seq: event.header.seq,
    id: toHex(event.id),
    type: event.header.type,
    time: event.header.time,
    privacy: event.header.privacy
  }
}

/**
 * Server-Sent Events: `append` after every append (with each event's seq, id, type
 * and time), `reset` after a rebuild or an import, a comment every 15 s so proxies
 * keep the connection open.
 */
export function streamRoutes(hub: { streams: Set<ServerResponse> }): FastifyPluginAsyncTypebox<{ ctx: ApiContext }> {
  return async (app, { ctx }) => {
    app.get(
      '/stream',
      {
        schema: {
          tags: ['live'],
          summary: 'live updates as Server-Sent Events: append (seq, id, type, time) and reset',
          querystring: Type.Object(
            {
              token: Type.Optional(
                Type.String({ maxLength: 200, description: 'for EventSource, which cannot send headers' })
              )
            },
            { additionalProperties: false }
          ),
          produces: ['text/event-stream']
        }
      },
      (request, reply) => {
        reply.hijack()
        const res = reply.raw
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-content-type-options': 'nosniff'
        })
        res.write(`retry: 2000\nevent: ready\ndata: ${JSON.stringify({ length: ctx.home.ledger.length })}\n\n`)
        const unsubscribe = ctx.home.onAppend((events) => {
          res.write(`event: append\ndata: ${JSON.stringify({ events: events.map(summary) })}\n\n`)
        })
        const ping = setInterval(() => res.write(': ping\n\n'), 15_000)
        ping.unref()
        hub.streams.add(res)
        const done = () => {
          clearInterval(ping)
          unsubscribe()
          hub.streams.delete(res)
        }
        request.raw.on('close', done)
        res.on('close', done)
      }
    )
  }
}

export function createStreamHub(): StreamHub & { streams: Set<ServerResponse> } {
  const streams = new Set<ServerResponse>()
  return {
    streams,
    reset() {
      for (const res of streams) res.write(`event: reset\ndata: {}\n\n`)
    },
    closeAll() {
      for (const res of streams) res.end()
      streams.clear()
    }
  }
}
