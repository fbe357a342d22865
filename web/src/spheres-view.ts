import { Task } from '@lit/task'
import { css, html, LitElement } from 'lit'
import { customElement, state } from 'lit/decorators.js'
import { api, errorMessage } from './api.js'
import { onChange } from './live.js'
import { shared } from './styles.js'
import type { ConfigView, PeersView, SphereSummary, Status } from './types.js'
import './sphere-detail.js'
import './shares-list.js'

function sphereFromHash(): string | null {
  return /[?&]id=([0-9a-f]{64})/.exec(location.hash)?.[1] ?? null
}

/** Whether this server is in the swarm, whether the settings allow it, and how to get there. */
interface Connectivity {
  peers: PeersView
  config: ConfigView
}

/**
 * Spheres: the shared spaces of people you invite. The list with member counts, create
 * and join, the chosen sphere (feed, members, invites), and what you shared, with how
 * this device stands with the network.
 */
@customElement('spheres-view')
export class SpheresView extends LitElement {
  static override styles = [
    shared,
    css`
      .network {
        display: flex;
        gap: 0.75rem;
        align-items: baseline;
        padding: 0.85rem 1.1rem;
        border: 1px solid var(--line);
        border-radius: 0.75rem;
        background: var(--surface);
        margin-bottom: 1.5rem;
        min-height: 3.4rem;
      }
      .network p {
        margin: 0;
      }
      .dot {
        flex: none;
        width: 0.6rem;
        height: 0.6rem;
        border-radius: 50%;
        background: var(--line-strong);
        transform: translateY(-0.05rem);
      }
      .dot.on {
        background: var(--good);
      }
      .hint {
        color: var(--muted);
        font-size: 0.92rem;
      }
      code {
        background: var(--chip);
        padding: 0.05rem 0.35rem;
        border-radius: 0.3rem;
        font-size: 0.9em;
      }
      .layout {
        display: flex;
        flex-wrap: wrap;
        gap: 1.25rem;
        align-items: flex-start;
      }
      .side {
        flex: 1 1 16rem;
        max-width: 100%;
        display: grid;
        gap: 1.25rem;
      }
      .side .card {
        margin: 0;
      }
      .detail {
        flex: 3 1 28rem;
        min-width: 0;
        min-height: 24rem;
      }
      ul.spheres {
        list-style: none;
        margin: 0 0 0.25rem;
        padding: 0;
        display: grid;
        gap: 0.5rem;
      }
      button.sphere {
        width: 100%;
        display: grid;
        gap: 0.15rem;
        text-align: left;
        border-radius: 0.6rem;
        padding: 0.65rem 0.9rem;
      }
      button.sphere[aria-pressed='true'] {
        border-color: var(--accent);
        background: var(--hover);
        box-shadow: inset 3px 0 0 var(--accent);
      }
      .name {
        font-weight: 500;
        overflow-wrap: anywhere;
      }
      .sub {
        font-size: 0.86rem;
        color: var(--muted);
      }
      form {
        display: grid;
        gap: 0.6rem;
      }
      .status {
        min-height: 1.5em;
        margin: 0;
        font-size: 0.92rem;
      }
      .empty {
        border: 1px dashed var(--line-strong);
        border-radius: 0.75rem;
        padding: 2rem 1.5rem;
        color: var(--muted);
      }
    `
  ]

  @state() accessor selected: string | null = sphereFromHash()
  @state() accessor version = 0
  @state() accessor creating = false
  @state() accessor createError: string | null = null
  @state() accessor joining = false
  @state() accessor joinError: string | null = null
  @state() accessor joinNote: string | null = null
  private stopLive: (() => void) | null = null

  private readonly spheres = new Task(this, {
    task: async (_args, { signal }) => (await api.get<{ spheres: SphereSummary[] }>('/spheres', {}, signal)).spheres,
    args: () => [this.version] as const
  })

  private readonly connectivity = new Task(this, {
    task: async (_args, { signal }): Promise<Connectivity> => {
      const [peers, config] = await Promise.all([
        api.get<PeersView>('/peers', {}, signal),
        api.get<ConfigView>('/config', {}, signal)
      ])
      return { peers, config }
    },
    args: () => [this.version] as const
  })

