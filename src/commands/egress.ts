import { endpointAudience, normalizeEndpoint, readSettings } from '../engine/settings.js'
import { CosmicError } from '../errors.js'
import { type EventJson, eventToJson } from '../events/envelope.js'
import { type ConsentRow, type EgressRow, listConsents, listEgress } from '../projections/egress.js'
import { defineCommand } from './command.js'
import { formatTime, plural, shortId } from './format.js'
import { parseTime, type TimeInput } from './history.js'

/** What an endpoint consent can cover: mirrorbacks and evolution notes. */
export const ENDPOINT_SCOPES = ['mirror', 'evolution'] as const
export type EndpointScope = (typeof ENDPOINT_SCOPES)[number]

/* ---------- the ledger ---------- */

export interface EgressInput {
  endpoint?: string
  since?: TimeInput
  limit?: number
}

export interface EgressOutput {
  requests: number
  bytes: number
  contentBytes: number
  byEndpoint: { endpoint: string; requests: number; bytes: number }[]
  /** Newest first, at most `limit`. */
  entries: EgressRow[]
}

export const egressList = defineCommand<EgressInput, EgressOutput>({
  name: 'egress',
  summary: 'every request that left this device: endpoint, the events whose content it carried, size, payload hash',
  async run({ home }, input) {
    const limit = input.limit ?? 50
    if (!Number.isSafeInteger(limit) || limit < 1) throw CosmicError.INVALID_INPUT('--limit must be 1 or more')
    const rows = listEgress(home.readModel.db, {
      ...(input.since !== undefined ? { since: parseTime(input.since, '--since') } : {}),
      ...(input.endpoint ? { endpoint: normalizeEndpoint(input.endpoint) } : {})
    })
    const byEndpoint = new Map<string, { requests: number; bytes: number }>()
    for (const r of rows) {
      const e = byEndpoint.get(r.endpoint) ?? { requests: 0, bytes: 0 }
      e.requests++
      e.bytes += r.bytes
      byEndpoint.set(r.endpoint, e)
    }
    return {
      requests: rows.length,
      bytes: rows.reduce((n, r) => n + r.bytes, 0),
      contentBytes: rows.reduce((n, r) => n + r.contentBytes, 0),
      byEndpoint: [...byEndpoint.entries()].map(([endpoint, e]) => ({ endpoint, ...e })),
      entries: rows.reverse().slice(0, limit)
    }
  },
  render(o) {
    if (o.requests === 0) return 'Nothing has left this device.'
    const lines = [
      `${plural(o.requests, 'request')} left this device: ${o.bytes} bytes, of which ${o.contentBytes} bytes of journal content.`
    ]
    for (const e of o.byEndpoint) lines.push(`  ${e.endpoint}  ${plural(e.requests, 'request')}, ${e.bytes} bytes`)
    lines.push('')
    for (const r of o.entries) {
      lines.push(
        `#${r.seq}  ${formatTime(r.time)}  ${r.purpose}  ${r.endpoint}  model ${r.model}  attempt ${r.attempt}  ${r.bytes} bytes  blake2b ${r.payloadHash.slice(0, 16)}…`
      )
      lines.push(`    content of ${plural(r.sent.length, 'event')}: ${r.sent.map(shortId).join(' ')}`)
    }
    return lines.join('\n')
  }
})

/* ---------- consent ---------- */

export interface ConsentGrantInput {
  endpoint: string
  scope?: readonly string[]
  until?: TimeInput
}

export interface ConsentGrantOutput {
  event: EventJson
  endpoint: string
  scope: string[]
  until: number | null
  note: string | null
}

