import { css, html, LitElement, nothing } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import { ApiError, api } from './api.js'
import { clock, percent, shortDay, snippetParts } from './format.js'
import { shared } from './styles.js'
import type { Entry, TimelineItem } from './types.js'

/** Only an entry written as shareable, and not sealed, can be shared (the server refuses the rest too). */
function shareable(entry: Entry): boolean {
  return entry.privacy === 'shareable' && !entry.sealed
}

function privacyLabel(entry: Entry): string {
  if (entry.sealed) return 'sealed: never leaves this device'
  return entry.privacy === 'shareable' ? 'shareable' : 'private: never leaves this device'
}

/** One moment of the timeline: an entry with its mirrorbacks (amend, forget, mirror), or a tension moment. */
@customElement('timeline-entry')
export class TimelineEntry extends LitElement {
  static override styles = [
    shared,
    css`
      article {
        padding: 1.1rem 0 1.2rem;
        border-bottom: 1px solid var(--line);
      }
      .meta {
        display: flex;
        flex-wrap: wrap;
        gap: 0.35rem 0.9rem;
        align-items: baseline;
        font-size: 0.88rem;
        color: var(--muted);
        margin-bottom: 0.4rem;
      }
      time {
        color: var(--ink);
        font-weight: 500;
      }
      .text {
        font-family: var(--serif);
        font-size: 1.12rem;
        line-height: 1.65;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        margin: 0 0 0.6rem;
      }
      mark {
        background: #f3dfa6;
        color: inherit;
        border-radius: 0.15rem;
      }
      .mirror {
        border-left: 3px solid var(--line-strong);
        margin: 0.5rem 0 0.6rem;
        padding: 0.1rem 0 0.1rem 0.9rem;
      }
      .mirror p {
        font-family: var(--serif);
        font-style: italic;
        color: #4a453e;
        margin: 0 0 0.3rem;
        white-space: pre-wrap;
      }
      .mirror .by {
        font-size: 0.8rem;
        color: var(--muted);
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem;
        margin-left: -0.6rem;
      }
      .tension {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem 0.9rem;
        align-items: baseline;
        padding: 0.7rem 0;
        border-bottom: 1px solid var(--line);
        font-size: 0.95rem;
      }
      .tension .what {
        color: var(--muted);
      }
      .badge {
        font-size: 0.78rem;
        padding: 0.05rem 0.5rem;
        border-radius: 999px;
        border: 1px solid var(--line-strong);
      }
      form.amend {
        display: grid;
        gap: 0.5rem;
        margin-bottom: 0.6rem;
      }
      dialog {
        border: 1px solid var(--line-strong);
        border-radius: 0.75rem;
        padding: 1.25rem 1.5rem;
        max-width: 28rem;
        background: var(--surface);
        color: var(--ink);
      }
      dialog::backdrop {
        background: rgb(40 35 25 / 35%);
      }
    `
  ]

  @property({ attribute: false }) accessor item!: TimelineItem
  /** As of a past day: the entry is shown, not changed. */
  @property({ type: Boolean }) accessor readonly = false
  @state() accessor amending = false
  @state() accessor busy = false
  @state() accessor error: string | null = null
  @state() accessor sharing = false
  @query('dialog') accessor dialog!: HTMLDialogElement

  /** The share dialog loads with its first use: the journal's first paint does not wait for it. */
  private async openShare() {
    try {
      await import('./share-dialog.js')
      this.sharing = true
    } catch (err) {
      this.error = String(err)
    }
  }

  private async act(work: () => Promise<unknown>) {
    this.busy = true
    this.error = null
    try {
      await work()
      this.dispatchEvent(new CustomEvent('entry-changed', { bubbles: true, composed: true }))
    } catch (err) {
      this.error = err instanceof ApiError ? err.detail : String(err)
    } finally {
      this.busy = false
    }
  }

  private saveAmend(event: Event, entry: Entry) {
    event.preventDefault()
    const text = String(new FormData(event.target as HTMLFormElement).get('text') ?? '').trim()
    if (!text || text === entry.text) {
      this.amending = false
      return
    }
    void this.act(async () => {
      await api.patch(`/reflections/${entry.id}`, { text })
      this.amending = false
    })
  }

  private forget(entry: Entry) {
    this.dialog.close()
    void this.act(() => api.delete(`/reflections/${entry.id}`))
  }

