import type { BrowserContext } from 'playwright-core'

/** The Debian package's Chromium (shared/ENVIRONMENT.md), or $CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Headless Chromium with a fresh profile, as the browser tests and the paint benchmark
 * drive it: no network of its own, no first-run work, CSP bypassed because
 * page.waitForFunction evaluates its predicates with eval, which the app's policy forbids.
 */
export async function launchChromium(profile: string): Promise<BrowserContext> {
  const { chromium } = await import('playwright-core')
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync'
    ],
    viewport: { width: 1280, height: 900 },
    bypassCSP: true
  })
}
