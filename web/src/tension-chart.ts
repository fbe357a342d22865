import { css, html, LitElement, type PropertyValues } from 'lit'
import { customElement, property, query } from 'lit/decorators.js'
import { Chart } from './charts.js'
import { percent, shortDay } from './format.js'
import { shared } from './styles.js'
import type { TensionDetail } from './types.js'

/**
 * One tension's intensity over time (Chart.js): the line of its intensity, each shift
 * marked with a triangle and a resolution with a star, and the same series as a table
 * for screen readers and keyboards.
 */
@customElement('tension-chart')
export class TensionChart extends LitElement {
  static override styles = [
    shared,
    css`
      .frame {
        position: relative;
        width: 100%;
        aspect-ratio: 16 / 7;
        min-height: 14rem;
      }
      canvas {
        width: 100% !important;
        height: 100% !important;
      }
      details {
        margin-top: 0.75rem;
      }
      table {
        border-collapse: collapse;
        width: 100%;
        font-size: 0.92rem;
      }
      th,
      td {
        text-align: left;
        padding: 0.3rem 0.5rem;
        border-bottom: 1px solid var(--line);
      }
    `
  ]

  @property({ attribute: false }) accessor detail: TensionDetail | null = null
  @query('canvas') accessor canvas!: HTMLCanvasElement
  private chart: Chart | null = null

  override disconnectedCallback(): void {
    super.disconnectedCallback()
    this.chart?.destroy()
    this.chart = null
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('detail')) this.draw()
  }

  private draw() {
    const detail = this.detail
    if (!detail || !this.canvas) return
    const series = detail.series
    const point = (p: { time: number; intensity: number }) => ({ x: p.time, y: p.intensity })
    const last = series.at(-1)
    // While a tension is open its line runs on to today (or to the time it is shown as of).
    const end = detail.until ?? Date.now()
    const line = series.map(point)
    if (last && last.kind !== 'resolved' && end > last.time) line.push({ x: end, y: last.intensity })
    const data = {
      datasets: [
        {
          type: 'line' as const,
          label: 'Intensity',
          data: line,
          stepped: 'before' as const,
          borderColor: '#56707f',
          backgroundColor: 'rgba(86, 112, 127, 0.12)',
          fill: true,
          pointRadius: 0,
          borderWidth: 2
        },
        {
          type: 'scatter' as const,
          label: 'Noted',
          data: series.filter((p) => p.kind === 'noted').map(point),
          pointStyle: 'circle' as const,
          pointRadius: 6,
          backgroundColor: '#56707f'
        },
        {
          type: 'scatter' as const,
          label: 'Shifted',
          data: series.filter((p) => p.kind === 'shifted').map(point),
          pointStyle: 'triangle' as const,
          pointRadius: 7,
          backgroundColor: '#c07a5a'
        },
        {
          type: 'scatter' as const,
          label: 'Resolved',
          data: series.filter((p) => p.kind === 'resolved').map(point),
          pointStyle: 'star' as const,
          pointRadius: 11,
          borderWidth: 2,
          borderColor: '#4d7a55',
          backgroundColor: '#4d7a55'
        }
      ]
    }
    const first = series[0]?.time ?? end
    const options = {
      maintainAspectRatio: false,
      responsive: true,
      parsing: false as const,
      scales: {
        x: {
          type: 'linear' as const,
          min: first - 86_400_000 * 3,
          max: end + 86_400_000 * 3,
          ticks: { maxTicksLimit: 7, callback: (value: number | string) => shortDay(Number(value)) }
        },
        y: {
          min: 0,
          max: 1,
          ticks: { stepSize: 0.25, callback: (value: number | string) => percent(Number(value)) },
          title: { display: true, text: 'intensity' }
        }
      },
      plugins: {
        legend: { position: 'bottom' as const, labels: { usePointStyle: true } },
        tooltip: {
          callbacks: {
            label: (ctx: { dataset: { label?: string }; parsed: { x: number | null; y: number | null } }) =>
              `${ctx.dataset.label}: ${percent(ctx.parsed.y ?? 0)} on ${shortDay(ctx.parsed.x ?? 0)}`
          }
        }
      }
    }
    if (this.chart) {
      this.chart.data = data as never
      this.chart.options = options as never
      this.chart.update()
    } else {
      this.chart = new Chart(this.canvas, { type: 'line', data: data as never, options: options as never })
    }
    this.dataset.drawn = 'true'
  }

  override render() {
    const detail = this.detail
    const name = detail?.tension.name ?? 'tension'
    return html`
      <div class="frame">
        <canvas role="img" aria-label=${`Intensity of ${name} over time; the table below has the same points`}></canvas>
      </div>
      <details>
        <summary>The series as a table</summary>
        <table>
          <thead>
            <tr><th scope="col">Date</th><th scope="col">Moment</th><th scope="col">Intensity</th><th scope="col">Toward</th></tr>
          </thead>
          <tbody>
            ${(detail?.series ?? []).map(
              (p) => html`<tr>
                <td>${shortDay(p.time)}</td>
                <td>${p.kind}</td>
                <td>${percent(p.intensity)}</td>
                <td>${p.toward ?? ''}</td>
              </tr>`
            )}
          </tbody>
        </table>
      </details>
    `
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'tension-chart': TensionChart
  }
}
