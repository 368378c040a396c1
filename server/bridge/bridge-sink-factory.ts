import type { BroadcastChannel } from 'node:worker_threads';
import { inject, injectable } from 'inversify';
import type { Logger } from 'pino';
import { TOKENS } from '../tokens.ts';
import type { AudioSink, AudioSinkFactory, SinkContext } from '../sinks/audio-sink.ts';
import { openBridgeChannel, type FromBridgeSink, type ToBridgeSink } from './bridge-channel.ts';
import { BridgeSink } from './bridge-sink.ts';

/**
 * The core `bridge` sink factory (resolved on the playout thread): a {@link BridgeSink} per room,
 * reachable from the main thread over the bridge channel, which this factory opens with its first
 * sink and closes with its last. `listen` messages for a room without a sink here are ignored
 * (another narrator's, or a sink not created yet: the main thread re-sends on `sink-ready`).
 */
@injectable()
export class BridgeSinkFactory implements AudioSinkFactory {
  readonly name = 'bridge';
  private channel: BroadcastChannel | null = null;
  private readonly sinks = new Map<string, BridgeSink>();

  constructor(@inject(TOKENS.Logger) private readonly log: Logger) {}

  /** @throws Error for a room rate whose 20 ms frame is not a whole number of samples */
  async create(ctx: SinkContext): Promise<AudioSink> {
    if (!Number.isInteger((ctx.sampleRate * 20) / 1000)) throw new Error(`bridge sink: ${ctx.sampleRate} Hz has no whole 20 ms frame`);
    const sink = new BridgeSink(ctx.roomId, ctx.sampleRate, ctx.frameSamples, (m) => this.post(m), ctx.log);
    const close = sink.close.bind(sink);
    // Unroute before closing, so a `listen` racing the close finds no half-closed sink.
    sink.close = async () => {
      if (this.sinks.get(sink.roomId) === sink) this.sinks.delete(sink.roomId);
      if (this.sinks.size === 0 && this.channel) {
        this.channel.close();
        this.channel = null;
      }
      await close();
    };
    this.sinks.set(ctx.roomId, sink);
    this.post({ kind: 'sink-ready', roomId: ctx.roomId, rate: ctx.sampleRate });
    return sink;
  }

  private post(msg: FromBridgeSink): void {
    try {
      this.open().postMessage(msg);
    } catch (err) {
      this.log.warn({ roomId: msg.roomId, kind: msg.kind, err }, 'bridge: posting to the main thread failed');
    }
  }

  private open(): BroadcastChannel {
    this.channel ??= openBridgeChannel<ToBridgeSink | FromBridgeSink>((msg) => {
      if (!msg || typeof msg !== 'object' || msg.kind !== 'listen') return;
      this.sinks.get(msg.roomId)?.listen(msg.rate, msg.listeners);
    });
    return this.channel;
  }
}
