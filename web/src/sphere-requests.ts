import { Task } from '@lit/task'
import { css, html, LitElement, nothing } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import { api, errorMessage } from './api.js'
import { clock, shortDay } from './format.js'
import { shared } from './styles.js'
import type { JoinRequest, SphereSummary } from './types.js'

/** Requests arrive over the swarm, which the journal's live stream does not see: look again now and then. */
const POLL_MS = 5_000

/**
 * Who asks to join the sphere with an invite that this home approves by hand: by the
 * name they gave and their identity key, since when, and whether their device waits now;
 * Approve lets them in, Deny refuses them (they are told). Says nothing when nobody asks.
 */
@customElement('sphere-requests')
export class SphereRequests extends LitElement {
  static override styles = [
    shared,
    css`
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 0.75rem;
        align-items: center;
        padding: 0.6rem 0;
        border-bottom: 1px solid var(--line);
      }
      li:last-child {
        border-bottom: 0;
      }
      .who {
        flex: 1 1 14rem;
        min-width: 0;
      }
      .who strong {
        font-weight: 500;
        overflow-wrap: anywhere;
      }
      .key {
        font-family: ui-monospace, 'DejaVu Sans Mono', monospace;
        font-size: 0.82rem;
        color: var(--muted);
        overflow-wrap: anywhere;
      }
      .sub {
        color: var(--muted);
        font-size: 0.86rem;
      }
      .deny {
        color: var(--danger);
      }
      .status {
        min-height: 1.5em;
        margin: 0.5rem 0 0;
        font-size: 0.92rem;
      }
    `
  ]

  @property({ attribute: false }) accessor sphere!: SphereSummary
  @property({ type: Boolean }) accessor online = false
  @state() accessor version = 0
  /** The request being decided now (its buttons wait). */
  @state() accessor deciding: string | null = null
  @state() accessor note: string | null = null
  @state() accessor error: string | null = null
  private timer: ReturnType<typeof setInterval> | undefined

  private readonly requests = new Task(this, {
    task: async ([key], { signal }) =>
      (await api.get<{ requests: JoinRequest[] }>(`/spheres/${encodeURIComponent(key)}/requests`, {}, signal)).requests,
    args: () => [this.sphere.key, this.version] as const
  })

  override connectedCallback(): void {
    super.connectedCallback()
    this.timer = setInterval(() => {
      if (this.online && document.visibilityState === 'visible' && this.deciding === null) this.version++
    }, POLL_MS)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    clearInterval(this.timer)
  }

  override willUpdate(changed: Map<string, unknown>): void {
    const previous = changed.get('sphere') as SphereSummary | undefined
    if (previous && previous.key !== this.sphere.key) {
      this.note = null
      this.error = null
    }
  }

  private async decide(request: JoinRequest, action: 'approve' | 'deny') {
    this.deciding = request.id
    this.note = null
    this.error = null
    try {
      const decided = await api.post<JoinRequest>(
        `/spheres/${encodeURIComponent(this.sphere.key)}/requests/${request.id}/${action}`
      )
      this.note =
        action === 'deny'
          ? `Denied ${decided.name}'s request. They are told${decided.waiting ? '' : ' when their device asks again'}; nothing about them reached the sphere.`
          : decided.admitted
            ? `${decided.name} is a member now.`
            : `Approved ${decided.name}. They join when their device asks again, while this server is online.`
      this.dispatchEvent(new CustomEvent('requests-changed', { bubbles: true, composed: true }))
    } catch (err) {
      this.error = errorMessage(err)
    } finally {
      this.deciding = null
    }
    this.version++
    await this.refocus()
  }

  /** The decided request's buttons are gone: keep the keyboard in the panel (the next request, else the answer). */
  private async refocus() {
    await this.updateComplete // the list is asked for again in this update
    await this.requests.taskComplete.catch(() => {})
    await this.updateComplete
    const next = this.renderRoot.querySelector<HTMLButtonElement>('li button')
    const status = this.renderRoot.querySelector<HTMLElement>('.status')
    ;(next ?? status)?.focus()
  }

  private renderRequest(r: JoinRequest) {
    const busy = this.deciding !== null
    const since = `${shortDay(r.asked)}, ${clock(r.asked)}`
    return html`<li aria-label=${`${r.name} asks to join`}>
      <span class="who">
        <strong>${r.name}</strong>
        <span class="sub">asks to join, since ${since}</span>
        <br /><span class="key" title=${r.identity}>identity ${r.identity.slice(0, 16)}…</span>
        <br /><span class="sub">${
          r.status === 'approved'
            ? 'Approved: they join when their device asks again.'
            : r.waiting
              ? 'Their device is waiting for your answer now.'
              : 'Their device is not connected now; your answer reaches them when it asks again.'
        }${r.status === 'pending' && r.expires ? ` The invite expires ${shortDay(r.expires)}, ${clock(r.expires)}.` : ''}</span>
      </span>
      ${
        r.status === 'pending'
          ? html`<div class="buttons">
              <button
                class="primary"
                aria-label=${`Approve ${r.name}`}
                ?disabled=${busy}
                @click=${() => this.decide(r, 'approve')}
              >
                ${this.deciding === r.id ? 'Deciding…' : 'Approve'}
              </button>
              <button class="deny" aria-label=${`Deny ${r.name}`} ?disabled=${busy} @click=${() => this.decide(r, 'deny')}>
                Deny
              </button>
            </div>`
          : nothing
      }
    </li>`
  }

  override render() {
    const requests = this.requests.value ?? []
    if (requests.length === 0 && !this.note && !this.error) return nothing
    return html`<section class="card" aria-labelledby="requests-title">
      <h3 id="requests-title">Asking to join</h3>
      <p class="sub">
        They used an invite that waits for your approval. Approve lets them in: they become members and read what is
        shared here. Deny refuses them; they are told, and nothing about them reaches the sphere.
      </p>
      ${requests.length ? html`<ul aria-label="Requests to join">${requests.map((r) => this.renderRequest(r))}</ul>` : nothing}
      <p class="status ${this.error ? 'error' : ''}" role=${this.error ? 'alert' : 'status'} tabindex="-1">${
        this.error ?? this.note ?? ''
      }</p>
    </section>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sphere-requests': SphereRequests
  }
}
