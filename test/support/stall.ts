import { expect } from 'chai';
import type { ThreadedPlayout } from '../../server/playout/threaded-playout.ts';
import type { RoomNarrator } from '../../server/narration/room-narrator.ts';
import type { NarrationReport } from '../../server/narration/narration.ts';

/**
 * Starts a narration and, the moment `started()` says its first chunk went to the engine's worker,
 * blocks this thread (the game loop) for `stallMs`; returns the audio that reached the room's FIFO
 * meanwhile (ThreadedPlayout.receivedMs, shared memory), ms, and the narration's report. Prints the
 * figure. Only audio that does not need this thread can arrive during the stall (issue 13).
 */
export async function receivedDuringStall(opts: {
  playout: ThreadedPlayout;
  roomId: string;
  narrator: RoomNarrator;
  text: string;
  started: () => boolean;
  stallMs: number;
}): Promise<{ grewMs: number; report: Promise<NarrationReport> }> {
  const { playout, roomId, stallMs } = opts;
  const n = opts.narrator.narrate(opts.text, { trigger: 'test', priority: 'queue', receivedAtMs: Date.now() });
  const until = Date.now() + 20_000;
  while (!opts.started() && Date.now() < until) await new Promise(setImmediate);
  expect(opts.started(), 'the first chunk went to the engine worker').to.equal(true);
  const before = playout.receivedMs(roomId);
  const end = performance.now() + stallMs;
  while (performance.now() < end) {
    // The game loop stalls: no message reaches this thread.
  }
  const grewMs = playout.receivedMs(roomId) - before;
  console.log(`      ${roomId}: ${Math.round(grewMs)} ms of audio reached the FIFO during a ${stallMs} ms stall of the main thread`);
  return { grewMs, report: n.done };
}
