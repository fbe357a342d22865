import { Task } from '@lit/task'
import { css, html, LitElement, nothing } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import { styleMap } from 'lit/directives/style-map.js'
import { ApiError, api, errorMessage } from './api.js'
import { onChange } from './live.js'
import { COMPONENT_NAMES, explainItem, roundedParts, two } from './match-words.js'
import { shared } from './styles.js'
import type { FeedbackAnswer, MatchComponent, MatchesView, MatchResult, SphereSummary } from './types.js'
import './facet-share-dialog.js'

/** A sphere changes when a peer shares, which the journal's live stream does not see: look again now and then. */
const POLL_MS = 30_000
const LIMIT = 10
const COMPONENTS: readonly MatchComponent[] = ['interests', 'skills', 'values', 'semantic']

/** What the panel shows: the ranking, or why there is none yet. */
type Loaded = { kind: 'ranked'; view: MatchesView } | { kind: 'unshared' }

const who = (r: MatchResult) => r.name ?? r.member.slice(0, 12)

/**
 * "People to work with": the members and projects of a sphere ranked for this person on
 * this device, each with its reasons in words and their contributions adding up to the
 * score; "Helpful" / "Not helpful" teach the on-device ranking model; "Share a profile
 * facet…" is how to appear here.
 */
@customElement('sphere-matches')
export class SphereMatches extends LitElement {
  static override styles = [
    shared,
    css`
      :host {
        --interests: #a8742f;
        --skills: #56707f;
        --values: #4d7a55;
        --semantic: #7d6390;
      }
      .head {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: baseline;
        justify-content: space-between;
      }
      .sub {
        color: var(--muted);
        font-size: 0.92rem;
      }
      ol.results {
        list-style: none;
        margin: 0.75rem 0 0;
        padding: 0;
        display: grid;
        gap: 0.9rem;
      }
      article {
        border: 1px solid var(--line);
        border-radius: 0.6rem;
        padding: 0.8rem 1rem 0.9rem;
        background: var(--field);
      }
      article header {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem 1rem;
        align-items: baseline;
        justify-content: space-between;
      }
      article h4 {
        margin: 0;
        font-size: 1.05rem;
        font-weight: 500;
        overflow-wrap: anywhere;
      }
      .rank {
        color: var(--muted);
        font-weight: 400;
        margin-right: 0.3rem;
      }
      .score {
        font-variant-numeric: tabular-nums;
        white-space: nowrap;
      }
      .score strong {
        font-size: 1.15rem;
        font-weight: 600;
      }
      .bar {
        display: flex;
        height: 0.55rem;
        margin: 0.55rem 0 0.65rem;
        border-radius: 999px;
        background: var(--chip);
        overflow: hidden;
      }
      .bar span {
        display: block;
        height: 100%;
        border-right: 2px solid var(--field);
      }
      .bar span:last-child {
        border-right: 0;
      }
      ul.why {
        list-style: none;
        margin: 0;
        padding: 0;
        font-size: 0.95rem;
      }
      ul.why li {
        display: flex;
        gap: 0.6rem;
        align-items: baseline;
        padding: 0.2rem 0;
      }
      .swatch {
        flex: none;
        width: 0.7rem;
        height: 0.7rem;
        border-radius: 0.2rem;
        transform: translateY(0.05rem);
      }
      .reason {
        flex: 1 1 auto;
        min-width: 0;
        overflow-wrap: anywhere;
      }
      .amount {
        flex: none;
        font-variant-numeric: tabular-nums;
        text-align: right;
        min-width: 3.2rem;
      }
      ul.why li.total {
        border-top: 1px solid var(--line-strong);
        margin-top: 0.2rem;
        padding-top: 0.3rem;
        font-weight: 600;
      }
      .swatch.inline {
        display: inline-block;
        margin-right: 0.4rem;
      }
      ul.why li.total .swatch {
        background: transparent;
      }
      .feedback {
        display: flex;
        flex-wrap: wrap;
        gap: 0.4rem 0.6rem;
        align-items: center;
        margin-top: 0.7rem;
      }
      .feedback button {
        min-height: 2.2rem;
        padding-block: 0.25rem;
      }
      .feedback button[aria-pressed='true'] {
        border-color: var(--accent);
        background: var(--hover);
      }
      .feedback .sub {
        font-size: 0.86rem;
      }
      .empty {
        border: 1px dashed var(--line-strong);
        border-radius: 0.6rem;
        padding: 1rem 1.2rem;
        margin-top: 0.75rem;
      }
      .empty p:last-child {
        margin-bottom: 0;
      }
      details {
        margin-top: 0.9rem;
        font-size: 0.92rem;
      }
      summary {
        cursor: pointer;
        color: var(--accent-strong);
      }
      table {
        border-collapse: collapse;
        margin: 0.5rem 0;
      }
      th,
      td {
        text-align: left;
        padding: 0.2rem 1rem 0.2rem 0;
        font-weight: 400;
      }
      td {
        font-variant-numeric: tabular-nums;
      }
      .status {
        margin: 0.5rem 0 0;
        font-size: 0.92rem;
      }
      .status:empty {
        margin: 0;
      }
    `
  ]

