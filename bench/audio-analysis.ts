/**
 * Signal analysis for the bench's quality section (bench/README.md "Quality"): where speech is
 * silent, how long a pause is, the voiced-time position of a point, F0 before a point, clicks.
 *
 * Everything works on mono f32 samples in [-1, 1] and is relative to the signal's own level, so
 * a pipeline narration normalized to −16 LUFS and the engine's raw one-call reading (another
 * level) are judged alike.
 *
 * Silence: the signal is cut into {@link LevelOptions.windowMs} (5 ms) windows; a window is
 * silent when its peak |sample| is more than {@link LevelOptions.belowRefDb} (40 dB) under the
 * reference level, the {@link LevelOptions.refPercentile} (95th) percentile of the windows'
 * RMS, i.e. the level of loud speech. A pause is a run of silent windows.
 */
import { YIN } from 'pitchfinder';

/** Options of {@link levelMap}. */
export interface LevelOptions {
  /** Analysis window, ms (default 5). */
  readonly windowMs?: number;
  /** A window is silent when its peak is this many dB under the reference (default 40). */
  readonly belowRefDb?: number;
  /** Percentile of the windows' RMS that is the reference level (default 95). */
  readonly refPercentile?: number;
}

/** Per-window levels of a signal and which windows are silent (see the module comment). */
export interface LevelMap {
  readonly sampleRate: number;
  /** Samples per window (the last window may be shorter). */
  readonly windowSamples: number;
  /** Samples in the signal. */
  readonly length: number;
  /** Peak |sample| per window. */
  readonly peak: Float32Array;
  /** RMS per window. */
  readonly rms: Float32Array;
  /** Reference level: the chosen percentile of {@link rms} (linear). */
  readonly refRms: number;
  /** Silence threshold on a window's peak (linear): `refRms · 10^(−belowRefDb/20)`. */
  readonly threshold: number;
  /** 1 where the window is silent. */
  readonly silent: Uint8Array;
  /** Non-silent windows before window w (length windows + 1): voiced time, in windows. */
  readonly voicedBefore: Uint32Array;
}

/** A run of silent windows, in samples: [start, end). */
export interface SilenceRun {
  readonly start: number;
  readonly end: number;
}

/**
 * Levels and silence of a signal.
 * @param samples mono f32
 * @param sampleRate Hz
 */
export function levelMap(samples: Float32Array, sampleRate: number, options: LevelOptions = {}): LevelMap {
  const windowSamples = Math.max(1, Math.round(((options.windowMs ?? 5) * sampleRate) / 1000));
  const windows = Math.ceil(samples.length / windowSamples);
  const peak = new Float32Array(windows);
  const rms = new Float32Array(windows);
  for (let w = 0; w < windows; w++) {
    const from = w * windowSamples;
    const to = Math.min(samples.length, from + windowSamples);
    let p = 0;
    let sq = 0;
    for (let i = from; i < to; i++) {
      const v = samples[i]!;
      const a = Math.abs(v);
      if (a > p) p = a;
      sq += v * v;
    }
    peak[w] = p;
    rms[w] = Math.sqrt(sq / Math.max(1, to - from));
  }
  const refRms = windows === 0 ? 0 : quantile(rms, (options.refPercentile ?? 95) / 100);
  const threshold = refRms * 10 ** (-(options.belowRefDb ?? 40) / 20);
  const silent = new Uint8Array(windows);
  const voicedBefore = new Uint32Array(windows + 1);
  for (let w = 0; w < windows; w++) {
    // A signal with no level at all (digital silence) is silent throughout.
    silent[w] = refRms === 0 || peak[w]! < threshold ? 1 : 0;
    voicedBefore[w + 1] = voicedBefore[w]! + (silent[w] ? 0 : 1);
  }
  return { sampleRate, windowSamples, length: samples.length, peak, rms, refRms, threshold, silent, voicedBefore };
}

