import { Task } from '@lit/task'
import { css, html, LitElement, nothing } from 'lit'
import { customElement, property, query, state } from 'lit/decorators.js'
import { api, errorMessage } from './api.js'
import { clock, day, shortDay } from './format.js'
import { shared } from './styles.js'
import type { SphereInvite, SphereMember, SphereMembers, SphereRemoval, SphereSummary } from './types.js'
import './sphere-feed.js'
import './sphere-matches.js'
import './sphere-requests.js'

const EXPIRIES = [
  [60 * 60 * 1000, 'one hour'],
  [24 * 60 * 60 * 1000, 'one day'],
  [7 * 24 * 60 * 60 * 1000, 'one week']
] as const

/** Where the sphere's key stands on this device, in a person's words. */
function keyLine(s: SphereSummary): string {
  if (s.leftBehind) return 'The sphere moved to a new key without you.'
  const key =
    s.epoch === 0 ? 'Its key was never rotated.' : `Its key was rotated ${shortDay(s.rotated ?? 0)} (key ${s.epoch}).`
  return s.pending
    ? `${key} This device waits for a member's device to admit it under the new key; until then it reads but does not write.`
    : key
}

/** One sphere: its feed and post box, the people to work with, its members (admins marked), invites, and leaving it. */
@customElement('sphere-detail')
export class SphereDetail extends LitElement {
  static override styles = [
    shared,
    css`
      header {
        margin-bottom: 1rem;
      }
      header h3 {
        font-size: 1.45rem;
        margin: 0;
        overflow-wrap: anywhere;
      }
      .sub {
        color: var(--muted);
        font-size: 0.92rem;
      }
      header .sub {
        margin: 0.15rem 0 0;
      }
      span.sub {
        font-size: 0.86rem;
      }
      ul.members {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      ul.members li {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem 0.75rem;
        align-items: center;
        padding: 0.5rem 0;
        border-bottom: 1px solid var(--line);
      }
      ul.members li:last-child {
        border-bottom: 0;
      }
      .who {
        flex: 1 1 12rem;
        min-width: 0;
      }
      .who strong {
        font-weight: 500;
      }
      .mark {
        font-size: 0.78rem;
        padding: 0.05rem 0.5rem;
        border-radius: 999px;
        border: 1px solid var(--line-strong);
        margin-left: 0.35rem;
        white-space: nowrap;
      }
      .mark.admin {
        border-color: var(--accent);
        color: var(--accent-strong);
      }
      .key {
        font-family: ui-monospace, 'DejaVu Sans Mono', monospace;
        font-size: 0.82rem;
        color: var(--muted);
      }
      .code {
        font-family: ui-monospace, 'DejaVu Sans Mono', monospace;
        font-size: 0.9rem;
        word-break: break-all;
        height: auto;
        resize: none;
      }
      .invite {
        display: grid;
        gap: 0.6rem;
        margin-top: 0.9rem;
      }
      .status {
        min-height: 1.5em;
        margin: 0;
        font-size: 0.92rem;
      }
      .leave {
        color: var(--danger);
      }
      .notice {
        margin: 0 0 1rem;
      }
    `
  ]

  @property({ attribute: false }) accessor sphere!: SphereSummary
  /** This person's identity key, to mark "you" among the members. */
  @property({ attribute: false }) accessor me: string | null = null
  @property({ type: Boolean }) accessor online = false
  @state() accessor invite: SphereInvite | null = null
  @state() accessor inviting = false
  @state() accessor copied: string | null = null
  @state() accessor error: string | null = null
  /** What the last removal did (the key rotation with it). */
  @state() accessor notice: string | null = null
  @state() accessor removing: SphereMember | null = null
  @state() accessor version = 0
  @query('#leave-dialog') accessor leaveDialog!: HTMLDialogElement
  @query('#remove-dialog') accessor removeDialog!: HTMLDialogElement

  private readonly members = new Task(this, {
    task: async ([key], { signal }) =>
      api.get<SphereMembers>(`/spheres/${encodeURIComponent(key)}/members`, {}, signal),
    args: () => [this.sphere.key, this.version] as const
  })

