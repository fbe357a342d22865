import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import test from 'brittle'
import { example } from '../scripts/match-example.js'
import { DEFAULT_WEIGHTS, SYNONYMS } from '../src/swarm/match/index.js'
import { REPO } from './helpers/home.js'

/** docs/matching.md stays true: its example is real code, and its tables are the code's. */

const doc = await readFile(join(REPO, 'docs/matching.md'), 'utf8')

test('the example in docs/matching.md is scripts/match-example.ts, and it does what the doc says', async (t) => {
  const source = await readFile(join(REPO, 'scripts/match-example.ts'), 'utf8')
  t.ok(doc.includes(`\`\`\`ts\n${source}\`\`\``), 'the doc shows the file verbatim')
  const { results, why, learned, reranked, after } = example()
  t.alike(
    results.map((r) => [r.kind, r.name, r.project]),
    [
      ['member', 'Bea', undefined],
      ['project', 'Bea', 'Old maps']
    ]
  )
  t.alike(why, ['interests medieval cartography +0.53', 'skills typescript +1.20', 'skills rust +1.50'])
  t.ok(doc.includes(`\`why\` is \`${JSON.stringify(why).replaceAll('"', "'").replaceAll(',', ', ')}\``))
  t.is(learned.events, 1)
  t.is(reranked.length, 2)
  t.alike(after, [], 'after Bea left')
})

test('the synonym table and the default weights in docs/matching.md are the code', (t) => {
  for (const group of SYNONYMS) {
    t.ok(doc.includes(`| ${group.term} | ${group.variants.join(', ')} |`), group.term)
  }
  for (const [component, weight] of Object.entries(DEFAULT_WEIGHTS)) {
    t.ok(doc.includes(`| ${component} | ${weight} |`), `${component} ${weight}`)
  }
})
