import { Option, type Command as Program } from 'commander'
import { configSet, configShow, configUnset } from '../commands/config.js'
import { consentGrant, consentList, consentRevoke, egressList } from '../commands/egress.js'
import { mirror } from '../commands/mirror.js'
import type { EngineKind } from '../engine/settings.js'
import { CosmicError } from '../errors.js'
import { collect, integer, runOnHome } from './run.js'

export function engineOption(): Option {
  return new Option('--engine <engine>', 'use this engine once instead of the configured one').choices([
    'builtin',
    'local_llm',
    'remote_llm'
  ])
}

/** `config set` options that name a setting, for the forms people write: `config set engine local_llm --model PATH`. */
const SET_OPTIONS: readonly [flag: string, key: string, help: string][] = [
  ['--model <path>', 'model', 'local_llm: the GGUF model file'],
  ['--context-size <tokens>', 'context_size', 'local_llm: context window'],
  ['--max-tokens <tokens>', 'max_tokens', 'tokens a model may generate per answer'],
  ['--context-tokens <tokens>', 'context_tokens', 'budget of the context sent to a model'],
  ['--url <url>', 'remote_url', 'remote_llm: base URL, e.g. http://127.0.0.1:8080/v1'],
  ['--remote-model <name>', 'remote_model', 'remote_llm: model name'],
  ['--key-env <name>', 'remote_key_env', 'environment variable holding the API key'],
  ['--key-file <file>', 'remote_key_file', 'file holding the API key'],
  ['--timeout-ms <ms>', 'remote_timeout_ms', 'remote_llm: timeout per attempt'],
  ['--retries <n>', 'remote_retries', 'remote_llm: retries on 429, 5xx, a timeout or a dropped connection']
]

function camel(flag: string): string {
  const name = flag.split(' ')[0]!.replace(/^--/, '')
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
}

/** The mirror engine's commands: mirror, config, egress, consent (docs/mirror.md). */
export function registerEngineCommands(program: Program): void {
  program
    .command('mirror')
    .description(
      'mirror an entry back (themes, feelings, a quote, tensions and values, a question), recorded as history'
    )
    .argument('<id>', 'the entry id (or a unique prefix of 6+ characters)')
    .addOption(engineOption())
    .action((id: string, opts: { engine?: EngineKind }) =>
      runOnHome(mirror, { id, ...(opts.engine ? { engine: opts.engine } : {}) })
    )

  const config = program.command('config').description('mode flags and engine settings; every change is an event')
  config
    .command('show')
    .description('the settings in force (defaults marked), environment overrides, where the API key comes from')
    .action(() => runOnHome(configShow, {}))
  const set = config
    .command('set')
    .description(
      'change settings, e.g. `config set mirror_mode hybrid engine_mode remote_llm --url URL --remote-model NAME`; keys: mirror_mode, engine_mode, sync_enabled, model, context_size, max_tokens, context_tokens, remote_url, remote_model, remote_key_env, remote_key_file, remote_timeout_ms, remote_retries'
    )
    .argument('[pairs...]', 'KEY VALUE pairs')
  for (const [flag, , help] of SET_OPTIONS) set.option(flag, help)
  set.action((pairs: string[], opts: Record<string, string | undefined>) => {
    if (pairs.length % 2 !== 0) {
      throw CosmicError.INVALID_INPUT(`"${pairs.at(-1)}" has no value: settings come as KEY VALUE pairs`)
    }
    const all: [string, string][] = []
    for (let i = 0; i < pairs.length; i += 2) all.push([pairs[i]!, pairs[i + 1]!])
    for (const [flag, key] of SET_OPTIONS) {
      const value = opts[camel(flag)]
      if (value !== undefined) all.push([key, value])
    }
    return runOnHome(configSet, { pairs: all })
  })
  config
    .command('unset')
    .description('return settings to their defaults (not the three mode flags)')
    .argument('<keys...>', 'setting names')
    .action((keys: string[]) => runOnHome(configUnset, { keys }))

  program
    .command('egress')
    .description(
      'the egress ledger: every request that left this device, what it carried (event ids), its size and hash'
    )
    .option('--endpoint <url>', 'only requests to this endpoint')
    .option('--since <time>', 'only requests from this time (a date, an ISO time or ms)')
    .option('--limit <n>', 'how many to list (totals count all)', integer('--limit'), 50)
    .action((opts: { endpoint?: string; since?: string; limit: number }) =>
      runOnHome(egressList, {
        limit: opts.limit,
        ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
        ...(opts.since ? { since: opts.since } : {})
      })
    )

  const consent = program.command('consent').description('who may receive what: consents you give and revoke')
  consent
    .command('grant')
    .description('allow an endpoint (a model API) to receive what a scope needs; sealed entries never go')
    .argument('<endpoint>', 'the base URL, e.g. http://127.0.0.1:8080/v1')
    .option('--scope <scope>', 'mirror or evolution (repeatable; default mirror)', collect, [])
    .option('--until <time>', 'the consent ends at this time')
    .action((endpoint: string, opts: { scope: string[]; until?: string }) =>
      runOnHome(consentGrant, { endpoint, scope: opts.scope, ...(opts.until ? { until: opts.until } : {}) })
    )
  consent
    .command('revoke')
    .description('withdraw every consent in force for an endpoint, or one consent by id')
    .argument('<endpoint-or-id>', 'the endpoint URL or a consent id (see consent list)')
    .action((target: string) => runOnHome(consentRevoke, { target }))
  consent
    .command('list')
    .description('every consent, in force, revoked or expired')
    .action(() => runOnHome(consentList, {}))
}
