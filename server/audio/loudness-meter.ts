/**
 * Streaming integrated-loudness meter, ITU-R BS.1770-4 (EBU R 128), mono — used at runtime to
 * calibrate a per-voice gain toward −16 LUFS (issue 12). Tests and the bench measure with FFmpeg
 * and libebur128 (test/support/loudness.ts), not with this.
 *
 * - K-weighting at any rate: BS.1770 gives the two biquads' coefficients for 48 kHz only. As
 *   libebur128 does (ebur128/ebur128.c `ebur128_init_filter`, and FFmpeg's f_ebur128.c after it),
 *   we take the analog prototypes behind them — a high shelf (f0 = 1681.97 Hz, +4.00 dB, Q 0.7072)
 *   and the RLB high-pass (f0 = 38.135 Hz, Q 0.5003) — and map them with the bilinear transform at
 *   the actual rate (K = tan(π·f0/fs)). At 48 kHz this reproduces the spec's table to ~1e-8.
 * - Gating blocks: 400 ms, a new one every 100 ms (75 % overlap), mean square of the K-weighted
 *   signal; a partial block at the end is not counted (as libebur128 and FFmpeg do).
 * - Gates: absolute −70 LUFS, then relative −10 LU below the mean of the blocks above it.
 *
 * Memory is bounded: block energies go into a histogram of {@link HISTOGRAM_BINS} bins of
 * 0.1 LU from −70 to +30 LUFS (libebur128's bins), each keeping its block count and the exact sum
 * of its blocks' energies — 2 × 1000 doubles = 16 KB whatever the narration's length, plus
 * 4 sub-block sums. Because each bin keeps exact energy sums, the only histogram error is at the
 * relative gate: blocks in the one bin that straddles it are kept or dropped together (kept when
 * the bin's centre is at or above the gate, as libebur128 does), so only a block within 0.05 LU of
 * the gate can land on the wrong side of it.
 * Blocks louder than +30 LUFS (beyond full scale) are counted in the top bin with their true energy.
 */

/** Loudness of a mean-square energy, LUFS (BS.1770-4 eq. 2: −0.691 + 10·log10 of the weighted mean square). */
function energyToLufs(energy: number): number {
  return -0.691 + 10 * Math.log10(energy);
}

/** Mean-square energy of a loudness, inverse of {@link energyToLufs}. */
function lufsToEnergy(lufs: number): number {
  return 10 ** ((lufs + 0.691) / 10);
}

/** Absolute gate, LUFS (BS.1770-4 §2.7: Γa = −70 LKFS). */
export const ABSOLUTE_GATE_LUFS = -70;
/** Relative gate, LU below the absolutely-gated mean (BS.1770-4 §2.7: Γr = −10 LU). */
export const RELATIVE_GATE_LU = -10;
/** Gating block, ms (BS.1770-4: T_g = 400 ms). */
export const BLOCK_MS = 400;
/** Step between blocks, ms (75 % overlap). */
export const BLOCK_STEP_MS = 100;
/** Sub-blocks per gating block: 400 ms / 100 ms. */
const SUB_BLOCKS = BLOCK_MS / BLOCK_STEP_MS;
/** Histogram bins: 0.1 LU each from −70 to +30 LUFS, as libebur128. */
export const HISTOGRAM_BINS = 1000;
const BIN_LU = 0.1;

/** Lower edge (energy) of the first bin = the absolute gate. */
const ABSOLUTE_GATE_ENERGY = lufsToEnergy(ABSOLUTE_GATE_LUFS);

/** One biquad: y = (b0·x + b1·x₋₁ + b2·x₋₂ − a1·y₋₁ − a2·y₋₂), a0 = 1. */
export interface Biquad {
  b: readonly [number, number, number];
  a: readonly [1, number, number];
}

/**
 * BS.1770-4 K-weighting at any rate: the pre-filter (high shelf) and the RLB high-pass, from the
 * analog parameters libebur128 reverse-engineered from the spec's 48 kHz table
 * (ebur128/ebur128.c `ebur128_init_filter`), mapped with the bilinear transform, K = tan(π·f0/fs).
 * At 48 000 Hz they reproduce BS.1770-4 Tables 1 and 2 (e.g. shelf b0 = 1.53512485958697).
 * @param sampleRate Hz (> 3 364 Hz, so the shelf's 1 682 Hz sits below Nyquist)
 * @returns the two stages, applied shelf first; the high-pass numerator is 1, −2, 1 as in the spec
 */
