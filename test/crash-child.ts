// Child process for test/crash.test.ts: appends forever, printing each acknowledged seq.
import { Home } from '../src/store/home.js'

const [path, passphrase, mode] = process.argv.slice(2) as [string, string, 'single' | 'batch']
const home = await Home.open(path, passphrase)
process.stdout.write('ready\n')
for (let i = 0; ; i++) {
  const drafts = Array.from({ length: mode === 'batch' ? 10 : 1 }, (_, j) => ({
    type: 'reflection.recorded' as const,
    body: { text: `crash test entry ${i}.${j} ${'x'.repeat((i * 37) % 400)}`, tags: ['crash'] }
  }))
  const events = await home.append(drafts)
  process.stdout.write(`ack ${events[events.length - 1]!.header.seq}\n`)
}