/** The runs of silent windows of `map`, in order, as sample ranges (clipped to the signal). */
export function silenceRuns(map: LevelMap): SilenceRun[] {
  const runs: SilenceRun[] = [];
  let start = -1;
  for (let w = 0; w <= map.silent.length; w++) {
    const quiet = w < map.silent.length && map.silent[w] === 1;
    if (quiet && start < 0) start = w;
    else if (!quiet && start >= 0) {
      runs.push({ start: start * map.windowSamples, end: Math.min(map.length, w * map.windowSamples) });
      start = -1;
    }
  }
  return runs;
}

/** Length of a run, ms. */
export function runMs(run: SilenceRun, sampleRate: number): number {
  return ((run.end - run.start) * 1000) / sampleRate;
}

/**
 * The pause that ends near `at`: the longest run whose end lies in [at − tolerance, at + tolerance]
 * (a seam's pause ends where the next chunk's speech starts).
 * @returns the run, or null when none ends there (the chunks were butted without silence)
 */
export function pauseEndingNear(runs: readonly SilenceRun[], at: number, toleranceSamples: number): SilenceRun | null {
  let best: SilenceRun | null = null;
  for (const r of runs) {
    if (r.end < at - toleranceSamples || r.end > at + toleranceSamples) continue;
    if (!best || r.end - r.start > best.end - best.start) best = r;
  }
  return best;
}

/**
 * The longest run that overlaps [centre − halfWindow, centre + halfWindow] and is at least
 * `minSamples` long, ignoring a run that touches the start or the end of the signal (leading or
 * trailing silence is no pause).
 * @returns the run, or null when none qualifies
 */
export function longestRunNear(runs: readonly SilenceRun[], length: number, centre: number, halfWindow: number, minSamples = 1): SilenceRun | null {
  let best: SilenceRun | null = null;
  for (const r of runs) {
    if (r.start === 0 || r.end >= length) continue;
    if (r.end - r.start < minSamples || r.end < centre - halfWindow || r.start > centre + halfWindow) continue;
    if (!best || r.end - r.start > best.end - best.start) best = r;
  }
  return best;
}

/** Voiced (non-silent) time before sample `at`, in samples (window resolution). */
export function voicedSamplesBefore(map: LevelMap, at: number): number {
  const w = Math.max(0, Math.min(map.silent.length, Math.floor(at / map.windowSamples)));
  return map.voicedBefore[w]! * map.windowSamples;
}

/**
 * The sample where `voiced` samples of voiced time have passed (window resolution): maps a point
 * of one reading of a text onto another reading of the same text (same engine, same words: the
 * voiced time is nearly the same, only pauses differ). Lands at the end of the voiced window that
 * reaches it, i.e. before any silence that follows.
 */
export function sampleAtVoiced(map: LevelMap, voiced: number): number {
  const want = Math.max(0, voiced / map.windowSamples);
  // Binary search for the first window with voicedBefore ≥ want.
  let lo = 0;
  let hi = map.silent.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (map.voicedBefore[mid]! < want) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(map.length, lo * map.windowSamples);
}

/**
 * First and last sound of [from, to): the first and the last sample at or above the map's silence
 * threshold, searched in the non-silent windows (sample-accurate edges).
 * @returns `first` (index of the first such sample) and `last` (one past the last), or null when all of it is silent
 */
export function soundSpan(samples: Float32Array, map: LevelMap, from = 0, to = map.length): { first: number; last: number } | null {
  const w0 = Math.max(0, Math.floor(from / map.windowSamples));
  const w1 = Math.min(map.silent.length, Math.ceil(to / map.windowSamples));
  let first = -1;
  let last = -1;
  for (let w = w0; w < w1; w++) {
    if (map.silent[w]) continue;
    if (first < 0) first = w;
    last = w;
  }
  if (first < 0) return null;
  const lo = Math.max(from, first * map.windowSamples);
  const hi = Math.min(to, (last + 1) * map.windowSamples);
  let a = lo;
  while (a < hi && Math.abs(samples[a]!) < map.threshold) a++;
  let b = hi;
  while (b > a && Math.abs(samples[b - 1]!) < map.threshold) b--;
  return a < b ? { first: a, last: b } : null;
}

