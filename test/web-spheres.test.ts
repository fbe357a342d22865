import test from 'brittle'
import type { Page } from 'playwright-core'
import { example } from '../scripts/match-example.js'
import { browserMissing, createWebFixture, scenarios, UNLABELLED, WEB_TOKEN } from './helpers/browser.js'

const ADA = 'a'.repeat(64)
const BEA = 'b'.repeat(64)

/**
 * Routes the page's matches query to the docs' example ranking (a real MatchIndex result
 * for Ada, docs/matching.md) and records feedback posts: a ranking needs a second
 * member online, which the command's own tests cover (test/match-sphere.test.ts).
 */
async function routeExampleRanking(page: Page, feedback: unknown[] = []) {
  const { results } = example()
  await page.route(/\/api\/spheres\/[^/]+\/matches/, (route) =>
    route.fulfill({
      json: {
        sphere: 'example',
        name: 'Night writers',
        for: { member: ADA, name: 'Ada' },
        profiles: 2,
        weights: { interests: 2, skills: 1.5, values: 0.75, semantic: 1 },
        feedback: feedback.length,
        results,
        model: {
          base: { interests: 2, skills: 1.5, values: 0.75, semantic: 1 },
          adjustments: { interests: 0, skills: 0, values: 0, semantic: 0 },
          weights: { interests: 2, skills: 1.5, values: 0.75, semantic: 1 },
          bias: 0,
          events: feedback.length,
          helpful: feedback.length,
          notHelpful: 0
        }
      }
    })
  )
  await page.route(/\/api\/spheres\/[^/]+\/feedback/, (route) => {
    const body = route.request().postDataJSON() as { member: string; helpful: boolean }
    feedback.push(body)
    return route.fulfill({
      status: 201,
      json: {
        id: 'f'.repeat(64),
        sphere: 'example',
        member: body.member,
        name: 'Bea',
        helpful: body.helpful,
        components: { interests: 0.26, skills: 1.8, values: 0, semantic: 0 },
        feedback: feedback.length,
        weights: { interests: 2, skills: 1.5, values: 0.75, semantic: 1 }
      }
    })
  })
  return results
}

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
  const step = scenarios(t, web, 'spheres-')
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
    t.ok(await page.getByText('Its key was never rotated.').isVisible(), "the sphere's key is shown")

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

  await step('remove a member: the dialog and the answer say the key is rotated', async (t) => {
    // A second member needs a second home online; the command's own tests cover that
    // (test/spheres-rekey.test.ts). Here the members list and the removal are the API's answers.
    const page = await web.open()
    let removal: string | null = null
    await page.route(/\/api\/spheres\/[^/]+\/members$/, async (route) => {
      const real = (await (await route.fetch()).json()) as { members: unknown[] }
      const bea = { member: BEA, name: 'Bea', admin: false, writers: ['c'.repeat(64)], since: Date.now(), addedBy: ADA }
      await route.fulfill({ json: { ...real, members: removal ? real.members : [...real.members, bea] } })
    })
    await page.route(/\/api\/spheres\/[^/]+\/members\/[0-9a-f]{64}$/, (route) => {
      removal = route.request().method()
      return route.fulfill({ json: { removed: BEA, epoch: 1, members: 1 } })
    })
    await page.getByRole('link', { name: 'Spheres' }).click()
    await page
      .getByRole('region', { name: 'Your spheres' })
      .getByRole('button', { name: /Night writers/ })
      .click()
    await page.getByRole('button', { name: 'Remove Bea…' }).click()
    const dialog = page.getByRole('dialog', { name: 'Remove Bea?' })
    await dialog.waitFor()
    t.ok(
      (await dialog.innerText()).includes('the sphere moves to a new key that only the members who stay receive'),
      'the dialog says the key is rotated'
    )
    await dialog.getByRole('button', { name: 'Remove them' }).click()
    const notice = page
      .locator('sphere-detail')
      .getByRole('status')
      .filter({ hasText: /^Removed Bea/ })
    await notice.waitFor()
    t.is(removal, 'DELETE', 'the removal went to the API')
    t.ok(
      (await notice.innerText()).includes("The sphere's key was rotated: what is shared from now on is under key 1"),
      'the answer says the key was rotated'
    )
    t.comment(await web.screenshot(page, 'web-spheres-removed', { height: 1700 }))
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

  await step(
    'share a profile facet: the dialog lists the facets (private ones never leave) and confirms exactly what leaves; the matches panel says how to appear',
    async (t) => {
      const profile = (await (
        await fetch(`${web.base}/api/profile`, { headers: { authorization: `Bearer ${WEB_TOKEN}` } })
      ).json()) as {
        dimension: string
        facet: string
        key: string
        value: string | null
        level: number | null
        privacy: string
      }[]
      const typescript = profile.find((f) => f.facet === 'skill' && f.key === 'typescript')!
      const secret = profile.find((f) => f.privacy === 'private' && f.facet === 'value')!
      t.is(typescript.privacy, 'shareable', 'the demo persona shares typescript')

      const page = await web.open()
      await page.getByRole('link', { name: 'Spheres' }).click()
      await page
        .getByRole('region', { name: 'Your spheres' })
        .getByRole('button', { name: /Night writers/ })
        .click()
      const panel = page.getByRole('region', { name: 'People to work with' })
      await panel.getByText('Share a facet to appear here.').waitFor()
      t.ok(
        (await panel.innerText()).includes('You have shared nothing here to match on yet'),
        'the empty state says why and how to appear'
      )
      await panel.scrollIntoViewIfNeeded()
      t.comment(await web.screenshot(page, 'web-matches-empty'))

      await panel.getByRole('button', { name: 'Share a profile facet…' }).click()
      const dialog = page.getByRole('dialog', { name: 'Share a profile facet with Night writers' })
      await dialog.waitFor()
      const option = dialog.getByRole('radio', { name: /mind\/skill\/typescript/ })
      await option.waitFor()
      const label = await dialog.locator('label', { hasText: 'mind/skill/typescript' }).innerText()
      t.ok(label.includes(`level ${typescript.level}`) && label.includes(`“${typescript.value}”`), `listed: ${label}`)
      t.ok(label.includes('used for matching'), 'a skill is used for matching')
      const secretPath = `${secret.dimension}/${secret.facet}/${secret.key}`
      const secretRow = dialog.locator('li', { hasText: secretPath })
      t.ok(
        (await secretRow.innerText()).includes('private: never leaves this device'),
        `${secretPath} is listed as private`
      )
      t.is(await secretRow.getByRole('radio').count(), 0, 'and cannot be chosen')
      t.ok(!(await dialog.innerText()).includes(secret.value ?? '\u0000'), 'a private facet’s note is not shown')
      t.comment(await web.screenshot(page, 'web-facet-share-dialog'))

      await option.check()
      await dialog.getByRole('button', { name: 'See what will be sent…' }).click()
      const what = dialog.getByRole('definition')
      await what.first().waitFor()
      const sent = await dialog.locator('dl').innerText()
      for (const expected of ['mind/skill/typescript', `${typescript.level} of 5`, typescript.value!]) {
        t.ok(sent.includes(expected), `what will be sent lists ${expected}`)
      }
      t.ok(
        (await dialog.innerText()).includes(
          'Members who receive it keep their copy; you can withdraw it later but cannot recall it.'
        ),
        'what cannot be recalled'
      )
      t.comment(await web.screenshot(page, 'web-facet-share-confirm'))
      await dialog.getByRole('button', { name: 'Share it' }).click()
      await dialog.getByText(/^Shared with Night writers/).waitFor()
      await dialog.getByRole('button', { name: 'Done' }).click()
      await dialog.waitFor({ state: 'hidden' })

      await panel.getByText('No one here matches you yet.').waitFor()
      t.ok(
        (await panel.innerText()).includes(
          'No other member has shared a skill, interest, value, seeking or project here yet.'
        ),
        'alone in the sphere: nobody to match, and why'
      )
      await page.getByRole('region', { name: 'Your shares' }).getByText('mind/skill/typescript').waitFor()
      t.pass('the facet is in your shares')
      await panel.scrollIntoViewIfNeeded()
      t.comment(await web.screenshot(page, 'web-matches-alone'))

      await panel.getByRole('button', { name: 'Share a profile facet…' }).click()
      const again = dialog.locator('li', { hasText: 'mind/skill/typescript' })
      await again.getByText(/already shared here/).waitFor()
      t.is(await again.getByRole('radio').count(), 0, 'a facet already shared here is marked, not offered again')
      await dialog.getByRole('button', { name: 'Cancel' }).click()
      await page.close()
    }
  )

  await step(
    'a ranking in words: each reason and what it adds, adding up to the score; feedback is noted',
    async (t) => {
      const page = await web.open()
      const feedback: unknown[] = []
      const results = await routeExampleRanking(page, feedback)
      await page.getByRole('link', { name: 'Spheres' }).click()
      await page
        .getByRole('region', { name: 'Your spheres' })
        .getByRole('button', { name: /Night writers/ })
        .click()
      const panel = page.getByRole('region', { name: 'People to work with' })
      const ranked = panel.getByRole('list', { name: 'Ranked matches' })
      await ranked.waitFor()
      const bea = ranked.getByRole('article', { name: /Bea/ }).first()
      const why = await bea.getByRole('list', { name: 'Why Bea' }).innerText()
      t.ok(
        why.includes('They have TypeScript (level 4), which you seek (you wrote “TS”)'),
        'complementary skills in words'
      )
      t.ok(why.includes('They seek rust, which you have (level 5)'), 'and the other way round')
      t.ok(
        /You both care about medieval cartography \(common here\)/.test(why),
        'a shared interest, and how rare it is'
      )
      const amounts = [...why.matchAll(/\+(\d+\.\d\d)/g)].map((m) => Number(m[1]))
      const score = Number((await bea.locator('.score strong').innerText()).trim())
      t.is(amounts.length, results[0]!.items.length, 'one line per reason')
      t.is(
        Math.round(amounts.reduce((a, b) => a + b, 0) * 100),
        Math.round(score * 100),
        'the lines add up to the score'
      )
      t.ok(/Score\s+\d+\.\d\d\s*$/.test(why), 'with the total under them')
      const project = ranked.getByRole('article', { name: /Old maps/ })
      t.ok((await project.innerText()).includes('It is about'), 'the project says what in it meets you')
      t.is(await project.getByRole('button', { name: 'Helpful' }).count(), 0, 'feedback is about people, not projects')

      await bea.getByRole('button', { name: 'Helpful', exact: true }).click()
      await bea
        .getByRole('status')
        .getByText(/^Noted: helpful\. Learned on this device only/)
        .waitFor()
      t.alike(feedback, [{ member: BEA, helpful: true }], 'the feedback names the member')
      t.is(await bea.getByRole('button', { name: 'Helpful', exact: true }).getAttribute('aria-pressed'), 'true')
      await panel.getByText('How the score works').click()
      await panel.scrollIntoViewIfNeeded()
      t.comment(await web.screenshot(page, 'web-matches-ranked'))
      await page.close()
    }
  )

  await step('the spheres page at 200% zoom: labelled controls, no sideways scrolling', async (t) => {
    const page = await web.open({ zoom: 2, path: '' })
    await routeExampleRanking(page)
    await page.evaluate(`location.hash = '#/spheres'`)
    await page
      .getByRole('region', { name: 'Your spheres' })
      .getByRole('button', { name: /Night writers/ })
      .click()
    await page.locator('sphere-feed').getByRole('article').first().waitFor()
    await page.getByRole('list', { name: 'Ranked matches' }).waitFor()
    await page.waitForTimeout(500)
    const overflow = Number(
      await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')
    )
    t.ok(overflow <= 0, `no horizontal scroll at 200% (${overflow}px)`)
    t.alike(await page.evaluate(UNLABELLED), [], 'every control has a label')
    t.comment(await web.screenshot(page, 'web-spheres-zoom-200'))
    await page.getByRole('region', { name: 'People to work with' }).scrollIntoViewIfNeeded()
    t.comment(await web.screenshot(page, 'web-matches-zoom-200'))
    await page.close()
  })

  async function sphereKey(): Promise<string> {
    const res = await fetch(`${web.base}/api/spheres`, { headers: { authorization: `Bearer ${WEB_TOKEN}` } })
    return ((await res.json()) as { spheres: { key: string }[] }).spheres[0]!.key
  }
})
