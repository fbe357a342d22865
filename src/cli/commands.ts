// Registers every command group on the program (imported by main.ts and by the docs test).
import { readFile } from 'node:fs/promises'
import { Option } from 'commander'
import { ensureApiToken } from '../api/token.js'
import { audit } from '../commands/audit.js'
import { amend, log, reflect, retract, status } from '../commands/journal.js'
import { reflectAndMirror } from '../commands/mirror.js'
import { profileRemove, profileSet, profileShow } from '../commands/profile.js'
import { tensionAdd, tensionList, tensionResolve, tensionShift } from '../commands/tension.js'
import { vaultExportKey } from '../commands/vault.js'
import type { EngineKind } from '../engine/settings.js'
import { CosmicError } from '../errors.js'
import type { Dimension } from '../events/schemas.js'
import { Home, resolveHomePath } from '../store/home.js'
import { type KdfStrength, seedFromRecoveryPhrase } from '../store/vault.js'
import { registerDeviceCommands } from './devices.js'
import { engineOption, registerEngineCommands } from './engine.js'
import { EXIT } from './exit-codes.js'
import { registerHistoryCommands } from './history.js'
import { promptHidden, readPassphrase } from './prompt.js'
import { collect, globals, integer, number, print, program, runOnHome, textArgument } from './run.js'
import { registerServeCommand } from './serve.js'
import { registerSphereCommands } from './spheres.js'
import { registerSwarmNodeCommands } from './swarm-nodes.js'

const dimensionOption = new Option('--dimension <dimension>', 'the dimension it touches').choices([
  'mind',
  'heart',
  'body'
])

program
  .command('init')
  .description('create a home: an identity, a sealed vault and an encrypted journal')
  .option('--name <name>', 'the name you go by (stays private)', 'me')
  .option('--recover', 'restore an identity from its 24-word recovery phrase ($COSMIC_RECOVERY_PHRASE or a prompt)')
  .option('--recovery-file <file>', 'read the recovery phrase from a file (implies --recover)')
  .addOption(
    new Option('--kdf <strength>', 'argon2id cost for the passphrase')
      .choices(['interactive', 'moderate', 'sensitive'])
      .default('interactive')
  )
  .action(async (opts: { name: string; recover?: boolean; recoveryFile?: string; kdf: KdfStrength }) => {
    const g = globals()
    const path = resolveHomePath(g.home)
    let seed: Uint8Array | undefined
    if (opts.recover || opts.recoveryFile) {
      const phrase = opts.recoveryFile
        ? await readFile(opts.recoveryFile, 'utf8').catch((err: Error) => {
            throw CosmicError.INVALID_INPUT(`cannot read --recovery-file: ${err.message}`)
          })
        : (process.env.COSMIC_RECOVERY_PHRASE ?? (await promptHidden('Recovery phrase (24 words): ')))
      seed = seedFromRecoveryPhrase(phrase)
    }
    const passphrase = await readPassphrase({ passphraseFile: g.passphraseFile }, { confirm: true })
    const result = await Home.init(path, { passphrase, name: opts.name, kdf: opts.kdf, ...(seed ? { seed } : {}) })
    // The web app's API token, made now so `cosmic serve` finds it (serve makes one for older homes).
    await ensureApiToken(result.path)
    const output = { ...result, recovered: Boolean(seed) }
    if (g.json) return print(JSON.stringify(output, null, 2))
    print(
      [
        `Created a home at ${result.path}`,
        `Identity ${result.publicKey}`,
        seed
          ? 'Identity restored. Bring your history back with: cosmic import <bundle>'
          : 'Next: cosmic reflect "what is alive in you today"   (and cosmic vault export-key to write down your recovery phrase)'
      ].join('\n')
    )
  })

program
  .command('status')
  .description('what this home holds')
  .action(() => runOnHome(status, {}))

program
  .command('reflect')
  .description('record a journal entry (TEXT, or - to read it from standard input)')
  .argument('<text...>', 'what is on your mind')
  .option('--tag <tag>', 'a tag (repeatable, or comma-separated)', collect, [])
  .option('--mood <mood>', 'how you feel, in a word or two')
  .addOption(dimensionOption)
  .option('--shareable', 'may be shared into a sphere later (default: private)')
  .option('--sealed', 'never leaves this device, not even to a remote model')
  .option('--mirror', 'then mirror it back with the configured engine (cosmic mirror)')
  .addOption(engineOption())
  .action(
    async (
      words: string[],
      opts: {
        tag: string[]
        mood?: string
        dimension?: Dimension
        shareable?: boolean
        sealed?: boolean
        mirror?: boolean
        engine?: EngineKind
      }
    ) => {
      const input = {
        text: await textArgument(words),
        tags: opts.tag,
        ...(opts.mood !== undefined ? { mood: opts.mood } : {}),
        ...(opts.dimension ? { dimension: opts.dimension } : {}),
        shareable: opts.shareable ?? false,
        sealed: opts.sealed ?? false
      }
      if (opts.mirror || opts.engine)
        await runOnHome(reflectAndMirror, { ...input, ...(opts.engine ? { engine: opts.engine } : {}) })
      else await runOnHome(reflect, input)
    }
  )

