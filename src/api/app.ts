import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Ajv } from 'ajv'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { Home } from '../store/home.js'
import { lazySpheres, type Spheres } from '../swarm/spheres.js'
import { ResponseCache } from './cache.js'
import { type ApiContext, createContext } from './context.js'
import { errorHandler, notFoundHandler } from './errors.js'
import { deviceRoutes } from './routes/devices.js'
import { historyRoutes } from './routes/history.js'
import { journalRoutes } from './routes/journal.js'
import { profileRoutes } from './routes/profile.js'
import { settingsRoutes } from './routes/settings.js'
import { sphereRoutes } from './routes/spheres.js'
import { createStreamHub, streamRoutes } from './routes/stream.js'
import { tensionRoutes } from './routes/tensions.js'
import { allowedHostnames, checkHost, checkToken } from './security.js'

/** dist/web, where `npm run build` bundles the web UI (this module runs from dist/src/api/). */
export const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url))

export interface AppOptions {
  home: Home
  /** The bearer token every /api request must carry. */
  token: string
  /** The host the server is (or will be) bound to: requests naming another in Host are refused. Default 127.0.0.1. */
  host?: string
  /** More names the Host header may carry (the public name behind a proxy). */
  publicHosts?: readonly string[]
  /** The bundled web UI; null serves none. Default dist/web. */
  webRoot?: string | null
  logger?: FastifyServerOptions['logger']
  /** Hosted mode with TLS: passed to Fastify as `https`. */
  https?: { key: Buffer | string; cert: Buffer | string } | null
  /** Behind a reverse proxy: trust X-Forwarded-* from it. */
  trustProxy?: boolean
  /** Keep GET answers until the journal changes (default true; benchmarks measure without it too). */
  cache?: boolean
  /** The home's context, when something else shares it (cosmic serve's local socket); default a new one. */
  context?: ApiContext
  /**
   * The home's spheres, for a new context (ignored with `context`). Default: opened on
   * first use, offline (nothing joins the swarm until a join asks for it), and closed
   * with the app. null: no sphere routes at all.
   */
  spheres?: (() => Promise<Spheres>) | null
}

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // Chart.js and Cytoscape size their canvases with style attributes.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'"
].join('; ')

/**
 * Two validators: bodies are JSON and taken as typed (`true` is not the text "true"),
 * while query strings and path parameters are text, coerced to the schema's types.
 * Unknown fields are refused, not silently dropped, so a typo is a 400 naming it.
 */
function validators() {
  const common = { allErrors: false, strict: false, useDefaults: true, removeAdditional: false } as const
  return { body: new Ajv({ ...common, coerceTypes: false }), text: new Ajv({ ...common, coerceTypes: 'array' }) }
}

/**
 * The HTTP face of one open home: every capability of the CLI under /api (each route
 * runs the same command the CLI runs), OpenAPI at /docs, live updates at /api/stream,
 * and the web UI at /. Returns the instance without listening: only `cosmic serve` listens.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const host = options.host ?? '127.0.0.1'
  const allowed = allowedHostnames(host, options.publicHosts ?? [])
  const token = Buffer.from(options.token)
  const serverOptions: FastifyServerOptions & { https?: unknown } = {
    logger: options.logger ?? false,
    trustProxy: options.trustProxy ?? false,
    bodyLimit: 2 * 1024 * 1024,
    forceCloseConnections: true,
    ajv: { customOptions: { removeAdditional: false } }
  }
  if (options.https) serverOptions.https = options.https
  const app = Fastify(serverOptions as FastifyServerOptions).withTypeProvider<TypeBoxTypeProvider>()

  const ajv = validators()
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? ajv.body : ajv.text).compile(schema))
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)
  // A bundle to import is JSON Lines: taken as text, verified by the import itself.
  app.addContentTypeParser(
    ['application/x-ndjson', 'application/jsonl', 'text/plain'],
    { parseAs: 'string' },
    (_r, body, done) => done(null, body)
  )

  app.addHook('onRequest', async (request) => {
    checkHost(request, allowed)
    // By the route that matched, not the raw URL: the router decodes `/%61pi/status` to /api/status.
    const route = request.routeOptions.url
    if (route === undefined || route === '/api' || route.startsWith('/api/')) {
      checkToken(request, token, route === '/api/stream')
    }
  })
  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions.url ?? ''
    reply.header('x-content-type-options', 'nosniff')
    reply.header('referrer-policy', 'no-referrer')
    if (!route.startsWith('/docs')) {
      reply.header('x-frame-options', 'DENY')
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY)
    }
    if (route.startsWith('/api')) reply.header('cache-control', 'no-store')
    return payload
  })

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'CosmicSyncCore local API',
        version: '1',
        description:
          'Every capability of the cosmic CLI over HTTP, for one open home. Send `Authorization: Bearer TOKEN` (the token is in the URL `cosmic serve` prints, and in HOME/api-token). Errors are `{ error: { code, message, field? } }` with the codes of docs/errors.md.'
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }]
    }
  })
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' })

  // Spheres opened here are this app's to close; a caller's factory (or context) stays the caller's.
  const ownSpheres = options.context || options.spheres !== undefined ? null : lazySpheres(options.home)
  const ctx = options.context ?? createContext(options.home, ownSpheres?.get ?? options.spheres ?? undefined)
  const hub = createStreamHub()
  const cache = new ResponseCache(options.home)
  const stopReset = ctx.onReset(() => {
    cache.invalidate()
    hub.reset()
  })
  app.addHook('onClose', async () => {
    stopReset()
    cache.close()
    await ownSpheres?.close()
  })
  app.addHook('preClose', async () => hub.closeAll())
  await app.register(
    async (api) => {
      if (options.cache !== false) cache.register(api)
      await api.register(journalRoutes, { ctx })
      await api.register(tensionRoutes, { ctx })
      await api.register(profileRoutes, { ctx })
      await api.register(historyRoutes, { ctx })
      await api.register(settingsRoutes, { ctx })
      await api.register(deviceRoutes, { ctx })
      if (ctx.spheres) await api.register(sphereRoutes, { ctx })
      await api.register(streamRoutes(hub), { ctx })
    },
    { prefix: '/api' }
  )

  const webRoot = options.webRoot === undefined ? WEB_ROOT : options.webRoot
  if (webRoot && existsSync(webRoot)) {
    await app.register(fastifyStatic, { root: webRoot, prefix: '/', wildcard: true, index: 'index.html' })
  } else if (webRoot !== null) {
    app.get('/', { schema: { hide: true } }, (_request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .send(
          'The web UI is not built: run `npm run build` (it bundles web/ into dist/web). The API is at /api, its docs at /docs.'
        )
    )
  }
  return app
}
