import { expect } from 'chai';
import { GpuTierConfigError, readEnvOverrides } from '../../../plugins/gpu-tier/env-overrides.ts';

describe('gpu-tier readEnvOverrides', () => {
  it('reads every VRPG_XTTS_* override and ignores unset or empty ones', () => {
    expect(
      readEnvOverrides({
        VRPG_XTTS_GPU_STREAMS: '1',
        VRPG_XTTS_GPU_VRAM_LIMIT_MB: ' 3072 ',
        VRPG_XTTS_GPU_UTILIZATION_TARGET: '0.6',
        VRPG_XTTS_PREBUFFER_SECONDS: '1.5',
        VRPG_XTTS_PERFORMANCE_PROFILE: 'balanced',
      }),
    ).to.deep.equal({ streams: 1, vramLimitMb: 3072, utilizationTarget: 0.6, prebufferSeconds: 1.5, profile: 'balanced' });
    expect(readEnvOverrides({ VRPG_XTTS_GPU_STREAMS: '' })).to.deep.equal({});
  });

  const bad: [string, string, string][] = [
    ['VRPG_XTTS_GPU_STREAMS', '4', '0–3'],
    ['VRPG_XTTS_GPU_STREAMS', '1.5', '0–3'],
    ['VRPG_XTTS_GPU_VRAM_LIMIT_MB', '-1', '0–1048576'],
    ['VRPG_XTTS_GPU_UTILIZATION_TARGET', '60', '0.3–0.95'],
    ['VRPG_XTTS_GPU_UTILIZATION_TARGET', 'high', '0.3–0.95'],
    ['VRPG_XTTS_PREBUFFER_SECONDS', '0.2', '0.5–3.0'],
    ['VRPG_XTTS_PERFORMANCE_PROFILE', 'turbo', 'auto|high_performance|balanced|modest'],
  ];
  for (const [name, value, range] of bad) {
    it(`rejects ${name}=${value} naming the variable and the range ${range}`, () => {
      try {
        readEnvOverrides({ [name]: value });
        expect.fail('should have thrown');
      } catch (err) {
        expect(err).to.be.instanceOf(GpuTierConfigError);
        expect((err as GpuTierConfigError).variables).to.deep.equal([name]);
        expect((err as Error).message).to.contain(name).and.to.contain(value).and.to.contain(range);
      }
    });
  }

  it('lists every invalid variable at once', () => {
    expect(() => readEnvOverrides({ VRPG_XTTS_GPU_STREAMS: '9', VRPG_XTTS_PREBUFFER_SECONDS: '9' }))
      .to.throw(GpuTierConfigError, /VRPG_XTTS_GPU_STREAMS.*VRPG_XTTS_PREBUFFER_SECONDS/);
  });
});
