import type { Logger } from 'pino';
import type { AudioFrame, AudioSink } from '../../server/sinks/audio-sink.ts';

/**
 * What the sink uses of naudiodon's output stream (`IoStreamWrite`): a Node
 * Writable of s16le bytes that emits `'finished'` once `end()` has played out,
 * the stream stopped and PortAudio terminated (naudiodon quits itself on `'finish'`).
 */
export interface PortAudioOutputStream {
  write(chunk: Buffer): boolean;
  end(): unknown;
  on(event: 'drain' | 'finished', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  once(event: 'finished', listener: () => void): unknown;
}

/** Counters of a {@link PortAudioSink}, frames of 20 ms. */
export interface PortAudioSinkStats {
  /** Frames handed to the stream. */
  readonly writtenFrames: number;
  /** Frames dropped because their generation was below the highest seen (cancelled narration). */
  readonly staleFrames: number;
  /** Frames dropped because the overflow queue was full (device slower than the room clock). */
  readonly overflowFrames: number;
  /** Frames dropped because their sample rate was not the stream's. */
  readonly rateMismatchFrames: number;
}

/** Settings of one {@link PortAudioSink}. */
export interface PortAudioSinkSettings {
  /** Stream sample rate, Hz; frames at another rate are dropped (PortAudio cannot change rate mid-stream). */
  readonly sampleRate: number;
  /** Frames (20 ms each) the sink queues while the stream is backpressured; the oldest go beyond it. ≥ 1. */
  readonly maxQueuedFrames: number;
  /** Longest wait for the stream to play out and close in `close()`, ms; past it close resolves with a warning. */
  readonly closeTimeoutMs: number;
  readonly log: Logger;
}

interface QueuedFrame {
  readonly bytes: Buffer;
  readonly generation: number;
}

/**
 * Plays a room's 20 ms frames on a PortAudio output stream (s16 mono).
 *
 * `write` never blocks: it hands the frame's bytes to the stream, whose own
 * buffer (naudiodon `highwaterMark`) and native queue feed the PortAudio
 * callback. When the stream reports backpressure the sink keeps up to
 * `maxQueuedFrames` itself until `'drain'`, dropping the oldest beyond that so the
 * speakers stay within a bounded delay of the room clock; drops are counted and
 * logged at warn (once when an overflow starts, once with the total when it ends).
 *
 * The frame's samples are passed without a copy (`Buffer.from(samples.buffer, …)`):
 * the frame clock must not reuse a frame's `samples` after handing it to the sinks.
 */
export class PortAudioSink implements AudioSink {
  readonly name = 'native';

  private readonly queue: QueuedFrame[] = [];
  private highestGeneration = Number.NEGATIVE_INFINITY;
  private backpressured = false;
  private overflowing = false;
  private overflowAtStart = 0;
  private closing: Promise<void> | undefined;
  private readonly counts = { writtenFrames: 0, staleFrames: 0, overflowFrames: 0, rateMismatchFrames: 0 };

  constructor(
    private readonly stream: PortAudioOutputStream,
    private readonly settings: PortAudioSinkSettings,
  ) {
    if (!(settings.maxQueuedFrames >= 1)) {
      throw new RangeError(`maxQueuedFrames must be at least 1, got ${settings.maxQueuedFrames}`);
    }
    stream.on('drain', () => this.flushQueue());
    // closeOnError is false, so naudiodon reports device trouble (underflow) on stdout
    // and keeps playing; an 'error' here is a stream-level failure, logged not thrown.
    stream.on('error', (err) => settings.log.warn({ err, sink: this.name }, 'native audio stream error'));
  }

  /** Current counters (a copy). */
  get stats(): PortAudioSinkStats {
    return { ...this.counts };
  }

  /** Queues one frame for playback; never blocks or throws. Ignored after `close()`. */
  write(frame: AudioFrame): void {
    if (frame.generation < this.highestGeneration) {
      this.counts.staleFrames++;
      return;
    }
    if (this.closing) return;
    if (frame.generation > this.highestGeneration) {
      this.highestGeneration = frame.generation;
      if (this.queue.length > 0) this.dropStaleQueued();
    }
    if (frame.sampleRate !== this.settings.sampleRate) {
      if (this.counts.rateMismatchFrames++ === 0) {
        this.settings.log.warn(
          { sink: this.name, roomId: frame.roomId, frameRate: frame.sampleRate, streamRate: this.settings.sampleRate },
          'native sink dropping frames at a sample rate other than the stream',
        );
      }
      return;
    }
    const { samples } = frame;
    const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    if (this.backpressured) {
      this.enqueue({ bytes, generation: frame.generation }, frame.roomId);
      return;
    }
    this.writeToStream(bytes);
  }

  /**
   * Plays what is queued, ends the stream and waits until naudiodon has stopped it
   * and terminated PortAudio (its `'finished'`), at most `closeTimeoutMs`.
   * Idempotent; never rejects.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.settings.log.warn(
          { sink: this.name, closeTimeoutMs: this.settings.closeTimeoutMs },
          'native audio stream did not finish in time; leaving it',
        );
        resolve();
      }, this.settings.closeTimeoutMs);
      timer.unref();
      this.stream.once('finished', () => {
        clearTimeout(timer);
        resolve();
      });
      // The stream buffers past its high-water mark; end() plays everything out first.
      for (const queued of this.queue.splice(0)) this.writeToStream(queued.bytes);
      this.stream.end();
    });
    return this.closing;
  }

  private writeToStream(bytes: Buffer): void {
    this.counts.writtenFrames++;
    if (!this.stream.write(bytes)) this.backpressured = true;
  }

  private enqueue(queued: QueuedFrame, roomId: string): void {
    if (this.queue.length >= this.settings.maxQueuedFrames) {
      this.queue.shift();
      this.counts.overflowFrames++;
      if (!this.overflowing) {
        this.overflowing = true;
        this.overflowAtStart = this.counts.overflowFrames - 1;
        this.settings.log.warn(
          { sink: this.name, roomId, maxQueuedFrames: this.settings.maxQueuedFrames },
          'native audio device is behind the room clock; dropping oldest frames',
        );
      }
    }
    this.queue.push(queued);
  }

  private flushQueue(): void {
    this.backpressured = false;
    while (this.queue.length > 0 && !this.backpressured && !this.closing) {
      this.writeToStream(this.queue.shift()!.bytes);
    }
    if (this.overflowing && !this.backpressured) {
      this.overflowing = false;
      this.settings.log.warn(
        {
          sink: this.name,
          droppedFrames: this.counts.overflowFrames - this.overflowAtStart,
          totalDroppedFrames: this.counts.overflowFrames,
        },
        'native audio device caught up; frames were dropped',
      );
    }
  }

  private dropStaleQueued(): void {
    const kept = this.queue.filter((q) => q.generation >= this.highestGeneration);
    this.counts.staleFrames += this.queue.length - kept.length;
    this.queue.splice(0, this.queue.length, ...kept);
  }
}
