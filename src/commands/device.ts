import { CosmicError } from '../errors.js'
import { type EventJson, eventToJson } from '../events/envelope.js'
import type { Home } from '../store/home.js'
import { defineCommand } from './command.js'
import { formatTime } from './format.js'

export interface DeviceRow {
  device: number
  name: string
  /** When it was paired (ms; 0 for the device that created the identity). */
  time: number
  removed: boolean
  self: boolean
}

/** Device 0 and every device the journal names, in pairing order. */
export function listDevices(home: Home): DeviceRow[] {
  const rows = home.readModel.db
    .prepare<[], { device: number; name: string; time: number; removed_seq: number | null }>(
      'SELECT device, name, time, removed_seq FROM devices ORDER BY time, device'
    )
    .all()
  const out: DeviceRow[] = []
  if (!rows.some((r) => r.device === 0)) {
    out.push({ device: 0, name: 'first device', time: 0, removed: false, self: home.device === 0 })
  }
  for (const r of rows) {
    out.push({
      device: r.device,
      name: r.name,
      time: r.time,
      removed: r.removed_seq !== null,
      self: r.device === home.device
    })
  }
  return out
}

export const deviceList = defineCommand<Record<string, never>, DeviceRow[]>({
  name: 'device list',
  summary: 'your devices, as the journal names them (* this one)',
  async run({ home }) {
    return listDevices(home)
  },
  render: (rows) =>
    rows
      .map(
        (r) =>
          `${r.self ? '*' : ' '} device ${r.device}  ${r.name}${r.time ? `  paired ${formatTime(r.time)}` : ''}` +
          `${r.removed ? '  (removed)' : ''}${r.self ? '  (this one)' : ''}`
      )
      .join('\n')
})

export const deviceRemove = defineCommand<{ device: number }, EventJson>({
  name: 'device remove',
  summary: 'a device is no longer yours: stop replicating with it (it keeps what it had, and the seed)',
  async run({ home }, input) {
    const device = input.device
    if (!Number.isSafeInteger(device) || device < 0 || device > 0xffff_ffff) {
      throw CosmicError.INVALID_INPUT('a device number is from 0 to 4294967295 (cosmic device list shows them)')
    }
    if (device === home.device) {
      throw CosmicError.INVALID_INPUT('this is the device you are on: remove it from another of your devices')
    }
    const row = listDevices(home).find((r) => r.device === device)
    if (!row) throw CosmicError.NOT_FOUND(`no device ${device} in this journal (cosmic device list shows them)`)
    if (row.removed) throw CosmicError.CONFLICT(`device ${device} (${row.name}) is already removed`)
    const [event] = await home.append([{ type: 'device.removed', body: { device } }])
    return eventToJson(event!)
  },
  render: (e) =>
    `Removed device ${(e.body as { device: number }).device}: no more replication with it. It keeps what it had and your seed; docs/devices.md says what that means.`
})

export interface PairOutput {
  code: string
  expires: number
}

/**
 * A one-time code for a new device, answered by the process that runs this home's device
 * link (`cosmic serve`): the CLI runs `device pair` itself when nothing holds the home.
 */
export const devicePair = defineCommand<{ wait?: number }, PairOutput>({
  name: 'device pair',
  summary: 'a one-time code for a new device of yours (it hands over your identity: type it yourself)',
  async run(ctx, input) {
    if (!ctx.devices) throw CosmicError.INTERNAL('pairing needs a running device link')
    const link = await ctx.devices()
    const wait = input.wait ?? 10 * 60_000
    if (!Number.isSafeInteger(wait) || wait < 10_000 || wait > 24 * 3_600_000) {
      throw CosmicError.INVALID_INPUT('--wait is from 10 s to 24 h')
    }
    return link.invite({ expires: Date.now() + wait })
  },
  render: (o) =>
    `On the new device run:\n\n  cosmic device join ${o.code}\n\nValid until ${formatTime(o.expires)}; \`cosmic serve\` answers it. ` +
    'The code hands over your whole identity (like your recovery phrase): type it yourself, now.'
})
