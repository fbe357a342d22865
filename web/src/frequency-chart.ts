import { css, html, LitElement, type PropertyValues } from 'lit'
import { customElement, property, query } from 'lit/decorators.js'
import { Chart, SERIES_COLORS } from './charts.js'
import { shared } from './styles.js'
import type { Count } from './types.js'

export interface FrequencyBucket {
  bucket: string
  counts: Count[]
}

/** How often each of the top keys (themes or moods) came up per week or month: stacked bars (Chart.js), and a table. */
@customElement('frequency-chart')
export class FrequencyChart extends LitElement {
  static override styles = [
    shared,
    css`
      .frame {
        position: relative;
        width: 100%;
        aspect-ratio: 16 / 7;
        min-height: 13rem;
      }
      canvas {
        width: 100% !important;
        height: 100% !important;
      }
      table {
        border-collapse: collapse;
        font-size: 0.88rem;
        width: 100%;
      }
      th,
      td {
        padding: 0.25rem 0.45rem;
        border-bottom: 1px solid var(--line);
        text-align: right;
      }
      th:first-child,
      td:first-child {
        text-align: left;
      }
      .table {
        overflow-x: auto;
      }
    `
  ]

  @property({ attribute: false }) accessor buckets: FrequencyBucket[] = []
  @property({ attribute: false }) accessor keys: string[] = []
  @property() accessor label = 'mentions'
  @query('canvas') accessor canvas!: HTMLCanvasElement
  private chart: Chart | null = null

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.chart?.destroy()
    this.chart = null
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('buckets') || changed.has('keys')) this.draw()
  }

  private countOf(bucket: FrequencyBucket, key: string): number {
    return bucket.counts.find((c) => c.key === key)?.count ?? 0
  }

  private draw() {
    if (!this.canvas) return
    // Oldest on the left.
    const buckets = [...this.buckets].reverse()
    const data = {
      labels: buckets.map((b) => b.bucket),
      datasets: this.keys.map((key, i) => ({
        label: key,
        data: buckets.map((b) => this.countOf(b, key)),
        backgroundColor: SERIES_COLORS[i % SERIES_COLORS.length],
        borderRadius: 3,
        stack: 'all'
      }))
    }
    const options = {
      maintainAspectRatio: false,
      responsive: true,
      scales: {
        x: { stacked: true, grid: { display: false } },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: this.label } }
      },
      plugins: { legend: { position: 'bottom' as const, labels: { boxWidth: 12 } } }
    }
    if (this.chart) {
      this.chart.data = data
      this.chart.options = options as never
      this.chart.update()
    } else this.chart = new Chart(this.canvas, { type: 'bar', data, options: options as never })
    this.dataset.drawn = 'true'
  }

  override render() {
    const buckets = [...this.buckets].reverse()
    return html`<div class="frame">
        <canvas role="img" aria-label=${`${this.label} per period for ${this.keys.join(', ')}; the table below has the numbers`}></canvas>
      </div>
      <details>
        <summary>The numbers</summary>
        <div class="table">
          <table>
            <thead>
              <tr><th scope="col">Period</th>${this.keys.map((k) => html`<th scope="col">${k}</th>`)}</tr>
            </thead>
            <tbody>
              ${buckets.map(
                (b) =>
                  html`<tr><th scope="row">${b.bucket}</th>${this.keys.map((k) => html`<td>${this.countOf(b, k)}</td>`)}</tr>`
              )}
            </tbody>
          </table>
        </div>
      </details>`
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'frequency-chart': FrequencyChart
  }
}
