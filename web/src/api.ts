/** The one way the web UI talks to the server: the API, with the token, JSON in and out. */

const TOKEN_KEY = 'cosmic-token'

/** Takes the token from the URL fragment `cosmic serve` printed (#token=…), keeps it, and clears it from the address bar. */
export function takeToken(): string | null {
  const match = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash)
  if (match?.[1]) {
    localStorage.setItem(TOKEN_KEY, match[1])
    history.replaceState(null, '', `${location.pathname}${location.search}#/journal`)
    return match[1]
  }
  return localStorage.getItem(TOKEN_KEY)
}

export function token(): string {
  return localStorage.getItem(TOKEN_KEY) ?? ''
}

export function forgetToken(): void {
  localStorage.removeItem(TOKEN_KEY)
}

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly field: string | undefined

  constructor(status: number, code: string, message: string, field?: string) {
    super(message)
    this.status = status
    this.code = code
    this.field = field
  }

  /** The message without its code prefix, for people. */
  get detail(): string {
    return this.message.replace(/^[A-Z_]+: /, '')
  }
}

/** What to tell a person about a failure: an API error's message without its code, else the error as text. */
export function errorMessage(err: unknown): string {
  return err instanceof ApiError ? err.detail : String(err)
}

type Query = Record<string, string | number | boolean | undefined | null | readonly string[]>

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue
    if (Array.isArray(value)) for (const v of value) params.append(key, v)
    else params.append(key, String(value))
  }
  const text = params.toString()
  return text ? `${path}?${text}` : path
}

async function send<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token()}` }
  const init: RequestInit = { method, headers }
  if (signal) init.signal = signal
  if (body !== undefined) {
    headers['content-type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  const response = await fetch(`/api${path}`, init)
  const text = await response.text()
  const json = text ? (JSON.parse(text) as unknown) : null
  if (!response.ok) {
    const error = (json as { error?: { code?: string; message?: string; field?: string } } | null)?.error
    if (response.status === 401) window.dispatchEvent(new CustomEvent('cosmic-unauthorized'))
    throw new ApiError(
      response.status,
      error?.code ?? 'INTERNAL',
      error?.message ?? `HTTP ${response.status}`,
      error?.field
    )
  }
  return json as T
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) =>
    send<T>('GET', withQuery(path, query), undefined, signal),
  post: <T>(path: string, body?: unknown) => send<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => send<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => send<T>('PUT', path, body),
  delete: <T>(path: string) => send<T>('DELETE', path)
}

/** Downloads an export as a file, through fetch so the token stays in a header. */
export async function download(path: string, query: Query): Promise<string> {
  const response = await fetch(`/api${withQuery(path, query)}`, { headers: { authorization: `Bearer ${token()}` } })
  if (!response.ok) throw new ApiError(response.status, 'INTERNAL', `HTTP ${response.status}`)
  const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'journal'
  const url = URL.createObjectURL(await response.blob())
  const link = document.createElement('a')
  link.href = url
  link.download = name
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return name
}
