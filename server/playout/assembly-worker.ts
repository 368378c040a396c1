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
import { EarlyMessages } from './early-messages.ts';
import { NarrationAssembler, type AssemblyTarget } from './narration-assembler.ts';
import type { AssembledMessage, FromAssembly, ToAssembly } from './assembly-protocol.ts';
import type { SourceMessage } from './playout-protocol.ts';

const port = parentPort!;
const log = createLogger((workerData as { logLevel: string }).logLevel, 'assembly');
const rooms = new Map<string, NarrationAssembler>();
const arrivals = new BlockArrivals();
/** Audio that overtook its room's `open` (it comes over engine ports, the open over the main thread's). */
const early = new EarlyMessages<SourceMessage>();
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

/** A block or chunk end into its room's assembler; held while the room's `open` is on the way (dropped in 10 s if it closed). */
function assemble(msg: SourceMessage, now: number): void {
  const room = rooms.get(msg.route.roomId);
  if (!room) early.hold(msg.route.roomId, msg, msg.type === 'block' ? msg.samples.length : 0, now);
  else if (msg.type === 'block') room.block(msg.route, msg.samples, now);
  else room.endChunk(msg.route, now);
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
      for (const m of early.take(msg.roomId)) assemble(m, now);
      return;
    case 'close':
      rooms.delete(msg.roomId);
      early.take(msg.roomId);
      return;
    case 'stats':
      post({ type: 'reply', id: msg.id, blocks: arrivals.stats(msg.blocksSince) });
      return;
    case 'block':
      arrivals.note(now - msg.postedAtMs, msg.relayed === true);
      return assemble(msg, now);
    case 'chunk-end':
      return assemble(msg, now);
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
  const now = nowMs();
  for (const room of rooms.values()) room.expire(now);
  early.expire(now);
}, 1000).unref();
post({ type: 'ready' });
