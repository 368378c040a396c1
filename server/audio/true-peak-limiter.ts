/**
 * Look-ahead true-peak limiter for the playout path (issue 12, "broadcast loudness"): keeps every
 * narration at or below a true-peak ceiling (−1 dBTP, EBU R 128 / ITU-R BS.1770-4) after the
 * per-voice loudness gain, without two passes over the audio.
 *
 * Signal flow, per input sample (mono f32 at the room's rate, 16 000–24 000 Hz):
 *
 * 1. Detector — true peak by 8× polyphase FIR interpolation ({@link OVERSAMPLING} phases of
 *    {@link TAPS_PER_PHASE} taps). BS.1770-4 Annex 2 oversamples 48 kHz material 4× (its 48-tap
 *    coefficient table is designed for that) and asks for ≥ 192 kHz. What sets the error is the
 *    ratio of the oversampled rate R to the highest frequency present f: a grid of step 1/R misses a
 *    sinusoid's crest by at most half a step, so it reads ≥ cos(π·f/R) of the true peak. At our
 *    rates f ≤ fs/2, so 8× (128–192 kHz) bounds the under-read at cos(π/16) = −0.17 dB for any fs —
 *    tighter than the spec's own 4×-at-48 kHz case with 20 kHz content (cos(π·20/192) = −0.47 dB) —
 *    whereas reusing the 4× table at 22 050 Hz would allow −0.69 dB. The taps are a Kaiser-windowed
 *    sinc (β = 9, cut-off at the input Nyquist, 32 taps per phase, each phase normalised to unit DC
 *    gain) — the shape FFmpeg's true-peak meter uses (libswresample's default 32-tap Kaiser, β 9,
 *    resampling to 192 kHz in libavfilter/f_ebur128.c): a shorter, gentler filter (16 taps, β 8)
 *    under-read the Gibbs overshoot at the edges of square bursts by 0.4 dB against that meter.
 *    The detector also evaluates libebur128's own 4× interpolator at its three points and keeps the
 *    larger reading (see {@link ROWS}): the two maintained meters disagree by up to 0.5 dB on such
 *    content, and the limiter must satisfy both.
 * 2. Required gain r = min(1, threshold / peak) per inter-sample interval, threshold = ceiling −
 *    {@link TRUE_PEAK_MARGIN_DB}.
 * 3. Sliding minimum (monotonic deque, O(1) amortised) over a window that covers, around every
 *    peak, the 32 samples its interpolated value depends on, the hold time after it and the attack
 *    span before it — the Histmin stage of Fons Adriaensen's zita-dpl1 as used in x42 dpl.lv2
 *    (src/peaklim.cc). Holding the gain flat over the interpolator's whole support is what makes the
 *    output's reconstructed peak exactly gain × input peak there.
 * 4. Release: the gain reduction decays exponentially (time constant `releaseMs`) once the
 *    window holds no peak, never below what the minimum demands (dpl's z3 release).
 * 5. Attack: two cascaded moving averages whose spans add up to the attack span. Every value they
 *    average already satisfies the peak (step 3), so the smoothed gain reaches the required
 *    reduction exactly when the peak arrives — unlike dpl's one-pole smoother, which only
 *    approaches it — and the ramp is an S-curve (triangular kernel, continuous slope).
 * 6. The delayed input times the gain. When the gain is exactly 1 (no reduction anywhere in the
 *    averaging windows) the input sample is copied, so audio below the ceiling passes bit-exact.
 *
 * "No pumping": the hold bridges the gaps between the waveform peaks of one sound (voice periods up
 * to 1/67 Hz fit in hold + attack + support ≈ 15 ms), so the gain does not ripple at the pitch
 * rate; after the last peak it stays flat for the hold time, then rises monotonically.
 *
 * Cost, measured with process.cpuUsage on this repo's 2-core machine under load (Node 20, 441-sample
 * frames, 30 s of a synthetic 22 050 Hz voice): ≈ 3.5 ms of CPU per second of audio while limiting
 * (0.35 % of a core), ≈ 2.5 ms with peaks just under the ceiling, ≈ 1 ms when every sample is more
 * than 7.4 dB under the threshold (the detector then skips interpolating: no row's Σ|c| exceeds
 * 2.35, so such a window cannot hold an over). Worst case, full-scale white noise: ≈ 14 ms.
 */