/** Options of {@link medianF0Before}. */
export interface F0Options {
  /** Voiced audio to collect before the point, ms (default 150). */
  readonly voicedMs?: number;
  /** Hop between analysis windows, ms (default 10). */
  readonly hopMs?: number;
  /** How far back to look for that much voiced audio, ms (default 600). */
  readonly searchMs?: number;
  /** Plausible F0 range, Hz (default 60–400): detections outside are unvoiced frames. */
  readonly minHz?: number;
  readonly maxHz?: number;
}

/**
 * F0 analysis window at the analysis rate (22 050 Hz decimated by 2 → 11 025 Hz): 513 samples,
 * of which pitchfinder's YIN uses the largest power of two below the length, 512 = 46 ms, with
 * lags up to half of it (F0 ≥ 43 Hz). A 40 ms buffer would leave YIN 256 samples and stop at
 * 86 Hz, above a low male voice's sentence-final F0; the decimation (a [¼ ½ ¼] low-pass, then every
 * other sample) quarters YIN's O(n²) cost and keeps everything below ~3 kHz, far above any F0.
 */
export const F0_WINDOW_MS = 46;

/**
 * Median F0 of the last `voicedMs` of voiced audio before sample `at`: pitchfinder's YIN
 * (threshold 0.1, probability ≥ 0.1) on ~46 ms windows ({@link F0_WINDOW_MS}) ending at `at`,
 * `at − hop`, … back to `searchMs`; a frame counts when its window's RMS is above the map's
 * silence threshold and YIN finds an F0 in range, until voicedMs / hopMs frames are found.
 * @returns the median in Hz and the frames it is over; f0Hz null when no frame was voiced
 */
export function medianF0Before(samples: Float32Array, map: LevelMap, at: number, options: F0Options = {}): { f0Hz: number | null; frames: number } {
  const rate = map.sampleRate;
  const factor = rate >= 16_000 ? 2 : 1;
  const arate = rate / factor;
  const win = (1 << Math.floor(Math.log2((F0_WINDOW_MS / 1000) * arate))) + 1; // 513 at 11 025 Hz
  const hop = Math.round(((options.hopMs ?? 10) * rate) / 1000);
  const wanted = Math.max(1, Math.round((options.voicedMs ?? 150) / (options.hopMs ?? 10)));
  const stop = Math.max(0, at - Math.round(((options.searchMs ?? 600) * rate) / 1000));
  const minHz = options.minHz ?? 60;
  const maxHz = options.maxHz ?? 400;
  const detect = yinFor(arate);
  const span = win * factor;
  const window = new Float32Array(win);
  const found: number[] = [];
  for (let end = Math.min(at, samples.length); end - span >= stop && found.length < wanted; end -= hop) {
    const from = end - span;
    let sq = 0;
    for (let i = 0; i < win; i++) {
      const j = from + i * factor;
      const v = factor === 1 ? samples[j]! : 0.25 * (samples[j - 1] ?? samples[j]!) + 0.5 * samples[j]! + 0.25 * samples[j + 1]!;
      window[i] = v;
      sq += v * v;
    }
    if (Math.sqrt(sq / win) < map.threshold) continue;
    const f0 = detect(window);
    if (f0 !== null && f0 >= minHz && f0 <= maxHz) found.push(f0);
  }
  if (found.length === 0) return { f0Hz: null, frames: 0 };
  return { f0Hz: quantile(Float32Array.from(found), 0.5), frames: found.length };
}

const yinDetectors = new Map<number, (buf: Float32Array) => number | null>();
function yinFor(sampleRate: number): (buf: Float32Array) => number | null {
  let d = yinDetectors.get(sampleRate);
  if (!d) yinDetectors.set(sampleRate, (d = YIN({ sampleRate, threshold: 0.1, probabilityThreshold: 0.1 })));
  return d;
}

/** Pitch step from `reference` to `f0`, semitones: 12·log2(f0 / reference). */
export function semitones(f0: number, reference: number): number {
  return 12 * Math.log2(f0 / reference);
}

