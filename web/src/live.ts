import { token } from './api.js'

export interface ChangeDetail {
  kind: 'append' | 'reset'
  events: { seq: number; id: string; type: string; time: number }[]
}

/**
 * Listens to the server's event stream and tells every view, through one window event
 * (`cosmic-change`), that the journal changed. EventSource reconnects by itself.
 */
export function startLiveUpdates(onState: (connected: boolean) => void): () => void {
  const source = new EventSource(`/api/stream?token=${encodeURIComponent(token())}`)
  const emit = (detail: ChangeDetail) =>
    window.dispatchEvent(new CustomEvent<ChangeDetail>('cosmic-change', { detail }))
  source.addEventListener('ready', () => onState(true))
  source.addEventListener('append', (e) => {
    const data = JSON.parse((e as MessageEvent<string>).data) as { events: ChangeDetail['events'] }
    emit({ kind: 'append', events: data.events })
  })
  source.addEventListener('reset', () => emit({ kind: 'reset', events: [] }))
  source.addEventListener('error', () => onState(false))
  return () => source.close()
}

/** Calls `listener` on every change; returns the unsubscribe (call it in disconnectedCallback). */
export function onChange(listener: (detail: ChangeDetail) => void): () => void {
  const handler = (e: Event) => listener((e as CustomEvent<ChangeDetail>).detail)
  window.addEventListener('cosmic-change', handler)
  return () => window.removeEventListener('cosmic-change', handler)
}
