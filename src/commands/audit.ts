import { type AuditReport, auditHome, type LogAudit } from '../store/audit.js'
import { defineCommand } from './command.js'
import { plural } from './format.js'

export const audit = defineCommand<Record<string, never>, AuditReport & { logs: LogAudit[] }>({
  name: 'audit',
  summary: 'verify every event: signature, id, chain, and the Hypercore tree',
  async run({ home, progress }) {
    progress.start('auditing', home.ledger.total)
    try {
      return await auditHome(home, { onProgress: (done) => progress.update(done) })
    } finally {
      progress.stop()
    }
  },
  failed: (report) => !report.ok,
  render: (r) => {
    const lines = [
      `${r.ok ? 'OK' : 'FAILED'}: ${r.verified} of ${plural(r.length, 'event')} verified (signature, id, chain)` +
        `${r.redacted ? `, ${r.redacted} redacted verified from their tombstones` : ''}`,
      `Hypercore tree: ${r.tree.ok ? `ok ${r.tree.treeHash ?? '(empty)'}` : `FAILED: ${r.tree.reason}`}`
    ]
    if (r.logs.length > 1) {
      for (const l of r.logs) {
        lines.push(
          `  device ${l.device}: ${l.verified} of ${plural(l.length, 'event')} verified, tree ${l.tree.ok ? 'ok' : `FAILED: ${l.tree.reason}`}`
        )
      }
    }
    if (r.firstFailure) {
      const f = r.firstFailure
      lines.push(`First failure: ${f.seq === null ? 'the core' : `seq ${f.seq}`}: ${f.code}: ${f.reason}`)
      if (r.failures.length > 1) lines.push(`(${r.failures.length} failures in all; --json lists them)`)
    }
    return lines.join('\n')
  }
})
