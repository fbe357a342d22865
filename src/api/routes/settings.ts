import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type TSchema, Type } from '@sinclair/typebox'
import { CONFIG_KEYS, configSet, configShow, configUnset } from '../../commands/config.js'
import { consentGrant, consentList, consentRevoke, egressList } from '../../commands/egress.js'
import { CosmicError } from '../../errors.js'
import { type ApiContext, defined } from '../context.js'
import { Output, TimeText } from '../schemas.js'

/** Each setting takes text, a number or a boolean (as the CLI's words would say it), or null to unset it. */
const settingValue = (help: string): TSchema =>
  Type.Union([Type.String({ minLength: 1, maxLength: 4096 }), Type.Number(), Type.Boolean(), Type.Null()], {
    description: help
  })

const ConfigPatch = Type.Object(
  Object.fromEntries(Object.entries(CONFIG_KEYS).map(([key, spec]) => [key, Type.Optional(settingValue(spec.help))])),
  { additionalProperties: false, minProperties: 1, description: 'settings to change; null returns one to its default' }
)

/** Settings and modes (config), the egress ledger, consents. */
export const settingsRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/config',
    {
      schema: {
        tags: ['settings'],
        summary: configShow.summary,
        response: { 200: Output('{ settings, recorded, environment, apiKey, warnings }') }
      }
    },
    () => ctx.run(configShow, {})
  )

  app.patch(
    '/config',
    {
      schema: {
        tags: ['settings'],
        summary: 'change settings (mirror_mode, engine_mode, sync_enabled, model, …): one config.changed event',
        body: ConfigPatch,
        response: { 200: Output('{ changed, event, settings, recorded, environment, apiKey, warnings }') }
      }
    },
    async (request) => {
      const entries = Object.entries(request.body as Record<string, string | number | boolean | null | undefined>)
      const unset = entries.filter(([, v]) => v === null).map(([k]) => k)
      const set = entries.filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, String(v)] as const)
      if (unset.length > 0 && set.length > 0) {
        throw CosmicError.INVALID_INPUT(
          'set settings and unset others (null) in separate requests: one change, one event',
          {
            field: unset[0],
            in: 'body'
          }
        )
      }
      if (unset.length > 0) return ctx.run(configUnset, { keys: unset }, 'write')
      return ctx.run(configSet, { pairs: set }, 'write')
    }
  )

  app.get(
    '/egress',
    {
      schema: {
        tags: ['settings'],
        summary: egressList.summary,
        querystring: Type.Object(
          {
            endpoint: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
            since: Type.Optional(TimeText),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 }))
          },
          { additionalProperties: false }
        ),
        response: { 200: Output('{ requests, bytes, contentBytes, byEndpoint, entries }') }
      }
    },
    (request) => ctx.run(egressList, defined(request.query))
  )

  app.get(
    '/consents',
    { schema: { tags: ['settings'], summary: consentList.summary, response: { 200: Output('[consent with state]') } } },
    () => ctx.run(consentList, {})
  )

  app.post(
    '/consents',
    {
      schema: {
        tags: ['settings'],
        summary: consentGrant.summary,
        body: Type.Object(
          {
            endpoint: Type.String({
              minLength: 1,
              maxLength: 500,
              description: 'base URL, e.g. http://127.0.0.1:8080/v1'
            }),
            scope: Type.Optional(
              Type.Array(Type.Union([Type.Literal('mirror'), Type.Literal('evolution')]), { minItems: 1, maxItems: 2 })
            ),
            until: Type.Optional(TimeText)
          },
          { additionalProperties: false }
        ),
        response: { 201: Output('{ event, endpoint, scope, until, note }') }
      }
    },
    async (request, reply) => {
      reply.code(201)
      return ctx.run(consentGrant, defined(request.body), 'write')
    }
  )

  app.post(
    '/consents/revoke',
    {
      schema: {
        tags: ['settings'],
        summary: consentRevoke.summary,
        body: Type.Object(
          { target: Type.String({ minLength: 1, maxLength: 500, description: 'an endpoint URL or a consent id' }) },
          { additionalProperties: false }
        ),
        response: { 200: Output('{ revoked: [{ consent, audience, event }] }') }
      }
    },
    (request) => ctx.run(consentRevoke, { target: request.body.target }, 'write')
  )
}