  private readonly me = new Task(this, {
    task: async (_args, { signal }) => (await api.get<Status>('/status', {}, signal)).author,
    args: () => [] as const
  })

  private readonly onHash = () => {
    const id = sphereFromHash()
    if (id) this.selected = id
  }

  override connectedCallback(): void {
    super.connectedCallback()
    window.addEventListener('hashchange', this.onHash)
    // Joining, leaving, sharing and settings are journal events: refresh the list and the status.
    this.stopLive = onChange((c) => {
      if (c.kind === 'reset' || c.events.some((e) => /^(sphere|share|consent|config)\./.test(e.type))) this.version++
    })
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    window.removeEventListener('hashchange', this.onHash)
    this.stopLive?.()
  }

  private select(key: string | null) {
    this.selected = key
    history.replaceState(null, '', key ? `#/spheres?id=${key}` : '#/spheres')
  }

  private async create(event: Event) {
    event.preventDefault()
    const form = event.target as HTMLFormElement
    const name = String(new FormData(form).get('name') ?? '').trim()
    if (!name) {
      this.createError = 'Give the sphere a name.'
      return
    }
    this.creating = true
    this.createError = null
    try {
      const sphere = await api.post<SphereSummary>('/spheres', { name })
      form.reset()
      this.select(sphere.key)
      this.version++
    } catch (err) {
      this.createError = errorMessage(err)
    } finally {
      this.creating = false
    }
  }

  private async join(event: Event) {
    event.preventDefault()
    const form = event.target as HTMLFormElement
    const data = new FormData(form)
    const code = String(data.get('code') ?? '').trim()
    const name = String(data.get('member-name') ?? '').trim()
    if (!code) {
      this.joinError = 'Paste the invite code a member gave you.'
      return
    }
    this.joining = true
    this.joinError = null
    this.joinNote = null
    try {
      const sphere = await api.post<SphereSummary>('/spheres/join', { code, ...(name ? { name } : {}) })
      form.reset()
      this.joinNote = `You joined ${sphere.name}.`
      this.select(sphere.key)
      this.version++
    } catch (err) {
      this.joinError = errorMessage(err)
    } finally {
      this.joining = false
    }
  }

  private renderNetwork() {
    const c = this.connectivity.value
    if (!c) {
      return html`<div class="network" role="status">
        <span class="dot" aria-hidden="true"></span>
        <p class="hint">${this.connectivity.error ? errorMessage(this.connectivity.error) : 'Checking the network…'}</p>
      </div>`
    }
    const { peers, config } = c
    const allowed = config.settings.sync && config.settings.mode !== 'local'
    let state: string
    let hint: unknown
    if (peers.online) {
      const n = peers.peers.length
      state = n === 0 ? 'Online, no one connected yet.' : `Online, connected to ${n} ${n === 1 ? 'peer' : 'peers'}.`
      hint = 'Members receive what you share and post while you and one of them are online.'
    } else if (allowed) {
      state = 'Offline: sharing is allowed, but this server has not joined the network.'
      hint = html`Restart <code>cosmic serve</code> (it goes online when sync is on) or run <code>cosmic sync</code>.
        Until then, what you write in a sphere waits on this device.`
    } else {
      state = 'Offline: nothing is announced and nothing leaves this device.'
      hint = html`Spheres work here, but members receive nothing until you go online: in
        <a href="#/settings">Settings</a> turn on sync and choose Hybrid or Cloud, then restart
        <code>cosmic serve</code>. (mirror_mode ${config.settings.mode}, sync_enabled ${String(config.settings.sync)})`
    }
    return html`<div class="network" role="status" aria-label="Network">
      <span class="dot ${peers.online ? 'on' : ''}" aria-hidden="true"></span>
      <div>
        <p><strong>${state}</strong></p>
        <p class="hint">${hint}</p>
      </div>
    </div>`
  }

