import { Task } from '@lit/task'
import { css, html, LitElement, nothing } from 'lit'
import { customElement, state } from 'lit/decorators.js'
import { repeat } from 'lit/directives/repeat.js'
import { ApiError, api } from './api.js'
import { day, isoDay, percent, shortDay } from './format.js'
import { shared } from './styles.js'
import type { AuditReport, EventJson, IdentityGraph, ReplayAsOf, Tension, TimelinePage } from './types.js'
import './identity-graph.js'
import './timeline-entry.js'

const DAY = 86_400_000

interface AsOf {
  state: ReplayAsOf
  timeline: TimelinePage
  tensions: Tension[]
  graph: IdentityGraph
}

/** Audit (verify every signature) and time travel: a slider shows the journal, graph and tensions as of a day. */
@customElement('time-view')
export class TimeView extends LitElement {
  static override styles = [
    shared,
    css`
      .slider {
        display: grid;
        gap: 0.5rem;
      }
      input[type='range'] {
        width: 100%;
        accent-color: var(--accent);
        min-height: 2rem;
      }
      .ends {
        display: flex;
        justify-content: space-between;
        font-size: 0.85rem;
        color: var(--muted);
      }
      .when {
        font-family: var(--serif);
        font-size: 1.35rem;
        min-height: 2rem;
      }
      .numbers {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1.75rem;
        margin: 0.5rem 0 1.25rem;
        padding: 0;
        list-style: none;
      }
      .numbers strong {
        font-size: 1.4rem;
        font-weight: 500;
        display: block;
      }
      .asof {
        display: flex;
        flex-wrap: wrap;
        gap: 1.25rem;
      }
      .asof > section {
        flex: 1 1 18rem;
        min-width: 0;
        min-height: 20rem;
      }
      identity-graph {
        --graph-height: 20rem;
      }
      .ok {
        color: var(--good);
      }
      .failed {
        color: var(--danger);
      }
      .audit-result {
        min-height: 4.5rem;
        margin-top: 0.75rem;
      }
      code {
        font-size: 0.8rem;
        overflow-wrap: anywhere;
      }
      ul.plain {
        list-style: none;
        padding: 0;
        margin: 0;
        display: grid;
        gap: 0.35rem;
      }
    `
  ]

  @state() accessor start: number | null = null
  @state() accessor end = Date.now()
  @state() accessor dayIndex: number | null = null
  @state() accessor shown: number | null = null
  @state() accessor auditing = false
  @state() accessor audit: AuditReport | null = null
  @state() accessor auditError: string | null = null
  @state() accessor rebuilding = false
  @state() accessor rebuilt: string | null = null
  private timer: ReturnType<typeof setTimeout> | undefined

  private readonly asOf = new Task(this, {
    task: async ([until], { signal }): Promise<AsOf | null> => {
      if (until === null) return null
      const at = isoDay(until)
      const [state, timeline, tensions, graph] = await Promise.all([
        api.get<ReplayAsOf>('/replay', { until: at }, signal),
        api.get<TimelinePage>('/timeline', { until: at, limit: 4, type: 'reflection' }, signal),
        api.get<{ tensions: Tension[] }>('/tensions', { until: at, all: true }, signal),
        api.get<{ graph: IdentityGraph }>('/graph', { until: at }, signal)
      ])
      return { state, timeline, tensions: tensions.tensions, graph: graph.graph }
    },
    args: () => [this.shown] as const
  })

  override connectedCallback(): void {
    super.connectedCallback()
    void this.findStart()
  }

  /** The slider runs from the journal's first day (its identity.created) to today. */
  private async findStart(): Promise<void> {
    let first: EventJson | undefined
    try {
      ;[first] = await api.get<EventJson[]>('/log', { from: 0, limit: 1 })
    } catch (err) {
      this.auditError = err instanceof ApiError ? err.detail : String(err)
      return
    }
    const start = first?.time ?? Date.now()
    this.start = start - (start % DAY)
    this.end = Date.now()
    const days = Math.max(1, Math.ceil((this.end - this.start) / DAY))
    this.dayIndex = days
    this.shown = this.start + days * DAY
  }

  private get days(): number {
    return this.start === null ? 1 : Math.max(1, Math.ceil((this.end - this.start) / DAY))
  }

  private slide(event: Event) {
    this.dayIndex = Number((event.target as HTMLInputElement).value)
    clearTimeout(this.timer)
    // Each position rebuilds a read model from the log: wait until the hand rests.
    this.timer = setTimeout(() => {
      if (this.start !== null && this.dayIndex !== null) this.shown = this.start + this.dayIndex * DAY
    }, 250)
  }

  private async runAudit() {
    this.auditing = true
    this.auditError = null
    try {
      this.audit = await api.get<AuditReport>('/audit')
    } catch (err) {
      this.auditError = err instanceof ApiError ? err.detail : String(err)
    } finally {
      this.auditing = false
    }
  }