import { INTERNAL_RATE_BOUNDS } from './pcm.ts';

/** Oversampling factor of the true-peak detector (see module comment: ≥ 128 kHz at 16 kHz, ≤ 0.17 dB under-read). */
export const OVERSAMPLING = 8;

/** FIR taps per polyphase branch: the interpolator spans 32 input samples (1.3–2 ms), like libswresample's default filter_size 32. */
export const TAPS_PER_PHASE = 32;

/** Input samples before / after an inter-sample interval [s, s + 1) that its interpolated values use: x[s − 15 … s + 16]. */
const SUPPORT_BEFORE = TAPS_PER_PHASE / 2 - 1;
const SUPPORT_AFTER = TAPS_PER_PHASE / 2;

/** Kaiser window β of the interpolator (libswresample's default kaiser_beta 9: ≈ −90 dB stop band). */
const KAISER_BETA = 9;

/**
 * Safety margin below the ceiling, dB: the detector limits to ceiling − 0.2 dB so that maintained
 * meters read ≤ the ceiling. It covers the 8× grid's worst-case under-read (0.17 dB at fs/2, module
 * comment); measured, FFmpeg `ebur128=peak=true` read at most 0.07 dB above the detector (white
 * noise 6 dB over, limited, 22 050 Hz), libebur128 never above it. Audio whose true peak lies
 * between −1.2 and −1 dBTP is therefore touched (by at most 0.2 dB).
 */
export const TRUE_PEAK_MARGIN_DB = 0.2;

/** Gain reductions smaller than this (linear, −120 dB) snap to none, so a released gain returns to exactly 1 and the bypass resumes. */
const RELEASE_SNAP = 1e-6;

/** Options of {@link TruePeakLimiter}. */
export interface TruePeakLimiterOptions {
  /** Rate of the audio, Hz: an integer from 16 000 to 24 000 (the room's rate). */
  sampleRate: number;
  /** True-peak ceiling, dBTP, from −20 to 0 (broadcast: −1, EBU R 128). */
  ceilingDbtp: number;
  /**
   * Look-ahead = the limiter's whole latency, ms, from 2 to 20. Default 5 ms, FFmpeg `alimiter`'s
   * default attack: of it, 30 samples (1.25–1.9 ms) wait for the interpolator's span and the rest
   * is the attack ramp (80 samples, 3.6 ms at 22 050 Hz) — long enough that the gain change is an
   * envelope, not a click (longer than a 300 Hz voice period), short enough to add only a quarter of
   * a 20 ms frame to the playout delay.
   */
  lookaheadMs: number;
  /**
   * Release time constant, ms, from 1 to 1000. Default 50 ms (FFmpeg `alimiter`'s default): long
   * against voice periods (≤ 12.5 ms), so the gain does not follow the waveform (distortion); short
   * against a syllable (~200 ms), so one loud peak does not duck the words after it (pumping).
   */
  releaseMs: number;
  /**
   * Hold after the last peak before the release starts, ms, from 0 to 100. Default 10 ms: with the
   * attack and the interpolator span the gain stays down across gaps up to ~15 ms between peaks,
   * i.e. voice fundamentals down to ~67 Hz — the "hold time" that Sanfilippo (2022, "Envelope
   * following via cascaded exponential smoothers…", IFC) adds to lower low-frequency distortion.
   */
  holdMs: number;
}

/** Defaults of {@link TruePeakLimiterOptions} other than rate and ceiling (reasons on each field). */
export const defaultTruePeakLimiterOptions = { lookaheadMs: 5, releaseMs: 50, holdMs: 10 } as const;

/** Counters for health and benchmarks, cumulative since the limiter was constructed. */
export interface TruePeakLimiterStats {
  /** Deepest gain reduction applied, dB (≥ 0; 0 when the limiter never acted). */
  reductionMaxDb: number;
  /** Output samples that left with a gain below 1. */
  samplesReduced: number;
  /** Output samples in all (real input only, not the flush padding). */
  samplesOut: number;
}

