import { RoomOpusEncoder } from './room-opus-encoder.ts';

/** Cost of one room's per-frame work in the `webrtc` sink: resample to 48 kHz + Opus encode. */
export interface OpusEncodeCost {
  /** Frames timed (after warm-up). */
  readonly frames: number;
  /** Per-frame cost, µs. */
  readonly perFrameUs: { readonly p50: number; readonly p95: number; readonly max: number; readonly mean: number };
  /** Share of the 20 ms frame budget the p95 takes, in [0, 1]. */
  readonly p95FrameBudgetShare: number;
}

/**
 * Times {@link RoomOpusEncoder.encode} (what `WebRtcSink.write` pays once per room per frame,
 * before the per-peer RTP sends) on a speech-like signal: a 180 Hz tone with harmonics and noise,
 * alternating 1 s of voice with 0.2 s of silence, so silence frames are timed too.
 * Runs on the calling thread, synchronously between awaits; for the bench and the README figures.
 * @param frames frames to time, e.g. 1500 (30 s of audio)
 * @param options sampleRate: room rate in Hz (default 22 050); bitrate: bits/s (default 32 000);
 *   warmupFrames: untimed frames first (default 50, JIT and the resampler's filter)
 * @throws RangeError when `frames` is not a positive integer
 */
export async function measureOpusEncodeCost(
  frames: number,
  options: { sampleRate?: number; bitrate?: number; warmupFrames?: number } = {},
): Promise<OpusEncodeCost> {
  if (!Number.isInteger(frames) || frames <= 0) throw new RangeError(`frames must be a positive integer, got ${frames}`);
  const sampleRate = options.sampleRate ?? 22_050;
  const warmup = options.warmupFrames ?? 50;
  const frameSamples = Math.round(sampleRate / 50);
  const encoder = await RoomOpusEncoder.create(sampleRate, options.bitrate ?? 32_000);
  const times: number[] = [];
  let seed = 1;
  try {
    const frame = new Int16Array(frameSamples);
    for (let f = 0; f < warmup + frames; f++) {
      const voiced = f % 60 < 50;
      for (let i = 0; i < frameSamples; i++) {
        const t = (f * frameSamples + i) / sampleRate;
        seed = (seed * 1103515245 + 12345) >>> 0; // LCG (glibc constants): reproducible noise
        const v = 0.5 * Math.sin(2 * Math.PI * 180 * t) + 0.2 * Math.sin(2 * Math.PI * 360 * t) + 0.1 * (seed / 0x1_0000_0000 - 0.5);
        frame[i] = voiced ? Math.round(v * 12000) : 0;
      }
      const t0 = performance.now();
      encoder.encode(frame);
      const dt = performance.now() - t0;
      if (f >= warmup) times.push(dt * 1000);
    }
  } finally {
    encoder.close();
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const p95 = at(0.95);
  return { frames, perFrameUs: { p50: at(0.5), p95, max: times[times.length - 1]!, mean }, p95FrameBudgetShare: p95 / 20_000 };
}