export function kWeightingCoefficients(sampleRate: number): { shelf: Biquad; highPass: Biquad } {
  let shelf: Biquad;
  {
    const f0 = 1681.974450955533;
    const G = 3.999843853973347;
    const Q = 0.7071752369554196;
    const K = Math.tan((Math.PI * f0) / sampleRate);
    const Vh = 10 ** (G / 20);
    const Vb = Vh ** 0.4996667741545416;
    const a0 = 1 + K / Q + K * K;
    shelf = {
      b: [(Vh + (Vb * K) / Q + K * K) / a0, (2 * (K * K - Vh)) / a0, (Vh - (Vb * K) / Q + K * K) / a0],
      a: [1, (2 * (K * K - 1)) / a0, (1 - K / Q + K * K) / a0],
    };
  }
  let highPass: Biquad;
  {
    const f0 = 38.13547087602444;
    const Q = 0.5003270373238773;
    const K = Math.tan((Math.PI * f0) / sampleRate);
    const a0 = 1 + K / Q + K * K;
    highPass = { b: [1, -2, 1], a: [1, (2 * (K * K - 1)) / a0, (1 - K / Q + K * K) / a0] };
  }
  return { shelf, highPass };
}

/**
 * Integrated loudness of a mono stream, pushed in blocks of any size.
 * Sizes: 16 KB of histogram + a few doubles, independent of duration (see module comment).
 */
export class LoudnessMeter {
  /** Rate, Hz. */
  readonly sampleRate: number;

  // K-weighting biquads ({@link kWeightingCoefficients}), transposed direct form II.
  private readonly pb0: number;
  private readonly pb1: number;
  private readonly pb2: number;
  private readonly pa1: number;
  private readonly pa2: number;
  private readonly ra1: number;
  private readonly ra2: number;
  private p1 = 0;
  private p2 = 0;
  private r1 = 0;
  private r2 = 0;

  /** Samples per 100 ms step: round(fs / 10), as libebur128 ((fs + 5) / 10). */
  private readonly stepSamples: number;
  /** Sums of squares of the last four 100 ms sub-blocks (ring) and of the one being filled. */
  private readonly subSums = new Float64Array(SUB_BLOCKS);
  private subIndex = 0;
  private subFilled = 0;
  private current = 0;
  private currentCount = 0;

  private readonly binCount = new Float64Array(HISTOGRAM_BINS);
  private readonly binEnergy = new Float64Array(HISTOGRAM_BINS);
  /** Centre energy of each bin, for the relative-gate decision. */
  private static readonly binCentre: Float64Array = Float64Array.from({ length: HISTOGRAM_BINS }, (_, i) => lufsToEnergy(ABSOLUTE_GATE_LUFS + (i + 0.5) * BIN_LU));
  private blocksAboveAbsolute = 0;

  /**
   * @param sampleRate Hz: an integer from 8 000 to 384 000 (the shelf at 1.68 kHz must sit below Nyquist)
   * @throws RangeError naming the rate when it is outside that range or not an integer
   */
  constructor(sampleRate: number) {
    if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 384_000) {
      throw new RangeError(`LoudnessMeter: sampleRate must be an integer from 8000 to 384000 Hz, got ${sampleRate}`);
    }
    this.sampleRate = sampleRate;
    this.stepSamples = Math.round(sampleRate / 10);

