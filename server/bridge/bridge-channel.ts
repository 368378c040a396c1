import { BroadcastChannel } from 'node:worker_threads';

/**
 * The bridge's messages between the main thread (sockets) and the playout thread (the `bridge`
 * sink), over one process-wide `BroadcastChannel` ({@link BRIDGE_CHANNEL}). Every message names its room.
 */

/** Name of the BroadcastChannel both threads open. */
export const BRIDGE_CHANNEL = 'vrpg/bridge';

/** Main → playout: how many sockets of the room listen at `rate` (0 = none: stop making that stream). */
export interface ListenMessage {
  readonly kind: 'listen';
  readonly roomId: string;
  /** Hz. */
  readonly rate: number;
  readonly listeners: number;
}

/** Playout → main: one encoded frame (game-bridge/PROTOCOL.md header + payload) of the room's stream at `rate`. */
export interface FrameMessage {
  readonly kind: 'frame';
  readonly roomId: string;
  readonly rate: number;
  readonly bytes: Uint8Array;
  /** When the frame clock handed the frame to the sink, epoch ms. */
  readonly timeMs: number;
}

/** Playout → main: the room's sink exists (re-send its `listen`s, which may have gone nowhere before). */
export interface SinkReadyMessage {
  readonly kind: 'sink-ready';
  readonly roomId: string;
  /** The room's own rate, Hz. */
  readonly rate: number;
}

export type ToBridgeSink = ListenMessage;
export type FromBridgeSink = FrameMessage | SinkReadyMessage;

/**
 * Opens this thread's end of {@link BRIDGE_CHANNEL}, unref'd so it never keeps a thread alive.
 * A BroadcastChannel never hears its own posts; each side ignores the other side's kinds.
 */
export function openBridgeChannel<T>(onMessage: (msg: T) => void): BroadcastChannel {
  const ch = new BroadcastChannel(BRIDGE_CHANNEL);
  ch.unref();
  ch.onmessage = (e: unknown) => onMessage((e as MessageEvent).data as T);
  return ch;
}