/**
 * The detector's interpolation rows over the window x[n − 31 … n] (interval s = n − 16): row r
 * gives the signal at one point inside [s, s + 1) from `len[r]` taps starting at window index
 * `start[r]`; `coeffs` holds the rows one after another.
 * - Rows 0–6: points s + p/8, p = 1…7 — Kaiser-windowed sinc, cut-off at the input Nyquist, each
 *   row normalised to sum 1 (a constant interpolates to itself).
 * - Rows 7–9: points s + q/4, q = 1…3 — libebur128's own interpolator (ebur128/ebur128.c
 *   `interp_create(49, 4)`: 49-tap Hann-windowed sinc, taps below 1e-6 dropped; the `ebur128-wasm`
 *   build of its Rust port reads exactly what these rows give). Its wide transition band lets
 *   images above fs/2 through, so on white noise limited to the threshold it read 0.26 dB above the
 *   Kaiser rows; taking the larger of both keeps that meter under the ceiling too (36 more taps).
 */
const ROWS: { coeffs: Float64Array; start: Int32Array; len: Int32Array } = designInterpolator();

/** The largest Σ|c| of a row: |interpolated| ≤ LOUD_BOUND × max|x| over the 32 samples of the window. */
const LOUD_BOUND: number = (() => {
  let worst = 1;
  let at = 0;
  for (let r = 0; r < ROWS.len.length; r++) {
    let s = 0;
    for (let j = 0; j < ROWS.len[r]!; j++) s += Math.abs(ROWS.coeffs[at++]!);
    worst = Math.max(worst, s);
  }
  return worst;
})();

function designInterpolator(): { coeffs: Float64Array; start: Int32Array; len: Int32Array } {
  const L = OVERSAMPLING;
  const T = TAPS_PER_PHASE;
  const coeffs: number[] = [];
  const start: number[] = [];
  const len: number[] = [];
  const halfSpan = (L * T) / 2;
  for (let p = 1; p < L; p++) {
    const row: number[] = [];
    for (let j = 0; j < T; j++) {
      // Offset, in 1/L steps, of window sample x[n − T + 1 + j] from the point s + p/L (s = n − T/2).
      const i = L * (T / 2 - 1 - j) + p;
      const x = (Math.PI * i) / L;
      const r = i / halfSpan;
      row.push((Math.sin(x) / x) * (besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / besselI0(KAISER_BETA)));
    }
    const sum = row.reduce((a, b) => a + b, 0);
    coeffs.push(...row.map((c) => c / sum));
    start.push(0);
    len.push(T);
  }
  // libebur128: y[4t + q] = Σ_j h[j]·x[t − (j − q)/4], h[j] = sinc((j − 24)/4)·hann(j), j = 0…48; the
  // point is t − 6 + q/4, so t = s + 6 and window index w (x[s − 15 + w]) takes j = 4·(21 − w) + q.
  const taps = 49;
  const factor = 4;
  for (let q = 1; q < factor; q++) {
    const row: number[] = [];
    let first = -1;
    for (let w = 0; w < T; w++) {
      const j = factor * (21 - w) + q;
      if (j < 0 || j >= taps) continue;
      const m = j - (taps - 1) / 2;
      const c = (Math.sin((m * Math.PI) / factor) / ((m * Math.PI) / factor)) * 0.5 * (1 - Math.cos((2 * Math.PI * j) / (taps - 1)));
      if (Math.abs(c) <= 1e-6) continue;
      if (first < 0) first = w;
      row[w - first] = c;
    }
    coeffs.push(...Array.from(row, (c) => c ?? 0));
    start.push(first);
    len.push(row.length);
  }
  return { coeffs: Float64Array.from(coeffs), start: Int32Array.from(start), len: Int32Array.from(len) };
}

