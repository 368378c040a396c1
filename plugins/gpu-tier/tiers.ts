/**
 * Hardware tiers of the seed spec's table (shared/seeds 002, "Detecção Automática"), plus `cpu` for no usable GPU.
 * Ordered fastest first in {@link TIER_ORDER}.
 */
export type GpuTier = 'high-end' | 'mid-range' | 'modest' | 'low-end' | 'cpu';

/** Tiers fastest first; calibration only ever moves a card to a later entry. */
export const TIER_ORDER: readonly GpuTier[] = ['high-end', 'mid-range', 'modest', 'low-end', 'cpu'];

/** Position in {@link TIER_ORDER} (0 = fastest). */
export function tierRank(tier: GpuTier): number {
  return TIER_ORDER.indexOf(tier);
}
