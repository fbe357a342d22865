import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Tooltip
} from 'chart.js'

// Only the parts of Chart.js the views use, so the bundle stays small.
Chart.register(
  LineController,
  ScatterController,
  BarController,
  LineElement,
  PointElement,
  BarElement,
  LinearScale,
  CategoryScale,
  Filler,
  Legend,
  Tooltip
)
Chart.defaults.font.family = getComputedStyle(document.documentElement).getPropertyValue('--ui-font') || 'system-ui'
Chart.defaults.color = '#6a6257'
Chart.defaults.borderColor = '#e6ddcd'
// Calm: no animation, nothing moves after it is drawn.
Chart.defaults.animation = false

export { Chart }

/** A soft, distinguishable palette for series (themes, moods). */
export const SERIES_COLORS = ['#56707f', '#c07a5a', '#7d9a6b', '#a07bb0', '#c9a24a', '#5f9ea0', '#b36b7a', '#8a8270']
