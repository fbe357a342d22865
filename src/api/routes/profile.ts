import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { profileRemove, profileSet, profileShow } from '../../commands/profile.js'
import { type ApiContext, defined } from '../context.js'
import { Dimension, EventJson, Output } from '../schemas.js'

const FacetParams = Type.Object(
  {
    dimension: Dimension,
    facet: Type.String({
      pattern: '^[a-z]{1,32}$',
      description:
        'mind: skill, interest, project, seeking; heart: value, emotion, relationship; body: health, activity, presence'
    }),
    key: Type.String({ minLength: 1, maxLength: 200, description: 'e.g. typescript' })
  },
  { additionalProperties: false }
)

/** The whole-human profile: show, set a facet, remove one. */
export const profileRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/profile',
    {
      config: { cacheable: true },
      schema: {
        tags: ['profile'],
        summary: profileShow.summary,
        response: { 200: Output('[{ dimension, facet, key, value, level, privacy, time }]') }
      }
    },
    () => ctx.run(profileShow, {})
  )

  app.put(
    '/profile/:dimension/:facet/:key',
    {
      schema: {
        tags: ['profile'],
        summary: profileSet.summary,
        params: FacetParams,
        body: Type.Union([
          Type.Object(
            {
              value: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'an optional note' })),
              level: Type.Optional(Type.Integer({ minimum: 1, maximum: 5, description: 'for skills: how deep' })),
              shareable: Type.Optional(Type.Boolean())
            },
            { additionalProperties: false }
          ),
          Type.Null()
        ]),
        response: { 200: EventJson }
      }
    },
    (request) => ctx.run(profileSet, { ...request.params, ...defined(request.body ?? {}) }, 'write')
  )

  app.delete(
    '/profile/:dimension/:facet/:key',
    {
      schema: { tags: ['profile'], summary: profileRemove.summary, params: FacetParams, response: { 200: EventJson } }
    },
    (request) => ctx.run(profileRemove, request.params, 'write')
  )
}