/** Modified Bessel function of the first kind, order 0 (power series; converges for the β used here). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 60; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/**
 * Streaming look-ahead true-peak limiter (algorithm, defaults and cost: module comment).
 *
 * Stream contract: {@link process} adds no samples. It holds back {@link latencySamples} and
 * returns the samples that are ready — `input.length − latencySamples` on the first call (never
 * fewer than 0), then as many as come in; {@link flush} returns the held tail. Over a stream,
 * output length = input length. Inputs are never modified.
 */
export class TruePeakLimiter {
  /** Rate, Hz. */
  readonly sampleRate: number;
  /** Ceiling, dBTP. */
  readonly ceilingDbtp: number;
  /** Samples held back (look-ahead): output sample k leaves when input sample k + latencySamples arrives. */
  readonly latencySamples: number;

  /** Linear detector threshold: ceiling − margin. */
  private readonly threshold: number;
  /** |x| above which the 32 samples after it must be interpolated (below, LOUD_BOUND proves no over). */
  private readonly loudLevel: number;
  /** Per-sample release factor of the gain reduction, exp(−1 / (releaseMs · fs)). */
  private readonly releaseFactor: number;
  /** Sliding-minimum window length, samples: interpolator support (31) + hold + attack span (see step 3). */
  private readonly window: number;
  /** Spans of the two moving averages (sum − 1 = attack span). */
  private readonly span1: number;
  private readonly span2: number;

  // Detector: doubled ring of the last TAPS_PER_PHASE inputs (a contiguous window at ringPos).
  private readonly ring = new Float64Array(2 * TAPS_PER_PHASE);
  private ringPos = 0;
  /** Index of the last input louder than loudLevel. */
  private lastLoud = -Infinity;
  /** Index of the next input sample (flush padding included). */
  private n = 0;

  // Sliding minimum of required gains < 1: a deque (ring) of (interval index, gain), gains increasing front to back.
  private readonly dqIndex: Float64Array;
  private readonly dqGain: Float64Array;
  private dqHead = 0;
  private dqSize = 0;

  /** Gain after hold and release (before smoothing). */
  private held = 1;

  // Moving averages over the gain reduction 1 − g; a count of non-zero entries lets an all-zero window give exactly 0.
  private readonly avg1: Float64Array;
  private avg1Pos = 0;
  private avg1Sum = 0;
  private avg1NonZero = 0;
  private readonly avg2: Float64Array;
  private avg2Pos = 0;
  private avg2Sum = 0;
  private avg2NonZero = 0;

  /** Input delay line, latencySamples long (slot n mod latency holds x[n − latency] until x[n] replaces it). */
  private readonly delay: Float32Array;

  /** Real input samples taken and output samples given in this stream. */
  private taken = 0;
  private given = 0;

  private minGain = 1;
  private reduced = 0;
  private totalOut = 0;

  /**
   * @param options rate and ceiling required; look-ahead, release and hold default to
   *   {@link defaultTruePeakLimiterOptions}
   * @throws RangeError naming the option that is missing, not a finite number, or out of range
   */
  constructor(options: Pick<TruePeakLimiterOptions, 'sampleRate' | 'ceilingDbtp'> & Partial<TruePeakLimiterOptions>) {
    const o: TruePeakLimiterOptions = {
      sampleRate: options.sampleRate,
      ceilingDbtp: options.ceilingDbtp,
      lookaheadMs: options.lookaheadMs ?? defaultTruePeakLimiterOptions.lookaheadMs,
      releaseMs: options.releaseMs ?? defaultTruePeakLimiterOptions.releaseMs,
      holdMs: options.holdMs ?? defaultTruePeakLimiterOptions.holdMs,
    };
    checkOption('sampleRate', o.sampleRate, INTERNAL_RATE_BOUNDS.min, INTERNAL_RATE_BOUNDS.max, 'Hz');
    if (!Number.isInteger(o.sampleRate)) throw new RangeError(`TruePeakLimiter: sampleRate must be an integer number of Hz, got ${o.sampleRate}`);
    checkOption('ceilingDbtp', o.ceilingDbtp, -20, 0, 'dBTP');
    checkOption('lookaheadMs', o.lookaheadMs, 2, 20, 'ms');
    checkOption('releaseMs', o.releaseMs, 1, 1000, 'ms');
    checkOption('holdMs', o.holdMs, 0, 100, 'ms');

    const fs = o.sampleRate;
    this.sampleRate = fs;
    this.ceilingDbtp = o.ceilingDbtp;
    this.latencySamples = Math.round((o.lookaheadMs * fs) / 1000);
    // latency = (attack span − 1) + SUPPORT_BEFORE (the gain must already be down on the 15 samples
    // before an interval) + SUPPORT_AFTER (the detector waits for the 16 samples after it).
    const attack = this.latencySamples - SUPPORT_BEFORE - SUPPORT_AFTER + 1;
    this.span1 = Math.ceil(attack / 2);
    this.span2 = attack - this.span1 + 1;
    const hold = Math.round((o.holdMs * fs) / 1000);
    this.window = SUPPORT_BEFORE + SUPPORT_AFTER + hold + attack;
    this.threshold = 10 ** ((o.ceilingDbtp - TRUE_PEAK_MARGIN_DB) / 20);
    this.loudLevel = this.threshold / LOUD_BOUND;
    this.releaseFactor = Math.exp(-1000 / (o.releaseMs * fs));
    this.dqIndex = new Float64Array(this.window + 1);
    this.dqGain = new Float64Array(this.window + 1);
    this.avg1 = new Float64Array(this.span1);
    this.avg2 = new Float64Array(this.span2);
    this.delay = new Float32Array(this.latencySamples);
  }

