import { setTimeout as sleep } from 'node:timers/promises'
import { CosmicError } from '../errors.js'
import { blake2b256, toHex } from '../events/crypto.js'
import type { EgressPurpose } from '../events/egress.js'
import { analyze } from './analyze.js'
import type { Prompt, Reflection } from './prompt.js'
import type { Disclosure, EgressRecorder, EvolutionInput, MirrorInput, MirrorProvider } from './provider.js'
import type { RemoteTarget } from './settings.js'

/**
 * `remote_llm`: any OpenAI-compatible chat-completions endpoint (Ollama, LM Studio,
 * llama.cpp server, vLLM, hosted APIs). Node's fetch with a timeout per attempt;
 * retries with exponential backoff on 429 and 5xx (honouring Retry-After), on a
 * timeout and on a connection that was reset or closed under the request; clear
 * errors for 401/403, an unreachable host, a timeout and an answer that is not
 * JSON. Before each attempt, the egress recorder appends the ledger entry: if that
 * fails, nothing is sent.
 */

export interface RemoteOptions {
  target: RemoteTarget
  maxTokens: number
  recordEgress: EgressRecorder
  /** First backoff in ms (doubles each retry, capped); tests make it small. */
  backoffMs?: number
  /** Longest wait between attempts, Retry-After included. */
  maxBackoffMs?: number
  fetch?: typeof fetch
}

/** The JSON schema the answer is asked to follow (response_format json_schema). */
export const REFLECTION_SCHEMA = {
  type: 'object',
  properties: {
    text: { type: 'string' },
    themes: { type: 'array', items: { type: 'string' }, maxItems: 12 }
  },
  required: ['text', 'themes'],
  additionalProperties: false
} as const

export function chatCompletionsUrl(baseUrl: string): string {
  return `${baseUrl}/chat/completions`
}

/** The exact request body: what is hashed and counted is what is sent. */
export function requestBody(model: string, prompt: Prompt, maxTokens: number): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      model,
      messages: [
        { role: 'system', content: prompt.system },
        { role: 'user', content: prompt.user }
      ],
      temperature: 0.3,
      max_tokens: maxTokens,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'reflection', strict: true, schema: REFLECTION_SCHEMA }
      }
    })
  )
}

export function payloadHash(body: Uint8Array): string {
  return toHex(blake2b256(body))
}

const RETRYABLE = (status: number) => status === 429 || status >= 500

