import { StreamingResampler } from './resample.ts';

/**
 * A stream of fixed-size frames at another rate: each 20 ms frame in (s16 mono at `inputRate`)
 * gives exactly `outputFrameSamples` samples out (f32 in [-1, 1] at `outputRate`), resampled with
 * libsamplerate ({@link StreamingResampler}) so frame edges join without clicks.
 *
 * The filter's delay makes its first outputs short; the missing samples are padded with zeros
 * at the start, once, so every call yields a full frame and the stream stays in step with the
 * frame clock (the delay, about 1 ms at SRC_SINC_FASTEST, is the only offset).
 * Used by the Opus encoder of plugins/audio-webrtc (→ 48 kHz) and the bridge sink (→ 16 kHz).
 */
export class FrameResampler {
  private readonly pending: Float32Array;
  private pendingLen = 0;
  private readonly input: Float32Array;
  private readonly output: Float32Array;

  private constructor(
    private readonly resampler: StreamingResampler,
    /** Samples per output frame. */
    readonly outputFrameSamples: number,
  ) {
    this.pending = new Float32Array(outputFrameSamples * 4);
    this.input = new Float32Array(Math.ceil(resampler.inputRate / 50));
    this.output = new Float32Array(outputFrameSamples);
  }

  /**
   * @param inputRate Hz, e.g. 22 050
   * @param outputRate Hz, e.g. 16 000 or 48 000
   * @param outputFrameSamples samples per output frame (outputRate × 20 / 1000 for 20 ms frames)
   * @throws RangeError when a rate or the frame size is not a positive integer
   */
  static async create(inputRate: number, outputRate: number, outputFrameSamples: number): Promise<FrameResampler> {
    if (!Number.isInteger(outputFrameSamples) || outputFrameSamples <= 0) throw new RangeError(`frame size ${outputFrameSamples} is not a positive integer`);
    return new FrameResampler(await StreamingResampler.create(inputRate, outputRate), outputFrameSamples);
  }

  /**
   * Resamples one frame.
   * @param samples s16 mono at the input rate (one frame, e.g. 441 at 22 050 Hz)
   * @returns `outputFrameSamples` f32 samples; the same array each call (copy it to keep it)
   * @throws Error after {@link close}
   */
  process(samples: Int16Array): Float32Array {
    const f32 = samples.length === this.input.length ? this.input : new Float32Array(samples.length);
    for (let i = 0; i < samples.length; i++) f32[i] = samples[i]! / 32768;
    const out = this.resampler.process(f32);
    const n = this.outputFrameSamples;
    // Zeros first (only while the filter primes), then the resampled audio; drop what would overflow.
    const deficit = Math.max(0, n - (this.pendingLen + out.length));
    if (deficit > 0) {
      this.pending.copyWithin(deficit, 0, this.pendingLen);
      this.pending.fill(0, 0, deficit);
      this.pendingLen += deficit;
    }
    const room = this.pending.length - this.pendingLen;
    this.pending.set(out.length <= room ? out : out.subarray(0, room), this.pendingLen);
    this.pendingLen += Math.min(out.length, room);
    this.output.set(this.pending.subarray(0, n));
    this.pending.copyWithin(0, n, this.pendingLen);
    this.pendingLen -= n;
    return this.output;
  }

  /** Frees the resampler's WASM state; idempotent. */
  close(): void {
    this.resampler.close();
  }
}