  @property({ attribute: false }) accessor sphere!: SphereSummary
  @property({ type: Boolean }) accessor online = false
  @state() accessor version = 0
  @state() accessor sharing = false
  /** What this person said about a member in this session, by member key. */
  @state() accessor said: ReadonlyMap<string, boolean> = new Map()
  @state() accessor error: string | null = null
  private stopLive: (() => void) | null = null
  private timer: ReturnType<typeof setInterval> | undefined

  private readonly ranking = new Task(this, {
    task: async ([key], { signal }): Promise<Loaded> => {
      try {
        const view = await api.get<MatchesView>(
          `/spheres/${encodeURIComponent(key)}/matches`,
          { limit: LIMIT, explain: true },
          signal
        )
        return { kind: 'ranked', view }
      } catch (err) {
        // The sphere is open here, so NOT_FOUND means this person shared nothing matchable into it.
        if (err instanceof ApiError && err.code === 'NOT_FOUND') return { kind: 'unshared' }
        throw err
      }
    },
    args: () => [this.sphere.key, this.version] as const
  })

  override connectedCallback(): void {
    super.connectedCallback()
    this.stopLive = onChange((c) => {
      if (c.kind === 'reset' || c.events.some((e) => /^(share|profile|match|sphere)\./.test(e.type))) this.version++
    })
    this.timer = setInterval(() => {
      if (this.online && document.visibilityState === 'visible') this.version++
    }, POLL_MS)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.stopLive?.()
    clearInterval(this.timer)
  }

  override willUpdate(changed: Map<string, unknown>): void {
    const previous = changed.get('sphere') as SphereSummary | undefined
    if (previous && previous.key !== this.sphere.key) {
      this.said = new Map()
      this.error = null
    }
  }

  private async feedback(result: MatchResult, helpful: boolean) {
    this.error = null
    try {
      await api.post<FeedbackAnswer>(`/spheres/${this.sphere.key}/feedback`, { member: result.member, helpful })
      this.said = new Map([...this.said, [result.member, helpful]])
      this.version++
    } catch (err) {
      this.error = errorMessage(err)
    }
  }

  private renderResult(result: MatchResult, index: number, top: number) {
    const id = `match-${index}`
    const title =
      result.kind === 'project'
        ? html`Project “${result.project}” <span class="sub">by ${who(result)}</span>`
        : html`${who(result)}`
    const parts = roundedParts(
      result.items.map((i) => i.contribution),
      result.score
    )
    const said = this.said.get(result.member)
    return html`<li>
      <article aria-labelledby=${id}>
        <header>
          <h4 id=${id}><span class="rank">${index + 1}.</span>${title}</h4>
          <span class="score">score <strong>${two(result.score)}</strong></span>
        </header>
        <div class="bar" aria-hidden="true" style=${styleMap({ width: `${Math.max(8, (result.score / top) * 100).toFixed(1)}%` })}>
          ${result.items.map(
            (item) =>
              html`<span
                style=${styleMap({
                  width: `${((item.contribution / result.score) * 100).toFixed(2)}%`,
                  background: `var(--${item.component})`
                })}
              ></span>`
          )}
        </div>
        <ul class="why" aria-label=${`Why ${result.kind === 'project' ? `the project ${result.project}` : who(result)}`}>
          ${result.items.map(
            (item, i) => html`<li>
              <span class="swatch" style=${styleMap({ background: `var(--${item.component})` })} aria-hidden="true"></span>
              <span class="reason">${explainItem(result, item)}</span>
              <span class="amount">+${two(parts[i] ?? 0)}</span>
            </li>`
          )}
          <li class="total">
            <span class="swatch" aria-hidden="true"></span>
            <span class="reason">Score</span>
            <span class="amount">${two(result.score)}</span>
          </li>
        </ul>
        ${
          result.kind === 'member'
            ? html`<div class="feedback">
                <button aria-pressed=${said === true ? 'true' : 'false'} aria-describedby=${id} @click=${() => this.feedback(result, true)}>
                  Helpful
                </button>
                <button aria-pressed=${said === false ? 'true' : 'false'} aria-describedby=${id} @click=${() => this.feedback(result, false)}>
                  Not helpful
                </button>
                <span class="sub" role="status">${
                  said === undefined
                    ? 'learned on this device only'
                    : `Noted: ${said ? 'helpful' : 'not helpful'}. Learned on this device only; your matches are re-ranked.`
                }</span>
              </div>`
            : nothing
        }
      </article>
    </li>`
  }

