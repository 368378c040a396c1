/**
 * Scheduler scenario: rooms narrating at once per GPU tier before the first underrun, with
 * simulated XTTS-like engines (bench/scenarios/scheduler-sim.ts: the real scheduler, narrators,
 * FIFO and pre-buffer gate, consumed at real-time rate in VIRTUAL time; the engine is a model
 * with a fixed TTFB and RTF, not a measurement of this machine).
 *
 * Engine figures per tier and their sources:
 * - high-end (RTX 4090/5090, 3 streams, 2.5 s pre-buffer): RTF 0.25 per stream, TTFB 200 ms.
 *   Seed 002 asks RTF < 0.5 on high-end; seed 004 gives first-audio 150–250 ms on 4090-class
 *   GPUs (CosyVoice 2); RTF 0.2–0.3 for streamed XTTS-v2 on a 4090 is an estimate.
 * - mid-range (RTX 3070, 2 streams, 1.75 s): RTF 0.4, TTFB 300 ms. Seed 002 asks < 0.6; 0.4 is an estimate.
 * - modest (GTX 1660, 1 stream, 50 ms yield, 1.25 s): RTF 0.8, TTFB 400 ms. Seed 002 asks < 0.8; estimate.
 * - cpu (no GPU, streams 0 = 1 job, 0.75 s): RTF 2.5, TTFB 800 ms. Estimate (XTTS-v2 on a desktop CPU ≈ 2–3).
 * Streams, pre-buffers: the seed tier table (shared/seeds 002). The yield of 50 ms is an estimate.
 * Parallel streams are modelled as not slowing each other (the per-stream RTF is the tier's at that stream count).
 */
import { simulateRooms, type SimEngineSpec, type SimResult } from './scheduler-sim.ts';
import type { SynthesisPolicy } from '../../server/synthesis/synthesis-policy.ts';
import { percentile, round } from '../percentile.ts';

/** A tier as the scenario simulates it. */
export interface SchedulerTier {
  readonly name: string;
  readonly engine: SimEngineSpec;
  readonly policy: SynthesisPolicy;
}

/** The tiers simulated, see the module comment for the numbers' sources. */
export const SCHEDULER_TIERS: readonly SchedulerTier[] = [
  { name: 'high-end', engine: { ttfbMs: 200, rtf: 0.25 }, policy: { tier: 'high-end', streams: 3, yieldMs: 0, prebufferMs: 2500 } },
  { name: 'mid-range', engine: { ttfbMs: 300, rtf: 0.4 }, policy: { tier: 'mid-range', streams: 2, yieldMs: 0, prebufferMs: 1750 } },
  { name: 'modest', engine: { ttfbMs: 400, rtf: 0.8 }, policy: { tier: 'modest', streams: 1, yieldMs: 50, prebufferMs: 1250 } },
  { name: 'cpu', engine: { ttfbMs: 800, rtf: 2.5 }, policy: { tier: 'cpu', streams: 0, yieldMs: 0, prebufferMs: 750 } },
];

/** One step: N rooms at once on one tier. */
export interface SchedulerStep {
  readonly rooms: number;
  readonly underruns: number;
  /** TTFA of the first narration (tier pre-buffer), p95 over the rooms, ms (virtual). */
  readonly ttfaP95Ms: number;
  /** TTFA of a second narration asked after the first ended (gate sized from the measured RTF), p95, ms. */
  readonly secondTtfaP95Ms: number;
  /** Gate threshold when playback started, median over rooms, ms; null = waited for the whole narration. */
  readonly gatePrebufferMs: number | null;
  readonly secondGatePrebufferMs: number | null;
  /** Rooms in the order of their first underrun. */
  readonly underrunOrder: string[];
}

/** One tier's stepping. */
export interface SchedulerTierResult {
  readonly tier: string;
  readonly engine: SimEngineSpec;
  readonly policy: SynthesisPolicy;
  /** Largest N stepped with zero underruns; 0 when even one room underran. */
  readonly maxRooms: number;
  /** True when the last step had no underrun (capacity may be higher). */
  readonly capped: boolean;
  readonly steps: SchedulerStep[];
}

