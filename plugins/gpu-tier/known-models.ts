import type { GpuTier } from './tiers.ts';

/** One row of {@link KNOWN_MODELS}. */
export interface KnownModel {
  /** Matched against the normalized name (lower case, "nvidia "/"geforce "/"tesla " removed, single spaces). */
  readonly pattern: RegExp;
  readonly model: string;
  readonly tier: GpuTier;
  /** Why this card sits in this tier when VRAM/compute alone would say otherwise. */
  readonly why?: string;
}

/**
 * Known NVIDIA cards and their tier; the first matching row wins (so "4060 ti" rows precede "4060").
 * The seed's examples (RTX 5090/4090 high-end, 3070/4060 mid-range, 3050/GTX 1660 modest) are fixed here
 * because its VRAM column contradicts them (the 4090 has 24 GB, the 3050 and 3070 both have 8 GB and
 * compute 8.6); the other rows place each card by its FP16/FP32 throughput relative to those anchors.
 * See plugins/gpu-tier/README.md for the reasoning.
 */
export const KNOWN_MODELS: readonly KnownModel[] = [
  // Data-centre and workstation: large VRAM, high throughput.
  { pattern: /\bg[hb]200\b|\bb[12]00\b/, model: 'B200/GH200', tier: 'high-end' },
  { pattern: /\bh200\b/, model: 'H200', tier: 'high-end' },
  { pattern: /\bh100\b/, model: 'H100', tier: 'high-end' },
  { pattern: /\bh800\b/, model: 'H800', tier: 'high-end' },
  { pattern: /\ba100\b|\ba800\b/, model: 'A100', tier: 'high-end' },
  { pattern: /\bl40s?\b/, model: 'L40/L40S', tier: 'high-end' },
  { pattern: /\brtx pro 6000\b/, model: 'RTX PRO 6000', tier: 'high-end' },
  { pattern: /\brtx 6000 ada\b|\brtx 5000 ada\b/, model: 'RTX 6000/5000 Ada', tier: 'high-end' },
  { pattern: /\brtx a6000\b|\ba40\b/, model: 'RTX A6000/A40', tier: 'high-end' },
  { pattern: /\bv100\b/, model: 'V100', tier: 'mid-range', why: 'Volta (7.0): ~15 TFLOPS FP32, below an RTX 3080' },
  { pattern: /\brtx a5000\b|\brtx a4500\b|\brtx a4000\b|\brtx 4000 ada\b|\bquadro rtx [4568]000\b|\btitan rtx\b/, model: 'RTX A5000/A4500/A4000, Quadro RTX', tier: 'mid-range' },
  { pattern: /\bl4\b/, model: 'L4', tier: 'mid-range', why: '24 GB, but a 72 W card: throughput of an RTX 4060 Ti' },
  { pattern: /\ba10g?\b/, model: 'A10/A10G', tier: 'mid-range', why: '24 GB, 150 W: about an RTX 3070 Ti' },
  { pattern: /\bt4\b/, model: 'T4', tier: 'modest', why: '16 GB, but a 70 W card: ~8 TFLOPS FP32, RTF like an RTX 3050' },
  { pattern: /\brtx a2000\b|\brtx 2000 ada\b/, model: 'RTX A2000', tier: 'modest' },
  // GeForce, newest first.
  { pattern: /\brtx 5090\b/, model: 'RTX 5090', tier: 'high-end' },
  { pattern: /\brtx 5080\b/, model: 'RTX 5080', tier: 'high-end', why: '16 GB, but 4080 Super throughput' },
  { pattern: /\brtx 4090\b/, model: 'RTX 4090', tier: 'high-end', why: 'seed example; 24 GB, below the seed\'s 32 GB line' },
  { pattern: /\brtx 4080\b/, model: 'RTX 4080', tier: 'high-end', why: '16 GB, but ~49 TFLOPS FP32, above a 3090' },
  { pattern: /\brtx 3090\b/, model: 'RTX 3090', tier: 'high-end', why: '24 GB, ~36 TFLOPS FP32' },
  { pattern: /\brtx 50(70|60)\b/, model: 'RTX 5070/5060', tier: 'mid-range' },
  { pattern: /\brtx 40(70|60)\b/, model: 'RTX 4070/4060', tier: 'mid-range', why: 'seed example (RTX 4060)' },
  { pattern: /\brtx 30(80|70|60)\b/, model: 'RTX 3080/3070/3060', tier: 'mid-range', why: 'seed example (RTX 3070)' },
  { pattern: /\brtx 20(80|70)\b/, model: 'RTX 2080/2070', tier: 'mid-range' },
  { pattern: /\brtx 4050\b|\brtx 3050\b|\brtx 2060\b|\brtx 2050\b/, model: 'RTX 4050/3050/2060/2050', tier: 'modest', why: 'seed example (RTX 3050): same VRAM and compute as a 3070 at ~45 % of its throughput' },
  { pattern: /\bgtx 16(60|70|80)\b|\bgtx 10(70|80)\b|\btitan x/, model: 'GTX 1660/1070/1080', tier: 'modest', why: 'seed example (GTX 1660)' },
  { pattern: /\bgtx 1650\b/, model: 'GTX 1650', tier: 'low-end', why: '4 GB and compute 7.5 would say modest, but ~3 TFLOPS FP32 is half a GTX 1660' },
  { pattern: /\bgtx 10(60|50)\b|\bgt 10[13]0\b|\bmx\d{3}\b|\bgtx 9\d0\b|\bquadro p(400|600|620|1000)\b|\bt(400|600|1000|1200)\b/, model: 'GTX 1060/1050, MX, GT, Quadro P/T entry', tier: 'low-end' },
];

/** Lower-cases and strips vendor words so "NVIDIA GeForce RTX 4090" and "GeForce RTX 4090" match alike. */
export function normalizeGpuName(name: string): string {
  return name
    .toLowerCase()
    .replace(/\b(nvidia|geforce|tesla)\b/g, ' ')
    .replace(/[_]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The first {@link KNOWN_MODELS} row matching `name`, or undefined. */
export function findKnownModel(name: string): KnownModel | undefined {
  const n = normalizeGpuName(name);
  return KNOWN_MODELS.find((m) => m.pattern.test(n));
}
