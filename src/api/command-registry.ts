import { audit } from '../commands/audit.js'
import type { Command } from '../commands/command.js'
import { configSet, configShow, configUnset } from '../commands/config.js'
import { deviceList, devicePair, deviceRemove } from '../commands/device.js'
import { consentGrant, consentList, consentRevoke, egressList } from '../commands/egress.js'
import {
  evolutionCommand,
  exportCommand,
  graphCommand,
  importCommand,
  patternsCommand,
  replayCommand,
  tensionShow,
  tensionsCommand,
  timelineCommand
} from '../commands/history.js'
import { amend, log, reflect, retract, status } from '../commands/journal.js'
import { sphereFeedback, sphereMatches } from '../commands/match.js'
import { mirror, reflectAndMirror } from '../commands/mirror.js'
import { profileRemove, profileSet, profileShow } from '../commands/profile.js'
import {
  peers,
  share,
  sharesList,
  sphereApprove,
  sphereCreate,
  sphereDeny,
  sphereFeed,
  sphereInvite,
  sphereJoin,
  sphereLeave,
  sphereList,
  sphereMembers,
  spherePost,
  sphereRemove,
  sphereRequests,
  sphereSeed,
  unshare
} from '../commands/sphere.js'
import { tensionAdd, tensionList, tensionResolve, tensionShift } from '../commands/tension.js'
import { vaultExportKey } from '../commands/vault.js'
import type { LockMode } from './lock.js'

// biome-ignore lint/suspicious/noExplicitAny: a registry of commands of every input and output type
type AnyCommand = Command<any, any>

/**
 * Every command a running server can run for the CLI (`cosmic … ` while `cosmic serve`
 * holds the home), by a key that names it uniquely (two commands are called "reflect"),
 * and how it takes the home: reads side by side, writes one at a time, rebuilds alone.
 */
export const COMMANDS: Readonly<Record<string, { command: AnyCommand; mode: LockMode }>> = {
  status: { command: status, mode: 'read' },
  'device list': { command: deviceList, mode: 'read' },
  'device remove': { command: deviceRemove, mode: 'write' },
  'device pair': { command: devicePair, mode: 'write' },
  log: { command: log, mode: 'read' },
  reflect: { command: reflect, mode: 'write' },
  'reflect --mirror': { command: reflectAndMirror, mode: 'write' },
  amend: { command: amend, mode: 'write' },
  retract: { command: retract, mode: 'write' },
  mirror: { command: mirror, mode: 'write' },
  'tension add': { command: tensionAdd, mode: 'write' },
  'tension shift': { command: tensionShift, mode: 'write' },
  'tension resolve': { command: tensionResolve, mode: 'write' },
  'tension list': { command: tensionList, mode: 'read' },
  'tension show': { command: tensionShow, mode: 'read' },
  tensions: { command: tensionsCommand, mode: 'read' },
  'profile set': { command: profileSet, mode: 'write' },
  'profile remove': { command: profileRemove, mode: 'write' },
  'profile show': { command: profileShow, mode: 'read' },
  timeline: { command: timelineCommand, mode: 'read' },
  graph: { command: graphCommand, mode: 'read' },
  patterns: { command: patternsCommand, mode: 'read' },
  evolution: { command: evolutionCommand, mode: 'write' },
  replay: { command: replayCommand, mode: 'exclusive' },
  export: { command: exportCommand, mode: 'read' },
  import: { command: importCommand, mode: 'exclusive' },
  audit: { command: audit, mode: 'read' },
  'vault export-key': { command: vaultExportKey, mode: 'read' },
  'config show': { command: configShow, mode: 'read' },
  'config set': { command: configSet, mode: 'write' },
  'config unset': { command: configUnset, mode: 'write' },
  egress: { command: egressList, mode: 'read' },
  'consent grant': { command: consentGrant, mode: 'write' },
  'consent revoke': { command: consentRevoke, mode: 'write' },
  'consent list': { command: consentList, mode: 'read' },
  'sphere create': { command: sphereCreate, mode: 'write' },
  'sphere list': { command: sphereList, mode: 'read' },
  'sphere invite': { command: sphereInvite, mode: 'write' },
  // A join waits on the network, for minutes when a person approves it; its one append
  // (sphere.joined) decides on nothing it read, and appends run one at a time anyway: it
  // must not hold up every write of the home meanwhile.
  'sphere join': { command: sphereJoin, mode: 'read' },
  'sphere requests': { command: sphereRequests, mode: 'read' },
  'sphere approve': { command: sphereApprove, mode: 'write' },
  'sphere deny': { command: sphereDeny, mode: 'write' },
  'sphere members': { command: sphereMembers, mode: 'read' },
  'sphere remove': { command: sphereRemove, mode: 'write' },
  'sphere leave': { command: sphereLeave, mode: 'write' },
  'sphere feed': { command: sphereFeed, mode: 'read' },
  'sphere post': { command: spherePost, mode: 'write' },
  'sphere seed': { command: sphereSeed, mode: 'write' },
  'sphere matches': { command: sphereMatches, mode: 'read' },
  'sphere feedback': { command: sphereFeedback, mode: 'write' },
  share: { command: share, mode: 'write' },
  unshare: { command: unshare, mode: 'write' },
  shares: { command: sharesList, mode: 'read' },
  peers: { command: peers, mode: 'read' }
}

/** The registry key of a command object, or undefined for one a server does not run. */
export function commandKey(command: Command<unknown, unknown>): string | undefined {
  for (const [key, entry] of Object.entries(COMMANDS)) if (entry.command === command) return key
  return undefined
}
