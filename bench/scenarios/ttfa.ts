import { nowMs } from '../../server/threads/spawn-worker.ts';
import type { BenchPipeline } from '../pipeline.ts';
import { SHORT_TEXTS } from '../texts.ts';
import { sleep, seededRandom } from '../util.ts';
import { summarize, type Summary } from '../percentile.ts';

/** Result of {@link measureTtfa}. */
export interface TtfaResult {
  /** TTFA per narration, ms (event received → first frame handed to sinks). */
  readonly ttfaMs: Summary;
  /** Chunks per narration, mean. */
  readonly meanChunks: number;
  /** RTF of the narrations' synthesis, mean (synthesis time / audio synthesized). */
  readonly meanRtf: number | null;
}

/**
 * Figure 1: time to first audio with the embedded espeak-ng engine through the whole
 * pipeline (chunker → engine → playout thread → `wav` sink), one room, narrations one after
 * another. Each narration is cancelled once its first frame is out (its TTFA is known then),
 * which keeps the run short; a random 30–70 ms pause before the next one spreads the arrival
 * times over the 20 ms frame grid, as real events are.
 * @param iterations narrations measured (texts cycle through {@link SHORT_TEXTS})
 */
export async function measureTtfa(p: BenchPipeline, iterations: number): Promise<TtfaResult> {
  const room = await p.openRoom('espeak', ['wav'], 'ttfa');
  const random = seededRandom(1);
  const ttfa: number[] = [];
  let chunks = 0;
  const rtfs: number[] = [];
  try {
    for (let i = 0; i < iterations; i++) {
      const text = SHORT_TEXTS[i % SHORT_TEXTS.length]!;
      const n = room.narration.narrate(text, { trigger: 'bench:ttfa', receivedAtMs: nowMs() });
      await room.firstFrame(n.id);
      room.narration.cancel([n.id]);
      const report = await n.done;
      if (report.ttfaMs === null) throw new Error(`ttfa: narration ${i} ended without a frame (${JSON.stringify(report)})`);
      ttfa.push(report.ttfaMs);
      chunks += report.chunks;
      if (report.rtf !== null) rtfs.push(report.rtf);
      await sleep(30 + 40 * random());
    }
  } finally {
    await room.close();
  }
  return {
    ttfaMs: summarize(ttfa),
    meanChunks: chunks / iterations,
    meanRtf: rtfs.length ? rtfs.reduce((a, b) => a + b, 0) / rtfs.length : null,
  };
}
