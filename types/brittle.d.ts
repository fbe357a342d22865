// Honest declarations for the parts of brittle 4 this project uses.
declare module 'brittle' {
  namespace test {
    interface Test {
      plan(n: number): void
      is(actual: unknown, expected: unknown, message?: string): void
      not(actual: unknown, expected: unknown, message?: string): void
      ok(value: unknown, message?: string): void
      absent(value: unknown, message?: string): void
      alike(actual: unknown, expected: unknown, message?: string): void
      unlike(actual: unknown, expected: unknown, message?: string): void
      pass(message?: string): void
      fail(message?: string): void
      comment(message: string): void
      exception(fn: (() => unknown) | Promise<unknown>, expected?: RegExp | Error, message?: string): Promise<void>
      execution(fn: (() => unknown) | Promise<unknown>, message?: string): Promise<void>
      teardown(fn: () => unknown, opts?: { order?: number }): void
      timeout(ms: number): void
      test(name: string, fn: (t: Test) => unknown): Promise<void>
      tmp(): Promise<string>
    }
  }
  function test(name: string, fn: (t: test.Test) => unknown): void
  function test(name: string, opts: { timeout?: number; skip?: boolean }, fn: (t: test.Test) => unknown): void
  export = test
}
