import type test from 'brittle'
import type Corestore from 'corestore'

/** Replicates two stores over an in-process stream pipe until the test ends. */
export function replicateStores(t: test.Test, a: Corestore, b: Corestore): void {
  const s1 = a.replicate(true)
  const s2 = b.replicate(false)
  s1.pipe(s2).pipe(s1)
  t.teardown(() => {
    s1.destroy()
    s2.destroy()
  })
}