  /**
   * Limits the next block of a stream.
   * @param input mono f32 (any length, 0 included); not modified
   * @returns a new array of the processed samples now ready (see the class comment for how many)
   */
  process(input: Float32Array): Float32Array {
    const ready = Math.max(0, this.taken + input.length - this.latencySamples) - this.given;
    const out = new Float32Array(ready);
    let at = 0;
    for (let i = 0; i < input.length; i++) {
      const y = this.step(input[i]!);
      if (y !== undefined) out[at++] = y;
    }
    this.taken += input.length;
    this.given += at;
    return out;
  }

  /**
   * Ends the stream: returns the held-back tail (the signal continued by silence, so its peaks are
   * limited like any others) and resets for the next stream, as {@link reset} does.
   * @returns the last min(latencySamples, samples taken) samples of the stream, processed
   */
  flush(): Float32Array {
    const out = new Float32Array(this.taken - this.given);
    let at = 0;
    while (at < out.length) {
      const y = this.step(0);
      if (y !== undefined) out[at++] = y;
    }
    this.reset();
    return out;
  }

  /** Drops the stream state (held samples, gain, detector history) without output; statistics are kept. */
  reset(): void {
    this.ring.fill(0);
    this.ringPos = 0;
    this.lastLoud = -Infinity;
    this.n = 0;
    this.dqHead = 0;
    this.dqSize = 0;
    this.held = 1;
    this.avg1.fill(0);
    this.avg1Pos = 0;
    this.avg1Sum = 0;
    this.avg1NonZero = 0;
    this.avg2.fill(0);
    this.avg2Pos = 0;
    this.avg2Sum = 0;
    this.avg2NonZero = 0;
    this.delay.fill(0);
    this.taken = 0;
    this.given = 0;
  }

  /** Counters since construction (a copy). */
  stats(): TruePeakLimiterStats {
    return { reductionMaxDb: this.minGain < 1 ? -20 * Math.log10(this.minGain) : 0, samplesReduced: this.reduced, samplesOut: this.totalOut };
  }