  private renderEntry(entry: Entry) {
    const text = entry.snippet
      ? snippetParts(entry.snippet).map((p) => (p.match ? html`<mark>${p.text}</mark>` : p.text))
      : entry.text
    return html`<article aria-label=${`Entry of ${shortDay(entry.time)}`}>
      <div class="meta">
        <time datetime=${new Date(entry.time).toISOString()}>${shortDay(entry.time)} · ${clock(entry.time)}</time>
        ${entry.mood ? html`<span>feeling ${entry.mood}</span>` : nothing}
        ${entry.dimension ? html`<span>${entry.dimension}</span>` : nothing}
        <span class="privacy">${privacyLabel(entry)}</span>
        ${entry.amendments ? html`<span>amended</span>` : nothing}
      </div>
      ${
        this.amending
          ? html`<form class="amend" @submit=${(e: Event) => this.saveAmend(e, entry)}>
              <label for="amend-text">New text</label>
              <textarea id="amend-text" name="text" rows="4" .value=${entry.text}></textarea>
              <div class="actions" style="margin-left:0">
                <button class="primary" type="submit" ?disabled=${this.busy}>Save</button>
                <button type="button" @click=${() => (this.amending = false)}>Cancel</button>
              </div>
            </form>`
          : html`<p class="text">${text}</p>`
      }
      ${
        entry.tags.length
          ? html`<ul class="chips" aria-label="Tags">
              ${entry.tags.map((t) => html`<li class="chip">#${t}</li>`)}
            </ul>`
          : nothing
      }
      ${entry.mirrorbacks.map(
        (m) => html`<div class="mirror" role="group" aria-label="Mirrorback">
          <p>${m.text}</p>
          <span class="by">mirrored by the ${m.engine.kind === 'builtin' ? 'built-in engine' : m.engine.model}</span>
        </div>`
      )}
      ${this.readonly ? nothing : this.renderActions(entry)}
    </article>`
  }

  private renderActions(entry: Entry) {
    return html`<div class="actions">
        ${
          this.amending
            ? nothing
            : html`<button class="quiet" @click=${() => (this.amending = true)} ?disabled=${this.busy}>Amend</button>`
        }
        ${
          entry.mirrorbacks.length === 0
            ? html`<button
                class="quiet"
                ?disabled=${this.busy}
                @click=${() => this.act(() => api.post(`/reflections/${entry.id}/mirror`))}
              >
                Mirror
              </button>`
            : nothing
        }
        ${
          shareable(entry)
            ? html`<button class="quiet" @click=${this.openShare} ?disabled=${this.busy}>Share to sphere…</button>`
            : nothing
        }
        <button class="quiet" @click=${() => this.dialog.showModal()} ?disabled=${this.busy}>Forget…</button>
      </div>
      ${this.sharing ? html`<share-dialog .entry=${entry} @share-closed=${() => (this.sharing = false)}></share-dialog>` : nothing}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <dialog aria-labelledby="forget-title">
        <h3 id="forget-title">Forget this entry?</h3>
        <p>
          Its words, amendments and mirrorbacks leave this device for good. The signed header stays, so the journal
          still verifies.
        </p>
        <div class="actions" style="margin-left:0">
          <button class="primary" @click=${() => this.forget(entry)}>Forget it</button>
          <button @click=${() => this.dialog.close()}>Keep it</button>
        </div>
      </dialog>`
  }

  override render() {
    const item = this.item
    if (item.kind === 'entry') return this.renderEntry(item.entry)
    const t = item.tension
    const what =
      t.kind === 'noted'
        ? `noted: ${t.poles[0]} or ${t.poles[1]}, at ${percent(t.intensity)}`
        : t.kind === 'shifted'
          ? `shifted to ${percent(t.intensity)}${t.toward ? `, toward ${t.toward}` : ''}`
          : 'resolved'
    return html`<div class="tension" role="article" aria-label=${`Tension ${t.name}, ${t.kind}`}>
      <time datetime=${new Date(item.time).toISOString()}>${shortDay(item.time)}</time>
      <span class="badge">tension</span>
      <a href="#/tensions?id=${t.id}">${t.name}</a>
      <span class="what">${what}</span>
    </div>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'timeline-entry': TimelineEntry
  }
}