    const k = kWeightingCoefficients(sampleRate);
    [this.pb0, this.pb1, this.pb2] = k.shelf.b;
    [, this.pa1, this.pa2] = k.shelf.a;
    [, this.ra1, this.ra2] = k.highPass.a;
  }

  /**
   * Measures the next samples of the stream.
   * @param samples mono f32 (any length; values beyond ±1 are measured as they are, NaN and ±Infinity
   *   as 0 so one bad sample cannot poison the filter state); not modified
   */
  push(samples: Float32Array): void {
    const { pb0, pb1, pb2, pa1, pa2, ra1, ra2 } = this;
    let { p1, p2, r1, r2, current, currentCount } = this;
    const step = this.stepSamples;
    for (let i = 0; i < samples.length; i++) {
      const v = samples[i]!;
      const x = v - v === 0 ? v : 0; // finite, or 0
      // Transposed direct form II, shelf then RLB.
      const y = pb0 * x + p1;
      p1 = pb1 * x - pa1 * y + p2;
      p2 = pb2 * x - pa2 * y;
      const z = y + r1;
      r1 = -2 * y - ra1 * z + r2;
      r2 = y - ra2 * z;
      current += z * z;
      if (++currentCount === step) {
        this.endSubBlock(current);
        current = 0;
        currentCount = 0;
      }
    }
    // Flush subnormal filter states (long silences) — V8 has no flush-to-zero, and subnormal arithmetic is slow.
    if (Math.abs(p1) < 1e-30) p1 = 0;
    if (Math.abs(p2) < 1e-30) p2 = 0;
    if (Math.abs(r1) < 1e-30) r1 = 0;
    if (Math.abs(r2) < 1e-30) r2 = 0;
    this.p1 = p1;
    this.p2 = p2;
    this.r1 = r1;
    this.r2 = r2;
    this.current = current;
    this.currentCount = currentCount;
  }

  /**
   * Gated integrated loudness of everything pushed since construction or {@link reset}.
   * @returns LUFS; −Infinity when no 400 ms block passes the gates (less than 400 ms pushed, or silence)
   */
  integratedLufs(): number {
    const gated = this.gate();
    return gated.blocks === 0 ? -Infinity : energyToLufs(gated.energy / gated.blocks);
  }

  /** Blocks that pass both gates (each stands for 100 ms of new audio, 75 % overlap). */
  get gatedBlocks(): number {
    return this.gate().blocks;
  }

  /** Seconds of audio that passed both gates: {@link gatedBlocks} × 0.1 s — how much speech the figure rests on. */
  get gatedSeconds(): number {
    return (this.gate().blocks * BLOCK_STEP_MS) / 1000;
  }

  /** Forgets everything measured (filter state, partial block, histogram). */
  reset(): void {
    this.p1 = this.p2 = this.r1 = this.r2 = 0;
    this.subSums.fill(0);
    this.subIndex = 0;
    this.subFilled = 0;
    this.current = 0;
    this.currentCount = 0;
    this.binCount.fill(0);
    this.binEnergy.fill(0);
    this.blocksAboveAbsolute = 0;
  }

  /** A 100 ms sub-block is complete: once four are in, the 400 ms block ending here is measured. */
  private endSubBlock(sum: number): void {
    this.subSums[this.subIndex] = sum;
    this.subIndex = (this.subIndex + 1) % SUB_BLOCKS;
    if (this.subFilled < SUB_BLOCKS) this.subFilled++;
    if (this.subFilled < SUB_BLOCKS) return;
    let sumOfSquares = 0;
    for (let k = 0; k < SUB_BLOCKS; k++) sumOfSquares += this.subSums[k]!;
    const energy = sumOfSquares / (SUB_BLOCKS * this.stepSamples);
    if (!(energy >= ABSOLUTE_GATE_ENERGY)) return;
    const bin = Math.min(HISTOGRAM_BINS - 1, Math.floor((energyToLufs(energy) - ABSOLUTE_GATE_LUFS) / BIN_LU));
    this.binCount[Math.max(0, bin)]!++;
    this.binEnergy[Math.max(0, bin)]! += energy;
    this.blocksAboveAbsolute++;
  }

  /** Sums the blocks above the relative gate (bins whose centre is at or above it). */
  private gate(): { energy: number; blocks: number } {
    if (this.blocksAboveAbsolute === 0) return { energy: 0, blocks: 0 };
    let total = 0;
    for (let i = 0; i < HISTOGRAM_BINS; i++) total += this.binEnergy[i]!;
    const relative = (total / this.blocksAboveAbsolute) * 10 ** (RELATIVE_GATE_LU / 10);
    const centre = LoudnessMeter.binCentre;
    let energy = 0;
    let blocks = 0;
    for (let i = 0; i < HISTOGRAM_BINS; i++) {
      if (this.binCount[i]! > 0 && centre[i]! >= relative) {
        energy += this.binEnergy[i]!;
        blocks += this.binCount[i]!;
      }
    }
    return { energy, blocks };
  }
}
