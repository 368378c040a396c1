import type { Logger } from 'pino';
import type { AudioFrame } from '../../../server/sinks/audio-sink.ts';
import { StreamingResampler } from '../../../server/audio/resample.ts';
import { f32ToS16, s16ToF32 } from '../../../server/audio/pcm.ts';

/** Rate LiveKit's `AudioSource` is opened at, Hz (PROTOCOL.md "Media (livekit mode)"; Opus's native rate). */
export const LIVEKIT_RATE = 48_000;

/** Samples per 20 ms frame at {@link LIVEKIT_RATE}: what one Opus packet carries. */
export const LIVEKIT_FRAME_SAMPLES = 960;

/**
 * Most 20 ms frames held while a capture is slow: 25 = 500 ms. Beyond that the oldest go, since
 * narration that late is better lost than heard behind the room's captions.
 */
export const DEFAULT_MAX_QUEUED_FRAMES = 25;

/**
 * What the feed captures into: the part of `@livekit/rtc-node`'s `AudioSource` it uses, with the
 * frame already 48 kHz mono s16 (the sink wraps it in an rtc-node `AudioFrame`).
 */
export interface CaptureTarget {
  /**
   * Hands one frame to the source's buffer; resolves once the buffer took it.
   * @param pcm mono s16 at 48 000 Hz, {@link LIVEKIT_FRAME_SAMPLES} samples
   */
  captureFrame(pcm: Int16Array): Promise<void>;
  /** Drops what the source buffered but has not sent yet. */
  clearQueue(): void;
}

/** Counters for logs and tests. */
export interface LiveKitFeedStats {
  /** 48 kHz frames the target accepted. */
  captured: number;
  /** Frames dropped because the queue was full. */
  overflowed: number;
  /** Frames dropped because a cancel made them stale. */
  cancelled: number;
  /** `clearQueue()` calls made on the target. */
  clears: number;
  /** Captures that rejected. */
  failures: number;
}

interface Queued {
  readonly pcm: Int16Array;
  readonly generation: number;
}

/**
 * Carries a room's frames into a LiveKit audio source: engine-rate s16 → 48 kHz (libsamplerate) →
 * 960-sample frames → a queue drained by ONE capture at a time, so `push` never waits on the
 * native side and frames reach it in order.
 *
 * Cancel: a frame whose `generation` is higher than the last one seen empties the queue and calls
 * the target's `clearQueue()` before the new audio goes in, so a cancel is not heard behind up
 * to a second of audio LiveKit buffered. A capture in flight during the cancel may still land
 * after that clear; its completion is checked and the target cleared once more.
 */
