import test from 'brittle'
import { browserMissing, createWebFixture, WEB_TOKEN } from './helpers/browser.js'

/** Form controls and buttons, in every shadow root, that have no accessible name (as in web-app.test.ts). */
const UNLABELLED = `(() => {
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

const SHARED_TEXT = 'The tide came in while we talked, and I said the true thing.'
const PRIVATE_TEXT = 'A worry I keep to myself about the rent.'

test('spheres in Chromium: create, post and reply, invite; share an entry after seeing exactly what leaves', async (t) => {
  t.timeout(300_000)
  const missing = browserMissing()
  if (missing) {
    t.fail(`browser tests cannot run: ${missing}`)
    return
  }
  const web = await createWebFixture(t)
  const step = (name: string, scenario: (t: test.Test) => Promise<void>) =>
    t.test(name, async (t) => {
      try {
        await scenario(t)
      } catch (err) {
        const page = web.context.pages().at(-1)
        const shot = page
          ? await web.screenshot(page, `failed-spheres-${name.split(':')[0]!.replace(/\W+/g, '-')}`).catch(() => '')
          : ''
        t.fail(`${name}: ${(err as Error).message.split('\n').slice(0, 6).join(' | ')} ${shot}`)
      }
    })
  const post = (path: string, body: unknown) =>
    fetch(`${web.base}/api${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WEB_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body)
    })

  await step('create a sphere, see it listed, post and reply in its feed, make an invite', async (t) => {
    const page = await web.open()
    await page.getByRole('link', { name: 'Spheres' }).click()
    await page.getByRole('heading', { name: 'Spheres', exact: true }).waitFor()
    // The demo persona allows sync, but this test's server never joins the swarm.
    const network = page.getByRole('status', { name: 'Network' })
    await network.getByText(/^Offline:/).waitFor()
    t.ok((await network.innerText()).includes('cosmic serve'), 'the network status says offline, with how to go online')
    await page.getByText('You are in no sphere yet.').waitFor()
    t.comment(await web.screenshot(page, 'web-spheres-empty'))

    await page.getByLabel('Name', { exact: true }).fill('Night writers')
    await page.getByRole('button', { name: 'Create sphere' }).click()
    const listed = page.getByRole('region', { name: 'Your spheres' }).getByRole('button', { name: /Night writers/ })
    await listed.waitFor()
    t.is(await listed.getAttribute('aria-pressed'), 'true', 'the new sphere is listed and chosen')
    t.ok((await listed.innerText()).includes('1 member'), 'with its members count')
    await page.getByRole('heading', { name: 'Night writers' }).waitFor()

    await page.getByLabel('Write to Night writers').fill('Hello, night owls. Who is writing tonight?')
    await page.getByRole('button', { name: 'Post', exact: true }).click()
    const feed = page.locator('sphere-feed')
    const first = feed.getByRole('article').filter({ hasText: 'Hello, night owls' }).first()
    await first.waitFor()
    t.pass('the post is in the feed')
    await first.getByRole('button', { name: /^Reply to/ }).click()
    await feed.getByLabel(/^Your reply to/).fill('Me, with tea.')
    await feed.getByRole('button', { name: 'Send reply' }).click()
    await feed.getByRole('list', { name: 'Replies' }).getByText('Me, with tea.').waitFor()
    t.pass('the reply sits under the post')

    const members = page.locator('sphere-detail').getByRole('region', { name: 'Members' })
    t.ok((await members.innerText()).includes('admin'), 'the creator is marked admin')
    t.ok((await members.innerText()).includes('you'), 'and as you')

    await page.getByRole('button', { name: 'Make an invite code' }).click()
    const code = page.getByLabel('Give this one-time code to the person you invite')
    await code.waitFor()
    t.ok((await code.inputValue()).length > 40, 'an invite code is shown')
    t.ok(await page.getByText(/It works once, until/).isVisible(), 'with its expiry')
    await page.getByRole('button', { name: 'Copy the code' }).click()
    await page.getByText(/^(Copied\.|Selected: press Ctrl\+C)/).waitFor()
    t.pass('copy answers')
    t.comment(await web.screenshot(page, 'web-spheres', { height: 1700 }))
    await page.close()
  })

  await step(
    'share a shareable entry: the dialog lists exactly what will be sent; private ones have no share',
    async (t) => {
      const shareable = await post('/reflections', {
        text: SHARED_TEXT,
        tags: ['tide', 'honesty'],
        mood: 'brave',
        shareable: true
      })
      t.is(shareable.status, 201)
      const written = ((await shareable.json()) as { entry: { time: number } }).entry.time
      t.is((await post('/reflections', { text: PRIVATE_TEXT, tags: ['money'] })).status, 201)

      const page = await web.open()
      const secret = page.locator('timeline-entry').filter({ hasText: PRIVATE_TEXT }).first()
      await secret.waitFor()
      t.ok(await secret.getByText('private: never leaves this device').isVisible(), 'a private entry says so')
      t.is(await secret.getByRole('button', { name: 'Share to sphere…' }).count(), 0, 'and has no share action')

      const entry = page.locator('timeline-entry').filter({ hasText: SHARED_TEXT }).first()
      await entry.getByRole('button', { name: 'Share to sphere…' }).click()
      const dialog = page.getByRole('dialog', { name: 'Share this entry with a sphere?' })
      await dialog.waitFor()
      const what = dialog.getByRole('definition')
      await what.first().waitFor()
      t.is(await dialog.locator('dd.words').innerText(), SHARED_TEXT, 'the exact words')
      const listed = await dialog.innerText()
      t.ok(listed.includes('#tide') && listed.includes('#honesty'), 'the tags')
      t.ok(listed.includes('brave'), 'the mood')
      const day = await dialog.locator('time').getAttribute('datetime')
      t.is(day, new Date(written).toISOString(), 'the time it was written')
      t.ok(
        listed.includes('Members who receive it keep their copy; you can withdraw it later but cannot recall it.'),
        'what cannot be recalled'
      )
      t.is(await dialog.getByLabel('Share with').inputValue(), await sphereKey(), 'into the sphere')
      t.comment(await web.screenshot(page, 'web-share-dialog'))
      await dialog.getByRole('button', { name: 'Share it' }).click()
      await dialog.getByText(/^Shared with Night writers/).waitFor()
      await dialog.getByRole('button', { name: 'Done' }).click()
      await dialog.waitFor({ state: 'hidden' })
      t.pass('shared')

      await page.getByRole('link', { name: 'Spheres' }).click()
      await page
        .getByRole('region', { name: 'Your spheres' })
        .getByRole('button', { name: /Night writers/ })
        .click()
      const shared = page.locator('sphere-feed').getByRole('article').filter({ hasText: SHARED_TEXT })
      await shared.first().waitFor()
      t.ok((await shared.first().innerText()).includes('shared entry'), 'the entry is in the sphere’s feed')
      const yours = page.getByRole('region', { name: 'Your shares' })
      await yours.getByText('Journal entry').waitFor()
      t.comment(await web.screenshot(page, 'web-spheres-shared', { height: 2000 }))
      await yours.getByRole('button', { name: /^Withdraw the journal entry/ }).click()
      await page
        .getByRole('dialog', { name: 'Withdraw this share?' })
        .getByRole('button', { name: 'Withdraw it' })
        .click()
      await yours.getByText(/withdrawn/).waitFor()
      await shared.first().waitFor({ state: 'detached' })
      t.pass('withdrawn: gone from the feed, marked in your shares')
      await page.close()
    }
  )

  await step('the spheres page at 200% zoom: labelled controls, no sideways scrolling', async (t) => {
    const page = await web.open({ zoom: 2, path: '' })
    await page.evaluate(`location.hash = '#/spheres'`)
    await page
      .getByRole('region', { name: 'Your spheres' })
      .getByRole('button', { name: /Night writers/ })
      .click()
    await page.locator('sphere-feed').getByRole('article').first().waitFor()
    await page.waitForTimeout(500)
    const overflow = Number(
      await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')
    )
    t.ok(overflow <= 0, `no horizontal scroll at 200% (${overflow}px)`)
    t.alike(await page.evaluate(UNLABELLED), [], 'every control has a label')
    t.comment(await web.screenshot(page, 'web-spheres-zoom-200'))
    await page.close()
  })

  async function sphereKey(): Promise<string> {
    const res = await fetch(`${web.base}/api/spheres`, { headers: { authorization: `Bearer ${WEB_TOKEN}` } })
    return ((await res.json()) as { spheres: { key: string }[] }).spheres[0]!.key
  }
})