  override willUpdate(changed: Map<string, unknown>): void {
    const previous = changed.get('sphere') as SphereSummary | undefined
    if (previous && previous.key !== this.sphere.key) {
      this.invite = null
      this.copied = null
      this.error = null
      this.notice = null
    }
  }

  private changed() {
    this.version++
    this.dispatchEvent(new CustomEvent('sphere-changed', { bubbles: true, composed: true }))
  }

  private async makeInvite(event: Event) {
    event.preventDefault()
    const form = new FormData(event.target as HTMLFormElement)
    const expiresIn = Number(form.get('expires'))
    const approve = form.get('approve') === 'on'
    this.inviting = true
    this.error = null
    this.copied = null
    try {
      this.invite = await api.post<SphereInvite>(`/spheres/${this.sphere.key}/invites`, { expiresIn, approve })
      this.changed()
    } catch (err) {
      this.error = errorMessage(err)
    } finally {
      this.inviting = false
    }
  }

  private async copy(code: string) {
    try {
      await navigator.clipboard.writeText(code)
      this.copied = 'Copied.'
    } catch {
      // No clipboard permission (or not a secure context): leave it selected for Ctrl+C.
      const field = this.renderRoot.querySelector<HTMLTextAreaElement>('#invite-code-out')
      field?.focus()
      field?.select()
      this.copied = 'Selected: press Ctrl+C (⌘C) to copy it.'
    }
  }

  private async removeMember(member: SphereMember) {
    this.removeDialog.close()
    this.error = null
    this.notice = null
    try {
      const removal = await api.delete<SphereRemoval>(`/spheres/${this.sphere.key}/members/${member.member}`)
      this.notice = `Removed ${member.name}. The sphere's key was rotated: what is shared from now on is under key ${removal.epoch}, which they never receive. Members' devices follow it by themselves.`
      this.changed()
    } catch (err) {
      this.error = errorMessage(err)
    } finally {
      this.removing = null
    }
  }

  private async leave() {
    this.leaveDialog.close()
    this.error = null
    try {
      await api.post(`/spheres/${this.sphere.key}/leave`)
      this.dispatchEvent(new CustomEvent('sphere-left', { bubbles: true, composed: true }))
    } catch (err) {
      this.error = errorMessage(err)
    }
  }