  private async rebuild() {
    this.rebuilding = true
    try {
      const out = await api.post<{ events: number; ms: number }>('/replay')
      this.rebuilt = `Rebuilt every view from the log: ${out.events} events in ${out.ms} ms.`
    } catch (err) {
      this.rebuilt = err instanceof ApiError ? err.detail : String(err)
    } finally {
      this.rebuilding = false
    }
  }

  private renderAudit() {
    if (this.auditError) return html`<p class="error" role="alert">${this.auditError}</p>`
    const a = this.audit
    if (!a) return html`<p class="placeholder">Not run yet.</p>`
    return html`<p class=${a.ok ? 'ok' : 'failed'}>
        <strong>${a.ok ? 'Everything verifies.' : 'Something does not verify.'}</strong>
        ${a.verified} of ${a.length} events checked (signature, id, chain)${a.redacted ? `, ${a.redacted} forgotten ones by their signed headers` : ''}.
      </p>
      <p class="muted">
        Hypercore tree: ${a.tree.ok ? html`ok <code>${a.tree.treeHash ?? ''}</code>` : `failed: ${a.tree.reason ?? ''}`}
      </p>
      ${a.firstFailure ? html`<p class="error">First failure at seq ${a.firstFailure.seq}: ${a.firstFailure.reason}</p>` : nothing}`
  }

  private renderAsOf(value: AsOf | null | undefined) {
    if (!value) return html`<p class="placeholder">Loading…</p>`
    const entries = value.timeline.items
    return html`
      <ul class="numbers" aria-label="As of that day">
        <li><strong>${value.state.events}</strong> events</li>
        <li><strong>${value.state.entries}</strong> entries</li>
        <li><strong>${value.state.openTensions}</strong> open tensions</li>
        <li><strong>${value.state.facets}</strong> profile facets</li>
      </ul>
      <div class="asof">
        <section class="card" aria-labelledby="asof-journal">
          <h3 id="asof-journal">Journal</h3>
          ${
            entries.length
              ? repeat(
                  entries,
                  (item) => item.seq,
                  (item) => html`<timeline-entry readonly .item=${item}></timeline-entry>`
                )
              : html`<p class="placeholder">Nothing written yet.</p>`
          }
        </section>
        <section class="card" aria-labelledby="asof-tensions">
          <h3 id="asof-tensions">Tensions</h3>
          ${
            value.tensions.length
              ? html`<ul class="plain">
                  ${value.tensions.map(
                    (t) =>
                      html`<li>${t.name} <span class="muted">${t.status === 'resolved' ? 'resolved' : percent(t.intensity)}</span></li>`
                  )}
                </ul>`
              : html`<p class="placeholder">None yet.</p>`
          }
        </section>
      </div>
      <section class="card" aria-labelledby="asof-graph">
        <h3 id="asof-graph">Identity graph</h3>
        <identity-graph compact .graph=${value.graph}></identity-graph>
      </section>
    `
  }

  override render() {
    const shownDay = this.start !== null && this.dayIndex !== null ? this.start + this.dayIndex * DAY : null
    return html`
      <h2>Audit &amp; time</h2>
      <p class="lede">Check that every word you kept is signed and whole, and travel back to any day of your journal.</p>
      <section class="card" aria-labelledby="audit-title">
        <h3 id="audit-title">Audit</h3>
        <p>Verifies every event: its signature, its id, the chain, and the Hypercore tree.</p>
        <button class="primary" @click=${this.runAudit} ?disabled=${this.auditing}>${this.auditing ? 'Verifying…' : 'Verify the journal'}</button>
        <div class="audit-result" aria-live="polite">${this.renderAudit()}</div>
      </section>
      <section class="card slider" aria-labelledby="time-title">
        <h3 id="time-title">As of a day</h3>
        <label for="day">Move through your journal’s days</label>
        <input
          id="day"
          type="range"
          min="0"
          max=${this.days}
          step="1"
          .value=${String(this.dayIndex ?? this.days)}
          ?disabled=${this.start === null}
          aria-valuetext=${shownDay ? day(shownDay) : ''}
          @input=${this.slide}
        />
        <div class="ends"><span>${this.start !== null ? shortDay(this.start) : ''}</span><span>today</span></div>
        <p class="when" aria-live="polite">${shownDay ? day(Math.min(shownDay, Date.now())) : ''}</p>
      </section>
      <div aria-busy=${this.asOf.status === 1 ? 'true' : 'false'}>${this.renderAsOf(this.asOf.value)}</div>
      ${this.asOf.error ? html`<p class="error" role="alert">${String(this.asOf.error)}</p>` : nothing}
      <details class="card">
        <summary>Rebuild</summary>
        <p>Rebuilds every view (timeline, graph, tensions, patterns) from the signed log. Nothing is lost: the log is the truth.</p>
        <button @click=${this.rebuild} ?disabled=${this.rebuilding}>${this.rebuilding ? 'Rebuilding…' : 'Rebuild from the log'}</button>
        <p aria-live="polite">${this.rebuilt ?? ''}</p>
      </details>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'time-view': TimeView
  }
}
