import { expect } from 'chai';
import type { GpuInfo } from '../../../plugins/gpu-tier/detect.ts';
import { buildGpuConfig } from '../../../plugins/gpu-tier/gpu-config.ts';

const rtx5090: GpuInfo = { index: 0, cudaDeviceId: 0, name: 'NVIDIA GeForce RTX 5090', vramMb: 32607, usedMb: 0, computeCapability: '12.0', utilizationPct: 0 };
const rtx4090: GpuInfo = { ...rtx5090, name: 'NVIDIA GeForce RTX 4090', vramMb: 24564, computeCapability: '8.9' };
const rtx3050: GpuInfo = { ...rtx5090, index: 1, cudaDeviceId: 1, name: 'NVIDIA GeForce RTX 3050', vramMb: 8192, computeCapability: '8.6' };
const gtx1050: GpuInfo = { ...rtx5090, name: 'NVIDIA GeForce GTX 1050', vramMb: 2048, computeCapability: '6.1' };

describe('gpu-tier buildGpuConfig', () => {
  it('gives high-end 3 streams at 32 GB, 2.5 s, 0.9 target, no limit, no yield, CUDA EP', () => {
    const { config, sources } = buildGpuConfig({ tier: 'high-end', gpu: rtx5090, env: {}, profileOption: 'auto', cores: 8 });
    expect(config).to.deep.include({ streams: 3, vramLimitMb: 0, utilizationTarget: 0.9, prebufferSeconds: 2.5, yieldMs: 0 });
    expect(config.executionProviders).to.deep.equal([{ name: 'cuda', deviceId: 0, arenaExtendStrategy: 'kNextPowerOfTwo' }, { name: 'cpu' }]);
    expect(config.sessionThreads).to.deep.equal({ intraOpNumThreads: 4, interOpNumThreads: 1 });
    expect(sources.streams).to.equal('tier');
  });

  it('gives a 24 GB high-end card 2 streams', () => {
    expect(buildGpuConfig({ tier: 'high-end', gpu: rtx4090, env: {}, profileOption: 'auto' }).config.streams).to.equal(2);
  });

  it('gives mid-range 1 stream on 8 GB, 1.75 s, 0.7 target', () => {
    const { config } = buildGpuConfig({ tier: 'mid-range', gpu: rtx3050, env: {}, profileOption: 'auto' });
    expect(config).to.deep.include({ streams: 1, prebufferSeconds: 1.75, utilizationTarget: 0.7, yieldMs: 0 });
  });

  it('gives modest one sequential stream, a 3 GB arena cap in bytes and a yield between chunks', () => {
    const { config } = buildGpuConfig({ tier: 'modest', gpu: rtx3050, env: {}, profileOption: 'auto' });
    expect(config).to.deep.include({ streams: 1, vramLimitMb: 3072, utilizationTarget: 0.5, prebufferSeconds: 1.25, yieldMs: 50 });
    expect(config.executionProviders[0]).to.deep.equal({ name: 'cuda', deviceId: 1, gpuMemLimit: 3072 * 1024 * 1024, arenaExtendStrategy: 'kSameAsRequested' });
  });

  it('gives low-end one stream on a 2 GB card, 0.75 s, a limit of 75 % of its VRAM', () => {
    const { config } = buildGpuConfig({ tier: 'low-end', gpu: gtx1050, env: {}, profileOption: 'auto' });
    expect(config).to.deep.include({ streams: 1, vramLimitMb: 1536, prebufferSeconds: 0.75, utilizationTarget: 0.4 });
  });

  it('gives cpu 0 streams, the CPU EP alone with all cores but one', () => {
    const { config } = buildGpuConfig({ tier: 'cpu', gpu: null, env: {}, profileOption: 'auto', cores: 8 });
    expect(config.streams).to.equal(0);
    expect(config.executionProviders).to.deep.equal([{ name: 'cpu' }]);
    expect(config.sessionThreads).to.deep.equal({ intraOpNumThreads: 7, interOpNumThreads: 1 });
  });

  it('applies a profile option over the tier and records it', () => {
    const b = buildGpuConfig({ tier: 'high-end', gpu: rtx5090, env: {}, profileOption: 'modest' });
    expect(b.profile).to.equal('modest');
    expect(b.config).to.deep.include({ streams: 1, vramLimitMb: 3072, yieldMs: 50 });
    expect(b.sources).to.deep.include({ streams: 'profile', profile: 'option' });
  });

  it('lets the env profile beat the option, and env values beat both', () => {
    const b = buildGpuConfig({
      tier: 'modest',
      gpu: rtx3050,
      env: { profile: 'high_performance', streams: 2, prebufferSeconds: 1.5 },
      profileOption: 'balanced',
    });
    expect(b.profile).to.equal('high_performance');
    expect(b.config).to.deep.include({ streams: 2, prebufferSeconds: 1.5, utilizationTarget: 0.9 });
    expect(b.sources).to.deep.include({ streams: 'env', prebufferSeconds: 'env', utilizationTarget: 'profile', profile: 'env' });
  });

  it('forces CPU inference on a GPU when VRPG_XTTS_GPU_STREAMS=0', () => {
    const { config } = buildGpuConfig({ tier: 'high-end', gpu: rtx5090, env: { streams: 0 }, profileOption: 'auto' });
    expect(config.executionProviders).to.deep.equal([{ name: 'cpu' }]);
  });

  it('ignores GPU-only overrides and profiles without a GPU, with a note', () => {
    const b = buildGpuConfig({ tier: 'cpu', gpu: null, env: { streams: 2, vramLimitMb: 2048 }, profileOption: 'high_performance' });
    expect(b.config).to.deep.include({ streams: 0, vramLimitMb: 0 });
    expect(b.notes.join(' ')).to.contain('no usable GPU');
  });
});
