import test from 'brittle'
import { HomeLock } from '../src/api/lock.js'

const tick = () => new Promise((resolve) => setTimeout(resolve, 5))

function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { open, opened }
}

test('reads run beside a write; writes run one at a time', async (t) => {
  const lock = new HomeLock()
  const log: string[] = []
  const w1 = gate()
  const first = lock.run('write', async () => {
    log.push('w1 start')
    await w1.opened
    log.push('w1 end')
  })
  const second = lock.run('write', async () => {
    log.push('w2')
  })
  const read = lock.run('read', async () => {
    log.push('read')
  })
  await read
  t.alike(log, ['w1 start', 'read'], 'the read did not wait for the write; the second write did')
  w1.open()
  await Promise.all([first, second])
  t.alike(log, ['w1 start', 'read', 'w1 end', 'w2'])
})

test('an exclusive run waits for readers and writers, and nothing passes it while it waits', async (t) => {
  const lock = new HomeLock()
  const log: string[] = []
  const r1 = gate()
  const reading = lock.run('read', async () => {
    log.push('r1 start')
    await r1.opened
    log.push('r1 end')
  })
  const exclusive = lock.run('exclusive', async () => {
    log.push('x start')
    await tick()
    log.push('x end')
  })
  const later = lock.run('read', async () => {
    log.push('r2')
  })
  await tick()
  t.alike(log, ['r1 start'], 'the exclusive waits for the reader; the later read waits behind it')
  r1.open()
  await Promise.all([reading, exclusive, later])
  t.alike(log, ['r1 start', 'r1 end', 'x start', 'x end', 'r2'])
})

test('a failed run releases the lock', async (t) => {
  const lock = new HomeLock()
  await t.exception(
    lock.run('write', async () => {
      throw new Error('boom')
    }),
    /boom/
  )
  let ran = false
  await lock.run('exclusive', async () => {
    ran = true
  })
  t.ok(ran)
})
