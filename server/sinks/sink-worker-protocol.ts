/**
 * Messages between the playout thread ({@link SinkWorkerPool}) and a sink worker
 * (server/sinks/sink-worker.ts). Frames do not travel here: they go through each room's
 * {@link FrameRing}; the playout thread rings the shared doorbell once per tick.
 */
import type { AppConfig } from '../config/schema.ts';
import type { FrameRingShape } from './frame-ring.ts';

/** `workerData` of a sink worker (structured-cloneable). */
export interface SinkWorkerData {
  readonly config: AppConfig;
  /** Int32 × 1, shared by every sink worker: bumped and notified by the clock once per tick. */
  readonly doorbellSab: SharedArrayBuffer;
  /** This worker's index in the pool (for logs). */
  readonly index: number;
}

/** Playout thread → sink worker. Every message gets one {@link SinkReply}. */
export type ToSinkWorker =
  | {
      type: 'open';
      id: number;
      ring: FrameRingShape;
      /** Sink names to create for the room, in config order. */
      sinks: readonly string[];
      wavPath?: string;
    }
  | { type: 'close'; id: number; roomId: string };

/** Answer to a {@link ToSinkWorker}. */
export interface SinkReply {
  readonly type: 'reply';
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
  /** `open`: the sinks created (a factory may decline a room: no device, …). */
  readonly created?: readonly string[];
  /** `close`: sinks whose close failed. */
  readonly closeErrors?: readonly { readonly sink: string; readonly message: string }[];
}

/** Sink worker → playout thread. */
export type FromSinkWorker =
  | SinkReply
  | { type: 'ready' }
  | { type: 'init-error'; error: string }
  /** A sink's write threw: the worker closed that sink; the room's other sinks go on. */
  | { type: 'sink-error'; roomId: string; sink: string; message: string };
