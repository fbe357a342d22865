import { chmod, rm } from 'node:fs/promises'
import { createServer, request, type Server } from 'node:http'
import { join, resolve } from 'node:path'
import type { Command } from '../commands/command.js'
import { CosmicError, ERROR_CODES, type ErrorCode } from '../errors.js'
import { COMMANDS, commandKey } from './command-registry.js'
import type { ApiContext } from './context.js'
import { toCosmicError } from './errors.js'

export const SOCKET_FILE = 'cosmic.sock'
/** Unix socket paths are limited (108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH = 100
const MAX_REQUEST = 64 * 1024 * 1024

export function socketPath(homePath: string): string {
  return join(homePath, SOCKET_FILE)
}

interface Reply {
  output?: unknown
  error?: { code: string; message: string; detail: string }
}

/**
 * One home, one process: while `cosmic serve` holds a home, the CLI sends its commands
 * here, a Unix socket inside the home readable by its owner only (so it needs no token
 * and no passphrase: the vault is already open in this process). Each request is one
 * command by its registry key and its input; the answer is the command's JSON output, or
 * its error with the code. Returns null where the socket cannot be made (a path too long).
 */
export async function listenLocalSocket(ctx: ApiContext): Promise<{ close(): Promise<void> } | null> {
  const path = socketPath(ctx.home.path)
  if (path.length > MAX_SOCKET_PATH) return null
  // A socket file left by a process that died is in the way; a live one means another server.
  if (await forwardable(path)) {
    throw CosmicError.HOME_LOCKED(`another process already serves ${ctx.home.path}`)
  }
  await rm(path, { force: true })
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_REQUEST) req.destroy()
      else chunks.push(chunk)
    })
    req.on('end', async () => {
      let reply: Reply
      try {
        const { command: key, input } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          command: string
          input: unknown
        }
        const entry = COMMANDS[key]
        if (!entry) throw CosmicError.INVALID_INPUT(`the server does not run "${key}"`)
        reply = { output: await ctx.run(entry.command, input, entry.mode) }
        if (entry.mode === 'exclusive') ctx.reset()
      } catch (err) {
        const cosmic = toCosmicError(err)
        reply = { error: { code: cosmic.code, message: cosmic.message, detail: cosmic.detail } }
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(reply))
    })
  })
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject)
    server.listen(path, () => resolvePromise())
  })
  await chmod(path, 0o600)
  return {
    async close() {
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()))
      await rm(path, { force: true })
    }
  }
}

function post(path: string, body: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      { socketPath: path, method: 'POST', path: '/', headers: { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolvePromise(Buffer.concat(chunks).toString('utf8')))
        res.on('error', reject)
      }
    )
    req.on('error', reject)
    req.end(body)
  })
}

async function forwardable(path: string): Promise<boolean> {
  try {
    await post(path, JSON.stringify({ command: 'status', input: {} }))
    return true
  } catch {
    return false
  }
}

/** Paths in an input are the CLI's, relative to where it runs: the server gets them absolute. */
function absolutePaths(input: unknown): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) }
  if (typeof out.file === 'string') out.file = resolve(out.file)
  return out
}

/**
 * Runs `command` through the process that serves `homePath`, if one does. Returns its
 * output, or undefined when no server answers there (then the caller opens the home
 * itself). A command's error comes back as the same CosmicError.
 */
export async function runThroughServer<I, O>(
  homePath: string,
  command: Command<I, O>,
  input: I
): Promise<{ output: O } | undefined> {
  const key = commandKey(command as Command<unknown, unknown>)
  const path = socketPath(resolve(homePath))
  if (key === undefined || path.length > MAX_SOCKET_PATH) return undefined
  let text: string
  try {
    text = await post(path, JSON.stringify({ command: key, input: absolutePaths(input) }))
  } catch {
    return undefined
  }
  const reply = JSON.parse(text) as Reply
  if (reply.error) {
    const code = (Object.hasOwn(ERROR_CODES, reply.error.code) ? reply.error.code : 'INTERNAL') as ErrorCode
    throw new CosmicError(code, reply.error.detail)
  }
  return { output: reply.output as O }
}
