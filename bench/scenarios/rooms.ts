import { nowMs } from '../../server/threads/spawn-worker.ts';
import type { BenchEngine, BenchPipeline, BenchRoom } from '../pipeline.ts';
import { passageOf } from '../texts.ts';
import { percentile, round } from '../percentile.ts';

/** One step of {@link measureRooms}: N rooms narrating at once. */
export interface RoomsStep {
  readonly rooms: number;
  /** Underruns summed over every room's narration. */
  readonly underruns: number;
  readonly roomsWithUnderruns: number;
  /** Silence inserted by underruns, summed, ms. */
  readonly gapMs: number;
  /** TTFA over the rooms, ms (all narrations started in the same main-thread turn). */
  readonly ttfaP95Ms: number;
  readonly ttfaMaxMs: number;
  /** Audio per narration, mean, ms. */
  readonly meanAudioMs: number;
  /** Wall time of the step: first narrate → last narration ended, ms. */
  readonly wallMs: number;
  /** Mean CPU time per room-frame on the playout thread over the step, ms. */
  readonly msPerRoomFrame: number;
}

/** Result of {@link measureRooms}. */
export interface RoomsResult {
  readonly engine: BenchEngine;
  readonly steps: RoomsStep[];
  /** Largest N stepped with zero underruns; 0 when even the first step had some. */
  readonly maxRooms: number;
  /** True when the last step run had no underrun (steps or time budget ran out first: the capacity may be higher). */
  readonly capped: boolean;
}

/**
 * Figure 5: rooms narrating at once with zero underruns. For each N of `steps` (ascending):
 * open N rooms (sink `wav`, real recordings in the work dir), start one ~`seconds` narration
 * in each in the same turn of the main thread, wait for all to end, sum the underruns of their
 * reports, close the rooms. Stops at the first step with an underrun (unless `stopAtUnderrun` is
 * false: every step runs, for TTFA at given room counts), or once `budgetMs` of wall time is spent. With espeak-ng the limit is synthesis (every room's chunks queue for the
 * engine's worker); with the instant engine it is the playout thread ("playout capacity").
 */
export async function measureRooms(
  p: BenchPipeline,
  engine: BenchEngine,
  opts: { steps: readonly number[]; seconds: number; budgetMs: number; stopAtUnderrun?: boolean },
): Promise<RoomsResult> {
  const started = performance.now();
  const steps: RoomsStep[] = [];
  const cps = await p.charsPerSecond(engine);
  let maxRooms = 0;
  /** No step so far had an underrun. */
  let clean = true;
  for (const n of opts.steps) {
    if (performance.now() - started > opts.budgetMs) break;
    let step: RoomsStep;
    const rooms: BenchRoom[] = [];
    try {
      rooms.push(...(await Promise.all(Array.from({ length: n }, () => p.openRoom(engine, ['wav'], `rooms-${n}`)))));
      const before = await p.playoutStats(engine);
      const t0 = performance.now();
      const receivedAtMs = nowMs();
      const narrations = rooms.map((r, i) =>
        r.narration.narrate(passageOf(opts.seconds, cps, i), { trigger: 'bench:rooms', receivedAtMs }),
      );
      const reports = await Promise.all(narrations.map((x) => x.done));
      const wallMs = performance.now() - t0;
      const after = await p.playoutStats(engine);
      const frameCost = after.roomFrames > before.roomFrames
        ? (after.msPerRoomFrame * after.roomFrames - before.msPerRoomFrame * before.roomFrames) / (after.roomFrames - before.roomFrames)
        : 0;
      const ttfa = reports.map((r) => r.ttfaMs ?? Infinity);
      step = {
        rooms: n,
        underruns: reports.reduce((s, r) => s + r.underruns, 0),
        roomsWithUnderruns: reports.filter((r) => r.underruns > 0).length,
        gapMs: round(reports.reduce((s, r) => s + r.gapMs, 0)),
        ttfaP95Ms: round(percentile(ttfa, 95)),
        ttfaMaxMs: round(Math.max(...ttfa)),
        meanAudioMs: round(reports.reduce((s, r) => s + r.audioMs, 0) / n),
        wallMs: round(wallMs),
        msPerRoomFrame: round(frameCost, 4),
      };
    } finally {
      await Promise.all(rooms.map((r) => r.close()));
    }
    steps.push(step);
    if (step.underruns > 0) {
      clean = false;
      if (opts.stopAtUnderrun ?? true) break;
    }
    if (clean) maxRooms = n;
  }
  const last = steps[steps.length - 1];
  return { engine, steps, maxRooms, capped: !!last && last.underruns === 0 };
}