export const consentGrant = defineCommand<ConsentGrantInput, ConsentGrantOutput>({
  name: 'consent grant',
  summary: 'allow an endpoint to receive what a scope needs (mirror, evolution)',
  async run({ home }, input) {
    const endpoint = normalizeEndpoint(input.endpoint.replace(/^endpoint:/, ''))
    const scope = [...new Set((input.scope?.length ? input.scope : ['mirror']).map((s) => s.trim().toLowerCase()))]
    for (const s of scope) {
      if (!(ENDPOINT_SCOPES as readonly string[]).includes(s)) {
        throw CosmicError.INVALID_INPUT(`--scope must be one of ${ENDPOINT_SCOPES.join(', ')} (got "${s}")`)
      }
    }
    const until = input.until === undefined ? undefined : parseTime(input.until, '--until', 'end')
    if (until !== undefined && until <= Date.now()) throw CosmicError.INVALID_INPUT('--until is in the past')
    const body = { audience: endpointAudience(endpoint), scope, ...(until !== undefined ? { until } : {}) }
    const [event] = await home.append([{ type: 'consent.granted', body }])
    const settings = readSettings(home.readModel.db)
    return {
      event: eventToJson(event!),
      endpoint,
      scope,
      until: until ?? null,
      note:
        settings.mode === 'local'
          ? 'mirror_mode is local: nothing is sent until you change it (cosmic config set mirror_mode hybrid)'
          : null
    }
  },
  render: (o) =>
    [
      `Consent ${shortId(o.event.id)}: ${o.endpoint} may receive what "${o.scope.join(', ')}" needs${o.until ? ` until ${formatTime(o.until)}` : ''} (never sealed entries).`,
      'Every request is recorded in the egress ledger (cosmic egress); revoke with cosmic consent revoke.',
      ...(o.note ? [`Note: ${o.note}`] : [])
    ].join('\n')
})

export interface ConsentRevokeOutput {
  revoked: { consent: string; audience: string; event: EventJson }[]
}

export const consentRevoke = defineCommand<{ target: string }, ConsentRevokeOutput>({
  name: 'consent revoke',
  summary: 'withdraw consents: every one in force for an endpoint, or one by id',
  async run({ home }, input) {
    const db = home.readModel.db
    const target = input.target.trim()
    const all = listConsents(db)
    let chosen: ConsentRow[]
    if (/^[0-9a-f]{6,64}$/i.test(target)) {
      chosen = all.filter((c) => c.id.startsWith(target.toLowerCase()))
      if (chosen.length > 1) throw CosmicError.INVALID_INPUT(`the prefix ${target} matches more than one consent`)
      if (chosen.length === 0) throw CosmicError.NOT_FOUND(`no consent with id ${target} (see cosmic consent list)`)
      if (chosen[0]!.revokedSeq !== null) throw CosmicError.CONFLICT(`consent ${target} is already revoked`)
    } else {
      const audience = endpointAudience(target.replace(/^endpoint:/, ''))
      chosen = all.filter((c) => c.audience === audience && c.revokedSeq === null)
      if (chosen.length === 0) throw CosmicError.NOT_FOUND(`no consent in force for ${audience.slice(9)}`)
    }
    const events = await home.append(chosen.map((c) => ({ type: 'consent.revoked' as const, body: { ref: c.id } })))
    return {
      revoked: chosen.map((c, i) => ({ consent: c.id, audience: c.audience, event: eventToJson(events[i]!) }))
    }
  },
  render: (o) =>
    o.revoked
      .map(
        (r) =>
          `Revoked consent ${shortId(r.consent)} for ${r.audience.replace(/^endpoint:/, '')}. What was already sent cannot be recalled; nothing more will be.`
      )
      .join('\n')
})

export interface ConsentListItem extends ConsentRow {
  state: 'in force' | 'revoked' | 'expired'
}

export const consentList = defineCommand<Record<string, never>, ConsentListItem[]>({
  name: 'consent list',
  summary: 'every consent given, with its state',
  async run({ home }) {
    const now = Date.now()
    return listConsents(home.readModel.db).map((c) => ({
      ...c,
      state: c.revokedSeq !== null ? 'revoked' : c.until !== null && c.until <= now ? 'expired' : 'in force'
    }))
  },
  render: (items) =>
    items.length === 0
      ? 'No consents given: nothing may leave this device.'
      : items
          .map(
            (c) =>
              `${shortId(c.id)}  ${c.state.padEnd(8)}  ${c.audience}  scope ${c.scope.join(', ')}  since ${formatTime(c.time)}${c.until ? `  until ${formatTime(c.until)}` : ''}`
          )
          .join('\n')
})