  private renderList(spheres: SphereSummary[]) {
    if (spheres.length === 0) return html`<p class="placeholder">You are in no sphere yet.</p>`
    return html`<ul class="spheres">
      ${spheres.map(
        (s) => html`<li>
          <button class="sphere" aria-pressed=${this.selected === s.key ? 'true' : 'false'} @click=${() => this.select(s.key)}>
            <span class="name">${s.name}</span>
            <span class="sub">
              ${s.members} ${s.members === 1 ? 'member' : 'members'} · ${s.role === 'creator' ? 'you created it' : 'member'}${
                s.pendingRequests
                  ? ` · ${s.pendingRequests} ${s.pendingRequests === 1 ? 'person asks' : 'people ask'} to join`
                  : ''
              }${
                s.pending
                  ? ' · waiting to be admitted under its new key'
                  : s.writable
                    ? ''
                    : ' · you are no longer a member'
              }
            </span>
          </button>
        </li>`
      )}
    </ul>`
  }

  private renderForms() {
    return html`<section class="card" aria-labelledby="create-title">
        <h3 id="create-title">Create a sphere</h3>
        <form @submit=${this.create}>
          <div class="field">
            <label for="sphere-name">Name</label>
            <input id="sphere-name" name="name" type="text" maxlength="200" autocomplete="off" placeholder="e.g. Night writers" />
          </div>
          <div class="buttons">
            <button class="primary" type="submit" ?disabled=${this.creating}>${this.creating ? 'Creating…' : 'Create sphere'}</button>
          </div>
          <p class="status ${this.createError ? 'error' : ''}" role=${this.createError ? 'alert' : 'status'}>${this.createError ?? ''}</p>
        </form>
      </section>
      <section class="card" aria-labelledby="join-title">
        <h3 id="join-title">Join with a code</h3>
        <form @submit=${this.join}>
          <div class="field">
            <label for="invite-code">Invite code</label>
            <input id="invite-code" name="code" type="text" autocomplete="off" spellcheck="false" />
          </div>
          <div class="field">
            <label for="member-name">Your name in the sphere (optional)</label>
            <input id="member-name" name="member-name" type="text" maxlength="200" autocomplete="off" />
          </div>
          <div class="buttons">
            <button class="primary" type="submit" ?disabled=${this.joining}>
              ${this.joining ? 'Waiting for a member to answer…' : 'Join'}
            </button>
          </div>
          <p class="status ${this.joinError ? 'error' : ''}" role=${this.joinError ? 'alert' : 'status'}>
            ${
              this.joinError ??
              this.joinNote ??
              (this.joining
                ? 'The home that made the invite admits you while it is online; if it asks for approval, once a person there approves you (this can take up to ten minutes).'
                : '')
            }
          </p>
        </form>
      </section>`
  }

  private renderDetail(spheres: SphereSummary[] | undefined) {
    if (!spheres) return html`<p class="placeholder">Loading…</p>`
    const chosen = spheres.find((s) => s.key === this.selected)
    if (!chosen) {
      return html`<div class="empty">
        <h3>${spheres.length ? 'Choose a sphere' : 'No spheres yet'}</h3>
        <p>
          A sphere is a small shared space: the people you invite see what you choose to share there, and nothing
          else. Your journal stays private; only entries you wrote as shareable can be shared, one at a time, after you
          see exactly what will be sent.
        </p>
      </div>`
    }
    return html`<sphere-detail
      .sphere=${chosen}
      .me=${this.me.value ?? null}
      .online=${this.connectivity.value?.peers.online ?? false}
      @sphere-changed=${() => this.version++}
      @sphere-left=${() => {
        this.select(null)
        this.version++
      }}
    ></sphere-detail>`
  }

  override render() {
    const spheres = this.spheres.value
    return html`
      <h2>Spheres</h2>
      <p class="lede">
        Shared spaces with people you invite. Nothing leaves this device until you share it, and what you share is
        encrypted for the sphere's members alone.
      </p>
      ${this.renderNetwork()}
      <div class="layout">
        <div class="side">
          <section aria-labelledby="list-title">
            <h3 id="list-title">Your spheres</h3>
            ${
              this.spheres.error
                ? html`<p class="error" role="alert">${errorMessage(this.spheres.error)}</p>`
                : spheres
                  ? this.renderList(spheres)
                  : html`<p class="placeholder">Loading…</p>`
            }
          </section>
          ${this.renderForms()}
        </div>
        <div class="detail">${this.renderDetail(spheres)}</div>
      </div>
      <shares-list .spheres=${spheres ?? []} .version=${this.version} @shares-changed=${() => this.version++}></shares-list>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'spheres-view': SpheresView
  }
}