program
  .command('amend')
  .description('replace the text of an entry; earlier versions stay in the log')
  .argument('<id>', 'the entry id (or a unique prefix of 6+ characters)')
  .argument('<text...>', 'the new text')
  .action(async (id: string, words: string[]) => runOnHome(amend, { id, text: await textArgument(words) }))

program
  .command('retract')
  .description('forget an entry: its words leave the disk; its signed header stays so audit still verifies')
  .argument('<id>', 'the entry id (or a unique prefix of 6+ characters)')
  .action((id: string) => runOnHome(retract, { id }))

const tension = program.command('tension').description('tensions you live with, and how they shift')
tension
  .command('add')
  .description('note a tension between two poles')
  .argument('<name...>', 'e.g. "money: scarcity vs control"')
  .requiredOption('--poles <a,b>', 'the two poles, comma-separated')
  .option('--intensity <0..1>', 'how strongly it is felt now', number('--intensity'), 0.5)
  .option('--domain <domain>', 'the area of life (e.g. money, work, love)')
  .option('--shareable', 'may be shared into a sphere later (default: private)')
  .action((words: string[], opts: { poles: string; intensity: number; domain?: string; shareable?: boolean }) =>
    runOnHome(tensionAdd, {
      name: words.join(' '),
      poles: opts.poles.split(','),
      intensity: opts.intensity,
      ...(opts.domain ? { domain: opts.domain } : {}),
      shareable: opts.shareable ?? false
    })
  )
tension
  .command('shift')
  .description('record how strongly a tension is felt now')
  .argument('<id>', 'the tension id (see tension list)')
  .requiredOption('--intensity <0..1>', 'the new intensity', number('--intensity'))
  .option('--toward <pole>', 'the pole it moved toward')
  .action((id: string, opts: { intensity: number; toward?: string }) =>
    runOnHome(tensionShift, { id, intensity: opts.intensity, ...(opts.toward ? { toward: opts.toward } : {}) })
  )
tension
  .command('resolve')
  .description('mark a tension resolved, with the insight that resolved it')
  .argument('<id>', 'the tension id')
  .requiredOption('--insight <text>', 'what you understood')
  .action((id: string, opts: { insight: string }) => runOnHome(tensionResolve, { id, insight: opts.insight }))
tension
  .command('list')
  .description('open tensions')
  .option('--all', 'include resolved ones')
  .action((opts: { all?: boolean }) => runOnHome(tensionList, { all: opts.all ?? false }))

const profile = program.command('profile').description('the whole-human profile: mind, heart, body')
profile
  .command('set')
  .description(
    'set a facet: mind (skill, interest, project, seeking), heart (value, emotion, relationship), body (health, activity, presence)'
  )
  .argument('<dimension>', 'mind, heart or body')
  .argument('<facet>', 'e.g. skill')
  .argument('<key>', 'e.g. typescript')
  .argument('[value]', 'an optional note')
  .option('--level <1..5>', 'for skills: how deep', integer('--level'))
  .option('--shareable', 'may be shared into a sphere later (default: private)')
  .action(
    (
      dimension: string,
      facet: string,
      key: string,
      value: string | undefined,
      opts: { level?: number; shareable?: boolean }
    ) =>
      runOnHome(profileSet, {
        dimension,
        facet,
        key,
        ...(value !== undefined ? { value } : {}),
        ...(opts.level !== undefined ? { level: opts.level } : {}),
        shareable: opts.shareable ?? false
      })
  )
profile
  .command('remove')
  .description('remove a facet')
  .argument('<dimension>')
  .argument('<facet>')
  .argument('<key>')
  .action((dimension: string, facet: string, key: string) => runOnHome(profileRemove, { dimension, facet, key }))
profile
  .command('show')
  .description('show the profile')
  .action(() => runOnHome(profileShow, {}))

program
  .command('log')
  .description('raw signed events, oldest first')
  .option('--from <seq>', 'first seq', integer('--from'), 0)
  .option('--limit <n>', 'how many', integer('--limit'), 50)
  .action((opts: { from: number; limit: number }) => runOnHome(log, { from: opts.from, limit: opts.limit }))

program
  .command('audit')
  .description('verify every event (signature, id, chain) and the Hypercore tree; exit 1 on any failure')
  .action(async () => {
    try {
      await runOnHome(audit, {})
    } catch (err) {
      // Storage too damaged to open is a failed check, not bad usage.
      if (CosmicError.is(err, 'HOME_DAMAGED')) {
        const report = { ok: false, failures: [{ seq: null, code: err.code, reason: err.detail }] }
        print(globals().json ? JSON.stringify(report, null, 2) : `FAILED: ${err.message}`)
        process.exitCode = EXIT.CHECK_FAILED
        return
      }
      throw err
    }
  })

const vault = program.command('vault').description('the identity vault')
vault
  .command('export-key')
  .description('print your 24-word recovery phrase (restore with init --recover)')
  .action(() => runOnHome(vaultExportKey, {}))

registerHistoryCommands(program)
registerEngineCommands(program)
registerServeCommand(program)
registerSphereCommands(program)
registerDeviceCommands(program)
registerSwarmNodeCommands(program)
