import { type CommandContext, silentProgress } from '../../src/commands/command.js'
import { timelineCommand } from '../../src/commands/history.js'
import type { Home } from '../../src/store/home.js'

export const ctxOf = (home: Home): CommandContext => ({ home, progress: silentProgress })

/** The texts of a home's entries, sorted: what a person would compare between devices. */
export async function texts(home: Home): Promise<string[]> {
  return (await timelineCommand.run(ctxOf(home), { limit: 100, type: 'reflection' })).items
    .map((i) => (i.kind === 'entry' ? i.entry.text : ''))
    .sort()
}

/** Replicates two homes' stores over an in-process stream (two devices meeting); `close` parts them. */
export function replicate(a: Home, b: Home): { close(): void } {
  const sa = a.store.replicate(true)
  const sb = b.store.replicate(false)
  sa.pipe(sb).pipe(sa)
  sa.on('error', () => {})
  sb.on('error', () => {})
  return {
    close() {
      sa.destroy()
      sb.destroy()
    }
  }
}
