import test from 'brittle'
import type { Page } from 'playwright-core'
import { browserMissing, createWebFixture, scenarios, UNLABELLED, WEB_TOKEN } from './helpers/browser.js'

/** Non-blank pixels of the first canvas inside `selector` (a chart or graph that was really drawn). */
async function paintedPixels(page: Page, view: string, element: string): Promise<number> {
  return page.evaluate(`(() => {
    const host = ${inView(view, element)}
    const canvas = host && (host.shadowRoot ?? host).querySelector('canvas')
    const ctx = canvas && canvas.getContext('2d')
    if (!ctx) return 0
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height)
    let n = 0
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++
    return n
  })()`)
}

/**
 * In-page expressions are strings: this file is compiled for Node (no DOM types), and
 * the page runs them as they are. `inView` finds an element inside a page's view.
 */
function inView(view: string, selector: string): string {
  return `document.querySelector('cosmic-app')?.shadowRoot?.querySelector('${view}')?.shadowRoot?.querySelector('${selector}')`
}

const LAYOUT_SHIFT_WATCH = `(() => {
  window.cls = 0
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.cls += entry.value
  }).observe({ type: 'layout-shift', buffered: true })
})()`

test('the web app in Chromium', async (t) => {
  t.timeout(300_000)
  const missing = browserMissing()
  if (missing) {
    t.fail(`browser tests cannot run: ${missing}`)
    return
  }
  const web = await createWebFixture(t)
  const step = scenarios(t, web)

  await step('write a reflection and see it, with its mirrorback, in the timeline', async (t) => {
    const page = await web.open()
    await page.getByRole('heading', { name: 'Timeline' }).waitFor()
    t.absent(page.url().includes(WEB_TOKEN), 'the token leaves the address bar')
    await page.getByLabel('What is on your mind?').fill('Walking home by the harbour I felt lighter than in weeks.')
    await page.getByRole('textbox', { name: /^Tags/ }).fill('walking, harbour')
    await page.getByRole('textbox', { name: 'Mood' }).fill('light')
    await page.locator('reflection-composer').getByLabel('Dimension').selectOption('body')
    await page.getByRole('button', { name: 'Keep this entry' }).click()
    const mirror = page.getByRole('region', { name: 'Mirrorback' })
    await mirror.waitFor()
    t.ok((await mirror.innerText()).length > 20, 'the mirrorback is shown under the composer')
    const entry = page.locator('timeline-entry').filter({ hasText: 'Walking home by the harbour' })
    await entry.first().waitFor()
    t.ok(
      await entry.first().getByRole('group', { name: 'Mirrorback' }).isVisible(),
      'its mirrorback is in the timeline'
    )
    t.ok(await entry.first().getByText('#harbour').isVisible(), 'with its tags')
    t.comment(await web.screenshot(page, 'web-journal', { height: 1500 }))
    await page.close()
  })

  await step('a new event appears in an open page without a reload (SSE)', async (t) => {
    const page = await web.open()
    await page.locator('timeline-entry').first().waitFor()
    await page.getByText('Live', { exact: true }).waitFor()
    const posted = await fetch(`${web.base}/api/reflections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WEB_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Written elsewhere, seen here at once.', tags: ['live'] })
    })
    t.is(posted.status, 201)
    await page
      .locator('timeline-entry')
      .filter({ hasText: 'Written elsewhere, seen here at once.' })
      .waitFor({ timeout: 10_000 })
    t.pass('the entry arrived')
    t.comment(await web.screenshot(page, 'web-live', { height: 1300 }))
    await page.close()
  })

  await step('search, amend and forget from the timeline', async (t) => {
    const page = await web.open()
    await page.getByLabel('Search your journal').fill('harbour')
    const hit = page.locator('timeline-entry').filter({ hasText: 'harbour' }).first()
    await hit.locator('mark').first().waitFor()
    t.is((await hit.locator('mark').first().innerText()).toLowerCase(), 'harbour', 'the match is highlighted')
    await page.getByLabel('Search your journal').fill('')
    await page.getByText('Newest first').waitFor()
    const entry = page.locator('timeline-entry').filter({ hasText: 'Walking home by the harbour' }).first()
    await entry.waitFor()
    await entry.getByRole('button', { name: 'Amend' }).click()
    await entry.getByLabel('New text').fill('Walking home by the harbour, lighter, and I noticed it.')
    await entry.getByRole('button', { name: 'Save' }).click()
    await page.locator('timeline-entry').filter({ hasText: 'and I noticed it' }).first().waitFor()
    const amended = page.locator('timeline-entry').filter({ hasText: 'and I noticed it' }).first()
    await amended.getByRole('button', { name: 'Forget…' }).click()
    await amended.locator('dialog[open]').waitFor()
    await amended.getByRole('button', { name: 'Forget it' }).click()
    await page.locator('timeline-entry').filter({ hasText: 'and I noticed it' }).first().waitFor({ state: 'detached' })
    t.pass('the entry is gone from the timeline')
    t.is(
      await page.locator('timeline-entry').filter({ hasText: 'Walking home by the harbour' }).count(),
      0,
      'no version of it is left'
    )
    await page.close()
  })

  await step('tensions: the chart of a tension is drawn, with its shifts and resolution', async (t) => {
    const page = await web.open()
    await page.getByRole('link', { name: 'Tensions' }).click()
    const chart = page.locator('tension-chart')
    await chart.waitFor()
    await page.waitForFunction(`${inView('tensions-view', 'tension-chart')}?.getAttribute('data-drawn') === 'true'`)
    t.ok((await paintedPixels(page, 'tensions-view', 'tension-chart')) > 2000, 'the canvas has a chart on it')
    const resolved = page.getByRole('button', { name: /resolved/ }).first()
    await resolved.click()
    await page.getByText('Insight', { exact: true }).waitFor()
    await chart.getByText('The series as a table').click()
    t.ok((await chart.getByRole('cell', { name: 'resolved' }).count()) >= 1, 'the resolution is in the series')
    t.comment(await web.screenshot(page, 'web-tensions'))
    await page.close()
  })

  await step('identity: the graph is drawn and filters by mind, heart, body', async (t) => {
    const page = await web.open()
    await page.getByRole('link', { name: 'Identity' }).click()
    const graph = page.locator('identity-graph')
    await graph.waitFor()
    const drawn = () =>
      page.waitForFunction(`${inView('identity-view', 'identity-graph')}?.getAttribute('data-drawn') === 'true'`)
    await drawn()
    const count = async () => Number((await page.getByText(/\d+ nodes, \d+ links/).innerText()).split(' ')[0])
    const all = await count()
    t.ok(all > 20, `${all} nodes`)
    t.ok((await page.locator('identity-graph canvas').count()) > 0, 'Cytoscape drew its canvases')
    await page.getByRole('radio', { name: 'Heart' }).check()
    await page.waitForFunction(`(() => {
      const text = document.querySelector('cosmic-app')?.shadowRoot?.querySelector('identity-view')?.shadowRoot?.textContent ?? ''
      const n = Number(/(\\d+) nodes,/.exec(text)?.[1])
      return n > 0 && n < ${all}
    })()`)
    await drawn()
    t.ok((await count()) < all, 'the heart filter shows fewer nodes')
    await page.getByLabel('Nodes, heaviest first').selectOption({ index: 3 })
    await page.getByText('Linked most to').waitFor()
    t.comment(await web.screenshot(page, 'web-identity'))
    await page.close()
  })

  await step('patterns and evolution: frequencies drawn; two dates compared', async (t) => {
    const page = await web.open()
    await page.getByRole('link', { name: 'Patterns' }).click()
    await page.locator('frequency-chart').first().waitFor()
    await page.waitForFunction(`${inView('patterns-view', 'frequency-chart')}?.getAttribute('data-drawn') === 'true'`)
    t.ok((await paintedPixels(page, 'patterns-view', 'frequency-chart')) > 2000, 'the theme chart is drawn')
    await page.getByLabel('From', { exact: true }).fill('2026-01-01')
    await page.getByRole('button', { name: 'Compare' }).click()
    await page.locator('patterns-view ul.summary li').first().waitFor()
    t.ok((await page.locator('patterns-view ul.summary li').count()) > 0, 'what changed is listed')
    t.comment(await web.screenshot(page, 'web-patterns', { height: 1900 }))
    await page.close()
  })

  await step('audit and the time slider: the journal, graph and tensions as of a day', async (t) => {
    const page = await web.open()
    await page.getByRole('link', { name: 'Audit & time' }).click()
    await page.getByRole('button', { name: 'Verify the journal' }).click()
    await page.getByText('Everything verifies.').waitFor()
    t.pass('the audit passes')
    const entries = page.locator('time-view ul.numbers li').nth(1)
    await entries.waitFor()
    const now = Number((await entries.innerText()).split('\n')[0])
    const slider = page.getByLabel('Move through your journal’s days')
    await slider.focus()
    await page.keyboard.press('Home')
    for (let i = 0; i < 60; i++) await page.keyboard.press('ArrowRight')
    await page.waitForFunction(`(() => {
      const li = document.querySelector('cosmic-app')?.shadowRoot?.querySelector('time-view')?.shadowRoot?.querySelectorAll('ul.numbers li')[1]
      const n = Number(li?.textContent?.trim().split(/\\s/)[0])
      return Number.isFinite(n) && n < ${now}
    })()`)
    const then = Number((await entries.innerText()).split('\n')[0])
    t.ok(then < now, `as of that day: ${then} entries (now ${now})`)
    await page.locator('time-view identity-graph[data-drawn="true"]').waitFor()
    t.comment(await web.screenshot(page, 'web-time', { height: 1800 }))
    await page.close()
  })

  await step('settings: modes change as an event; export downloads', async (t) => {
    const page = await web.open()
    await page.getByRole('link', { name: 'Settings' }).click()
    await page.getByRole('radio', { name: /^Cloud/ }).check()
    await page.getByRole('button', { name: 'Save settings' }).click()
    await page.getByText('Saved, as a new event in your journal.').waitFor()
    const download = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Download the bundle (JSON Lines)' }).click()
    t.ok((await download).suggestedFilename().endsWith('.jsonl'), 'a bundle is downloaded')
    // Your devices: this one is listed; pairing needs the app's device link (this test server has none).
    const devices = page.getByRole('region', { name: 'Your devices' })
    await devices.getByText('first device').waitFor()
    t.ok(await devices.getByText(/this one/).isVisible(), 'this device is marked')
    await devices.getByRole('button', { name: 'Pair a new device' }).click()
    await devices.getByRole('alert').waitFor()
    t.ok(/cosmic serve/.test(await devices.getByRole('alert').innerText()), 'the refusal says why')
    t.comment(await web.screenshot(page, 'web-settings', { height: 1600 }))
    await page.close()
  })

  await step('keyboard only: write an entry with Tab and Ctrl+Enter', async (t) => {
    const page = await web.open()
    await page.getByRole('heading', { name: 'Timeline' }).waitFor()
    await page.keyboard.press('Tab')
    t.is(
      await page.evaluate(`document.querySelector('cosmic-app')?.shadowRoot?.activeElement?.textContent?.trim()`),
      'Skip to the page',
      'the first stop skips to the page'
    )
    await page.getByLabel('What is on your mind?').focus()
    await page.keyboard.type('Typed without a mouse.')
    await page.keyboard.press('Control+Enter')
    await page.locator('timeline-entry').filter({ hasText: 'Typed without a mouse.' }).first().waitFor()
    t.pass('kept with the keyboard')
    await page.close()
  })

  await step('readable at 200% zoom, labelled controls, no sideways scrolling, no layout shift', async (t) => {
    const page = await web.open({ zoom: 2 })
    await page.locator('timeline-entry').first().waitFor()
    await page.waitForTimeout(500)
    for (const section of ['journal', 'tensions', 'identity', 'patterns', 'time', 'settings']) {
      await page.evaluate(`location.hash = '#/${section}'`)
      await page.waitForTimeout(700)
      const overflow = Number(
        await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')
      )
      t.ok(overflow <= 0, `${section}: no horizontal scroll at 200% (${overflow}px)`)
      const unlabelled = (await page.evaluate(UNLABELLED)) as string[]
      t.alike(unlabelled, [], `${section}: every control has a label`)
    }
    await page.evaluate(`location.hash = '#/journal'`)
    await page.locator('timeline-entry').first().waitFor()
    t.comment(await web.screenshot(page, 'web-zoom-200'))
    await page.close()

    const fresh = await web.open()
    await fresh.evaluate(LAYOUT_SHIFT_WATCH)
    await fresh.locator('timeline-entry').first().waitFor()
    await fresh.waitForTimeout(500)
    const cls = Number(await fresh.evaluate('window.cls'))
    t.ok(cls < 0.1, `cumulative layout shift of the journal page: ${cls.toFixed(4)} (good is under 0.1)`)
    await fresh.close()
  })
})
