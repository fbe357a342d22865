import type test from 'brittle'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/api/app.js'
import type { Home } from '../../src/store/home.js'
import { createHome } from './home.js'

// biome-ignore lint/suspicious/noExplicitAny: tests read response fields one by one
export type Json = any

export const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuvwxyz'
export const AUTH = { authorization: `Bearer ${TOKEN}` }

export interface ApiHome {
  app: FastifyInstance
  home: Home
  path: string
}

/** A fresh home and the API over it (no listening); both closed when the test ends, the app first. */
export async function createApiHome(t: test.Test, options: { webRoot?: string | null } = {}): Promise<ApiHome> {
  const { home, path } = await createHome(t)
  const app = await buildApp({ home, token: TOKEN, webRoot: options.webRoot ?? null })
  t.teardown(() => app.close(), { order: -2 })
  return { app, home, path }
}

/** app.inject with the token, JSON in and out. */
export async function call(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  url: string,
  body?: unknown,
  headers: Record<string, string> = {}
): Promise<{ status: number; json: Json; text: string; headers: Record<string, unknown> }> {
  const response = await app.inject({
    method,
    url,
    headers: { ...AUTH, ...headers },
    ...(body !== undefined ? { payload: body as object } : {})
  })
  let json: unknown = null
  try {
    json = JSON.parse(response.body)
  } catch {}
  return { status: response.statusCode, json, text: response.body, headers: response.headers }
}
