/** Human-readable pieces shared by command renderers. */

export function shortId(id: string): string {
  return id.slice(0, 8)
}

export function formatTime(ms: number): string {
  const d = new Date(ms)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

export function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((line) => by + line)
    .join('\n')
}

export function bar(value: number, width = 10): string {
  const filled = Math.round(Math.max(0, Math.min(1, value)) * width)
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`
}
