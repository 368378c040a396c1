import { nowMs } from '../../server/threads/spawn-worker.ts';
import { requestWebRtcSinkStats } from '../../plugins/audio-webrtc/main-hub.ts';
import { DUE_TO_SEND_BUCKETS_MS, type WebRtcSinkStats } from '../../plugins/audio-webrtc/signaling.ts';
import type { BenchPipeline, BenchRoom } from '../pipeline.ts';
import type { BenchListeners } from '../webrtc-listeners.ts';
import { passageOf } from '../texts.ts';
import { round } from '../percentile.ts';

/** Listening WebRTC players per room (issue 13's bench: "two listening WebRTC players per room"). */
export const LISTENERS_PER_ROOM = 2;
/** A step passes when due→send p99 over its narrations is at most this, ms (issue 13: p99 < 5 ms; the histogram's bound). */
export const DUE_TO_SEND_P99_TARGET_MS = 5;
/**
 * A step "holds" with due→send p99 at most this, ms: one frame late, which a receiver's jitter buffer
 * (WebRTC's adapts from ~20 ms up) absorbs without a gap; reported beside the strict 5 ms pass.
 */
export const DUE_TO_SEND_P99_HOLD_MS = 20;
/** Listeners connecting at once: DTLS handshakes are CPU-heavy and share the cores with the clock. */
const CONNECT_BATCH = 8;

/** Where the `webrtc` sinks run: the bench engines of bench/pipeline.ts. */
export type WebRtcRoomsEngine = 'instant-webrtc' | 'instant-webrtc-clock';

/** One step of {@link measureWebRtcRooms}: N rooms narrating at once, each with two WebRTC listeners. */
export interface WebRtcRoomsStep {
  readonly rooms: number;
  /** Underruns summed over every room's narration. */
  readonly underruns: number;
  /** RTP sequence gaps summed over every listener during the step (lost, dropped or reordered packets). */
  readonly rtpGaps: number;
  /**
   * Due→send p50 and p99 over every frame of every room during the narrations, ms: the upper bound of
   * the histogram bucket (DUE_TO_SEND_BUCKETS_MS) holding that rank, so "5" means 4 < p ≤ 5.
   * The listeners' connecting (DTLS handshakes on the same thread as the sends) is left out: see `connectP99Ms`.
   */
  readonly dueToSendP50Ms: number;
  readonly dueToSendP99Ms: number;
  /** Worst room's due→send p99 and worst frame over the rooms' whole life (listeners connecting included), ms. */
  readonly connectP99Ms: number;
  readonly dueToSendMaxMs: number;
  /** Frames sent more than 5 ms after due during the narrations, all rooms. */
  readonly lateSends: number;
  /** Frames timed during the narrations, all rooms. */
  readonly framesTimed: number;
  /** Mean CPU time per room-frame on the clock thread over the step, ms (tick work / room-frames). */
  readonly msPerRoomFrame: number;
  /** Clock lateness p95 over the step's window, ms. */
  readonly clockLateP95Ms: number;
  /** Process RSS with the rooms open and listened to, MB. */
  readonly rssMb: number;
  /** Time to connect every listener, ms. */
  readonly connectMs: number;
  readonly passed: boolean;
  /** 0 underruns, 0 RTP gaps, due→send p99 ≤ {@link DUE_TO_SEND_P99_HOLD_MS}. */
  readonly held: boolean;
}

/** Result of {@link measureWebRtcRooms}. */
export interface WebRtcRoomsResult {
  readonly engine: WebRtcRoomsEngine;
  readonly steps: WebRtcRoomsStep[];
  /** Largest N that passed (0 underruns, 0 RTP gaps, due→send p99 ≤ 5 ms); 0 when none did. The steps list says whether smaller ones all passed. */
  readonly maxRooms: number;
  /** Largest N that held (see {@link WebRtcRoomsStep.held}). */
  readonly maxHeldRooms: number;
  /** True when the last step run held (steps or time ran out first: the capacity may be higher). */
  readonly capped: boolean;
  /** Least-squares slope of RSS over rooms across the steps, MB per room with two listeners (null with < 2 steps). */
  readonly rssMbPerRoom: number | null;
}

/** Every room's `webrtc` sink figures, in room order. @throws Error when a room's sink does not answer */
async function sinkStats(rooms: readonly BenchRoom[]): Promise<WebRtcSinkStats[]> {
  const stats = await Promise.all(rooms.map((r) => requestWebRtcSinkStats(r.roomId, 10_000)));
  const missing = stats.filter((s) => s === null).length;
  if (missing > 0) throw new Error(`rooms-webrtc: ${missing} of ${rooms.length} rooms gave no webrtc sink stats`);
  return stats as WebRtcSinkStats[];
}

/** Nearest-rank percentile of a due→send histogram: the upper bound of the bucket holding rank p, ms (NaN when empty). */
function bucketPercentile(buckets: readonly number[], p: number): number {
  const n = buckets.reduce((s, x) => s + x, 0);
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i]!;
    if (seen >= rank) return DUE_TO_SEND_BUCKETS_MS[i]!;
  }
  return NaN;
}

function slope(xs: readonly number[], ys: readonly number[]): number | null {
  const n = xs.length;
  if (n < 2) return null;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den ? num / den : null;
}

