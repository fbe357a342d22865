import { Task } from '@lit/task'
import { css, html, LitElement, nothing } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import { ApiError, api } from './api.js'
import { shortDay } from './format.js'
import { CANNOT_RECALL } from './share-dialog.js'
import { shared } from './styles.js'
import type { ProfileFacet, ShareRow, SphereSummary } from './types.js'

/** The facet kinds a sphere's matching reads (docs/matching.md, "In a sphere"); others are shared but not matched. */
const MATCHED = new Set(['skill', 'interest', 'value', 'seeking', 'project'])

const DIMENSIONS = [
  ['mind', 'Mind'],
  ['heart', 'Heart'],
  ['body', 'Body']
] as const

/** The path the API and the CLI name a facet by: mind/skill/typescript. */
const pathOf = (f: ProfileFacet) => `${f.dimension}/${f.facet}/${f.key}`

interface Loaded {
  facets: ProfileFacet[]
  /** Live facet shares into this sphere, by facet path. */
  sharedHere: Map<string, ShareRow>
}

/**
 * "Share a profile facet…": lists the person's facets (shareable ones to choose,
 * private ones marked as never leaving, ones already in this sphere marked), then a
 * confirmation listing exactly what the sphere receives (the facet's dimension, kind,
 * name, level and note, as `share --facet` publishes them). Opens as a modal dialog
 * when added; fires `facet-share-closed` with `{ shared }` when it closes.
 */
@customElement('facet-share-dialog')
export class FacetShareDialog extends LitElement {
  static override styles = [
    shared,
    css`
      dialog {
        width: min(38rem, calc(100vw - 2rem));
        max-width: none;
        max-height: calc(100vh - 2rem);
      }
      h3 {
        margin-bottom: 0.75rem;
      }
      h4 {
        font-size: 0.95rem;
        font-weight: 600;
        margin: 0.9rem 0 0.35rem;
        color: var(--muted);
      }
      ul.facets {
        list-style: none;
        margin: 0;
        padding: 0;
        border: 1px solid var(--line);
        border-radius: 0.6rem;
        background: var(--field);
      }
      ul.facets li {
        border-bottom: 1px solid var(--line);
      }
      ul.facets li:last-child {
        border-bottom: 0;
      }
      .option {
        display: flex;
        gap: 0.65rem;
        align-items: flex-start;
        padding: 0.55rem 0.8rem;
        color: var(--ink);
        font-size: 1rem;
      }
      label.option {
        cursor: pointer;
      }
      label.option:hover {
        background: var(--hover);
      }
      .option input {
        margin: 0.3rem 0 0;
        flex: none;
      }
      .option .gap {
        flex: none;
        width: 0.8rem;
      }
      .facet {
        min-width: 0;
        overflow-wrap: anywhere;
      }
      .facet strong {
        font-weight: 500;
      }
      .path {
        font-family: ui-monospace, 'DejaVu Sans Mono', monospace;
        font-size: 0.82rem;
        color: var(--muted);
      }
      .note {
        display: block;
        font-size: 0.88rem;
        color: var(--muted);
      }
      .private .facet,
      .here .facet {
        color: var(--muted);
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
        overflow-wrap: anywhere;
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
      .list {
        max-height: min(26rem, 55vh);
        overflow: auto;
        margin-bottom: 1rem;
      }
    `
  ]

  @property({ attribute: false }) accessor sphere!: SphereSummary
  @state() accessor chosen: ProfileFacet | null = null
  @state() accessor confirming = false
  @state() accessor sending = false
  @state() accessor error: string | null = null
  @state() accessor done: string | null = null
  @query('dialog') accessor dialog!: HTMLDialogElement

  private readonly loaded = new Task(this, {
    task: async ([key], { signal }): Promise<Loaded> => {
      const [facets, shares] = await Promise.all([
        api.get<ProfileFacet[]>('/profile', {}, signal),
        api.get<{ shares: ShareRow[] }>('/shares', { sphere: key }, signal)
      ])
      const sharedHere = new Map(shares.shares.filter((s) => s.kind === 'facet').map((s) => [s.source, s] as const))
      return { facets, sharedHere }
    },
    args: () => [this.sphere.key] as const
  })

  override firstUpdated(): void {
    this.dialog.showModal()
  }

  private close() {
    this.dialog.close()
  }

  private next(event: Event) {
    event.preventDefault()
    const path = String(new FormData(event.target as HTMLFormElement).get('facet') ?? '')
    const facet = this.loaded.value?.facets.find((f) => pathOf(f) === path)
    if (!facet) {
      this.error = 'Choose a facet to share.'
      return
    }
    this.error = null
    this.chosen = facet
    this.confirming = true
  }

  private async send() {
    const facet = this.chosen
    if (!facet) return
    this.sending = true
    this.error = null
    try {
      await api.post(`/spheres/${this.sphere.key}/shares`, { facet: pathOf(facet) })
      this.done = MATCHED.has(facet.facet)
        ? `Shared with ${this.sphere.name}. Members’ devices can now match you on it; you can withdraw it under “Your shares”.`
        : `Shared with ${this.sphere.name}. You can withdraw it under “Your shares”.`
    } catch (err) {
      this.error = err instanceof ApiError ? err.detail : String(err)
    } finally {
      this.sending = false
    }
  }

  /** "typescript · skill, level 4", then the path and what else to know on the next line. */
  private describe(f: ProfileFacet, ...notes: unknown[]) {
    return html`<span class="facet">
      <strong>${f.key}</strong> · ${f.facet}${f.level ? `, level ${f.level}` : ''}
      <span class="note"><span class="path">${pathOf(f)}</span>${notes.map((n) => html` · ${n}`)}</span>
    </span>`
  }

