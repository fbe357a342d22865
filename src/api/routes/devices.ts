import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { deviceList, devicePair, deviceRemove } from '../../commands/device.js'
import { CosmicError } from '../../errors.js'
import type { ApiContext } from '../context.js'
import { EventJson } from '../schemas.js'

const DeviceRow = Type.Object({
  device: Type.Integer(),
  name: Type.String(),
  time: Type.Integer({ description: 'when it was paired (ms); 0 for the device that created the identity' }),
  removed: Type.Boolean(),
  self: Type.Boolean({ description: 'the device this server runs on' })
})

/** The person's devices (docs/devices.md): list, pair a new one, remove one. */
export const deviceRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/devices',
    {
      config: { cacheable: true },
      schema: { tags: ['devices'], summary: deviceList.summary, response: { 200: Type.Array(DeviceRow) } }
    },
    () => ctx.run(deviceList, {})
  )

  app.post(
    '/devices/pair',
    {
      schema: {
        tags: ['devices'],
        summary: devicePair.summary,
        body: Type.Union([
          Type.Object(
            { wait: Type.Optional(Type.Integer({ minimum: 10_000, maximum: 86_400_000, description: 'ms' })) },
            { additionalProperties: false }
          ),
          Type.Null()
        ]),
        response: { 200: Type.Object({ code: Type.String(), expires: Type.Integer() }) }
      }
    },
    (request) => {
      if (!ctx.devices) {
        throw CosmicError.NETWORK_REFUSED(
          'pairing runs in the app on your own home (cosmic serve); the demo never goes online'
        )
      }
      const wait = request.body?.wait
      return ctx.run(devicePair, wait === undefined ? {} : { wait }, 'write')
    }
  )

  app.delete(
    '/devices/:device',
    {
      schema: {
        tags: ['devices'],
        summary: deviceRemove.summary,
        params: Type.Object(
          { device: Type.Integer({ minimum: 0, maximum: 4_294_967_295 }) },
          { additionalProperties: false }
        ),
        response: { 200: EventJson }
      }
    },
    (request) => ctx.run(deviceRemove, { device: request.params.device }, 'write')
  )
}
