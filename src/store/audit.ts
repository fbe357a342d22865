import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Hypercore from 'hypercore'
import { CosmicError, type ErrorCode } from '../errors.js'
import { equalBytes, toHex } from '../events/crypto.js'
import { decodeBlock, redactedEvent, type SignedEvent, verifyEvent } from '../events/envelope.js'
import type { Journal } from './journal.js'
import { MerkleFold } from './merkle.js'

export interface AuditFailure {
  seq: number | null
  code: ErrorCode
  reason: string
}

export interface AuditReport {
  ok: boolean
  author: string
  length: number
  verified: number
  redacted: number
  tree: { ok: boolean; treeHash: string | null; reason?: string }
  failures: AuditFailure[]
  /** The first failure (lowest seq), or null when clean. */
  firstFailure: AuditFailure | null
}

export interface AuditOptions {
  onProgress?: (done: number, total: number) => void
  /** Audit the first `length` events (another device's log: as far as it is merged here). */
  length?: number
  /** Stop collecting after this many failures (the first one is always reported). */
  maxFailures?: number
}

/**
 * Verifies every event: canonical bytes, body commitment, id, signature by the
 * journal's author, the prev chain, seq and strictly increasing time; redacted
 * events are verified from the signed header their tombstone kept. Then checks the
 * Hypercore itself: its stored tree against its blocks, and its signed head.
 */
export async function auditJournal(journal: Journal, options: AuditOptions = {}): Promise<AuditReport> {
  const author = journal.author.publicKey
  const failures: AuditFailure[] = []
  const maxFailures = options.maxFailures ?? 100
  let verified = 0
  let redacted = 0
  let prev: SignedEvent | null = null
  const total = Math.min(options.length ?? journal.length, journal.length)

  const fail = (seq: number | null, err: unknown) => {
    if (failures.length >= maxFailures) return
    const e = CosmicError.is(err) ? err : CosmicError.DECODE_FAILED((err as Error)?.message ?? String(err))
    failures.push({ seq, code: e.code, reason: e.detail })
  }

  const merkle = new MerkleFold()
  let merkleComplete = true

  for await (const { seq, block } of journal.blocks(0, total)) {
    let event: SignedEvent | null = null
    try {
      if (block) {
        const leaf = await journal.leaf(seq)
        if (leaf && merkleComplete) merkle.push(leaf)
        else merkleComplete = false
        event = decodeBlock(block)
        if (event.redacted) {
          // A placeholder written by an import: a tombstone in this log must account for it.
          const kept = journal.redactions?.redacted(seq)
          if (!kept || !equalBytes(kept.headerBytes, event.headerBytes)) {
            throw CosmicError.BROKEN_CHAIN(`seq ${seq}: a redacted placeholder that no tombstone accounts for`)
          }
          redacted++
        }
      } else {
        const kept = journal.redactions?.redacted(seq)
        if (!kept) {
          merkleComplete = false
          throw CosmicError.BROKEN_CHAIN(`seq ${seq}: the block is missing and no tombstone accounts for it`)
        }
        if (merkleComplete) merkle.push({ index: 2 * seq, size: kept.size, hash: kept.leaf })
        event = redactedEvent(kept.headerBytes, kept.sig)
        redacted++
      }
      verifyEvent(event, author)
      const h = event.header
      if (h.seq !== seq) throw CosmicError.BROKEN_CHAIN(`seq ${seq}: the event says it is seq ${h.seq}`)
      if (prev === null) {
        if (seq === 0 && h.prev !== null) throw CosmicError.BROKEN_CHAIN('seq 0 has a prev')
      } else {
        if (!h.prev || !equalBytes(h.prev, prev.id)) {
          throw CosmicError.BROKEN_CHAIN(`seq ${seq}: prev is not the id of seq ${seq - 1}`)
        }
        if (h.time <= prev.header.time) {
          throw CosmicError.TIME_NOT_INCREASING(`seq ${seq}: time ${h.time} is not after ${prev.header.time}`)
        }
      }
      verified++
    } catch (err) {
      fail(seq, err)
      event = null
    }
    prev = event
    if (seq % 1000 === 999) options.onProgress?.(seq + 1, total)
  }
  options.onProgress?.(total, total)

  const tree = await auditTree(journal.core, merkleComplete ? merkle.treeHash() : null, total)
  if (!tree.ok) failures.push({ seq: null, code: 'BROKEN_CHAIN', reason: `hypercore: ${tree.reason}` })
  failures.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER))
  return {
    ok: failures.length === 0,
    author: toHex(author),
    length: total,
    verified,
    redacted,
    tree,
    failures,
    firstFailure: failures[0] ?? null
  }
}

