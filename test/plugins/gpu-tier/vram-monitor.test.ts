import { expect } from 'chai';
import { Registry } from 'prom-client';
import sinon from 'sinon';
import type { GpuSample } from '../../../plugins/gpu-tier/gpu-sampler.ts';
import { VramMonitor } from '../../../plugins/gpu-tier/vram-monitor.ts';

function feed(usedMb: number[]): () => Promise<GpuSample> {
  let i = 0;
  return async () => ({ usedMb: usedMb[Math.min(i++, usedMb.length - 1)]!, totalMb: 10_000, utilizationPct: 50, processUsedMb: null });
}

describe('gpu-tier VramMonitor', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  it('lowers streams one per pressured poll, asks for idle sessions to be released, then recovers step by step', async () => {
    const m = new VramMonitor({ sampler: feed([5000, 9200, 9500, 9600, 8000, 7000, 6000, 6000]), intervalMs: 1000, pressureThreshold: 0.9, recoverThreshold: 0.75, baseStreams: 3, vramLimitMb: 0 });
    const seen: number[] = [];
    let releases = 0;
    m.onStreamsChange((s) => seen.push(s));
    m.onReleaseIdleSessions(() => void releases++);
    m.start();
    await clock.tickAsync(1000); // 50 %: nothing
    expect(m.streams).to.equal(3);
    await clock.tickAsync(3000); // 92, 95, 96 %
    expect(seen).to.deep.equal([2, 1]);
    expect(releases).to.equal(3);
    expect(m.underPressure).to.equal(true);
    await clock.tickAsync(1000); // 80 %: between thresholds, hold
    expect(m.streams).to.equal(1);
    await clock.tickAsync(2000); // 70, 60 %: up by one each
    expect(seen).to.deep.equal([2, 1, 2, 3]);
    expect(m.underPressure).to.equal(false);
    m.stop();
  });

  it('counts process memory against the VRAM limit', async () => {
    const m = new VramMonitor({
      sampler: async () => ({ usedMb: 4000, totalMb: 24_000, utilizationPct: null, processUsedMb: 2900 }),
      intervalMs: 500, pressureThreshold: 0.9, recoverThreshold: 0.75, baseStreams: 2, vramLimitMb: 3072,
    });
    await m.poll();
    expect(m.streams).to.equal(1);
  });

  it('skips a failed sample without changing anything', async () => {
    const m = new VramMonitor({ sampler: () => Promise.reject(new Error('nvidia-smi gone')), intervalMs: 500, pressureThreshold: 0.9, recoverThreshold: 0.75, baseStreams: 2, vramLimitMb: 0 });
    await m.poll();
    expect(m.streams).to.equal(2);
  });

  it('exports gauges on a handed registry', async () => {
    const registry = new Registry();
    const m = new VramMonitor({ sampler: feed([9500]), intervalMs: 500, pressureThreshold: 0.9, recoverThreshold: 0.75, baseStreams: 2, vramLimitMb: 0, registry });
    await m.poll();
    const text = await registry.metrics();
    expect(text).to.match(/vrpg_gpu_vram_used_mb 9500/).and.to.match(/vrpg_gpu_streams_allowed 1/).and.to.match(/vrpg_gpu_memory_pressure 1/);
    expect(() => new VramMonitor({ sampler: feed([1]), intervalMs: 500, pressureThreshold: 0.9, recoverThreshold: 0.75, baseStreams: 2, vramLimitMb: 0, registry })).not.to.throw();
  });

  it('rejects a recover threshold not below the pressure threshold', () => {
    expect(() => new VramMonitor({ sampler: feed([1]), intervalMs: 500, pressureThreshold: 0.8, recoverThreshold: 0.8, baseStreams: 2, vramLimitMb: 0 })).to.throw(RangeError, 'recoverThreshold');
  });
});