  private renderHow(view: MatchesView) {
    const model = view.model
    const learned = view.feedback > 0 && model
    return html`<details>
      <summary>How the score works</summary>
      <p>
        Each reason adds its value times a weight: a shared interest or value counts more the fewer members here hold
        it; a skill that meets what someone seeks counts its level out of 5. Only what members shared into this sphere
        is read, and only on this device.
      </p>
      <table>
        <caption class="sr-only">Weights</caption>
        <thead>
          <tr>
            <th scope="col">Reason</th>
            <th scope="col">${learned ? 'Your weight' : 'Weight'}</th>
            ${learned ? html`<th scope="col">Default</th>` : nothing}
          </tr>
        </thead>
        <tbody>
          ${COMPONENTS.map(
            (c) => html`<tr>
              <th scope="row">
                <span class="swatch inline" style=${styleMap({ background: `var(--${c})` })} aria-hidden="true"></span>
                ${COMPONENT_NAMES[c]}
              </th>
              <td>${two(view.weights[c])}</td>
              ${learned ? html`<td>${two(model.base[c])}</td>` : nothing}
            </tr>`
          )}
        </tbody>
      </table>
      <p>
        ${
          learned
            ? `These weights were learned on this device from your ${model.events} ${model.events === 1 ? 'answer' : 'answers'} (${model.helpful} helpful, ${model.notHelpful} not). They never leave it.`
            : 'Say “Helpful” or “Not helpful” on a match and the weights learn from it, on this device alone; they never leave it.'
        }
      </p>
    </details>`
  }

  private renderShareButton(primary = false) {
    return html`<button class=${primary ? 'primary' : ''} ?disabled=${!this.sphere.writable} @click=${() => (this.sharing = true)}>
      Share a profile facet…
    </button>`
  }

  private renderEmpty(loaded: Loaded) {
    if (loaded.kind === 'unshared') {
      return html`<div class="empty">
        <p><strong>Share a facet to appear here.</strong></p>
        <p>
          You have shared nothing here to match on yet. Share a skill, an interest, a value, something you seek or a
          project into ${this.sphere.name}: members who shared theirs then appear here, with why, and you appear in
          theirs.
        </p>
        ${this.renderShareButton(true)}
      </div>`
    }
    const others = loaded.view.profiles - 1
    return html`<div class="empty">
      <p><strong>No one here matches you yet.</strong></p>
      <p>
        ${
          others === 0
            ? 'No other member has shared a skill, interest, value, seeking or project here yet.'
            : `${others} other ${others === 1 ? 'member has' : 'members have'} shared a profile here, and none shares an interest or a value with you, or a skill you seek.`
        }
        People appear here when they share an interest or a value with you, have a skill you seek, or seek one you have.
        Share more facets, or look again as others share.
      </p>
      ${this.renderShareButton(true)}
    </div>`
  }

  private renderBody() {
    if (this.ranking.error) return html`<p class="error" role="alert">${errorMessage(this.ranking.error)}</p>`
    const loaded = this.ranking.value
    if (!loaded) return html`<p class="placeholder">Looking for matches…</p>`
    if (loaded.kind === 'unshared' || loaded.view.results.length === 0) return this.renderEmpty(loaded)
    const view = loaded.view
    const top = view.results[0]?.score || 1
    return html`<ol class="results" aria-label="Ranked matches">
        ${view.results.map((r, i) => this.renderResult(r, i, top))}
      </ol>
      ${this.renderHow(view)}`
  }

  override render() {
    const view = this.ranking.value?.kind === 'ranked' ? this.ranking.value.view : null
    return html`<section class="card" aria-labelledby="matches-title">
      <div class="head">
        <h3 id="matches-title">People to work with</h3>
        ${view && view.results.length > 0 ? this.renderShareButton() : nothing}
      </div>
      <p class="sub">
        Ranked on this device from what members shared here: skills, interests, values, what they seek, projects.
        ${
          view
            ? `${view.profiles === 1 ? 'Only you have' : `${view.profiles} members have`} shared a profile · ${
                view.feedback > 0
                  ? `ranked by weights learned from ${view.feedback} ${view.feedback === 1 ? 'answer' : 'answers'} of yours`
                  : 'default weights'
              }.`
            : ''
        }
      </p>
      ${this.renderBody()}
      <p class="status ${this.error ? 'error' : ''}" role=${this.error ? 'alert' : 'status'}>${this.error ?? nothing}</p>
      ${
        this.sharing
          ? html`<facet-share-dialog
              .sphere=${this.sphere}
              @facet-share-closed=${(e: CustomEvent<{ shared: boolean }>) => {
                this.sharing = false
                if (e.detail.shared) {
                  this.version++
                  this.dispatchEvent(new CustomEvent('facet-shared', { bubbles: true, composed: true }))
                }
              }}
            ></facet-share-dialog>`
          : nothing
      }
    </section>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sphere-matches': SphereMatches
  }
}