/** Options of {@link detectClicks}. */
export interface ClickOptions {
  /** A jump counts when over this multiple of the local p99 |Δ| (default 3). */
  readonly factor?: number;
  /** Half-width of the local window, ms (default 50). */
  readonly localMs?: number;
  /** Jumps under this |Δ| never count (default: the map's silence threshold): an inaudible step. */
  readonly floor?: number;
  /** Detections closer than this are one click, ms (default 2). */
  readonly mergeMs?: number;
}

/** Histogram bins per octave of |Δ| for the local percentile of {@link detectClicks} (2.2 % wide). */
const BINS_PER_OCTAVE = 32;
/** Lowest octave binned: 2^−20 ≈ 1e-6 (below the 16-bit step); |Δ| under it falls in bin 0. */
const LOWEST_OCTAVE = -20;
const BINS = (1 - LOWEST_OCTAVE) * BINS_PER_OCTAVE + 1;

function binOf(d: number): number {
  if (d <= 0) return 0;
  return Math.max(0, Math.min(BINS - 1, Math.floor((Math.log2(d) - LOWEST_OCTAVE) * BINS_PER_OCTAVE)));
}

/**
 * Clicks: sample-to-sample jumps |x[i+1] − x[i]| over `factor` × the local 99th percentile of
 * |Δ| and over `floor`. Local = the 10 ms block holding the jump and ±localMs around it; the
 * percentile comes from a sliding histogram of |Δ| in 2.2 %-wide logarithmic bins (its bin's upper
 * edge, so at most 2.2 % high). A step in the waveform at a badly joined seam stands out from the
 * |Δ| of the speech around it; a plosive burst mostly does not.
 * @returns the sample index of each click (detections within mergeMs merged)
 */
export function detectClicks(samples: Float32Array, map: LevelMap, options: ClickOptions = {}): number[] {
  const rate = map.sampleRate;
  const n = samples.length - 1;
  if (n < 1) return [];
  const factor = options.factor ?? 3;
  const block = Math.max(1, Math.round(rate / 100));
  const reach = Math.max(1, Math.round((options.localMs ?? 50) / 10)); // blocks each side
  const floor = options.floor ?? map.threshold;
  const merge = Math.round(((options.mergeMs ?? 2) * rate) / 1000);
  const blocks = Math.ceil(n / block);
  const delta = new Float32Array(n);
  const bins = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const d = Math.abs(samples[i + 1]! - samples[i]!);
    delta[i] = d;
    bins[i] = binOf(d);
  }
  const hist = new Uint32Array(BINS);
  let count = 0;
  const add = (b: number, sign: 1 | -1) => {
    if (b < 0 || b >= blocks) return;
    const to = Math.min(n, (b + 1) * block);
    for (let i = b * block; i < to; i++) hist[bins[i]!]! += sign;
    count += sign * (to - b * block);
  };
  for (let b = 0; b < Math.min(blocks, reach); b++) add(b, 1);
  const clicks: number[] = [];
  let last = -Infinity;
  for (let b = 0; b < blocks; b++) {
    add(b + reach, 1);
    add(b - reach - 1, -1);
    const from = b * block;
    const to = Math.min(n, from + block);
    let blockMax = 0;
    for (let i = from; i < to; i++) if (delta[i]! > blockMax) blockMax = delta[i]!;
    if (blockMax <= floor) continue; // nothing here can count
    const rank = Math.ceil(0.99 * count);
    let acc = 0;
    let bin = 0;
    for (; bin < BINS; bin++) if ((acc += hist[bin]!) >= rank) break;
    const p99 = 2 ** ((bin + 1) / BINS_PER_OCTAVE + LOWEST_OCTAVE);
    const limit = Math.max(floor, factor * p99);
    for (let i = from; i < to; i++) {
      if (delta[i]! <= limit) continue;
      if (i - last > merge) clicks.push(i);
      last = i;
    }
  }
  return clicks;
}

/** Nearest-rank quantile (q in [0, 1]) of `values` (copied, not modified); 0 for an empty set. */
export function quantile(values: Float32Array, q: number): number {
  if (values.length === 0) return 0;
  const sorted = Float32Array.from(values).sort();
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

/** s16 samples → f32 in [-1, 1). */
export function s16ToF32(samples: Int16Array): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i]! / 32768;
  return out;
}