/** Result of {@link runSchedulerScenario}: JSON-able. */
export interface SchedulerBenchResult {
  readonly time: 'virtual';
  readonly narrationSeconds: number;
  readonly tiers: SchedulerTierResult[];
}

function median(values: (number | null)[]): number | null {
  if (values.some((v) => v === null)) return null;
  const sorted = (values as number[]).slice().sort((a, b) => a - b);
  return round(sorted[Math.floor(sorted.length / 2)]);
}

function stepOf(rooms: number, r: SimResult): SchedulerStep {
  const ttfa = r.rooms.map((x) => x.ttfaMs ?? Infinity);
  const ttfa2 = r.rooms.map((x) => x.secondTtfaMs ?? Infinity);
  return {
    rooms,
    underruns: r.rooms.reduce((s, x) => s + x.underruns, 0),
    ttfaP95Ms: round(percentile(ttfa, 95)),
    secondTtfaP95Ms: round(percentile(ttfa2, 95)),
    gatePrebufferMs: median(r.rooms.map((x) => x.prebufferMs[0])),
    secondGatePrebufferMs: median(r.rooms.map((x) => x.prebufferMs[1])),
    underrunOrder: r.underrunOrder,
  };
}

/**
 * Steps N rooms narrating ~20 s each at once (then a 4 s narration each) per tier until the
 * first underrun. `quick`: fewer steps. Runs in virtual time: a few seconds of CPU in all.
 */
export async function runSchedulerScenario(opts: { quick: boolean }): Promise<SchedulerBenchResult> {
  const steps = opts.quick ? [1, 2, 4, 8, 16] : [1, 2, 3, 4, 6, 8, 10, 12, 16, 24, 32];
  const narrationSeconds = 20;
  const tiers: SchedulerTierResult[] = [];
  for (const t of SCHEDULER_TIERS) {
    const done: SchedulerStep[] = [];
    let maxRooms = 0;
    for (const rooms of steps) {
      const step = stepOf(rooms, await simulateRooms({ engine: t.engine, policy: t.policy, rooms, audioSeconds: narrationSeconds }));
      done.push(step);
      if (step.underruns > 0) break;
      maxRooms = rooms;
    }
    const last = done[done.length - 1];
    tiers.push({ tier: t.name, engine: t.engine, policy: t.policy, maxRooms, capped: last.underruns === 0, steps: done });
  }
  return { time: 'virtual', narrationSeconds, tiers };
}

/** A plain-text table of the result, one line per tier. */
export function formatSchedulerTable(result: SchedulerBenchResult): string {
  const fmt = (v: number | null) => (v === null || !Number.isFinite(v) ? 'whole' : `${Math.round(v)}`);
  const lines = [
    `scheduler (simulated engines, virtual time, ${result.narrationSeconds} s narrations)`,
    'tier        streams  rtf   ttfb  rooms≤  ttfa p95  gate pb  2nd ttfa p95  2nd gate pb  first underrun',
  ];
  for (const t of result.tiers) {
    const best = t.steps.find((s) => s.rooms === t.maxRooms) ?? t.steps[0];
    const failed = t.steps.find((s) => s.underruns > 0);
    lines.push(
      [
        t.tier.padEnd(11),
        String(t.policy.streams).padStart(7),
        t.engine.rtf.toFixed(2).padStart(5),
        String(t.engine.ttfbMs).padStart(5),
        `${t.maxRooms}${t.capped ? '+' : ''}`.padStart(7),
        fmt(best.ttfaP95Ms).padStart(9),
        fmt(best.gatePrebufferMs).padStart(8),
        fmt(best.secondTtfaP95Ms).padStart(13),
        fmt(best.secondGatePrebufferMs).padStart(12),
        failed ? `  ${failed.rooms} rooms: ${failed.underrunOrder.slice(0, 3).join(', ')}` : '  none',
      ].join(' '),
    );
  }
  return lines.join('\n');
}
