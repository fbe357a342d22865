import { Task } from '@lit/task'
import { css, html, LitElement, nothing } from 'lit'
import { customElement, state } from 'lit/decorators.js'
import { ApiError, api } from './api.js'
import { percent, shortDay } from './format.js'
import { onChange } from './live.js'
import { shared } from './styles.js'
import type { Tension, TensionDetail } from './types.js'
import './tension-chart.js'
import './tensions-overview.js'

function idFromHash(): string | null {
  return /[?&]id=([a-z0-9-]+)/.exec(location.hash)?.[1] ?? null
}

/** Tensions: every one (open first), and the chosen one's intensity over time with its shifts and resolution. */
@customElement('tensions-view')
export class TensionsView extends LitElement {
  static override styles = [
    shared,
    css`
      .layout {
        display: flex;
        flex-wrap: wrap;
        gap: 1.25rem;
        align-items: flex-start;
      }
      .list {
        flex: 1 1 16rem;
        max-width: 100%;
      }
      .detail {
        flex: 3 1 28rem;
        min-width: 0;
        min-height: 26rem;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 0.5rem;
      }
      button.tension {
        width: 100%;
        display: grid;
        gap: 0.3rem;
        text-align: left;
        border-radius: 0.6rem;
        padding: 0.7rem 0.9rem;
      }
      button.tension[aria-pressed='true'] {
        border-color: var(--accent);
        background: var(--hover);
        box-shadow: inset 3px 0 0 var(--accent);
      }
      .name {
        font-weight: 500;
      }
      .poles {
        font-size: 0.88rem;
        color: var(--muted);
      }
      .meter {
        height: 0.4rem;
        border-radius: 999px;
        background: var(--chip);
        overflow: hidden;
      }
      .meter span {
        display: block;
        height: 100%;
        background: var(--accent);
      }
      .resolved .meter span {
        background: var(--good);
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.3rem 1rem;
        margin: 0.75rem 0 0;
      }
      dt {
        color: var(--muted);
      }
      dd {
        margin: 0;
      }
      .insight {
        font-family: var(--serif);
        font-style: italic;
      }
    `
  ]

  @state() accessor selected: string | null = idFromHash()
  @state() accessor version = 0
  private stopLive: (() => void) | null = null

  private readonly list = new Task(this, {
    task: async (_args, { signal }) => {
      const out = await api.get<{ tensions: Tension[] }>('/tensions', { all: true }, signal)
      if (!this.selected && out.tensions[0]) this.selected = out.tensions[0].id
      return out.tensions
    },
    args: () => [this.version] as const
  })

  /** Every tension's series, for the overview (a handful of small requests, cached by the server). */
  private readonly all = new Task(this, {
    task: async ([tensions], { signal }) =>
      tensions ? Promise.all(tensions.map((t) => api.get<TensionDetail>(`/tensions/${t.id}`, {}, signal))) : [],
    args: () => [this.list.value] as const
  })

  private readonly detail = new Task(this, {
    task: async ([id], { signal }) => (id ? api.get<TensionDetail>(`/tensions/${id}`, {}, signal) : null),
    args: () => [this.selected, this.version] as const
  })

  override connectedCallback(): void {
    super.connectedCallback()
    this.stopLive = onChange((change) => {
      if (change.kind === 'reset' || change.events.some((e) => e.type.startsWith('tension.'))) this.version++
    })
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.stopLive?.()
  }

  private renderList(tensions: Tension[]) {
    if (tensions.length === 0) return html`<p class="placeholder">No tensions noted yet.</p>`
    return html`<ul aria-label="Tensions">
      ${tensions.map(
        (t) => html`<li class=${t.status}>
          <button
            class="tension"
            aria-pressed=${this.selected === t.id ? 'true' : 'false'}
            @click=${() => (this.selected = t.id)}
          >
            <span class="name">${t.name}</span>
            <span class="poles">${t.poles[0]} · ${t.poles[1]} — ${t.status === 'resolved' ? 'resolved' : percent(t.intensity)}</span>
            <span class="meter" aria-hidden="true"><span style="width:${Math.round(t.intensity * 100)}%"></span></span>
          </button>
        </li>`
      )}
    </ul>`
  }

  private renderDetail(detail: TensionDetail | null | undefined) {
    if (!detail) return html`<p class="placeholder">Choose a tension to see how it moved.</p>`
    const t = detail.tension
    return html`
      <h3>${t.name}</h3>
      <tension-chart .detail=${detail}></tension-chart>
      <dl>
        <dt>Between</dt>
        <dd>${t.poles[0]} and ${t.poles[1]} <span class="muted">(${t.domain})</span></dd>
        <dt>Now</dt>
        <dd>${t.status === 'resolved' ? 'resolved' : `${percent(t.intensity)}${t.toward ? `, leaning toward ${t.toward}` : ''}`}</dd>
        <dt>Since</dt>
        <dd>${shortDay(t.created)}; last moved ${shortDay(t.updated)}</dd>
        <dt>Came back</dt>
        <dd>${detail.loops === 0 ? 'not yet' : detail.loops === 1 ? 'once' : `${detail.loops} times`}</dd>
        ${t.insight ? html`<dt>Insight</dt><dd class="insight">${t.insight}</dd>` : nothing}
      </dl>
    `
  }

  override render() {
    const error = this.list.error ?? this.detail.error
    return html`
      <h2>Tensions</h2>
      <p class="lede">What pulls you two ways, and how strongly, over time. Triangles mark shifts; a star marks a resolution.</p>
      ${error ? html`<p class="error" role="alert">${error instanceof ApiError ? error.detail : String(error)}</p>` : nothing}
      <section class="card" aria-labelledby="overview-title">
        <h3 id="overview-title">All of them, over time</h3>
        <tensions-overview .details=${this.all.value ?? []}></tensions-overview>
      </section>
      <div class="layout">
        <section class="card list" aria-label="All tensions">
          ${this.list.value ? this.renderList(this.list.value) : html`<p class="placeholder">Loading…</p>`}
        </section>
        <section class="card detail" aria-live="polite">${this.renderDetail(this.detail.value)}</section>
      </div>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tensions-view': TensionsView
  }
}
