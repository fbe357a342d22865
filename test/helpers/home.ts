import { spawn } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type test from 'brittle'
import { DEFAULT_CONFIG } from '../../src/events/config.js'
import { Home, type InitOptions } from '../../src/store/home.js'

export const PASSPHRASE = 'test passphrase 1'
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const CLI = join(REPO, 'dist/src/cli/main.js')

/** Lets the home use the network (hybrid mode, sync on), as `cosmic config set` would. */
export async function allowNetwork(home: Home): Promise<void> {
  await home.append([{ type: 'config.changed', body: { ...DEFAULT_CONFIG, mode: 'hybrid', sync: true } }])
}

/** A fresh home in a temp dir, opened; closed and removed when the test ends. */
export async function createHome(
  t: test.Test,
  options: Partial<InitOptions> = {}
): Promise<{ home: Home; path: string; reopen: () => Promise<Home> }> {
  const path = join(await t.tmp(), 'home')
  const encryptAtRest = options.encryptAtRest ?? true
  await Home.init(path, { passphrase: PASSPHRASE, kdf: 'interactive', name: 'Test', ...options })
  let home = await Home.open(path, PASSPHRASE, { encryptAtRest })
  t.teardown(() => home.close(), { order: -1 })
  return {
    home,
    path,
    async reopen() {
      await home.close()
      home = await Home.open(path, PASSPHRASE, { encryptAtRest })
      return home
    }
  }
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the real `cosmic` binary, as a person would. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; input?: string } = {}
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, COSMIC_PASSPHRASE: PASSPHRASE, COSMIC_HOME: '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe']
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}

/** Every file below dir, recursively, with its bytes. */
export async function readAllFiles(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const out: { path: string; bytes: Buffer }[] = []
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    out.push({ path, bytes: await readFile(path) })
  }
  return out
}

/** Files of a home whose bytes contain the needle (case-insensitive ASCII search). */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const lower = Buffer.from(needle.toLowerCase())
  const upper = Buffer.from(needle.toUpperCase())
  const hits: string[] = []
  for (const { path, bytes } of await readAllFiles(dir)) {
    if (bytes.includes(Buffer.from(needle)) || containsIgnoreCase(bytes, lower, upper)) hits.push(path)
  }
  return hits
}

function containsIgnoreCase(haystack: Buffer, lower: Buffer, upper: Buffer): boolean {
  const n = lower.length
  outer: for (let i = 0; i + n <= haystack.length; i++) {
    for (let j = 0; j < n; j++) {
      const b = haystack[i + j]
      if (b !== lower[j] && b !== upper[j]) continue outer
    }
    return true
  }
  return false
}