export class LiveKitFeed {
  readonly stats: LiveKitFeedStats = { captured: 0, overflowed: 0, cancelled: 0, clears: 0, failures: 0 };
  private readonly queue: Queued[] = [];
  /** 48 kHz samples not yet filling a whole frame. */
  private pending = new Int16Array(LIVEKIT_FRAME_SAMPLES);
  private pendingLength = 0;
  private generation: number | null = null;
  private pump: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly target: CaptureTarget,
    private readonly resampler: StreamingResampler | null,
    /** Input rate, Hz. */
    readonly inputRate: number,
    private readonly maxQueuedFrames: number,
    private readonly log: Logger,
  ) {}

  /**
   * @param inputRate room rate in Hz (e.g. 22 050, 24 000); 48 000 skips resampling
   * @param target where 48 kHz frames go (an rtc-node `AudioSource` adapter)
   * @param o.maxQueuedFrames queue bound in 20 ms frames, default {@link DEFAULT_MAX_QUEUED_FRAMES}
   * @throws RangeError when `inputRate` is not a positive integer or `maxQueuedFrames` < 1
   */
  static async create(inputRate: number, target: CaptureTarget, log: Logger, o: { maxQueuedFrames?: number } = {}): Promise<LiveKitFeed> {
    const max = o.maxQueuedFrames ?? DEFAULT_MAX_QUEUED_FRAMES;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`LiveKitFeed maxQueuedFrames ${max} is not a positive integer`);
    if (!Number.isInteger(inputRate) || inputRate <= 0) throw new RangeError(`LiveKitFeed input rate ${inputRate} Hz is not a positive integer`);
    const resampler = inputRate === LIVEKIT_RATE ? null : await StreamingResampler.create(inputRate, LIVEKIT_RATE);
    return new LiveKitFeed(target, resampler, inputRate, max, log);
  }

  /** Frames waiting for their capture (the one in flight excluded). */
  get queuedFrames(): number {
    return this.queue.length;
  }

  /**
   * Takes one room frame; returns at once (called every 20 ms on the playout thread).
   * Frames after `close()` are ignored.
   * @throws RangeError when the frame's rate is not the feed's input rate
   */
  push(frame: AudioFrame): void {
    if (this.closed) return;
    if (frame.sampleRate !== this.inputRate) {
      throw new RangeError(`LiveKitFeed: frame ${frame.seq} of room ${frame.roomId} is ${frame.sampleRate} Hz, feed expects ${this.inputRate} Hz`);
    }
    if (this.generation !== null && frame.generation > this.generation) this.cancel();
    this.generation = frame.generation;

    const f32 = s16ToF32(frame.samples);
    const out = this.resampler ? this.resampler.process(f32) : f32;
    this.append(f32ToS16(out));
    if (!this.pump && this.queue.length > 0) this.pump = this.drainQueue();
  }

  /** Resolves when every queued frame was captured (or failed); for `close()` and tests. */
  async flushed(): Promise<void> {
    while (this.pump) await this.pump;
  }

  /**
   * Stops taking frames, drops the queue, waits for the capture in flight, frees the resampler.
   * Idempotent. Does not close the target.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    await this.flushed();
    this.resampler?.close();
  }

  private cancel(): void {
    this.stats.cancelled += this.queue.length;
    this.queue.length = 0;
    // The partial frame is old audio too.
    this.pendingLength = 0;
    this.clearTarget();
  }

  private clearTarget(): void {
    this.stats.clears++;
    try {
      this.target.clearQueue();
    } catch (err) {
      this.log.warn({ err }, 'livekit clearQueue failed');
    }
  }

  private append(pcm: Int16Array): void {
    let i = 0;
    while (i < pcm.length) {
      const n = Math.min(LIVEKIT_FRAME_SAMPLES - this.pendingLength, pcm.length - i);
      this.pending.set(pcm.subarray(i, i + n), this.pendingLength);
      this.pendingLength += n;
      i += n;
      if (this.pendingLength === LIVEKIT_FRAME_SAMPLES) {
        this.enqueue(this.pending);
        this.pending = new Int16Array(LIVEKIT_FRAME_SAMPLES);
        this.pendingLength = 0;
      }
    }
  }

  private enqueue(pcm: Int16Array): void {
    if (this.queue.length >= this.maxQueuedFrames) {
      this.queue.shift();
      this.stats.overflowed++;
      // Powers of two: a stalled target logs a few lines, not one per frame.
      if ((this.stats.overflowed & (this.stats.overflowed - 1)) === 0) {
        this.log.warn({ overflowed: this.stats.overflowed, maxQueuedFrames: this.maxQueuedFrames }, 'livekit capture queue full, oldest frames dropped');
      }
    }
    this.queue.push({ pcm, generation: this.generation ?? 0 });
  }

  private async drainQueue(): Promise<void> {
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        try {
          await this.target.captureFrame(next.pcm);
          this.stats.captured++;
        } catch (err) {
          this.stats.failures++;
          if ((this.stats.failures & (this.stats.failures - 1)) === 0) {
            this.log.warn({ err, failures: this.stats.failures }, 'livekit captureFrame failed');
          }
        }
        // Cancelled while this frame was in flight: it reached the source after the clear.
        if (this.generation !== null && next.generation < this.generation) this.clearTarget();
      }
    } finally {
      this.pump = null;
    }
  }
}
