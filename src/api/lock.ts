export type LockMode = 'read' | 'write' | 'exclusive'

/**
 * Access to one home inside one server. Reads run side by side, and beside a write:
 * each reads SQLite synchronously, so it sees the state before or after an append.
 * Writes run one at a time, because a command decides on what it read and then
 * appends (retract checks the entry exists, then writes its tombstone), and two such
 * commands must not interleave. A rebuild or an import replaces the read model under
 * everyone, so it runs alone.
 */
export class HomeLock {
  private readers = 0
  private writing = false
  private exclusive = false
  private readonly waiting: { mode: LockMode; wake: () => void }[] = []

  async run<T>(mode: LockMode, work: () => Promise<T>): Promise<T> {
    await this.acquire(mode)
    try {
      return await work()
    } finally {
      this.release(mode)
      this.drain()
    }
  }

  private acquire(mode: LockMode): Promise<void> {
    if (this.canGrant(mode, this.waiting.length)) {
      this.take(mode)
      return Promise.resolve()
    }
    return new Promise((wake) => this.waiting.push({ mode, wake }))
  }

  /** `ahead`: how many waiters come before this one; nothing passes a waiting exclusive. */
  private canGrant(mode: LockMode, ahead: number): boolean {
    if (this.exclusive) return false
    const exclusiveWaiting = this.waiting.slice(0, ahead).some((w) => w.mode === 'exclusive')
    if (exclusiveWaiting) return false
    if (mode === 'read') return true
    const writeWaiting = this.waiting.slice(0, ahead).some((w) => w.mode === 'write')
    if (mode === 'write') return !this.writing && !writeWaiting
    return !this.writing && this.readers === 0 && !writeWaiting
  }

  private take(mode: LockMode): void {
    if (mode === 'read') this.readers++
    else if (mode === 'write') this.writing = true
    else this.exclusive = true
  }

  private release(mode: LockMode): void {
    if (mode === 'read') this.readers--
    else if (mode === 'write') this.writing = false
    else this.exclusive = false
  }

  private drain(): void {
    for (let i = 0; i < this.waiting.length; ) {
      const waiter = this.waiting[i]!
      if (this.canGrant(waiter.mode, i)) {
        this.waiting.splice(i, 1)
        this.take(waiter.mode)
        waiter.wake()
      } else i++
    }
  }
}