export function remoteProvider(options: RemoteOptions): MirrorProvider {
  const { target } = options
  const doFetch = options.fetch ?? fetch
  const backoff = options.backoffMs ?? 500
  const maxBackoff = options.maxBackoffMs ?? 30_000
  const url = chatCompletionsUrl(target.baseUrl)

  async function call(prompt: Prompt, purpose: EgressPurpose, disclosure: Disclosure): Promise<Reflection> {
    const body = requestBody(target.model, prompt, options.maxTokens)
    const hash = payloadHash(body)
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' }
    if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`
    const attempts = target.retries + 1
    let lastProblem = ''
    let hint = ''
    for (let attempt = 1; attempt <= attempts; attempt++) {
      await options.recordEgress({
        endpoint: url,
        purpose,
        model: target.model,
        bytes: body.byteLength,
        payloadHash: hash,
        attempt,
        disclosure
      })
      let status: number
      let text: string
      let wait: number | null = null
      try {
        // One signal for the whole attempt: a body that stalls after the headers times out too.
        const response = await doFetch(url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(target.timeoutMs),
          redirect: 'error'
        })
        status = response.status
        wait = retryAfter(response)
        text = await response.text()
      } catch (err) {
        const problem = networkProblem(err, url, target.timeoutMs)
        if (!problem.transient) throw CosmicError.REMOTE_FAILED(`${problem.message}${problem.hint}`)
        lastProblem = problem.message
        hint = problem.hint
        if (attempt === attempts) break
        await sleep(Math.min(maxBackoff, backoff * 2 ** (attempt - 1)))
        continue
      }
      if (status >= 200 && status < 300) return parseAnswer(text, url)
      if (status === 401 || status === 403) {
        throw CosmicError.REMOTE_UNAUTHORIZED(
          `${url} answered ${status}${snippet(text)}: the API key is missing or not accepted (set COSMIC_REMOTE_API_KEY, or cosmic config set remote_key_env NAME / remote_key_file FILE)`
        )
      }
      lastProblem = `${url} answered ${status}${snippet(text)}`
      hint = ''
      if (!RETRYABLE(status) || attempt === attempts) break
      await sleep(Math.min(maxBackoff, wait ?? backoff * 2 ** (attempt - 1)))
    }
    throw CosmicError.REMOTE_FAILED(`${lastProblem} (after ${attempts} attempt(s))${hint}`)
  }

  return {
    kind: 'remote_llm',
    model: target.model,
    mirror: (input: MirrorInput) => call(input.prompt, 'mirror', input.disclosure),
    narrate: (input: EvolutionInput) => call(input.prompt, 'evolution', input.disclosure),
    async close() {}
  }
}

function retryAfter(response: Response): number | null {
  const value = response.headers.get('retry-after')
  if (!value) return null
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now())
}

function snippet(text: string): string {
  const clean = text.replace(/\s+/g, ' ').trim().slice(0, 200)
  return clean ? ` (${clean})` : ''
}

/**
 * Connection failures worth another attempt: the server or something between closed
 * or reset the connection under the request (a keep-alive connection the server
 * dropped, a proxy restarting). A refused connection or an unknown host is not: the
 * host is not there, and waiting would only delay the clear error.
 */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT'
])

/** What went wrong with the connection, in words, and whether another attempt may help. */
function networkProblem(
  err: unknown,
  url: string,
  timeoutMs: number
): { message: string; hint: string; transient: boolean } {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } }
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return {
      message: `${url} did not answer within ${timeoutMs} ms`,
      hint: '; to wait longer: cosmic config set remote_timeout_ms N',
      transient: true
    }
  }
  const cause = e?.cause
  const reason = cause?.code
    ? `${cause.code}${cause.message ? `: ${cause.message}` : ''}`
    : (cause?.message ?? e?.message ?? String(err))
  return {
    message: `cannot reach ${url} (${reason})`,
    hint: '',
    transient: cause?.code !== undefined && TRANSIENT_CODES.has(cause.code)
  }
}

/** Reads a chat-completions answer: bad JSON and a missing message are clear errors. */
export function parseAnswer(raw: string, url: string): Reflection {
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    throw CosmicError.REMOTE_FAILED(`${url} answered something that is not JSON${snippet(raw)}`)
  }
  const content = (json as { choices?: { message?: { content?: unknown } }[] })?.choices?.[0]?.message?.content
  if (typeof content !== 'string' || content.trim() === '') {
    throw CosmicError.REMOTE_FAILED(`${url} answered JSON without choices[0].message.content${snippet(raw)}`)
  }
  return reflectionFromContent(content)
}

/**
 * The message content should be the JSON asked for. An endpoint that ignores
 * response_format may answer in prose: then the prose is the text and the themes
 * come from the lexicon, rather than losing a good answer over its wrapping.
 */
export function reflectionFromContent(content: string): Reflection {
  const trimmed = content
    .trim()
    .replace(/^```(?:json)?\s*/i, '')
    .replace(/```$/, '')
    .trim()
  try {
    const parsed = JSON.parse(trimmed) as { text?: unknown; themes?: unknown }
    if (parsed && typeof parsed.text === 'string') {
      const themes = Array.isArray(parsed.themes) ? parsed.themes.filter((t): t is string => typeof t === 'string') : []
      return { text: parsed.text, themes }
    }
  } catch {
    // prose: handled below
  }
  const analysis = analyze(content)
  return { text: content.trim(), themes: [...analysis.topThemes, ...analysis.felt].slice(0, 12) }
}