  private renderMembers() {
    const m = this.members.value
    if (this.members.error) return html`<p class="error" role="alert">${errorMessage(this.members.error)}</p>`
    if (!m) return html`<p class="placeholder">Loading…</p>`
    const iAmAdmin = m.members.some((x) => x.member === this.me && x.admin)
    return html`<ul class="members">
      ${m.members.map(
        (x) => html`<li>
          <span class="who">
            <strong>${x.name}</strong>${x.member === this.me ? html`<span class="mark">you</span>` : nothing}${
              x.admin ? html`<span class="mark admin">admin</span>` : nothing
            }
            <br /><span class="key" title=${x.member}>${x.member.slice(0, 12)}</span>
            <span class="sub">· since ${shortDay(x.since)} · ${
              x.writers.length === 0
                ? 'holds the new key; their device is not admitted yet'
                : `${x.writers.length} ${x.writers.length === 1 ? 'device' : 'devices'}`
            }</span>
          </span>
          ${
            iAmAdmin && x.member !== this.me && this.sphere.writable
              ? html`<button
                  class="quiet"
                  aria-label=${`Remove ${x.name}…`}
                  @click=${() => {
                    this.removing = x
                    this.removeDialog.showModal()
                  }}
                >
                  Remove…
                </button>`
              : nothing
          }
        </li>`
      )}
    </ul>
    ${
      m.rejected.length
        ? html`<p class="sub">${m.rejected.length} ${m.rejected.length === 1 ? 'envelope was' : 'envelopes were'} refused by
            the sphere's rules (forged, or not from a member).</p>`
        : nothing
    }`
  }

  private renderInvite() {
    const invite = this.invite
    return html`<form class="row" @submit=${this.makeInvite}>
        <div class="field">
          <label for="invite-expires">Valid for</label>
          <select id="invite-expires" name="expires">
            ${EXPIRIES.map(([ms, label]) => html`<option value=${ms} ?selected=${label === 'one day'}>${label}</option>`)}
          </select>
        </div>
        <label class="check">
          <input type="checkbox" name="approve" />
          I approve whoever uses it before they join
        </label>
        <button type="submit" ?disabled=${this.inviting || !this.sphere.writable}>
          ${this.inviting ? 'Making…' : 'Make an invite code'}
        </button>
      </form>
      ${
        invite
          ? html`<div class="invite">
              <label for="invite-code-out">Give this one-time code to the person you invite</label>
              <textarea id="invite-code-out" class="code" rows="3" readonly .value=${invite.code}></textarea>
              <div class="buttons">
                <button class="primary" @click=${() => this.copy(invite.code)}>Copy the code</button>
                <span class="status" role="status">${this.copied ?? ''}</span>
              </div>
              <p class="sub">
                It works once, until ${day(invite.expires)}, ${clock(invite.expires)}.
                ${
                  invite.approve
                    ? 'When they ask to join, their request shows here, under “Asking to join”: they become members only once you approve them.'
                    : ''
                }
                ${
                  invite.online
                    ? invite.approve
                      ? 'This device is online and holds their request for you.'
                      : 'This device is online and will admit them.'
                    : 'They can join only while this device is online, and it is offline (see above).'
                }
              </p>
            </div>`
          : nothing
      }`
  }

  override render() {
    const s = this.sphere
    return html`
      <header>
        <h3 id="sphere-title">${s.name}</h3>
        <p class="sub">
          ${s.members} ${s.members === 1 ? 'member' : 'members'} · ${s.role === 'creator' ? 'you created it' : 'you joined'}
          ${shortDay(s.joined)} · ${s.items} ${s.items === 1 ? 'item' : 'items'} shared or posted
          ${s.writable || s.pending ? '' : ' · you are no longer a member: you see what arrived before'}
        </p>
        <p class="sub" id="sphere-key">${keyLine(s)}</p>
        ${s.keyProblem ? html`<p class="error" role="alert">The newest key could not be followed: ${s.keyProblem}</p>` : nothing}
      </header>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
      <sphere-requests .sphere=${s} .online=${this.online} @requests-changed=${() => this.changed()}></sphere-requests>
      <sphere-feed .sphere=${s} .me=${this.me} .online=${this.online} @feed-changed=${() => this.changed()}></sphere-feed>
      <sphere-matches .sphere=${s} .online=${this.online} @facet-shared=${() => this.changed()}></sphere-matches>
      <section class="card" aria-labelledby="members-title">
        <h3 id="members-title">Members</h3>
        ${this.renderMembers()}
      </section>
      <section class="card" aria-labelledby="invite-title">
        <h3 id="invite-title">Invite someone</h3>
        <p class="sub">
          A code admits one person. Whoever holds it joins while this device is online, at once or, if you choose, once
          you approve them; what they see from then on is what members share here.
        </p>
        ${this.renderInvite()}
      </section>
      <section class="card" aria-labelledby="leave-title">
        <h3 id="leave-title">Leave</h3>
        <p class="sub">
          Leaving deletes this sphere's keys and clears its data from this device; the others move it to a new key you
          never receive. What you shared stays with its members.
        </p>
        <button class="leave" @click=${() => this.leaveDialog.showModal()}>Leave ${s.name}…</button>
      </section>
      <dialog id="leave-dialog" aria-labelledby="leave-dialog-title">
        <h3 id="leave-dialog-title">Leave ${s.name}?</h3>
        <p>Its key and everything it holds are deleted from this device. What you shared stays with its members.</p>
        <div class="buttons">
          <button class="primary" @click=${this.leave}>Leave it</button>
          <button @click=${() => this.leaveDialog.close()}>Stay</button>
        </div>
      </dialog>
      <dialog id="remove-dialog" aria-labelledby="remove-dialog-title" @close=${() => (this.removing = null)}>
        <h3 id="remove-dialog-title">Remove ${this.removing?.name ?? 'this member'}?</h3>
        <p>
          They get nothing new from now on: the sphere moves to a new key that only the members who stay receive. What
          they already received stays with them.
        </p>
        <div class="buttons">
          <button class="primary" @click=${() => this.removing && this.removeMember(this.removing)}>Remove them</button>
          <button @click=${() => this.removeDialog.close()}>Keep them</button>
        </div>
      </dialog>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'sphere-detail': SphereDetail
  }
}
