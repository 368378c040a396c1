import { expect } from 'chai';
import { calibrateTier, classifyGpu } from '../../../plugins/gpu-tier/classify.ts';
import type { GpuInfo } from '../../../plugins/gpu-tier/detect.ts';
import { detectGpus } from '../../../plugins/gpu-tier/detect.ts';
import { findKnownModel } from '../../../plugins/gpu-tier/known-models.ts';
import { fakeSmiEnv } from './fake-smi.ts';

function gpu(name: string, vramMb: number, cc: string | null): GpuInfo {
  return { index: 0, cudaDeviceId: 0, name, vramMb, usedMb: 0, computeCapability: cc, utilizationPct: 0 };
}

describe('gpu-tier classifyGpu', () => {
  const recorded: [string, string, string][] = [
    ['rtx-5090', 'high-end', 'known-model'],
    ['rtx-4090', 'high-end', 'known-model'],
    ['rtx-3090', 'high-end', 'known-model'],
    ['rtx-3070', 'mid-range', 'known-model'],
    ['rtx-4060', 'mid-range', 'known-model'],
    ['rtx-3050-8gb', 'modest', 'known-model'],
    ['rtx-3050-4gb', 'modest', 'known-model'],
    ['gtx-1660', 'modest', 'known-model'],
    ['gtx-1050', 'low-end', 'known-model'],
    ['a100', 'high-end', 'known-model'],
    ['h100', 'high-end', 'known-model'],
    ['h200', 'high-end', 'known-model'],
    ['t4', 'modest', 'known-model'],
    ['unknown-big', 'high-end', 'vram-compute'],
    ['kepler', 'cpu', 'unsupported-compute'],
    ['none', 'cpu', 'no-gpu'],
  ];
  for (const [fixture, tier, rule] of recorded) {
    it(`classifies the recorded ${fixture} as ${tier} by rule ${rule}`, async () => {
      const d = await detectGpus({ env: fakeSmiEnv(fixture) });
      const c = classifyGpu(d.selected);
      expect([c.tier, c.rule]).to.deep.equal([tier, rule]);
      expect(c.reason).to.be.a('string').and.not.empty;
    });
  }

  it('puts the 8 GB RTX 3050 and RTX 3070 in different tiers despite equal VRAM and compute (seed examples)', () => {
    expect(classifyGpu(gpu('NVIDIA GeForce RTX 3050', 8192, '8.6')).tier).to.equal('modest');
    expect(classifyGpu(gpu('NVIDIA GeForce RTX 3070', 8192, '8.6')).tier).to.equal('mid-range');
  });

  it('tells apart names that share a prefix (A10 vs A100, L4 vs L40S, 4060 Ti vs 4060)', () => {
    expect(findKnownModel('NVIDIA A10')?.model).to.equal('A10/A10G');
    expect(findKnownModel('NVIDIA A100-PCIE-40GB')?.model).to.equal('A100');
    expect(findKnownModel('NVIDIA L4')?.tier).to.equal('mid-range');
    expect(findKnownModel('NVIDIA L40S')?.tier).to.equal('high-end');
    expect(findKnownModel('NVIDIA GeForce RTX 4060 Ti')?.tier).to.equal('mid-range');
    expect(findKnownModel('NVIDIA GeForce GTX 1650')?.tier).to.equal('low-end');
    expect(findKnownModel('NVIDIA RTX A6000')?.tier).to.equal('high-end');
    expect(findKnownModel('NVIDIA RTX A4000')?.tier).to.equal('mid-range');
    expect(findKnownModel('Tesla V100-SXM2-16GB')?.tier).to.equal('mid-range');
    expect(findKnownModel('NVIDIA GeForce RTX 3080')?.tier).to.equal('mid-range');
    expect(findKnownModel('NVIDIA GeForce RTX 4080 SUPER')?.tier).to.equal('high-end');
  });

  it('uses the seed VRAM/compute lines for unknown names', () => {
    expect(classifyGpu(gpu('Mystery 24G', 24576, '8.9')).tier).to.equal('mid-range');
    expect(classifyGpu(gpu('Mystery 6G', 6144, '6.1')).tier).to.equal('modest');
    expect(classifyGpu(gpu('Mystery 8G old', 8192, '5.2')).tier).to.equal('low-end');
    expect(classifyGpu(gpu('Mystery 3G', 3072, '8.6')).tier).to.equal('low-end');
    expect(classifyGpu(gpu('Mystery 48G no cc', 49152, null)).tier).to.equal('modest');
  });
});

describe('gpu-tier calibrateTier', () => {
  it('keeps the tier when the measured RTF fits it', () => {
    expect(calibrateTier('high-end', 0.2)).to.equal('high-end');
  });

  it('moves a card down to the first tier whose RTF bound admits the measurement', () => {
    expect(calibrateTier('high-end', 0.45)).to.equal('mid-range');
    expect(calibrateTier('high-end', 0.7)).to.equal('modest');
    expect(calibrateTier('mid-range', 1.4)).to.equal('low-end');
  });

  it('never moves a card up, nor a GPU to cpu', () => {
    expect(calibrateTier('modest', 0.05)).to.equal('modest');
    expect(calibrateTier('low-end', 5)).to.equal('low-end');
  });

  it('rejects a non-positive RTF', () => {
    expect(() => calibrateTier('modest', 0)).to.throw(RangeError, 'RTF');
    expect(() => calibrateTier('modest', Number.NaN)).to.throw(RangeError);
  });
});
