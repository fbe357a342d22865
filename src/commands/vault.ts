import { recoveryPhrase } from '../store/vault.js'
import { defineCommand } from './command.js'

export const vaultExportKey = defineCommand<Record<string, never>, { author: string; phrase: string }>({
  name: 'vault export-key',
  summary: 'print the 24-word recovery phrase of this identity',
  async run({ home }) {
    return { author: home.author, phrase: recoveryPhrase(home.keys.seed) }
  },
  render: (o) =>
    [
      'Recovery phrase (anyone who has it can sign as you: write it down, keep it offline):',
      '',
      `  ${o.phrase}`,
      '',
      `Identity ${o.author}`,
      'Restore on a new machine: cosmic init --recover, then cosmic import <your export bundle>.'
    ].join('\n')
})
