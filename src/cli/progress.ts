import cliProgress from 'cli-progress'
import type { Progress } from '../commands/command.js'

/**
 * A progress bar on stderr, only on a terminal and only for work that lasts more
 * than a second (short commands stay quiet; pipes and --json never see a bar).
 */
export function terminalProgress(enabled = Boolean(process.stderr.isTTY)): Progress {
  let bar: cliProgress.SingleBar | null = null
  let timer: NodeJS.Timeout | null = null
  let label = ''
  let total = 0
  let done = 0
  return {
    start(l, t) {
      if (!enabled) return
      label = l
      total = t
      done = 0
      timer = setTimeout(() => {
        bar = new cliProgress.SingleBar(
          {
            stream: process.stderr,
            format: `${label} [{bar}] {percentage}% {value}/{total} eta {eta}s`,
            hideCursor: true
          },
          cliProgress.Presets.shades_classic
        )
        bar.start(total, done)
      }, 1000)
      timer.unref()
    },
    update(d, t) {
      done = d
      if (t !== undefined) total = t
      if (bar) {
        if (t !== undefined) bar.setTotal(t)
        bar.update(d)
      }
    },
    stop() {
      if (timer) clearTimeout(timer)
      timer = null
      bar?.stop()
      bar = null
    }
  }
}
