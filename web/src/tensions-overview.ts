import { css, html, LitElement, type PropertyValues } from 'lit'
import { customElement, property, query } from 'lit/decorators.js'
import { Chart, SERIES_COLORS } from './charts.js'
import { percent, shortDay } from './format.js'
import { shared } from './styles.js'
import type { TensionDetail } from './types.js'

/**
 * Every tension at once (Chart.js): one stepped line each, from the day it was noted,
 * its shifts as triangles, its resolution as a star where the line ends. Choosing a
 * line's legend entry hides it; the list beside the chart opens one tension.
 */
@customElement('tensions-overview')
export class TensionsOverview extends LitElement {
  static override styles = [
    shared,
    css`
      .frame {
        position: relative;
        width: 100%;
        aspect-ratio: 16 / 6;
        min-height: 13rem;
      }
      canvas {
        width: 100% !important;
        height: 100% !important;
      }
    `
  ]

  @property({ attribute: false }) accessor details: TensionDetail[] = []
  @query('canvas') accessor canvas!: HTMLCanvasElement
  private chart: Chart | null = null

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.chart?.destroy()
    this.chart = null
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('details')) this.draw()
  }

  private draw() {
    if (!this.canvas || this.details.length === 0) return
    const now = Date.now()
    const datasets = this.details.map((d, i) => {
      const color = SERIES_COLORS[i % SERIES_COLORS.length]!
      const points = d.series.map((p) => ({ x: p.time, y: p.intensity }))
      const last = d.series.at(-1)
      if (last && last.kind !== 'resolved') points.push({ x: now, y: last.intensity })
      return {
        type: 'line' as const,
        label: d.tension.name,
        data: points,
        stepped: 'before' as const,
        borderColor: color,
        backgroundColor: color,
        borderWidth: 2,
        pointStyle: d.series.map((p) =>
          p.kind === 'resolved' ? 'star' : p.kind === 'shifted' ? 'triangle' : 'circle'
        ),
        pointRadius: [...d.series.map((p) => (p.kind === 'resolved' ? 9 : 4)), 0]
      }
    })
    const first = Math.min(...this.details.map((d) => d.series[0]?.time ?? now))
    const options = {
      maintainAspectRatio: false,
      responsive: true,
      parsing: false as const,
      scales: {
        x: {
          type: 'linear' as const,
          min: first - 86_400_000 * 3,
          max: now + 86_400_000 * 3,
          ticks: { maxTicksLimit: 7, callback: (value: number | string) => shortDay(Number(value)) }
        },
        y: { min: 0, max: 1, ticks: { stepSize: 0.25, callback: (value: number | string) => percent(Number(value)) } }
      },
      plugins: {
        legend: { position: 'bottom' as const, labels: { usePointStyle: true, boxWidth: 8 } },
        tooltip: {
          callbacks: {
            label: (ctx: { dataset: { label?: string }; parsed: { x: number | null; y: number | null } }) =>
              `${ctx.dataset.label}: ${percent(ctx.parsed.y ?? 0)} on ${shortDay(ctx.parsed.x ?? 0)}`
          }
        }
      }
    }
    if (this.chart) {
      this.chart.data = { datasets } as never
      this.chart.options = options as never
      this.chart.update()
    } else this.chart = new Chart(this.canvas, { type: 'line', data: { datasets } as never, options: options as never })
    this.dataset.drawn = 'true'
  }

  override render() {
    return html`<div class="frame">
      <canvas
        role="img"
        aria-label=${`Intensity of every tension over time: ${this.details.map((d) => `${d.tension.name} ${d.tension.status === 'resolved' ? 'resolved' : `now ${percent(d.tension.intensity)}`}`).join('; ')}`}
      ></canvas>
    </div>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tensions-overview': TensionsOverview
  }
}
