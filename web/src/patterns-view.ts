import { Task } from '@lit/task'
import { css, html, LitElement, nothing } from 'lit'
import { customElement, state } from 'lit/decorators.js'
import { ApiError, api } from './api.js'
import { isoDay } from './format.js'
import { onChange } from './live.js'
import { shared } from './styles.js'
import type { Evolution, FrequencyChange, PatternsReport } from './types.js'
import './frequency-chart.js'

/** Patterns (theme and mood frequencies over time, what comes together, what comes back) and evolution (two dates, what changed). */
@customElement('patterns-view')
export class PatternsView extends LitElement {
  static override styles = [
    shared,
    css`
      .grid {
        display: flex;
        flex-wrap: wrap;
        gap: 1.25rem;
      }
      .grid > .card {
        flex: 1 1 18rem;
        min-width: 0;
      }
      ul.plain {
        list-style: none;
        padding: 0;
        margin: 0;
        display: grid;
        gap: 0.35rem;
      }
      .up {
        color: var(--good);
      }
      .down {
        color: var(--danger);
      }
      .summary li {
        font-family: var(--serif);
        font-size: 1.05rem;
      }
      .compare {
        min-height: 12rem;
      }
    `
  ]

  @state() accessor window: 'week' | 'month' = 'month'
  @state() accessor version = 0
  @state() accessor range: { from: string; to: string } | null = null
  private stopLive: (() => void) | null = null

  private readonly patterns = new Task(this, {
    task: async ([window], { signal }) =>
      api.get<PatternsReport>('/patterns', { window, buckets: window === 'week' ? 16 : 12 }, signal),
    args: () => [this.window, this.version] as const
  })

  private readonly evolution = new Task(this, {
    task: async ([range], { signal }) => (range ? api.get<Evolution>('/evolution', range, signal) : null),
    args: () => [this.range] as const
  })

  override connectedCallback(): void {
    super.connectedCallback()
    this.stopLive = onChange(() => this.version++)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.stopLive?.()
  }

  private compare(event: Event) {
    event.preventDefault()
    const data = new FormData(event.target as HTMLFormElement)
    this.range = { from: String(data.get('from')), to: String(data.get('to')) }
  }

  private changes(list: FrequencyChange[], title: string) {
    const moved = list.filter((c) => c.delta !== 0).slice(0, 10)
    if (moved.length === 0) return nothing
    return html`<h3>${title}</h3>
      <ul class="plain">
        ${moved.map(
          (c) => html`<li>
            ${c.key}: ${c.before} → ${c.after}
            <span class=${c.delta > 0 ? 'up' : 'down'}>(${c.delta > 0 ? '+' : ''}${c.delta})</span>
          </li>`
        )}
      </ul>`
  }

  private renderEvolution() {
    const e = this.evolution.value
    if (this.evolution.error) {
      const err = this.evolution.error
      return html`<p class="error" role="alert">${err instanceof ApiError ? err.detail : String(err)}</p>`
    }
    if (!e) return html`<p class="placeholder">Pick two dates and compare.</p>`
    return html`
      <ul class="summary">
        ${e.summary.length ? e.summary.map((s) => html`<li>${s}</li>`) : html`<li>Nothing changed.</li>`}
      </ul>
      <div class="grid">
        <div>${this.changes(e.themes, 'Themes')}</div>
        <div>${this.changes(e.emotions, 'Moods')}</div>
      </div>
      ${
        e.graph.nodesAdded.length
          ? html`<h3>New in the graph</h3>
              <ul class="chips">${e.graph.nodesAdded.slice(0, 24).map((n) => html`<li class="chip">${n.label}</li>`)}</ul>`
          : nothing
      }
    `
  }

  override render() {
    const p = this.patterns.value
    const top = (counts: { key: string }[]) => counts.slice(0, 6).map((c) => c.key)
    const today = isoDay(Date.now())
    const monthsAgo = isoDay(Date.now() - 182 * 86_400_000)
    const error = this.patterns.error
    return html`
      <h2>Patterns</h2>
      <p class="lede">What comes up, how often, and what comes up together.</p>
      ${error ? html`<p class="error" role="alert">${error instanceof ApiError ? error.detail : String(error)}</p>` : nothing}
      <fieldset style="margin-bottom:1rem">
        <legend class="sr-only">Per</legend>
        <div class="segmented" @change=${(e: Event) => (this.window = (e.target as HTMLInputElement).value as 'week' | 'month')}>
          <label><input type="radio" name="window" value="month" ?checked=${this.window === 'month'} /><span>By month</span></label>
          <label><input type="radio" name="window" value="week" ?checked=${this.window === 'week'} /><span>By week</span></label>
        </div>
      </fieldset>
      <section class="card" aria-labelledby="themes-title">
        <h3 id="themes-title">Themes over time</h3>
        <frequency-chart
          label="themes"
          .keys=${p ? top(p.themes) : []}
          .buckets=${p ? p.buckets.map((b) => ({ bucket: b.bucket, counts: b.themes })) : []}
        ></frequency-chart>
      </section>
      <section class="card" aria-labelledby="moods-title">
        <h3 id="moods-title">Moods over time</h3>
        <frequency-chart
          label="moods"
          .keys=${p ? top(p.emotions) : []}
          .buckets=${p ? p.buckets.map((b) => ({ bucket: b.bucket, counts: b.emotions })) : []}
        ></frequency-chart>
      </section>
      <div class="grid">
        <section class="card" aria-labelledby="together-title">
          <h3 id="together-title">Together</h3>
          <ul class="plain">
            ${(p?.pairs ?? []).map((pair) => {
              const [a, b] = pair.a.startsWith('emotion:') ? [pair.b, pair.a] : [pair.a, pair.b]
              return html`<li>${a.replace(/^\w+:/, '')} + ${b.replace(/^\w+:/, '')} <span class="muted">×${pair.count}</span></li>`
            })}
          </ul>
        </section>
        <section class="card" aria-labelledby="loops-title">
          <h3 id="loops-title">Tensions that came back</h3>
          ${
            p?.loops.length
              ? html`<ul class="plain">
                  ${p.loops.map((l) => html`<li>${l.name} <span class="muted">${l.loops}× · ${l.status}</span></li>`)}
                </ul>`
              : html`<p class="placeholder">None so far.</p>`
          }
        </section>
      </div>
      <section class="card compare" aria-labelledby="evolution-title">
        <h3 id="evolution-title">Evolution: what changed between two dates</h3>
        <form class="row" @submit=${this.compare}>
          <div class="field"><label for="evo-from">From</label><input id="evo-from" name="from" type="date" required .value=${monthsAgo} /></div>
          <div class="field"><label for="evo-to">To</label><input id="evo-to" name="to" type="date" required .value=${today} /></div>
          <button class="primary" type="submit">Compare</button>
        </form>
        <div aria-live="polite" style="margin-top:1rem">${this.renderEvolution()}</div>
      </section>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'patterns-view': PatternsView
  }
}
