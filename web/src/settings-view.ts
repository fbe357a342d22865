import { Task } from '@lit/task'
import { css, html, LitElement, nothing } from 'lit'
import { customElement, state } from 'lit/decorators.js'
import { ApiError, api, download } from './api.js'
import './devices-panel.js'
import { onChange } from './live.js'
import { shared } from './styles.js'
import type { ConfigView } from './types.js'

const MODES = [
  ['local', 'Local', 'Nothing leaves this device.'],
  ['hybrid', 'Hybrid', 'A remote model you consent to may see the entry it mirrors, nothing else.'],
  ['cloud', 'Cloud', 'A remote model you consent to may see the entry and its context.']
] as const

/** Settings: modes and the mirror engine (one config.changed event per save), export, where things are. */
@customElement('settings-view')
export class SettingsView extends LitElement {
  static override styles = [
    shared,
    css`
      form {
        display: grid;
        gap: 1.1rem;
      }
      .modes {
        display: grid;
        gap: 0.5rem;
      }
      .mode {
        display: flex;
        gap: 0.6rem;
        align-items: baseline;
        color: var(--ink);
        font-size: 1rem;
      }
      .mode input {
        width: 1.05rem;
        height: 1.05rem;
      }
      .note {
        font-size: 0.9rem;
        color: var(--muted);
      }
      .saved {
        color: var(--good);
        min-height: 1.5em;
      }
      .exports {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
      }
    `
  ]

  @state() accessor version = 0
  @state() accessor saving = false
  @state() accessor message: string | null = null
  @state() accessor error: ApiError | null = null
  @state() accessor exported: string | null = null
  private stopLive: (() => void) | null = null

  private readonly config = new Task(this, {
    task: async (_args, { signal }) => api.get<ConfigView>('/config', {}, signal),
    args: () => [this.version] as const
  })

  override connectedCallback(): void {
    super.connectedCallback()
    this.stopLive = onChange((c) => {
      if (c.kind === 'reset' || c.events.some((e) => e.type === 'config.changed')) this.version++
    })
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.stopLive?.()
  }

  private async save(event: Event, current: ConfigView) {
    event.preventDefault()
    const data = new FormData(event.target as HTMLFormElement)
    const patch: Record<string, string | boolean> = {}
    const mode = String(data.get('mode'))
    const engine = String(data.get('engine'))
    const sync = data.get('sync') === 'on'
    const model = String(data.get('model') ?? '').trim()
    const remoteUrl = String(data.get('remote_url') ?? '').trim()
    const remoteModel = String(data.get('remote_model') ?? '').trim()
    const s = current.settings
    if (mode !== s.mode) patch.mirror_mode = mode
    if (engine !== s.engine) patch.engine_mode = engine
    if (sync !== s.sync) patch.sync_enabled = sync
    if (model && model !== (s.modelPath ?? '')) patch.model = model
    if (remoteUrl && remoteUrl !== (s.remoteUrl ?? '')) patch.remote_url = remoteUrl
    if (remoteModel && remoteModel !== (s.remoteModel ?? '')) patch.remote_model = remoteModel
    if (Object.keys(patch).length === 0) {
      this.message = 'Nothing changed.'
      return
    }
    this.saving = true
    this.error = null
    this.message = null
    try {
      await api.patch('/config', patch)
      this.message = 'Saved, as a new event in your journal.'
      this.version++
    } catch (err) {
      this.error = err instanceof ApiError ? err : new ApiError(0, 'INTERNAL', String(err))
    } finally {
      this.saving = false
    }
  }

  private async exportAs(format: 'jsonl' | 'markdown') {
    this.exported = 'Preparing…'
    try {
      this.exported = `Downloaded ${await download('/export', { format })}.`
    } catch (err) {
      this.exported = err instanceof ApiError ? err.detail : String(err)
    }
  }

  private renderForm(c: ConfigView) {
    const s = c.settings
    return html`<form @submit=${(e: Event) => this.save(e, c)} aria-labelledby="modes-title">
      <h3 id="modes-title">Modes</h3>
      <fieldset>
        <legend>Mirror mode</legend>
        <div class="modes">
          ${MODES.map(
            ([value, title, help]) => html`<label class="mode">
              <input type="radio" name="mode" value=${value} ?checked=${s.mode === value} />
              <span><strong>${title}</strong> <span class="note">${help}</span></span>
            </label>`
          )}
        </div>
      </fieldset>
      <div class="row">
        <div class="field">
          <label for="engine">Mirror engine</label>
          <select id="engine" name="engine">
            <option value="builtin" ?selected=${s.engine === 'builtin'}>Built-in (no model, on this device)</option>
            <option value="local_llm" ?selected=${s.engine === 'local_llm'}>A local model (GGUF file)</option>
            <option value="remote_llm" ?selected=${s.engine === 'remote_llm'}>A remote model (OpenAI-compatible)</option>
          </select>
        </div>
        <div class="field">
          <label for="model">Model path (local model)</label>
          <input id="model" name="model" type="text" .value=${s.modelPath ?? ''} placeholder="/path/to/model.gguf" autocomplete="off" />
        </div>
      </div>
      <div class="row">
        <div class="field">
          <label for="remote_url">Remote endpoint</label>
          <input id="remote_url" name="remote_url" type="text" .value=${s.remoteUrl ?? ''} placeholder="http://127.0.0.1:8080/v1" autocomplete="off" />
        </div>
        <div class="field">
          <label for="remote_model">Remote model name</label>
          <input id="remote_model" name="remote_model" type="text" .value=${s.remoteModel ?? ''} autocomplete="off" />
        </div>
      </div>
      <label class="mode"><input type="checkbox" name="sync" ?checked=${s.sync} /> Sync with my other devices and spheres</label>
      ${c.warnings.map((w) => html`<p class="note">${w}</p>`)}
      <div class="row">
        <button class="primary" type="submit" ?disabled=${this.saving}>${this.saving ? 'Saving…' : 'Save settings'}</button>
        <span class="saved" role="status">${this.message ?? ''}</span>
      </div>
      ${this.error ? html`<p class="error" role="alert">${this.error.detail}</p>` : nothing}
    </form>`
  }

  override render() {
    const c = this.config.value
    return html`
      <h2>Settings</h2>
      <p class="lede">How your journal is mirrored, and how to take it with you.</p>
      <section class="card">${c ? this.renderForm(c) : html`<p class="placeholder">Loading…</p>`}</section>
      <section class="card" aria-label="Your devices"><devices-panel></devices-panel></section>
      <section class="card" aria-labelledby="export-title">
        <h3 id="export-title">Export</h3>
        <p>Your whole journal, to keep or to move. The bundle verifies anywhere (every signature); the Markdown is for reading.</p>
        <div class="exports">
          <button @click=${() => this.exportAs('jsonl')}>Download the bundle (JSON Lines)</button>
          <button @click=${() => this.exportAs('markdown')}>Download as Markdown</button>
        </div>
        <p role="status">${this.exported ?? ''}</p>
      </section>
      <section class="card" aria-labelledby="more-title">
        <h3 id="more-title">For programs</h3>
        <p>Everything here is also an HTTP API, described at <a href="/docs" target="_blank" rel="noopener">/docs</a>.</p>
      </section>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'settings-view': SettingsView
  }
}
