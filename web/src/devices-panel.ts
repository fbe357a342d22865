import { Task } from '@lit/task'
import { css, html, LitElement, nothing } from 'lit'
import { customElement, state } from 'lit/decorators.js'
import { ApiError, api } from './api.js'
import { clock, day } from './format.js'
import { onChange } from './live.js'
import { shared } from './styles.js'

interface Device {
  device: number
  name: string
  time: number
  removed: boolean
  self: boolean
}

interface PairCode {
  code: string
  expires: number
}

const message = (err: unknown) => (err instanceof ApiError ? err.detail : String(err))

/**
 * Your devices (docs/devices.md): which ones the journal names, a one-time code to pair a
 * new one (it hands over the identity: the panel says so), and removing one.
 */
@customElement('devices-panel')
export class DevicesPanel extends LitElement {
  static override styles = [
    shared,
    css`
      ul {
        list-style: none;
        padding: 0;
        margin: 0 0 1rem;
        display: grid;
        gap: 0.4rem;
      }
      li {
        display: flex;
        flex-wrap: wrap;
        gap: 0.6rem;
        align-items: baseline;
      }
      .name {
        font-weight: 600;
      }
      .sub {
        color: var(--muted);
        font-size: 0.9rem;
      }
      .code {
        width: 100%;
        font-family: var(--mono, ui-monospace, monospace);
        font-size: 0.9rem;
        word-break: break-all;
      }
      .buttons {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        align-items: center;
      }
    `
  ]

  @state() accessor version = 0
  @state() accessor pairing = false
  @state() accessor pair: PairCode | null = null
  @state() accessor copied: string | null = null
  @state() accessor error: string | null = null
  private stopLive: (() => void) | null = null

  private readonly devices = new Task(this, {
    task: async (_args, { signal }) => api.get<Device[]>('/devices', {}, signal),
    args: () => [this.version] as const
  })

  override connectedCallback(): void {
    super.connectedCallback()
    this.stopLive = onChange(() => {
      this.version++
    })
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.stopLive?.()
  }

  private async makeCode() {
    this.pairing = true
    this.error = null
    this.copied = null
    try {
      this.pair = await api.post<PairCode>('/devices/pair', {})
    } catch (err) {
      this.error = message(err)
    } finally {
      this.pairing = false
    }
  }

  private async copy(text: string) {
    try {
      await navigator.clipboard.writeText(text)
      this.copied = 'Copied.'
    } catch {
      const field = this.renderRoot.querySelector<HTMLTextAreaElement>('#pair-command')
      field?.focus()
      field?.select()
      this.copied = 'Selected: press Ctrl+C (⌘C) to copy it.'
    }
  }

  private async removeDevice(device: Device) {
    if (!confirm(`Remove “${device.name}” (device ${device.device})? It keeps what it has, and your identity.`)) return
    this.error = null
    try {
      await api.delete(`/devices/${device.device}`)
      this.version++
    } catch (err) {
      this.error = message(err)
    }
  }

  private renderDevice(d: Device) {
    return html`<li>
      <span class="name">${d.name}</span>
      <span class="sub">device ${d.device}${d.self ? ' · this one' : ''}${d.removed ? ' · removed' : ''}${
        d.time ? ` · paired ${day(d.time)}` : ''
      }</span>
      ${
        d.self || d.removed
          ? nothing
          : html`<button @click=${() => this.removeDevice(d)} aria-label=${`Remove ${d.name}`}>Remove</button>`
      }
    </li>`
  }

  override render() {
    const list = this.devices.value
    const command = this.pair ? `cosmic device join ${this.pair.code}` : ''
    return html`
      <h3 id="devices-title">Your devices</h3>
      <p>
        Each of your devices keeps the whole journal and writes offline; when they meet they merge into the
        same journal. Nothing goes anywhere but to your own devices, encrypted.
      </p>
      ${list ? html`<ul aria-labelledby="devices-title">${list.map((d) => this.renderDevice(d))}</ul>` : html`<p class="placeholder">Loading…</p>`}
      <div class="buttons">
        <button class="primary" @click=${() => this.makeCode()} ?disabled=${this.pairing}>
          ${this.pairing ? 'Making…' : 'Pair a new device'}
        </button>
      </div>
      ${
        this.pair
          ? html`<div>
              <label for="pair-command">On the new device, run</label>
              <textarea id="pair-command" class="code" rows="3" readonly .value=${command}></textarea>
              <div class="buttons">
                <button @click=${() => this.copy(command)}>Copy the command</button>
                <span role="status">${this.copied ?? ''}</span>
              </div>
              <p class="sub">
                It works once, until ${day(this.pair.expires)}, ${clock(this.pair.expires)}, while this app runs.
                The code hands over your whole identity, like your recovery phrase: type it yourself, on your own device.
              </p>
            </div>`
          : nothing
      }
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'devices-panel': DevicesPanel
  }
}
