import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { tensionShow, tensionsCommand } from '../../commands/history.js'
import { tensionAdd, tensionResolve, tensionShift } from '../../commands/tension.js'
import { type ApiContext, defined } from '../context.js'
import { EventJson, Output, TensionId, TimeText } from '../schemas.js'

const Params = Type.Object({ id: TensionId }, { additionalProperties: false })
const Intensity = Type.Number({ minimum: 0, maximum: 1, description: 'how strongly it is felt, 0 to 1' })
const Pole = Type.String({ minLength: 1, maxLength: 200 })

/** Tensions: list (now or as of a time), one with its series, note, shift, resolve. */
export const tensionRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/tensions',
    {
      config: { cacheable: true },
      schema: {
        tags: ['tensions'],
        summary: tensionsCommand.summary,
        querystring: Type.Object(
          {
            all: Type.Optional(Type.Boolean({ description: 'include resolved tensions' })),
            until: Type.Optional(TimeText)
          },
          { additionalProperties: false }
        ),
        response: { 200: Output('{ until, tensions: [TensionRow] }') }
      }
    },
    (request) => ctx.run(tensionsCommand, defined(request.query))
  )

  app.get(
    '/tensions/:id',
    {
      config: { cacheable: true },
      schema: {
        tags: ['tensions'],
        summary: tensionShow.summary,
        params: Params,
        querystring: Type.Object({ until: Type.Optional(TimeText) }, { additionalProperties: false }),
        response: { 200: Output('{ until, tension, series: [{ seq, time, kind, intensity, toward }], loops }') }
      }
    },
    (request) => ctx.run(tensionShow, { id: request.params.id, ...defined(request.query) })
  )

  app.post(
    '/tensions',
    {
      schema: {
        tags: ['tensions'],
        summary: tensionAdd.summary,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200, description: 'e.g. "money: scarcity vs control"' }),
            poles: Type.Tuple([Pole, Pole], { description: 'the two poles' }),
            intensity: Type.Optional(Intensity),
            domain: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'the area of life' })),
            shareable: Type.Optional(Type.Boolean())
          },
          { additionalProperties: false }
        ),
        response: { 201: EventJson }
      }
    },
    async (request, reply) => {
      reply.code(201)
      return ctx.run(tensionAdd, defined(request.body), 'write')
    }
  )

  app.post(
    '/tensions/:id/shift',
    {
      schema: {
        tags: ['tensions'],
        summary: tensionShift.summary,
        params: Params,
        body: Type.Object(
          {
            intensity: Intensity,
            toward: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'one of its poles' }))
          },
          { additionalProperties: false }
        ),
        response: { 201: EventJson }
      }
    },
    async (request, reply) => {
      reply.code(201)
      return ctx.run(tensionShift, { id: request.params.id, ...defined(request.body) }, 'write')
    }
  )

  app.post(
    '/tensions/:id/resolve',
    {
      schema: {
        tags: ['tensions'],
        summary: tensionResolve.summary,
        params: Params,
        body: Type.Object(
          { insight: Type.String({ minLength: 1, maxLength: 50_000, description: 'what you understood' }) },
          { additionalProperties: false }
        ),
        response: { 201: EventJson }
      }
    },
    async (request, reply) => {
      reply.code(201)
      return ctx.run(tensionResolve, { id: request.params.id, insight: request.body.insight }, 'write')
    }
  )
}
