import { nowMs } from '../../server/threads/spawn-worker.ts';
import { FRAME_MS } from '../../server/audio/pcm.ts';
import type { BenchPipeline } from '../pipeline.ts';
import { SHORT_TEXTS } from '../texts.ts';
import { sleep, seededRandom } from '../util.ts';
import { summarize, type Summary } from '../percentile.ts';
import { estimateSlotPhase, nextSlotAtOrAfter } from '../clock-phase.ts';

/** Result of {@link measureOverhead}; every figure in ms. */
export interface OverheadResult {
  /** Raw TTFA with the instant engine: event received (A) → first frame handed to sinks (F). */
  readonly ttfaMs: Summary;
  /** Inherent wait for the frame grid: first block in the FIFO (R) → first slot at or after it (S). Uniform in [0, 20). */
  readonly slotWaitMs: Summary;
  /** TTFA − slot wait = (R − A) + (F − S): the pipeline's own cost. */
  readonly overheadMs: Summary;
  /** R − A: from the event to the first synthesized block in the room's FIFO on the playout thread (main thread + the hop). */
  readonly mainThreadMs: Summary;
  /** F − S: playout thread, from the slot the audio could first play in to its hand-over to sinks. */
  readonly playoutThreadMs: Summary;
  /** Narrations whose first frame came one or more slots after S (the audio reached the playout thread too late for S). */
  readonly missedSlot: number;
  /** For those: how long before S the first block arrived (S − R), ms — shows which part of the slot is too late. */
  readonly missedSlotLeadMs: number[];
}

/**
 * Figure 2: pipeline overhead, with the `instant` engine (test/fixtures/plugins/instant-engine),
 * whose synthesis costs microseconds. Per narration:
 *   A = event received (`receivedAtMs`), R = first block in the room's FIFO (the report's `firstBlockMs`,
 *   stamped on the playout thread),
 *   F = first frame of the narration handed to the `capture` sink (playout thread's clock),
 *   S = first frame-clock slot at or after R (grid phase estimated from all captured frames).
 * TTFA = F − A; the frame clock hands audio over only at 20 ms slots, so S − R is the inherent
 * slot wait, and overhead = TTFA − (S − R) = (R − A) + (F − S): chunking, narrator, engine call,
 * the message to the playout thread, FIFO + gate, tick lateness and the sink hand-over. A block
 * that reaches the FIFO after its slot was ticked waits a whole extra slot: that counts as
 * overhead (`missedSlot`).
 * @param iterations narrations measured, one at a time, each cancelled after its first frame
 */
export async function measureOverhead(p: BenchPipeline, iterations: number): Promise<OverheadResult> {
  const room = await p.openRoom('instant', ['capture'], 'overhead');
  const random = seededRandom(2);
  const marks: { id: string; a: number; r: number }[] = [];
  try {
    // The room's first narration sets the gate's RTF; measure from the second on, as in a running room.
    const warm = room.narration.narrate(SHORT_TEXTS[0]!, { trigger: 'bench:warmup', receivedAtMs: nowMs() });
    await warm.done;
    for (let i = 0; i < iterations; i++) {
      await sleep(30 + 40 * random());
      const text = SHORT_TEXTS[(i * 7) % SHORT_TEXTS.length]!;
      const a = nowMs();
      const n = room.narration.narrate(text, { trigger: 'bench:overhead', receivedAtMs: a });
      await room.firstFrame(n.id);
      room.narration.cancel([n.id]);
      const { firstBlockMs } = await n.done;
      if (firstBlockMs === null) throw new Error(`overhead: no block of narration ${i} reached the FIFO`);
      marks.push({ id: n.id, a, r: a + firstBlockMs });
    }
    await room.close();
    await p.capture.untilClosed(room.roomId);
  } finally {
    await room.close();
  }
  const frames = p.capture.of(room.roomId);
  p.capture.forget(room.roomId);
  const phase = estimateSlotPhase(frames.map((f) => f.timeMs));
  const firstFrameAt = new Map<string, number>();
  for (const f of frames) if (f.narrationId && !firstFrameAt.has(f.narrationId)) firstFrameAt.set(f.narrationId, f.timeMs);
  const ttfa: number[] = [], slotWait: number[] = [], overhead: number[] = [], main: number[] = [], playout: number[] = [];
  const missedSlotLeadMs: number[] = [];
  for (const { id, a, r } of marks) {
    const f = firstFrameAt.get(id);
    if (f === undefined) throw new Error(`overhead: the capture sink saw no frame of narration ${id}`);
    const s = nextSlotAtOrAfter(r, phase);
    ttfa.push(f - a);
    slotWait.push(s - r);
    overhead.push(f - a - (s - r));
    main.push(r - a);
    playout.push(f - s);
    if (f - s >= FRAME_MS / 2) missedSlotLeadMs.push(Math.round((s - r) * 1000) / 1000);
  }
  return {
    ttfaMs: summarize(ttfa),
    slotWaitMs: summarize(slotWait),
    overheadMs: summarize(overhead),
    mainThreadMs: summarize(main),
    playoutThreadMs: summarize(playout),
    missedSlot: missedSlotLeadMs.length,
    missedSlotLeadMs,
  };
}
