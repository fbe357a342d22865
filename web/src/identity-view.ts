import { Task } from '@lit/task'
import { css, html, LitElement, nothing } from 'lit'
import { customElement, state } from 'lit/decorators.js'
import { ApiError, api } from './api.js'
import { KIND_COLORS, shortDay } from './format.js'
import { onChange } from './live.js'
import { shared } from './styles.js'
import type { GraphNode, IdentityGraph } from './types.js'
import './identity-graph.js'

const LEGEND = ['value', 'skill', 'interest', 'project', 'person', 'emotion', 'body', 'theme', 'tension']

/** Identity: the graph of who you are (values, skills, people, feelings, themes, tensions), by mind, heart and body. */
@customElement('identity-view')
export class IdentityView extends LitElement {
  static override styles = [
    shared,
    css`
      .layout {
        display: flex;
        flex-wrap: wrap;
        gap: 1.25rem;
        align-items: flex-start;
      }
      .graph {
        flex: 3 1 30rem;
        min-width: 0;
      }
      aside {
        flex: 1 1 15rem;
        min-width: 0;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        gap: 0.35rem 0.9rem;
        list-style: none;
        padding: 0;
        margin: 0.75rem 0 0;
        font-size: 0.85rem;
        color: var(--muted);
      }
      .swatch {
        display: inline-block;
        width: 0.75rem;
        height: 0.75rem;
        border-radius: 50%;
        margin-right: 0.3rem;
        vertical-align: -0.05rem;
        border: 1px solid #b9ab92;
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        align-items: center;
        justify-content: space-between;
        margin-bottom: 1rem;
      }
      .node {
        margin-top: 1.25rem;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.25rem 0.8rem;
        margin: 0.75rem 0 0;
      }
      dt {
        color: var(--muted);
      }
      dd {
        margin: 0;
      }
    `
  ]

  @state() accessor dimension = ''
  @state() accessor selected: string | null = null
  @state() accessor version = 0
  private stopLive: (() => void) | null = null

  private readonly graph = new Task(this, {
    task: async ([dimension], { signal }) =>
      api.get<{ graph: IdentityGraph }>('/graph', { dimension: dimension || undefined }, signal),
    args: () => [this.dimension, this.version] as const
  })

  override connectedCallback(): void {
    super.connectedCallback()
    this.stopLive = onChange(() => this.version++)
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.stopLive?.()
  }

  private renderNode(node: GraphNode | undefined, graph: IdentityGraph) {
    if (!node)
      return html`<p class="placeholder">Choose a node, in the graph or the list, to see what it is linked to.</p>`
    const links = graph.edges
      .filter((e) => e.source === node.id || e.target === node.id)
      .sort((a, b) => b.weight - a.weight)
      .slice(0, 8)
    const label = new Map(graph.nodes.map((n) => [n.id, n.label]))
    return html`<h3>${node.label}</h3>
      <dl>
        <dt>Kind</dt>
        <dd>${node.kind}${node.dimension ? ` · ${node.dimension}` : ''}${node.status ? ` · ${node.status}` : ''}</dd>
        <dt>Weight</dt>
        <dd>${Number(node.weight.toFixed(2))}</dd>
        ${node.first ? html`<dt>First</dt><dd>${shortDay(node.first)}</dd>` : nothing}
        ${node.last ? html`<dt>Last</dt><dd>${shortDay(node.last)}</dd>` : nothing}
      </dl>
      ${
        links.length
          ? html`<p class="muted" style="margin-top:0.75rem">Linked most to</p>
              <ul class="chips">
                ${links.map((e) => html`<li class="chip">${label.get(e.source === node.id ? e.target : e.source)}</li>`)}
              </ul>`
          : nothing
      }`
  }

  override render() {
    const graph = this.graph.value?.graph
    const error = this.graph.error
    const nodes = graph ? [...graph.nodes].sort((a, b) => b.weight - a.weight) : []
    return html`
      <h2>Identity</h2>
      <p class="lede">Who you are, as your journal tells it: values, skills, people, feelings, themes and tensions, and how they link.</p>
      ${error ? html`<p class="error" role="alert">${error instanceof ApiError ? error.detail : String(error)}</p>` : nothing}
      <div class="toolbar">
        <fieldset>
          <legend class="sr-only">Show</legend>
          <div class="segmented" @change=${(e: Event) => {
            this.dimension = (e.target as HTMLInputElement).value
            this.selected = null
          }}>
            ${[
              ['', 'Everything'],
              ['mind', 'Mind'],
              ['heart', 'Heart'],
              ['body', 'Body']
            ].map(
              ([value, title]) =>
                html`<label><input type="radio" name="dimension" value=${value!} ?checked=${this.dimension === value} /><span>${title}</span></label>`
            )}
          </div>
        </fieldset>
        <span class="muted" aria-live="polite">${graph ? `${graph.nodes.length} nodes, ${graph.edges.length} links` : 'Loading…'}</span>
      </div>
      <div class="layout">
        <section class="card graph" aria-label="Graph">
          <identity-graph
            .graph=${graph ?? null}
            .selected=${this.selected}
            @node-selected=${(e: CustomEvent<string>) => (this.selected = e.detail)}
          ></identity-graph>
          <ul class="legend" aria-label="Colours">
            ${LEGEND.map((k) => html`<li><span class="swatch" style="background:${KIND_COLORS[k]}"></span>${k}</li>`)}
          </ul>
        </section>
        <aside class="card">
          <div class="field">
            <label for="nodes">Nodes, heaviest first</label>
            <select id="nodes" size="10" @change=${(e: Event) => (this.selected = (e.target as HTMLSelectElement).value)}>
              ${nodes.map((n) => html`<option value=${n.id} ?selected=${this.selected === n.id}>${n.label} (${n.kind})</option>`)}
            </select>
          </div>
          <div class="node" aria-live="polite">${
            graph
              ? this.renderNode(
                  graph.nodes.find((n) => n.id === this.selected),
                  graph
                )
              : nothing
          }</div>
        </aside>
      </div>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'identity-view': IdentityView
  }
}
