import type { Logger } from 'pino';
import type { AudioFrame, AudioSink } from '../sinks/audio-sink.ts';
import { FrameResampler } from '../audio/frame-resampler.ts';
import { encodeBridgeFrame } from './bridge-frame.ts';
import type { FromBridgeSink } from './bridge-channel.ts';

/** Rates a client may ask for besides the room's own, Hz (game-bridge/PROTOCOL.md: 16 kHz halves a 22.05/24 kHz room's bandwidth). */
export const BRIDGE_EXTRA_RATES: readonly number[] = [16_000];

/** One rate's stream of a room: its listeners and, off the room rate, its resampler. */
interface Stream {
  listeners: number;
  /** null at the room rate; undefined while the resampler is being built. */
  resampler: FrameResampler | null | undefined;
  readonly frameSamples: number;
  readonly pcm: Int16Array;
}

/**
 * One room's `bridge` sink, on the playout thread: turns each frame of the clock into the bridge's
 * binary frame (game-bridge/PROTOCOL.md: header + PCM s16le mono), once per requested rate, and
 * posts it to the main thread, which sends it to the room's bridge sockets. A room nobody listens
 * to costs one map lookup per frame. Frames without a narration go out as 16-byte silence frames.
 *
 * `write` never throws and never waits; a resampler that fails to build is logged and that rate stays silent of frames.
 */
export class BridgeSink implements AudioSink {
  readonly name = 'bridge';
  private readonly streams = new Map<number, Stream>();
  private closed = false;
  private writeErrors = 0;

  /**
   * @param rate the room's rate, Hz
   * @param frameSamples samples per frame at `rate`
   * @param post sends a message to the main thread
   */
  constructor(
    readonly roomId: string,
    readonly rate: number,
    private readonly frameSamples: number,
    private readonly post: (msg: FromBridgeSink) => void,
    private readonly log: Logger,
  ) {}

  /**
   * Sets how many sockets listen at `rate`; 0 drops the stream (and its resampler).
   * A rate other than the room's and {@link BRIDGE_EXTRA_RATES} is ignored (the main thread validated it).
   */
  listen(rate: number, listeners: number): void {
    if (this.closed) return;
    const existing = this.streams.get(rate);
    if (listeners <= 0) {
      if (existing) {
        this.streams.delete(rate);
        existing.resampler?.close();
      }
      return;
    }
    if (existing) {
      existing.listeners = listeners;
      return;
    }
    if (rate !== this.rate && !BRIDGE_EXTRA_RATES.includes(rate)) return;
    const frameSamples = (rate * 20) / 1000;
    const stream: Stream = { listeners, resampler: rate === this.rate ? null : undefined, frameSamples, pcm: new Int16Array(frameSamples) };
    this.streams.set(rate, stream);
    if (stream.resampler === undefined) {
      FrameResampler.create(this.rate, rate, frameSamples).then(
        (r) => {
          if (this.streams.get(rate) === stream && !this.closed) stream.resampler = r;
          else r.close();
        },
        (err: unknown) => this.log.error({ roomId: this.roomId, rate, err }, 'bridge: building the resampler failed; no frames at this rate'),
      );
    }
  }

  /** Encodes the frame once per listened rate and posts it. Never throws. */
  write(frame: AudioFrame): void {
    if (this.closed || this.streams.size === 0) return;
    for (const [rate, stream] of this.streams) {
      if (stream.resampler === undefined) continue; // still building
      try {
        let pcm: Int16Array | null = frame.samples;
        if (stream.resampler) {
          // Resample silence too: the filter's state stays continuous into the next narration.
          const f32 = stream.resampler.process(frame.samples);
          for (let i = 0; i < stream.frameSamples; i++) {
            const v = Math.round(f32[i]! * 32767);
            stream.pcm[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
          }
          pcm = stream.pcm;
        }
        const bytes = encodeBridgeFrame(frame.seq, frame.generation, rate, stream.frameSamples, frame.narrationId === null ? null : pcm);
        this.post({ kind: 'frame', roomId: this.roomId, rate, bytes, timeMs: frame.timeMs });
      } catch (err) {
        // Log the first few only: at 50 frames/s a persistent failure would flood the log.
        if (this.writeErrors++ < 3) this.log.error({ roomId: this.roomId, rate, seq: frame.seq, err }, 'bridge: frame failed; skipped');
      }
    }
  }

  /** Frees the resamplers; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) s.resampler?.close();
    this.streams.clear();
  }
}