  private renderOption(f: ProfileFacet, loaded: Loaded) {
    const path = pathOf(f)
    const here = loaded.sharedHere.get(path)
    if (f.privacy !== 'shareable') {
      return html`<li class="private">
        <div class="option">
          <span class="gap" aria-hidden="true"></span>
          ${this.describe(f, 'private: never leaves this device')}
        </div>
      </li>`
    }
    if (here) {
      return html`<li class="here">
        <div class="option">
          <span class="gap" aria-hidden="true"></span>
          ${this.describe(f, `already shared here, ${shortDay(here.time)}`)}
        </div>
      </li>`
    }
    const id = `facet-${path.replace(/[^a-z0-9]+/gi, '-')}`
    return html`<li>
      <label class="option" for=${id}>
        <input type="radio" name="facet" id=${id} .value=${path} ?checked=${this.chosen === f} />
        ${this.describe(
          f,
          'shareable',
          ...(f.value ? [`“${f.value}”`] : []),
          MATCHED.has(f.facet) ? 'used for matching' : 'not used for matching'
        )}
      </label>
    </li>`
  }

  private renderChoice(loaded: Loaded) {
    if (loaded.facets.length === 0) {
      return html`<p>
          Your profile is empty. Add skills, interests, values, what you seek and projects with
          <code>cosmic profile set</code> (for example <code>cosmic profile set mind skill typescript --level 4 --shareable</code>),
          then share them here.
        </p>
        <div class="buttons"><button @click=${this.close}>Close</button></div>`
    }
    const shareable = loaded.facets.filter((f) => f.privacy === 'shareable' && !loaded.sharedHere.has(pathOf(f)))
    return html`<form @submit=${this.next}>
      <p>
        Choose one facet of your profile. Skills, interests, values, what you seek and projects are what members’ devices
        match on.
      </p>
      <div class="list" role="group" aria-label="Your profile facets">
        ${DIMENSIONS.map(([dimension, title]) => {
          const facets = loaded.facets.filter((f) => f.dimension === dimension)
          if (facets.length === 0) return nothing
          return html`<h4 id=${`dimension-${dimension}`}>${title}</h4>
            <ul class="facets" aria-labelledby=${`dimension-${dimension}`}>
              ${facets.map((f) => this.renderOption(f, loaded))}
            </ul>`
        })}
      </div>
      ${
        shareable.length === 0
          ? html`<p class="small">
              Nothing here can be shared yet: a facet leaves this device only if you marked it shareable
              (<code>cosmic profile set … --shareable</code>).
            </p>`
          : nothing
      }
      <p class="error" role="alert" ?hidden=${!this.error}>${this.error ?? ''}</p>
      <div class="buttons">
        <button class="primary" type="submit" ?disabled=${shareable.length === 0}>See what will be sent…</button>
        <button type="button" @click=${this.close}>Cancel</button>
      </div>
    </form>`
  }

  private renderConfirm(f: ProfileFacet) {
    if (this.done) {
      return html`<p role="status">${this.done}</p>
        <div class="buttons"><button class="primary" @click=${this.close} autofocus>Done</button></div>`
    }
    return html`<p>Exactly this will be sent to ${this.sphere.name}, encrypted for its members:</p>
      <dl aria-label="What will be sent">
        <dt>Facet</dt>
        <dd><span class="path">${pathOf(f)}</span></dd>
        <dt>Dimension</dt>
        <dd>${f.dimension}</dd>
        <dt>Kind</dt>
        <dd>${f.facet}</dd>
        <dt>Name</dt>
        <dd>${f.key}</dd>
        <dt>Level</dt>
        <dd>${f.level ? `${f.level} of 5` : html`<span class="none">none</span>`}</dd>
        <dt>Note</dt>
        <dd>${f.value ?? html`<span class="none">none</span>`}</dd>
      </dl>
      <p class="small">
        Members also see your name in the sphere and when you shared it. Nothing else of your profile leaves: not its
        other facets, not your journal.
        ${
          MATCHED.has(f.facet)
            ? 'Each member’s device matches people on it, on that device alone.'
            : `A ${f.facet} is not used for matching; members see it among what you shared.`
        }
      </p>
      <p class="keep">${CANNOT_RECALL}</p>
      <p class="error" role="alert" ?hidden=${!this.error}>${this.error ?? ''}</p>
      <div class="buttons">
        <button class="primary" ?disabled=${this.sending} @click=${this.send}>${this.sending ? 'Sharing…' : 'Share it'}</button>
        <button
          @click=${() => {
            this.confirming = false
            this.error = null
          }}
        >
          Back
        </button>
        <button @click=${this.close}>Cancel</button>
      </div>`
  }

  private renderBody() {
    if (this.loaded.error) {
      const err = this.loaded.error
      return html`<p class="error" role="alert">${err instanceof ApiError ? err.detail : String(err)}</p>
        <div class="buttons"><button @click=${this.close}>Close</button></div>`
    }
    const loaded = this.loaded.value
    if (!loaded) return html`<p class="placeholder">Loading your profile…</p>`
    if (this.confirming && this.chosen) return this.renderConfirm(this.chosen)
    return this.renderChoice(loaded)
  }

  override render() {
    return html`<dialog
      aria-labelledby="facet-share-title"
      @close=${() =>
        this.dispatchEvent(
          new CustomEvent('facet-share-closed', {
            detail: { shared: this.done !== null },
            bubbles: true,
            composed: true
          })
        )}
    >
      <h3 id="facet-share-title">Share a profile facet with ${this.sphere.name}</h3>
      ${this.renderBody()}
    </dialog>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'facet-share-dialog': FacetShareDialog
  }
}