/**
 * The Hypercore's own integrity. The tree hash recomputed from the stored blocks
 * (and the leaves tombstones kept for cleared blocks) must equal the tree hash of
 * the core's stored roots and the one its signed head commits to; a throwaway
 * clone that knows only the public key receives the signed head in process, which
 * verifies the signature over the roots. No stored tree node is trusted:
 * hypercore 11.37's clear() dropped a neighbour's tree nodes, and homes written then keep the holes (docs/security.md).
 */
async function auditTree(core: Hypercore, recomputed: Uint8Array | null, length: number): Promise<AuditReport['tree']> {
  if (length === 0) return { ok: true, treeHash: null }
  if (!recomputed) return { ok: false, treeHash: null, reason: 'a block is missing, so the tree cannot be recomputed' }
  const treeHash = toHex(recomputed)
  let stored: Uint8Array
  try {
    // Bounded: a tree node missing here would otherwise be waited for from peers.
    stored = await within(core.treeHash(length), 10_000, 'a tree node is missing')
  } catch (err) {
    return { ok: false, treeHash, reason: `the stored tree roots are unreadable: ${(err as Error).message}` }
  }
  if (!equalBytes(stored, recomputed)) {
    return { ok: false, treeHash, reason: 'the blocks do not hash to the stored Merkle tree' }
  }

  const dir = await mkdtemp(join(tmpdir(), 'cosmic-audit-'))
  const clone = new Hypercore(dir, core.key as Uint8Array)
  const a = core.replicate(true)
  const b = clone.replicate(false)
  a.pipe(b).pipe(a)
  a.on('error', () => {})
  b.on('error', () => {})
  try {
    await clone.ready()
    const done = (async () => {
      while (clone.length < length) await new Promise((r) => clone.once('append', r))
      return 'ok' as const
    })()
    if ((await within(done, 10_000, 'timeout').catch(() => 'timeout')) === 'timeout') {
      return { ok: false, treeHash, reason: 'the signed head could not be verified by a fresh replica' }
    }
    const signed = await clone.treeHash(length).catch(() => null)
    if (!signed || !equalBytes(signed, recomputed)) {
      return { ok: false, treeHash, reason: 'the signed tree does not match the blocks' }
    }
    return { ok: true, treeHash }
  } finally {
    a.destroy()
    b.destroy()
    await clone.close().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
}

/** `work`, or a rejection after `ms` (the timer is cleared either way, so it never holds the process open). */
function within<T>(work: Promise<T>, ms: number, reason: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(reason)), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

/** One device's log in an audit of every log the home holds. */
export interface LogAudit {
  device: number
  length: number
  verified: number
  redacted: number
  tree: AuditReport['tree']
}

/**
 * Audits every device's log this home holds (its own in full, the others as far as they
 * are merged): one report, failures named by device and seq. With one device it is the
 * audit of its log.
 */
export async function auditHome(
  home: { journal: Journal; ledger: { journals: Journal[]; runs: { nextOf(device: number): number } } },
  options: AuditOptions = {}
): Promise<AuditReport & { logs: LogAudit[] }> {
  const logs: LogAudit[] = []
  const failures: AuditFailure[] = []
  const journals = home.ledger.journals
  const lengths = journals.map((j) => (j.writable ? j.length : Math.min(j.length, home.ledger.runs.nextOf(j.device))))
  const total = lengths.reduce((a, b) => a + b, 0)
  let done = 0
  let own: AuditReport | null = null
  for (let i = 0; i < journals.length; i++) {
    const journal = journals[i] as Journal
    const base = done
    const report = await auditJournal(journal, {
      ...options,
      length: lengths[i] as number,
      onProgress: (n) => options.onProgress?.(base + n, total)
    })
    done += lengths[i] as number
    if (journal === home.journal) own = report
    logs.push({
      device: journal.device,
      length: report.length,
      verified: report.verified,
      redacted: report.redacted,
      tree: report.tree
    })
    for (const f of report.failures) {
      failures.push(
        journals.length === 1 || f.seq === null
          ? { ...f, reason: journals.length === 1 ? f.reason : `device ${journal.device}: ${f.reason}` }
          : { ...f, reason: `device ${journal.device}'s log: ${f.reason}` }
      )
    }
  }
  const mine = own as AuditReport
  const sum = (k: 'verified' | 'redacted' | 'length') => logs.reduce((a, l) => a + l[k], 0)
  const treeOk = logs.every((l) => l.tree.ok)
  return {
    ok: failures.length === 0,
    author: mine.author,
    length: sum('length'),
    verified: sum('verified'),
    redacted: sum('redacted'),
    tree: treeOk ? mine.tree : (logs.find((l) => !l.tree.ok) as LogAudit).tree,
    failures,
    firstFailure: failures[0] ?? null,
    logs
  }
}
