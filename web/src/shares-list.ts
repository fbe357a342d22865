import { Task } from '@lit/task'
import { css, html, LitElement, nothing } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import { api, errorMessage } from './api.js'
import { shortDay } from './format.js'
import { shared } from './styles.js'
import type { ShareRow, SphereSummary } from './types.js'

const KIND: Record<ShareRow['kind'], string> = {
  entry: 'Journal entry',
  facet: 'Profile facet',
  summary: 'Pattern counts',
  other: 'Shared item'
}

/** What I shared, into which sphere, and what I withdrew; withdraw a live one. */
@customElement('shares-list')
export class SharesList extends LitElement {
  static override styles = [
    shared,
    css`
      :host {
        margin-top: 1.25rem;
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem 1rem;
        align-items: center;
        padding: 0.55rem 0;
        border-bottom: 1px solid var(--line);
      }
      li:last-child {
        border-bottom: 0;
      }
      .what {
        flex: 1 1 16rem;
        min-width: 0;
      }
      .sub {
        font-size: 0.88rem;
        color: var(--muted);
      }
      .withdrawn .what {
        color: var(--muted);
      }
      .source {
        font-family: ui-monospace, 'DejaVu Sans Mono', monospace;
        font-size: 0.85rem;
        overflow-wrap: anywhere;
      }
    `
  ]

  @property({ attribute: false }) accessor spheres: SphereSummary[] = []
  /** Bumped by the page when something changed (a share from the journal arrives as a live event). */
  @property({ type: Number }) accessor version = 0
  @state() accessor withdrawing: ShareRow | null = null
  @state() accessor error: string | null = null
  @query('dialog') accessor dialog!: HTMLDialogElement

  private readonly shares = new Task(this, {
    task: async (_args, { signal }) =>
      (await api.get<{ shares: ShareRow[] }>('/shares', { all: true }, signal)).shares.reverse(),
    args: () => [this.version] as const
  })

  private sphereName(key: string): string {
    return this.spheres.find((s) => s.key === key)?.name ?? `a sphere you left (${key.slice(0, 8)})`
  }

  private describe(row: ShareRow): string {
    if (row.kind === 'entry') return row.source.slice(0, 12)
    if (row.kind === 'summary') {
      const m = /^patterns:(\d+)-(\d+)$/.exec(row.source)
      return m ? `${shortDay(Number(m[1]))} to ${shortDay(Number(m[2]))}` : row.source
    }
    return row.source
  }

  private async withdraw(row: ShareRow) {
    this.dialog.close()
    this.error = null
    try {
      await api.delete(`/shares/${row.item ?? row.id}?sphere=${row.sphere}`)
      this.dispatchEvent(new CustomEvent('shares-changed', { bubbles: true, composed: true }))
    } catch (err) {
      this.error = errorMessage(err)
    } finally {
      this.withdrawing = null
    }
  }

  private renderRows(rows: ShareRow[]) {
    if (rows.length === 0) {
      return html`<p class="placeholder">
        Nothing shared yet. In the journal, an entry written as shareable has “Share to sphere…”.
      </p>`
    }
    return html`<ul>
      ${rows.map(
        (row) => html`<li class=${row.retractedTime ? 'withdrawn' : ''}>
          <span class="what">
            <strong>${KIND[row.kind]}</strong> <span class="source">${this.describe(row)}</span>
            <br />
            <span class="sub">
              to ${this.sphereName(row.sphere)}, ${shortDay(row.time)}${
                row.retractedTime ? html` · <em>withdrawn ${shortDay(row.retractedTime)}</em>` : nothing
              }
            </span>
          </span>
          ${
            row.retractedTime
              ? nothing
              : html`<button
                  class="quiet"
                  aria-label=${`Withdraw the ${KIND[row.kind].toLowerCase()} shared ${shortDay(row.time)}…`}
                  @click=${() => {
                    this.withdrawing = row
                    this.dialog.showModal()
                  }}
                >
                  Withdraw…
                </button>`
          }
        </li>`
      )}
    </ul>`
  }

  override render() {
    const rows = this.shares.value
    return html`<section class="card" aria-labelledby="shares-title">
      <h3 id="shares-title">Your shares</h3>
      <p class="sub">What you sent into spheres. Withdrawing hides it in members' apps; copies they received stay with them.</p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${
        this.shares.error
          ? html`<p class="error" role="alert">${errorMessage(this.shares.error)}</p>`
          : rows
            ? this.renderRows(rows)
            : html`<p class="placeholder">Loading…</p>`
      }
      <dialog aria-labelledby="withdraw-title" @close=${() => (this.withdrawing = null)}>
        <h3 id="withdraw-title">Withdraw this share?</h3>
        <p>
          Members' apps hide it from now on. Copies they already received cannot be recalled. Your journal records the
          withdrawal.
        </p>
        <div class="buttons">
          <button class="primary" @click=${() => this.withdrawing && this.withdraw(this.withdrawing)}>Withdraw it</button>
          <button @click=${() => this.dialog.close()}>Keep it shared</button>
        </div>
      </dialog>
    </section>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'shares-list': SharesList
  }
}
