import cytoscape, { type Core, type ElementDefinition } from 'cytoscape'
import fcose from 'cytoscape-fcose'
import { css, html, LitElement, type PropertyValues } from 'lit'
import { customElement, property, query } from 'lit/decorators.js'
import { KIND_COLORS } from './format.js'
import type { GraphNode, IdentityGraph } from './types.js'

cytoscape.use(fcose)

/**
 * The identity graph drawn with Cytoscape.js (fCoSE layout): nodes coloured by kind
 * and sized by weight, edges as thick as they are heavy. Tapping a node selects it
 * (event `node-selected`); `selected` selects one from outside (the list beside it).
 */
@customElement('identity-graph')
export class IdentityGraphView extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    .canvas {
      width: 100%;
      height: var(--graph-height, 32rem);
      border-radius: 0.6rem;
      background: radial-gradient(circle at 50% 45%, #fffdf8, #f6f0e4);
      border: 1px solid var(--line);
    }
  `

  @property({ attribute: false }) accessor graph: IdentityGraph | null = null
  @property() accessor selected: string | null = null
  @property({ type: Boolean }) accessor compact = false
  @query('.canvas') accessor container!: HTMLDivElement
  private cy: Core | null = null

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.cy?.destroy()
    this.cy = null
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('graph')) this.draw()
    if (changed.has('selected') && this.cy) {
      this.cy.$(':selected').unselect()
      if (this.selected) {
        const node = this.cy.getElementById(this.selected)
        if (node.nonempty()) {
          node.select()
          this.cy.animate({ center: { eles: node } }, { duration: 250 })
        }
      }
    }
  }

  private elements(graph: IdentityGraph, positions: Map<string, { x: number; y: number }>): ElementDefinition[] {
    const max = Math.max(1, ...graph.nodes.filter((n) => n.kind !== 'self').map((n) => n.weight))
    const ids = new Set(graph.nodes.map((n) => n.id))
    // Only the heaviest nodes carry a label at first, so the picture reads; the rest show theirs when chosen or zoomed.
    const labelled = new Set(
      [...graph.nodes]
        .sort((a, b) => b.weight - a.weight)
        .slice(0, this.compact ? 14 : 36)
        .map((n) => n.id)
    )
    const size = (n: GraphNode) =>
      n.kind === 'self' ? 46 : n.kind === 'dimension' ? 34 : 16 + 30 * Math.sqrt(Math.min(1, n.weight / max))
    return [
      ...graph.nodes.map((n) => ({
        ...(positions.has(n.id) ? { position: { ...positions.get(n.id)! } } : {}),
        data: {
          id: n.id,
          label: n.label,
          kind: n.kind,
          size: size(n),
          color: KIND_COLORS[n.kind] ?? '#ddd',
          shown: labelled.has(n.id) || n.kind === 'self' || n.kind === 'dimension' ? 1 : 0,
          resolved: n.status === 'resolved' ? 1 : 0
        }
      })),
      ...graph.edges
        .filter((e) => ids.has(e.source) && ids.has(e.target))
        .map((e) => ({
          data: {
            id: `${e.source}|${e.target}|${e.kind}`,
            source: e.source,
            target: e.target,
            kind: e.kind,
            width: Math.min(7, 0.8 + Math.sqrt(e.weight))
          }
        }))
    ]
  }

  private draw() {
    const graph = this.graph
    if (!graph || !this.container) return
    // A redraw (a live change) keeps the nodes where they were, so nothing jumps.
    const positions = new Map<string, { x: number; y: number }>()
    this.cy?.nodes().forEach((n) => {
      positions.set(n.id(), n.position())
    })
    this.cy?.destroy()
    this.dataset.drawn = 'false'
    const cy = cytoscape({
      container: this.container,
      elements: this.elements(graph, positions),
      wheelSensitivity: 0.3,
      minZoom: 0.2,
      maxZoom: 3,
      style: [
        {
          selector: 'node',
          style: {
            width: 'data(size)',
            height: 'data(size)',
            'background-color': 'data(color)',
            'border-width': 1,
            'border-color': '#b9ab92',
            label: '',
            'font-size': this.compact ? 11 : 13,
            'font-family': 'system-ui, sans-serif',
            color: '#2c2924',
            'text-valign': 'bottom',
            'text-margin-y': 3,
            'text-wrap': 'ellipsis',
            'text-max-width': '120px',
            'text-background-color': '#fffcf6',
            'text-background-opacity': 0.7,
            'text-background-padding': '1px'
          }
        },
        { selector: 'node[shown = 1], node:selected', style: { label: 'data(label)' } },
        { selector: 'node[kind = "self"]', style: { 'font-size': 14, 'font-weight': 'bold', 'border-width': 2 } },
        { selector: 'node[kind = "dimension"]', style: { shape: 'round-rectangle', 'font-weight': 'bold' } },
        { selector: 'node[kind = "tension"]', style: { shape: 'diamond' } },
        { selector: 'node[resolved = 1]', style: { 'border-style': 'dashed', opacity: 0.7 } },
        {
          selector: 'edge',
          style: {
            width: 'data(width)',
            'line-color': '#cdbfa7',
            opacity: 0.35,
            'curve-style': 'haystack'
          }
        },
        { selector: 'node:selected', style: { 'border-width': 4, 'border-color': '#c98b3a' } },
        { selector: 'edge:selected', style: { 'line-color': '#c98b3a' } }
      ],
      layout: {
        name: 'fcose',
        animate: false,
        randomize: positions.size === 0,
        quality: 'default',
        nodeRepulsion: () => 60_000,
        idealEdgeLength: () => (this.compact ? 60 : 110),
        edgeElasticity: () => 0.2,
        gravity: 0.2,
        gravityRange: 2.5,
        numIter: 2500,
        nodeSeparation: 90,
        padding: 24
      } as cytoscape.LayoutOptions
    })
    cy.on('tap', 'node', (event) => {
      const id = event.target.id() as string
      this.dispatchEvent(new CustomEvent('node-selected', { detail: id, bubbles: true, composed: true }))
    })
    cy.ready(() => {
      this.dataset.drawn = 'true'
      this.dispatchEvent(new CustomEvent('graph-drawn', { bubbles: true, composed: true }))
    })
    this.cy = cy
  }

  override render() {
    return html`<div
      class="canvas"
      role="img"
      aria-label=${`Identity graph: ${this.graph?.nodes.length ?? 0} nodes, ${this.graph?.edges.length ?? 0} links. The list of nodes is beside it.`}
    ></div>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'identity-graph': IdentityGraphView
  }
}
