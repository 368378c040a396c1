/**
 * Gain ramps that keep joins and transport changes click-free.
 *
 * A click is a step in the waveform. TTS chunks are synthesized separately, so the
 * last sample of chunk N and the first of chunk N+1 need not meet; cancel and pause
 * cut speech mid-word. We ramp the gain instead of cutting:
 *
 * - Chunk joins: fade out the last {@link SEAM_MS} ms of chunk N and fade in the
 *   first {@link SEAM_MS} ms of chunk N+1 (complementary ramps: g_out(t) + g_in(t) = 1).
 *   5 ms: long enough that the ramp's spectral splatter stays below ~200 Hz
 *   (1 / 5 ms) where it is masked by voiced speech, short enough not to blunt
 *   consonant onsets (plosive bursts last ~5–40 ms), and joins fall on clause
 *   boundaries where TTS output is near silence anyway.
 * - Cancel / pause: one frame ({@link TRANSPORT_FADE_MS} = 20 ms) ramped to exactly 0;
 *   resume ramps the first 20 ms back in. 20 ms is the usual "de-click" release of
 *   audio editors and exactly one frame, so the fade-out fits the single frame emitted on cancel.
 *
 * Shape: raised cosine (half a Hann window), g(x) = 0.5 − 0.5·cos(π·x). Unlike a
 * linear ramp its slope is zero at both ends, so the gain curve itself adds no
 * corner (less splatter for the same length).
 */

/** Fade length at chunk joins, ms (see module comment). */
export const SEAM_MS = 5;

/** Fade length for cancel, pause and resume, ms: one frame. */
export const TRANSPORT_FADE_MS = 20;

/** Raised-cosine fade-in gain at position `i` of an `n`-sample ramp: 0 at i = 0, 1 at i = n − 1 (n = 1 → 1). */
export function fadeInGain(i: number, n: number): number {
  if (n <= 1) return 1;
  return 0.5 - 0.5 * Math.cos((Math.PI * i) / (n - 1));
}

/**
 * Fades the first `length` samples of `buf` in (gain 0 → 1), in place.
 * @param buf mono f32
 * @param length ramp length in samples; clipped to `buf.length`
 */
export function fadeIn(buf: Float32Array, length: number): Float32Array {
  const n = Math.min(length, buf.length);
  // A block shorter than the ramp gets a complete (shorter) ramp: its end must reach gain 1
  // because the next block plays at full gain.
  for (let i = 0; i < n; i++) buf[i]! *= fadeInGain(i, n);
  return buf;
}

/**
 * Fades the last `length` samples of `buf` out (gain 1 → 0, the very last sample exactly 0), in place.
 * @param buf mono f32
 * @param length ramp length in samples; clipped to `buf.length`
 */
export function fadeOut(buf: Float32Array, length: number): Float32Array {
  const n = Math.min(length, buf.length);
  const start = buf.length - n;
  for (let i = 0; i < n; i++) buf[start + i]! *= fadeInGain(n - 1 - i, n);
  return buf;
}

/**
 * Fades `buf` out over its first `length` samples and zeroes the rest, in place
 * (the cancel/pause frame: speech dies away, then silence to the frame's end).
 */
export function fadeOutThenSilence(buf: Float32Array, length: number): Float32Array {
  const n = Math.min(length, buf.length);
  for (let i = 0; i < n; i++) buf[i]! *= fadeInGain(n - 1 - i, n);
  buf.fill(0, n);
  return buf;
}

/** Samples of a ramp of `ms` at `rateHz` (at least 2, so a ramp always starts or ends at 0). */
export function rampSamples(ms: number, rateHz: number): number {
  return Math.max(2, Math.round((ms * rateHz) / 1000));
}
