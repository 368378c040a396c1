/**
 * Messages and shared memory between {@link ThreadedPlayout} (main thread) and
 * the playout worker (server/playout/playout-worker.ts).
 */
import type { AppConfig } from '../config/schema.ts';
import type { FrameClockStats } from '../clock/frame-clock.ts';
import type { MessagePort } from 'node:worker_threads';
import type { BlockArrivalStats } from './block-arrivals.ts';
import type { LatencySummary } from '../observability/latency-window.ts';
import type { AssembledMessage } from './assembly-protocol.ts';
import type { ChunkRoute, OpenRoomOptions, PlayoutEvent } from './playout.ts';

/**
 * Per-room counters both threads see without a message round trip, indexed by room slot.
 * - `pushed` (BigInt64, samples): audio that entered the room's FIFO on the worker (whether it came
 *   straight from an engine worker or through the main thread).
 * - `consumed` (BigInt64, samples): audio that left the room's FIFO on the worker (played,
 *   dropped by cancel, ignored); main computes buffered = pushed − consumed.
 * - `ticks` (Int32): bumped and notified by the worker after every frame of the room,
 *   so `waitForSpace` can sleep in `Atomics.waitAsync` instead of polling.
 */
export interface PlayoutShared {
  readonly pushed: BigInt64Array;
  readonly consumed: BigInt64Array;
  readonly ticks: Int32Array;
}

/** Allocates the shared counters for `maxRooms` room slots. */
export function createShared(maxRooms: number): SharedBuffers {
  return { pushedSab: new SharedArrayBuffer(8 * maxRooms), consumedSab: new SharedArrayBuffer(8 * maxRooms), ticksSab: new SharedArrayBuffer(4 * maxRooms) };
}

/** The shared buffers behind {@link PlayoutShared}. */
export interface SharedBuffers {
  readonly pushedSab: SharedArrayBuffer;
  readonly consumedSab: SharedArrayBuffer;
  readonly ticksSab: SharedArrayBuffer;
}

/** Views over the shared buffers. */
export function sharedViews(b: SharedBuffers): PlayoutShared {
  return { pushed: new BigInt64Array(b.pushedSab), consumed: new BigInt64Array(b.consumedSab), ticks: new Int32Array(b.ticksSab) };
}

/** `workerData` of the playout worker (structured-cloneable). */
export interface PlayoutWorkerData extends SharedBuffers {
  readonly config: AppConfig;
}

/**
 * Engine worker → assembly thread, on a port from {@link ThreadedPlayout.openSource} (issue 13: audio
 * never crosses the main thread); the main thread posts the same for engines without a port of their
 * own, with `relayed` set. `postedAtMs` (epoch ms, `nowMs()`) measures the block's arrival latency.
 */
export type SourceMessage =
  | { type: 'block'; route: ChunkRoute; samples: Float32Array; postedAtMs: number; relayed?: boolean }
  | { type: 'chunk-end'; route: ChunkRoute };

/** Main → worker. Requests carrying `id` get one {@link ReplyMessage}. */
export type ToWorker =
  | { type: 'open'; id: number; roomId: string; slot: number; options: OpenRoomOptions }
  | { type: 'close'; id: number; roomId: string }
  | { type: 'stats'; id: number }
  | { type: 'shutdown'; id: number }
  | { type: 'begin'; roomId: string; narrationId: string }
  /** The assembly thread's port (transferred), sent once at start: it posts {@link AssembledMessage}s. */
  | { type: 'assembly'; port: MessagePort }
  | AssembledMessage
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
  /** Blocks that reached the assembly thread: how they came, and their arrival latency. */
  readonly blocks: BlockArrivalStats;
  /** The assembly thread posting shaped audio → it in the room's FIFO, ms, over the last 4 096 blocks. */
  readonly fifoHopMs: LatencySummary;
}

/** Answer to a request. */
export interface ReplyMessage {
  readonly type: 'reply';
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
  /** The playout thread's part (the block arrivals are the assembly thread's). */
  readonly stats?: Omit<PlayoutThreadStats, 'blocks'>;
}

/** Worker → main. */
export type FromWorker =
  | ReplyMessage
  | { type: 'ready' }
  | { type: 'init-error'; error: string }
  | { type: 'event'; event: PlayoutEvent };
