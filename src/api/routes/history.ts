import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { audit } from '../../commands/audit.js'
import {
  evolutionCommand,
  exportCommand,
  graphCommand,
  importCommand,
  patternsCommand,
  replayCommand,
  timelineCommand,
  timelineJsonCommand
} from '../../commands/history.js'
import { type ApiContext, defined } from '../context.js'
import { Dimension, Output, TimelineOutput, TimeText } from '../schemas.js'

/** A folder of its own for one export or import, removed when the work is done. */
async function withScratch<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'cosmic-api-'))
  try {
    return await work(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

/**
 * The history as a whole: timeline and search, the identity graph, patterns,
 * evolution, audit, replay and time travel, export and import. After a rebuild or an
 * import, `ctx.reset()` tells caches and live views (no append happened).
 */
export const historyRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/timeline',
    {
      config: { cacheable: true },
      schema: {
        tags: ['history'],
        summary: timelineCommand.summary,
        querystring: Type.Object(
          {
            type: Type.Optional(
              Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
                maxItems: 16,
                description: 'reflection, tension, or an event type such as tension.shifted (repeatable)'
              })
            ),
            tag: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            dimension: Type.Optional(Dimension),
            from: Type.Optional(TimeText),
            to: Type.Optional(TimeText),
            search: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 500,
                description: 'words to find (ranked); "a phrase", word* for a prefix, OR'
              })
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'per page (default 20)' })),
            cursor: Type.Optional(
              Type.String({ minLength: 1, maxLength: 200, description: 'the `next` of the previous page' })
            ),
            until: Type.Optional(TimeText)
          },
          { additionalProperties: false }
        ),
        response: { 200: TimelineOutput }
      }
    },
    // The JSON text as the response schema would write it (a string is sent as it is): see timelineJson.
    async (request, reply) => {
      const body = await ctx.run(timelineJsonCommand, defined(request.query))
      // The type provider types send() by the schema's objects; this is their JSON.
      return reply.type('application/json; charset=utf-8').send(body as never)
    }
  )

  app.get(
    '/graph',
    {
      config: { cacheable: true },
      schema: {
        tags: ['history'],
        summary: graphCommand.summary,
        querystring: Type.Object(
          {
            format: Type.Optional(
              Type.Union([Type.Literal('json'), Type.Literal('dot')], { description: 'json (default) or dot' })
            ),
            dimension: Type.Optional(Dimension),
            until: Type.Optional(TimeText)
          },
          { additionalProperties: false }
        ),
        response: { 200: Output('{ until, graph: { nodes, edges } }, or Graphviz DOT with format=dot') }
      }
    },
    async (request, reply) => {
      const { format, ...rest } = request.query
      const out = await ctx.run(graphCommand, { ...defined(rest), format: format ?? 'json' })
      if (format === 'dot') return reply.type('text/vnd.graphviz; charset=utf-8').send(out.dot)
      return { until: out.until, graph: out.graph }
    }
  )

  app.get(
    '/patterns',
    {
      config: { cacheable: true },
      schema: {
        tags: ['history'],
        summary: patternsCommand.summary,
        querystring: Type.Object(
          {
            window: Type.Optional(Type.Union([Type.Literal('week'), Type.Literal('month')])),
            buckets: Type.Optional(Type.Integer({ minimum: 1, maximum: 520, description: 'how many recent ones' })),
            until: Type.Optional(TimeText)
          },
          { additionalProperties: false }
        ),
        response: { 200: Output('{ until, window, buckets, themes, emotions, pairs, loops }') }
      }
    },
    (request) => ctx.run(patternsCommand, defined(request.query))
  )

  app.get(
    '/evolution',
    {
      config: { cacheable: true },
      schema: {
        tags: ['history'],
        summary: evolutionCommand.summary,
        querystring: Type.Object({ from: TimeText, to: Type.Optional(TimeText) }, { additionalProperties: false }),
        response: { 200: Output('{ from, to, events, graph, tensions, themes, emotions, summary }') }
      }
    },
    (request) => ctx.run(evolutionCommand, { ...defined(request.query), note: false })
  )

  app.post(
    '/evolution/notes',
    {
      schema: {
        tags: ['history'],
        summary: 'what changed between two times, with a narrative by the mirror engine recorded as evolution.noted',
        body: Type.Object({ from: TimeText, to: Type.Optional(TimeText) }, { additionalProperties: false }),
        response: { 201: Output('the evolution, with noted (the event) and narrative') }
      }
    },
    async (request, reply) => {
      reply.code(201)
      return ctx.run(evolutionCommand, { ...defined(request.body), note: true }, 'write')
    }
  )

  app.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: audit.summary,
        response: { 200: Output('{ ok, length, verified, redacted, tree, failures, firstFailure }') }
      }
    },
    () => ctx.run(audit, {})
  )

  app.get(
    '/replay',
    {
      config: { cacheable: true },
      schema: {
        tags: ['audit'],
        summary: 'the state as of a time, from a throwaway read model (the live one stays)',
        querystring: Type.Object({ until: TimeText }, { additionalProperties: false }),
        response: { 200: Output('{ mode: "as-of", until, events, entries, openTensions, facets, lastEvent }') }
      }
    },
    (request) => ctx.run(replayCommand, { until: request.query.until })
  )

  app.post(
    '/replay',
    {
      schema: {
        tags: ['audit'],
        summary: 'rebuild every projection from seq 0',
        response: { 200: Output('{ mode: "rebuild", events, ms, … }') }
      }
    },
    async () => {
      const out = await ctx.run(replayCommand, {}, 'exclusive')
      ctx.reset()
      return out
    }
  )

  app.get(
    '/export',
    {
      schema: {
        tags: ['export'],
        summary: 'download the whole journal: a verifiable bundle (JSON Lines) or a readable Markdown journal',
        querystring: Type.Object(
          { format: Type.Optional(Type.Union([Type.Literal('jsonl'), Type.Literal('markdown')])) },
          { additionalProperties: false }
        ),
        produces: ['application/x-ndjson', 'text/markdown']
      }
    },
    async (request, reply) => {
      const format = request.query.format ?? 'jsonl'
      const bytes = await withScratch(async (dir) => {
        const file = join(dir, format === 'jsonl' ? 'journal.jsonl' : 'journal.md')
        await ctx.run(exportCommand, { file, format, single: format === 'markdown' })
        return readFile(file)
      })
      const name = `cosmic-journal-${day(Date.now())}.${format === 'jsonl' ? 'jsonl' : 'md'}`
      return reply
        .type(format === 'jsonl' ? 'application/x-ndjson; charset=utf-8' : 'text/markdown; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(bytes)
    }
  )

  app.post(
    '/import',
    {
      bodyLimit: 1024 * 1024 * 1024,
      schema: {
        tags: ['export'],
        summary: importCommand.summary,
        consumes: ['application/x-ndjson'],
        body: Type.String({ minLength: 1, description: 'a bundle written by export (JSON Lines)' }),
        response: { 200: Output('{ file, author, events, redacted, entries, treeHash, treeHashMatches }') }
      }
    },
    async (request) => {
      const out = await withScratch(async (dir) => {
        const file = join(dir, 'bundle.jsonl')
        await writeFile(file, request.body, { mode: 0o600 })
        const report = await ctx.run(importCommand, { file }, 'exclusive')
        return { ...report, file: 'upload' }
      })
      ctx.reset()
      return out
    }
  )
}
