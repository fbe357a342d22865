import { css, html, LitElement } from 'lit'
import { customElement, state } from 'lit/decorators.js'
import { takeToken } from './api.js'
import { startLiveUpdates } from './live.js'
import { shared } from './styles.js'
import './journal-view.js'

/** The journal is in the first bundle; the other pages (and their chart and graph libraries) load when first opened. */
const LOADERS: Record<string, () => Promise<unknown>> = {
  tensions: () => import('./tensions-view.js'),
  identity: () => import('./identity-view.js'),
  patterns: () => import('./patterns-view.js'),
  time: () => import('./time-view.js'),
  spheres: () => import('./spheres-view.js'),
  settings: () => import('./settings-view.js')
}

const PAGES = [
  { id: 'journal', title: 'Journal' },
  { id: 'tensions', title: 'Tensions' },
  { id: 'identity', title: 'Identity' },
  { id: 'patterns', title: 'Patterns' },
  { id: 'spheres', title: 'Spheres' },
  { id: 'time', title: 'Audit & time' },
  { id: 'settings', title: 'Settings' }
] as const

type PageId = (typeof PAGES)[number]['id']

function pageFromHash(): PageId {
  const id = location.hash.replace(/^#\/?/, '').split(/[?&]/)[0]
  return PAGES.find((p) => p.id === id)?.id ?? 'journal'
}

/** The shell: the token, the navigation (hash routes), the live connection, one page at a time. */
@customElement('cosmic-app')
export class CosmicApp extends LitElement {
  static override styles = [
    shared,
    css`
      :host {
        min-height: 100vh;
      }
      header {
        border-bottom: 1px solid var(--line);
        background: var(--surface);
      }
      .bar {
        max-width: 64rem;
        margin: 0 auto;
        padding: 0.9rem 1.25rem 0;
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        justify-content: space-between;
        gap: 0.5rem 1.5rem;
      }
      .brand {
        font-family: var(--serif);
        font-size: 1.45rem;
        margin: 0;
        font-weight: 500;
      }
      .brand small {
        font-family: var(--ui-font);
        font-size: 0.85rem;
        color: var(--muted);
        margin-left: 0.5rem;
      }
      .live {
        font-size: 0.85rem;
        color: var(--muted);
        display: inline-flex;
        align-items: center;
        gap: 0.4rem;
      }
      .dot {
        width: 0.55rem;
        height: 0.55rem;
        border-radius: 50%;
        background: var(--line-strong);
      }
      .dot.on {
        background: var(--good);
      }
      nav ul {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem;
        list-style: none;
        margin: 0;
        padding: 0.6rem 0 0;
        max-width: 64rem;
        margin-inline: auto;
        padding-inline: 1rem;
      }
      nav a {
        display: inline-block;
        padding: 0.5rem 0.85rem 0.65rem;
        color: var(--muted);
        text-decoration: none;
        border-bottom: 3px solid transparent;
      }
      nav a:hover {
        color: var(--ink);
      }
      nav a[aria-current='page'] {
        color: var(--ink);
        border-bottom-color: var(--accent);
      }
      main {
        max-width: 64rem;
        margin: 0 auto;
        padding: 1.75rem 1.25rem 4rem;
      }
      main:focus {
        outline: none;
      }
      .skip {
        position: absolute;
        left: 1rem;
        top: -5rem;
        z-index: 10;
      }
      .skip:focus {
        top: 0.75rem;
      }
      .gate {
        max-width: 36rem;
        margin: 4rem auto;
      }
      code {
        background: var(--chip);
        padding: 0.1rem 0.35rem;
        border-radius: 0.3rem;
      }
    `
  ]

  @state() accessor page: PageId = pageFromHash()
  @state() accessor token: string | null = null
  @state() accessor connected = false
  private stopLive: (() => void) | null = null

  private readonly onHash = () => {
    this.page = pageFromHash()
    this.renderRoot.querySelector('main')?.focus({ preventScroll: false })
    window.scrollTo({ top: 0 })
  }

  private readonly onUnauthorized = () => {
    this.token = null
  }

  override connectedCallback(): void {
    super.connectedCallback()
    this.token = takeToken()
    this.page = pageFromHash()
    window.addEventListener('hashchange', this.onHash)
    window.addEventListener('cosmic-unauthorized', this.onUnauthorized)
    if (this.token) this.stopLive = startLiveUpdates((on) => (this.connected = on))
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    window.removeEventListener('hashchange', this.onHash)
    window.removeEventListener('cosmic-unauthorized', this.onUnauthorized)
    this.stopLive?.()
  }

  override willUpdate(): void {
    void LOADERS[this.page]?.()
  }

  override updated(): void {
    const title = PAGES.find((p) => p.id === this.page)?.title ?? 'Journal'
    document.title = `${title} · Cosmic journal`
  }

  private renderPage() {
    switch (this.page) {
      case 'journal':
        return html`<journal-view></journal-view>`
      case 'tensions':
        return html`<tensions-view></tensions-view>`
      case 'identity':
        return html`<identity-view></identity-view>`
      case 'patterns':
        return html`<patterns-view></patterns-view>`
      case 'spheres':
        return html`<spheres-view></spheres-view>`
      case 'time':
        return html`<time-view></time-view>`
      case 'settings':
        return html`<settings-view></settings-view>`
      default: {
        const never: never = this.page
        return never
      }
    }
  }

  override render() {
    if (!this.token) {
      return html`<main id="main" class="gate" tabindex="-1">
        <h2>This journal is locked</h2>
        <p>
          Open the address that <code>cosmic serve</code> printed: it carries the key to this journal
          (<code>#token=…</code>). The key is also in the file <code>api-token</code> inside your home folder.
        </p>
      </main>`
    }
    return html`
      <button class="skip" @click=${() => this.renderRoot.querySelector('main')?.focus()}>Skip to the page</button>
      <header>
        <div class="bar">
          <p class="brand">Cosmic journal <small>kept on this device</small></p>
          <span class="live" role="status">
            <span class="dot ${this.connected ? 'on' : ''}" aria-hidden="true"></span>
            ${this.connected ? 'Live' : 'Connecting…'}
          </span>
        </div>
        <nav aria-label="Sections">
          <ul>
            ${PAGES.map(
              (p) => html`<li>
                <a href="#/${p.id}" aria-current=${this.page === p.id ? 'page' : 'false'}>${p.title}</a>
              </li>`
            )}
          </ul>
        </nav>
      </header>
      <main id="main" tabindex="-1">${this.renderPage()}</main>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'cosmic-app': CosmicApp
  }
}
