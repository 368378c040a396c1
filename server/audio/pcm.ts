/**
 * PCM sample helpers shared by the FIFO, the frame clock and the sinks.
 * Internal audio is mono Float32Array in [-1, 1]; sinks receive s16 mono.
 */

/** Length of one playout frame, ms (the frame clock's period; WebRTC/Opus also use 20 ms frames). */
export const FRAME_MS = 20;

/** Internal (engine/room) sample-rate bounds in Hz: espeak-ng 22 050 and XTTS 24 000 fall inside; 16 000 is the common ASR/telephony floor. */
export const INTERNAL_RATE_BOUNDS = { min: 16_000, max: 24_000 } as const;

/**
 * Converts f32 samples to s16 with a clipping guard: NaN → 0, values clamped to
 * [-1, 1], then scaled by 32 767 (symmetric, so +1 and −1 map to ±32 767 and 0 stays 0).
 * @param input mono f32, nominally in [-1, 1]
 * @param out optional destination of at least `input.length` samples (avoids an allocation per frame)
 * @returns `out` (or a new Int16Array) holding `input.length` samples
 */
export function f32ToS16(input: Float32Array, out: Int16Array = new Int16Array(input.length)): Int16Array {
  if (out.length < input.length) throw new RangeError(`f32ToS16: output holds ${out.length} samples, input has ${input.length}`);
  for (let i = 0; i < input.length; i++) {
    const x = input[i]!;
    // NaN fails both comparisons and lands on 0.
    const c = x > 1 ? 1 : x < -1 ? -1 : x === x ? x : 0;
    out[i] = Math.round(c * 32767);
  }
  return out;
}

/**
 * Converts s16 samples to f32 in [-1, 1] (divides by 32 767, the inverse of {@link f32ToS16};
 * −32 768 maps to slightly below −1 and is clamped).
 */
export function s16ToF32(input: Int16Array, out: Float32Array = new Float32Array(input.length)): Float32Array {
  if (out.length < input.length) throw new RangeError(`s16ToF32: output holds ${out.length} samples, input has ${input.length}`);
  for (let i = 0; i < input.length; i++) out[i] = Math.max(-1, input[i]! / 32767);
  return out;
}

/**
 * Checks a sample rate.
 * @param hz rate in Hz
 * @param bounds inclusive bounds in Hz; defaults to {@link INTERNAL_RATE_BOUNDS} (sinks that resample may allow 48 000)
 * @returns `hz`
 * @throws RangeError naming the rate and the allowed range when it is not an integer inside the bounds
 */
export function validateSampleRate(hz: number, bounds: { min: number; max: number } = INTERNAL_RATE_BOUNDS): number {
  if (!Number.isInteger(hz) || hz < bounds.min || hz > bounds.max) {
    throw new RangeError(`sample rate ${hz} Hz is not supported: expected an integer from ${bounds.min} to ${bounds.max} Hz`);
  }
  return hz;
}

/**
 * Samples in one frame: `round(rate × ms / 1000)` (22 050 Hz, 20 ms → 441; 24 000 Hz → 480; 16 000 Hz → 320).
 * @param rateHz sample rate in Hz
 * @param ms frame length in ms, default {@link FRAME_MS}
 */
export function frameSamples(rateHz: number, ms: number = FRAME_MS): number {
  return Math.round((rateHz * ms) / 1000);
}

/** Duration of `samples` samples at `rateHz`, ms. */
export function samplesToMs(samples: number, rateHz: number): number {
  return (samples * 1000) / rateHz;
}

/** Samples in `ms` ms at `rateHz`, rounded. */
export function msToSamples(ms: number, rateHz: number): number {
  return Math.round((ms * rateHz) / 1000);
}

/**
 * Joins f32 blocks end to end (a chunk's streamed blocks, reference recordings, rows of GPT latents).
 * @param blocks any number of arrays, not modified
 * @returns a new array of the summed length
 */
export function concatF32(blocks: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(blocks.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/**
 * Index of the first sample whose magnitude exceeds `threshold` (linear, f32 in [-1, 1]), or −1.
 * The audible edge that seam trimming and voice calibration use.
 */
export function firstAudible(x: Float32Array, threshold: number): number {
  for (let i = 0; i < x.length; i++) if (Math.abs(x[i]!) > threshold) return i;
  return -1;
}

/** Index of the last sample whose magnitude exceeds `threshold` (linear), or −1. */
export function lastAudible(x: Float32Array, threshold: number): number {
  for (let i = x.length - 1; i >= 0; i--) if (Math.abs(x[i]!) > threshold) return i;
  return -1;
}
