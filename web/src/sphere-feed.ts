import { Task } from '@lit/task'
import { css, html, LitElement, nothing } from 'lit'
import { customElement, property, state } from 'lit/decorators.js'
import { api, errorMessage } from './api.js'
import { clock, shortDay } from './format.js'
import { onChange } from './live.js'
import { shared } from './styles.js'
import type { FeedItem, NamedCount, SphereSummary } from './types.js'

const LIMIT = 50
/** A sphere changes when a peer writes, which the journal's live stream does not see: look again now and then. */
const POLL_MS = 15_000

type EntryBody = { text: string; tags: string[]; mood?: string; dimension?: string; written: number }
type SummaryBody = { from: number; to: number; entries: number; themes: NamedCount[]; emotions: NamedCount[] }
type PostBody = { text: string; replyTo?: string }

/** A sphere's feed, newest first, with replies under what they answer, and the box to post in it. */
@customElement('sphere-feed')
export class SphereFeed extends LitElement {
  static override styles = [
    shared,
    css`
      form.post {
        display: grid;
        gap: 0.5rem;
      }
      form.post textarea {
        min-height: 5.2rem;
      }
      .note {
        font-size: 0.88rem;
        color: var(--muted);
        margin: 0;
      }
      .status {
        min-height: 1.5em;
        margin: 0;
        font-size: 0.92rem;
      }
      .feed {
        min-height: 8rem;
        margin-top: 0.5rem;
      }
      .feed > ol > li:last-child > article {
        border-bottom: 0;
        padding-bottom: 0;
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      article {
        padding: 0.9rem 0 1rem;
        border-bottom: 1px solid var(--line);
      }
      ol.replies {
        margin: 0.6rem 0 0 0.4rem;
        padding-left: 1rem;
        border-left: 3px solid var(--line);
      }
      ol.replies article {
        padding: 0.5rem 0;
        border-bottom: 0;
      }
      .meta {
        display: flex;
        flex-wrap: wrap;
        gap: 0.2rem 0.75rem;
        align-items: baseline;
        font-size: 0.88rem;
        color: var(--muted);
        margin-bottom: 0.3rem;
      }
      .meta strong {
        color: var(--ink);
        font-weight: 500;
      }
      .kind {
        font-size: 0.78rem;
        padding: 0.02rem 0.5rem;
        border-radius: 999px;
        border: 1px solid var(--line-strong);
      }
      .text {
        font-family: var(--serif);
        font-size: 1.08rem;
        line-height: 1.6;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        margin: 0 0 0.45rem;
      }
      .counts {
        margin: 0.2rem 0 0.4rem;
      }
      .chip b {
        font-weight: 600;
      }
      form.reply {
        display: grid;
        gap: 0.4rem;
        margin-top: 0.5rem;
      }
      .head {
        display: flex;
        flex-wrap: wrap;
        justify-content: space-between;
        align-items: baseline;
        gap: 0.5rem;
      }
      button.quiet {
        margin-left: -0.6rem;
      }
    `
  ]

  @property({ attribute: false }) accessor sphere!: SphereSummary
  @property({ attribute: false }) accessor me: string | null = null
  @property({ type: Boolean }) accessor online = false
  @state() accessor version = 0
  @state() accessor posting = false
  @state() accessor error: string | null = null
  @state() accessor note: string | null = null
  @state() accessor replyingTo: string | null = null
  private stopLive: (() => void) | null = null
  private timer: ReturnType<typeof setInterval> | undefined

  private readonly feed = new Task(this, {
    task: async ([key], { signal }) =>
      (await api.get<{ items: FeedItem[] }>(`/spheres/${encodeURIComponent(key)}/feed`, { limit: LIMIT }, signal))
        .items,
    args: () => [this.sphere.key, this.version] as const
  })

