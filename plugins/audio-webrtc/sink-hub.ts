import type { BroadcastChannel } from 'node:worker_threads';
import type { Logger } from 'pino';
import { openSignalChannel, SIGNAL_CHANNEL, TO_SINK_KINDS, type FromSink, type ToSink } from './signaling.ts';
import type { WebRtcSink } from './webrtc-sink.ts';

/**
 * The sink thread's end of {@link SIGNAL_CHANNEL} (a sink worker's, or the playout thread's with
 * `playout.sinkWorkers: 0`): one BroadcastChannel per thread, routing
 * main-thread messages to the room's {@link WebRtcSink} by `roomId`. Opened with the first sink,
 * closed with the last, unref'd so it never keeps a thread alive. Messages for a room without a
 * sink here are ignored (another thread's, or a sink not created yet: the main thread re-sends
 * its `join`s on `sink-ready`).
 */
export class SinkHub {
  private channel: BroadcastChannel | null = null;
  private readonly sinks = new Map<string, WebRtcSink>();

  constructor(private readonly log: Logger) {}

  /** Posts a message to the main thread; never throws. */
  post(msg: FromSink): void {
    try {
      this.open().postMessage(msg);
    } catch (err) {
      this.log.warn({ roomId: msg.roomId, kind: msg.kind, err }, 'posting to the signaling channel failed');
    }
  }

  /** Routes the room's signaling to `sink` and announces it (`sink-ready`). */
  add(sink: WebRtcSink): void {
    this.sinks.set(sink.roomId, sink);
    this.post({ roomId: sink.roomId, kind: 'sink-ready' });
  }

  /** Stops routing to `sink` (closed); closes the channel after the last sink. */
  remove(sink: WebRtcSink): void {
    if (this.sinks.get(sink.roomId) === sink) this.sinks.delete(sink.roomId);
    if (this.sinks.size === 0 && this.channel) {
      this.channel.close();
      this.channel = null;
    }
  }

  private open(): BroadcastChannel {
    if (this.channel) return this.channel;
    this.channel = openSignalChannel<ToSink>((msg) => this.dispatch(msg));
    return this.channel;
  }

  private dispatch(msg: ToSink): void {
    if (!msg || typeof msg !== 'object' || !TO_SINK_KINDS.has(msg.kind)) return;
    const sink = this.sinks.get(msg.roomId);
    if (!sink) return;
    const failed = (err: unknown) => this.log.error({ roomId: msg.roomId, kind: msg.kind, err }, 'signaling message failed');
    switch (msg.kind) {
      case 'join': return void sink.join(msg.sessionId).catch(failed);
      case 'answer': return void sink.answer(msg.sessionId, msg.sdp).catch(failed);
      case 'candidate': return void sink.candidate(msg.sessionId, msg).catch(failed);
      case 'leave': return void sink.leave(msg.sessionId).catch(failed);
      case 'stats': return this.post({ roomId: msg.roomId, kind: 'stats', requestId: msg.requestId, stats: sink.stats() });
    }
  }
}
