/**
 * Assembly thread entry (started by ThreadedPlayout, see assembly-protocol.ts): every room's
 * {@link NarrationAssembler} — synthesized blocks put in chunk order and shaped (trim, pauses, join
 * fades, gain, true-peak limiter, loudness meters) — between the engine workers and the playout
 * thread. The limiter and meters cost ~4–6 ms of CPU per second of audio, and espeak-ng delivers a
 * chunk's seconds of audio in tens of ms: on the playout thread that burst would hold the frame
 * clock; here it only delays the chunk's own arrival in the FIFO, which is seconds ahead of its
 * playback anyway.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createLogger } from '../observability/log.ts';
import { nowMs } from '../threads/spawn-worker.ts';
import { BlockArrivals } from './block-arrivals.ts';
import { NarrationAssembler, type AssemblyTarget } from './narration-assembler.ts';
import type { AssembledMessage, FromAssembly, ToAssembly } from './assembly-protocol.ts';
import type { SourceMessage } from './playout-protocol.ts';

const port = parentPort!;
const log = createLogger((workerData as { logLevel: string }).logLevel, 'assembly');
const rooms = new Map<string, NarrationAssembler>();
const arrivals = new BlockArrivals();
let playout: MessagePort | null = null;

const post = (msg: FromAssembly): void => port.postMessage(msg);
const toPlayout = (msg: AssembledMessage, transfer: ArrayBuffer[] = []): void => playout?.postMessage(msg, transfer);

/** The room's FIFO on the playout thread, as the assembler sees it. */
function target(roomId: string, sampleRate: number): AssemblyTarget {
  return {
    roomId,
    sampleRate,
    beginNarration: () => undefined, // the main thread declares narrations to the playout thread itself, in order
    push: (narrationId, chunkIndex, samples) => {
      const transfer = samples.buffer instanceof ArrayBuffer ? [samples.buffer] : [];
      toPlayout({ type: 'push', roomId, narrationId, chunkIndex, samples, postedAtMs: nowMs() }, transfer);
    },
    endNarration: (narrationId) => toPlayout({ type: 'end-narration', roomId, narrationId }),
  };
}

function handle(msg: ToAssembly): void {
  const now = nowMs();
  switch (msg.type) {
    case 'link':
      playout = msg.port;
      return;
    case 'source':
      msg.port.on('message', (m: SourceMessage) => handle(m));
      return;
    case 'open':
      if (!rooms.has(msg.roomId)) rooms.set(msg.roomId, new NarrationAssembler(target(msg.roomId, msg.sampleRate), (event) => post({ type: 'event', event })));
      return;
    case 'close':
      rooms.delete(msg.roomId);
      return;
    case 'stats':
      post({ type: 'reply', id: msg.id, blocks: arrivals.stats(msg.blocksSince) });
      return;
    case 'block': {
      arrivals.note(now - msg.postedAtMs, msg.relayed === true);
      const room = rooms.get(msg.route.roomId);
      room?.block(msg.route, msg.samples, now); // none: late audio of a room that closed
      return;
    }
    case 'chunk-end':
      rooms.get(msg.route.roomId)?.endChunk(msg.route, now);
      return;
  }
  const room = rooms.get(msg.roomId);
  if (!room) return;
  switch (msg.type) {
    case 'begin': room.begin(msg.narrationId, now); break;
    case 'shape': room.shape(msg.narrationId, msg.params, now); break;
    case 'end': room.end(msg.narrationId, msg.chunks, now); break;
    case 'cancel': room.cancel(msg.narrationIds); break;
  }
}

port.on('message', (msg: ToAssembly) => {
  try {
    handle(msg);
  } catch (err) {
    // A bad message must not end the thread every room's audio goes through.
    log.error({ type: msg?.type, err }, 'assembly message failed');
  }
});
// Narrations only blocks ever spoke of are forgotten after a while.
setInterval(() => {
  for (const room of rooms.values()) room.expire(nowMs());
}, 1000).unref();
post({ type: 'ready' });