  override connectedCallback(): void {
    super.connectedCallback()
    this.stopLive = onChange(() => this.version++)
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
      this.replyingTo = null
      this.error = null
      this.note = null
    }
  }

  private async send(event: Event, replyTo?: string) {
    event.preventDefault()
    const form = event.target as HTMLFormElement
    const text = String(new FormData(form).get('text') ?? '').trim()
    if (!text) {
      this.error = replyTo ? 'Write a reply first.' : 'Write something first.'
      return
    }
    this.posting = true
    this.error = null
    this.note = null
    try {
      await api.post(`/spheres/${this.sphere.key}/posts`, { text, ...(replyTo ? { replyTo } : {}) })
      form.reset()
      this.replyingTo = null
      this.note = this.online
        ? 'Posted.'
        : 'Posted here; members receive it when this device is online with one of them.'
      this.version++
      this.dispatchEvent(new CustomEvent('feed-changed', { bubbles: true, composed: true }))
    } catch (err) {
      this.error = errorMessage(err)
    } finally {
      this.posting = false
    }
  }

  private author(item: FeedItem) {
    return item.author === this.me ? `${item.authorName} (you)` : item.authorName
  }

  private renderBody(item: FeedItem) {
    if (item.type === 'sphere.summary.shared') {
      const b = item.body as SummaryBody
      const counts = (label: string, list: NamedCount[]) =>
        list.length
          ? html`<ul class="chips counts" aria-label=${label}>
              ${list.slice(0, 12).map((c) => html`<li class="chip">${c.name} <b>${c.count}</b></li>`)}
            </ul>`
          : nothing
      return html`<p class="text">
          Pattern counts from ${shortDay(b.from)} to ${shortDay(b.to)}: ${b.entries}
          ${b.entries === 1 ? 'shareable entry' : 'shareable entries'} (counts only, no words).
        </p>
        ${counts('Themes', b.themes)} ${counts('Moods', b.emotions)}`
    }
    if (item.type === 'sphere.entry.shared') {
      const b = item.body as EntryBody
      return html`<p class="text">${b.text}</p>
        ${
          b.tags.length
            ? html`<ul class="chips" aria-label="Tags">
                ${b.tags.map((t) => html`<li class="chip">#${t}</li>`)}
              </ul>`
            : nothing
        }
        <p class="note">
          Written ${shortDay(b.written)}${b.mood ? `, feeling ${b.mood}` : ''}${b.dimension ? `, ${b.dimension}` : ''}
        </p>`
    }
    return html`<p class="text">${(item.body as PostBody).text}</p>`
  }

  private renderItem(item: FeedItem, replies: FeedItem[], orphan: boolean) {
    const kind =
      item.type === 'sphere.entry.shared'
        ? 'shared entry'
        : item.type === 'sphere.summary.shared'
          ? 'pattern summary'
          : orphan
            ? 'reply to an earlier item'
            : 'post'
    return html`<li>
      <article aria-label=${`${kind} by ${item.authorName}, ${shortDay(item.time)}`}>
        <div class="meta">
          <strong>${this.author(item)}</strong>
          <span class="kind">${kind}</span>
          <time datetime=${new Date(item.time).toISOString()}>${shortDay(item.time)} · ${clock(item.time)}</time>
        </div>
        ${this.renderBody(item)}
        ${
          replies.length
            ? html`<ol class="replies" aria-label="Replies">
                ${replies.map(
                  (r) => html`<li>
                    <article aria-label=${`reply by ${r.authorName}, ${shortDay(r.time)}`}>
                      <div class="meta">
                        <strong>${this.author(r)}</strong>
                        <time datetime=${new Date(r.time).toISOString()}>${shortDay(r.time)} · ${clock(r.time)}</time>
                      </div>
                      <p class="text">${(r.body as PostBody).text}</p>
                    </article>
                  </li>`
                )}
              </ol>`
            : nothing
        }
        ${this.sphere.writable ? this.renderReply(item) : nothing}
      </article>
    </li>`
  }

  private renderReply(item: FeedItem) {
    if (this.replyingTo !== item.id) {
      return html`<button class="quiet" @click=${() => (this.replyingTo = item.id)} aria-label=${`Reply to ${item.authorName}`}>
        Reply
      </button>`
    }
    return html`<form class="reply" @submit=${(e: Event) => this.send(e, item.id)}>
      <label for=${`reply-${item.id}`}>Your reply to ${item.authorName}</label>
      <textarea id=${`reply-${item.id}`} name="text" rows="2" maxlength="50000"></textarea>
      <div class="buttons">
        <button class="primary" type="submit" ?disabled=${this.posting}>Send reply</button>
        <button type="button" @click=${() => (this.replyingTo = null)}>Cancel</button>
      </div>
    </form>`
  }

  private renderFeed(items: FeedItem[]) {
    if (items.length === 0) {
      return html`<p class="placeholder">Nothing here yet. Post something, or share an entry from your journal.</p>`
    }
    const ids = new Set(items.map((i) => i.id))
    const repliesTo = new Map<string, FeedItem[]>()
    const top: FeedItem[] = []
    for (const item of items) {
      const replyTo = item.type === 'sphere.post' ? (item.body as PostBody).replyTo : undefined
      if (replyTo && ids.has(replyTo)) {
        const list = repliesTo.get(replyTo) ?? []
        list.unshift(item) // the feed is newest first; a conversation reads oldest first
        repliesTo.set(replyTo, list)
      } else top.push(item)
    }
    return html`<ol aria-label="Feed, newest first">
      ${top.map((item) =>
        this.renderItem(
          item,
          repliesTo.get(item.id) ?? [],
          item.type === 'sphere.post' && Boolean((item.body as PostBody).replyTo)
        )
      )}
    </ol>`
  }

  override render() {
    const items = this.feed.value
    return html`<section class="card" aria-labelledby="feed-title">
      <div class="head">
        <h3 id="feed-title">Feed</h3>
        <button class="quiet" @click=${() => this.version++}>Refresh</button>
      </div>
      ${
        this.sphere.writable
          ? html`<form class="post" @submit=${(e: Event) => this.send(e)}>
              <label for="post-text">Write to ${this.sphere.name}</label>
              <textarea id="post-text" name="text" rows="3" maxlength="50000"></textarea>
              <p class="note">A post goes to this sphere's members, not into your private journal.</p>
              <div class="buttons">
                <button class="primary" type="submit" ?disabled=${this.posting}>${this.posting ? 'Posting…' : 'Post'}</button>
                <span class="status ${this.error ? 'error' : ''}" role=${this.error ? 'alert' : 'status'}>
                  ${this.error ?? this.note ?? ''}
                </span>
              </div>
            </form>`
          : nothing
      }
      <div class="feed" aria-live="polite">
        ${
          this.feed.error
            ? html`<p class="error" role="alert">${errorMessage(this.feed.error)}</p>`
            : items
              ? this.renderFeed(items)
              : html`<p class="placeholder">Loading…</p>`
        }
      </div>
    </section>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sphere-feed': SphereFeed
  }
}
