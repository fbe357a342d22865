import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type test from 'brittle'
import type { FastifyInstance } from 'fastify'
import type { BrowserContext, Page } from 'playwright-core'
import { CHROMIUM, launchChromium } from '../../scripts/chromium.js'
import { buildApp, WEB_ROOT } from '../../src/api/app.js'
import { createDemoHome } from '../../src/fixtures/load-persona.js'
import type { Home } from '../../src/store/home.js'
import { REPO } from './home.js'

export const ARTIFACTS = join(REPO, 'test-artifacts')
export const WEB_TOKEN = 'web-test-token-0123456789abcdefghijklmnopqrstuv'

/** Why the browser tests cannot run here, or null: they fail with this reason, never skip. */
export function browserMissing(): string | null {
  if (!existsSync(CHROMIUM)) {
    return `Chromium is not at ${CHROMIUM}: install it (as root: apt-get update && apt-get install -y chromium), or set CHROMIUM_PATH`
  }
  if (!existsSync(join(WEB_ROOT, 'app.js'))) return `the web UI is not built (${WEB_ROOT}): run npm run build`
  return null
}

export interface WebFixture {
  home: Home
  app: FastifyInstance
  base: string
  context: BrowserContext
  /** A page opened at the URL `cosmic serve` would print (the token in the fragment). */
  open(options?: { zoom?: number; path?: string }): Promise<Page>
  /** Saves test-artifacts/NAME.png: the viewport, or the page's top `height` CSS pixels. */
  screenshot(page: Page, name: string, options?: { height?: number }): Promise<string>
}

/**
 * The demo persona's home served on 127.0.0.1 (the real API and the built web UI) and
 * a headless Chromium with a fresh profile; everything torn down when the test ends.
 */
export async function createWebFixture(t: test.Test): Promise<WebFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'cosmic-web-'))
  const home = await createDemoHome(join(dir, 'home'))
  const app = await buildApp({ home, token: WEB_TOKEN })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const base = `http://127.0.0.1:${port}`
  const context = await launchChromium(join(dir, 'profile'))
  t.teardown(
    async () => {
      await context.close()
      await app.close()
      await home.close()
      await rm(dir, { recursive: true, force: true })
    },
    { order: -1 }
  )
  await mkdir(ARTIFACTS, { recursive: true })
  return {
    home,
    app,
    base,
    context,
    async open(options = {}) {
      const page = await context.newPage()
      const zoom = options.zoom ?? 1
      // 200% zoom: half the CSS width at twice the pixel density, as a browser's zoom does.
      const width = Math.round(1280 / zoom)
      const height = Math.round(900 / zoom)
      await page.setViewportSize({ width, height })
      if (zoom !== 1) {
        const cdp = await context.newCDPSession(page)
        await cdp.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: zoom, mobile: false })
      }
      const errors: string[] = []
      page.on('pageerror', (err) => errors.push(err.message))
      t.teardown(() => {
        if (errors.length) t.fail(`errors in the page: ${errors.join('; ')}`)
      })
      await page.goto(`${base}/${options.path ?? ''}#token=${WEB_TOKEN}`)
      return page
    },
    async screenshot(page, name, options = {}) {
      const path = join(ARTIFACTS, `${name}.png`)
      if (options.height) {
        const width = page.viewportSize()?.width ?? 1280
        await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width, height: options.height } })
      } else await page.screenshot({ path, fullPage: false })
      return path
    }
  }
}

/** In-page expression: form controls and buttons, in every shadow root, that have no accessible name. */
export const UNLABELLED = `(() => {
  const out = []
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot)
      const tag = el.tagName.toLowerCase()
      if (!['input', 'select', 'textarea', 'button'].includes(tag) || el.type === 'hidden') continue
      const named =
        (el.labels && el.labels.length > 0) ||
        el.getAttribute('aria-label') ||
        el.getAttribute('aria-labelledby') ||
        (tag === 'button' && el.textContent.trim())
      if (!named) out.push(tag + (el.id ? '#' + el.id : '') + (el.name ? '[name=' + el.name + ']' : ''))
    }
  }
  walk(document)
  return out
})()`

/**
 * A scenario of a browser test: a failure (a timeout waiting for something) fails it with
 * the reason and a screenshot named `failed-PREFIX…`, and the run goes on.
 */
export function scenarios(t: test.Test, web: WebFixture, prefix = '') {
  return (name: string, scenario: (t: test.Test) => Promise<void>) =>
    t.test(name, async (t) => {
      try {
        await scenario(t)
      } catch (err) {
        const page = web.context.pages().at(-1)
        const shot = page
          ? await web.screenshot(page, `failed-${prefix}${name.split(':')[0]!.replace(/\W+/g, '-')}`).catch(() => '')
          : ''
        t.fail(`${name}: ${(err as Error).message.split('\n').slice(0, 6).join(' | ')} ${shot}`)
      }
    })
}
