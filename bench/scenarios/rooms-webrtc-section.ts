import { defaultSinkWorkers } from '../../server/sinks/sink-worker-pool.ts';
import { measureOpusEncodeCost } from '../../plugins/audio-webrtc/measure.ts';
import { DUE_TO_SEND_BUCKETS_MS } from '../../plugins/audio-webrtc/signaling.ts';
import type { BenchPipeline } from '../pipeline.ts';
import { figure, type Figure } from '../report.ts';
import { BenchListeners } from '../webrtc-listeners.ts';
import { DUE_TO_SEND_P99_HOLD_MS, DUE_TO_SEND_P99_TARGET_MS, measureWebRtcRooms, type WebRtcRoomsResult, type WebRtcRoomsStep } from './rooms-webrtc.ts';

/** Steps (rooms) and narration length of a run; quick fits in a couple of minutes on 2 cores. */
const FULL = { steps: [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128], seconds: 8, budgetMs: 240_000 };
const QUICK = { steps: [1, 2, 4, 8, 12, 16], seconds: 4, budgetMs: 60_000 };

/** Result of the `rooms-webrtc` section: the same steps with the `webrtc` sink on the clock thread, then on sink workers. */
export interface WebRtcRoomsSection {
  /** `playout.sinkWorkers: 0`: the sink in the clock's tick (before issue 13). */
  readonly clockThread: WebRtcRoomsResult;
  /** Default sink workers ({@link defaultSinkWorkers} on this machine). */
  readonly sinkWorkers: WebRtcRoomsResult;
  readonly sinkWorkerCount: number;
  /** Resample + Opus encode cost per room-frame measured alone, µs (context for the capacity). */
  readonly encodeUsP50: number;
}

/**
 * Runs {@link measureWebRtcRooms} with the sink on the clock thread, then on the default sink
 * workers, with one listener process (bench/webrtc-listeners.ts) for both.
 */
export async function measureWebRtcRoomsSection(p: BenchPipeline, opts: { quick: boolean; progress: (msg: string) => void }): Promise<WebRtcRoomsSection> {
  const plan = opts.quick ? QUICK : FULL;
  const opus = await measureOpusEncodeCost(opts.quick ? 200 : 1000);
  const listeners = BenchListeners.start();
  try {
    opts.progress(`rooms with 2 WebRTC listeners each, webrtc sink on the clock thread (sinkWorkers 0), steps ${plan.steps.join(', ')}`);
    const clockThread = await measureWebRtcRooms(p, 'instant-webrtc-clock', listeners, { ...plan, progress: opts.progress });
    opts.progress(`same, on ${defaultSinkWorkers()} sink worker(s) (default)`);
    const sinkWorkers = await measureWebRtcRooms(p, 'instant-webrtc', listeners, { ...plan, progress: opts.progress });
    return { clockThread, sinkWorkers, sinkWorkerCount: defaultSinkWorkers(), encodeUsP50: Math.round(opus.perFrameUs.p50) };
  } finally {
    listeners.close();
  }
}

/** The step the detail rows describe: the largest that held, else the first. */
function best(r: WebRtcRoomsResult): WebRtcRoomsStep | undefined {
  return r.steps.find((s) => s.rooms === r.maxHeldRooms) ?? r.steps[0];
}

/** A histogram percentile as a figure value: the open top bucket (Infinity) shows as "> 100 ms" (it fails the target). */
function bucketValue(ms: number | undefined): { value: number | null; qualifier?: string } {
  if (ms === undefined) return { value: null };
  if (Number.isFinite(ms)) return { value: ms };
  const top = DUE_TO_SEND_BUCKETS_MS[DUE_TO_SEND_BUCKETS_MS.length - 2]!;
  return { value: top, qualifier: '> ' };
}

function stepNote(r: WebRtcRoomsResult): string {
  return r.steps.map((s) => `${s.rooms}:${s.passed ? 'pass' : s.held ? 'holds' : 'FAIL'} p99 ${s.dueToSendP99Ms} ms ${s.underruns}u ${s.rtpGaps}g ${s.msPerRoomFrame} ms/rf`).join('; ');
}

/** The section's table rows: largest passing step before/after, and at that step the clock thread's cost, due→send, RSS per room. */
export function webRtcRoomsFigures(s: WebRtcRoomsSection): Figure[] {
  const rows: Figure[] = [];
  for (const [key, r, label] of [
    ['clockThread', s.clockThread, 'webrtc sink on the clock thread (sinkWorkers 0)'],
    ['sinkWorkers', s.sinkWorkers, `webrtc sink on ${s.sinkWorkerCount} sink worker(s)`],
  ] as const) {
    const b = best(r);
    rows.push(
      figure({
        id: `roomsWebrtc.${key}.maxRooms`, label: `Rooms with 2 WebRTC listeners, ${label}`, value: r.maxRooms, unit: 'rooms',
        target: { op: '>=', value: 100 }, samples: r.steps.length,
        note: `pass = 0 underruns, 0 RTP gaps, due→send p99 ≤ ${DUE_TO_SEND_P99_TARGET_MS} ms over the narrations; steps ${stepNote(r)}`,
      }),
      figure({
        id: `roomsWebrtc.${key}.maxHeldRooms`, label: `  rooms held (p99 ≤ ${DUE_TO_SEND_P99_HOLD_MS} ms, 0 underruns, 0 gaps)`, value: r.maxHeldRooms, unit: 'rooms',
        qualifier: r.capped ? '≥' : undefined,
      }),
      figure({ id: `roomsWebrtc.${key}.dueToSend.p50`, label: `  due→send p50 at ${b?.rooms ?? 0} rooms (≤ bucket)`, ...bucketValue(b?.dueToSendP50Ms), unit: 'ms', samples: b?.framesTimed }),
      figure({
        id: `roomsWebrtc.${key}.dueToSend.p99`, label: `  due→send p99 at ${b?.rooms ?? 0} rooms (≤ bucket)`, ...bucketValue(b?.dueToSendP99Ms), unit: 'ms', samples: b?.framesTimed,
        target: { op: '<=', value: DUE_TO_SEND_P99_TARGET_MS },
        note: b ? `${b.lateSends} late sends; listeners connecting included: worst room p99 ${b.connectP99Ms} ms, max ${b.dueToSendMaxMs} ms` : undefined,
      }),
      figure({ id: `roomsWebrtc.${key}.msPerRoomFrame`, label: `  clock thread per room-frame at ${b?.rooms ?? 0} rooms`, value: b?.msPerRoomFrame ?? null, unit: 'ms', note: b ? `clock late p95 ${b.clockLateP95Ms} ms` : undefined }),
      figure({ id: `roomsWebrtc.${key}.rssPerRoom`, label: '  RSS slope per room with 2 listeners', value: r.rssMbPerRoom, unit: 'MB', note: 'least squares over the steps; narrator process only (listeners in a child process)' }),
    );
  }
  rows.push(figure({ id: 'roomsWebrtc.encodeUs.p50', label: 'Resample + Opus encode per room-frame (alone) p50', value: s.encodeUsP50, unit: 'µs' }));
  return rows;
}
