/**
 * Messages and shared memory between {@link ThreadedPlayout} (main thread) and
 * the playout worker (server/playout/playout-worker.ts).
 */
import type { AppConfig } from '../config/schema.ts';
import type { FrameClockStats } from '../clock/frame-clock.ts';
import type { OpenRoomOptions, PlayoutEvent } from './playout.ts';

/**
 * Per-room counters both threads see without a message round trip, indexed by room slot.
 * - `consumed` (BigInt64, samples): audio that left the room's FIFO on the worker (played,
 *   dropped by cancel, ignored); main computes buffered = pushed − consumed.
 * - `ticks` (Int32): bumped and notified by the worker after every frame of the room,
 *   so `waitForSpace` can sleep in `Atomics.waitAsync` instead of polling.
 */
export interface PlayoutShared {
  readonly consumed: BigInt64Array;
  readonly ticks: Int32Array;
}

/** Allocates the shared counters for `maxRooms` room slots. */
export function createShared(maxRooms: number): { consumedSab: SharedArrayBuffer; ticksSab: SharedArrayBuffer } {
  return { consumedSab: new SharedArrayBuffer(8 * maxRooms), ticksSab: new SharedArrayBuffer(4 * maxRooms) };
}

/** Views over the shared buffers. */
export function sharedViews(consumedSab: SharedArrayBuffer, ticksSab: SharedArrayBuffer): PlayoutShared {
  return { consumed: new BigInt64Array(consumedSab), ticks: new Int32Array(ticksSab) };
}

/** `workerData` of the playout worker (structured-cloneable). */
export interface PlayoutWorkerData {
  readonly config: AppConfig;
  readonly consumedSab: SharedArrayBuffer;
  readonly ticksSab: SharedArrayBuffer;
}

/** Main → worker. Requests carrying `id` get one {@link ReplyMessage}. */
export type ToWorker =
  | { type: 'open'; id: number; roomId: string; slot: number; options: OpenRoomOptions }
  | { type: 'close'; id: number; roomId: string }
  | { type: 'stats'; id: number }
  | { type: 'shutdown'; id: number }
  | { type: 'begin'; roomId: string; narrationId: string }
  | { type: 'push'; roomId: string; narrationId: string; chunkIndex: number; samples: Float32Array }
  | { type: 'end'; roomId: string; narrationId: string }
  | { type: 'cancel'; roomId: string; narrationIds: readonly string[] | null; requestedAtMs: number; breath: boolean }
  | { type: 'pause'; roomId: string }
  | { type: 'resume'; roomId: string }
  | { type: 'rtf'; roomId: string; rtf: number };

/** Worker's measured figures. */
export interface PlayoutThreadStats {
  readonly clock: FrameClockStats;
  /** Room-frames produced (frames × rooms). */
  readonly roomFrames: number;
  /** Mean CPU time to produce a room-frame and hand it to the room's sinks, ms (wall time inside ticks / roomFrames). */
  readonly msPerRoomFrame: number;
  readonly rooms: number;
}

/** Answer to a request. */
export interface ReplyMessage {
  readonly type: 'reply';
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
  readonly stats?: PlayoutThreadStats;
}

/** Worker → main. */
export type FromWorker =
  | ReplyMessage
  | { type: 'ready' }
  | { type: 'init-error'; error: string }
  | { type: 'event'; event: PlayoutEvent };
