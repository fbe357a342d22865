// The worker thread of EnvelopeWorker (envelope-worker.ts): decodes stored blocks and seals
// drafts with the functions of src/events, beside the main thread that appends and projects.
// It holds no storage and no state between requests; every request gets exactly one reply.
import { parentPort, workerData } from 'node:worker_threads'
import { CosmicError } from '../errors.js'
import { type Draft, decodeBlock, encodeBlock, sealEvent } from '../events/envelope.js'
import { type ProjectedEvent, projected } from '../projections/projection.js'
import type { DecodeRequest, Failure, SealRequest, ThreadReply, ThreadRequest } from './envelope-worker.js'

const port = parentPort
if (!port) throw new Error('envelope-thread runs in a worker thread')
const keyPair = (workerData as { keyPair: { publicKey: Uint8Array; secretKey: Uint8Array } | null }).keyPair

// Loaded (the codecs compiled): work handed over from now on is done here.
port.postMessage({ id: 0, ready: true })

port.on('message', (request: ThreadRequest) => {
  const reply = request.kind === 'decode' ? decode(request) : seal(request)
  const transfer = 'bytes' in reply && reply.bytes ? [reply.bytes.buffer as ArrayBuffer] : []
  if ('ids' in reply && reply.ids) transfer.push(reply.ids.buffer as ArrayBuffer)
  port.postMessage(reply, transfer)
})

function failure(index: number, err: unknown): Failure {
  return CosmicError.is(err)
    ? { index, code: err.code, detail: err.detail, data: err.data }
    : { index, code: null, detail: (err as Error)?.message ?? String(err), data: undefined }
}

/** Every block of the chunk decoded with every check (decodeBlock), as projections see it; null where cleared. */
function decode(request: DecodeRequest): ThreadReply {
  const { bytes, starts, ends } = request
  const events: (ProjectedEvent | null)[] = []
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i] as number
    if (start < 0) {
      events.push(null)
      continue
    }
    try {
      events.push(projected(decodeBlock(bytes.subarray(start, ends[i])), request.pos + i, request.device))
    } catch (err) {
      return { id: request.id, events, failed: failure(i, err) }
    }
  }
  return { id: request.id, events }
}

/** The drafts sealed in order from the given position (sealEvent, then encodeBlock): blocks and ids, packed. */
function seal(request: SealRequest): ThreadReply {
  if (!keyPair) return { id: request.id, failed: failure(0, new Error('this worker was started without a key')) }
  const blocks: Uint8Array[] = []
  const ids = new Uint8Array(32 * request.drafts.length)
  let prev = request.prev
  let size = 0
  for (let i = 0; i < request.drafts.length; i++) {
    try {
      const salt = request.salts?.[i]
      const event = sealEvent(
        request.drafts[i] as Draft,
        { seq: request.seq + i, time: request.times[i] as number, prev },
        keyPair,
        salt ? { salt } : {}
      )
      const block = encodeBlock(event)
      blocks.push(block)
      ids.set(event.id, 32 * i)
      size += block.byteLength
      prev = event.id
    } catch (err) {
      return { id: request.id, failed: failure(i, err) }
    }
  }
  const bytes = new Uint8Array(size)
  const ends = new Uint32Array(blocks.length)
  let at = 0
  for (let i = 0; i < blocks.length; i++) {
    bytes.set(blocks[i] as Uint8Array, at)
    at += (blocks[i] as Uint8Array).byteLength
    ends[i] = at
  }
  return { id: request.id, bytes, ends, ids }
}