  /**
   * One input sample in; the output sample `latencySamples` earlier out (undefined while the
   * look-ahead fills). Index bookkeeping, with n the input index and T = TAPS_PER_PHASE:
   * the detector finishes interval s = n − T/2 (it needs x[s − 15 … s + 16]); the sliding minimum
   * gives the held gain for j = s − 15; the moving averages give the gain for k = j − attack + 1
   * = n − latencySamples.
   */
  private step(x: number): number | undefined {
    const T = TAPS_PER_PHASE;
    const n = this.n++;

    // 1. Detector.
    const ring = this.ring;
    ring[this.ringPos] = x;
    ring[this.ringPos + T] = x;
    this.ringPos = this.ringPos + 1 === T ? 0 : this.ringPos + 1;
    const base = this.ringPos; // ring[base … base + T − 1] = x[n − T + 1 … n]
    if (x > this.loudLevel || -x > this.loudLevel) this.lastLoud = n;
    let peak = Math.abs(ring[base + T / 2 - 1]!);
    if (n - this.lastLoud < T) {
      // Some sample of this interval's support is loud enough that an interpolated value could pass the threshold.
      const c = ROWS.coeffs;
      const rowStart = ROWS.start;
      const rowLen = ROWS.len;
      let o = 0;
      for (let r = 0; r < rowLen.length; r++) {
        const from = base + rowStart[r]!;
        const to = from + rowLen[r]!;
        let acc = 0;
        for (let w = from; w < to; w++) acc += c[o++]! * ring[w]!;
        if (acc > peak) peak = acc;
        else if (-acc > peak) peak = -acc;
      }
    }

    // 2–3. Required gain into the sliding minimum. The held gain for j = s − 15 is the minimum over
    // intervals m ∈ [j − 16 − hold − attack + 1, j + 15]: every sample k ∈ [m − 15, m + 16 + hold]
    // then averages (step 5, k … k + attack − 1) only values ≤ r[m].
    const s = n - SUPPORT_AFTER;
    const cap = this.dqIndex.length;
    if (peak > this.threshold) {
      const r = this.threshold / peak;
      while (this.dqSize > 0 && this.dqGain[(this.dqHead + this.dqSize - 1) % cap]! >= r) this.dqSize--;
      const at = (this.dqHead + this.dqSize) % cap;
      this.dqIndex[at] = s;
      this.dqGain[at] = r;
      this.dqSize++;
    }
    while (this.dqSize > 0 && this.dqIndex[this.dqHead]! <= s - this.window) {
      this.dqHead = this.dqHead + 1 === cap ? 0 : this.dqHead + 1;
      this.dqSize--;
    }
    const minimum = this.dqSize > 0 ? this.dqGain[this.dqHead]! : 1;

    // 4. Release toward 1, never above the minimum.
    let released = 1 - (1 - this.held) * this.releaseFactor;
    if (1 - released < RELEASE_SNAP) released = 1;
    this.held = minimum < released ? minimum : released;

    // 5. Two moving averages of the reduction.
    const d1 = 1 - this.held;
    const old1 = this.avg1[this.avg1Pos]!;
    this.avg1[this.avg1Pos] = d1;
    this.avg1Pos = this.avg1Pos + 1 === this.span1 ? 0 : this.avg1Pos + 1;
    this.avg1NonZero += (d1 !== 0 ? 1 : 0) - (old1 !== 0 ? 1 : 0);
    this.avg1Sum = this.avg1NonZero === 0 ? 0 : this.avg1Sum + d1 - old1;
    const d2 = this.avg1NonZero === 0 ? 0 : this.avg1Sum / this.span1;
    const old2 = this.avg2[this.avg2Pos]!;
    this.avg2[this.avg2Pos] = d2;
    this.avg2Pos = this.avg2Pos + 1 === this.span2 ? 0 : this.avg2Pos + 1;
    this.avg2NonZero += (d2 !== 0 ? 1 : 0) - (old2 !== 0 ? 1 : 0);
    this.avg2Sum = this.avg2NonZero === 0 ? 0 : this.avg2Sum + d2 - old2;

    // 6. Delay line and gain.
    const len = this.delay.length;
    const delayed = this.delay[n % len]!; // x[n − latency] (the slot about to be overwritten)
    this.delay[n % len] = x;
    if (n < this.latencySamples) return undefined;
    this.totalOut++;
    if (this.avg2NonZero === 0) return delayed;
    const gain = 1 - this.avg2Sum / this.span2;
    this.reduced++;
    if (gain < this.minGain) this.minGain = gain;
    return delayed * gain;
  }
}

function checkOption(name: keyof TruePeakLimiterOptions, value: unknown, min: number, max: number, unit: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`TruePeakLimiter: ${name} must be a number from ${min} to ${max} ${unit}, got ${String(value)}`);
  }
}
