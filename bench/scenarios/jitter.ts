import { nowMs } from '../../server/threads/spawn-worker.ts';
import { FRAME_MS } from '../../server/audio/pcm.ts';
import type { BenchPipeline } from '../pipeline.ts';
import type { FrameSeen } from '../capture.ts';
import { passageOf } from '../texts.ts';
import { busyLoop, sleep } from '../util.ts';
import { summarize, type Summary } from '../percentile.ts';

/** A delta between consecutive frames above this is a gap, ms (two frame periods). */
export const GAP_MS = 2 * FRAME_MS;

/** Frame jitter target, ms (the issue: jitter p95 ≤ 2 ms). */
export const JITTER_TARGET_MS = 2;

/** Jitter and gaps of one room's frames as the sinks received them. */
export interface FrameTiming {
  /** |Δt − 20 ms| between consecutive frames, ms. */
  readonly jitterMs: Summary;
  /** Consecutive frames more than {@link GAP_MS} apart, plus missing seqs. */
  readonly gaps: number;
  /** Missing seqs alone (a frame the sinks never got). */
  readonly missingSeqs: number;
  /** Consecutive-frame deltas off 20 ms by more than the 2 ms target. */
  readonly overTargetDeltas: number;
  /** Largest Δt between consecutive frames, ms. */
  readonly maxDeltaMs: number;
  /** Frames in the window. */
  readonly frames: number;
}

/**
 * Jitter and gaps of consecutive frames (in seq order). Frames must be one room's, in order.
 */
export function frameTiming(frames: readonly FrameSeen[]): FrameTiming {
  const jitter: number[] = [];
  let gaps = 0;
  let missingSeqs = 0;
  let maxDeltaMs = 0;
  let overTargetDeltas = 0;
  for (let i = 1; i < frames.length; i++) {
    const prev = frames[i - 1]!, cur = frames[i]!;
    const missing = cur.seq - prev.seq - 1;
    const delta = cur.timeMs - prev.timeMs;
    maxDeltaMs = Math.max(maxDeltaMs, delta);
    if (missing > 0) {
      missingSeqs += missing;
      gaps++;
      continue;
    }
    const j = Math.abs(delta - FRAME_MS);
    jitter.push(j);
    if (j > JITTER_TARGET_MS) overTargetDeltas++;
    if (delta > GAP_MS) gaps++;
  }
  return { jitterMs: summarize(jitter), gaps, missingSeqs, overTargetDeltas, maxDeltaMs, frames: frames.length };
}

/** Result of {@link measureJitter}. */
export interface JitterResult extends FrameTiming {
  /** Main-thread stalls run while the narrations played. */
  readonly stalls: number;
  /** Underruns over the narrations' reports. */
  readonly underruns: number;
  /** Frames of the window that carried narration audio. */
  readonly narrationFrames: number;
}

/**
 * Figure 4: frame jitter as the sinks see it. One room (espeak-ng, sink `capture`) plays
 * narrations queued back to back for about `seconds`; the window runs from the first
 * narration frame to the last. With `stallMs`, the main thread busy-loops that long once
 * every `stallEveryMs` (default 1 000) of the window: the game loop stalling while the
 * playout thread must keep time.
 */
export async function measureJitter(
  p: BenchPipeline,
  opts: { seconds: number; stallMs: number; stallEveryMs?: number },
): Promise<JitterResult> {
  const idleMs = Math.max(0, (opts.stallEveryMs ?? 1000) - opts.stallMs);
  const room = await p.openRoom('espeak', ['capture'], opts.stallMs > 0 ? 'jitter-stall' : 'jitter');
  const cps = await p.charsPerSecond('espeak');
  let stalls = 0;
  let underruns = 0;
  try {
    const perNarration = 3;
    const count = Math.max(1, Math.round(opts.seconds / perNarration));
    const narrations = Array.from({ length: count }, (_, i) =>
      room.narration.narrate(passageOf(perNarration, cps, i), { trigger: 'bench:jitter', receivedAtMs: nowMs() }),
    );
    let playing = true;
    const all = Promise.all(narrations.map((n) => n.done)).finally(() => (playing = false));
    await room.firstFrame(narrations[0]!.id);
    if (opts.stallMs > 0) {
      while (playing) {
        await sleep(idleMs);
        if (!playing) break;
        busyLoop(opts.stallMs);
        stalls++;
      }
    }
    for (const r of await all) underruns += r.underruns;
    await room.close();
    await p.capture.untilClosed(room.roomId);
  } finally {
    await room.close();
  }
  const frames = p.capture.of(room.roomId);
  p.capture.forget(room.roomId);
  const first = frames.findIndex((f) => f.narrationId !== null);
  let last = -1;
  frames.forEach((f, i) => {
    if (f.narrationId !== null) last = i;
  });
  const window = first < 0 ? [] : frames.slice(first, last + 1);
  return {
    ...frameTiming(window),
    stalls,
    underruns,
    narrationFrames: window.filter((f) => f.narrationId !== null).length,
  };
}
