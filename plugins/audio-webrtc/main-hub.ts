import type { BroadcastChannel } from 'node:worker_threads';
import { openSignalChannel, SIGNAL_CHANNEL, TO_SINK_KINDS, type FromSink, type ToSink, type WebRtcSinkStats } from './signaling.ts';

/** Receives a room's messages from its sink. */
export type RoomListener = (msg: Exclude<FromSink, { kind: 'stats' }>) => void;

/**
 * The main thread's end of {@link SIGNAL_CHANNEL}: one BroadcastChannel for all rooms of the
 * thread, routing playout messages to the room plugin that registered the `roomId`. Opened with
 * the first room, closed with the last, unref'd so it never keeps the process alive.
 */
class MainHub {
  private channel: BroadcastChannel | null = null;
  private readonly rooms = new Map<string, RoomListener>();
  private readonly statsWaiters = new Map<number, (s: WebRtcSinkStats) => void>();
  private nextRequestId = 1;

  /** Routes the room's playout messages to `listener` until {@link unregister}. */
  register(roomId: string, listener: RoomListener): void {
    this.rooms.set(roomId, listener);
    this.open();
  }

  /** Stops routing the room; closes the channel after the last room and pending request. */
  unregister(roomId: string): void {
    this.rooms.delete(roomId);
    this.maybeClose();
  }

  /** Posts to the playout thread. @throws Error from `postMessage` (a non-cloneable payload) */
  post(msg: ToSink): void {
    this.open().postMessage(msg);
  }

  /**
   * Asks the room's `webrtc` sink for its figures (diagnostics, tests, bench).
   * @param timeoutMs how long to wait, ms
   * @returns the stats, or null when no sink answered in time (no `webrtc` sink for the room)
   */
  requestStats(roomId: string, timeoutMs = 2000): Promise<WebRtcSinkStats | null> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.statsWaiters.delete(requestId);
        this.maybeClose();
        resolve(null);
      }, timeoutMs);
      this.statsWaiters.set(requestId, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.post({ roomId, kind: 'stats', requestId });
    });
  }

  private open(): BroadcastChannel {
    if (this.channel) return this.channel;
    this.channel = openSignalChannel<FromSink>((msg) => this.dispatch(msg));
    return this.channel;
  }

  private maybeClose(): void {
    if (this.rooms.size === 0 && this.statsWaiters.size === 0 && this.channel) {
      this.channel.close();
      this.channel = null;
    }
  }

  private dispatch(msg: FromSink): void {
    // A BroadcastChannel never hears its own posts, and this is the thread's only main-side one,
    // so a `candidate` here came from a sink; join/answer/leave and stats requests are not for us.
    if (!msg || typeof msg !== 'object' || (TO_SINK_KINDS.has(msg.kind) && msg.kind !== 'candidate' && msg.kind !== 'stats')) return;
    if (msg.kind === 'stats') {
      if (!('stats' in msg)) return; // a request, not an answer
      const resolve = this.statsWaiters.get(msg.requestId);
      this.statsWaiters.delete(msg.requestId);
      resolve?.(msg.stats);
      this.maybeClose();
      return;
    }
    this.rooms.get(msg.roomId)?.(msg);
  }
}

/** The process's main-thread hub (one per thread; module state is per thread). */
export const mainHub = new MainHub();

/**
 * Asks a room's `webrtc` sink (on its sink worker, or the playout thread) for its figures.
 * @returns null when the room has no `webrtc` sink in direct mode (no answer within `timeoutMs`)
 */
export function requestWebRtcSinkStats(roomId: string, timeoutMs = 2000): Promise<WebRtcSinkStats | null> {
  return mainHub.requestStats(roomId, timeoutMs);
}
