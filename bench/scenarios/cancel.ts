import { nowMs } from '../../server/threads/spawn-worker.ts';
import type { BenchPipeline } from '../pipeline.ts';
import { passageOf } from '../texts.ts';
import { sleep, seededRandom } from '../util.ts';
import { summarize, type Summary } from '../percentile.ts';

/** Result of {@link measureCancel}; times in ms. */
export interface CancelResult {
  /** `cancelLatencyMs` of the reports: cancel request → last frame of the narration handed to sinks. */
  readonly reportedMs: Summary;
  /** The same, as the `capture` sink saw it: cancel request → its last captured frame of the narration. */
  readonly seenBySinkMs: Summary;
  /** Narrations that had already ended when the cancel came (not counted; should be 0). */
  readonly endedBeforeCancel: number;
}

/**
 * Figure 3: cancel latency. Each narration (~4 s of espeak-ng speech, sinks `capture`) is
 * cancelled with `RoomNarration.cancel([id], nowMs())` 100–500 ms after its first frame
 * reached the sinks (mid-playback, in the middle of a chunk as often as at a seam).
 * The report's figure is cross-checked with the capture sink's own frames.
 * @param iterations narrations cancelled
 */
export async function measureCancel(p: BenchPipeline, iterations: number): Promise<CancelResult> {
  const room = await p.openRoom('espeak', ['capture'], 'cancel');
  const random = seededRandom(3);
  const cps = await p.charsPerSecond('espeak');
  const marks: { id: string; requestedAt: number; reported: number }[] = [];
  let endedBeforeCancel = 0;
  try {
    for (let i = 0; i < iterations; i++) {
      const n = room.narration.narrate(passageOf(4, cps, i), { trigger: 'bench:cancel', receivedAtMs: nowMs() });
      await room.firstFrame(n.id);
      await sleep(100 + 400 * random());
      const requestedAt = nowMs();
      const cancelled = room.narration.cancel([n.id], requestedAt);
      const report = await n.done;
      if (cancelled.length === 0 || !report.cancelled || report.cancelLatencyMs === null) {
        endedBeforeCancel++;
        continue;
      }
      marks.push({ id: n.id, requestedAt, reported: report.cancelLatencyMs });
      await sleep(20 + 40 * random());
    }
    await room.close();
    await p.capture.untilClosed(room.roomId);
  } finally {
    await room.close();
  }
  const lastFrameAt = new Map<string, number>();
  for (const f of p.capture.of(room.roomId)) if (f.narrationId) lastFrameAt.set(f.narrationId, f.timeMs);
  p.capture.forget(room.roomId);
  const seen = marks.map((m) => {
    const last = lastFrameAt.get(m.id);
    if (last === undefined) throw new Error(`cancel: the capture sink saw no frame of narration ${m.id}`);
    return last - m.requestedAt;
  });
  return { reportedMs: summarize(marks.map((m) => m.reported)), seenBySinkMs: summarize(seen), endedBeforeCancel };
}