/**
 * Rooms at once with two listening WebRTC players per room. For each N of `steps` (ascending):
 * open N rooms (sink `webrtc` only), connect two werift listeners to each (child process,
 * bench/webrtc-listeners.ts), start one ~`seconds` narration in each in the same main-thread turn,
 * wait for all to end, then read every room's sink figures (due→send histogram before and after the
 * narrations) and the listeners' RTP gaps. A step passes with 0 underruns, 0 RTP gaps and due→send
 * p99 ≤ 5 ms over every frame of the narrations (at most 1 % of frames late); stops at the
 * first step with underruns, gaps or p99 above 100 ms, or after `budgetMs`. The instant engine makes synthesis free, so the limit is
 * the clock thread and the sinks.
 */
export async function measureWebRtcRooms(
  p: BenchPipeline,
  engine: WebRtcRoomsEngine,
  listeners: BenchListeners,
  opts: { steps: readonly number[]; seconds: number; budgetMs: number; progress?: (msg: string) => void },
): Promise<WebRtcRoomsResult> {
  const started = performance.now();
  const steps: WebRtcRoomsStep[] = [];
  const cps = await p.charsPerSecond(engine);
  let maxRooms = 0;
  let maxHeldRooms = 0;
  for (const n of opts.steps) {
    if (performance.now() - started > opts.budgetMs) break;
    let step: WebRtcRoomsStep;
    const rooms: BenchRoom[] = [];
    try {
      rooms.push(...(await Promise.all(Array.from({ length: n }, () => p.openRoom(engine, ['webrtc'], `webrtc-${n}`)))));
      const c0 = performance.now();
      for (let i = 0; i < rooms.length; i += CONNECT_BATCH) {
        await Promise.all(rooms.slice(i, i + CONNECT_BATCH).map((r) => listeners.listen(r.roomId, LISTENERS_PER_ROOM)));
      }
      const connectMs = performance.now() - c0;
      const rssMb = process.memoryUsage().rss / 2 ** 20;
      const ids = new Set(rooms.map((r) => r.roomId));
      const gapsOf = async () => (await listeners.counts()).filter((l) => ids.has(l.roomId)).reduce((s, l) => s + l.gaps, 0);
      const gaps0 = await gapsOf();
      const sinks0 = await sinkStats(rooms);
      const before = await p.playoutStats(engine);
      const receivedAtMs = nowMs();
      const reports = await Promise.all(rooms.map((r, i) => r.narration.narrate(passageOf(opts.seconds, cps, i), { trigger: 'bench:rooms-webrtc', receivedAtMs }).done));
      const after = await p.playoutStats(engine);
      const rtpGaps = (await gapsOf()) - gaps0;
      const stats = await sinkStats(rooms);
      const buckets = DUE_TO_SEND_BUCKETS_MS.map((_, i) => stats.reduce((s, x, r) => s + x.dueToSendBuckets[i]! - sinks0[r]!.dueToSendBuckets[i]!, 0));
      const p99 = bucketPercentile(buckets, 99);
      const frameCost = after.roomFrames > before.roomFrames
        ? (after.msPerRoomFrame * after.roomFrames - before.msPerRoomFrame * before.roomFrames) / (after.roomFrames - before.roomFrames)
        : 0;
      const underruns = reports.reduce((s, r) => s + r.underruns, 0);
      step = {
        rooms: n,
        underruns,
        rtpGaps,
        dueToSendP50Ms: bucketPercentile(buckets, 50),
        dueToSendP99Ms: p99,
        connectP99Ms: round(Math.max(...stats.map((s) => s.dueToSendP99Ms)), 2),
        dueToSendMaxMs: round(Math.max(...stats.map((s) => s.dueToSendMaxMs)), 2),
        lateSends: stats.reduce((s, x, r) => s + x.lateSends - sinks0[r]!.lateSends, 0),
        framesTimed: buckets.reduce((s, x) => s + x, 0),
        msPerRoomFrame: round(frameCost, 4),
        clockLateP95Ms: round(after.clock.lateP95Ms, 2),
        rssMb: round(rssMb, 1),
        connectMs: round(connectMs),
        passed: underruns === 0 && rtpGaps === 0 && p99 <= DUE_TO_SEND_P99_TARGET_MS,
        held: underruns === 0 && rtpGaps === 0 && p99 <= DUE_TO_SEND_P99_HOLD_MS,
      };
    } finally {
      for (const r of rooms) listeners.forget(r.roomId);
      await Promise.all(rooms.map((r) => r.close()));
    }
    steps.push(step);
    opts.progress?.(`  ${engine} ${n} rooms: ${step.passed ? 'pass' : step.held ? 'holds' : 'FAIL'} (p50 ${step.dueToSendP50Ms} p99 ${step.dueToSendP99Ms} ms, ${step.underruns} underruns, ${step.rtpGaps} gaps, ${step.msPerRoomFrame} ms/room-frame)`);
    if (step.passed) maxRooms = n;
    if (step.held) maxHeldRooms = n;
    // Go on past a step that missed on due→send alone: on a shared machine a few descheduled ticks
    // decide a p99, and the next step may pass. Underruns, RTP gaps or p99 past the top bucket = overloaded.
    if (step.underruns > 0 || step.rtpGaps > 0 || !Number.isFinite(step.dueToSendP99Ms)) break;
  }
  const last = steps[steps.length - 1];
  return {
    engine, steps, maxRooms, maxHeldRooms, capped: !!last && last.held,
    rssMbPerRoom: (() => {
      const s = slope(steps.map((x) => x.rooms), steps.map((x) => x.rssMb));
      return s === null ? null : round(s, 2);
    })(),
  };
}
