import { Task } from '@lit/task'
import { css, html, LitElement, nothing } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import { ApiError, api } from './api.js'
import { clock, day } from './format.js'
import { shared } from './styles.js'
import type { Entry, SphereSummary } from './types.js'

/** The sentence every share confirmation carries (DESIGN.md: what a peer received cannot be recalled). */
export const CANNOT_RECALL = 'Members who receive it keep their copy; you can withdraw it later but cannot recall it.'

/**
 * The confirmation before a journal entry leaves the device: it lists exactly what the
 * sphere receives (the entry's current words, tags, mood, dimension and the time it was
 * written, as `share` publishes them) and into which sphere. Opens as a modal dialog
 * when added; fires `share-closed` when it closes.
 */
@customElement('share-dialog')
export class ShareDialog extends LitElement {
  static override styles = [
    shared,
    css`
      dialog {
        width: min(36rem, calc(100vw - 2rem));
        max-width: none;
        max-height: calc(100vh - 2rem);
      }
      h3 {
        margin-bottom: 0.75rem;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.45rem 1rem;
        margin: 0.5rem 0 1rem;
        padding: 0.9rem 1rem;
        border: 1px solid var(--line);
        border-radius: 0.6rem;
        background: var(--field);
      }
      dt {
        color: var(--muted);
        font-size: 0.9rem;
      }
      dd {
        margin: 0;
        min-width: 0;
      }
      .words {
        font-family: var(--serif);
        font-size: 1.05rem;
        line-height: 1.55;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        max-height: 14rem;
        overflow: auto;
      }
      .none {
        color: var(--muted);
        font-style: italic;
      }
      .keep {
        font-weight: 500;
      }
      .small {
        font-size: 0.9rem;
        color: var(--muted);
      }
      .field {
        margin-bottom: 0.75rem;
      }
      .status {
        min-height: 1.5em;
      }
    `
  ]

  @property({ attribute: false }) accessor entry!: Entry
  @state() accessor sending = false
  @state() accessor error: string | null = null
  @state() accessor done: string | null = null
  @query('dialog') accessor dialog!: HTMLDialogElement

  private readonly spheres = new Task(this, {
    task: async (_args, { signal }) =>
      (await api.get<{ spheres: SphereSummary[] }>('/spheres', {}, signal)).spheres.filter((s) => s.writable),
    args: () => [] as const
  })

  override firstUpdated(): void {
    this.dialog.showModal()
  }

  private close() {
    this.dialog.close()
  }

  private async send(event: Event) {
    event.preventDefault()
    const key = String(new FormData(event.target as HTMLFormElement).get('sphere') ?? '')
    const sphere = this.spheres.value?.find((s) => s.key === key)
    if (!sphere) return
    this.sending = true
    this.error = null
    try {
      await api.post(`/spheres/${sphere.key}/shares`, { entry: this.entry.id })
      this.done = `Shared with ${sphere.name}. You can withdraw it under Spheres, in “Your shares”.`
    } catch (err) {
      this.error = err instanceof ApiError ? err.detail : String(err)
    } finally {
      this.sending = false
    }
  }

  private renderWhat() {
    const e = this.entry
    return html`<p>Exactly this will be sent, encrypted for the sphere's members:</p>
      <dl aria-label="What will be sent">
        <dt>Words</dt>
        <dd class="words">${e.text}</dd>
        <dt>Tags</dt>
        <dd>
          ${
            e.tags.length
              ? html`<ul class="chips">
                  ${e.tags.map((t) => html`<li class="chip">#${t}</li>`)}
                </ul>`
              : html`<span class="none">none</span>`
          }
        </dd>
        <dt>Mood</dt>
        <dd>${e.mood ?? html`<span class="none">none</span>`}</dd>
        ${e.dimension ? html`<dt>Dimension</dt><dd>${e.dimension}</dd>` : nothing}
        <dt>Written</dt>
        <dd><time datetime=${new Date(e.time).toISOString()}>${day(e.time)}, ${clock(e.time)}</time></dd>
      </dl>
      <p class="small">
        Members also see your name in the sphere and when you shared it. Nothing else leaves: not its mirrorbacks,
        not other entries, not where it sits in your journal.
      </p>
      <p class="keep">${CANNOT_RECALL}</p>`
  }

  private renderForm() {
    const spheres = this.spheres.value
    if (this.spheres.error) {
      return html`<p class="error" role="alert">
        ${this.spheres.error instanceof ApiError ? this.spheres.error.detail : String(this.spheres.error)}
      </p>`
    }
    if (!spheres) return html`<p class="placeholder">Loading your spheres…</p>`
    if (spheres.length === 0) {
      return html`<p>
          You are in no sphere yet. <a href="#/spheres" @click=${this.close}>Create or join one on the Spheres page</a>,
          then share from here.
        </p>
        <div class="buttons"><button @click=${this.close}>Close</button></div>`
    }
    if (this.done) {
      return html`<p role="status">${this.done}</p>
        <div class="buttons"><button class="primary" @click=${this.close} autofocus>Done</button></div>`
    }
    return html`<form @submit=${this.send}>
      <div class="field">
        <label for="share-sphere">Share with</label>
        <select id="share-sphere" name="sphere">
          ${spheres.map((s) => html`<option value=${s.key}>${s.name} (${s.members} ${s.members === 1 ? 'member' : 'members'})</option>`)}
        </select>
      </div>
      ${this.renderWhat()}
      <p class="status error" role="alert" ?hidden=${!this.error}>${this.error ?? ''}</p>
      <div class="buttons">
        <button class="primary" type="submit" ?disabled=${this.sending}>${this.sending ? 'Sharing…' : 'Share it'}</button>
        <button type="button" @click=${this.close}>Cancel</button>
      </div>
    </form>`
  }

  override render() {
    return html`<dialog
      aria-labelledby="share-title"
      @close=${() => this.dispatchEvent(new CustomEvent('share-closed', { bubbles: true, composed: true }))}
    >
      <h3 id="share-title">Share this entry with a sphere?</h3>
      ${this.renderForm()}
    </dialog>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'share-dialog': ShareDialog
  }
}
