/**
 * The k best candidates seen so far: a binary min-heap of size k whose root is the
 * worst kept candidate, so each offer costs one comparison unless it gets in.
 * Written by hand because it is thirty lines with a tie-break the heap packages
 * (heap-js, tinyqueue) would need wrapping for anyway: equal scores are ordered by
 * key so that results never depend on the order candidates were seen.
 */
export interface Candidate {
  readonly id: number
  readonly score: number
  /** Lower keys win ties. */
  readonly key: string
}

/** True when a ranks below b. */
function worse(a: Candidate, b: Candidate): boolean {
  return a.score < b.score || (a.score === b.score && a.key > b.key)
}

export class TopK {
  private readonly heap: Candidate[] = []

  constructor(readonly k: number) {}

  get size(): number {
    return this.heap.length
  }

  /** Whether a candidate with this score could get in (ties need the key: the caller offers them). */
  admits(score: number): boolean {
    return this.heap.length < this.k || score >= (this.heap[0] as Candidate).score
  }

  offer(candidate: Candidate): void {
    const heap = this.heap
    if (heap.length < this.k) {
      heap.push(candidate)
      this.up(heap.length - 1)
    } else if (this.k > 0 && worse(heap[0] as Candidate, candidate)) {
      heap[0] = candidate
      this.down(0)
    }
  }

  /** The kept candidates, best first. */
  sorted(): Candidate[] {
    return [...this.heap].sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0))
  }

  private up(i: number): void {
    const heap = this.heap
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!worse(heap[i] as Candidate, heap[parent] as Candidate)) return
      ;[heap[i], heap[parent]] = [heap[parent] as Candidate, heap[i] as Candidate]
      i = parent
    }
  }

  private down(i: number): void {
    const heap = this.heap
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let smallest = i
      if (left < heap.length && worse(heap[left] as Candidate, heap[smallest] as Candidate)) smallest = left
      if (right < heap.length && worse(heap[right] as Candidate, heap[smallest] as Candidate)) smallest = right
      if (smallest === i) return
      ;[heap[i], heap[smallest]] = [heap[smallest] as Candidate, heap[i] as Candidate]
      i = smallest
    }
  }
}
