import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GpuTierService, PROVISIONAL_POLICY } from '../../../plugins/gpu-tier/gpu-tier-service.ts';
import { gpuTierOptionsSchema } from '../../../plugins/gpu-tier/options.ts';
import type { SynthesisPolicy } from '../../../server/synthesis/synthesis-policy.ts';
import { fakeSmiEnv } from './fake-smi.ts';

const noMonitor = gpuTierOptionsSchema.parse({ monitor: { enabled: false } });

describe('gpu-tier GpuTierService', () => {
  it('turns the detected tier into the synthesis policy', async () => {
    const s = new GpuTierService(noMonitor, { env: fakeSmiEnv('rtx-3050-8gb') });
    await s.init();
    expect(s.current()).to.deep.equal({ tier: 'modest', streams: 1, yieldMs: 50, prebufferMs: 1250 });
  });

  it('still runs one job at a time on CPU (streams 0 → policy 1)', async () => {
    const s = new GpuTierService(noMonitor, { env: fakeSmiEnv('driver-failure') });
    const state = await s.init();
    expect(state.detection.fallbackReason).to.contain('NVIDIA driver');
    expect(s.current()).to.deep.include({ tier: 'cpu', streams: 1 });
  });

  it('answers the provisional policy before detection and tells listeners the detected one', async () => {
    const s = new GpuTierService(noMonitor, { env: fakeSmiEnv('h100') });
    const heard: SynthesisPolicy[] = [];
    s.onChange((p) => heard.push(p));
    expect(s.current()).to.deep.equal(PROVISIONAL_POLICY);
    await s.init();
    expect(heard).to.deep.equal([{ tier: 'high-end', streams: 3, yieldMs: 0, prebufferMs: 2500 }]);
  });

  it('rejects init on an invalid env override, naming the variable', async () => {
    const s = new GpuTierService(noMonitor, { env: fakeSmiEnv('rtx-4090', { VRPG_XTTS_GPU_STREAMS: '5' }) });
    let error: Error | undefined;
    await s.init().catch((e: Error) => (error = e));
    expect(error?.message).to.contain('VRPG_XTTS_GPU_STREAMS').and.to.contain('0–3');
  });

  it('moves a card down a tier on a slow calibration and publishes the new policy', async () => {
    const s = new GpuTierService(noMonitor, { env: fakeSmiEnv('rtx-4090') });
    await s.init();
    const heard: SynthesisPolicy[] = [];
    s.onChange((p) => heard.push(p));
    const c = s.calibrate(0.45);
    expect(c).to.deep.include({ tier: 'mid-range', rule: 'calibration' });
    expect(heard).to.deep.equal([{ tier: 'mid-range', streams: 2, yieldMs: 0, prebufferMs: 1750 }]);
  });

  it('re-derives a CPU policy when the engine reports the CUDA provider failed, keeping the GPUs listed', async () => {
    const s = new GpuTierService(noMonitor, { env: fakeSmiEnv('rtx-4090') });
    await s.init();
    const heard: SynthesisPolicy[] = [];
    s.onChange((p) => heard.push(p));
    s.cpuFallback('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library');
    s.cpuFallback('again'); // idempotent: already on the CPU
    expect(heard).to.have.length(1);
    expect(heard[0]).to.deep.include({ tier: 'cpu', streams: 1 });
    expect(s.config.executionProviders).to.deep.equal([{ name: 'cpu' }]);
    expect(s.detected.detection.gpus.map((g) => g.name)).to.deep.equal(['NVIDIA GeForce RTX 4090']);
    expect(s.detected.detection.fallbackReason).to.equal('CUDA execution provider unavailable: OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library');
  });

  it('lowers streams under pressure seen through the stand-in nvidia-smi and recovers', async () => {
    const counter = join(mkdtempSync(join(tmpdir(), 'smi-seq-')), 'n');
    const options = gpuTierOptionsSchema.parse({ monitor: { intervalMs: 250 } });
    // rising.0 (detection, 16 % used) → 94 %, 96 % → 49 %, 24 % …
    const s = new GpuTierService(options, { env: fakeSmiEnv('rising', { FAKE_NVIDIA_SMI_COUNTER: counter }) });
    const heard: number[] = [];
    let releases = 0;
    s.onChange((p) => heard.push(p.streams));
    s.onReleaseIdleSessions(() => void releases++);
    await s.init();
    expect(s.current()).to.deep.include({ tier: 'high-end', streams: 2 });
    const monitor = s.vramMonitor!;
    monitor.stop(); // polls by hand below, so no timer-driven poll can take a step of the sequence
    for (let i = 0; i < 4; i++) await monitor.poll();
    s.close();
    expect(heard).to.deep.equal([2, 1, 2]);
    expect(releases).to.equal(2);
    expect(monitor.underPressure).to.equal(false);
  });
});
