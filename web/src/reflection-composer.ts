import { css, html, LitElement } from 'lit'
import { customElement, query, state } from 'lit/decorators.js'
import { ApiError, api } from './api.js'
import { shared } from './styles.js'
import type { EventJson, Mirrorback } from './types.js'

interface Created {
  entry: EventJson
  mirror: { text: string; themes: string[]; engine: Mirrorback['engine'] } | null
}

/** Writes a reflection: text, tags, mood, dimension, private or shareable, and (by default) its mirrorback. */
@customElement('reflection-composer')
export class ReflectionComposer extends LitElement {
  static override styles = [
    shared,
    css`
      form {
        display: grid;
        gap: 1rem;
      }
      textarea {
        min-height: 8.5rem;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 0.75rem;
      }
      .hint {
        font-size: 0.85rem;
        color: var(--muted);
      }
      .mirror {
        margin-top: 1rem;
        border-left: 3px solid var(--accent);
        padding: 0.25rem 0 0.25rem 1rem;
      }
      .mirror p {
        font-family: var(--serif);
        font-size: 1.08rem;
        font-style: italic;
        white-space: pre-wrap;
      }
    `
  ]

  @state() accessor busy = false
  @state() accessor error: ApiError | null = null
  @state() accessor last: Created | null = null
  @query('form') accessor form!: HTMLFormElement

  private async submit(event: Event) {
    event.preventDefault()
    const data = new FormData(this.form)
    const text = String(data.get('text') ?? '').trim()
    if (!text) {
      this.error = new ApiError(400, 'INVALID_INPUT', 'Write something first.', 'text')
      this.renderRoot.querySelector('textarea')?.focus()
      return
    }
    const tags = String(data.get('tags') ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean)
    const mood = String(data.get('mood') ?? '').trim()
    const dimension = String(data.get('dimension') ?? '')
    const body: Record<string, unknown> = {
      text,
      tags,
      shareable: data.get('privacy') === 'shareable',
      mirror: data.get('mirror') === 'on'
    }
    if (mood) body.mood = mood
    if (dimension) body.dimension = dimension
    this.busy = true
    this.error = null
    try {
      this.last = await api.post<Created>('/reflections', body)
      this.form.reset()
      this.dispatchEvent(new CustomEvent('reflection-created', { detail: this.last, bubbles: true, composed: true }))
    } catch (err) {
      this.error = err instanceof ApiError ? err : new ApiError(0, 'INTERNAL', String(err))
    } finally {
      this.busy = false
    }
  }

  private keydown(event: KeyboardEvent) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault()
      this.form.requestSubmit()
    }
  }

  override render() {
    return html`
      <form class="card" @submit=${this.submit} aria-labelledby="compose-title">
        <h3 id="compose-title">Write</h3>
        <div class="field">
          <label for="text">What is on your mind?</label>
          <textarea
            id="text"
            name="text"
            required
            maxlength="50000"
            placeholder="Take your time."
            aria-describedby="text-hint"
            aria-invalid=${this.error?.field === 'text' ? 'true' : 'false'}
            @keydown=${this.keydown}
          ></textarea>
        </div>
        <div class="row">
          <div class="field">
            <label for="tags">Tags <span class="muted">(comma-separated)</span></label>
            <input id="tags" name="tags" type="text" autocomplete="off" placeholder="money, family" />
          </div>
          <div class="field">
            <label for="mood">Mood</label>
            <input id="mood" name="mood" type="text" autocomplete="off" maxlength="200" placeholder="calm" />
          </div>
          <div class="field">
            <label for="dimension">Dimension</label>
            <select id="dimension" name="dimension">
              <option value="">None</option>
              <option value="mind">Mind</option>
              <option value="heart">Heart</option>
              <option value="body">Body</option>
            </select>
          </div>
        </div>
        <div class="actions">
          <fieldset>
            <legend class="sr-only">Privacy</legend>
            <div class="segmented">
              <label><input type="radio" name="privacy" value="private" checked /><span>Private</span></label>
              <label><input type="radio" name="privacy" value="shareable" /><span>Shareable</span></label>
            </div>
          </fieldset>
          <label class="check"><input type="checkbox" name="mirror" checked /> Mirror it back</label>
          <span id="text-hint" class="hint">Ctrl+Enter keeps it.</span>
          <button class="primary" type="submit" ?disabled=${this.busy}>
            ${this.busy ? 'Keeping…' : 'Keep this entry'}
          </button>
        </div>
        ${this.error ? html`<p class="error" role="alert">${this.error.detail}</p>` : null}
        <div aria-live="polite">
          ${
            this.last?.mirror
              ? html`<section class="mirror" aria-label="Mirrorback">
                  <h3>A mirror</h3>
                  <p>${this.last.mirror.text}</p>
                  ${
                    this.last.mirror.themes.length
                      ? html`<ul class="chips" aria-label="Themes">
                          ${this.last.mirror.themes.map((t) => html`<li class="chip">${t}</li>`)}
                        </ul>`
                      : null
                  }
                </section>`
              : this.last
                ? html`<p class="muted">Kept.</p>`
                : null
          }
        </div>
      </form>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'reflection-composer': ReflectionComposer
  }
}
