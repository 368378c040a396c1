import type { GpuInfo } from './detect.ts';
import { findKnownModel } from './known-models.ts';
import { TIER_ORDER, tierRank, type GpuTier } from './tiers.ts';

/** Which rule decided a tier (shown by `vrpg-narrator gpu`). */
export type ClassificationRule = 'known-model' | 'vram-compute' | 'calibration' | 'no-gpu' | 'unsupported-compute';

/** A tier and the rule that gave it, in words. */
export interface Classification {
  readonly tier: GpuTier;
  readonly rule: ClassificationRule;
  /** Human sentence, e.g. "RTX 4090 is in the known-model table as high-end (…)". */
  readonly reason: string;
}

/**
 * Lowest compute capability the CUDA 12 builds of onnxruntime run on (CUDA 12 dropped Kepler;
 * Maxwell 5.0 is its floor, per the CUDA 12.0 release notes). Below it the GPU is unusable → `cpu`.
 */
export const MIN_CUDA_COMPUTE = 5.0;

/**
 * The seed table's VRAM/compute lines (shared/seeds 002), used only for names not in the known-model table.
 * VRAM compares the nominal size, `round(MiB / 1024)` GB, since nvidia-smi reports a few % under the box
 * (a 32 GB RTX 5090 shows 32 607 MiB).
 */
export const TIER_THRESHOLDS = [
  { tier: 'high-end', minGb: 32, minCompute: 8.0 },
  { tier: 'mid-range', minGb: 8, minCompute: 7.0 },
  { tier: 'modest', minGb: 4, minCompute: 6.0 },
] as const satisfies readonly { tier: GpuTier; minGb: number; minCompute: number }[];

/**
 * Classifies one GPU: the known-model table first; else the seed's VRAM + compute thresholds
 * ({@link TIER_THRESHOLDS}, unknown compute capability → at most `modest`); else `low-end`.
 * `null` (no GPU) and compute below {@link MIN_CUDA_COMPUTE} give `cpu`.
 */
export function classifyGpu(gpu: GpuInfo | null): Classification {
  if (gpu === null) return { tier: 'cpu', rule: 'no-gpu', reason: 'no usable NVIDIA GPU: CPU inference' };
  const compute = gpu.computeCapability === null ? null : Number(gpu.computeCapability);
  if (compute !== null && compute < MIN_CUDA_COMPUTE) {
    return {
      tier: 'cpu',
      rule: 'unsupported-compute',
      reason: `${gpu.name} has compute capability ${gpu.computeCapability}, below CUDA 12's minimum ${MIN_CUDA_COMPUTE.toFixed(1)}: CPU inference`,
    };
  }
  const known = findKnownModel(gpu.name);
  if (known) {
    return {
      tier: known.tier,
      rule: 'known-model',
      reason: `${gpu.name} matches known model ${known.model} → ${known.tier}${known.why ? ` (${known.why})` : ''}`,
    };
  }
  const gb = Math.round(gpu.vramMb / 1024);
  for (const t of TIER_THRESHOLDS) {
    const computeOk = compute === null ? t.tier === 'modest' : compute >= t.minCompute;
    if (gb >= t.minGb && computeOk) {
      return {
        tier: t.tier,
        rule: 'vram-compute',
        reason: `${gpu.name} is not in the known-model table; ${gb} GB and compute ${gpu.computeCapability ?? 'unknown'} meet ${t.tier} (≥ ${t.minGb} GB, ≥ ${t.minCompute.toFixed(1)})`,
      };
    }
  }
  return {
    tier: 'low-end',
    rule: 'vram-compute',
    reason: `${gpu.name} is not in the known-model table; ${gb} GB and compute ${gpu.computeCapability ?? 'unknown'} are below the modest line (≥ 4 GB, ≥ 6.0)`,
  };
}

/**
 * Slowest warm single-stream real-time factor (synthesis time / audio duration) a tier tolerates.
 * Derived from the tier's stream count: N parallel streams share one GPU, so each needs RTF ≤ 1/N to stay
 * real-time (high-end 3 → 0.33, mid-range 2 → 0.5); modest runs one stream with a yield, keeping 20 %
 * headroom for the yield and the game (0.8). Low-end accepts anything the GPU can do.
 */
export const MAX_RTF_BY_TIER: Readonly<Record<GpuTier, number>> = {
  'high-end': 0.33,
  'mid-range': 0.5,
  modest: 0.8,
  'low-end': Number.POSITIVE_INFINITY,
  cpu: Number.POSITIVE_INFINITY,
};

/**
 * Calibration: given a measured warm RTF, the tier the card should be in. Only ever moves DOWN (to the first
 * tier at or below `current` whose {@link MAX_RTF_BY_TIER} admits `rtf`), never to `cpu` (a slow GPU still
 * beats none). Returns `current` unchanged when the RTF fits.
 * @throws RangeError when `rtf` is not a finite positive number
 */
export function calibrateTier(current: GpuTier, rtf: number): GpuTier {
  if (!Number.isFinite(rtf) || rtf <= 0) throw new RangeError(`calibration RTF must be a finite number > 0, got ${rtf}`);
  if (current === 'cpu') return 'cpu';
  for (const t of TIER_ORDER.slice(tierRank(current))) {
    if (t !== 'cpu' && rtf <= MAX_RTF_BY_TIER[t]) return t;
  }
  return 'low-end';
}
