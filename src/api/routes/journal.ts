import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { amend, log, reflect, retract, status } from '../../commands/journal.js'
import { mirror, reflectAndMirror } from '../../commands/mirror.js'
import { vaultExportKey } from '../../commands/vault.js'
import { type ApiContext, defined } from '../context.js'
import { Dimension, EngineKind, EntryId, EventJson, Output } from '../schemas.js'

const EntryParams = Type.Object({ id: EntryId }, { additionalProperties: false })

const ReflectBody = Type.Object(
  {
    text: Type.String({ minLength: 1, maxLength: 50_000, description: 'what is on your mind' }),
    tags: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        maxItems: 64,
        description: 'tags, normalised as the CLI does: lower case, no #, spaces become -'
      })
    ),
    mood: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'how you feel, in a word or two' })),
    dimension: Type.Optional(Dimension),
    shareable: Type.Optional(Type.Boolean({ description: 'may be shared into a sphere later (default private)' })),
    sealed: Type.Optional(Type.Boolean({ description: 'never leaves this device, not even to a remote model' })),
    mirror: Type.Optional(Type.Boolean({ description: 'then mirror it back with the configured engine' })),
    engine: Type.Optional(EngineKind)
  },
  { additionalProperties: false }
)

/** The journal: status, the raw log, reflections (write, amend, retract, mirror), the recovery phrase. */
export const journalRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/status',
    {
      config: { cacheable: true },
      schema: { tags: ['journal'], summary: status.summary, response: { 200: Output('as cosmic status --json') } }
    },
    () => ctx.run(status, {})
  )

  app.get(
    '/log',
    {
      config: { cacheable: true },
      schema: {
        tags: ['journal'],
        summary: log.summary,
        querystring: Type.Object(
          {
            from: Type.Optional(Type.Integer({ minimum: 0, description: 'first seq (default 0)' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'how many (default 50)' }))
          },
          { additionalProperties: false }
        ),
        response: { 200: Type.Array(EventJson) }
      }
    },
    (request) => ctx.run(log, defined(request.query))
  )

  app.post(
    '/reflections',
    {
      schema: {
        tags: ['journal'],
        summary: 'record a journal entry (and, with mirror, mirror it back)',
        body: ReflectBody,
        response: {
          201: Type.Object({
            entry: EventJson,
            mirror: Type.Union([Output('the mirrorback, as cosmic mirror --json'), Type.Null()])
          })
        }
      }
    },
    async (request, reply) => {
      const { mirror: wantMirror, engine, ...rest } = request.body
      const input = defined({ ...rest })
      reply.code(201)
      if (wantMirror || engine) {
        const out = await ctx.run(reflectAndMirror, { ...input, ...defined({ engine }) }, 'write')
        return { entry: out.entry, mirror: out.mirror }
      }
      return { entry: await ctx.run(reflect, input, 'write'), mirror: null }
    }
  )

  app.patch(
    '/reflections/:id',
    {
      schema: {
        tags: ['journal'],
        summary: amend.summary,
        params: EntryParams,
        body: Type.Object(
          { text: Type.String({ minLength: 1, maxLength: 50_000, description: 'the new text' }) },
          { additionalProperties: false }
        ),
        response: { 200: EventJson }
      }
    },
    (request) => ctx.run(amend, { id: request.params.id, text: request.body.text }, 'write')
  )

  app.delete(
    '/reflections/:id',
    {
      schema: {
        tags: ['journal'],
        summary: retract.summary,
        params: EntryParams,
        response: { 200: Output('{ tombstone, ref, forgotten: [seq] }') }
      }
    },
    (request) => ctx.run(retract, { id: request.params.id }, 'write')
  )

  app.post(
    '/reflections/:id/mirror',
    {
      schema: {
        tags: ['mirror'],
        summary: mirror.summary,
        params: EntryParams,
        body: Type.Union([
          Type.Object({ engine: Type.Optional(EngineKind) }, { additionalProperties: false }),
          Type.Null()
        ]),
        response: { 201: Output('{ event, text, themes, engine, context, egress, note }') }
      }
    },
    async (request, reply) => {
      const engine = request.body?.engine
      reply.code(201)
      return ctx.run(mirror, { id: request.params.id, ...defined({ engine }) }, 'write')
    }
  )

  app.post(
    '/vault/export-key',
    {
      schema: {
        tags: ['vault'],
        summary: vaultExportKey.summary,
        response: { 200: Type.Object({ author: Type.String(), phrase: Type.String() }) }
      }
    },
    () => ctx.run(vaultExportKey, {})
  )
}
